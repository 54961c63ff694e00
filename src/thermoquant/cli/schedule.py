"""`tq schedule run|list|run-once|status|unit`: one scheduler process on the XSHG calendar (APScheduler 3)."""

from __future__ import annotations

import getpass
import logging
import os
import shlex
import shutil
import sys
from datetime import datetime, time
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from thermoquant.cli.console import console, error
from thermoquant.cli.options import DbUrl, parse_date
from thermoquant.clock import now_shanghai
from thermoquant.config import config_file_path
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.schedule import (
    build_scheduler,
    catch_up_due,
    fresh,
    job_by_name,
    job_status,
    next_runs,
    run_logged,
    scheduled_jobs,
    systemd_unit,
)

app = typer.Typer(
    help="定时任务：收盘后流程、成分股、日历检查、告警发送 / the scheduler", no_args_is_help=True
)


def _result(name: str, ok: bool, note: str) -> None:
    state = "[green]完成 ok[/green]" if ok else "[red]失败 failed[/red]"
    console.print(
        f"{now_shanghai():%Y-%m-%d %H:%M:%S} {escape(name)}: {state} {escape(note)}", highlight=False
    )


@app.command("run")
def run(db: DbUrl = None) -> None:
    """运行调度进程（前台，Ctrl-C 停止；不要在看板里运行）/ run the scheduler in this process."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ctx = JobContext(db_url=db)
    scheduler = build_scheduler(ctx, _result)
    day = catch_up_due(ctx, now_shanghai())
    if day is not None:
        console.print(f"补跑 catching up: daily {day}")
        try:
            _result("daily", True, run_logged(fresh(ctx), job_by_name(ctx.settings.schedule, "daily")))
        except Exception as exc:
            _result("daily", False, f"{type(exc).__name__}: {exc}")
    for job in scheduler.get_jobs():
        console.print(f"{escape(job.id)}: {escape(str(job.trigger))}", highlight=False)
    console.print("调度已启动 scheduler started (Asia/Shanghai); Ctrl-C 停止 to stop")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        console.print("已停止 stopped")


@app.command("list")
def list_(
    count: Annotated[int, typer.Option("--count", "-n", help="每个任务列几次 times per job")] = 3,
    at: Annotated[
        str | None, typer.Option("--from", help="从此时起 from this time, 'YYYY-MM-DD HH:MM'（默认现在 now）")
    ] = None,
) -> None:
    """各任务接下来的运行时间（按交易日历）/ next run times from the calendar."""
    ctx = JobContext()
    try:
        start = datetime.strptime(at, "%Y-%m-%d %H:%M") if at else now_shanghai()
    except ValueError:
        raise typer.BadParameter(f"--from 应为 'YYYY-MM-DD HH:MM': {at!r}") from None
    runs = next_runs(ctx.settings.schedule, start, count)
    table = Table(title="接下来的运行 next runs (Asia/Shanghai)")
    table.add_column("任务 job")
    table.add_column("说明 what")
    table.add_column("时间 times")
    for job in scheduled_jobs(ctx.settings.schedule):
        times = ", ".join(f"{t:%Y-%m-%d %a %H:%M}" for t in runs[job.name][:count])
        table.add_row(job.name, job.title, times)
    console.print(table)


@app.command("run-once")
def run_once(
    job: Annotated[str, typer.Argument(help="daily, constituents, calendar_check, alerts")],
    date: Annotated[
        str | None, typer.Option("--date", "-d", help="daily: 按此日的收盘时间运行 as of this day")
    ] = None,
    db: DbUrl = None,
) -> None:
    """立即运行一个任务一次 / run one job now."""
    ctx = JobContext(db_url=db)
    try:
        scheduled = job_by_name(ctx.settings.schedule, job)
    except KeyError as exc:
        error(exc.args[0])
        raise typer.Exit(code=2) from None
    day = parse_date(date)
    now = datetime.combine(day, time(23, 59)) if day else None
    try:
        _result(job, True, run_logged(ctx, scheduled, now))
    except Exception as exc:
        _result(job, False, f"{type(exc).__name__}: {exc}")
        raise typer.Exit(code=1) from None


@app.command("status")
def status(
    limit: Annotated[int, typer.Option("--limit", "-n", help="行数 rows")] = 20, db: DbUrl = None
) -> None:
    """最近的运行与失败 / last runs and failures."""
    frame = job_status(JobContext(db_url=db), limit)
    table = Table(title="最近运行 last runs")
    for col in ("任务 job", "状态 status", "开始 started", "结束 finished", "错误 errors"):
        table.add_column(col, overflow="fold")
    for r in frame.iter_rows(named=True):
        errors = "" if r["errors"] in (None, "[]") else r["errors"]
        table.add_row(r["job"], r["status"] or "", str(r["started_at"] or ""), str(r["finished_at"] or ""),
                      escape(errors[:200]))  # fmt: skip
    console.print(table)


@app.command("unit")
def unit(user: Annotated[str | None, typer.Option(help="运行用户 service user")] = None) -> None:
    """打印 systemd 服务单元（保存到 /etc/systemd/system/thermoquant.service）/ print a systemd unit."""
    ctx = JobContext()
    tq = shutil.which("tq")
    command = (
        f"{tq} schedule run" if tq else f"{shlex.quote(sys.executable)} -m thermoquant.cli.main schedule run"
    )
    config = config_file_path()
    text = systemd_unit(command, str(ctx.settings.data_dir.expanduser().resolve()),
                        str(config.resolve()) if config else None, user or getpass.getuser())  # fmt: skip
    sys.stdout.write(text)
    if os.isatty(1):
        console.print(
            "# 安装 install: sudo tee /etc/systemd/system/thermoquant.service; "
            "sudo systemctl daemon-reload && sudo systemctl enable --now thermoquant",
            highlight=False,
        )
