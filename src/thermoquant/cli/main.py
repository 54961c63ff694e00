"""Command line entry point: `tq …` (Typer).

The foundation commands (init, import, db, doctor, demo) live here; each area registers its own sub-app in the marked
block below. Help text is Simplified Chinese first, English after.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from thermoquant.cli import backtest as backtest_commands
from thermoquant.cli import calendar as calendar_commands
from thermoquant.cli import features as features_commands
from thermoquant.cli import ingest as ingest_commands
from thermoquant.cli import market as market_commands
from thermoquant.cli import physics as physics_commands
from thermoquant.cli import scan as scan_commands
from thermoquant.cli import strategies as strategies_commands
from thermoquant.cli.console import console, progress_bar
from thermoquant.cli.options import DbUrl, describe_url
from thermoquant.config import config_file_path, get_settings

if TYPE_CHECKING:
    from thermoquant.data.store import Store

app = typer.Typer(
    help="thermoquant (tq) —— A 股研究到交易平台：数据、因子、热力学模型、回测、交易。\n\n"
    "China A-share research-to-trading platform.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="数据库信息与维护 / database information", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _open_store(url: str | None, *, init: bool = True) -> Store:
    from thermoquant.data.store import open_store

    return open_store(url, init=init)


@app.command("init")
def init_cmd(db: DbUrl = None) -> None:
    """创建或升级数据库（可重复执行）/ create or migrate the database (idempotent)."""
    settings = get_settings()
    settings.ensure_data_dir()
    with _open_store(db) as store:
        console.print(f"[green]数据库已就绪[/green] {describe_url(db)}，schema 版本 {store.schema_version()}")


@app.command("import")
def import_cmd(
    paths: Annotated[
        list[Path], typer.Argument(help="要导入的 CSV / Parquet 文件 / files to import", exists=True)
    ],
    strict: Annotated[
        bool,
        typer.Option("--strict", help="任何错误行都拒绝整份文件，数据库不变 / refuse the file on any error"),
    ] = False,
    db: DbUrl = None,
) -> None:
    """导入行情文件：自动识别格式与单位，校验后写入 / import files: detect layout and units, validate, store."""
    from thermoquant.cli.import_report import render_report
    from thermoquant.data.sources.csv import import_paths

    with _open_store(db) as store, progress_bar() as progress:
        results = import_paths(paths, store, strict=strict, progress=progress)
    console.print(render_report(results))
    if any(r.refused for r in results):
        raise typer.Exit(code=1)


@db_app.command("info")
def db_info_cmd(db: DbUrl = None) -> None:
    """各表行数与日期范围 / tables, row counts and date ranges."""
    with _open_store(db, init=False) as store:
        info = store.table_info()
        table = Table(title=f"{describe_url(db)} — schema v{store.schema_version()}")
        for col in ("表 table", "行数 rows", "起 first", "止 last"):
            table.add_column(col, justify="right" if col.startswith("行") else "left")
        for row in info.iter_rows(named=True):
            first = "" if row["first_date"] is None else str(row["first_date"])
            last = "" if row["last_date"] is None else str(row["last_date"])
            table.add_row(row["table"], f"{row['rows']:,}", first, last)
    console.print(table)


@app.command("doctor")
def doctor_cmd(db: DbUrl = None) -> None:
    """检查配置、数据库连通与交易日历覆盖 / check configuration, database and calendar coverage."""
    ok = True
    settings = get_settings()
    cfg = config_file_path()
    console.print(f"配置文件 config: {cfg if cfg else '（无，使用默认值与 TQ_* 环境变量）'}")
    console.print(f"数据目录 data dir: {settings.data_dir}")
    console.print(f"Tushare token: {'已设置 set' if settings.tushare_token else '未设置 not set'}")
    try:
        with _open_store(db, init=False) as store:
            console.print(f"[green]✓[/green] schema v{store.schema_version()}")
            console.print(f"[green]✓[/green] 数据库可用 database reachable: {describe_url(db)}")
    except Exception as exc:  # the doctor reports every failure instead of stopping at the first
        ok = False
        console.print(f"[red]✗[/red] 数据库不可用 database unreachable: {exc}")
    ok = _doctor_calendar() and ok
    if not ok:
        raise typer.Exit(code=1)


def _doctor_calendar() -> bool:
    """The calendar-coverage line of `tq doctor` as of :func:`thermoquant.clock.today`; False only once past."""
    from thermoquant.clock import today
    from thermoquant.market.calendar import calendar_status

    status = calendar_status(today())
    mark = {"ok": "[green]✓[/green]", "warn": "[yellow]![/yellow]", "fail": "[red]✗[/red]"}[status.level]
    console.print(f"{mark} {status.message}")
    return status.level != "fail"


@app.command("demo")
def demo_cmd(db: DbUrl = None) -> None:
    """在随包附带的真实样本上运行主流程 / run the main job on the bundled real sample."""
    from thermoquant.cli.demo import run_demo

    run_demo(db, console)


# --- sub-app registrations (one line per area; keep this block sorted) ---
app.command("backtest")(backtest_commands.backtest)
app.add_typer(calendar_commands.app, name="calendar")
app.command("ingest")(ingest_commands.ingest)
app.command("scan")(scan_commands.scan)
app.add_typer(strategies_commands.app, name="strategies")
app.add_typer(features_commands.app, name="features")
app.add_typer(market_commands.app, name="market")
app.add_typer(physics_commands.app, name="physics")
# --- end of sub-app registrations ---


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
