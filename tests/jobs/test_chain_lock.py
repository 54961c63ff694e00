"""One `tq daily` per database at a time, with real processes: a second run is refused naming the holder's pid and
start time (exit code 3), and the lock of a run killed with -9 is taken over by the next run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from thermoquant.jobs.lock import ChainLockedError, chain_lock, lock_path

DAY = "2022-01-14"


def holder(home: Path, url: str) -> subprocess.Popen[str]:
    """A process holding the daily lock on ``url`` until killed (prints ``held`` once it has it)."""
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from thermoquant.jobs.lock import chain_lock
        with chain_lock("daily", {url!r}, Path({str(home)!r})):
            print("held", flush=True)
            time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def tq_daily(home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TQ_DATA_DIR": str(home), "COLUMNS": "200"}
    env.pop("TQ_DATABASE_URL", None)
    env.pop("TQ_CONFIG", None)
    cmd = [sys.executable, "-m", "thermoquant.cli.main", "daily", "--date", DAY]
    return subprocess.run(cmd, env=env, cwd=home, capture_output=True, text=True, timeout=300, check=False)


def test_a_second_run_is_refused_and_a_dead_runs_lock_is_taken_over(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    url = f"duckdb:///{(home / 'tq.duckdb').resolve()}"  # the CLI's default database in this data dir
    first = holder(home, url)
    try:
        record = json.loads(lock_path("daily", url, home).read_text(encoding="utf-8"))
        assert record["pid"] == first.pid
        refused = tq_daily(home)
        assert refused.returncode == 3, refused.stdout + refused.stderr
        said = " ".join(refused.stderr.split())
        assert f"pid {first.pid}" in said and f"started {record['started']}" in said
        # in-process callers get the typed error
        with pytest.raises(ChainLockedError, match=f"pid {first.pid}"), chain_lock("daily", url, home):
            pass
        with chain_lock("daily", f"duckdb:///{tmp_path / 'other.duckdb'}", home):
            pass  # another database is not held
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert lock_path("daily", url, home).read_text(encoding="utf-8")  # the dead run's record is still there
    with chain_lock("daily", url, home) as lock:  # … and stale: taken over
        assert lock.stale is not None and lock.stale["pid"] == first.pid
        assert json.loads(lock.path.read_text(encoding="utf-8"))["pid"] == os.getpid()
    assert lock_path("daily", url, home).read_text(encoding="utf-8") == ""  # released cleanly: nothing stale
