"""``alerts_log`` as the outbox: an alert is written before anything is sent, and one sender drains the log.

**Writing** (:func:`raise_alerts`): each alert gets a dedup key (``rule|symbol|day`` unless given) and an
``alert_id`` derived from it; an alert whose id is already in the log is not written again, so a re-run raises
nothing twice. Other writers (the stable-layer checks) may insert rows of their own with a deterministic
``alert_id``, ``alert_time``, ``level``, ``rule``, ``symbol``, ``message`` and ``delivered`` null: a row whose
``status`` and ``delivered`` are null is pending like ours.

**Sending** (:class:`Sender.drain`): urgent alerts (:func:`is_urgent`: stops, kill switch, failed job, level
critical) one by one at once, to ``urgent_channels``; the rest only in the digest (``digest=True``, once per daily
run), to ``digest_channels`` — one message per channel, cut to the channel's size limit. A row's ``channels``, when
set, overrides both. Before each send the channel's rate limit is asked (:mod:`.ratelimit`): the sender waits up to
``max_wait`` seconds in all, then leaves the rest pending with ``next_attempt_at``. Each channel's result is kept in
``results`` (JSON: ok, attempts, code, detail, at, digest); a failure that may pass is retried after
``backoff_seconds`` × 2^(attempts−1) (at most ``backoff_max_seconds``), up to ``max_attempts``; one that needs a
configuration change is final at once. A row is ``sent`` (``delivered`` true) when every channel accepted it,
``failed`` / ``partial`` (``delivered`` false) when the remaining channels are final failures. The row is updated
right after each send, so a crash re-sends at most the message in flight (at-least-once).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from thermoquant.alerts.channels import AlertConfigError, channel_names
from thermoquant.alerts.message import digest, single
from thermoquant.alerts.notifier import Delivery, Message, Notifier
from thermoquant.alerts.ratelimit import Clock, RateLimiter, SystemClock
from thermoquant.config import AlertSettings
from thermoquant.secrets import mask

TABLE = "alerts_log"

URGENT_RULES: frozenset[str] = frozenset(
    {"stop_loss", "take_profit", "physical_stop", "kill_switch", "job_failed"}
)
"""Rules sent at once, not in the digest (with any alert of level ``critical``)."""

DIGEST_TITLE = "thermoquant 每日告警汇总 daily digest"


@dataclass(frozen=True)
class Alert:
    """An alert to raise. ``day``: the trading day it is about (part of the default dedup key).
    ``urgent``: None = decided by :func:`is_urgent`. ``channels``: None = the configured routing."""

    rule: str
    message: str
    level: str = "warning"
    symbol: str | None = None
    day: dt.date | None = None
    urgent: bool | None = None
    dedup_key: str | None = None
    channels: Sequence[str] | None = None

    @property
    def key(self) -> str:
        return self.dedup_key or "|".join([self.rule, self.symbol or "", str(self.day or "")])


def alert_id_of(dedup_key: str) -> str:
    """The alert_id of a dedup key: ``al-`` and 20 hex digits of its SHA-1."""
    return "al-" + hashlib.sha1(dedup_key.encode("utf-8")).hexdigest()[:20]


def is_urgent(row: Mapping[str, Any]) -> bool:
    """The row's ``urgent`` flag, else: its rule is one of :data:`URGENT_RULES` or its level is critical."""
    if row.get("urgent") is not None:
        return bool(row["urgent"])
    return row.get("rule") in URGENT_RULES or row.get("level") == "critical"


def raise_alerts(store: Any, alerts: Sequence[Alert], now: dt.datetime) -> list[str]:
    """Write the alerts not yet in the log (by dedup key) as pending; return the ids written."""
    if not alerts:
        return []
    by_id = {alert_id_of(a.key): a for a in alerts}
    known = store.read(TABLE, where={"alert_id": list(by_id)}, columns=["alert_id"])["alert_id"].to_list()
    rows = [
        {
            "alert_id": aid,
            "alert_time": now.replace(microsecond=0),
            "level": a.level,
            "rule": a.rule,
            "symbol": a.symbol,
            "message": mask(a.message),
            "channels": ",".join(a.channels) if a.channels else None,
            "status": "pending",
            "dedup_key": a.key,
            "urgent": a.urgent if a.urgent is not None else is_urgent({"rule": a.rule, "level": a.level}),
            "attempts": 0,
        }
        for aid, a in by_id.items()
        if aid not in set(known)
    ]
    if rows:
        store.upsert(TABLE, pl.DataFrame(rows, schema_overrides={"symbol": pl.Utf8, "channels": pl.Utf8}))
    return [r["alert_id"] for r in rows]


def pending_rows(store: Any, now: dt.datetime) -> list[dict[str, Any]]:
    """Rows to send: status null or pending, delivered null, and no ``next_attempt_at`` in the future; oldest
    first."""
    frame = store.read(TABLE)
    if frame.height == 0:
        return []
    due = (
        (pl.col("status").is_null() | (pl.col("status") == "pending"))
        & pl.col("delivered").is_null()
        & (pl.col("next_attempt_at").is_null() | (pl.col("next_attempt_at") <= now))
    )
    return frame.filter(due).sort("alert_time", "alert_id", nulls_last=True).to_dicts()


@dataclass
class DrainReport:
    """What one drain did: messages sent per channel, alerts now sent / finally failed / still waiting."""

    messages: dict[str, int] = field(default_factory=dict)
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    deliveries: list[tuple[str, list[str], Delivery]] = field(default_factory=list)


@dataclass
class _Unit:
    channel: str
    message: Message
    ids: list[str]
    digest_id: str | None = None


class Sender:
    """The one sender: drains ``alerts_log`` through the notifiers (see the module docstring)."""

    def __init__(
        self,
        store: Any,
        notifiers: Mapping[str, Notifier],
        settings: AlertSettings,
        *,
        clock: Clock | None = None,
        limiter: RateLimiter | None = None,
        broken: Mapping[str, str] | None = None,
    ) -> None:
        """``broken``: channel → why it could not be built (its deliveries fail with that reason, not retried)."""
        self.store, self.notifiers, self.settings = store, notifiers, settings
        self.broken = dict(broken or {})
        self.clock = clock or SystemClock()
        self.limiter = limiter or RateLimiter()
        self._seeded = False

    def targets(self, row: Mapping[str, Any]) -> list[str]:
        """The channels a row goes to."""
        if row.get("channels"):
            return [c.strip() for c in str(row["channels"]).split(",") if c.strip()]
        return channel_names(self.settings, urgent=is_urgent(row))

    def backoff(self, attempts: int) -> float:
        """Seconds before attempt ``attempts + 1`` after ``attempts`` failures."""
        s = self.settings
        return min(s.backoff_seconds * 2 ** max(0, attempts - 1), s.backoff_max_seconds)

    def drain(
        self,
        *,
        digest_now: bool = False,
        wait: bool = True,
        max_wait: float = 120.0,
        only: Sequence[str] | None = None,
        title: str = DIGEST_TITLE,
    ) -> DrainReport:
        """Send what is due: urgent alerts always, the rest when ``digest_now``; ``only``: these alert_ids."""
        now = self.clock.now()
        rows = pending_rows(self.store, now)
        if only is not None:
            rows = [r for r in rows if r["alert_id"] in set(only)]
        if not digest_now:
            rows = [r for r in rows if is_urgent(r)]
        report = DrainReport()
        if not rows:
            return report
        state = {r["alert_id"]: _State.of(r, self.targets(r)) for r in rows}
        state = {aid: st for aid, st in state.items() if st.targets}  # no channel: stays pending in the log
        rows = [r for r in rows if r["alert_id"] in state]
        if not self._seeded:
            self._seed(now)
        units = self._units(rows, state, now, title)
        waited = 0.0
        for unit in units:
            notifier = self.notifiers.get(unit.channel)
            if notifier is None:
                why = self.broken.get(
                    unit.channel, f"告警渠道未配置 channel {unit.channel} is not configured"
                )
                delivery = Delivery(False, "config", mask(why))
            else:
                pause = self.limiter.wait(unit.channel, notifier.rate_limits, self.clock.now())
                if pause > 0 and (not wait or waited + pause > max_wait):
                    later = self.clock.now() + dt.timedelta(seconds=pause)
                    for aid in unit.ids:
                        state[aid].defer(later)
                    self._save(state, unit.ids)
                    continue
                if pause > 0:
                    self.clock.sleep(pause)
                    waited += pause
                delivery = notifier.send(unit.message)
                self.limiter.record(unit.channel, self.clock.now())
                report.messages[unit.channel] = report.messages.get(unit.channel, 0) + 1
            report.deliveries.append((unit.channel, unit.ids, delivery))
            at = self.clock.now()
            for aid in unit.ids:
                state[aid].record(unit.channel, delivery, at, unit.digest_id, self)
            self._save(state, unit.ids)
        for aid, st in state.items():
            {"sent": report.sent, "failed": report.failed, "partial": report.failed}.get(
                st.status, report.waiting
            ).append(aid)
        return report

    def _seed(self, now: dt.datetime) -> None:
        """Tell the limiter what this channel sent lately, from ``alerts_log`` (another process — the daily chain,
        `tq alerts test` — may have sent just before): one send per digest message or per alert sent alone."""
        self._seeded = True
        longest = max((s for n in self.notifiers.values() for _, s in n.rate_limits), default=0.0)
        if longest <= 0:
            return
        since = now - dt.timedelta(seconds=longest)
        frame = self.store.read(TABLE, columns=["alert_id", "results"], start=since - dt.timedelta(days=1))
        sends: dict[tuple[str, str], dt.datetime] = {}
        for aid, text in frame.iter_rows():
            try:
                results = json.loads(text) if text else {}
            except ValueError:
                continue
            for channel, r in results.items() if isinstance(results, dict) else ():
                try:
                    at = dt.datetime.fromisoformat(str(r.get("at")))
                except ValueError:
                    continue
                if since <= at <= now:
                    sends[(channel, r.get("digest") or aid)] = at
        for (channel, _), at in sorted(sends.items(), key=lambda kv: kv[1]):
            self.limiter.record(channel, at)

    def _units(
        self, rows: list[dict[str, Any]], state: dict[str, _State], now: dt.datetime, title: str
    ) -> list[_Unit]:
        units: list[_Unit] = []
        digest_rows: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            for channel in state[row["alert_id"]].todo():
                if is_urgent(row):
                    size = self.notifiers[channel].max_bytes if channel in self.notifiers else 4096
                    units.append(_Unit(channel, single(row, size), [row["alert_id"]]))
                else:
                    digest_rows.setdefault(channel, []).append(row)
        stamp = f"{now:%Y%m%dT%H%M%S}"
        for channel, chosen in digest_rows.items():
            size = self.notifiers[channel].max_bytes if channel in self.notifiers else 4096
            for i, (message, ids) in enumerate(digest(chosen, size, title), 1):
                units.append(_Unit(channel, message, ids, f"digest-{stamp}-{i}"))
        return units

    def _save(self, state: dict[str, _State], ids: Sequence[str]) -> None:
        rows = [state[aid].row() for aid in dict.fromkeys(ids)]
        schema = {"next_attempt_at": pl.Datetime("us"), "sent_at": pl.Datetime("us"), "delivered": pl.Boolean,
                  "error": pl.Utf8, "attempts": pl.Int32}  # fmt: skip
        self.store.upsert(TABLE, pl.DataFrame(rows, schema_overrides=schema))


@dataclass
class _State:
    """One row's delivery state while draining."""

    alert_id: str
    targets: list[str]
    results: dict[str, dict[str, Any]]
    next_attempt_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None

    @classmethod
    def of(cls, row: Mapping[str, Any], targets: list[str]) -> _State:
        try:
            results = json.loads(row["results"]) if row.get("results") else {}
        except ValueError:
            results = {}
        return cls(row["alert_id"], targets, results if isinstance(results, dict) else {})

    def todo(self) -> list[str]:
        return [
            c
            for c in self.targets
            if not self.results.get(c, {}).get("ok") and not self.results.get(c, {}).get("final")
        ]

    def defer(self, until: dt.datetime) -> None:
        self.next_attempt_at = max(self.next_attempt_at or until, until)

    def record(
        self, channel: str, d: Delivery, at: dt.datetime, digest_id: str | None, sender: Sender
    ) -> None:
        attempts = int(self.results.get(channel, {}).get("attempts", 0)) + 1
        final = d.ok or not d.retry or attempts >= sender.settings.max_attempts
        self.results[channel] = {
            "ok": d.ok, "attempts": attempts, "code": d.code, "detail": mask(d.detail)[:300],
            "at": at.isoformat(sep=" ", timespec="milliseconds"), "digest": digest_id, "final": final,
        }  # fmt: skip
        if d.ok:
            self.sent_at = at
        elif not final:
            self.defer(at + dt.timedelta(seconds=sender.backoff(attempts)))

    @property
    def status(self) -> str:
        res = [self.results.get(c, {}) for c in self.targets]
        if all(r.get("ok") for r in res):
            return "sent"
        if all(r.get("ok") or r.get("final") for r in res):
            return "partial" if any(r.get("ok") for r in res) else "failed"
        return "pending"

    def row(self) -> dict[str, Any]:
        status = self.status
        errors = [
            f"{c}: {r.get('code')} {r.get('detail')}" for c, r in self.results.items() if not r.get("ok")
        ]
        return {
            "alert_id": self.alert_id,
            "channels": ",".join(self.targets),
            "status": status,
            "delivered": True if status == "sent" else (False if status in ("failed", "partial") else None),
            "attempts": max((int(r.get("attempts", 0)) for r in self.results.values()), default=0),
            "next_attempt_at": self.next_attempt_at.replace(microsecond=0)
            if status == "pending" and self.next_attempt_at
            else None,
            "results": json.dumps(self.results, ensure_ascii=False, sort_keys=True),
            "error": mask("; ".join(errors))[:1000] if errors else None,
            "sent_at": self.sent_at.replace(microsecond=0) if status == "sent" and self.sent_at else None,
        }


def test_message(channel: str, now: dt.datetime) -> Alert:
    """The alert `tq alerts test --channel NAME` raises (its own dedup key per second: a test is never deduped)."""
    return Alert(
        "channel_test", f"测试消息 test message from thermoquant to channel {channel}", level="info",
        urgent=True, dedup_key=f"channel_test|{channel}|{now:%Y-%m-%dT%H:%M:%S.%f}", channels=[channel],
    )  # fmt: skip


__all__ = [
    "Alert",
    "AlertConfigError",
    "DrainReport",
    "Sender",
    "alert_id_of",
    "is_urgent",
    "pending_rows",
    "raise_alerts",
    "test_message",
]
