"""`tq demo` / `make demo`: the daily chain on the bundled real sample, start to finish, through the same jobs a
user's own run calls.

1. create or migrate the database (DuckDB file in the data directory unless configured otherwise);
2. load the bundled real sample through the user-file import path (layouts, units, quality report);
3. store the trading calendar in ``trade_calendar`` (so it outlives the calendar package);
4. the full-market scan (:func:`thermoquant.jobs.scan.daily_scan`) on the latest complete day: physics over the
   stored 2021 market (~4,700 stocks), blacklist, states, top ignition candidates, signals stored;
5. the CSI500 timing strategy (seed 004) through the backtest job, recorded in ``backtest_log`` for replay;
6. what the database now holds, and what to run next.
"""

from __future__ import annotations

import time

import polars as pl
from rich.console import Console
from rich.table import Table

from thermoquant.cli.backtest import summary_table
from thermoquant.cli.console import progress_bar
from thermoquant.cli.import_report import render_report
from thermoquant.cli.options import describe_url
from thermoquant.config import config_file_path
from thermoquant.data import trade_calendar
from thermoquant.data.sources.sample import load_sample_results, summarize
from thermoquant.jobs.backtest import BacktestRequest, run_backtest_job
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.scan import daily_scan

NEXT_STEPS = (
    ("tq scan --date 2021-12-31", "在你的数据库上扫描某一天 scan a day"),
    ("tq strategies list", "策略与参数 strategies and their parameters"),
    ("tq backtest csi500_timing --mode etf", "用 510500 ETF 回测 trade the ETF through the engine"),
    ("tq backtest list", "回测记录 recorded runs (tq backtest --replay RUN_ID)"),
    ("tq import 文件…", "导入你自己的数据 import your own files"),
    ("tq ui", "打开看板 open the dashboard (http://127.0.0.1:8501)"),
)


def _step(console: Console, n: int, title: str) -> float:
    console.rule(f"[bold]{n}. {title}")
    return time.perf_counter()


def _done(console: Console, started: float) -> None:
    console.print(f"[dim]用时 {time.perf_counter() - started:.1f} s[/dim]")


def _frame_table(df: pl.DataFrame, title: str) -> Table:
    table = Table(title=title)
    for name in df.columns:
        table.add_column(name)
    for row in df.iter_rows():
        table.add_row(*("" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v) for v in row))
    return table


DEMO_TOML = """# 由 tq demo 写入 / written by tq demo
# 演示库是随包样本，离线：tq daily 不采集数据（datasets = {}），直接在样本上跑整条链。
# The demo database is the bundled sample, offline: tq daily ingests nothing and runs the chain on the sample.
# 要在收盘后联网采集，删掉下面两行（默认采集 trade_calendar、stock_info、daily_quote、funds_flow）。
# To fetch after the close, delete the two lines below (the default ingests trade_calendar, stock_info,
# daily_quote, funds_flow).
[daily]
datasets = {}
"""


def _offline_daily_config(ctx: JobContext, console: Console) -> None:
    """Without a tq.toml in force, write one in the data directory that keeps `tq daily` offline on the demo
    database (``[daily] datasets = {}``); with one, say what `tq daily` will fetch if it sets no datasets."""
    in_force = config_file_path()
    if in_force is None:
        path = ctx.settings.data_dir / "tq.toml"
        path.write_text(DEMO_TOML, encoding="utf-8")
        console.print(
            f"已写入 {path}：[daily] datasets = {{}}（tq daily 在样本上离线运行 / runs offline)", markup=False
        )
    elif ctx.settings.daily.datasets is None:
        console.print(
            f"注意 note: {in_force} 未设 [daily] datasets，tq daily 会联网采集；离线样本库请写 datasets = {{}} "
            "/ tq daily will fetch from the network",
            markup=False,
        )


def run_demo(url: str | None, console: Console) -> None:
    """Run every step of the demo against the database at `url` (None: the configured one)."""
    ctx = JobContext(db_url=url)
    ctx.settings.ensure_data_dir()
    t = _step(console, 1, "建库 / create the database")
    with ctx.open_store() as store:
        console.print(f"数据库 database: {describe_url(url)}，schema v{store.schema_version()}")
        _done(console, t)

        t = _step(console, 2, "导入随包真实样本 / load the bundled real sample")
        with progress_bar(out=console) as progress:
            results = load_sample_results(store, progress)
        console.print(render_report(results, max_rows=20))
        counts = summarize(results)
        written = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()) if v)
        console.print(f"本次写入 rows written: {written or '无变化（已导入过）/ unchanged: loaded before'}")
        _done(console, t)

        t = _step(console, 3, "交易日历入库 / store the trading calendar")
        stored = trade_calendar.write_calendar(store, trade_calendar.package_rows())
        console.print(f"trade_calendar: 写入 {stored['written']:,} 天 days written")
        _done(console, t)

    t = _step(console, 4, "全市场热力学扫描 / full-market thermodynamic scan (tq scan)")
    with progress_bar(out=console) as progress:
        result = daily_scan(JobContext(db_url=url, progress=progress))
    sig = result.signals
    console.print(
        f"{result.stocks:,} 只股票 × {result.days} 个交易日 → 扫描日 scan day {result.day}：合格 eligible {sig.height:,} 只"
    )
    console.print(
        _frame_table(sig.group_by("state", "signal").len("stocks").sort("state", "signal"), "状态 × 信号")
    )
    top = sig.filter(pl.col("reason").str.starts_with("引燃")).select("symbol", "state", "score", "reason")
    console.print(_frame_table(top, "引燃前 0.5%（按导热系数 K）/ top ignition candidates"))
    console.print(
        f"信号已写入 signals 表（strategy = {result.strategy}）：{result.stored:,} 行变化 / rows changed"
    )
    _done(console, t)

    t = _step(console, 5, "中证500 择时策略 / CSI500 timing strategy (seed 004, tq backtest)")
    job = run_backtest_job(ctx, BacktestRequest("csi500_timing", source="sample"))
    dual = run_backtest_job(
        ctx, BacktestRequest("csi500_timing", {"dual_check": True}), save=False, report_to=False
    )
    run = job.run
    columns = {"基础规则 base": run.summary, "双重校验 dual": dual.run.summary}
    console.print(summary_table(f"CSI500 择时（参考模式）{run.dates[0]} → {run.dates[-1]}", columns))
    console.print(f"已记录 run_id={job.run_id}；报告 report: {job.report_path}")
    _done(console, t)

    t = _step(console, 6, "数据库概况 / what the database holds")
    with ctx.open_store(init=False) as store:
        info = store.table_info().filter(pl.col("rows") > 0)
    console.print(_frame_table(info.select("table", "rows", "first_date", "last_date"), "tq db info"))
    _done(console, t)
    _offline_daily_config(ctx, console)
    console.rule("[bold]下一步 / what to run next")
    for command, what in NEXT_STEPS:
        console.print(f"  [bold]{command}[/bold]  {what}")
