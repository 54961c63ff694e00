"""The dashboard and writers in real processes on one DuckDB file — a loop of upserts and the real `tq scan` job:
the pages keep rendering (no error, no "busy" note reaches them), the writers never fail, and the pages see the
writers' rows as they land."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from .conftest import VIEWS, data_env

pytestmark = pytest.mark.slow

WRITER = textwrap.dedent(
    """
    import datetime as dt, sys, time
    import polars as pl
    from thermoquant.data.store import open_store

    url, seconds = sys.argv[1], float(sys.argv[2])
    store = open_store(url, init=False)
    end, n = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        now = dt.datetime(2026, 1, 1) + dt.timedelta(seconds=n)
        store.upsert("job_log", pl.DataFrame([{"job_id": f"writer-{n:05d}", "job": "ui_writer", "status": "ok",
                                               "started_at": now, "finished_at": now, "rows_written": n}]))
        store.upsert("signals", pl.DataFrame([{"strategy": "thermo_scan", "symbol": "000025.SZ",
                                               "signal_time": dt.datetime(2022, 1, 14, 15), "signal": "WATCH",
                                               "score": float(n)}]))
        n += 1
    print(n)
    """
)


def test_pages_render_while_another_process_writes(demo_dir: Path, tmp_path: Path, use_data_dir: Any) -> None:
    data = use_data_dir(tmp_path / "data")
    data.mkdir()
    shutil.copy(demo_dir / "tq.duckdb", data / "tq.duckdb")
    url = f"duckdb:///{data / 'tq.duckdb'}"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, "20"], env=data_env(data), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    code = "from thermoquant.cli.main import main; main()"
    scan = subprocess.Popen(
        [sys.executable, "-c", code, "scan", "--date", "2021-12-31", "--top", "3"], env=data_env(data),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    renders, seen = 0, set()
    try:
        while writer.poll() is None or scan.poll() is None:
            for page in ("logs", "overview", "signals", "stock"):
                st.cache_data.clear()  # read the file again on every run
                at = AppTest.from_file(str(VIEWS / f"{page}.py"), default_timeout=120)
                at.run()
                assert not at.exception, (page, [e.message for e in at.exception])
                assert not at.error and not at.warning, (page, [e.value for e in [*at.error, *at.warning]])
                if page == "logs":
                    seen.add(len(at.dataframe[0].value))
                renders += 1
            time.sleep(0.05)
        out, err = writer.communicate(timeout=60)
        scan_out, scan_err = scan.communicate(timeout=60)
    finally:
        for proc in (writer, scan):
            if proc.poll() is None:
                proc.kill()
    assert writer.returncode == 0, err[-3000:]
    assert scan.returncode == 0, scan_err[-3000:]
    assert "扫描日 scan day 2021-12-31" in scan_out
    st.cache_data.clear()
    at = AppTest.from_file(str(VIEWS / "signals.py"), default_timeout=120)
    at.run()
    assert at.selectbox[0].options[1:3] == ["2022-01-14", "2021-12-31"]  # the scan's day is on the page now
    writes = int(out.split()[-1])
    print(
        f"writer: {writes} upserts of 2 rows; pages rendered: {renders}; job_log sizes seen: {sorted(seen)}"
    )
    assert writes >= 5 and renders >= 4, (writes, renders)  # they did overlap (counts depend on the load)
    assert len(seen) > 1  # the logs page saw job_log grow while the writer ran
