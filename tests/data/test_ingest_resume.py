"""Crash and resume: a real `tq ingest` process is SIGKILLed mid-way, re-run, and the database equals a clean run's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from thermoquant.data.ingest import make_source, run_ingest
from thermoquant.data.store import open_store

FIXTURE = Path(__file__).resolve().parent / "sources" / "fixtures" / "akshare"
SYMBOLS = "600000.SH,000001.SZ,300750.SZ,688981.SH,600519.SH,000002.SZ,002594.SZ,601318.SH"


def ingest_cmd(db: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "thermoquant.cli.ingest",
        "daily_quote",
        "--source",
        f"fixture:{FIXTURE}",
        "--symbols",
        SYMBOLS,
        "--start",
        "2021-06-01",
        "--end",
        "2021-08-31",
        "--db",
        f"duckdb:///{db}",
        "--log-items",
    ]


def run(db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TQ_FIXTURE_DELAY": "0"}
    return subprocess.run(ingest_cmd(db), env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_database(tmp_path: Path) -> None:
    crashed, clean = tmp_path / "crashed.duckdb", tmp_path / "clean.duckdb"
    env = {**os.environ, "TQ_FIXTURE_DELAY": "0.3"}
    proc = subprocess.Popen(
        ingest_cmd(crashed), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    done_before_kill = []
    for line in proc.stdout:
        if line.startswith("item "):
            done_before_kill.append(line.split()[1])
            if len(done_before_kill) == 3:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with open_store(f"duckdb:///{crashed}") as store:
        stored = store.read("daily_quote")["symbol"].n_unique()
        log = store.read("job_log")
        checkpointed = set(store.read("ingest_checkpoint")["item"].to_list())
    assert 3 <= stored < 8  # killed mid-way
    assert log["status"].to_list() == ["running"]  # the killed run never finished its job_log row

    resumed = run(crashed)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    refetched = [line.split()[1] for line in resumed.stdout.splitlines() if line.startswith("item ")]
    assert not set(refetched) & set(done_before_kill)  # checkpointed items are not fetched again
    assert set(done_before_kill) <= checkpointed
    assert sorted(refetched) == sorted(set(SYMBOLS.split(",")) - checkpointed)

    with open_store(f"duckdb:///{clean}") as store:  # the clean run, in process, same adapter and job code
        report = run_ingest(
            store,
            "daily_quote",
            [make_source(f"fixture:{FIXTURE}")],
            symbols=SYMBOLS.split(","),
            start=date(2021, 6, 1),
            end=date(2021, 8, 31),
        )
        assert report.status == "ok"
    with open_store(f"duckdb:///{crashed}") as a, open_store(f"duckdb:///{clean}") as b:
        got, want = a.read("daily_quote"), b.read("daily_quote")
        assert want.height == 8 * 65
        assert got.equals(want)
        statuses = a.read("job_log").sort("started_at")["status"].to_list()
    assert statuses == ["running", "ok"]
