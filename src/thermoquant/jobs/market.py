"""Whole-market computations over what the store holds: factors (``compute_features``) and physics
(``compute_physics``), each written as Parquet under the data directory and recorded in ``job_log``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from thermoquant.data.job_log import job_run
from thermoquant.data.store.errors import NoDataError
from thermoquant.features.bars import adj_factor_from_pre_close, qfq
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.fingerprint import frame_fingerprint
from thermoquant.physics.bars import traded_bars
from thermoquant.physics.thermo import compute_physics as physics_of
from thermoquant.progress import tick


@dataclass
class FeaturesResult:
    """Files written, stocks and rows computed, the stocks whose factors came from the exchange pre_close."""

    files: list[Path]
    stocks: int
    rows: int
    derived_factors: int
    target: Path


def with_listing_and_st(store: object, bars: pl.DataFrame) -> pl.DataFrame:
    """``bars`` with ``list_date`` from ``stock_info`` and ``is_st`` filled from ``st_history`` where the bar's own
    flag is null: the inputs of each day's limit price (listing-day rules, the 5 % ST band). A table without rows
    leaves the bars as they are (no listing rule; a null ``is_st`` counts as not ST)."""
    from thermoquant.market.st import st_flags

    info = store.read("stock_info", columns=["symbol", "list_date"])  # type: ignore[attr-defined]
    if info.height:
        bars = bars.drop("list_date", strict=False).join(info.unique("symbol"), on="symbol", how="left")
    history = store.read("st_history", columns=["symbol", "start_date", "end_date", "kind"])  # type: ignore[attr-defined]
    if history.height:
        flags = st_flags(bars.select("symbol", "trade_date"), history, date_col="trade_date")["is_st"]
        own = (
            bars["is_st"] if "is_st" in bars.columns else pl.Series("is_st", [None] * bars.height, pl.Boolean)
        )
        bars = bars.with_columns(own.fill_null(flags).alias("is_st"))
    return bars


def store_bars_qfq(store: object, symbols: list[str] | None) -> tuple[pl.DataFrame, int]:
    """Stored daily bars forward-adjusted at each stock's last bar: stored adjustment factors, else the factors the
    exchange pre_close implies; with listing dates and ST flags (:func:`with_listing_and_st`).
    Returns (bars, number of stocks whose factors were derived)."""
    df = with_listing_and_st(store, store.read("daily_quote", symbols=symbols))  # type: ignore[attr-defined]
    adj = store.read("adj_factor", symbols=symbols, columns=["symbol", "trade_date", "adj_factor"])  # type: ignore[attr-defined]
    derived = adj_factor_from_pre_close(df.join(adj.select("symbol").unique(), on="symbol", how="anti"))
    return qfq(df, pl.concat([adj, derived])), derived["symbol"].n_unique()


def compute_features(
    ctx: JobContext,
    *,
    dims: list[int],
    convention: str = "tdx",
    symbols: list[str] | None = None,
    index_code: str | None = "000905.SH",
    bars: pl.DataFrame | None = None,
    market: pl.DataFrame | None = None,
    out: Path | None = None,
    chunk: int = 500,
) -> FeaturesResult:
    """Factors of ``dims`` over the stored bars (or ``bars``), written as Parquet (``<data dir>/features/<conv>``)."""
    from thermoquant.features.engine import tune_allocator, write_parquet

    tune_allocator()  # a batch job: keep freed panel memory in the heap (see its docstring)
    args = {"dims": dims, "convention": convention, "symbols": symbols, "index": index_code, "chunk": chunk}
    with ctx.open_store() as store, job_run(store, "compute_features", args=args) as log:
        derived = 0
        if bars is None:
            tick(ctx.progress, "读取行情 reading daily_quote", 0, 2)
            bars, derived = store_bars_qfq(store, symbols)
            if market is None and index_code:
                market = store.read(
                    "index_daily", where={"index_code": index_code}, columns=["trade_date", "close"]
                )
        if bars.is_empty():
            raise NoDataError(
                "没有日线数据 / no daily bars to compute: load data first (tq import, tq ingest)"
            )
        log.args["inputs"] = {"bars": frame_fingerprint(bars)}
        target = out or ctx.settings.ensure_data_dir() / "features" / convention
        tick(ctx.progress, "计算因子 computing factors", 1, 2)
        files = write_parquet(
            bars, target, dims=dims, convention=convention, market=market, chunk_stocks=chunk
        )
        log.rows_in, log.rows_written = bars.height, len(files)
    return FeaturesResult(files, bars["symbol"].n_unique(), bars.height, derived, target)


@dataclass
class PhysicsResult:
    """The Parquet file written and the size of what was computed."""

    path: Path
    stocks: int
    rows: int


def compute_physics(
    ctx: JobContext,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    symbols: list[str] | None = None,
) -> PhysicsResult:
    """T_f, T_i, ΔT, K, Q, chip metrics and states of every stored stock-bar in [start, end], written to
    ``<data dir>/physics/physics_<first>_<last>.parquet``."""
    args = {"start": start, "end": end, "symbols": symbols}
    with ctx.open_store(init=False) as store, job_run(store, "compute_physics", args=args) as log:
        quotes = store.read("daily_quote", symbols=symbols, start=start, end=end)
        bars = traded_bars(quotes)
        if bars.is_empty():
            raise NoDataError(f"daily_quote has no traded rows in [{start}, {end}]")
        log.args["inputs"] = {"bars": frame_fingerprint(bars)}
        physics = physics_of(bars)
        first, last = physics["trade_date"].min(), physics["trade_date"].max()
        path = ctx.settings.ensure_data_dir() / "physics" / f"physics_{first}_{last}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        physics.write_parquet(path)
        log.rows_in, log.rows_written = bars.height, physics.height
    return PhysicsResult(path, physics["symbol"].n_unique(), physics.height)
