"""`tq calendar …`: the stored trading calendar — import announced holidays or a vendor file, show a year."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from thermoquant.cli.console import console, error
from thermoquant.cli.options import DbUrl, open_cli_store
from thermoquant.data import trade_calendar as tc
from thermoquant.market.calendar import CalendarRangeError, calendar_bounds

app = typer.Typer(
    help="交易日历：导入节假日或数据源日历、按年查看 / the stored trading calendar.", no_args_is_help=True
)


@app.command("import")
def import_cmd(
    path: Annotated[
        Path, typer.Argument(help="CSV：cal_date,is_open / 仅交易日一列 / --holidays 时为休市日", exists=True)
    ],
    holidays: Annotated[
        bool,
        typer.Option("--holidays", help="文件列出的是休市的工作日（国务院放假通知）/ file lists holidays"),
    ] = False,
    year: Annotated[
        list[int] | None, typer.Option("--year", help="--holidays 时覆盖的年份（可重复；默认文件涉及的年份）")
    ] = None,
    db: DbUrl = None,
) -> None:
    """导入交易日历文件到 trade_calendar 表 / import a calendar file into trade_calendar.

    Shapes: Tushare trade_cal (cal_date, is_open), a list of trading days (AKShare tool_trade_date_hist_sina:
    trade_date), or with --holidays the announced closed weekdays of whole years."""
    try:
        rows = tc.read_calendar_file(path, holidays=holidays, years=year)
        with open_cli_store(db) as store:
            counts = tc.write_calendar(store, rows)
    except tc.CalendarFileError as exc:
        error(exc)
        raise typer.Exit(code=1) from None
    first, last = rows["cal_date"].min(), rows["cal_date"].max()
    opened = int(rows["is_open"].sum())
    console.print(
        f"[green]✓[/green] {path.name}: {first} … {last}，{rows.height} 天，其中交易日 {opened} 天；"
        f"写入 written {counts['written']}，保留更高优先级来源 kept {counts['kept']}"
    )
    lo, hi = calendar_bounds()
    console.print(f"交易日历现覆盖 calendar now covers {lo} … {hi}")


@app.command("update")
def update_cmd(db: DbUrl = None) -> None:
    """把 exchange_calendars 已知的日历写入 trade_calendar / store the package's calendar in the database."""
    with open_cli_store(db) as store:
        counts = tc.write_calendar(store, tc.package_rows())
    console.print(f"[green]✓[/green] exchange_calendars → trade_calendar: 写入 written {counts['written']}")


@app.command("show")
def show_cmd(
    year: Annotated[int, typer.Option("--year", help="年份 year")],
    db: DbUrl = None,
) -> None:
    """按月显示某年的交易日数与节假日 / trading days and holidays of a year, by month."""
    with open_cli_store(db, init=False):
        try:
            summary = tc.year_summary(year)
        except CalendarRangeError as exc:
            error(exc)
            raise typer.Exit(code=1) from None
    table = Table(title=f"{year} 年交易日历 trading calendar")
    table.add_column("月份 month")
    table.add_column("交易日 sessions", justify="right")
    table.add_column("休市工作日 holidays")
    for row in summary.iter_rows(named=True):
        table.add_row(row["month"], str(row["trading_days"]), row["holidays"])
    console.print(table)
    console.print(f"全年交易日 total sessions: {int(summary['trading_days'].sum())}")
