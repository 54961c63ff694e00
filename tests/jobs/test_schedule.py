"""The scheduler's triggers on injected dates (holidays, weekends, the second-Saturday rule, missed runs), its
APScheduler settings, the start-up catch-up, and `tq schedule list / run-once / status / unit`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from thermoquant.cli import app
from thermoquant.clock import SHANGHAI
from thermoquant.config import ScheduleSettings, get_settings
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.daily import daily_steps
from thermoquant.jobs.schedule import (
    ConstituentTrigger,
    TradingDayTrigger,
    build_scheduler,
    catch_up_due,
    daily_due_day,
    next_runs,
)

runner = CliRunner()
T = dt.time(17, 30)


def at(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)


def fire(trigger: object, now: str, previous: str | None = None) -> str:
    got = trigger.get_next_fire_time(at(previous) if previous else None, at(now))  # type: ignore[attr-defined]
    return f"{got:%Y-%m-%d %H:%M}"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2024-09-27 10:00", "2024-09-27 17:30"),  # a trading Friday before the time: today
        (
            "2024-09-27 18:00",
            "2024-09-30 17:30",
        ),  # after it: Monday (Saturday 09-28 was a make-up workday, not a session)
        ("2024-09-30 18:00", "2024-10-08 17:30"),  # National Day: 10-01 … 10-07 closed
        ("2024-02-08 18:00", "2024-02-19 17:30"),  # Spring Festival 2024: 02-09 … 02-18 closed
        ("2024-06-08 12:00", "2024-06-11 17:30"),  # Saturday, then Dragon Boat Monday 06-10 closed
        ("2024-01-01 09:00", "2024-01-02 17:30"),  # New Year's Day
    ],
)
def test_daily_runs_on_trading_days_only(now: str, expected: str) -> None:
    assert fire(TradingDayTrigger(T), now) == expected


def test_missed_runs_are_found_from_the_previous_fire() -> None:
    # APScheduler asks again from the last fire to list what it missed (then coalesces them into one run)
    trigger = TradingDayTrigger(T)
    assert fire(trigger, "2024-10-10 09:00", previous="2024-09-30 17:30") == "2024-10-08 17:30"
    assert fire(trigger, "2024-10-10 09:00", previous="2024-10-08 17:30") == "2024-10-09 17:30"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2024-05-20 12:00", "2024-06-01 00:00"),  # the 1st of the month
        (
            "2024-06-01 00:01",
            "2024-06-08 22:00",
        ),  # June 2024 starts on a Saturday: the 2nd Saturday is the 8th
        ("2024-06-08 22:01", "2024-07-01 00:00"),
        ("2024-12-01 08:00", "2024-12-14 22:00"),  # December 2024 starts on a Sunday: the 14th
        ("2026-06-02 00:00", "2026-06-13 22:00"),  # June 2026 starts on a Monday: the 13th
        ("2024-12-14 22:00", "2024-12-14 22:00"),  # exactly at the time: fires
        ("2024-12-31 23:00", "2025-01-01 00:00"),  # across the year
    ],
)
def test_constituent_refresh_times(now: str, expected: str) -> None:
    assert fire(ConstituentTrigger(dt.time(0, 0), dt.time(22, 0)), now) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2024-09-30 18:00", dt.date(2024, 9, 30)),
        ("2024-09-30 09:00", dt.date(2024, 9, 27)),  # before today's time: the last session's chain
        ("2024-10-05 02:00", dt.date(2024, 9, 30)),  # asleep through the holiday: still 09-30
        ("2024-10-08 03:00", dt.date(2024, 9, 30)),
    ],
)
def test_a_late_run_works_on_the_day_it_was_scheduled_for(now: str, expected: dt.date) -> None:
    assert daily_due_day(at(now), T) == expected


def test_next_runs_and_the_scheduler_settings() -> None:
    cfg = ScheduleSettings(daily_at=dt.time(18, 5), misfire_grace_hours=8)
    runs = next_runs(cfg, dt.datetime(2024, 12, 10, 9, 0), 3)
    assert [f"{t:%m-%d %H:%M}" for t in runs["daily"]] == ["12-10 18:05", "12-11 18:05", "12-12 18:05"]
    assert [f"{t:%Y-%m-%d %H:%M}" for t in runs["constituents"]] == [
        "2024-12-14 22:00", "2025-01-01 00:00", "2025-02-01 00:00"]  # fmt: skip
    assert f"{runs['calendar_check'][0]:%Y-%m-%d %H:%M}" == "2024-12-20 09:00"
    ctx = JobContext(settings=get_settings().model_copy(update={"schedule": cfg}))
    scheduler = build_scheduler(ctx, blocking=False)
    scheduler.start(paused=True)  # jobs get the defaults when the scheduler starts
    jobs = {j.id: j for j in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(jobs) == {"daily", "constituents", "calendar_check", "alerts"}
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time == 8 * 3600
    assert isinstance(jobs["daily"].trigger, TradingDayTrigger)


def test_catch_up_on_start(tmp_path: Path) -> None:
    ctx = JobContext(db_url=f"duckdb:///{tmp_path / 'tq.duckdb'}")
    assert catch_up_due(ctx, dt.datetime(2024, 9, 30, 20, 0)) == dt.date(2024, 9, 30)  # 2.5 h late, not done
    assert catch_up_due(ctx, dt.datetime(2024, 10, 1, 3, 0)) is None  # 9.5 h late: past the 6 h grace
    with ctx.open_store() as store:
        rows = [{"run_key": "daily|2024-09-30", "step": s.name, "status": "ok"}
                for s in daily_steps(ctx.settings)]  # fmt: skip
        store.upsert("job_step", pl.DataFrame(rows))
    assert catch_up_due(ctx, dt.datetime(2024, 9, 30, 20, 0)) is None  # done already


def test_schedule_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TQ_DATA_DIR", str(tmp_path))
    # nothing to ingest (the default datasets would go to the network)
    (tmp_path / "tq.toml").write_text("[daily]\ndatasets = {}\n", encoding="utf-8")
    get_settings.cache_clear()
    result = runner.invoke(app, ["schedule", "list", "--from", "2024-09-30 18:00", "-n", "2"])
    assert result.exit_code == 0, result.output
    assert (
        "2024-10-08 Tue 17:30" in result.output and "2024-10-01" not in result.output.split("constituents")[0]
    )
    result = runner.invoke(app, ["schedule", "run-once", "nope"])
    assert result.exit_code == 2 and "calendar_check" in result.output
    result = runner.invoke(
        app, ["schedule", "run-once", "daily", "--date", "2024-09-28"]
    )  # Saturday: Friday's chain
    assert result.exit_code == 1  # the empty database's completeness step fails: reported, not a holiday
    result = runner.invoke(app, ["schedule", "status"])
    assert result.exit_code == 0 and "failed" in result.output
    with JobContext().open_store() as store:
        log = store.read("job_log", columns=["job", "status"])
    runs = dict(zip(log["job"].to_list(), log["status"].to_list(), strict=True))
    assert runs["schedule:daily"] == "failed" and runs["daily:complete"] == "failed"
    assert runs["daily:features"] == "skipped" and runs["daily:alerts"] == "ok"
    result = runner.invoke(app, ["schedule", "unit"])
    assert result.exit_code == 0 and "ExecStart=" in result.output and "schedule run" in result.output
    assert f"TQ_DATA_DIR={tmp_path.resolve()}" in result.output
    get_settings.cache_clear()


def test_the_alert_sender_logs_only_when_it_did_something(tmp_path: Path) -> None:
    from thermoquant.alerts.outbox import raise_alerts
    from thermoquant.alerts.rules import job_failed
    from thermoquant.jobs.schedule import job_by_name, run_logged

    ctx = JobContext(db_url=f"duckdb:///{tmp_path / 'tq.duckdb'}")
    sender = job_by_name(ctx.settings.schedule, "alerts")
    assert run_logged(ctx, sender) == ""
    with ctx.open_store() as store:
        assert store.read("job_log").is_empty()  # an idle minute leaves no row
        raise_alerts(store, [job_failed("x", dt.date(2024, 9, 30), "boom")], dt.datetime(2024, 9, 30, 18, 0))
    note = run_logged(ctx, sender)  # no channel configured: the alert stays pending, never "sent"
    assert note.startswith("sent 0")
    with ctx.open_store() as store:
        assert store.read("alerts_log")["status"].to_list() == ["pending"]
        assert store.read("job_log")["job"].to_list() == ["alerts_send", "schedule:alerts"]
