"""`tq alerts stable [--date D]`: the stable layer's fundamental and valuation alerts (seed 002 §四)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from thermoquant.cli.console import console
from thermoquant.cli.options import parse_date

app = typer.Typer(help="预警 / alerts.", no_args_is_help=True)


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
