"""The daily scan job: a strategy's signals of one day, on the user's own database, stored in ``signals``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from thermoquant.data.job_log import job_run
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.inputs import read_param_packs
from thermoquant.jobs.panels import build_panel, latest_stored_day
from thermoquant.strategies.registry import get_strategy


@dataclass
class ScanResult:
    """The day scanned, its signals (sorted best first), how many rows changed in ``signals``, the panel's size."""

    day: dt.date
    strategy: str
    signals: pl.DataFrame
    stored: int
    stocks: int
    days: int
    job_id: str


def daily_scan(
    ctx: JobContext,
    day: dt.date | None = None,
    strategy: str = "thermo_scan",
    params: dict[str, Any] | None = None,
    *,
    source: str = "store",
    mode: str = "reference",
    physics: pl.DataFrame | None = None,
) -> ScanResult:
    """Signals of ``strategy`` on ``day`` (default: the latest complete market day stored), written to ``signals``.
    ``physics``: the day's physics already computed with the packs in force (the daily chain's physics step), for
    a strategy reading only the scanned day's rows; None = computed here over the warm-up window.

    Re-running the same day rewrites the same rows (idempotent)."""
    strat = get_strategy(strategy)
    p = ctx.strategy_params(strategy, params)
    args = {"date": day, "strategy": strategy, "params": p.to_dict(), "source": source}
    with ctx.open_store() as store, job_run(store, "daily_scan", args=args) as log:
        on = day or latest_stored_day(store)
        log.args["date"] = on
        packs = read_param_packs(store, on)  # the packs in force on the scanned day, never a later one
        log.args["param_packs"] = len(packs)
        panel = build_panel(store, strategy, source, mode, on, on, p, ctx.progress, packs or None, physics)
        rows = strat.signals(panel, p, on)
        stored = store.upsert("signals", rows) if rows.height else 0
        log.rows_in = sum(f.height for f in panel.frames.values())
        log.rows_written = stored
        bars = panel.frames.get("bars")
        stocks = bars["symbol"].n_unique() if bars is not None else rows.height
        physics = panel.frames.get("physics")
        days = physics["trade_date"].n_unique() if physics is not None else 1
    return ScanResult(on, strategy, _best_first(rows), stored, stocks, days, log.job_id)


def _best_first(rows: pl.DataFrame) -> pl.DataFrame:
    order = pl.col("signal").replace_strict({"BUY": 0, "SELL": 1, "HOLD": 2, "WATCH": 3}, default=4)
    return rows.with_columns(order.alias("_o")).sort("_o", pl.col("score"), descending=[False, True],
                                                     nulls_last=True).drop("_o")  # fmt: skip
