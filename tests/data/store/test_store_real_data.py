"""Real data through every backend: 000025 特力A 2014–2016 (Baostock, unadjusted, 733 rows incl. the 2015 run)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from thermoquant.data.store import Store


def baostock_quotes(real_data: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """daily_quote and daily_valuation frames from the Baostock sample file (volume already in shares)."""
    raw = pl.read_csv(
        real_data / "sample" / "stock_000025_2014_2016_baostock_unadjusted.csv", try_parse_dates=True
    )
    code = pl.col("code")
    symbol = code.str.slice(3) + "." + code.str.slice(0, 2).str.to_uppercase()
    quotes = raw.select(
        symbol=symbol,
        trade_date=pl.col("date"),
        open="open",
        high="high",
        low="low",
        close="close",
        pre_close="preclose",
        volume="volume",
        amount="amount",
        turnover="turn",
        is_suspended=pl.col("tradestatus") == 0,
        is_st=pl.col("isST") == 1,
        source=pl.lit("baostock:stock_000025_2014_2016_baostock_unadjusted.csv"),
    )
    valuation = raw.select(
        symbol=symbol,
        trade_date=pl.col("date"),
        pe_ttm="peTTM",
        pb="pbMRQ",
        ps_ttm="psTTM",
        pcf_ttm="pcfNcfTTM",
    )
    return quotes, valuation


def test_real_baostock_rows_round_trip(store: Store, real_data: Path) -> None:
    quotes, valuation = baostock_quotes(real_data)
    assert quotes.height == 733
    assert store.upsert("daily_quote", quotes) == 733
    assert store.upsert("daily_valuation", valuation) == 733
    assert store.upsert("daily_quote", quotes) == 0
    back = store.read("daily_quote", symbols=["000025.SZ"], columns=quotes.columns)
    assert_frame_equal(back, quotes.with_columns(pl.col("volume").cast(pl.Float64)), check_exact=True)
    day = dt.date(2015, 12, 9)
    peak = store.read("daily_quote", start=day, end=day, columns=["trade_date", "close"])
    assert peak.rows() == quotes.filter(pl.col("trade_date") == day).select("trade_date", "close").rows()
    year = store.read("daily_quote", start=dt.date(2015, 1, 1), end=dt.date(2015, 12, 31))
    assert year.height == quotes.filter(pl.col("trade_date").dt.year() == 2015).height > 0
    info = store.table_info().filter(pl.col("table") == "daily_quote").row(0, named=True)
    assert (str(info["first_date"]), str(info["last_date"])) == (
        str(quotes["trade_date"].min()),
        str(quotes["trade_date"].max()),
    )
    # a vendor revision of one day changes exactly that row
    revised = quotes.with_columns(
        close=pl.when(pl.col("trade_date") == pl.col("trade_date").max())
        .then(pl.col("close") + 0.01)
        .otherwise(pl.col("close"))
    )
    assert store.upsert("daily_quote", revised) == 1
