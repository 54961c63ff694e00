"""attack_score and rotation on the bundled 2021 market (with the two Shenwan snapshots): the scan stores every
component and TP/SL, and the rotation backtest respects its caps and says how it ranked industries."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from thermoquant.jobs.backtest import BacktestRequest, run_backtest_job
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.panels import build_panel
from thermoquant.jobs.scan import daily_scan
from thermoquant.signals.scores import COMPONENTS
from thermoquant.strategies.registry import get_strategy

pytestmark = pytest.mark.slow


def test_attack_score_scan_stores_components_and_tp_sl(sample_ctx: JobContext) -> None:
    day = dt.date(2021, 12, 31)
    result = daily_scan(sample_ctx, day, "attack_score")
    with sample_ctx.open_store() as store:
        rows = store.read("signals", where={"strategy": "attack_score"})
    assert rows.height == result.signals.height > 4000 and result.stored == rows.height
    details = [json.loads(d) for d in rows["details"].to_list()]
    for d, score in zip(details, rows["score"].to_list(), strict=True):
        assert sum(d[c] for c in COMPONENTS) == score
    assert sum(d["industry_name"] is not None for d in details) > 0.9 * len(details)
    assert {d["flow_source"] for d in details} == {"proxy:signed_amount"}  # the sample has no funds_flow
    buys = rows.filter(pl.col("signal") == "BUY")
    assert buys.height > 0 and (buys["score"] >= 5).all()
    closes = result.signals.filter(pl.col("signal") == "BUY")
    assert (buys["take_profit"] > buys["stop_loss"]).all() and closes["take_profit"].null_count() == 0
    assert set(rows["signal"].unique()) <= {"BUY", "SELL", "WATCH"}


def test_rotation_backtest_caps_and_reason(sample_ctx: JobContext) -> None:
    request = BacktestRequest(
        "rotation", {"rebalance": "monthly", "top_industries": 2, "top_stocks": 6, "industry_cap": 0.3},
        dt.date(2021, 10, 1), dt.date(2021, 12, 31), source="store",
    )  # fmt: skip
    job = run_backtest_job(sample_ctx, request, report_to=False)
    strategy = get_strategy("rotation")
    params = strategy.Params().replace(request.params)
    with sample_ctx.open_store() as store:
        panel = build_panel(store, "rotation", "store", "reference", request.start, request.end, params)
    targets = strategy.targets(panel, params)
    live = targets.filter(pl.col("weight") > 0)
    assert live["trade_date"].unique().to_list() == [
        dt.date(2021, 10, 29),
        dt.date(2021, 11, 30),
        dt.date(2021, 12, 31),
    ]
    per_day = live.group_by("trade_date").agg(pl.col("weight").sum(), pl.len())
    assert (per_day["len"] <= 6).all() and (per_day["weight"] <= 1.0 + 1e-9).all()
    ind = live.with_columns(pl.col("reason").str.extract(r"行业 (\S+)$").alias("ind"))
    assert (ind.group_by("trade_date", "ind").agg(pl.col("weight").sum())["weight"] <= 0.3 + 1e-9).all()
    assert ind.group_by("trade_date").agg(pl.col("ind").n_unique())["ind"].max() <= 2
    assert (
        live["reason"].str.contains("资金流缺失").all()
    )  # no funds_flow in the sample: ranked by the factor
    assert job.run.summary["trades"] > 0
