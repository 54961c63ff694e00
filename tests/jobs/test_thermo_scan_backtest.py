"""The scan as a strategy through the A-share engine, on the bundled 2021 market: holdings capped, lots and cash
respected, and the run replays identically."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from thermoquant.jobs.backtest import BacktestRequest, replay, run_backtest_job
from thermoquant.jobs.context import JobContext

pytestmark = pytest.mark.slow


def test_thermo_scan_through_the_engine(sample_ctx: JobContext) -> None:
    request = BacktestRequest("thermo_scan", {"max_positions": 10}, dt.date(2021, 11, 1), dt.date(2021, 12, 31),
                              source="store")  # fmt: skip
    job = run_backtest_job(sample_ctx, request, report_to=False)
    run = job.run
    engine = run.engine
    assert engine is not None and run.config.fill == "next_open"
    held = (engine.positions > 0).sum(axis=0)
    assert held.max() <= 10 and held.max() > 0
    assert (engine.cash >= -1e-6).all()
    buys = run.orders.filter((pl.col("filled") > 0) & (pl.col("side") == "buy"))
    star = buys["symbol"].str.starts_with("688")
    assert (buys.filter(~star)["filled"] % 100 == 0).all() and (buys.filter(star)["filled"] >= 200).all()
    assert set(run.orders["status"].unique().to_list()) <= {"filled", "partial", "limit", "suspended", "lot", "cash",
                                                            "t+1"}  # fmt: skip
    assert np.isfinite(run.summary["total_return"]) and run.summary["trades"] > 0
    assert "benchmark_total_return" in run.summary and run.summary["benchmark_total_return"] != 0.0
    again = replay(sample_ctx, job.run_id)
    assert again.inputs_identical and again.metrics_identical, again.differences
