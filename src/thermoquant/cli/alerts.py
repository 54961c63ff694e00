"""`tq alerts test --channel NAME` (a test message through the outbox) and `tq alerts log` (deliveries)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from thermoquant.alerts.channels import AlertConfigError
from thermoquant.cli.console import console, error
from thermoquant.cli.options import DbUrl
from thermoquant.jobs.alerts import alert_log, send_alerts, send_test
from thermoquant.jobs.context import JobContext

app = typer.Typer(
    help="告警：测试渠道、查看投递记录 / alerts: test a channel, show deliveries", no_args_is_help=True
)


@app.command("test")
def test(
    channel: Annotated[
        str, typer.Option("--channel", "-c", help="tq.toml 中 [alerts.channels.NAME] 的 NAME")
    ],
    db: DbUrl = None,
) -> None:
    """向一个渠道发送测试消息（经 alerts_log 发件箱）/ send a test message to one channel."""
    try:
        report = send_test(JobContext(db_url=db), channel)
    except AlertConfigError as exc:
        error(exc)
        raise typer.Exit(code=2) from None
    for name, _ids, delivery in report.deliveries:
        state = "[green]成功 ok[/green]" if delivery.ok else "[red]失败 failed[/red]"
        console.print(
            f"{name}: {state}  code={escape(str(delivery.code))}  {escape(delivery.detail)}", highlight=False
        )
    if not report.sent:
        raise typer.Exit(code=1)


@app.command("send")
def send(
    digest: Annotated[
        bool, typer.Option("--digest", help="连同非紧急告警一起发汇总 / also send the digest")
    ] = False,
    db: DbUrl = None,
) -> None:
    """发送待发告警（紧急的；加 --digest 发汇总）/ send pending alerts now."""
    try:
        report = send_alerts(JobContext(db_url=db), digest=digest)
    except AlertConfigError as exc:
        error(exc)
        raise typer.Exit(code=2) from None
    console.print(
        f"已发送 sent {len(report.sent)} · 失败 failed {len(report.failed)} · 等待 waiting {len(report.waiting)} · "
        f"消息 messages {sum(report.messages.values())}"
    )


@app.command("log")
def log(
    limit: Annotated[int, typer.Option("--limit", "-n", help="行数 rows")] = 30,
    status: Annotated[str | None, typer.Option(help="只看某状态 pending / sent / partial / failed")] = None,
    db: DbUrl = None,
) -> None:
    """告警与投递记录（最新在前）/ alerts and their deliveries, newest first."""
    frame = alert_log(JobContext(db_url=db), limit=limit, status=status)
    table = Table(title=f"alerts_log（最新 {frame.height} 条）")
    for col in (
        "时间 time",
        "级别 level",
        "规则 rule",
        "代码 symbol",
        "状态 status",
        "渠道结果 channels",
        "消息 message",
    ):
        table.add_column(col, overflow="fold")
    for r in frame.iter_rows(named=True):
        try:
            results = json.loads(r["results"]) if r["results"] else {}
        except ValueError:
            results = {}
        per = " ".join(
            f"{c}:{'ok' if v.get('ok') else v.get('code')}×{v.get('attempts')}" for c, v in results.items()
        )
        when = f"{r['alert_time']:%Y-%m-%d %H:%M}" if r["alert_time"] else ""
        table.add_row(when, r["level"] or "", r["rule"] or "", r["symbol"] or "", r["status"] or "pending",
                      per or (r["channels"] or ""), (r["message"] or "")[:80])  # fmt: skip
    console.print(table)
