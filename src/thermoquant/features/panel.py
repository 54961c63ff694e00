"""Long (symbol, trade_date) frames ↔ right-aligned (stocks × days) NumPy panels.

Layout: row ``i`` is the ``i``-th symbol in sorted order; its ``n_i`` rows (its own trading days, oldest first) fill
columns ``ncols − n_i … ncols − 1``; columns before are NaN. Suspended days have no row in the long frame and so no
column in the stock's row: windows count trading days and never see a zero-return placeholder. The last column is
every stock's latest bar, which is what a one-day incremental update appends to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from thermoquant.features import kernels as nb


@dataclass
class Panel:
    """A set of aligned panels plus the mapping back to the long frame.

    ``row``/``col`` give, for each long-frame row (in the frame's order), its position in the panels.
    """

    symbols: list[str]
    keys: pl.DataFrame
    """``symbol``, ``trade_date`` of the long frame, in order."""
    row: np.ndarray
    col: np.ndarray
    ncols: int
    data: dict[str, np.ndarray]

    def lengths(self) -> np.ndarray:
        """Number of long-frame rows (trading days) of each stock."""
        return np.bincount(self.row, minlength=len(self.symbols)).astype(np.int64)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.symbols), self.ncols)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.data[name]


def to_panel(df: pl.DataFrame, columns: Iterable[str], ncols: int | None = None) -> Panel:
    """Scatter ``columns`` of a long frame into right-aligned float64 panels.

    ``df`` must be sorted by (symbol, trade_date) with unique keys (see :func:`thermoquant.features.engine.prepare`).
    ``ncols`` (default: the longest history) may be larger to leave room on the left.
    """
    cols = list(columns)
    if df.height == 0:
        return Panel(
            [], df.select("symbol", "trade_date"), np.empty(0, np.int64), np.empty(0, np.int64), 0, {}
        )
    sym = df.get_column("symbol")
    rid = sym.rle_id().to_numpy().astype(np.int64)
    nrows = int(rid[-1]) + 1
    counts = np.bincount(rid, minlength=nrows)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    pos = np.arange(df.height, dtype=np.int64) - first[rid]
    width = int(counts.max()) if ncols is None else int(ncols)
    if width < counts.max():
        raise ValueError(f"ncols={width} is shorter than the longest history ({counts.max()} rows)")
    col = width - counts[rid] + pos
    symbols = sym.gather(first.tolist()).to_list()
    data: dict[str, np.ndarray] = {}
    for c in cols:
        values = df.get_column(c).cast(pl.Float64).fill_null(np.nan).to_numpy()
        data[c] = nb.scatter_right(np.ascontiguousarray(values), counts.astype(np.int64), width)
    return Panel(symbols, df.select("symbol", "trade_date"), rid, col, width, data)


def from_panel(
    panel: Panel, outputs: Mapping[str, np.ndarray], names: Iterable[str] | None = None
) -> pl.DataFrame:
    """Gather panels back into a long frame: ``symbol``, ``trade_date`` and one Float64 column per output.

    NaN (window not yet full, undefined value) becomes null, the Polars missing value.
    """
    wanted = list(outputs) if names is None else list(names)
    lengths = panel.lengths()
    cols = [
        pl.Series(
            n, nb.gather_right(np.ascontiguousarray(outputs[n]), lengths), dtype=pl.Float64, nan_to_null=True
        )
        for n in wanted
    ]
    return panel.keys.with_columns(cols)


class LongColumns:
    """Float64 output columns in long-frame order, filled slice by slice, handed to Polars without a copy.

    Each column has its values and a byte mask marking the non-NaN ones; :meth:`series` packs the mask into an
    Arrow validity bitmap, so NaN becomes null without the extra pass of ``nan_to_null``. Columns are separate
    arrays (a few MB per chunk of stocks: the tuned heap reuses them, where one large block would be mapped and
    page-faulted afresh for every chunk). Disjoint row ranges may be filled from several threads.
    """

    def __init__(self, names: Iterable[str], nrows: int) -> None:
        self.nrows = nrows
        self.values = {n: np.empty(nrows) for n in names}
        self.valid = {n: np.empty(nrows, np.uint8) for n in self.values}
        self.filled: set[str] = set()

    def put(self, name: str, panel: np.ndarray, lengths: np.ndarray, pos: int) -> None:
        """Gather the right-aligned ``panel`` (one row per stock, ``lengths`` days each) into rows ``pos`` on."""
        a = np.ascontiguousarray(panel)
        nb.gather_right_valid_into(a, lengths, self.values[name], self.valid[name], pos)
        self.filled.add(name)

    def series(self) -> list[pl.Series]:
        """One Float64 Series per filled column, in declaration order (nulls where the value was NaN)."""
        out = []
        for name, values in self.values.items():
            if name not in self.filled:
                continue
            bitmap = np.packbits(self.valid[name], bitorder="little")
            arr = pa.Array.from_buffers(
                pa.float64(), self.nrows, [pa.py_buffer(bitmap), pa.py_buffer(values)]
            )
            out.append(pl.Series(name, arr))
        return out
