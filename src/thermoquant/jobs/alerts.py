"""Alert jobs: raise alerts and drain the outbox (:mod:`thermoquant.alerts.outbox`) on the user's database,
send a channel's test message, read the delivery log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from thermoquant.alerts.channels import AlertConfigError, build_available, build_notifier
from thermoquant.alerts.outbox import Alert, DrainReport, Sender, raise_alerts, test_message
from thermoquant.alerts.ratelimit import Clock, SystemClock
from thermoquant.data.job_log import job_run
from thermoquant.jobs.context import JobContext


def sender(ctx: JobContext, store: Any, clock: Clock | None = None) -> Sender:
    """The one sender over ``store`` with the configured channels."""
    cfg = ctx.settings.alerts
    good, broken = build_available(cfg)
    return Sender(store, good, cfg, clock=clock or SystemClock(), broken=broken)


def raise_and_send(
    ctx: JobContext,
    store: Any,
    alerts: Sequence[Alert],
    *,
    digest: bool = False,
    clock: Clock | None = None,
) -> DrainReport:
    """Write ``alerts`` to the outbox, then send what is due: urgent ones, and with ``digest`` the rest too.
    Without any configured channel the alerts stay in ``alerts_log`` (pending) and nothing is sent."""
    clock = clock or SystemClock()
    raise_alerts(store, alerts, clock.now())
    if not ctx.settings.alerts.channels:
        return DrainReport()
    return sender(ctx, store, clock).drain(digest_now=digest)


def send_alerts(ctx: JobContext, *, digest: bool = False, clock: Clock | None = None) -> DrainReport:
    """Drain the outbox once (the scheduler's and `tq alerts send`'s job), recorded in ``job_log``."""
    with ctx.open_store() as store, job_run(store, "alerts_send", args={"digest": digest}) as log:
        report = sender(ctx, store, clock).drain(digest_now=digest)
        log.rows_written = len(report.sent)
        log.gaps = [{"failed": report.failed, "waiting": report.waiting}]
    return report


def send_test(ctx: JobContext, channel: str, *, clock: Clock | None = None) -> DrainReport:
    """Send a test message to ``channel`` through the outbox (logged in ``alerts_log`` like any alert)."""
    if channel not in ctx.settings.alerts.channels:
        known = ", ".join(ctx.settings.alerts.channels) or "（无 none）"
        raise AlertConfigError(
            f"未配置告警渠道 {channel} / no alert channel {channel!r}; configured: {known} ([alerts.channels.NAME])"
        )
    clock = clock or SystemClock()
    cfg = ctx.settings.alerts
    notifier = build_notifier(channel, cfg.channels[channel])  # raises AlertConfigError naming the field
    with ctx.open_store() as store, job_run(store, "alerts_test", args={"channel": channel}) as log:
        alert = test_message(channel, clock.now())
        ids = raise_alerts(store, [alert], clock.now())
        report = Sender(store, {channel: notifier}, cfg, clock=clock).drain(only=ids, wait=True)
        log.rows_written = len(report.sent)
    return report


def alert_log(ctx: JobContext, *, limit: int = 50, status: str | None = None) -> pl.DataFrame:
    """The latest ``limit`` rows of ``alerts_log`` (newest first), optionally of one status (``pending`` also
    matches a null status)."""
    with ctx.open_store() as store:
        frame = store.read("alerts_log")
    if status == "pending":
        frame = frame.filter(pl.col("status").is_null() | (pl.col("status") == "pending"))
    elif status:
        frame = frame.filter(pl.col("status") == status)
    return frame.sort("alert_time", "alert_id", descending=True, nulls_last=True).head(limit)
