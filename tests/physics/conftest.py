"""Fixtures of the physics tests: real 000025 bars (Baostock, unadjusted, with turnover)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from thermoquant.jobs.inputs import read_bars


@pytest.fixture(scope="session")
def bars_000025(real_data: Path) -> pl.DataFrame:
    """000025.SZ traded daily_quote rows 2013-01 → 2016-06 (through the 2015 run 10.20 → 102.00)."""
    return read_bars(
        real_data / "baostock_sz" / "sz.000025.csv", start=date(2013, 1, 1), end=date(2016, 6, 30)
    )


@pytest.fixture(scope="session")
def raw_000025(real_data: Path) -> pl.DataFrame:
    """The raw Baostock rows of 000025.SZ (trading days only)."""
    df = pl.read_csv(real_data / "baostock_sz" / "sz.000025.csv")
    return df.filter(pl.col("tradestatus") == 1)
