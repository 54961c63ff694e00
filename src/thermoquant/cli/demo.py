"""`tq demo` / `make demo`: the daily job on the bundled real sample, start to finish.

1. create or migrate the database (DuckDB file in the data directory unless configured otherwise);
2. load the bundled real sample through the user-file import path (layouts, units, quality report);
3. run the thermodynamic model over the whole stored market (the 2021 window, ~4,700 stocks), scan the last
   day (blacklist, states, top ignition candidates) and store the signals;
4. run the CSI500 timing strategy (seed 004) on the sample and print its summary;
5. print what the database now holds.

Every step reads what the previous one stored: the demo exercises the same path as a user's daily run.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import TYPE_CHECKING

import polars as pl
from rich.console import Console
from rich.table import Table

from thermoquant.config import get_settings

if TYPE_CHECKING:
    from thermoquant.data.store import Store


def _step(console: Console, n: int, title: str) -> float:
    console.rule(f"[bold]{n}. {title}")
    return time.perf_counter()


def _done(console: Console, started: float) -> None:
    console.print(f"[dim]用时 {time.perf_counter() - started:.1f} s[/dim]")


def _frame_table(df: pl.DataFrame, title: str) -> Table:
    table = Table(title=title)
    for name in df.columns:
        table.add_column(name)
    for row in df.iter_rows():
        table.add_row(*("" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v) for v in row))
    return table


def run_demo(url: str | None, console: Console) -> None:
    """Run every step of the demo against the database at `url` (None: the configured one)."""
    from thermoquant.cli.console import progress_bar
    from thermoquant.cli.import_report import render_report
    from thermoquant.data.sources.sample import load_sample_results, summarize
    from thermoquant.data.store import open_store

    settings = get_settings()
    settings.ensure_data_dir()
    t = _step(console, 1, "建库 / create the database")
    with open_store(url) as store:
        console.print(
            f"数据库 database: {url or settings.resolved_database_url}，schema v{store.schema_version()}"
        )
        _done(console, t)

        t = _step(console, 2, "导入随包真实样本 / load the bundled real sample")
        with progress_bar(out=console) as progress:
            results = load_sample_results(store, progress)
        console.print(render_report(results, max_rows=20))
        counts = summarize(results)
        written = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()) if v)
        written = written or "无变化（已导入过）/ unchanged: the sample was loaded before"
        console.print(f"本次写入 rows written: {written}")
        _done(console, t)

        t = _step(console, 3, "全市场热力学扫描 / full-market thermodynamic scan")
        _thermo_scan(store, console)
        _done(console, t)

        t = _step(console, 4, "中证500 择时策略 / CSI500 timing strategy (seed 004)")
        console.print(_csi500_summary(store))
        _done(console, t)

        t = _step(console, 5, "数据库概况 / what the database holds")
        info = store.table_info().filter(pl.col("rows") > 0)
        console.print(_frame_table(info.select("table", "rows", "first_date", "last_date"), "tq db info"))
        _done(console, t)


def _thermo_scan(store: Store, console: Console) -> None:
    from thermoquant.physics.thermo import compute_physics
    from thermoquant.signals.scan import STRATEGY, latest_market_day, scan, scan_summary

    started = dt.datetime.now()
    quotes = store.read(
        "daily_quote",
        columns=["symbol", "trade_date", "open", "high", "low", "close", "pre_close", "volume", "amount",
                 "turnover", "float_shares", "is_suspended", "is_st"],
    )  # fmt: skip
    bars = quotes.filter(pl.col("volume") > 0)
    physics = compute_physics(bars)
    last_day = latest_market_day(bars)
    unlocks = store.read("share_unlock")
    signals = scan(physics, quotes, last_day, unlocks=unlocks)
    console.print(
        f"{bars['symbol'].n_unique():,} 只股票 × {bars['trade_date'].n_unique()} 个交易日 → 扫描日 scan day {last_day}："
        f"合格 eligible {signals.height:,} 只"
    )
    console.print(_frame_table(scan_summary(signals), "状态 × 信号 / state × signal"))
    top = signals.filter(pl.col("rank").is_not_null()).select("rank", "symbol", "state", "signal", "score")
    console.print(_frame_table(top, "引燃前 0.5%（按导热系数 K）/ top ignition candidates"))
    stored = store.upsert("signals", signals.drop("rank"))
    store.upsert(
        "job_log",
        pl.DataFrame(
            {
                "job_id": [uuid.uuid4().hex],
                "job": ["demo_scan"],
                "dataset": ["daily_quote"],
                "status": ["ok"],
                "started_at": [started],
                "finished_at": [dt.datetime.now()],
                "rows_in": [bars.height],
                "rows_written": [stored],
            }
        ),
    )
    console.print(f"信号已写入 signals 表（strategy = {STRATEGY}）：{stored} 行变化 / rows changed")


def _csi500_summary(store: Store) -> str:
    """Seed 004's strategy on the stored 000905.SH bars (MA warm-up from 2005) and the sample's reference
    breadth / heat_z / ETF turnover series (2019-2026; the constituent closes to rebuild breadth for every day are
    not in the sample)."""
    from thermoquant.backtest.csi500_data import REFERENCE_SAMPLE, read_reference, with_index_history
    from thermoquant.data.sources.sample import sample_path
    from thermoquant.strategies.csi500_timing import demo_summary

    reference = read_reference(sample_path(REFERENCE_SAMPLE))
    history = store.read("index_daily", where={"index_code": "000905.SH"})
    if history.is_empty():
        raise LookupError("index_daily holds no 000905.SH bars: load the sample first")
    return demo_summary(with_index_history(reference, history), reference["trade_date"].min())
