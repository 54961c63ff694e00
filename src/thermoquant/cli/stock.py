"""`tq stock SYMBOL`: what the store holds about one stock (name, industry, last bars, thermo state, signals)."""

from __future__ import annotations

from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from thermoquant.cli.console import console
from thermoquant.cli.signals import signals_table


def _num(value: float | None, fmt: str, scale: float = 1.0, unit: str = "") -> str:
    return "-" if value is None else format(value / scale, fmt) + unit


def _bars_table(bars: pl.DataFrame) -> Table:
    table = Table(
        title="最近行情 last bars (unadjusted)",
        title_justify="left",
        caption="date, OHLC (CNY), volume 10k shares, amount 100M CNY, turnover %",
        caption_justify="left",
    )
    for col in ("日期", "开盘", "最高", "最低", "收盘", "量 万股", "额 亿元", "换手%"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in bars.iter_rows(named=True):
        table.add_row(
            str(r["trade_date"]),
            *(_num(r[c], ".2f") for c in ("open", "high", "low", "close")),
            _num(r["volume"], ",.0f", 1e4),
            _num(r["amount"], ".2f", 1e8),
            _num(r["turnover"], ".2f"),
        )
    return table


def stock(
    symbol: Annotated[str, typer.Argument(help="股票代码，如 000025.SZ / symbol")],
    last: Annotated[int, typer.Option("--last", help="显示最近 N 根 K 线 / last N bars")] = 5,
    db: Annotated[str | None, typer.Option("--db", help="数据库 URL / database URL")] = None,
) -> None:
    """查看一只股票：名称、行业、最近行情、热力学状态、信号 / one stock as stored."""
    from thermoquant.data.store import open_store
    from thermoquant.jobs.lookup import stock_overview
    from thermoquant.market.symbols import normalize_symbol

    try:
        sym = normalize_symbol(symbol)
    except ValueError as exc:
        raise typer.BadParameter(f"不是证券代码 not a security code: {symbol!r} ({exc})") from None
    with open_store(db) as store:
        s = stock_overview(store, sym, last=last)
    if s.info is None and s.bars.is_empty():
        console.print(f"数据库中没有 {sym} / nothing stored for {sym}: `tq import` 或 `tq ingest` 后再试")
        raise typer.Exit(1)
    info = s.info or {}
    console.print(f"[bold]{sym} {info.get('name') or ''}[/bold]")
    industry = info.get("industry") or "-"
    if info.get("industry_source"):
        industry += f" ({info['industry_source']})"
    console.print(f"行业 industry: {industry}   板块 board: {info.get('board') or '-'}")
    console.print(
        f"上市 listed: {info.get('list_date') or '-'}   退市 delisted: {info.get('delist_date') or '-'}"
    )
    if not s.indices.is_empty():
        console.print(
            "指数成分 index member: " + ", ".join(s.indices["index_code"].unique().sort().to_list())
        )
    for r in s.st.iter_rows(named=True):
        console.print(f"风险警示 {r['kind']}: {r['start_date']} … {r['end_date'] or '至今 now'}")
    if s.bars.is_empty():
        console.print("没有日线 no daily bars")
    else:
        console.print(_bars_table(s.bars))
    if s.thermo is not None:
        t = s.thermo
        stop = "  物理止损 stop" if t["stop"] else ""
        console.print(
            f"状态 state {t['trade_date']}: [bold]{t['state_name']}[/bold]  ΔT {t['dt']:.3f}  K {t['k']:.3f}  "
            f"燃料 Q {t['q_below']:.3f}{stop}"
        )
    if s.signals.is_empty():
        console.print("没有信号 no stored signals")
    else:
        console.print(
            signals_table(s.signals, "信号 signals (newest first)", with_date=True, with_symbol=False)
        )
