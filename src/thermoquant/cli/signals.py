"""`tq signals [--date D] [--strategy S]`: the stored signals of a day, readable in an 80-column terminal."""

from __future__ import annotations

from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from thermoquant.cli.console import console
from thermoquant.cli.options import parse_date


def signals_table(
    frame: pl.DataFrame,
    title: str,
    *,
    with_strategy: bool = True,
    with_date: bool = False,
    with_symbol: bool = True,
) -> Table:
    """Signals (`thermoquant.jobs.lookup.SIGNAL_COLUMNS`) as a narrow rich table."""
    table = Table(title=title, title_justify="left")
    cols = (["日期 date"] if with_date else []) + (["代码 symbol", "名称 name"] if with_symbol else [])
    cols += ["信号", "状态", "得分 score"]
    cols += ["策略 strategy"] if with_strategy else []
    for col in cols:
        table.add_column(col, justify="right" if "score" in col else "left", no_wrap=col != "名称 name")
    for r in frame.iter_rows(named=True):
        score = "-" if r["score"] is None else f"{r['score']:.3f}"
        cells = [f"{r['signal_time']:%Y-%m-%d}"] if with_date else []
        cells += [r["symbol"], r["name"] or "-"] if with_symbol else []
        cells += [r["signal"] or "-", r["state"] or "-", score]
        table.add_row(*cells, *([r["strategy"]] if with_strategy else []))
    return table


def signals(
    date: Annotated[
        str | None, typer.Option("--date", help="信号日 YYYY-MM-DD；默认最近一天 / default: latest")
    ] = None,
    strategy: Annotated[
        str | None, typer.Option("--strategy", help="策略，如 thermo_scan / strategy, e.g. thermo_scan")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="最多显示行数 / rows shown")] = 50,
    db: Annotated[str | None, typer.Option("--db", help="数据库 URL / database URL")] = None,
) -> None:
    """查看已存储的信号 / show the stored signals of a day."""
    from thermoquant.data.store import open_store
    from thermoquant.jobs.lookup import read_signals

    day = parse_date(date)
    with open_store(db) as store:
        frame = read_signals(store, day, strategy)
    if frame.is_empty():
        what = f"{day or '最近 latest'}{f' / {strategy}' if strategy else ''}"
        console.print(
            f"没有信号 no signals ({what})。先运行 `tq demo` 或每日任务 / run `tq demo` or the daily job first"
        )
        raise typer.Exit(1)
    shown = frame.head(limit)
    when = frame["signal_time"].max()
    counts = ", ".join(f"{s} {n}" for s, n in frame.group_by("signal").len().sort("signal").iter_rows())
    title = f"信号 signals {when:%Y-%m-%d}: {counts}"
    console.print(signals_table(shown, title, with_strategy=frame["strategy"].n_unique() > 1 or not strategy))
    if frame.height > limit:
        console.print(f"… 另有 {frame.height - limit} 行 (and {frame.height - limit} more; --limit N)")
