"""Replay through the paper broker gives exactly the backtest's fills; a real process SIGKILLed between intent and
send, between send and fill bookkeeping, or during the close write resumes with no duplicate and no lost fill."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import thermoquant
from thermoquant.data.store import open_store
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.trade import KILL_ENV, replay_job

START, END = dt.date(2022, 1, 1), dt.date(2022, 12, 30)
SRC = str(Path(thermoquant.__file__).resolve().parents[1])


def test_replay_equals_backtest_fill_for_fill_and_resume_sends_nothing(tmp_path: Path) -> None:
    ctx = JobContext(db_url=f"duckdb:///{tmp_path / 'tq.duckdb'}")
    report = replay_job(ctx, "csi500_timing", start=START, end=END)
    assert report.identical, report.mismatches
    fills = report.replay.filter(pl.col("filled") != 0)
    assert fills.height >= 6 and report.sent == report.replay.height
    again = replay_job(ctx, "csi500_timing", start=START, end=END, fresh=False)
    assert again.identical and again.sent == 0
    with open_store(ctx.db_url) as store:
        trades = store.read("trades", where={"account": report.account}).sort("trade_time")
        assert trades.height == fills.height
        assert trades["price"].to_list() == fills["price"].to_list()


def test_a_binding_symbol_cap_cuts_the_same_weights_in_backtest_and_replay(tmp_path: Path) -> None:
    """csi500_timing holds 510500 at 100 %; a 50 % per-stock cap binds on every target day. The backtest job and
    the replay apply it alike (fill for fill), and the backtest's positions hold about half of the uncapped ones."""
    from thermoquant.backtest.run import BacktestConfig
    from thermoquant.jobs.backtest import BacktestRequest, run_backtest_job
    from thermoquant.jobs.trade import compare_records
    from thermoquant.trading.risk import RiskLimits

    cap = RiskLimits(max_symbol_weight=0.5)
    ctx = JobContext(db_url=f"duckdb:///{tmp_path / 'tq.duckdb'}")
    report = replay_job(ctx, "csi500_timing", start=START, end=END, limits=cap)
    assert report.identical, report.mismatches
    assert report.refused.height >= 1 and set(report.refused["reason"]) == {"symbol cap"}
    assert (report.refused["capped"] == 0.5).all() and (report.refused["weight"] > 0.5).all()

    def backtest(limits: RiskLimits | None) -> tuple[pl.DataFrame, object]:
        request = BacktestRequest("csi500_timing", {"trade_symbol": "510500.SH"}, START, END, "sample", "etf",
                                  BacktestConfig(fill="next_open"), risk=limits is not None, limits=limits)  # fmt: skip
        run = run_backtest_job(ctx, request, save=False, report_to=False).run
        return run.orders, run

    capped, run = backtest(cap)
    assert compare_records(capped, report.replay).is_empty() and capped.height == report.replay.height
    assert run.refusals is not None and run.refusals.height == report.refused.height
    free, free_run = backtest(None)
    first = [o.filter(pl.col("side") == "buy")["position_after"][0] for o in (capped, free)]
    assert 0.48 <= first[0] / first[1] <= 0.52  # the cap is in the backtest's positions: half the shares

    def held_weight(r: object) -> np.ndarray:  # position value / equity on the days 510500 is held
        eng = r.engine
        return (eng.gross / eng.equity)[eng.positions[0] > 0]

    assert held_weight(run).max() < 0.6 and held_weight(free_run).min() > 0.9


def _tq(args: list[str], data_dir: Path, kill: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "TQ_DATA_DIR": str(data_dir)}
    env.pop(KILL_ENV, None)
    if kill:
        env[KILL_ENV] = kill
    code = "from thermoquant.cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
@pytest.mark.parametrize("kill", ["before_send:3", "after_send:4", "snapshot_write:2"])
def test_sigkilled_replay_restarts_without_duplicate_or_lost_fill(tmp_path: Path, kill: str) -> None:
    db = f"duckdb:///{tmp_path / 'tq.duckdb'}"
    args = [
        "trade",
        "replay",
        "--strategy",
        "csi500_timing",
        "--start",
        str(START),
        "--end",
        str(END),
        "--db",
        db,
    ]
    died = _tq(args, tmp_path, kill)
    assert died.returncode == -signal.SIGKILL, died.stderr
    with open_store(db) as store:
        before = store.read("orders")
    assert before.height >= 1
    resumed = _tq([*args, "--resume"], tmp_path)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "identical" in resumed.stdout
    with open_store(db) as store:
        ledger = store.read("paper_ledger")
        orders = store.read("orders")
        trades = store.read("trades")
    sent = ledger.filter(pl.col("kind") == "order").group_by("client_order_id").len()
    assert sent["len"].max() == 1  # no client order id reached the venue twice
    assert orders.filter(pl.col("status").is_in(["new", "submitted"])).is_empty()
    fills = ledger.filter(pl.col("kind") == "fill")
    assert trades.height == fills.height  # every fill booked once
    assert sorted(trades["order_id"].to_list()) == sorted(fills["client_order_id"].to_list())
