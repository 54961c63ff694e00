"""Real bars for the evolution tests: 48 stocks of the bundled 2021 whole-market sample (xbx data)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from thermoquant.jobs.inputs import read_bars

SAMPLE = Path(__file__).parents[2] / "src" / "thermoquant" / "_sample" / "market_2021.parquet"
N_STOCKS = 48


@pytest.fixture(scope="session")
def sample_bars() -> pl.DataFrame:
    bars = read_bars(SAMPLE)
    keep = bars["symbol"].unique().sort().gather_every(bars["symbol"].n_unique() // N_STOCKS)[:N_STOCKS]
    return bars.filter(pl.col("symbol").is_in(keep.implode())).sort("symbol", "trade_date")
