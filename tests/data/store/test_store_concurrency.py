"""A reader process keeps reading while a writer process upserts batches: both succeed, no half batch is seen."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from thermoquant.data.store import open_store

WORKER = Path(__file__).with_name("store_concurrency_worker.py")
BATCHES = 12


@pytest.mark.slow
def test_reader_and_writer_processes(store_url: str, tmp_path: Path) -> None:
    with open_store(store_url) as s:  # the database exists before the reader starts
        assert s.schema_version() >= 1
    done = tmp_path / "writer.json"
    seen = tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, str(WORKER), "reader", store_url, str(done), str(seen)])
    writer = subprocess.Popen([sys.executable, str(WORKER), "writer", store_url, str(BATCHES), str(done)])
    try:
        assert writer.wait(timeout=120) == 0, "writer process failed"
        assert reader.wait(timeout=120) == 0, "reader process failed"
    finally:
        for proc in (reader, writer):
            if proc.poll() is None:
                proc.kill()
    wrote = json.loads(done.read_text())
    read = json.loads(seen.read_text())
    assert wrote["changed"] == [600] + [600] * (BATCHES - 1)  # 300 new + 300 updated (first: 600 new)
    assert read["problems"] == []
    assert read["reads"] >= 2
    assert any(0 < v < BATCHES for v in read["states"]), f"reads never overlapped the writes: {read}"
    assert read["states"][-1] == BATCHES, (
        "the reader's last read (after the writer finished) sees every batch"
    )
    with open_store(store_url, init=False) as s:
        assert s.row_counts()["daily_quote"] == 300 * (BATCHES + 1)
