"""The scan reads the packs in force on its day: a pack valid from a later day changes nothing, one in force does."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl

from thermoquant.config import get_settings
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.scan import daily_scan

DAY = dt.date(2021, 12, 1)
EXTREME = {"ignition_dt": 0.5, "pullback_band": 0.0, "shrink_ratio": 0.0, "stop_days": 1}


def packs(symbols: list[str], valid_from: dt.date) -> pl.DataFrame:
    return pl.DataFrame({"symbol": symbols, "effective_date": [valid_from] * len(symbols),
                         "params": [json.dumps(EXTREME)] * len(symbols), "method": ["test"] * len(symbols)})  # fmt: skip


def test_scan_uses_the_packs_in_force_on_its_day(sample_bars: pl.DataFrame, tmp_path: Path) -> None:
    ctx = JobContext(settings=get_settings().model_copy(update={"data_dir": tmp_path}),
                     db_url=f"duckdb:///{tmp_path / 'tq.duckdb'}")  # fmt: skip
    symbols = sample_bars["symbol"].unique().sort().to_list()
    with ctx.open_store() as store:
        store.upsert("daily_quote", sample_bars.filter(pl.col("trade_date") <= dt.date(2021, 12, 31)))

    def signals() -> pl.DataFrame:
        return daily_scan(ctx, DAY).signals.select("symbol", "signal", "state").sort("symbol")

    base = signals()
    assert set(base["state"].drop_nulls().to_list()) <= {"A", "B", "C", "D"}
    with ctx.open_store() as store:
        store.upsert("param_pack", packs(symbols, DAY + dt.timedelta(days=1)))
    assert signals().equals(base)  # a later pack is never read
    with ctx.open_store() as store:
        store.upsert("param_pack", packs(symbols, DAY))
    moved = signals()
    assert not moved.equals(base)
    assert moved.filter(pl.col("state") == "B").height == 0  # ΔT never jumps across 50 %
