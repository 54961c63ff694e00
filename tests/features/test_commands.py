"""`tq features list|compute` through the real Typer app."""

from __future__ import annotations

import polars as pl
from typer.testing import CliRunner

from thermoquant.cli import app

runner = CliRunner()


def test_list_shows_chinese_and_english_names() -> None:
    res = runner.invoke(app, ["features", "list", "--dims", "4"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "macd_bar" in res.output and "MACD_Hist" in res.output and "趋势与动量" in res.output
    assert "vol_20" not in res.output


def test_compute_from_a_file_writes_parquet(
    tmp_path, bars_000025: pl.DataFrame, csi500: pl.DataFrame
) -> None:
    src = tmp_path / "bars.parquet"
    bars_000025.write_parquet(src)
    idx = tmp_path / "idx.csv"
    csi500.write_csv(idx)
    out = tmp_path / "out"
    res = runner.invoke(
        app,
        [
            "features",
            "compute",
            "--input",
            str(src),
            "--market",
            str(idx),
            "--dims",
            "3,4",
            "--out",
            str(out),
            "--convention",
            "talib",
        ],
    )
    assert res.exit_code == 0, res.output
    d3 = pl.read_parquet(out / "dim=3" / "*.parquet")
    assert d3.height == bars_000025.height
    assert d3["beta_60"].drop_nulls().len() > 1000
    assert not (out / "dim=1").exists()


def test_compute_rejects_a_bad_file(tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    pl.DataFrame({"symbol": ["000001.SZ"], "trade_date": ["2024-01-02"], "close": [1.0]}).write_csv(bad)
    res = runner.invoke(app, ["features", "compute", "--input", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code != 0
    assert "missing columns" in res.output


def test_compute_from_the_store(
    tmp_path, monkeypatch, bars_000025: pl.DataFrame, csi500: pl.DataFrame
) -> None:
    """End to end: daily_quote + adj_factor + index_daily in a DuckDB store → Parquet under <data_dir>/features."""
    from thermoquant.config import get_settings
    from thermoquant.data.store import open_store

    monkeypatch.setenv("TQ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TQ_DATABASE_URL", f"duckdb:///{tmp_path / 'tq.duckdb'}")
    if hasattr(get_settings, "cache_clear"):
        get_settings.cache_clear()
    store = open_store()
    raw = bars_000025.head(300)
    store.upsert(
        "daily_quote",
        raw.select(
            "symbol", "trade_date", "open", "high", "low", "close", "volume", "amount", "turnover"
        ).with_columns(pl.lit("test").alias("source")),
    )
    store.upsert(
        "index_daily",
        csi500.select(pl.lit("000905.SH").alias("index_code"), "trade_date", "close").with_columns(
            pl.lit("test").alias("source")
        ),
    )
    res = runner.invoke(app, ["features", "compute", "--dims", "3", "--index", "000905.SH"])
    if hasattr(get_settings, "cache_clear"):
        get_settings.cache_clear()
    assert res.exit_code == 0, res.output
    d3 = pl.read_parquet(tmp_path / "features" / "tdx" / "dim=3" / "*.parquet")
    assert d3.height == 300
    assert d3["beta_20"].drop_nulls().len() == 300 - 20
