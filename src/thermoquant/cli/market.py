"""`tq market …`: look up A-share rules from the command line (codes, limits, fees, calendar)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from thermoquant.cli.console import console
from thermoquant.cli.options import parse_date
from thermoquant.clock import today
from thermoquant.market.calendar import calendar_bounds, is_trading_day, prev_trading_day, trading_days
from thermoquant.market.fees import FeeModel, Side
from thermoquant.market.limits import limit_pct, price_limits
from thermoquant.market.lots import lot_rule
from thermoquant.market.symbols import board_of, is_stock_board, normalize_symbol

app = typer.Typer(
    help="A 股交易规则查询：代码与板块、涨跌停、费用、交易日历 / A-share market rules.",
    no_args_is_help=True,
)


def _date_or_today(text: str | None) -> dt.date:
    """:func:`~thermoquant.cli_options.parse_date`, today when the option is absent."""
    return parse_date(text) or today()


def _fail(message: str) -> None:
    console.print(f"[red]{message}[/red]")
    raise typer.Exit(code=2)


DateOpt = Annotated[
    str | None, typer.Option("--date", "-d", help="日期 YYYY-MM-DD 或 YYYYMMDD（默认今天）/ date")
]


@app.command("symbol")
def symbol_cmd(
    codes: Annotated[list[str], typer.Argument(help="代码，任意写法 / codes in any spelling")],
) -> None:
    """代码标准化与板块识别 / normalise codes and show their board."""
    table = Table("输入 input", "代码 symbol", "板块 board", "买入规则 buy lot")
    for raw in codes:
        try:
            symbol = normalize_symbol(raw)
        except ValueError as exc:
            table.add_row(raw, f"[red]{exc}[/red]", "", "")
            continue
        board = board_of(symbol)
        lot = ""
        if is_stock_board(board) or board.name == "ETF":
            rule = lot_rule(board)
            lot = f"≥{rule.minimum}，步长 {rule.step}"
        table.add_row(raw, symbol, f"{board.label_zh} ({board.name})", lot)
    console.print(table)


@app.command("limit")
def limit_cmd(
    symbol: Annotated[str, typer.Argument(help="代码 / symbol")],
    prev_close: Annotated[float, typer.Argument(help="前收盘价（元）/ previous close, CNY")],
    date: DateOpt = None,
    st: Annotated[bool, typer.Option("--st", help="风险警示股票 ST/*ST / risk-warning stock")] = False,
    listed: Annotated[str | None, typer.Option("--listed", help="上市日期 / listing date")] = None,
) -> None:
    """涨跌停价 / limit-up and limit-down prices."""
    when = _date_or_today(date)
    listing = parse_date(listed)
    try:
        board = board_of(symbol)
        up_pct, down_pct = limit_pct(board, when, is_st=st, listing_date=listing)
        up, down = price_limits(symbol, prev_close, when, is_st=st, listing_date=listing)
    except ValueError as exc:
        _fail(str(exc))
        return
    table = Table(title=f"{normalize_symbol(symbol)} {board.label_zh} {when}")
    table.add_column("", justify="left")
    table.add_column("比例 ratio", justify="right")
    table.add_column("价格 price (CNY)", justify="right")
    for label, pct, price in (("涨停 up", up_pct, up), ("跌停 down", down_pct, down)):
        table.add_row(
            label, "无限制 none" if pct is None else f"{pct:.0%}", "—" if price is None else f"{price:g}"
        )
    console.print(table)


@app.command("fee")
def fee_cmd(
    side: Annotated[str, typer.Argument(help="buy 或 sell（买/卖）")],
    amount: Annotated[float, typer.Argument(help="成交金额（元）/ traded amount, CNY")],
    symbol: Annotated[str, typer.Argument(help="代码 / symbol")],
    date: DateOpt = None,
    shares: Annotated[float | None, typer.Option("--shares", help="股数（2015-08-01 前沪市需要）")] = None,
) -> None:
    """交易费用：佣金、印花税、过户费（按配置与日期）/ trading costs by configuration and date."""
    when = _date_or_today(date)
    try:
        parts = FeeModel.from_settings().breakdown(Side.parse(side), amount, when, symbol, shares)
    except ValueError as exc:
        _fail(str(exc))
        return
    table = Table(title=f"{normalize_symbol(symbol)} {side} {amount:,.2f} 元 @ {when}")
    table.add_column("项目 item")
    table.add_column("金额 CNY", justify="right")
    for label, value in (
        ("佣金 commission", parts.commission),
        ("印花税 stamp duty", parts.stamp_duty),
        ("过户费 transfer fee", parts.transfer_fee),
        ("合计 total", parts.total),
    ):
        table.add_row(label, f"{value:,.2f}")
    console.print(table)


@app.command("calendar")
def calendar_cmd(
    start: Annotated[str | None, typer.Argument(help="起始日期 / start")] = None,
    end: Annotated[str | None, typer.Argument(help="结束日期（含）/ end, inclusive")] = None,
) -> None:
    """交易日历：范围内的交易日；不带参数时显示覆盖范围 / sessions in a range, or the calendar's coverage."""
    first, last = calendar_bounds()
    if start is None:
        console.print(f"XSHG 交易日历覆盖 coverage: {first} … {last}")
        day = today()
        if first <= day <= last:
            state = "交易日 trading day" if is_trading_day(day) else "休市 closed"
            console.print(f"今天 {day}: {state}；上一交易日 previous session {prev_trading_day(day)}")
        return
    begin = _date_or_today(start)
    finish = _date_or_today(end) if end else begin
    try:
        days = trading_days(begin, finish)
    except ValueError as exc:
        _fail(str(exc))
        return
    console.print(f"{begin} … {finish}: {len(days)} 个交易日 sessions")
    if len(days) <= 60:
        console.print(", ".join(day.isoformat() for day in days))
