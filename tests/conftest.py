"""Shared pytest fixtures: the real-data directory and per-test databases."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REAL_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data" / "real"
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
