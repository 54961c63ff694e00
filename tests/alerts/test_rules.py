"""The alerts the product raises: thresholds, levels, urgency and dedup keys."""

from __future__ import annotations

import datetime as dt

import pytest

from thermoquant.alerts import rules
from thermoquant.alerts.outbox import is_urgent

DAY = dt.date(2026, 6, 30)


def test_rejected_rows_above_the_threshold_only() -> None:
    assert rules.rejected_rows("daily_quote", DAY, 100, 100) is None
    alert = rules.rejected_rows("daily_quote", DAY, 101, 100)
    assert alert is not None and alert.key == "data_rejected|daily_quote|2026-06-30"
    assert "101" in alert.message and not is_urgent({"rule": alert.rule, "level": alert.level})


def test_calendar_ending() -> None:
    last = dt.date(2026, 12, 31)
    assert rules.calendar_ending(last, 21, DAY, 20) is None
    soon = rules.calendar_ending(last, 20, DAY, 20)
    assert soon is not None and soon.level == "warning" and "tq ingest trade_calendar" in soon.message
    past = rules.calendar_ending(last, -1, DAY, 20)
    assert past is not None and past.level == "critical"  # critical: sent at once
    assert is_urgent({"rule": past.rule, "level": past.level})


def test_urgent_rules() -> None:
    stop = rules.stop_triggered("stop_loss", "600000.SH", DAY, 9.5, 9.6)
    assert stop.urgent and stop.key == "stop_loss|600000.SH|2026-06-30" and "9.600" in stop.message
    with pytest.raises(ValueError, match="unknown stop rule"):
        rules.stop_triggered("trailing", "600000.SH", DAY, 1, 1)
    on = rules.kill_switch_changed(True, "drawdown 8 %", dt.datetime(2026, 6, 30, 10, 1))
    off = rules.kill_switch_changed(False, "reset", dt.datetime(2026, 6, 30, 10, 1))
    assert on.urgent and on.key != off.key  # engaging and releasing are two alerts
    failed = rules.job_failed("daily|2026-06-30:features", DAY, "MemoryError")
    assert failed.urgent and failed.level == "critical"
    assert not rules.daily_summary(DAY, "ok").urgent
