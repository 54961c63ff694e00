"""`tq alerts test --channel NAME` (a test message through the outbox), `tq alerts send`, `tq alerts log`
(deliveries) and `tq alerts stable [--date D]` (the stable layer's fundamental and valuation alerts, seed 002 §四)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from thermoquant.alerts.channels import AlertConfigError
from thermoquant.cli.console import console, error
from thermoquant.cli.options import DbUrl, parse_date
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


@app.command("stable")
def stable(
    date: Annotated[
        str | None,
        typer.Option("--date", help="检查日 YYYY-MM-DD；默认今天或最后有数据的一天 / default: latest"),
    ] = None,
    days: Annotated[
        int, typer.Option("--days", help="列出此前多少自然日内触发的预警 / window, calendar days")
    ] = 90,
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="先运行检查并入库 / run the check first (idempotent)")
    ] = True,
    limit: Annotated[int, typer.Option("--limit", help="最多显示行数 / rows shown")] = 50,
    db: Annotated[str | None, typer.Option("--db", help="数据库 URL / database URL")] = None,
) -> None:
    """稳定层预警：分红率、估值、业绩、分红 / stable-layer alerts (payout, valuation, profit, dividend).

    只提示，不交易；写入 signals（strategy=stable_alert）与 alerts_log（待发送）。
    Alerts only, nothing trades; stored in signals and alerts_log (pending delivery)."""
    from thermoquant.jobs.context import JobContext
    from thermoquant.jobs.stable import read_stable_alerts, run_stable_alerts

    ctx = JobContext(db_url=db)
    day = parse_date(date)
    if check:
        result = run_stable_alerts(ctx, day, days)
        start, end = result.start, result.end
        console.print(
            f"检查 checked {start} → {end}：{result.events.height} 条预警 alerts；写入 rows changed "
            f"signals {result.written['signals']}, alerts_log {result.written['alerts_log']}"
        )
    else:
        end = day or ctx.today
        start = end - dt.timedelta(days=days - 1)
    rows = read_stable_alerts(ctx, start, end)
    if rows.is_empty():
        console.print(
            f"没有稳定层预警 no stable alerts in [{start}, {end}]（需要 finance_data / daily_valuation）"
        )
        return
    console.print(f"[bold]稳定层预警 stable alerts {start} → {end}: {rows.height}[/bold]")
    for r in rows.head(limit).iter_rows(named=True):
        sent = (
            "待发送 pending"
            if r["delivered"] is None
            else ("已发送 sent" if r["delivered"] else "失败 failed")
        )
        console.print(f"{r['alert_time']:%Y-%m-%d} {r['symbol'] or '-'} [{r['level']}] {r['rule']} · {sent}",
                      markup=False)  # fmt: skip
        console.print(f"    {r['message']}", markup=False)
    if rows.height > limit:
        console.print(f"… 另有 {rows.height - limit} 条 (and {rows.height - limit} more; --limit N)")
