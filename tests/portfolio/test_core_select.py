"""Core selection on real data: dividends derived from the exchange's reference price, fallbacks named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from thermoquant.data.sources.csv import read_file
from thermoquant.portfolio.core_select import announcement_date, select_core
from thermoquant.portfolio.dividends import derive_events
from thermoquant.portfolio.params import CoreSatelliteParams

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "thermoquant" / "_sample" / "market_2021.parquet"
DAY = dt.date(2021, 12, 31)


@pytest.fixture(scope="module")
def market() -> pl.DataFrame:
    """The bundled whole-market 2021 window (xbx, unadjusted, with the exchange's pre_close)."""
    return read_file(SAMPLE).frame


@pytest.fixture(scope="module")
def events(market: pl.DataFrame) -> pl.DataFrame:
    return derive_events(market)


def test_dividend_on_real_ex_dates(events: pl.DataFrame) -> None:
    # 长江电力 600900 paid 0.70 CNY (2020 final) with ex-date 2021-07-16; 中国神华 601088 1.81 on 2021-07-12
    row = events.filter((pl.col("symbol") == "600900.SH") & (pl.col("trade_date") == dt.date(2021, 7, 16)))
    assert row.select("ratio", "cash", "kind").row(0) == (1.0, pytest.approx(0.70), "dividend")
    shenhua = events.filter(pl.col("symbol") == "601088.SH")
    assert shenhua.select("trade_date", "cash").rows() == [(dt.date(2021, 7, 12), pytest.approx(1.81))]


def test_share_change_is_a_value_conserving_split(market: pl.DataFrame, events: pl.DataFrame) -> None:
    # 华安证券 600909 rights issue (配股): shares +29.7 % on 2021-06-10; booked as prev_close / pre_close, no cash
    row = events.filter((pl.col("symbol") == "600909.SH") & (pl.col("trade_date") == dt.date(2021, 6, 10)))
    bars = market.filter(pl.col("symbol") == "600909.SH").sort("trade_date")
    i = bars["trade_date"].to_list().index(dt.date(2021, 6, 10))
    assert row["kind"].item() == "split" and row["cash"].item() == 0.0
    assert row["ratio"].item() == pytest.approx(bars["close"][i - 1] / bars["pre_close"][i])


def test_missing_fields_are_reported_and_fall_back(market: pl.DataFrame, events: pl.DataFrame) -> None:
    sel = select_core(market, DAY, events=events)  # no finance_data, no valuation
    assert sel.rule == "fallback:high_dividend+low_vol"
    assert any(r.startswith("roe missing: known for 0 of 300") for r in sel.reasons)
    assert any("roe dropped from the rule: PB missing too" in r for r in sel.reasons)
    assert sel.picks.height == 10 and sel.picks["dividend_yield"].min() > 3.0
    early = select_core(market, dt.date(2021, 6, 1), events=events)  # < 365 days of bars: no dividend yield
    assert early.rule == "fallback:low_vol"
    assert any(r.startswith("dividend_yield missing: bars start 2021-01-04") for r in early.reasons)


def test_primary_rule_with_real_roe_and_pb(
    market: pl.DataFrame, events: pl.DataFrame, real_data: Path
) -> None:
    roe = pl.read_csv(real_data / "doris_sw_resset" / "resset_roe_ttm_quarterly_2010_2023.csv.gz")
    finance = roe.select(
        pl.col("A_Stkcd").alias("symbol"),
        pl.col("Enddt").str.to_date("%Y/%m/%d").alias("report_period"),
        pl.col("ROETTM").alias("roe"),
    ).with_columns(announcement_date(pl.col("report_period")).alias("ann_date"))
    sel = select_core(market, DAY, events=events, finance=finance)
    assert sel.rule == "dividend_vol_roe", sel.reasons
    assert sel.picks["roe"].null_count() == 0
    # point in time: on 2021-12-31 the latest ROE known is Q3 2021 (announced by 10-31), never FY 2021
    icbc = finance.filter((pl.col("symbol") == "601398.SH") & (pl.col("ann_date") <= DAY)).sort("ann_date")
    assert icbc["report_period"][-1] == dt.date(2021, 9, 30)
    no_roe = select_core(market, DAY, CoreSatelliteParams(min_coverage=1.0), events=events, finance=finance)
    assert no_roe.rule.startswith("fallback:") and any(r.startswith("roe missing") for r in no_roe.reasons)


def test_dividends_from_baostock_turnover_implied_shares(real_data: Path) -> None:
    # the HS300 Baostock file has no share counts: float shares implied by volume / turn tell splits apart
    bars = read_file(real_data / "baostock_hs300" / "hs300_members_2020-01_2025-04.parquet").frame
    ev = derive_events(bars.filter(pl.col("symbol").is_in(["601088.SH", "300059.SZ"])))
    shenhua = ev.filter(pl.col("symbol") == "601088.SH")
    assert shenhua["cash"].to_list() == pytest.approx([1.26, 1.81, 2.54, 2.55, 2.26])  # 中国神华 2020–2024
    assert set(shenhua["basis"]) == {"turnover"} and set(shenhua["kind"]) == {"dividend"}
    # 东方财富 300059: 10 转 2 (with a small cash part) on 2021-05-27 is a split, not a 6.32 CNY dividend
    dfcf = ev.filter((pl.col("symbol") == "300059.SZ") & (pl.col("trade_date") == dt.date(2021, 5, 27)))
    assert dfcf["kind"].item() == "split" and dfcf["ratio"].item() == pytest.approx(37.62 / 31.3)


def test_low_vol_low_pb_fallback_on_hs300(real_data: Path) -> None:
    # HS300 bars start 2020-01-02: on 2020-06-30 no trailing year of dividends, no ROE given, PB from Baostock
    r = read_file(real_data / "baostock_hs300" / "hs300_members_2020-01_2025-04.parquet")
    bars, valuation = r.frame, r.extra_tables["daily_valuation"]
    sel = select_core(bars, dt.date(2020, 6, 30), events=derive_events(bars), valuation=valuation)
    assert sel.rule == "fallback:low_pb+low_vol"
    assert "dividend_yield replaced by low PB (daily_valuation.pb)" in sel.reasons
    assert "roe dropped from the rule: low PB already stands in for another field" in sel.reasons
    assert any(r.startswith("roe missing: known for 0 of") for r in sel.reasons)
    assert sel.picks["pb"].max() < 1.5 and sel.picks.height == 10
