"""`tq daily [--date D]`: the post-close chain of one trading day on your database (ingest → factors → physics →
scan, scores, stable-layer checks → nightly evolution → signals → alert digest); resumable, and a second run of the
same day changes nothing."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from thermoquant.cli.console import console, error
from thermoquant.cli.options import DbUrl, parse_date
from thermoquant.jobs.chain import StepOutcome
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.daily import NotATradingDayError, run_daily

STATUS = {
    "ok": "[green]完成 ok[/green]",
    "done": "[dim]已完成，跳过 done before[/dim]",
    "failed": "[red]失败 failed[/red]",
    "skipped": "[yellow]未运行 skipped[/yellow]",
}


def _show(event: StepOutcome | str) -> None:
    if isinstance(event, str):
        console.print(f"▶ {escape(event)} …", highlight=False)
        sys.stdout.flush()
        return
    rows = f"  {event.rows:,} 行 rows" if event.rows else ""
    took = f"  {event.seconds:.1f} s" if event.status in ("ok", "failed") else ""
    console.print(f"  {escape(event.step)}: {STATUS[event.status]}{rows}{took}", highlight=False)
    for extra in (event.note, event.error):
        if extra:
            console.print(f"    {escape(extra)}", highlight=False)
    sys.stdout.flush()


def daily(
    date: Annotated[str | None, typer.Option("--date", "-d", help="交易日 YYYY-MM-DD（默认今天）")] = None,
    force: Annotated[bool, typer.Option("--force", help="已完成的步骤也重做 / redo finished steps")] = False,
    db: DbUrl = None,
) -> None:
    """每日收盘后流程：采集 → 因子 → 热力学 → 扫描、评分、稳定层检查 → 夜间参数进化 → 信号 → 告警汇总 /
    the post-close daily chain."""
    ctx = JobContext(db_url=db)
    try:
        report = run_daily(ctx, parse_date(date), force=force, on_step=_show)
    except NotATradingDayError as exc:
        if date is None:  # today is a holiday: nothing to do (cron-friendly)
            console.print(f"{escape(str(exc))}：无事可做 / nothing to do")
            return
        error(exc)
        raise typer.Exit(code=2) from None
    if report.stale_lock:
        held = report.stale_lock
        console.print(f"已接管已退出进程的锁 took over the lock of a run that died: pid {held.get('pid', '?')}, "
                      f"started {held.get('started', '?')}", highlight=False)  # fmt: skip
    if report.failed:
        console.print(f"[red]失败的步骤 failed steps: {escape(', '.join(report.failed))}[/red]")
        raise typer.Exit(code=1)
    console.print(f"[green]{report.run_key} 完成 done[/green]")
