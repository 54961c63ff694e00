"""Seed-004 pipeline wiring: store → features.sentiment reproduces the upstream strategy_data.csv on real data."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from thermoquant.data.ingest import CSI500, CSI500_ETF, constituents_in_range
from thermoquant.data.store import open_store
from thermoquant.jobs.csi500_panel import csi500_sentiment

START, END = date(2024, 1, 2), date(2024, 4, 30)
LOAD_FROM = date(2023, 11, 1)


def _load(store: Any, real: Path) -> pl.DataFrame:
    """Put the real seed-004 inputs into the store in house units; returns the reference rows."""
    ref = pl.read_csv(real / "jerryz_csi500" / "strategy_data.csv").with_columns(
        pl.col("trade_date").cast(pl.Utf8).str.to_date("%Y%m%d")
    )
    idx = ref.filter(pl.col("trade_date") >= LOAD_FROM)
    store.upsert(
        "index_daily",
        idx.select(
            pl.lit(CSI500).alias("index_code"),
            "trade_date",
            "open",
            "high",
            "low",
            "close",
            (pl.col("volume") * 100.0).alias("volume"),  # 手 → shares
            (pl.col("amount") * 1000.0).alias("amount"),  # 千元 → CNY
            pl.lit("tushare").alias("source"),
        ),
    )
    weights = pl.read_csv(real / "sample" / "csi500_weights_2023-11_2024-12.csv", infer_schema_length=0)
    store.upsert(
        "index_weight",
        weights.select(
            pl.col("index_code"),
            pl.col("asof_date").str.to_date("%Y%m%d").alias("effective_date"),
            pl.col("con_code").alias("symbol"),
            pl.col("weight").cast(pl.Float64),
            pl.col("trade_date").str.to_date("%Y%m%d").alias("snapshot_date"),
            pl.lit("tushare").alias("source"),
        ),
    )
    closes = pl.read_parquet(real / "sample" / "csi500_constituents_close_2023-11_2024-12.parquet")
    closes = closes.filter(pl.col("trade_date").dt.date() <= END)
    store.upsert(
        "daily_quote",
        closes.select(
            pl.col("ts_code").cast(pl.Utf8).alias("symbol"),
            pl.col("trade_date").dt.date(),
            pl.col("close").fill_nan(None),  # qfq closes already (no adj_factor rows → used as they are)
            pl.lit("tushare").alias("source"),
        ),
    )
    etf = pl.read_csv(real / "sample" / "etf_510500_daily_2013_2026.csv").with_columns(
        pl.col("date").str.to_date()
    )
    etf = etf.filter((pl.col("date") >= LOAD_FROM) & (pl.col("date") <= END))
    store.upsert(
        "etf_daily",
        etf.select(
            pl.lit(CSI500_ETF).alias("symbol"),
            pl.col("date").alias("trade_date"),
            "open",
            "high",
            "low",
            "close",
            (pl.col("volume_lots") * 100.0).alias("volume"),
            pl.col("amount_yuan").alias("amount"),
            pl.lit("akshare").alias("source"),
        ),
    )
    implied = pl.read_csv(real / "sample" / "etf_510500_fd_share_implied_2019_2026.csv").with_columns(
        pl.col("date").str.to_date()
    )
    # the implied value on day d is the fund shares of the PREVIOUS trading day: store it on that day
    shares = implied.select(
        pl.col("date").shift(1).alias("trade_date"),
        (pl.col("implied_fd_share_prev_day_10k") * 1e4).alias("fd_share"),
    ).drop_nulls()
    store.upsert(
        "fund_share",
        shares.filter(pl.col("trade_date") >= LOAD_FROM).with_columns(
            pl.lit(CSI500_ETF).alias("symbol"), pl.lit("derived").alias("source")
        ),
    )
    return ref.filter((pl.col("trade_date") >= START) & (pl.col("trade_date") <= END))


@pytest.mark.shared
def test_csi500_sentiment_from_the_store_matches_the_reference(real_data: Path, tmp_path: Path) -> None:
    with open_store(f"duckdb:///{tmp_path / 'csi500.duckdb'}") as store:
        ref = _load(store, real_data)
        members = store.read("index_weight", start=date(2024, 1, 1), end=END)["symbol"].unique()
        assert constituents_in_range(store, CSI500, START, END) == sorted(members.to_list())
        got = csi500_sentiment(store, START, END)
    both = got.join(ref, on="trade_date", suffix="_ref")
    assert both.height == ref.height == got.height
    assert (both["heat_z"] - both["heat_z_ref"]).abs().max() < 1e-6
    assert (both["etf_turnover"] - both["etf_turnover_ref"]).abs().max() < 1e-6
    diff = (both["breadth"] - both["breadth_ref"]).abs()
    exact = (diff < 1e-6).mean()
    assert exact >= 0.9, f"breadth exact on {exact:.1%} of days"
    assert diff.max() <= 0.41  # otherwise within two stocks of ~500 (MANIFEST: upstream revisions)
