"""Macro alignment (release date, never period date) and industry aggregates on real 2021 bars."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from thermoquant.data.schema import get_table
from thermoquant.features.macro import align_macro, industry_flows, industry_returns, industry_valuation
from thermoquant.market.calendar import trading_days
from thermoquant.market.symbols import normalize_symbols

d = dt.date


def _macro(rows: list[tuple]) -> pl.DataFrame:
    schema = get_table("macro").polars_schema()
    keys = ("series", "period_date", "value", "unit", "release_date")
    return pl.DataFrame([dict(zip(keys, r, strict=True)) for r in rows], schema=schema)


MACRO = _macro(
    [
        # CPI YoY: period = month end, released about the 10th of the next month (2024 real values)
        ("cpi_yoy", d(2024, 1, 31), -0.8, "%", d(2024, 2, 8)),
        ("cpi_yoy", d(2024, 2, 29), 0.7, "%", d(2024, 3, 9)),
        ("cpi_yoy", d(2024, 3, 31), 0.1, "%", d(2024, 4, 11)),
        ("cpi_yoy", d(2024, 4, 30), 0.3, "%", d(2024, 5, 11)),
        # a daily series without release dates: usable on its own date
        ("shibor_on", d(2024, 3, 11), 1.70, "%", None),
        ("shibor_on", d(2024, 3, 12), 1.75, "%", None),
        # M2 without release date: assumed 15 days after period end
        ("m2_yoy", d(2024, 2, 29), 8.7, "%", None),
        ("m2_yoy", d(2024, 3, 31), 8.3, "%", None),
    ]
)


def test_macro_uses_release_date() -> None:
    days = trading_days(d(2024, 3, 1), d(2024, 5, 15))
    a = align_macro(MACRO, days)
    at = {r["trade_date"]: r for r in a.iter_rows(named=True)}
    assert at[d(2024, 3, 1)]["cpi_yoy"] == -0.8  # February CPI not yet released
    assert at[d(2024, 3, 11)]["cpi_yoy"] == 0.7  # released Saturday 03-09 → usable Monday
    assert at[d(2024, 4, 10)]["cpi_yoy"] == 0.7  # March period ended but not yet released
    assert at[d(2024, 4, 11)]["cpi_yoy"] == 0.1
    assert at[d(2024, 4, 11)]["cpi_yoy_chg"] == pytest.approx(-0.6)
    assert at[d(2024, 5, 13)]["cpi_yoy_trend"] == 1  # 0.3 vs -0.8 three observations earlier
    assert at[d(2024, 3, 8)]["shibor_on"] is None and at[d(2024, 3, 12)]["shibor_on"] == 1.75
    assert at[d(2024, 3, 14)]["m2_yoy"] is None  # Feb M2 assumed released 02-29 + 15 days = 03-15
    assert at[d(2024, 3, 15)]["m2_yoy"] == 8.7
    assert at[d(2024, 4, 15)]["m2_yoy"] == 8.3
    late = align_macro(MACRO, days, usable_on_release_day=False)
    assert late.filter(pl.col("trade_date") == d(2024, 4, 11))["cpi_yoy"].item() == 0.7


def test_macro_no_look_ahead() -> None:
    days = trading_days(d(2024, 3, 1), d(2024, 5, 15))
    base = align_macro(MACRO, days)
    changed = MACRO.with_columns(
        pl.when(pl.col("release_date") > d(2024, 4, 1)).then(99.0).otherwise(pl.col("value")).alias("value")
    )
    alt = align_macro(changed, days)
    past = pl.col("trade_date") <= d(2024, 4, 1)
    assert base.filter(past).equals(alt.filter(past))


@pytest.fixture(scope="module")
def bars(real_data: Path) -> pl.DataFrame:
    raw = pl.read_parquet(real_data / "xbx_market" / "market_2021-01_2022-01.parquet").with_columns(
        pl.col("code").cast(pl.Utf8), pl.col("date").cast(pl.Date)
    )
    codes = ["sh600000", "sh600036", "sz000001", "sh600519", "sz000858", "sz000568"]
    raw = raw.filter(pl.col("code").is_in(codes) & (pl.col("date") <= d(2021, 3, 31)))
    return raw.select(
        normalize_symbols(raw["code"]).alias("symbol"),
        pl.col("date").alias("trade_date"),
        "close",
        pl.col("preclose").alias("pre_close"),
        pl.col("float_shares").cast(pl.Float64),
    )


def _labels(bars: pl.DataFrame) -> pl.DataFrame:
    bank = ["600000.SH", "600036.SH", "000001.SZ"]
    return bars.select(
        "symbol",
        "trade_date",
        pl.when(pl.col("symbol").is_in(bank))
        .then(pl.lit("银行"))
        .otherwise(pl.lit("食品饮料"))
        .alias("industry"),
    )


def test_industry_returns_equal_and_cap(bars: pl.DataFrame) -> None:
    ind = _labels(bars)
    eq = industry_returns(bars, ind, weighting="equal")
    cap = industry_returns(bars, ind, weighting="cap")
    day = d(2021, 2, 25)
    rows = (
        bars.sort("symbol", "trade_date")
        .with_columns(
            (pl.col("close") / pl.col("pre_close") - 1).alias("r"),
            (pl.col("float_shares") * pl.col("close")).shift(1).over("symbol").alias("w"),
        )
        .filter(pl.col("trade_date") == day)
    )
    banks = rows.filter(pl.col("symbol").is_in(["600000.SH", "600036.SH", "000001.SZ"]))
    r, w = banks["r"].to_numpy(), banks["w"].to_numpy()
    e = eq.filter((pl.col("industry") == "银行") & (pl.col("trade_date") == day)).row(0, named=True)
    c = cap.filter((pl.col("industry") == "银行") & (pl.col("trade_date") == day)).row(0, named=True)
    assert e["ret"] == pytest.approx(r.mean() * 100)
    assert c["ret"] == pytest.approx((r * w).sum() / w.sum() * 100)
    assert e["n_members"] == 3
    # index level compounds the daily returns; ranks 1..2 each day
    bank_eq = eq.filter(pl.col("industry") == "银行").sort("trade_date")
    assert bank_eq["index_level"][-1] == pytest.approx(1000 * np.prod(1 + bank_eq["ret"].to_numpy() / 100))
    assert set(eq["ret_rank"].unique().to_list()) <= {1, 2}
    # 2021-02-18..03: the liquor sell-off after the Spring Festival, banks outperformed
    feb = eq.filter(pl.col("trade_date").is_between(d(2021, 2, 18), d(2021, 3, 10)))
    cum = feb.group_by("industry").agg(((1 + pl.col("ret") / 100).product() - 1).alias("cum"))
    cums = dict(zip(cum["industry"], cum["cum"], strict=True))
    assert cums["食品饮料"] < -0.15 and cums["银行"] > cums["食品饮料"]
    with pytest.raises(ValueError, match="weighting"):
        industry_returns(bars, ind, weighting="sqrt")  # type: ignore[arg-type]


def test_industry_valuation_and_flows() -> None:
    day = d(2024, 1, 2)
    val = pl.DataFrame(
        {
            "symbol": list("ABCD"),
            "trade_date": [day] * 4,
            "pe_ttm": [10.0, -3.0, 30.0, 20.0],
            "pb": [1.0, 2.0, 3.0, 4.0],
        }
    )
    ind = val.select("symbol", "trade_date", pl.Series("industry", ["x", "x", "x", "y"]))
    roe = val.select("symbol", "trade_date", pl.Series("roe", [10.0, 5.0, 15.0, 8.0]))
    v = industry_valuation(val, ind, roe)
    x = v.filter(pl.col("industry") == "x").row(0, named=True)
    assert (x["pe_median"], x["pb_median"], x["roe_median"], x["n_members"]) == (20.0, 2.0, 10.0, 3)
    flow = pl.DataFrame(
        {
            "scope": ["stock"] * 4,
            "code": list("ABCD"),
            "trade_date": [day] * 4,
            "main_net": [1.0, 2.0, -4.0, 0.5],
        }
    )
    f = industry_flows(flow, ind)
    assert dict(zip(f["industry"], f["main_net"], strict=True)) == {"x": -1.0, "y": 0.5}
    assert dict(zip(f["industry"], f["flow_rank"], strict=True)) == {"y": 1, "x": 2}
