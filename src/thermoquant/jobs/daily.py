"""`tq daily`: the post-close chain of one trading day on the user's database, as a step table.

Each row is ``Step(name, depends_on, function)`` (:mod:`.chain` runs them: resumable, idempotent, logged in
``job_step`` and ``job_log``; a failure stops only its dependents and raises an urgent alert). Today's chain:

    ingest:<dataset> …  (every dataset of ``[daily] datasets``, fund-flow snapshot included)
      → complete        (the day's bars arrived: a late feed is a failure, not a holiday)
        → features      (the day's factors, incremental)
        → physics       (the day's thermodynamic states)
          → signals:thermo_scan (the full-market scan, reusing the physics step's file)
            → evolve    (the nightly parameter regression: packs valid from the next session)
            → signals:<strategy> … (``[daily] strategies``)
        → signals:attack_score (the attack layer's scores; after features and physics)
    ingest:finance_data, ingest:daily_valuation (when configured; else nothing)
      → stable          (stable-layer checks: alerts pending in alerts_log, sent by the digest)
    alerts              (always last: calendar-end check, the day's summary, the digest)

A new step is one more ``Step`` line in :func:`daily_steps`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from thermoquant.alerts.ratelimit import Clock, SystemClock
from thermoquant.config import Settings
from thermoquant.jobs import daily_steps as s
from thermoquant.jobs.chain import ChainReport, RunContext, Step, StepOutcome, run_chain
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.lock import chain_lock
from thermoquant.market.calendar import is_trading_day


class NotATradingDayError(ValueError):
    """``tq daily --date D`` on a day the XSHG calendar says was closed."""


DEFAULT_DATASETS: dict[str, list[str]] = {
    "trade_calendar": [],
    "stock_info": [],
    "daily_quote": [],
    "funds_flow": [],
}
"""What `tq daily` ingests when ``[daily] datasets`` is not set, each from its default fallback order
(:func:`thermoquant.data.ingest.default_sources`), in this order: the exchange calendar as far ahead as published,
the stock list (new listings, names, ST renames, industries), the day's bars of every stock (the after-close
snapshot, then per stock for the rest), and the per-stock fund flow (Eastmoney keeps about 100 days: a day missed
for longer cannot be fetched again)."""


def daily_datasets(settings: Settings) -> dict[str, list[str]]:
    """``[daily] datasets``, or :data:`DEFAULT_DATASETS` when it is not set (``{}``: no ingest step)."""
    configured = settings.daily.datasets
    return dict(DEFAULT_DATASETS) if configured is None else configured


def daily_steps(settings: Settings) -> list[Step]:
    """The step table of the daily chain for these settings."""
    cfg = settings.daily
    datasets = daily_datasets(settings)
    ingest = [Step(f"ingest:{d}", (), s.ingest_step(d, srcs)) for d, srcs in datasets.items()]
    names = tuple(step.name for step in ingest)
    stable_inputs = tuple(f"ingest:{d}" for d in s.STABLE_DATASETS if d in datasets)
    scan, scores = "signals:thermo_scan", "signals:attack_score"
    others = [n for n in cfg.strategies if n not in ("thermo_scan", "attack_score")]
    table = [
        *ingest,
        Step("complete", names, s.complete_step),
        Step("features", ("complete",), s.features_step),
        Step("physics", ("complete",), s.physics_step),
        Step(scan, ("physics",), s.signals_step("thermo_scan")),
        Step(scores, ("features", "physics"), s.signals_step("attack_score")),
        Step("stable", stable_inputs, s.stable_step),
        Step("evolve", (scan,), s.evolve_step),
        *[Step(f"signals:{n}", (scan,), s.signals_step(n)) for n in others],
    ]
    table.append(Step("alerts", tuple(step.name for step in table), s.alerts_step, always=True))
    return table


def run_key(day: dt.date) -> str:
    return f"daily|{day.isoformat()}"


def run_daily(
    ctx: JobContext,
    day: dt.date | None = None,
    *,
    force: bool = False,
    clock: Clock | None = None,
    on_step: Callable[[StepOutcome | str], None] | None = None,
) -> ChainReport:
    """Run the chain for ``day`` (default: today). A re-run of the same day redoes only what is not done.

    One run per database at a time (:func:`thermoquant.jobs.lock.chain_lock`; a dead run's lock is taken over).

    Raises:
        NotATradingDayError: the calendar says the exchange was closed on ``day``.
        ChainLockedError: another live process runs the chain on this database.
    """
    day = day or ctx.today
    if not is_trading_day(day):
        raise NotATradingDayError(f"{day} 不是交易日 is not an XSHG trading day")
    rc = RunContext(ctx, day, run_key(day), clock or SystemClock())
    url = ctx.db_url or ctx.settings.resolved_database_url
    with chain_lock("daily", url, ctx.settings.ensure_data_dir()) as lock:
        report = run_chain(rc, daily_steps(ctx.settings), force=force, on_step=on_step)
    report.stale_lock = lock.stale
    return report
