"""Ingestion throughput: `run_ingest` (adapter mapping + quality rules + upsert + checkpoint per symbol) against
its floor, one bulk `store.upsert` of the same rows already in our schema, on the same DuckDB build.

Data: real unadjusted bars of N stocks for 2021 from ../shared/data/real/xbx_market, served as Tushare `daily`
answers (vol 手, amount 千元, newest first) by an in-memory stand-in for the network.

Run: `.venv/bin/python benchmarks/bench_sources_ingest.py [N]` (default N = 200 stocks).
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

from thermoquant.data.ingest import run_ingest
from thermoquant.data.sources.tushare_src import TushareSource
from thermoquant.data.store import open_store

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


class DailyStandIn:
    """Answers `query("daily", ts_code=…)` from prepared pandas frames (the network, not the code under test)."""

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.frames = frames

    def query(self, api_name: str, fields: str = "", **kw: Any) -> pd.DataFrame:
        return self.frames.get(kw["ts_code"], pd.DataFrame())


def load(n: int) -> tuple[dict[str, pd.DataFrame], list[str]]:
    df = pl.read_parquet(REAL / "xbx_market" / "market_2021-01_2022-01.parquet")
    df = df.with_columns(pl.col("code").cast(pl.Utf8), pl.col("date").dt.date())
    df = df.filter(pl.col("code").str.starts_with("sh6") | pl.col("code").str.starts_with("sz0"))
    codes = sorted(df["code"].unique().to_list())[:n]
    df = df.filter(pl.col("code").is_in(codes) & (pl.col("date") <= date(2021, 12, 31)))
    frames: dict[str, pd.DataFrame] = {}
    for (code,), part in df.sort("date", descending=True).group_by(["code"]):
        ts_code = f"{code[2:]}.{code[:2].upper()}"
        frames[ts_code] = pd.DataFrame(
            {
                "ts_code": ts_code,
                "trade_date": [d.strftime("%Y%m%d") for d in part["date"]],
                "open": part["open"].to_numpy(),
                "high": part["high"].to_numpy(),
                "low": part["low"].to_numpy(),
                "close": part["close"].to_numpy(),
                "pre_close": part["preclose"].to_numpy(),
                "change": (part["close"] - part["preclose"]).to_numpy(),
                "pct_chg": ((part["close"] / part["preclose"] - 1) * 100).to_numpy(),
                "vol": (part["volume"] / 100.0).to_numpy(),
                "amount": (part["amount"] / 1000.0).to_numpy(),
            }
        )
    return frames, sorted(frames)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    if not (REAL / "MANIFEST.md").exists():
        print(f"real data not found at {REAL}; skipping")
        return
    frames, symbols = load(n)
    rows = sum(len(f) for f in frames.values())
    with tempfile.TemporaryDirectory() as tmp:
        src = TushareSource(DailyStandIn(frames), token="bench", per_minute=1e9, daily_extras=False)
        with open_store(f"duckdb:///{tmp}/job.duckdb") as store:
            t0 = time.perf_counter()
            report = run_ingest(
                store, "daily_quote", [src], symbols=symbols, start=date(2021, 1, 1), end=date(2021, 12, 31)
            )
            t_job = time.perf_counter() - t0
            assert report.status == "ok" and report.rows_written == rows, report.status
            mapped = store.read("daily_quote")
        with open_store(f"duckdb:///{tmp}/bulk.duckdb") as store:
            t0 = time.perf_counter()
            written = store.upsert("daily_quote", mapped)
            t_bulk = time.perf_counter() - t0
            assert written == rows
    print(f"ingest daily_quote: {len(symbols)} symbols, {rows} rows (real 2021 bars, Tushare units)")
    print(
        f"  run_ingest (map + quality per symbol, batched upsert + checkpoints): {t_job:8.2f} s  {rows / t_job:10.0f} rows/s"
    )
    print(
        f"  peer: one bulk store.upsert of the mapped rows                      : {t_bulk:8.2f} s  {rows / t_bulk:10.0f} rows/s"
    )
    print(
        f"  ratio job / bulk upsert: {t_job / t_bulk:.1f}x  (per-symbol items buy resumability and per-item reports)"
    )


if __name__ == "__main__":
    main()
