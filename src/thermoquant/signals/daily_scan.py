"""The scan over what the store holds: read bars, ST history and lock-up expiries, run physics and the scan.

:func:`scan_store` is the daily job's scan step without any printing (the CLI and the demo print its result).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from thermoquant.signals.scan import ScanParams, latest_market_day, scan

QUOTE_COLUMNS = (
    "symbol", "trade_date", "open", "high", "low", "close", "pre_close", "volume", "amount", "turnover",
    "float_shares", "is_suspended", "is_st",
)  # fmt: skip


@dataclass(frozen=True)
class ScanRun:
    """One scan: its signals (``signals`` table columns plus ``rank``), the day, and what it ran over."""

    signals: pl.DataFrame
    day: dt.date
    stocks: int
    days: int
    bars: int


def scan_store(store: Any, as_of: dt.date | None = None, params: ScanParams | None = None) -> ScanRun:
    """Scan `as_of` (default: :func:`latest_market_day`) over every stored ``daily_quote`` bar, blacklisting by
    amount, ``share_unlock`` and ST (``daily_quote.is_st`` or an ``st_history`` interval covering the day)."""
    quotes = store.read("daily_quote", columns=list(QUOTE_COLUMNS))
    bars = quotes.filter(pl.col("volume") > 0)
    from thermoquant.physics.thermo import compute_physics

    physics = compute_physics(bars)
    day = as_of or latest_market_day(bars)
    signals = scan(
        physics,
        quotes,
        day,
        params,
        unlocks=store.read("share_unlock"),
        st_history=store.read("st_history"),
    )
    return ScanRun(signals, day, bars["symbol"].n_unique(), bars["trade_date"].n_unique(), bars.height)
