"""`tq backtest thermo` through the job on the bundled 2021 market: per-stock parameters from the store's
``param_pack`` table reach the strategy, and the run replays identically."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from thermoquant.jobs.backtest import BacktestRequest, replay, run_backtest_job
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.panels import build_panel
from thermoquant.strategies.thermo import run_book
from thermoquant.strategies.thermo_params import ThermoStrategyParams

pytestmark = pytest.mark.slow
START, END = dt.date(2021, 11, 1), dt.date(2021, 12, 31)


def test_param_pack_from_the_store_changes_the_book_from_its_date(sample_ctx: JobContext) -> None:
    p = ThermoStrategyParams()
    with sample_ctx.open_store() as store:
        before = run_book(build_panel(store, "thermo", "store", "reference", START, END, p), p).rows
        symbols = before["symbol"].unique().to_list()
        effective = dt.date(2021, 12, 1)
        store.upsert("param_pack", pl.DataFrame({
            "symbol": symbols, "effective_date": [effective] * len(symbols),
            "params": [json.dumps({"take_profit": 0.001, "ti_window": 10})] * len(symbols),
            "method": ["test"] * len(symbols),
        }))  # fmt: skip
        panel = build_panel(store, "thermo", "store", "reference", START, END, p)
    assert "param_pack" in panel.frames
    after = run_book(panel, p).rows
    cols = ["symbol", "trade_date", "weight", "reason"]
    early = pl.col("trade_date") < effective
    assert before.filter(early).select(cols).equals(after.filter(early).select(cols))
    assert (after.filter(~early)["take_profit"] == 0.001).all()
    tp_before = before.filter(~early & (pl.col("reason") == "take_profit")).height
    assert after.filter(~early & (pl.col("reason") == "take_profit")).height > tp_before


def test_thermo_through_the_engine_replays(sample_ctx: JobContext) -> None:
    job = run_backtest_job(
        sample_ctx, BacktestRequest("thermo", {}, START, END, source="store"), report_to=False
    )
    assert job.run.engine is not None and job.run.summary["trades"] > 0
    again = replay(sample_ctx, job.run_id)
    assert again.inputs_identical and again.metrics_identical, again.differences
