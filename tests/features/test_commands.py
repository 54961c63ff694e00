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


def test_compute_from_the_store_adjusts_an_ex_rights_day_without_stored_factors(
    tmp_path, monkeypatch
) -> None:
    """No adj_factor rows: the command derives them from the exchange pre_close, so the ex-rights day's return is
    the exchange's close / pre_close − 1, not the raw price gap."""
    from thermoquant.config import get_settings
    from thermoquant.data.sources.csv import read_file
    from thermoquant.data.sources.sample import sample_path
    from thermoquant.data.store import open_store

    quotes = read_file(sample_path("market_2021.parquet")).frame
    gaps = quotes.with_columns(prev=pl.col("close").shift(1).over("symbol")).filter(
        (pl.col("prev") / pl.col("pre_close") > 1.05) & (pl.col("volume") > 0)
    )
    symbol, ex_day = gaps["symbol"][0], gaps["trade_date"][0]
    rows = quotes.filter(pl.col("symbol") == symbol)
    monkeypatch.setenv("TQ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TQ_DATABASE_URL", f"duckdb:///{tmp_path / 'tq.duckdb'}")
    get_settings.cache_clear()
    with open_store() as store:
        store.upsert("daily_quote", rows)
    res = runner.invoke(app, ["features", "compute", "--dims", "3", "--index", ""])
    get_settings.cache_clear()
    assert res.exit_code == 0, res.output
    assert "由交易所昨收价推算" in res.output
    d3 = pl.read_parquet(tmp_path / "features" / "tdx" / "dim=3" / "*.parquet")
    got = d3.filter(pl.col("trade_date") == ex_day)["ret_1d"][0]
    day = rows.filter(pl.col("trade_date") == ex_day)
    exchange_return = (day["close"][0] / day["pre_close"][0] - 1) * 100
    raw_gap = (day["close"][0] / gaps["prev"][0] - 1) * 100
    assert abs(got - exchange_return) < 1e-9
    assert abs(got - raw_gap) > 4.0
