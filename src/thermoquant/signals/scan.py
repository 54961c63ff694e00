"""Full-market thermodynamic scan (seed 000 §三 "The Scan", seed 001 §3.1): blacklist, classify, keep the top.

Input is the physics frame of :func:`thermoquant.physics.thermo.compute_physics` (one row per stock-bar with
``state`` 0–3 = A/B/C/D, ``dt``, ``k``, ``q_below``, ``buy_point``, ``stop``) and the day's ``daily_quote`` rows
(``amount`` in CNY, ``is_st``), optionally the ``share_unlock`` table. Output is one row per stock for the scan
day, shaped like the ``signals`` table, so the daily job can store it as it is.

Signals (seed 000 §三.3/4):
- ``BUY``: state B (ignition) ranked in the top ``top_fraction`` of the eligible market by ``rank_by``, or state
  C (steady combustion) at its buy point (T_f back at T_i on shrinking volume);
- ``SELL``: state D (burnout) or the physical stop (T_f < T_i for longer than Δt);
- ``WATCH``: state A (cold storage) with fuel building, and B/C rows outside the top;
- blacklisted stocks get no signal row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from thermoquant.physics.states import State

STRATEGY = "thermo_scan"


@dataclass(frozen=True)
class ScanParams:
    """Scan thresholds; every one is a documented default that a param pack or the CLI may override.

    min_amount: blacklist a stock whose traded amount on the scan day is below this (CNY; seed 001: 2000万).
    exclude_st: blacklist stocks under risk warning that day (seed 001).
    unlock_days: blacklist stocks with a lock-up expiry within this many calendar days after the scan day.
    min_fuel: skip "cold furnaces" whose chip fuel at and below the price (q_below, share of float) is below this
        (seed 000 §三.1 初筛). 0.05 = 5% of the float within the fuel band below the price.
    top_fraction: share of the eligible market kept as ignition buys (seed 001: 0.5%).
    rank_by: physics column ranking the ignition candidates, highest first (default conductivity K).
    """

    min_amount: float = 20_000_000.0
    exclude_st: bool = True
    unlock_days: int = 30
    min_fuel: float = 0.05
    top_fraction: float = 0.005
    rank_by: str = "k"


def latest_market_day(quotes: pl.DataFrame, min_share: float = 0.5) -> dt.date:
    """The last trading day on which at least `min_share` of the busiest day's stock count traded.

    A store holding a whole-market window plus longer single-stock histories would otherwise "scan" a day on which
    only a handful of stocks have rows.
    """
    counts = quotes.group_by("trade_date").len("n")
    if counts.is_empty():
        raise ValueError("no quotes to scan")
    floor = min_share * counts["n"].max()
    return counts.filter(pl.col("n") >= floor)["trade_date"].max()


def blacklist(
    quotes: pl.DataFrame, as_of: dt.date, params: ScanParams, unlocks: pl.DataFrame | None = None
) -> pl.DataFrame:
    """(symbol, reason) of the stocks excluded on `as_of`; `quotes` holds daily_quote rows of that day."""
    day = quotes.filter(pl.col("trade_date") == as_of)
    reasons = [
        day.filter(pl.col("amount").fill_null(0.0) < params.min_amount).select(
            "symbol", pl.lit(f"amount<{params.min_amount:,.0f}").alias("reason")
        )
    ]
    if params.exclude_st and "is_st" in day.columns:
        reasons.append(
            day.filter(pl.col("is_st").fill_null(False)).select("symbol", pl.lit("st").alias("reason"))
        )
    if unlocks is not None and not unlocks.is_empty():
        horizon = as_of + dt.timedelta(days=params.unlock_days)
        reasons.append(
            unlocks.filter(pl.col("unlock_date").is_between(as_of, horizon))
            .select("symbol", pl.lit(f"unlock<= {params.unlock_days}d").alias("reason"))
            .unique("symbol")
        )
    return pl.concat(reasons).group_by("symbol").agg(pl.col("reason").str.join(",")).sort("symbol")


def scan(
    physics: pl.DataFrame,
    quotes: pl.DataFrame,
    as_of: dt.date | None = None,
    params: ScanParams | None = None,
    unlocks: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Signals of the scan day (default: the last date in `physics`), one row per eligible stock with a signal.

    Columns: the ``signals`` table's (strategy, symbol, signal_time, signal, state, score, details) plus
    ``rank`` (1 = best ignition candidate; null for other rows).
    """
    p = params or ScanParams()
    day = as_of or physics["trade_date"].max()
    if p.rank_by not in physics.columns:
        raise KeyError(f"rank_by={p.rank_by!r} is not a physics column; have {physics.columns}")
    today = physics.filter(pl.col("trade_date") == day)
    banned = blacklist(quotes, day, p, unlocks)
    eligible = today.join(banned, on="symbol", how="anti").filter(pl.col("q_below") >= p.min_fuel)
    n_top = max(1, round(p.top_fraction * eligible.height)) if eligible.height else 0
    ignition = (
        eligible.filter(pl.col("state") == State.IGNITION)
        .sort(p.rank_by, descending=True, nulls_last=True)
        .head(n_top)
        .with_row_index("rank", offset=1)
        .select("symbol", pl.col("rank").cast(pl.Int32))
    )
    state_name = pl.col("state_name")
    signal = (
        pl.when(pl.col("rank").is_not_null())
        .then(pl.lit("BUY"))
        .when((pl.col("state") == State.STEADY) & pl.col("buy_point"))
        .then(pl.lit("BUY"))
        .when((pl.col("state") == State.BURNOUT) | pl.col("stop"))
        .then(pl.lit("SELL"))
        .otherwise(pl.lit("WATCH"))
    )
    details = pl.struct("dt", "k", "q_below", "profit_ratio", "vol_ratio").struct.json_encode()
    return (
        eligible.join(ignition, on="symbol", how="left")
        .select(
            pl.lit(STRATEGY).alias("strategy"),
            "symbol",
            pl.lit(dt.datetime.combine(day, dt.time(15, 0))).alias("signal_time"),
            signal.alias("signal"),
            state_name.alias("state"),
            pl.col(p.rank_by).cast(pl.Float64).alias("score"),
            details.alias("details"),
            "rank",
        )
        .sort(pl.col("rank").is_null(), "rank", "symbol")
    )


def scan_summary(signals: pl.DataFrame) -> pl.DataFrame:
    """Counts of the scan day's signals by state and signal."""
    return signals.group_by("state", "signal").len("stocks").sort("state", "signal")
