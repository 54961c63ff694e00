"""The alerts the product raises, each with its rule name, level and dedup key.

Urgent (sent at once): a failed job, a take-profit / stop-loss / physical-stop trigger, a kill-switch change.
Digest (once per daily run): rejected rows above the threshold, the calendar nearing its end, the daily summary.
The stable-layer checks write their own rows (see :mod:`.outbox`).
"""

from __future__ import annotations

import datetime as dt

from thermoquant.alerts.outbox import Alert

STOP_RULES = {
    "stop_loss": "止损 stop-loss",
    "take_profit": "止盈 take-profit",
    "physical_stop": "物理止损 physical stop",
}


def job_failed(job: str, day: dt.date | None, error: str) -> Alert:
    """A job (or a step of the daily chain) failed; one alert per job and day."""
    return Alert("job_failed", f"任务失败 job {job} failed: {error}", level="critical", day=day,
                 dedup_key=f"job_failed|{job}|{day or ''}", urgent=True)  # fmt: skip


def stop_triggered(
    rule: str, symbol: str, day: dt.date, price: float, trigger: float, *, account: str | None = None
) -> Alert:
    """A take-profit, stop-loss or physical stop of a held position fired (rule: a key of :data:`STOP_RULES`);
    prices CNY per share; ``account`` (optional) is named in the text and the dedup key."""
    if rule not in STOP_RULES:
        raise ValueError(f"unknown stop rule {rule!r}; known: {', '.join(STOP_RULES)}")
    who = f"账户 account {account}, " if account else ""
    text = f"{STOP_RULES[rule]}: {who}价格 price {price:.3f} CNY, 触发价 trigger {trigger:.3f} CNY"
    key = f"{rule}|{symbol}|{day}|{account}" if account else None
    return Alert(rule, text, level="critical", symbol=symbol, day=day, urgent=True, dedup_key=key)


def kill_switch_changed(engaged: bool, reason: str, at: dt.datetime, *, account: str | None = None) -> Alert:
    """The trading kill switch was engaged or released (``at``: when it was stored); ``account`` (optional) is named
    in the text and the dedup key."""
    state = "已触发 engaged" if engaged else "已解除 released"
    who = f" 账户 account {account}" if account else ""
    key = f"kill_switch|{engaged}|{at:%Y-%m-%dT%H:%M:%S}" + (f"|{account}" if account else "")
    return Alert("kill_switch", f"交易熔断 kill switch{who} {state}: {reason}", level="critical", urgent=True,
                 dedup_key=key)  # fmt: skip


def rejected_rows(dataset: str, day: dt.date, rejected: int, threshold: int) -> Alert | None:
    """Rows an ingest rejected by the quality rules, when more than ``threshold`` (rows); else None."""
    if rejected <= threshold:
        return None
    text = f"数据质量 {dataset}: {rejected} 行被拒 rows rejected (> {threshold}); see tq ingest / job_log"
    return Alert("data_rejected", text, symbol=None, day=day, dedup_key=f"data_rejected|{dataset}|{day}")


def ingest_partial(dataset: str, day: dt.date, text: str) -> Alert:
    """Some items of a daily ingest failed in every source (the rest was stored)."""
    return Alert("ingest_partial", text, day=day, dedup_key=f"ingest_partial|{dataset}|{day}")


def calendar_ending(last: dt.date, days_left: int, today: dt.date, warn_days: int) -> Alert | None:
    """The trading calendar's last known date is ``days_left`` days away (alert within ``warn_days``)."""
    if days_left > warn_days:
        return None
    text = (f"交易日历只到 {last}（还剩 {days_left} 天）/ calendar ends on {last} ({days_left} days): "
            "tq ingest trade_calendar, or tq calendar import FILE --holidays")  # fmt: skip
    level = "critical" if days_left < 0 else "warning"
    return Alert("calendar_end", text, level=level, day=today, dedup_key=f"calendar_end|{last}|{today}")


def daily_summary(day: dt.date, text: str) -> Alert:
    """The daily chain's summary line, carried by the digest (one per day)."""
    return Alert("daily_summary", text, level="info", day=day, urgent=False)
