"""The scheduler's jobs and triggers (APScheduler 3, one process, Asia/Shanghai).

=====================  ======================================================================================
job                    when
=====================  ======================================================================================
``daily``              ``[schedule] daily_at`` on every XSHG trading day (the calendar decides, never whether
                       data arrived: a late feed fails the chain's completeness step and alerts)
``constituents``       CSI500 (000905.SH) membership refresh: the 1st of each month at ``constituents_monthly_at``,
                       the second Saturday of June and December at ``constituents_semiannual_at`` (seed 004)
``calendar_check``     each December on ``calendar_check_day`` at ``calendar_check_at``: refresh the trading
                       calendar, alert when next year's sessions are still missing
``alerts``             every :data:`ALERTS_EVERY` seconds: send urgent alerts and retries that are due
=====================  ======================================================================================

Every job is coalesced (a run missed several times runs once), never runs twice at a time, and still runs when it
is late by up to ``misfire_grace_hours``. On start, a daily chain whose last due day is unfinished and within the
grace is run at once (the process was not running at its time). The chain itself is idempotent and resumable, so a
repeated start never repeats work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from thermoquant.clock import SHANGHAI, now_shanghai
from thermoquant.config import ScheduleSettings
from thermoquant.data.job_log import JobRecord, write_job_log
from thermoquant.jobs.context import JobContext
from thermoquant.market.calendar import CalendarRangeError, calendar_status, is_trading_day

ALERTS_EVERY = 60
"""Seconds between two drains of the alert outbox (urgent alerts, due retries)."""

SEARCH_DAYS = 400
"""Days a trigger looks ahead for its next time."""


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value.astimezone(SHANGHAI)


def _start(previous: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """Where the search for the next time begins (APScheduler asks again from the last fire to find missed ones)."""
    now = _aware(now)
    if previous is None:
        return now
    return min(now, _aware(previous) + dt.timedelta(microseconds=1))


def _is_session(day: dt.date) -> bool:
    """The calendar's answer; past its last known date, a weekday counts (the chain then fails with the
    calendar's error and alerts — a missing calendar must not silence the schedule)."""
    try:
        return is_trading_day(day)
    except CalendarRangeError:
        return day.weekday() < 5


class TradingDayTrigger(BaseTrigger):
    """Fires at ``at`` (Asia/Shanghai) on XSHG trading days."""

    __slots__ = ("at",)

    def __init__(self, at: dt.time) -> None:
        self.at = at

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        start = _start(previous_fire_time, now)
        day = start.date()
        for _ in range(SEARCH_DAYS):
            fire = dt.datetime.combine(day, self.at, tzinfo=SHANGHAI)
            if fire >= start and _is_session(day):
                return fire
            day += dt.timedelta(days=1)
        return None

    def __str__(self) -> str:
        return f"XSHG trading days at {self.at:%H:%M}"


class ConstituentTrigger(BaseTrigger):
    """Fires at seed 004's CSI500 refresh times (:func:`thermoquant.data.ingest.constituent_refresh_times`)."""

    __slots__ = ("monthly_at", "semiannual_at")

    def __init__(self, monthly_at: dt.time, semiannual_at: dt.time) -> None:
        self.monthly_at, self.semiannual_at = monthly_at, semiannual_at

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        from thermoquant.data.ingest import constituent_refresh_times

        start = _start(previous_fire_time, now)
        for year in (start.year, start.year + 1):
            times = constituent_refresh_times(
                year, monthly_at=self.monthly_at, semiannual_at=self.semiannual_at
            )
            for t in times:
                fire = t.replace(tzinfo=SHANGHAI)
                if fire >= start:
                    return fire
        return None

    def __str__(self) -> str:
        return f"1st of month at {self.monthly_at:%H:%M}; 2nd Saturday of June/December at {self.semiannual_at:%H:%M}"


def daily_due_day(now: dt.datetime, at: dt.time) -> dt.date:
    """The trading day whose chain is the latest one due at ``now``: today once past ``at`` on a trading day,
    else the trading day before. A late (coalesced) run therefore works on the day it was scheduled for."""
    now = _aware(now).replace(tzinfo=None)
    day = now.date() if now.time() >= at else now.date() - dt.timedelta(days=1)
    for _ in range(SEARCH_DAYS):
        if _is_session(day):
            return day
        day -= dt.timedelta(days=1)
    raise CalendarRangeError(f"no trading day in the {SEARCH_DAYS} days before {now:%Y-%m-%d}")


# ---------------------------------------------------------------------------------------------------------------
# the jobs
# ---------------------------------------------------------------------------------------------------------------


def daily_job(ctx: JobContext, now: dt.datetime | None = None) -> str:
    """The daily chain of the latest due trading day."""
    from thermoquant.jobs.daily import run_daily

    day = daily_due_day(now or now_shanghai(), ctx.settings.schedule.daily_at)
    report = run_daily(ctx, day)
    if report.failed:
        raise ChainFailedError(f"daily {day}: failed steps {', '.join(report.failed)}")
    return f"daily {day}: ok"


def constituents_job(ctx: JobContext, now: dt.datetime | None = None) -> str:
    """Refresh the CSI500 membership (``index_weight`` of 000905.SH) from the default sources."""
    from thermoquant.data.ingest import CSI500, default_sources, make_source, run_ingest

    with ctx.open_store() as store:
        report = run_ingest(store, "index_weight", [make_source(n) for n in default_sources("index_weight")],
                            symbols=[CSI500])  # fmt: skip
    if report.status == "failed":
        raise RuntimeError(f"index_weight {CSI500}: every source failed")
    return f"index_weight {CSI500}: {report.status}, {report.rows_written} rows"


def calendar_job(ctx: JobContext, now: dt.datetime | None = None) -> str:
    """Try to extend the calendar from the vendors, then alert (at once) while next year is not fully known."""
    from thermoquant.alerts import rules
    from thermoquant.data.ingest import default_sources, make_source, run_ingest
    from thermoquant.jobs.alerts import raise_and_send

    today = (now or now_shanghai()).date()
    note = ""
    with ctx.open_store() as store:
        try:
            run_ingest(store, "trade_calendar", [make_source(n) for n in default_sources("trade_calendar")])
        except Exception as exc:  # reported in the alert below; the check itself must still run
            note = f" (更新失败 refresh failed: {type(exc).__name__})"
        status = calendar_status(today)
        needed = dt.date(today.year + 1, 12, 31)
        if status.last < needed:
            alert = rules.calendar_ending(status.last, status.days_left, today, status.days_left)
            assert alert is not None
            alert = replace(alert, urgent=True, message=alert.message + note)
            raise_and_send(ctx, store, [alert])
            return f"calendar ends {status.last}: alert raised{note}"
    return f"calendar ends {status.last}: ok"


def alerts_job(ctx: JobContext, now: dt.datetime | None = None) -> str:
    """Send urgent alerts and due retries."""
    from thermoquant.alerts.outbox import pending_rows
    from thermoquant.jobs.alerts import send_alerts

    with ctx.open_store() as store:
        if not pending_rows(store, (now or now_shanghai())):
            return ""  # nothing due: no job_log row every minute
    report = send_alerts(ctx)
    return f"sent {len(report.sent)}, failed {len(report.failed)}, waiting {len(report.waiting)}"


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    title: str
    trigger: BaseTrigger
    run: Callable[[JobContext, dt.datetime | None], str]
    quiet: bool = False
    """recorded in job_log only when it failed or did something (the minute-by-minute alert sender)"""


def scheduled_jobs(cfg: ScheduleSettings) -> list[ScheduledJob]:
    """The scheduler's job table."""
    at = cfg.calendar_check_at
    return [
        ScheduledJob("daily", "每日收盘后流程 daily chain", TradingDayTrigger(cfg.daily_at), daily_job),
        ScheduledJob("constituents", "中证500 成分股更新 CSI500 constituents",
                     ConstituentTrigger(cfg.constituents_monthly_at, cfg.constituents_semiannual_at),
                     constituents_job),
        ScheduledJob("calendar_check", "交易日历到期检查 calendar-end check",
                     CronTrigger(month=12, day=cfg.calendar_check_day, hour=at.hour, minute=at.minute,
                                 timezone=SHANGHAI), calendar_job),
        ScheduledJob("alerts", "告警发送 alert sender", IntervalTrigger(seconds=ALERTS_EVERY, timezone=SHANGHAI),
                     alerts_job, quiet=True),
    ]  # fmt: skip


def job_by_name(cfg: ScheduleSettings, name: str) -> ScheduledJob:
    jobs = {j.name: j for j in scheduled_jobs(cfg)}
    if name not in jobs:
        raise KeyError(f"未知任务 unknown job {name!r}; jobs: {', '.join(jobs)}")
    return jobs[name]


def next_runs(cfg: ScheduleSettings, now: dt.datetime, count: int = 3) -> dict[str, list[dt.datetime]]:
    """The next ``count`` times of every job after ``now`` (naive Asia/Shanghai)."""
    out: dict[str, list[dt.datetime]] = {}
    for job in scheduled_jobs(cfg):
        times: list[dt.datetime] = []
        previous: dt.datetime | None = None
        cursor = _aware(now)
        while len(times) < count:
            fire = job.trigger.get_next_fire_time(previous, cursor)
            if fire is None:
                break
            times.append(fire.astimezone(SHANGHAI).replace(tzinfo=None))
            previous, cursor = fire, fire + dt.timedelta(microseconds=1)
        out[job.name] = times
    return out


class ChainFailedError(RuntimeError):
    """Steps of the daily chain failed (each already raised its own alert)."""


def run_logged(ctx: JobContext, job: ScheduledJob, now: dt.datetime | None = None) -> str:
    """Run one job, recorded in ``job_log`` as ``schedule:<name>``; a failure raises an urgent alert (unless the
    daily chain's steps already did) and is re-raised."""
    from thermoquant.alerts.rules import job_failed
    from thermoquant.jobs.alerts import raise_and_send

    record = JobRecord(f"schedule:{job.name}", {"now": now})
    if not job.quiet:
        with ctx.open_store() as store:
            write_job_log(store, record)
    try:
        note = job.run(ctx, now)
    except Exception as exc:
        record.status, record.errors = "failed", [f"{type(exc).__name__}: {exc}"]
        record.finished_at = now_shanghai().replace(microsecond=0)
        with ctx.open_store() as store:
            write_job_log(store, record)
            if not isinstance(exc, ChainFailedError):
                day = (now or now_shanghai()).date()
                raise_and_send(ctx, store, [job_failed(f"schedule:{job.name}", day, str(exc))])
        raise
    record.status, record.gaps = "ok", [note]
    record.finished_at = now_shanghai().replace(microsecond=0)
    if not (job.quiet and not note):
        with ctx.open_store() as store:
            write_job_log(store, record)
    return note


def job_status(ctx: JobContext, limit: int = 10) -> Any:
    """The last runs of the scheduler's jobs (``job_log`` rows of ``schedule:*`` and ``daily:*``), newest first."""
    import polars as pl

    with ctx.open_store() as store:
        log = store.read("job_log", columns=["job", "status", "started_at", "finished_at", "errors", "gaps"])
    mine = log.filter(pl.col("job").str.starts_with("schedule:") | pl.col("job").str.starts_with("daily:"))
    return mine.sort("started_at", descending=True, nulls_last=True).head(limit)


# ---------------------------------------------------------------------------------------------------------------
# the process
# ---------------------------------------------------------------------------------------------------------------


def fresh(ctx: JobContext) -> JobContext:
    """A context for one run of a long-lived process: same settings and database, today's date."""
    return JobContext(settings=ctx.settings, db_url=ctx.db_url)


def catch_up_due(ctx: JobContext, now: dt.datetime) -> dt.date | None:
    """The day whose daily chain should run at once on start: the latest due day when its chain is not finished
    and its scheduled time is at most ``misfire_grace_hours`` ago; else None."""
    from thermoquant.jobs.chain import step_status
    from thermoquant.jobs.daily import daily_steps, run_key

    cfg = ctx.settings.schedule
    day = daily_due_day(now, cfg.daily_at)
    late = _aware(now) - dt.datetime.combine(day, cfg.daily_at, tzinfo=SHANGHAI)
    if late > dt.timedelta(hours=cfg.misfire_grace_hours):
        return None
    with ctx.open_store() as store:
        done = step_status(store, run_key(day))
    wanted = {s.name for s in daily_steps(ctx.settings)}
    return None if all(done.get(n) == "ok" for n in wanted) else day


def build_scheduler(
    ctx: JobContext, on_result: Callable[[str, bool, str], None] | None = None, *, blocking: bool = True
) -> Any:
    """An APScheduler 3 scheduler (blocking or background) with the job table: Asia/Shanghai, coalesce, one
    instance per job, misfire grace of ``misfire_grace_hours``; each run recorded by :func:`run_logged`."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    cfg = ctx.settings.schedule
    defaults = {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": int(cfg.misfire_grace_hours * 3600),
    }
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(timezone=SHANGHAI, job_defaults=defaults)
    for job in scheduled_jobs(cfg):
        scheduler.add_job(_runner(ctx, job, on_result), trigger=job.trigger, id=job.name, name=job.title)
    return scheduler


def _runner(
    ctx: JobContext, job: ScheduledJob, on_result: Callable[[str, bool, str], None] | None
) -> Callable[[], None]:
    def run() -> None:
        try:
            note = run_logged(fresh(ctx), job)
        except Exception as exc:
            if on_result is not None:
                on_result(job.name, False, f"{type(exc).__name__}: {exc}")
            return
        if on_result is not None:
            on_result(job.name, True, note)

    return run


def systemd_unit(command: str, data_dir: str, config: str | None, user: str | None) -> str:
    """A systemd service running ``command`` (``tq schedule run``) with the data directory (and tq.toml) in its
    environment; secrets stay in tq.toml or an ``EnvironmentFile`` the user adds, never in the unit."""
    env = [f"Environment=TQ_DATA_DIR={data_dir}"] + ([f"Environment=TQ_CONFIG={config}"] if config else [])
    lines = [
        "[Unit]",
        "Description=thermoquant scheduler (tq schedule run)",
        "After=network-online.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        *([f"User={user}"] if user else []),
        *env,
        "# secrets: EnvironmentFile=/etc/thermoquant/secrets.env (mode 600), or keep them in tq.toml",
        f"ExecStart={command}",
        "Restart=on-failure",
        "RestartSec=60",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ]
    return "\n".join(lines)
