"""Bars in, kernel features out: the read-only bar bundle shipped to workers and the physics of a cut.

A :class:`BarBundle` is plain NumPy arrays (one copy per run: shared memory for the local pool, one object in
Ray's object store), sorted by (symbol, date). A worker cuts each stock at ``valid_from`` (rows strictly before
that day only: a pack valid from day t never sees day t or later), keeps the last ``history`` rows, and runs the
physics engine (:func:`thermoquant.physics.thermo.compute_physics`, default physics parameters, forward
adjustment inside the cut) to get the feature matrix of :mod:`.kernels`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from thermoquant.evolve.kernels import (
    F_BURN,
    F_CLOSE,
    F_DT,
    F_K,
    F_LOCKED,
    F_OPEN,
    F_QB,
    F_STEADY,
    F_VR,
    FEATURES,
)
from thermoquant.physics.thermo import compute_physics

#: Arrays of a bundle besides the offsets: day (int64 days since 1970-01-01), prices (CNY, as traded), volume
#: (shares), amount (CNY), turnover (% of the float; NaN where unknown).
BAR_ARRAYS: tuple[str, ...] = (
    "day",
    "open",
    "high",
    "low",
    "close",
    "pre_close",
    "volume",
    "amount",
    "turnover",
)
EPOCH = dt.date(1970, 1, 1)


def day_number(d: dt.date) -> int:
    """Days since 1970-01-01 (the bundle's ``day`` unit)."""
    return (d - EPOCH).days


def day_of(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(n))


@dataclass(frozen=True)
class BarBundle:
    """Read-only bars of many stocks: ``arrays[name]`` per :data:`BAR_ARRAYS` row-aligned, stock s owns rows
    ``offsets[s]:offsets[s+1]``."""

    symbols: tuple[str, ...]
    offsets: np.ndarray
    arrays: dict[str, np.ndarray]

    @classmethod
    def from_frame(cls, bars: pl.DataFrame) -> BarBundle:
        """From traded ``daily_quote`` rows (symbol, trade_date, open, high, low, close, volume and ``turnover``
        (%) or ``float_shares``; ``pre_close`` and ``amount`` optional)."""
        df = bars.sort("symbol", "trade_date")
        turnover = (
            pl.col("turnover").cast(pl.Float64) if "turnover" in df.columns else pl.lit(None, pl.Float64)
        )
        if "float_shares" in df.columns:
            turnover = turnover.fill_null(pl.col("volume") / pl.col("float_shares") * 100.0)
        df = df.with_columns(
            pl.col("trade_date").cast(pl.Date).cast(pl.Int64).alias("day"),
            turnover.alias("turnover"),
            *(pl.lit(None, pl.Float64).alias(c) for c in ("pre_close", "amount") if c not in df.columns),
        )
        arrays = {
            c: np.ascontiguousarray(
                df[c].cast(pl.Int64 if c == "day" else pl.Float64).fill_null(np.nan).to_numpy()
            )
            for c in BAR_ARRAYS
        }
        runs = df["symbol"].rle()
        offsets = np.zeros(runs.len() + 1, dtype=np.int64)
        np.cumsum(runs.struct.field("len").to_numpy(), out=offsets[1:])
        return cls(tuple(runs.struct.field("value").to_list()), offsets, arrays)

    @property
    def n_stocks(self) -> int:
        return len(self.symbols)


@dataclass(frozen=True)
class Features:
    """Kernel features of a chunk cut at one day: ``F`` (len(FEATURES), n_rows), per-stock ``offsets`` into it,
    the bundle index of each stock, and each row's day number."""

    F: np.ndarray
    offsets: np.ndarray
    stocks: np.ndarray
    day: np.ndarray


def cut_rows(bundle: BarBundle, s: int, valid_from: int, history: int) -> tuple[int, int]:
    """Bundle rows of stock ``s`` strictly before day ``valid_from``, the last ``history`` of them."""
    a, e = int(bundle.offsets[s]), int(bundle.offsets[s + 1])
    e = a + int(np.searchsorted(bundle.arrays["day"][a:e], valid_from, side="left"))
    return max(a, e - history), e


def features(
    bundle: BarBundle, stocks: range, valid_from: int, history: int, slope_window: int = 5, min_rows: int = 30
) -> Features:
    """Physics features of ``stocks`` on rows before ``valid_from`` (last ``history`` rows each); stocks with
    fewer than ``min_rows`` such rows are left out. ``slope_window`` (days): "T_i rising" compares with this
    many bars back (the thermo strategy's default)."""
    spans = [(s, *cut_rows(bundle, s, valid_from, history)) for s in stocks]
    spans = [(s, a, e) for s, a, e in spans if e - a >= min_rows]
    keep = np.concatenate([np.arange(a, e) for _, a, e in spans]) if spans else np.zeros(0, dtype=np.int64)
    lengths = np.array([e - a for _, a, e in spans], dtype=np.int64)
    offsets = np.zeros(len(spans) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    arr = {k: v[keep] for k, v in bundle.arrays.items()}
    F = np.zeros((len(FEATURES), keep.shape[0]))
    if keep.shape[0] == 0:
        return Features(F, offsets, np.array([s for s, _, _ in spans], dtype=np.int64), arr["day"])
    frame = pl.DataFrame(
        {
            "symbol": np.repeat(np.array([bundle.symbols[s] for s, _, _ in spans]), lengths),
            "trade_date": pl.Series(arr["day"]).cast(pl.Int32).cast(pl.Date),
            **{
                c: arr[c]
                for c in ("open", "high", "low", "close", "pre_close", "volume", "amount", "turnover")
            },
        }
    ).with_columns(pl.col(c).fill_nan(None) for c in ("pre_close", "amount", "turnover"))
    phys = compute_physics(frame)
    close_adj = phys["t_f"].to_numpy()
    F[F_CLOSE] = close_adj
    F[F_OPEN] = arr["open"] * (close_adj / arr["close"])
    F[F_DT] = phys["dt"].to_numpy()
    F[F_K] = phys["k"].fill_null(np.nan).to_numpy()
    F[F_VR] = phys["vol_ratio"].fill_null(np.nan).to_numpy()
    F[F_QB] = phys["q_below"].fill_null(np.nan).to_numpy()
    F[F_BURN] = (phys["state"].to_numpy() == 3).astype(np.float64)
    F[F_LOCKED] = (arr["high"] == arr["low"]).astype(np.float64)
    ti, cost = phys["t_i"].to_numpy(), phys["avg_cost"].fill_null(np.nan).to_numpy()
    steady = np.zeros(keep.shape[0], dtype=bool)
    for i in range(len(spans)):
        a, e = offsets[i], offsets[i + 1]
        w = slope_window
        if e - a > w:
            up = (ti[a + w : e] > ti[a : e - w]) & (cost[a + w : e] > cost[a : e - w])
            steady[a + w : e] = up & (F[F_DT, a + w : e] > 0.0)
    F[F_STEADY] = steady.astype(np.float64)
    return Features(F, offsets, np.array([s for s, _, _ in spans], dtype=np.int64), arr["day"])
