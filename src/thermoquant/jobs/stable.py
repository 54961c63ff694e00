"""The stable-layer alert job (seed 002 §四): check fundamentals and valuations as of a day, store each alert in
``signals`` (strategy ``stable_alert``, layer ``stable``) and in ``alerts_log`` (pending delivery).

Contract with the alert sender (ops): an ``alerts_log`` row has a deterministic ``alert_id`` (re-running the check
rewrites the same row, never a second one), ``alert_time`` (trigger day 15:00), ``level``, ``rule``
(``stable.<rule>``), ``symbol`` and ``message`` (with the figures that triggered it); ``delivered`` is left NULL =
pending, and since a null never erases a stored value, a row the sender has marked delivered stays delivered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from thermoquant.data.job_log import job_run
from thermoquant.jobs.context import JobContext
from thermoquant.signals.stable import StableParams, alert_log_rows, signal_rows, stable_alerts

VALUATION_HISTORY_DAYS = 4 * 366
"""Calendar days of ``daily_valuation`` read before the window (covers the 3-year percentile and the rise)."""


@dataclass
class StableResult:
    """The window checked, its events (one row per alert) and rows changed per table."""

    start: dt.date
    end: dt.date
    events: pl.DataFrame
    written: dict[str, int]
    job_id: str


def latest_data_day(store: object) -> dt.date | None:
    """The last day any fundamentals or valuations are known: max ann_date / trade_date stored."""
    days = [
        store.query("SELECT max(ann_date) AS d FROM finance_data")["d"][0],  # type: ignore[attr-defined]
        store.query("SELECT max(trade_date) AS d FROM daily_valuation")["d"][0],  # type: ignore[attr-defined]
    ]
    known = [d for d in days if d is not None]
    return max(known) if known else None


def run_stable_alerts(
    ctx: JobContext, day: dt.date | None = None, days: int = 90, params: StableParams | None = None
) -> StableResult:
    """Alerts triggered in the ``days`` calendar days up to ``day`` (default: today, or the last day with data
    when that is earlier), stored (idempotent)."""
    with ctx.open_store() as store, job_run(store, "stable_alerts", args={"date": day, "days": days}) as log:
        end = day or min(ctx.today, latest_data_day(store) or ctx.today)
        start = end - dt.timedelta(days=days - 1)
        finance = store.read("finance_data", end=None)
        valuation = store.read(
            "daily_valuation", columns=["symbol", "trade_date", "pe_ttm", "pb"],
            start=start - dt.timedelta(days=VALUATION_HISTORY_DAYS), end=end,
        )  # fmt: skip
        events = stable_alerts(finance, valuation, start, end, params)
        written = {"signals": 0, "alerts_log": 0}
        if events.height:
            written["signals"] = store.upsert("signals", signal_rows(events))
            written["alerts_log"] = store.upsert("alerts_log", alert_log_rows(events))
        log.args.update({"date": end, "start": start})
        log.rows_in = finance.height + valuation.height
        log.rows_written = sum(written.values())
    return StableResult(start, end, events, written, log.job_id)


def read_stable_alerts(ctx: JobContext, start: dt.date, end: dt.date) -> pl.DataFrame:
    """Stored stable-layer alerts (alerts_log rows ``stable.*``) with alert_time in [start, end], newest first."""
    with ctx.open_store() as store:
        rows = store.read("alerts_log", start=start, end=end)
    return rows.filter(pl.col("rule").str.starts_with("stable.")).sort(
        ["alert_time", "symbol"], descending=[True, False]
    )
