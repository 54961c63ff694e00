"""Trading alerts: the trading layer's stop exits and kill-switch changes as urgent alerts (:mod:`thermoquant.alerts`).

The trading layer may not import alerts, so the jobs connect them: :func:`session_listener` is handed to the
intraday loop as its ``on_event`` callback (each take-profit / stop-loss / physical-stop exit and each drawdown
move of the kill switch is written to ``alerts_log`` and sent at once, at the tick it happens), and
:func:`kill_switch_alert` covers a person's `tq trade halt` / `tq trade resume`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from thermoquant.alerts.outbox import Alert
from thermoquant.alerts.rules import kill_switch_changed, stop_triggered
from thermoquant.jobs.alerts import raise_and_send
from thermoquant.jobs.context import JobContext
from thermoquant.trading.loop import SessionEvent
from thermoquant.trading.risk import TradingState


def kill_switch_alert(account: str, row: Mapping[str, Any], at: dt.datetime) -> Alert:
    """The alert of ``account``'s stored ``trading_state`` ``row`` after a change (``at``: when it was stored)."""
    state = row["state"] or TradingState.ACTIVE.value
    engaged = state != TradingState.ACTIVE.value
    return kill_switch_changed(engaged, f"{state} — {row['reason'] or '-'}", at, account=account)


def event_alert(event: SessionEvent, account: str, day: dt.date) -> Alert:
    """The urgent alert of one session event (stop exit or drawdown kill-switch change)."""
    if event.kind == "kill_switch":
        return kill_switch_alert(account, {"state": event.state, "reason": event.reason}, event.at)
    return stop_triggered(
        event.kind,
        event.symbol or "",
        day,
        float(event.price or 0.0),
        float(event.trigger or 0.0),
        account=account,
    )


def session_listener(
    ctx: JobContext, store: Any, account: str, day: dt.date
) -> Callable[[SessionEvent], None]:
    """The loop's ``on_event``: write the event's alert to the outbox and send urgent alerts at once."""

    def listen(event: SessionEvent) -> None:
        raise_and_send(ctx, store, [event_alert(event, account, day)])

    return listen
