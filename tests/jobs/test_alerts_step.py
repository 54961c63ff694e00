"""The daily chain's last step raises the calendar-end alert into the digest when the trading calendar's last known
date is within ``[alerts] calendar_warn_days``, and not before."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from thermoquant.data.store import open_store
from thermoquant.jobs.chain import RunContext
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.daily_steps import alerts_step
from thermoquant.market.calendar import calendar_status


def _rules(tmp_path: Path, today: dt.date) -> dict[str, str]:
    url = f"duckdb:///{tmp_path / f'{today}.duckdb'}"
    ctx = JobContext(db_url=url, today=today)
    with open_store(url) as store:
        alerts_step(RunContext(ctx, today, f"daily|{today}", store=store))
        log = store.read("alerts_log")
    return dict(zip(log["rule"].to_list(), log["message"].to_list(), strict=True))


def test_calendar_end_is_raised_within_the_warning_window(tmp_path: Path) -> None:
    last = calendar_status(dt.date(2026, 6, 30)).last
    warn_days = JobContext().settings.alerts.calendar_warn_days
    near = _rules(tmp_path, last - dt.timedelta(days=warn_days))
    assert str(last) in near["calendar_end"] and f"{warn_days} days" in near["calendar_end"]
    assert "daily_summary" in near
    far = _rules(tmp_path, last - dt.timedelta(days=warn_days + 1))
    assert "calendar_end" not in far and "daily_summary" in far
