"""Shared pytest fixtures: the real-data directory, per-test databases, and a fixed "today".

No test depends on the wall clock: the product's "today" (:func:`thermoquant.clock.today`) is pinned to
:data:`TEST_TODAY` through ``TQ_TODAY`` for this process and every subprocess it starts; a test that needs another
day sets ``TQ_TODAY`` itself. The trade_calendar rows a test installs are forgotten after it.

No test touches the user's own data either: ``TQ_DATA_DIR`` points at a throw-away folder for the whole session
(a test that runs a command without its own data dir writes there), and a ``TQ_DATABASE_URL`` or ``TQ_CONFIG`` of
the developer's shell is ignored.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

TEST_TODAY = "2026-06-30"
os.environ["TQ_TODAY"] = TEST_TODAY
_SESSION_DATA_DIR = tempfile.mkdtemp(prefix="tq-test-data-")
os.environ["TQ_DATA_DIR"] = _SESSION_DATA_DIR
atexit.register(shutil.rmtree, _SESSION_DATA_DIR, True)
os.environ.pop("TQ_DATABASE_URL", None)
os.environ.pop("TQ_CONFIG", None)

from thermoquant.config import get_settings  # noqa: E402  (after TQ_TODAY is set)
from thermoquant.data.store import Store, open_store  # noqa: E402
from thermoquant.market.calendar import clear_calendar_table  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REAL_DATA_DIR = Path(os.environ.get("TQ_REAL_DATA_DIR") or PROJECT_ROOT.parent / "shared" / "data" / "real")
"""`../shared/data/real`, or `TQ_REAL_DATA_DIR` (a git worktree lives elsewhere)."""
TEST_DATA_DIR = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def _isolated_calendar() -> Iterator[None]:
    """Each test starts and ends with the package calendar alone (no installed trade_calendar rows)."""
    clear_calendar_table()
    yield
    clear_calendar_table()
    get_settings.cache_clear()


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
