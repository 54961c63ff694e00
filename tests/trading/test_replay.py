"""Replay through the paper broker gives exactly the backtest's fills; a real process SIGKILLed between intent and
send, between send and fill bookkeeping, or during the close write resumes with no duplicate and no lost fill."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

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
