"""Fixtures shared by the job tests: a CLI data directory, and a store loaded with the bundled sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from thermoquant.config import get_settings
from thermoquant.data.sources.sample import load_sample
from thermoquant.jobs.context import JobContext


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh TQ_DATA_DIR for `tq …` runs through CliRunner (wide console, no database URL from the shell)."""
    monkeypatch.setenv("TQ_DATA_DIR", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("TQ_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    return tmp_path / "home"


@pytest.fixture(scope="module")
def sample_ctx(tmp_path_factory: pytest.TempPathFactory) -> JobContext:
    """A job context on a DuckDB store holding the bundled real sample (one per test module)."""
    home = tmp_path_factory.mktemp("sample")
    context = JobContext(settings=get_settings().model_copy(update={"data_dir": home}),
                         db_url=f"duckdb:///{home / 'tq.duckdb'}")  # fmt: skip
    with context.open_store() as store:
        load_sample(store)
    return context
