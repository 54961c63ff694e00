"""Shared pytest fixtures: the real-data directory and per-test databases."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from thermoquant.data.store import Store, open_store

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REAL_DATA_DIR = Path(os.environ.get("TQ_REAL_DATA_DIR") or PROJECT_ROOT.parent / "shared" / "data" / "real")
"""`../shared/data/real`, or `TQ_REAL_DATA_DIR` (a git worktree lives elsewhere)."""
TEST_DATA_DIR = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """`../shared/data/real` — skips the test with a visible reason where it is absent."""
    if not (REAL_DATA_DIR / "MANIFEST.md").exists():
        pytest.skip(f"real data not found at {REAL_DATA_DIR} (CI has ../shared; a bare clone does not)")
    return REAL_DATA_DIR


@pytest.fixture(scope="session")
def test_data() -> Path:
    """`tests/data` — small fixtures committed with the project."""
    return TEST_DATA_DIR


@pytest.fixture
def tmp_store(tmp_path: Path) -> Iterator[Store]:
    """An initialised, empty DuckDB store in `tmp_path` (closed after the test)."""

    with open_store(f"duckdb:///{tmp_path / 'tq.duckdb'}") as store:
        yield store
