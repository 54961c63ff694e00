"""A real `evolve` process SIGKILLed mid-run: the rerun resumes and the packs equal an uninterrupted run's."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import thermoquant
from thermoquant.data.store import open_store
from thermoquant.evolve.config import EvolveConfig
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.evolve import evolve

DAY = dt.date(2021, 11, 30)
NIGHT = dt.date(2021, 12, 8)  # a nightly run a week after the calibration
CFG = EvolveConfig(chunk_size=4, train_days=100, test_days=30, warmup_days=40)
SCRIPT = """
import datetime as dt, json, sys
from thermoquant.evolve.config import EvolveConfig
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.evolve import evolve
cfg = EvolveConfig(**json.loads(sys.argv[3]))
def on_chunk(done, total):
    print(f"chunk {done}/{total}", flush=True)
evolve(JobContext(db_url=sys.argv[1]), sys.argv[2], day=dt.date.fromisoformat(sys.argv[4]), cfg=cfg, workers=0,
       on_chunk=on_chunk)
"""
VOLATILE = ["created_at", "job_id"]  # when and by which run a row was written


def make_store(path: Path, bars: pl.DataFrame) -> str:
    url = f"duckdb:///{path}"
    with open_store(url) as store:
        store.upsert("daily_quote", bars)
    return url


def packs(url: str) -> pl.DataFrame:
    with open_store(url) as store:
        return store.read("param_pack").drop(VOLATILE)


def kill_after_first_chunk(url: str, kind: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(thermoquant.__file__).parents[1])}
    args = [sys.executable, "-c", SCRIPT, url, kind, json.dumps(CFG.to_dict()), DAY.isoformat()]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("chunk 1/"), line
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_gives_the_same_packs(sample_bars: pl.DataFrame, tmp_path: Path) -> None:
    bars = sample_bars.filter(pl.col("trade_date") <= NIGHT)
    ref = make_store(tmp_path / "ref.duckdb", bars)
    evolve(JobContext(db_url=ref), "calibrate", day=DAY, cfg=CFG, workers=0)
    evolve(JobContext(db_url=ref), "nightly", day=NIGHT, cfg=CFG, workers=0)
    reference = packs(ref)
    assert reference.filter(pl.col("method") == "calibrate").height > 40

    url = make_store(tmp_path / "killed.duckdb", bars)
    kill_after_first_chunk(url, "calibrate")
    with open_store(url) as store:
        done = store.read("ingest_checkpoint")
    resumed = evolve(JobContext(db_url=url), "calibrate", day=DAY, cfg=CFG, workers=0)
    assert 1 <= resumed.skipped < resumed.chunks and resumed.skipped == done.height
    evolve(JobContext(db_url=url), "nightly", day=NIGHT, cfg=CFG, workers=0)
    again = evolve(JobContext(db_url=url), "nightly", day=NIGHT, cfg=CFG, workers=0)
    assert again.skipped == again.chunks and again.written == 0  # a finished run is not redone
    assert packs(url).equals(reference)
