"""`tq ingest DATASET …`: backfill / daily update of one dataset, or `tq ingest csi500` (seed-004 pipeline)."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from thermoquant.cli.console import error
from thermoquant.cli.options import parse_date
from thermoquant.data.ingest import (
    SOURCE_CLASSES,
    SOURCE_NAMES,
    IngestReport,
    ItemResult,
    default_sources,
    ingest_csi500,
    is_refresh_due,
    make_source,
    run_ingest,
)
from thermoquant.data.sources.base import DATASET_TABLES, Source, SourceError
from thermoquant.jobs.csi500_panel import csi500_sentiment

console = Console()


def _offered_datasets() -> list[str]:
    """Datasets some adapter offers and the store keeps (the union of the capability tables, minus spot)."""
    offered = {d for cls in SOURCE_CLASSES.values() for d in cls.capabilities}
    return [d for d, table in DATASET_TABLES.items() if table and d in offered]


DATASET_HELP = f"数据集 dataset: {', '.join(_offered_datasets())}, 或 csi500（种子004 流水线）"


def _parse_symbols(value: str | None) -> list[str] | None:
    """'600000.SH,000001.SZ' or '@file' (one code per line)."""
    if not value:
        return None
    if value.startswith("@"):
        text = Path(value[1:]).read_text(encoding="utf-8")
        return [s.strip() for s in text.replace(",", "\n").splitlines() if s.strip()]
    return [s.strip() for s in value.split(",") if s.strip()]


def _sources(spec: str | None, dataset: str, tier: int | None) -> list[Source]:
    names = [s.strip() for s in spec.split(",")] if spec else default_sources(dataset)
    out: list[Source] = []
    for name in names:
        options: dict[str, Any] = {}
        if tier is not None and name == "tushare":
            options["tier"] = tier
        out.append(make_source(name, **options))
    return out


def capability_table(sources: list[Source]) -> Table:
    """The capability tables of `sources` as one rich table."""
    table = Table(title="数据源能力表 capability table")
    for col in ("source", "dataset", "vendor api", "units", "history / limits"):
        table.add_column(col, overflow="fold")
    for src in sources:
        for cap in src.capabilities.values():
            limits = "; ".join(x for x in (cap.history, cap.rate_limit) if x)
            table.add_row(src.name, cap.dataset, cap.vendor_api, cap.units, limits)
    return table


def print_report(report: IngestReport) -> None:
    """End-of-run report: counts, rows and what is missing (with the errors met)."""
    style = {"ok": "green", "partial": "yellow"}.get(report.status, "red")
    console.print(
        f"[bold]{report.dataset}[/bold] via {' → '.join(report.sources)}: [{style}]{report.status}[/{style}]  "
        f"done {report.count('done')}, empty {report.count('empty')}, failed {report.count('failed')}, "
        f"skipped (checkpointed) {report.count('skipped')}, up to date {len(report.up_to_date)}; "
        f"rows received {report.rows_in}, written {report.rows_written}  (job {report.job_id})"
    )
    bad = [r for r in report.items if r.status in ("failed", "empty")]
    if bad:
        table = Table(title="缺失 missing")
        table.add_column("item")
        table.add_column("status")
        table.add_column("errors", overflow="fold")
        for r in bad[:50]:
            table.add_row(r.item, r.status, " | ".join(r.errors) or "-")
        console.print(table)
        if len(bad) > 50:
            console.print(f"… 以及另外 {len(bad) - 50} 项 (and {len(bad) - 50} more; see job_log)")


def print_sentiment(store: Any, start: date, end: date, rows: int = 5) -> None:
    """The last rows of seed 004's daily table (breadth, heat_z, ETF turnover) computed from the store."""
    try:
        table = csi500_sentiment(store, start, end)
    except (SourceError, ValueError, LookupError) as exc:
        console.print(f"[yellow]无法计算中证500 情绪指标 (cannot compute CSI500 sentiment): {exc}[/yellow]")
        return
    out = Table(title="中证500 情绪指标 (seed 004)")
    for col in ("trade_date", "close", "breadth", "heat_z", "etf_turnover"):
        out.add_column(col, justify="right")
    for r in table.tail(rows).iter_rows(named=True):
        cells = [r["trade_date"].isoformat()]
        cells += [
            "-" if r[c] is None else f"{r[c]:.2f}" for c in ("close", "breadth", "heat_z", "etf_turnover")
        ]
        out.add_row(*cells)
    console.print(out)


def print_calendar_bounds() -> None:
    """The range the trading calendar now knows (after `tq ingest trade_calendar`)."""
    from thermoquant.market.calendar import calendar_bounds

    first, last = calendar_bounds()
    console.print(f"交易日历现覆盖 calendar now covers {first} … {last}")


def refresh_due(store: Any, dataset: str, now: datetime | None = None) -> bool:
    """True when a constituent refresh time passed since the last successful run of `dataset` (job_log), or when
    there was none."""
    runs = store.read(
        "job_log", where={"job": "ingest", "dataset": dataset, "status": "ok"}, columns=["finished_at"]
    )
    last = runs["finished_at"].max() if runs.height else None
    if not isinstance(last, datetime):
        return True  # never ingested successfully: due now
    when = now or datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    return is_refresh_due(when, last)


def ingest(
    dataset: Annotated[str | None, typer.Argument(help=DATASET_HELP, show_default=False)] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            "-s",
            help=f"数据源（逗号分隔为回退顺序）: {', '.join(SOURCE_NAMES)}, fixture:<目录>。默认按数据集的回退顺序",
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="起始日 YYYY-MM-DD；默认：每只证券已存最后一天的次日（增量）")
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            help="结束日 YYYY-MM-DD；默认今天（上海时间）；trade_calendar 默认到数据源公布的最后一天"
        ),
    ] = None,
    symbols: Annotated[
        str | None, typer.Option(help="证券代码，逗号分隔，或 @文件；默认 stock_info 中在市的全部股票")
    ] = None,
    freq: Annotated[str, typer.Option(help="分钟线周期 minute_quote: 1m 5m 15m 30m 60m")] = "5m",
    tier: Annotated[int | None, typer.Option(help="Tushare 积分档位（限频）: 120, 2000, 5000, 10000")] = None,
    db: Annotated[str | None, typer.Option(help="数据库 URL；默认取配置 database_url")] = None,
    log_items: Annotated[bool, typer.Option("--log-items", help="每完成一项打印一行（脚本/测试用）")] = False,
    capabilities: Annotated[bool, typer.Option("--capabilities", help="只打印各数据源能力表")] = False,
    if_refresh_due: Annotated[
        bool,
        typer.Option(
            "--if-refresh-due",
            help="仅当成分股更新时点已到（每月1日、6/12月第二个周六22:00）且此后未成功运行过时才采集（供 cron 使用）",
        ),
    ] = False,
) -> None:
    """采集数据入库：回补历史与每日增量；可断点续传、可重复运行（幂等）；每次运行记入 job_log。

    Ingest a dataset (backfill or incremental update; resumable, idempotent, logged in job_log).
    """
    if capabilities:
        names = [s.strip() for s in source.split(",")] if source else list(SOURCE_NAMES)
        console.print(capability_table([make_source(n) for n in names]))
        return
    if dataset is None:
        raise typer.BadParameter("需要数据集名称 (dataset), 例如 `tq ingest daily_quote --symbols 600000.SH`")
    from thermoquant.data.store import open_store

    start_d, end_d = parse_date(start), parse_date(end)
    syms = _parse_symbols(symbols)
    try:
        srcs = _sources(source, "daily_quote" if dataset == "csi500" else dataset, tier)
    except (ValueError, SourceError) as exc:
        error(exc)
        raise typer.Exit(2) from None

    store = open_store(db)
    if if_refresh_due and not refresh_due(store, dataset):
        console.print(f"{dataset}: 未到成分股更新时点，跳过 (no refresh due)")
        store.close()
        return
    failed = False
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=log_items or not sys.stdout.isatty(),
        ) as progress:
            task = progress.add_task(dataset, total=None)

            def on_plan(n: int) -> None:
                progress.update(task, total=n, completed=0)

            def on_item(result: ItemResult) -> None:
                progress.advance(task)
                if log_items:
                    print(f"item {result.item} {result.status} {result.rows_written}", flush=True)

            if dataset == "csi500":
                if start_d is None or end_d is None:
                    raise typer.BadParameter("csi500 需要 --start 和 --end")
                reports = ingest_csi500(store, srcs, start_d, end_d, on_item=on_item)
            else:
                options = {"freq": freq} if dataset == "minute_quote" else {}
                reports = {
                    dataset: run_ingest(
                        store,
                        dataset,
                        srcs,
                        symbols=syms,
                        start=start_d,
                        end=end_d,
                        on_plan=on_plan,
                        on_item=on_item,
                        **options,
                    )
                }
        for report in reports.values():
            print_report(report)
            failed = failed or report.status != "ok"
        if dataset == "csi500" and start_d is not None and end_d is not None:
            print_sentiment(store, start_d, end_d)
        if dataset == "trade_calendar":
            print_calendar_bounds()
    except KeyboardInterrupt:
        console.print("[yellow]已中断；再次运行相同命令将从断点继续 (interrupted; re-run to resume)[/yellow]")
        raise typer.Exit(130) from None
    except (ValueError, SourceError) as exc:
        error(exc)
        raise typer.Exit(2) from None
    finally:
        store.close()
    if failed:
        raise typer.Exit(1)


def main() -> None:
    """`python -m thermoquant.cli.ingest …` (same as `tq ingest …`)."""
    typer.run(ingest)


if __name__ == "__main__":
    main()
