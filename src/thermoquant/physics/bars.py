"""The input contract of the physics engine: a long bar frame turned into kernel arrays.

The frame is the house ``daily_quote`` schema (what :func:`thermoquant.data.sources.csv.read_file` and
``store.read("daily_quote")`` return), traded bars only: ``symbol``, ``trade_date`` (Date, or Datetime for minute
bars), ``open``, ``high``, ``low``, ``close`` (CNY), ``volume`` (shares), and ``turnover`` (% of the float traded
in the bar, 5.0 = 5 %) or ``float_shares`` (shares; used where turnover is null: volume / float_shares).
Optional: ``amount`` (CNY; VWAP falls back to (O+H+L+C)/4 without it) and ``pre_close`` (exchange reference
close; else the previous row).  Extra columns are ignored.

Ex-rights: with ``pre_close`` the bars are forward-adjusted (前复权, qfq) at each stock's last bar before the
physics runs (:func:`forward_adjust`), so a dividend or bonus-share gap does not make every chip bought before it
look trapped; the last bar keeps its traded prices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from thermoquant.features.bars import EX_RIGHTS_RANGE, adj_factor_from_pre_close, qfq
from thermoquant.physics.bars_nb import prepare_batch

REQUIRED = ("symbol", "trade_date", "open", "high", "low", "close", "volume")


@dataclass(frozen=True, slots=True)
class BarArrays:
    """Contiguous float64 arrays of a frame sorted by (symbol, date); stock s owns rows offsets[s]:offsets[s+1]."""

    symbols: list[str]
    offsets: np.ndarray
    frame: pl.DataFrame  # (symbol, trade_date) of the sorted rows the arrays were cut from
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    prev_close: np.ndarray
    volume: np.ndarray
    amount: np.ndarray
    tau: np.ndarray  # turnover as a fraction of the float (0.05 = 5 %)
    ref: np.ndarray  # typical traded price: VWAP when amount/volume lies in [low, high], else (O+H+L+C)/4
    session: np.ndarray  # session (trading day) of each bar: int32 days since 1970-01-01

    def keys(self) -> pl.DataFrame:
        """(symbol, trade_date) of every row: the key of the output frames."""
        return self.frame


def _f64(df: pl.DataFrame, name: str) -> np.ndarray:
    return np.ascontiguousarray(df[name].cast(pl.Float64).to_numpy())


def _turnover_fraction(df: pl.DataFrame) -> np.ndarray:
    """Turnover as a fraction of the float: ``turnover`` (%) / 100, else volume / ``float_shares`` row by row."""
    pct = (
        pl.col("turnover").cast(pl.Float64) / 100.0 if "turnover" in df.columns else pl.lit(None, pl.Float64)
    )
    if "float_shares" in df.columns:
        pct = pct.fill_null(pl.col("volume").cast(pl.Float64) / pl.col("float_shares").cast(pl.Float64))
    return np.ascontiguousarray(df.select(pct.alias("tau")).to_series().cast(pl.Float64).to_numpy())


def reference_price(
    o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray, vol: np.ndarray, amt: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(typical traded price, amount): VWAP when amount/volume lies in [low, high], else (O+H+L+C)/4 (CNY);
    a missing amount is filled as typical price × volume."""
    with np.errstate(divide="ignore", invalid="ignore"):
        vwap = amt / vol
    typical = (o + h + lo + c) / 4.0
    ok = np.isfinite(vwap) & (vwap >= lo) & (vwap <= h)
    ref = np.where(ok, vwap, typical)
    return ref, np.where(np.isfinite(amt), amt, ref * vol)


def forward_adjust(df: pl.DataFrame) -> pl.DataFrame:
    """Forward-adjust (前复权) a bar frame sorted by (symbol, date) at each stock's last bar, with the factors the
    exchange ``pre_close`` implies (:func:`thermoquant.features.bars.adj_factor_from_pre_close`): open/high/low/
    close/pre_close scale by the product of the later ex-rights ratios and volume by its inverse (amount, in CNY, and
    turnover, a share of the float, are unchanged; VWAP moves with the prices).  Bars after the last gap are
    untouched, bit for bit.  Without ``pre_close`` the frame is returned as is."""
    if "pre_close" not in df.columns:
        return df
    factor = adj_factor_from_pre_close(df)["adj_factor"]
    return qfq(df.with_columns(factor), volume=True).drop("adj_factor")


def sort_order(df: pl.DataFrame) -> np.ndarray | None:
    """Row order that sorts ``df`` by (symbol, trade_date), found without a full sort when the rows already come in
    per-symbol blocks with strictly increasing dates (how loaders and panels build them): None when ``df`` is
    already sorted, else the gather indices (blocks in symbol order). Any other layout (repeated or null keys, a
    symbol split over blocks, a non-String symbol) gets the indices of a full ``sort``. Linear in the rows."""
    return _sort_plan(df)[0]


Blocks = tuple[np.ndarray, list[str]]
"""(offsets, symbols) of a frame sorted by (symbol, trade_date): symbol ``symbols[s]`` owns rows
``offsets[s]:offsets[s + 1]`` (int64, the row count last)."""


def _sort_plan(df: pl.DataFrame) -> tuple[np.ndarray | None, Blocks | None]:
    """(:func:`sort_order` of ``df``, its symbol blocks when the linear check found it already sorted, else None)."""
    n = df.height
    sym, day = df["symbol"], df["trade_date"]
    if n < 2 or sym.dtype != pl.String or sym.null_count() or day.null_count():
        return (None, None) if n < 2 else (_full_sort_order(df), None)
    run = sym.rle_id().to_numpy()
    new_block = run[1:] != run[:-1]
    d = day.to_physical().to_numpy()
    starts = np.concatenate([[0], np.flatnonzero(new_block) + 1])
    heads = sym.gather(starts)
    if not bool(np.all((d[1:] > d[:-1]) | new_block)) or heads.n_unique() != len(starts):
        return _full_sort_order(df), None
    order = heads.arg_sort().to_numpy()
    if np.all(order[1:] > order[:-1]):
        return None, (np.append(starts, n).astype(np.int64), heads.to_list())
    lengths = np.diff(np.append(starts, n))[order]
    begin = np.repeat(starts[order] - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.arange(n, dtype=np.int64) + begin, None


def _full_sort_order(df: pl.DataFrame) -> np.ndarray:
    """The permutation ``df.sort("symbol", "trade_date")`` applies."""
    keys = df.select("symbol", "trade_date").with_row_index("_row")
    return keys.sort("symbol", "trade_date")["_row"].to_numpy().astype(np.int64)


def _checked(df: pl.DataFrame, adjust: bool) -> tuple[pl.DataFrame, bool]:
    """``df`` validated (ValueError naming what is missing); exotic dtypes forward-adjusted on the frame path."""
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ValueError(f"bar frame lacks required columns {missing}; has {df.columns}")
    if "turnover" not in df.columns and "float_shares" not in df.columns:
        raise ValueError("bar frame needs a 'turnover' (% of float) or a 'float_shares' column")
    if adjust and "pre_close" in df.columns and not _plain_f64(df):
        return forward_adjust(df.sort("symbol", "trade_date")), False  # exotic dtypes: the frame path
    return df, adjust


def to_arrays(df: pl.DataFrame, adjust: bool = True) -> BarArrays:
    """Validate and convert a bar frame (see the module docstring); raises ValueError naming what is missing.
    ``adjust``: forward-adjust ex-rights gaps (:func:`forward_adjust`, done here by
    :func:`thermoquant.physics.bars_nb.prepare_batch` with the same arithmetic); False keeps the traded prices.
    Rows are put in (symbol, trade_date) order by :func:`sort_order` (no sort when already sorted)."""
    df, adjust = _checked(df, adjust)
    return _arrays(df, sort_order(df), adjust)


#: The BarArrays fields :func:`thermoquant.physics.bars_nb.prepare_batch` writes, in its order.
_PREPARED = ("open", "high", "low", "close", "prev_close", "volume", "amount", "tau", "ref")

#: Rows per batch of :func:`bar_batches`: 160 stocks of 2500 days; a batch's arrays (~20 of them in the physics)
#: are a few tens of MB, reused from batch to batch.
BATCH_ROWS = 400_000


def bar_batches(
    df: pl.DataFrame,
    adjust: bool = True,
    rows: int = BATCH_ROWS,
    into: Mapping[str, np.ndarray] | None = None,
) -> Iterator[tuple[int, BarArrays, pl.DataFrame]]:
    """:func:`to_arrays` of ``df`` in batches of whole stocks of about ``rows`` rows (at least one stock each):
    (first row of the batch in the sorted frame, its arrays, the sorted frame the batches are slices of: ``df``
    itself, or its forward-adjusted copy for exotic dtypes).  One batch when ``df`` is not already sorted by
    (symbol, trade_date) or holds at most ``rows`` rows.  Every per-stock computation gives the same bits batch by
    batch; what batches save is memory: the intermediate arrays of a whole-market run are GB that the kernel must
    hand out and zero once per run, a batch's are reused.  ``into``: whole-frame arrays (``df.height`` float64,
    sorted order) named by BarArrays fields (``close``, ``tau`` …) that each batch's array of that name is a
    view of, so a caller keeping them gets the whole column without a copy."""
    df, adjust = _checked(df, adjust)
    idx, blocks = _sort_plan(df)
    into = into or {}
    if idx is not None or blocks is None or df.height <= rows:
        yield 0, _arrays(df, idx, adjust, blocks, into), df
        return
    offsets, symbols = blocks
    b = 0  # first stock of the batch
    while b < len(symbols):
        start = int(offsets[b])
        # through the stock that crosses start + rows (whole stocks, at least one)
        e = min(int(np.searchsorted(offsets[1:], start + rows)), len(symbols) - 1) + 1
        stop = int(offsets[e])
        part = (offsets[b : e + 1] - start, symbols[b:e])
        views = {name: a[start:stop] for name, a in into.items()}
        yield start, _arrays(df.slice(start, stop - start), None, adjust, part, views), df
        b = e


def _arrays(
    df: pl.DataFrame,
    idx: np.ndarray | None,
    adjust: bool,
    blocks: Blocks | None = None,
    into: Mapping[str, np.ndarray] | None = None,
) -> BarArrays:
    """:func:`to_arrays` of a checked frame whose :func:`sort_order` is ``idx``; ``blocks``: its symbol blocks when
    the caller knows them (the frame is then sorted); ``into``: arrays to write the named fields into."""
    keys = df.select("symbol", "trade_date")
    keys = keys if idx is None else keys[idx]
    if blocks is None:
        counts = keys["symbol"].cast(pl.String).rle()
        lengths = counts.struct.field("len").to_numpy()
        symbols = counts.struct.field("value").to_list()
        if len(set(symbols)) != len(symbols):
            raise ValueError("bar frame symbols are not contiguous after sorting")
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
    else:
        offsets, symbols = blocks
    nan = np.full(df.height, np.nan)

    def col(name: str) -> np.ndarray:  # frame order, read only: prepare_batch writes sorted copies
        return np.ascontiguousarray(df[name].cast(pl.Float64).to_numpy()) if name in df.columns else nan

    # traded shares / float, both in the bar's own terms; sorted copies, adjusted, typical price: one kernel pass
    # NumPy's allocations (fewer first-touch faults: see chips_nb.chips_batch), one per array: the physics keeps
    # close and tau as T_f and turnover, and the other seven are freed with the BarArrays
    out = tuple((into or {}).get(name, None) for name in _PREPARED)
    out = tuple(np.empty(df.height) if a is None else a for a in out)
    # a plain Float64 turnover (%) column that float_shares would not fill (none missing, or no float_shares) goes
    # in as it is (no copy) and is divided by 100 in the pass: the values of _turnover_fraction
    pct = df.schema.get("turnover") == pl.Float64 and (
        "float_shares" not in df.columns or not df["turnover"].null_count()
    )
    prepare_batch(
        offsets, np.empty(0, np.int64) if idx is None else idx, col("open"), col("high"), col("low"), col("close"),
        col("pre_close"), col("volume"), col("amount"), col("turnover") if pct else _turnover_fraction(df),
        adjust and "pre_close" in df.columns, *EX_RIGHTS_RANGE, out, pct,
    )  # fmt: skip
    o, h, lo, c, pc, vol, amt, tau, ref = out
    dcol = keys["trade_date"]
    day = dcol.cast(pl.Date) if dcol.dtype != pl.Date else dcol
    session = day.to_physical().to_numpy()  # int32 days since 1970-01-01, no copy
    return BarArrays(symbols, offsets, keys, o, h, lo, c, pc, vol, amt, tau, ref, session)


def _plain_f64(df: pl.DataFrame) -> bool:
    """Prices Float64 and volume Float64 or integer: the kernel's arithmetic is then the frame path's, bit for
    bit (other dtypes would be divided in their own precision by :func:`forward_adjust`)."""
    prices = all(df.schema[c] == pl.Float64 for c in ("open", "high", "low", "close", "pre_close"))
    return prices and (df.schema["volume"] == pl.Float64 or df.schema["volume"].is_integer())


def traded_bars(
    quotes: pl.DataFrame,
    symbols: list[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pl.DataFrame:
    """The rows of a ``daily_quote`` frame with volume > 0 and a close, optionally cut to ``symbols`` and
    [``start``, ``end``], sorted by symbol then trade_date."""
    keep = (pl.col("volume") > 0) & pl.col("close").is_not_null()
    if symbols is not None:
        keep &= pl.col("symbol").is_in(symbols)
    if start is not None:
        keep &= pl.col("trade_date") >= start
    if end is not None:
        keep &= pl.col("trade_date") <= end
    return quotes.filter(keep).sort("symbol", "trade_date")
