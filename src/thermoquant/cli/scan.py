"""`tq scan [--date D] [--strategy thermo_scan]`: the scan on the user's database; signals stored, top printed."""

from __future__ import annotations

from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from thermoquant.cli.console import console, error, progress_bar
from thermoquant.cli.options import DbUrl, parse_date
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.scan import daily_scan
from thermoquant.strategies.base import ParamError
from thermoquant.strategies.registry import get_strategy, strategy_names


def scan(
    date: Annotated[
        str | None, typer.Option("--date", "-d", help="扫描日 YYYY-MM-DD（默认库中最新完整交易日）")
    ] = None,
    strategy: Annotated[
        str, typer.Option(help=f"策略 strategy: {', '.join(strategy_names())}")
    ] = "thermo_scan",
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="参数 k=v，可重复")] = None,
    top: Annotated[int, typer.Option(help="打印前几名 rows to print")] = 20,
    db: DbUrl = None,
) -> None:
    """全市场扫描：在你的数据库上运行策略，写入 signals 表并打印候选 / scan the market, store the signals."""
    try:
        params = get_strategy(strategy).Params().with_pairs(param or [])
    except (KeyError, ParamError) as exc:
        raise typer.BadParameter(str(exc)) from None
    explicit = {p.partition("=")[0].strip() for p in param or []}
    overrides = {k: v for k, v in params.to_dict().items() if k in explicit}
    with progress_bar() as progress:
        ctx = JobContext(db_url=db, progress=progress)
        try:
            result = daily_scan(ctx, parse_date(date), strategy, overrides)
        except (LookupError, ValueError) as exc:
            error(exc)
            raise typer.Exit(code=1) from None
    sig = result.signals
    console.print(
        f"扫描日 scan day {result.day}：{result.stocks:,} 只股票 × {result.days} 个交易日（含预热 warm-up）→ "
        f"信号 {sig.height:,} 行；signals 表变化 {result.stored:,} 行"
    )
    counts = sig.group_by("signal").len("n").sort("signal")
    console.print("  ".join(f"{r['signal']} {r['n']:,}" for r in counts.iter_rows(named=True)))
    show = sig.filter(pl.col("signal") == "BUY").head(top)
    table = Table(title=f"买入候选 BUY candidates（前 {top}）")
    for col in ("代码 symbol", "状态 state", "得分 score", "理由 reason"):
        table.add_column(col)
    for r in show.iter_rows(named=True):
        score = "" if r["score"] is None else f"{r['score']:.3f}"
        table.add_row(r["symbol"], r["state"] or "", score, r["reason"] or "")
    console.print(table)
