"""Loaders turning the real-data files of ../shared/data/real into the engine's long format (test helpers)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from thermoquant.features.bars import adj_factor_from_pre_close, qfq


def _symbol_from_code(code: pl.Expr) -> pl.Expr:
    """`sz000025` / `sz.000025` → `000025.SZ`."""
    c = code.cast(pl.Utf8).str.replace(".", "", literal=True)
    return pl.concat_str(c.str.slice(2), pl.lit("."), c.str.slice(0, 2).str.to_uppercase())


def load_000025(
    real: Path, start: str = "2012-01-01", end: str = "2017-12-31", adjust: bool = True
) -> pl.DataFrame:
    """Baostock 000025 (unadjusted) as a long frame, qfq-adjusted from pre_close when ``adjust``."""
    df = pl.read_csv(real / "baostock_sz" / "sz.000025.csv", try_parse_dates=True)
    df = df.select(
        _symbol_from_code(pl.col("code")).alias("symbol"),
        pl.col("date").alias("trade_date"),
        "open",
        "high",
        "low",
        "close",
        pl.col("preclose").alias("pre_close"),
        pl.col("volume").cast(pl.Float64),
        pl.col("amount").cast(pl.Float64),
        pl.col("turn").cast(pl.Float64).alias("turnover"),
        (pl.col("tradestatus") == 0).alias("is_suspended"),
    ).filter(pl.col("trade_date").is_between(pl.lit(start).str.to_date(), pl.lit(end).str.to_date()))
    if adjust:
        traded = df.filter(~pl.col("is_suspended"))
        df = qfq(traded, adj_factor_from_pre_close(traded))
    return df


def load_xbx(
    real: Path, n_stocks: int = 40, window: str = "2021-01_2022-01", adjust: bool = True
) -> pl.DataFrame:
    """``n_stocks`` SZ/SH stocks spread over an xbx whole-market window, qfq-adjusted from preclose when ``adjust``."""
    df = pl.read_parquet(real / "xbx_market" / f"market_{window}.parquet")
    codes = sorted(df.get_column("code").cast(pl.Utf8).unique().to_list())
    codes = [c for c in codes if not c.startswith("bj")][:: max(1, len(codes) // n_stocks)][:n_stocks]
    df = (
        df.filter(pl.col("code").cast(pl.Utf8).is_in(codes))
        .select(
            _symbol_from_code(pl.col("code")).alias("symbol"),
            pl.col("date").cast(pl.Date).alias("trade_date"),
            "open",
            "high",
            "low",
            "close",
            pl.col("preclose").alias("pre_close"),
            pl.col("volume").cast(pl.Float64),
            pl.col("amount").cast(pl.Float64),
            pl.col("float_shares").cast(pl.Float64),
        )
        .sort("symbol", "trade_date")
    )
    return qfq(df, adj_factor_from_pre_close(df)) if adjust else df


def load_csi500(real: Path) -> pl.DataFrame:
    """CSI500 index daily (trade_date, close)."""
    df = pl.read_csv(real / "derived" / "csi500_index_daily_2005_2026.csv", try_parse_dates=True)
    return df.select(pl.col("date").cast(pl.Date).alias("trade_date"), pl.col("close").cast(pl.Float64))
