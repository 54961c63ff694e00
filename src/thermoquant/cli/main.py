"""Command line entry point: `tq …` (Typer).

The foundation commands (init, import, db, doctor, demo) live here; each area registers its own sub-app in the marked
block below. Help text is Simplified Chinese first, English after.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from thermoquant.cli import alerts as alerts_commands
from thermoquant.cli import backtest as backtest_commands
from thermoquant.cli import calendar as calendar_commands
from thermoquant.cli import daily as daily_commands
from thermoquant.cli import evaluate as evaluate_commands
from thermoquant.cli import evolve as evolve_commands
from thermoquant.cli import factors as factors_commands
from thermoquant.cli import features as features_commands
from thermoquant.cli import ingest as ingest_commands
from thermoquant.cli import market as market_commands
from thermoquant.cli import physics as physics_commands
from thermoquant.cli import scan as scan_commands
from thermoquant.cli import schedule as schedule_commands
from thermoquant.cli import signals as signals_commands
from thermoquant.cli import stock as stock_commands
from thermoquant.cli import strategies as strategies_commands
from thermoquant.cli import trade as trade_commands
from thermoquant.cli import ui as ui_commands
from thermoquant.cli.console import console, progress_bar
from thermoquant.cli.console import error as error_line
from thermoquant.cli.errors import EXIT_CODES_HELP, TqGroup
from thermoquant.cli.options import DbUrl, describe_url
from thermoquant.config import config_file_path, get_settings

if TYPE_CHECKING:
    from thermoquant.data.store import Store

app = typer.Typer(
    cls=TqGroup,
    help="thermoquant (tq) —— A 股研究到交易平台：数据、因子、热力学模型、回测、交易。\n\n"
    "China A-share research-to-trading platform.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # a traceback must not print local values: `db` holds the URL's password
)
db_app = typer.Typer(
    help="数据库信息与维护：info、backup、restore / database information and maintenance",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")


@app.callback()
def root(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar="TQ_DEBUG",
            help="出错时显示完整回溯（也可设 TQ_DEBUG=1）/ show the full traceback on errors",
        ),
    ] = False,
) -> None:
    # `debug` is read by TqGroup.invoke (cli/errors.py), which runs every command
    del debug


def _open_store(url: str | None, *, init: bool = True) -> Store:
    from thermoquant.data.store import open_store

    return open_store(url, init=init)


@app.command("init")
def init_cmd(db: DbUrl = None) -> None:
    """创建或升级数据库（可重复执行；先逐表读一遍，损坏的数据库不写入）/ create or migrate the database
    (idempotent; a damaged database is refused before anything is written)."""
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
    """导入行情文件：自动识别格式与单位，校验后写入；有文件整份拒绝、没有数据行或所有行被拒绝时退出码为 1 /
    import files: detect layout and units, validate, store; exit code 1 when a file was refused, had no data
    rows or had every row rejected."""
    from thermoquant.cli.errors import EXIT_FAILURE
    from thermoquant.cli.import_report import OUTCOME_TEXT, failed_files, render_report
    from thermoquant.data.sources.csv import import_paths

    with _open_store(db) as store, progress_bar() as progress:
        results = import_paths(paths, store, strict=strict, progress=progress)
    console.print(render_report(results))
    failed = failed_files(results)
    if failed:
        for r in failed:
            error_line(f"{r.path.name}: {OUTCOME_TEXT[r.outcome]}")
        raise typer.Exit(code=EXIT_FAILURE)


@db_app.command("info")
def db_info_cmd(db: DbUrl = None) -> None:
    """各表行数与日期范围（逐表读一遍，标出损坏的表）/ tables, row counts and date ranges (each table read
    through; damaged ones marked)."""
    from thermoquant.cli.errors import EXIT_CORRUPT, RESTORE_HINT
    from thermoquant.data.store import NotInitializedError, StoreCorruptError

    with _open_store(db, init=False) as store:
        version = store.schema_version()
        if version == 0:
            raise NotInitializedError(f"{describe_url(db)} holds no thermoquant tables yet")
        health = store.check()
        damaged = {t.table: t.error for t in health.tables if not t.ok}
        try:
            ranges = {r["table"]: r for r in store.table_info().iter_rows(named=True)}
        except StoreCorruptError:  # a damaged date column: the check's row counts, without dates
            ranges = {}
    table = Table(title=f"{describe_url(db)} — schema v{version}")
    for col in ("表 table", "行数 rows", "起 first", "止 last"):
        table.add_column(col, justify="right" if col.startswith("行") else "left")
    for checked in health.tables:
        if not checked.ok:
            table.add_row(checked.table, "[red]✗ 已损坏 damaged[/red]", "", "")
            continue
        row = ranges.get(checked.table, {})
        first = "" if row.get("first_date") is None else str(row["first_date"])
        last = "" if row.get("last_date") is None else str(row["last_date"])
        table.add_row(checked.table, f"{checked.rows or 0:,}", first, last)
    console.print(table)
    if not health.ok:
        for name, error in damaged.items():
            error_line(f"表 {name} 已损坏 / table {name} is damaged: {error}")
        console.print(f"  → {RESTORE_HINT}", soft_wrap=True)
        raise typer.Exit(code=EXIT_CORRUPT)


@db_app.command("backup")
def db_backup_cmd(
    dest: Annotated[
        Path | None,
        typer.Argument(
            help="备份目录（默认 <数据目录>/backups/<时间>）/ backup directory", show_default=False
        ),
    ] = None,
    db: DbUrl = None,
) -> None:
    """备份数据库：DuckDB 导出为 Parquet，PostgreSQL 用 pg_dump；打印备份目录 / back up the database and print
    where the backup went."""
    from thermoquant.data.store import open_store
    from thermoquant.data.store.backup import backup, default_destination

    target = dest if dest is not None else default_destination(get_settings().data_dir)
    with open_store(db, init=False, calendar=False) as store:
        info = backup(store, target)
    console.print(
        f"[green]✓ 已备份 backed up[/green] {describe_url(db)}: {len(info.tables)} 张表 tables, "
        f"{info.rows:,} 行 rows"
    )
    console.print(str(info.path), soft_wrap=True)


@db_app.command("restore")
def db_restore_cmd(
    src: Annotated[
        Path, typer.Argument(help="tq db backup 写出的备份目录 / a directory written by tq db backup")
    ],
    db: DbUrl = None,
) -> None:
    """从备份恢复数据库：原子替换，原数据库保留在旁边 / restore a backup atomically; the replaced database is
    kept aside, never deleted."""
    from thermoquant.data.store import open_store
    from thermoquant.data.store.backup import restore

    with open_store(db, init=False, calendar=False) as store:
        result = restore(store, src)
    made = result.backup.created_at.strftime("%Y-%m-%d %H:%M:%S")
    console.print(
        f"[green]✓ 已恢复 restored[/green] {result.target} ← {result.backup.path} "
        f"（{made} 的备份 backup, {len(result.tables)} 张表 tables, {sum(result.tables.values()):,} 行 rows）",
        soft_wrap=True,
    )
    if result.kept:
        console.print(f"原数据库保留在 / the replaced database is kept at: {result.kept}", soft_wrap=True)


@app.command("doctor")
def doctor_cmd(db: DbUrl = None) -> None:
    """检查配置、数据库（逐表逐行读一遍）与交易日历覆盖 / check configuration, the database (every table read
    through) and calendar coverage. 退出码 exit code: 0 全部正常 all good, 其余见 tq --help / else see tq --help."""
    from thermoquant.cli.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, describe, show_failure

    code = EXIT_OK
    try:
        settings = get_settings()
        cfg = config_file_path()
    except Exception as exc:  # the doctor reports every failure instead of stopping at the first
        failure = describe(exc)
        if failure is None:
            raise
        show_failure(failure, console)
        code = max(code, EXIT_USAGE)
    else:
        console.print(f"配置文件 config: {cfg if cfg else '（无，使用默认值与 TQ_* 环境变量）'}")
        console.print(f"数据目录 data dir: {settings.data_dir}")
        console.print(f"Tushare token: {'已设置 set' if settings.tushare_token else '未设置 not set'}")
        code = max(code, _doctor_database(db))
    if code == EXIT_USAGE:  # "today" comes from the settings too
        console.print(
            "[yellow]![/yellow] 交易日历未检查（配置无效）/ calendar not checked (invalid configuration)"
        )
    elif not _doctor_calendar():
        code = max(code, EXIT_FAILURE)
    if code != EXIT_OK:
        raise typer.Exit(code=code)


def _doctor_database(db: str | None) -> int:
    """The database lines of `tq doctor`: reachable, initialised, every table read through (damage is listed per
    table, even in a truncated file). Returns an exit code."""
    from thermoquant.cli.errors import EXIT_CORRUPT, EXIT_OK, RESTORE_HINT, describe
    from thermoquant.data.store import NotInitializedError, StoreError, open_store

    url = describe_url(db)
    try:
        with open_store(db, init=False, calendar=False) as store:  # nothing read before the check
            with progress_bar(console.is_terminal) as progress:
                health = store.check(progress)
            if "schema_version" not in {t.table for t in health.tables}:
                raise NotInitializedError(f"{url} holds no thermoquant tables yet")
            version = store.schema_version() if health.ok else None
        if health.ok:
            with open_store(db, init=False):  # installs the stored trading calendar for the calendar line
                pass
    except StoreError as exc:
        failure = describe(exc)
        assert failure is not None
        label = {
            "NotInitializedError": "数据库尚未初始化 / not initialised",
            "StoreCorruptError": "数据库已损坏 / damaged",
        }.get(type(exc).__name__, "数据库不可用 database unreachable")
        error_line(f"{label}: {exc}")
        if failure.hint:
            console.print(f"  → {failure.hint}", soft_wrap=True)
        return failure.code
    rows = sum(t.rows or 0 for t in health.tables)
    if health.ok:
        console.print(f"[green]✓[/green] 数据库可用 database reachable: {url}, schema v{version}")
        console.print(
            f"[green]✓[/green] 已逐表读完 every table read through: {len(health.tables)} 张表 tables, "
            f"{rows:,} 行 rows"
        )
        return EXIT_OK
    console.print(f"[green]✓[/green] 数据库可连接 database reachable: {url}")
    if health.file_error:
        error_line(f"数据库文件已损坏 / database file damaged: {health.file_error}")
    for t in health.tables:
        if not t.ok:
            error_line(f"表 {t.table} 已损坏 / table {t.table} is damaged: {t.error}")
    console.print(f"  → {RESTORE_HINT}", soft_wrap=True)
    return EXIT_CORRUPT


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
app.add_typer(alerts_commands.app, name="alerts")
app.add_typer(trade_commands.audit_app, name="audit")
app.command("backtest")(backtest_commands.backtest)
app.add_typer(calendar_commands.app, name="calendar")
app.command("daily")(daily_commands.daily)
app.add_typer(evaluate_commands.app, name="evaluate")
app.add_typer(evolve_commands.app, name="evolve")
app.add_typer(factors_commands.app, name="factors")
app.add_typer(features_commands.app, name="features")
app.command("ingest")(ingest_commands.ingest)
app.add_typer(market_commands.app, name="market")
app.add_typer(physics_commands.app, name="physics")
app.command("scan")(scan_commands.scan)
app.add_typer(schedule_commands.app, name="schedule")
app.command("signals")(signals_commands.signals)
app.command("stock")(stock_commands.stock)
app.add_typer(strategies_commands.app, name="strategies")
app.add_typer(trade_commands.app, name="trade")
app.command("ui")(ui_commands.ui)
# --- end of sub-app registrations ---


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
