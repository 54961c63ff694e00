"""`tq physics …` commands: report, validate, states."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from thermoquant.cli.options import parse_date

app = typer.Typer(
    help="热力学模型：筹码分布、温差、导热系数与 A/B/C/D 状态 / physics engine", no_args_is_help=True
)
console = Console(width=200)

REAL_DATA_ENV = "TQ_REAL_DATA_DIR"
"""Environment variable naming the real-data directory when ``tq physics validate`` gets no ``--real``."""


def _table(df: pl.DataFrame, title: str) -> Table:
    table = Table(title=title)
    for c in df.columns:
        table.add_column(c)
    for row in df.iter_rows():
        table.add_row(*["" if v is None else str(v) for v in row])
    return table


def _real_dir(real_dir: Path | None) -> Path:
    """The ``--real`` directory (Typer fills it from $TQ_REAL_DATA_DIR); a usage error when neither names an
    existing directory."""
    if real_dir is None:
        raise typer.BadParameter(
            f"请用 --real 或环境变量 {REAL_DATA_ENV} 指定真实数据目录 / give --real or set {REAL_DATA_ENV}",
            param_hint="--real",
        )
    if not real_dir.is_dir():
        raise typer.BadParameter(f"目录不存在 / not a directory: {real_dir}", param_hint="--real")
    return real_dir


@app.command("report")
def report_cmd(
    symbol: Annotated[str, typer.Argument(help="股票代码，如 000025.SZ / symbol")],
    start: Annotated[str | None, typer.Option("--start", help="起始日 YYYY-MM-DD / first day shown")] = None,
    end: Annotated[str | None, typer.Option("--end", help="结束日 YYYY-MM-DD / last day shown")] = None,
    input_path: Annotated[
        Path | None,
        typer.Option("--input", help="CSV/Parquet 行情文件（不填则读数据库）/ bar file instead of the store"),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="输出 HTML 路径 / output HTML")] = None,
    mode: Annotated[str, typer.Option("--mode", help="筹码模式 behavioral|tdx / chip mode")] = "behavioral",
    warmup: Annotated[int, typer.Option("--warmup", help="预热天数（日历日）/ warm-up calendar days")] = 400,
    db: Annotated[str | None, typer.Option("--db", help="数据库 URL / database URL")] = None,
) -> None:
    """生成单只股票的热力学报告（自包含 HTML）/ self-contained HTML physics report of one stock."""
    from thermoquant.jobs.inputs import read_bars, read_store_bars
    from thermoquant.market.symbols import normalize_symbol
    from thermoquant.physics.report import build_report, write_report

    s, e = parse_date(start), parse_date(end)
    first = None if s is None else s - timedelta(days=warmup)
    sym = normalize_symbol(symbol)
    if input_path is not None:
        bars = read_bars(input_path, symbols=[sym], start=first, end=e)
        if bars.is_empty():
            raise typer.BadParameter(
                f"{input_path} 中没有 {sym} 的行情 / no bars of {sym}", param_hint="--input"
            )
    else:
        from thermoquant.data.store import open_store

        with open_store(db) as store:
            bars = read_store_bars(store, [sym], start=first, end=e)
    fig = build_report(bars, s, e, mode=mode)
    path = write_report(fig, out or Path(f"physics_{sym}_{start or 'all'}_{end or 'all'}.html"))
    console.print(f"[green]报告已写入[/green] report written: {path} ({path.stat().st_size / 1e6:.1f} MB)")


@app.command("validate")
def validate_cmd(
    real_dir: Annotated[
        Path | None,
        typer.Option("--real", envvar=REAL_DATA_ENV, help="真实数据目录 / real-data directory"),
    ] = None,
    market: Annotated[
        bool, typer.Option("--market/--no-market", help="全市场前瞻收益 / market windows")
    ] = True,
) -> None:
    """默认参数下的牛股时间线与全市场分状态前瞻收益 / default-parameter validation on real history."""
    from thermoquant.jobs.physics_validate import validate_market, validate_runs

    real_dir = _real_dir(real_dir)
    runs = validate_runs(real_dir)
    with pl.Config(tbl_cols=-1, tbl_width_chars=250):
        for row in runs.iter_rows(named=True):
            console.print(_table(pl.DataFrame({"field": list(row), "value": [str(v) for v in row.values()]}),
                                 f"run {row['symbol']}"))  # fmt: skip
        if market:
            for name, table in validate_market(real_dir).items():
                console.print(_table(table, f"forward returns by state — {name}"))


@app.command("states")
def states_cmd(
    input_path: Annotated[Path, typer.Argument(help="CSV/Parquet 行情文件 / bar file")],
    last: Annotated[int, typer.Option("--last", help="显示最后 N 行 / show the last N rows")] = 20,
) -> None:
    """计算并显示温差、导热系数、燃料与状态 / compute and show ΔT, K, Q and states."""
    from thermoquant.jobs.inputs import read_bars
    from thermoquant.physics.thermo import compute_physics

    phys = compute_physics(read_bars(input_path))
    cols = [
        "symbol",
        "trade_date",
        "t_f",
        "t_i",
        "dt",
        "k",
        "q_below",
        "profit_ratio",
        "state_name",
        "buy_point",
        "stop",
    ]
    console.print(
        _table(phys.select(cols).tail(last).with_columns(pl.col(pl.Float64).round(4)), str(input_path))
    )
