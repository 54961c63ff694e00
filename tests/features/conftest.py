"""Fixtures for the factor-library tests: real bars of 000025 (qfq) and a slice of the whole market."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _load import load_000025, load_csi500, load_xbx


@pytest.fixture(scope="session")
def bars_000025(real_data: Path) -> pl.DataFrame:
    """000025.SZ 2012–2017, qfq from the exchange pre_close, suspended rows (tradestatus 0) removed."""
    return load_000025(real_data)


@pytest.fixture(scope="session")
def csi500(real_data: Path) -> pl.DataFrame:
    return load_csi500(real_data)


@pytest.fixture(scope="session")
def market_slice(real_data: Path) -> pl.DataFrame:
    """40 stocks of the 2021 xbx whole-market window (no rows on suspended days), qfq."""
    return load_xbx(real_data, n_stocks=40)
