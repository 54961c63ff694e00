"""The bundled sample: files present, size budget, lossless market slice, and loading through the import
path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from rich.console import Console

from thermoquant.cli.import_report import render_report
from thermoquant.data.sources.sample import (
    MARKET_SAMPLE,
    load_sample,
    load_sample_results,
    pack_market_sample,
    sample_dir,
    sample_files,
    sample_path,
    summarize,
)
from thermoquant.data.store import Store, open_store


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"duckdb:///{tmp_path / 'tq.duckdb'}") as s:
        yield s


def test_bundle_files_and_size_budget() -> None:
    names = {p.name for p in sample_files()}
    assert MARKET_SAMPLE in names and "csi500_index_daily_2005_2026.csv" in names and len(names) == 12
    assert "stock_list_2021.csv" in names
    total = sum(p.stat().st_size for p in sample_dir().iterdir())
    assert total < 25 * 1024 * 1024
    assert (sample_dir() / "README.md").read_text(encoding="utf-8").count("licence") >= 1
    with pytest.raises(FileNotFoundError, match="available"):
        sample_path("nope.csv")


def test_load_sample_without_market(store: Store) -> None:
    console = Console(width=160, record=True)
    results = load_sample_results(store, include_market=False)
    console.print(render_report(results, max_rows=20))
    counts = summarize(results)
    # the strategy reference's bars (Tushare, 2019→) are already in the merged index file: not written twice
    assert counts == {
        "index_daily": 5140,
        "index_weight": 8500,
        "etf_daily": 3172,
        "fund_share": 1738,
        "daily_quote": 733 + 726,
        "daily_valuation": 733,
        "stock_info": 4710,  # names and listing dates of the market slice's stocks
        "st_history": 181,  # ST/*ST names in force on their last day in the source
        "industry_member": 3788 * 2 + 5356,  # the two Shenwan snapshots (2014 names kept and mapped)
    }
    index = store.read("index_daily")
    assert index.height == 5140
    assert index["source"].unique().to_list() == ["sample:csi500_index_daily_2005_2026.csv"]
    assert store.read("daily_quote").filter(pl.col("is_suspended")).height == 25
    info = store.read("stock_info", where={"symbol": "000025.SZ"}).row(0, named=True)
    assert info["name"] == "特 力Ａ" and str(info["list_date"]) == "1993-06-21"
    text = console.export_text()
    assert "stock_000025_2014_2016_baostock_unadjusted.csv" in text and "suspended" in text
    again = load_sample(store, include_market=False)
    assert set(again.values()) == {0}


@pytest.mark.shared
def test_market_slice_is_lossless(real_data: Path, tmp_path: Path) -> None:
    src = real_data / "xbx_market" / "market_2021-01_2022-01.parquet"
    original = (
        pl.read_parquet(src, columns=["code", "date", "close", "volume"])
        .with_columns(
            (
                pl.col("code").cast(pl.Utf8).str.slice(2)
                + "."
                + pl.col("code").cast(pl.Utf8).str.slice(0, 2).str.to_uppercase()
            ).alias("code"),
            pl.col("date").cast(pl.Date),
        )
        .sort("code", "date")
    )
    packed = pl.read_parquet(
        sample_path(MARKET_SAMPLE), columns=["symbol", "trade_date", "close_fen", "volume"]
    )
    assert packed.height == original.height == 1_103_652
    assert (
        packed["close_fen"].cast(pl.Float64) / 100 - original["close"]
    ).abs().max() < 1e-9  # exact to the fen
    assert (packed["volume"] == original["volume"]).all()
    # packing a slice of the staged source reproduces the bundled rows of those stocks
    head = pl.read_parquet(src).filter(pl.col("code").cast(pl.Utf8).is_in(["sz000025", "sh603083"]))
    head.write_parquet(tmp_path / "slice.parquet")
    again = pl.read_parquet(pack_market_sample(tmp_path / "slice.parquet", tmp_path / "m.parquet"))
    bundled = pl.read_parquet(sample_path(MARKET_SAMPLE)).filter(
        pl.col("symbol").is_in(["000025.SZ", "603083.SH"])
    )
    assert again.height == 2 * 252 and again.equals(bundled)


def test_packing_refuses_sub_fen_prices(tmp_path: Path) -> None:
    bad = pl.DataFrame(
        {
            "code": ["sz000025"],
            "date": [datetime(2021, 1, 4)],
            "open": [16.915],
            "high": [17.28],
            "low": [16.91],
            "close": [17.2],
            "preclose": [16.9],
            "volume": [2805169],
            "amount": [48136702],
            "float_shares": [1],
            "total_shares": [1],
        }
    )
    bad.write_parquet(tmp_path / "bad.parquet")
    with pytest.raises(ValueError, match="whole fen"):
        pack_market_sample(tmp_path / "bad.parquet", tmp_path / "out.parquet")
