"""`tq features …`: list the factor registry and compute factors into Parquet files.

Factor results are stored as Parquet under ``<data_dir>/features/<convention>/dim=<n>/part-*.parquet`` (columns
``symbol``, ``trade_date`` and one Float64 column per factor of dimension n): the tables are too wide and long for the
relational store; read them with ``pl.scan_parquet(".../dim=4/*.parquet")``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from thermoquant.cli.console import console, error
from thermoquant.features.registry import CONVENTIONS, DIMENSIONS, list_factors

app = typer.Typer(help="因子库（种子 003 的 8 个维度）/ factor library", no_args_is_help=True)


def _parse_dims(dims: str | None) -> list[int] | None:
    if not dims:
        return None
    try:
        out = sorted({int(d) for d in dims.split(",") if d.strip()})
    except ValueError:
        raise typer.BadParameter(
            f"--dims 应为逗号分隔的整数 1..8 / comma-separated 1..8, got {dims!r}"
        ) from None
    bad = [d for d in out if d not in DIMENSIONS]
    if bad:
        raise typer.BadParameter(f"unknown dimensions {bad}; valid: 1..8")
    return out


@app.command("list")
def list_cmd(
    dims: Annotated[str | None, typer.Option("--dims", help="维度，如 1,4 / dimensions, e.g. 1,4")] = None,
) -> None:
    """列出因子注册表（中英文名、维度、单位、口径）/ list the registry."""
    facs = list_factors(_parse_dims(dims))
    table = Table(title=f"因子 / factors ({len(facs)})")
    for col in ("维度 dim", "名称 name", "中文名", "单位 unit", "口径 convention", "说明 doc"):
        table.add_column(col, overflow="fold")
    for f in facs:
        table.add_row(
            f"{f.dimension} {DIMENSIONS[f.dimension][0]}",
            f.name,
            f.name_zh,
            f.unit or "-",
            f.convention or "-",
            f.doc,
        )
    console.print(table)


def _load_input(path: Path) -> pl.DataFrame:
    if not path.exists():
        raise typer.BadParameter(f"input file not found: {path}")
    df = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_csv(path, try_parse_dates=True)
    missing = [
        c
        for c in ("symbol", "trade_date", "open", "high", "low", "close", "volume", "amount")
        if c not in df.columns
    ]
    if missing:
        raise typer.BadParameter(f"{path}: missing columns {missing} (volume in shares, amount in CNY)")
    return df


@app.command("compute")
def compute_cmd(
    dims: Annotated[str, typer.Option("--dims", help="维度 / dimensions")] = "1,2,3,4",
    symbols: Annotated[
        str | None, typer.Option("--symbols", help="股票代码，逗号分隔 / e.g. 000025.SZ,603083.SH")
    ] = None,
    convention: Annotated[str, typer.Option("--convention", help="tdx（通达信，默认）或 talib")] = "tdx",
    input_path: Annotated[
        Path | None,
        typer.Option(
            "--input", help="Parquet/CSV 日线文件（不读数据库）/ daily bars file instead of the store"
        ),
    ] = None,
    index_code: Annotated[
        str | None, typer.Option("--index", help="Beta/相关性的基准指数 / market index, e.g. 000905.SH")
    ] = "000905.SH",
    market_path: Annotated[
        Path | None, typer.Option("--market", help="基准指数文件（trade_date, close）/ index file")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="输出目录 / output dir")] = None,
    chunk: Annotated[int, typer.Option("--chunk", help="每批股票数 / stocks per chunk")] = 500,
) -> None:
    """计算因子并写入 Parquet / compute factors and write Parquet (<data_dir>/features/<convention>/dim=<n>/)."""
    from thermoquant.jobs.context import JobContext
    from thermoquant.jobs.market import compute_features

    if convention not in CONVENTIONS:
        raise typer.BadParameter(f"--convention must be one of {CONVENTIONS}")
    dim_list = _parse_dims(dims) or [1, 2, 3, 4]
    syms = [s.strip() for s in symbols.split(",")] if symbols else None
    t0 = time.perf_counter()
    bars = None
    if input_path is not None:
        bars = _load_input(input_path)
        if syms:
            bars = bars.filter(pl.col("symbol").is_in(syms))
    market = _load_input_market(market_path) if market_path is not None else None
    try:
        result = compute_features(
            JobContext(), dims=dim_list, convention=convention, symbols=syms, index_code=index_code, bars=bars,
            market=market, out=out, chunk=chunk,
        )  # fmt: skip
    except LookupError as exc:
        error(exc)
        raise typer.Exit(1) from None
    if result.derived_factors:
        console.print(
            f"[yellow]{result.derived_factors} 只股票无复权因子：由交易所昨收价推算 / "
            "no stored adj factors: derived from the exchange pre_close[/]"
        )
    console.print(
        f"[green]完成 / done[/]: {result.stocks} 只股票, {result.rows} 行, 维度 {dim_list}, 口径 {convention}, "
        f"{len(result.files)} 个文件 → {result.target}  ({time.perf_counter() - t0:.1f} s)"
    )


def _load_input_market(path: Path) -> pl.DataFrame:
    df = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_csv(path, try_parse_dates=True)
    if "trade_date" not in df.columns and "date" in df.columns:
        df = df.rename({"date": "trade_date"})
    if not {"trade_date", "close"} <= set(df.columns):
        raise typer.BadParameter(f"{path}: the index file needs trade_date (or date) and close")
    return df.select(pl.col("trade_date").cast(pl.Date), pl.col("close").cast(pl.Float64))
