"""Fixtures of the dashboard tests: a demo database built once per session by the real `tq demo`, and a helper
that points the in-process settings (what the pages read) at a data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st

from thermoquant.config import get_settings

UI = Path(__file__).resolve().parents[2] / "src" / "thermoquant" / "ui"
VIEWS = UI / "views"


def tq(*args: str, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run `tq ARGS` in a subprocess of this interpreter (the code under test, wherever it is installed)."""
    code = "from thermoquant.cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def data_env(data_dir: Path) -> dict[str, str]:
    """This process's environment with TQ_DATA_DIR = ``data_dir`` (and no database URL of the shell)."""
    env = {**os.environ, "TQ_DATA_DIR": str(data_dir), "COLUMNS": "120"}
    env.pop("TQ_DATABASE_URL", None)
    return env


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory filled by `tq demo` (the bundled sample: 4,710 stocks, one scan day, one backtest)."""
    path = tmp_path_factory.mktemp("ui-demo")
    done = tq("demo", env=data_env(path))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "tq ui" in done.stdout  # the demo ends by pointing at the dashboard
    return path


@pytest.fixture
def use_data_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Call with a data directory: the settings the pages read now point there; the pages' caches start empty."""

    def use(path: Path) -> Path:
        monkeypatch.setenv("TQ_DATA_DIR", str(path))
        monkeypatch.delenv("TQ_DATABASE_URL", raising=False)
        get_settings.cache_clear()
        st.cache_data.clear()
        return path

    yield use
    get_settings.cache_clear()
    st.cache_data.clear()
