"""Reading back what the daily chain stored: the signals of a day, and one stock's overview.

Both return frames (or a dataclass of frames) for the CLI and the dashboard to print; nothing here prints.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

SIGNAL_COLUMNS = ("strategy", "symbol", "name", "signal_time", "signal", "state", "score")
"""Columns of :func:`read_signals`: the ``signals`` table's, with the stock's ``name`` from ``stock_info``."""


def _names(store: Any, symbols: list[str]) -> pl.DataFrame:
    return (
        store.read("stock_info", symbols=symbols, columns=["symbol", "name"])
        if symbols
        else pl.DataFrame(schema={"symbol": pl.Utf8, "name": pl.Utf8})
    )


def latest_signal_day(store: Any, strategy: str | None = None) -> dt.date | None:
    """The last day with a stored signal (of `strategy`, when given); None when there is none."""
    where = {"strategy": strategy} if strategy else None
    times = store.read("signals", where=where, columns=["signal_time"])["signal_time"]
    last = times.max()
    return last.date() if isinstance(last, dt.datetime) else None


def read_signals(
    store: Any, day: dt.date | None = None, strategy: str | None = None, symbol: str | None = None
) -> pl.DataFrame:
    """Stored signals of `day` (default: the latest day with signals; all days when `symbol` is given and `day` is
    not), optionally of one `strategy` and one `symbol`; columns :data:`SIGNAL_COLUMNS`, BUY first, then by score
    (highest first)."""
    where: dict[str, Any] = {}
    if strategy:
        where["strategy"] = strategy
    if day is None and symbol is None:
        day = latest_signal_day(store, strategy)
        if day is None:
            return pl.DataFrame(schema=dict.fromkeys(SIGNAL_COLUMNS, pl.Utf8))
    rows = store.read(
        "signals", where=where or None, start=day, end=day, symbols=[symbol] if symbol else None
    )
    order = pl.col("signal").replace_strict({"BUY": 0, "SELL": 1}, default=2, return_dtype=pl.Int8)
    named = rows.join(_names(store, rows["symbol"].unique().to_list()), on="symbol", how="left")
    return named.sort(order, pl.col("score"), descending=[False, True], nulls_last=True).select(
        SIGNAL_COLUMNS
    )


@dataclass(frozen=True)
class StockOverview:
    """One stock as stored: ``info`` (its stock_info row, None when unknown), the last ``bars``, the thermo state of
    its last bar (``thermo``: date, state, ΔT, K, fuel; None without enough bars), the ST periods, the index
    memberships in force on the last bar, and its stored signals (newest first)."""

    symbol: str
    info: dict[str, Any] | None
    bars: pl.DataFrame
    thermo: dict[str, Any] | None
    st: pl.DataFrame
    indices: pl.DataFrame
    signals: pl.DataFrame


def stock_overview(store: Any, symbol: str, *, last: int = 5, signals: int = 10) -> StockOverview:
    """Everything stored about `symbol` (house form, e.g. 000025.SZ); the thermo state is computed from all its
    stored bars (`thermoquant.physics.thermo.compute_physics`)."""
    from thermoquant.physics.thermo import compute_physics

    info_rows = store.read("stock_info", symbols=[symbol])
    info = info_rows.row(0, named=True) if info_rows.height else None
    bars = store.read("daily_quote", symbols=[symbol])
    thermo = None
    traded = bars.filter(pl.col("volume") > 0)
    if traded.height >= 2:
        phys = compute_physics(traded).tail(1).row(0, named=True)
        thermo = {
            k: phys[k] for k in ("trade_date", "state_name", "dt", "k", "q_below", "profit_ratio", "stop")
        }
    day = bars["trade_date"].max() if bars.height else None
    members = store.read("index_member", symbols=[symbol])
    if day is not None:
        members = members.filter(
            (pl.col("in_date") <= day) & (pl.col("out_date").is_null() | (pl.col("out_date") >= day))
        )
    stored = read_signals(store, symbol=symbol).sort("signal_time", descending=True).head(signals)
    return StockOverview(
        symbol=symbol,
        info=info,
        bars=bars.tail(last).select(
            "trade_date", "open", "high", "low", "close", "volume", "amount", "turnover"
        ),
        thermo=thermo,
        st=store.read("st_history", symbols=[symbol]).select("start_date", "end_date", "kind"),
        indices=members.select("index_code", "in_date", "out_date"),
        signals=stored,
    )
