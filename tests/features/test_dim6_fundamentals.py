"""Point-in-time fundamentals (hand-made finance_data rows) and industry-relative PE on real Baostock HS300 PE-TTM."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import stats

from thermoquant.data.schema import get_table
from thermoquant.features.fundamentals import industry_of, industry_relative, pit_finance, valuation_factors

d = dt.date


def _finance(rows: list[dict]) -> pl.DataFrame:
    schema = get_table("finance_data").polars_schema()
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema)


FIN = [
    # 2022 annual: announced 2023-03-30, revised 2023-08-20 (eps 1.0 → 0.9)
    {
        "symbol": "600000.SH",
        "report_period": d(2022, 12, 31),
        "ann_date": d(2023, 3, 30),
        "eps": 1.0,
        "roe": 10.0,
        "profit_yoy": 20.0,
        "dps": 0.5,
        "payout_ratio": 50.0,
    },
    {
        "symbol": "600000.SH",
        "report_period": d(2022, 12, 31),
        "ann_date": d(2023, 8, 20),
        "eps": 0.9,
        "roe": 9.0,
        "profit_yoy": 8.0,
        "dps": 0.5,
        "payout_ratio": 55.0,
    },
    # 2023 H1 announced 2023-08-25 (after the revision of 2022), 2022 H1 for eps growth
    {
        "symbol": "600000.SH",
        "report_period": d(2022, 6, 30),
        "ann_date": d(2022, 8, 26),
        "eps": 0.4,
        "roe": 5.0,
    },
    {
        "symbol": "600000.SH",
        "report_period": d(2023, 6, 30),
        "ann_date": d(2023, 8, 25),
        "eps": 0.6,
        "roe": 6.0,
        "profit_yoy": -5.0,
    },
    # a late revision of 2022 H1 arrives after 2023 H1: it must not replace the newer period
    {
        "symbol": "600000.SH",
        "report_period": d(2022, 6, 30),
        "ann_date": d(2023, 9, 1),
        "eps": 0.5,
        "roe": 5.5,
    },
]


def _dates(*days: dt.date) -> pl.DataFrame:
    return pl.DataFrame({"symbol": ["600000.SH"] * len(days), "trade_date": list(days)})


def test_pit_uses_ann_date_and_revisions() -> None:
    f = _finance(FIN)
    days = [
        d(2022, 8, 25),
        d(2022, 8, 26),
        d(2023, 3, 29),
        d(2023, 3, 30),
        d(2023, 8, 21),
        d(2023, 8, 25),
        d(2023, 9, 4),
    ]
    got = pit_finance(f, _dates(*days), ["eps", "roe"])
    assert got["eps"].to_list() == [None, 0.4, 0.4, 1.0, 0.9, 0.6, 0.6]
    assert got["report_period"].to_list()[-1] == d(
        2023, 6, 30
    )  # the late 2022 H1 revision changes nothing today
    assert got["ann_date"].to_list()[4] == d(2023, 8, 20)
    late = pit_finance(f, _dates(*days), ["eps"], usable_on_ann_day=False)
    assert late["eps"].to_list() == [None, None, 0.4, 0.4, 0.9, 0.9, 0.6]


def test_no_look_ahead_when_future_rows_change() -> None:
    """Changing or adding rows announced after a date never moves a value on or before it."""
    days = [d(2022, 9, 1) + dt.timedelta(days=7 * i) for i in range(60)]
    cut = d(2023, 6, 1)
    base = pit_finance(_finance(FIN), _dates(*days), ["eps", "roe"])
    future = [dict(r, eps=99.0, roe=-1.0) if r["ann_date"] > cut else r for r in FIN]
    future.append(
        {"symbol": "600000.SH", "report_period": d(2023, 3, 31), "ann_date": d(2023, 6, 2), "eps": 7.0}
    )
    alt = pit_finance(_finance(future), _dates(*days), ["eps", "roe"])
    past = pl.col("trade_date") <= cut
    assert base.filter(past).equals(alt.filter(past))
    assert not base.filter(~past).equals(alt.filter(~past))


def test_valuation_factors() -> None:
    q = pl.DataFrame(
        {
            "symbol": ["600000.SH"] * 3,
            "trade_date": [d(2023, 3, 30), d(2023, 8, 21), d(2023, 8, 28)],
            "close": [10.0, 9.0, 12.0],
            "pe_ttm": [10.0, 12.0, 15.0],
        }
    )
    v = valuation_factors(q, _finance(FIN))
    assert v["dividend_yield"].to_list() == pytest.approx([5.0, 0.5 / 9 * 100, 0.5 / 12 * 100])
    assert v["payout_ratio"].to_list() == [50.0, 55.0, 55.0]
    assert v["peg"].to_list()[:2] == pytest.approx([0.5, 1.5])
    assert v["peg"][2] is None  # negative growth: PEG undefined
    # eps growth of 2023 H1 (0.6) against 2022 H1 as known on 2023-08-25 (0.4, the 0.5 revision came later)
    assert v["eps_yoy"][2] == pytest.approx(50.0)


HS300_INDUSTRY = {  # 申万一级 of a few HS300 members (public classification)
    "600000.SH": "银行",
    "600036.SH": "银行",
    "601166.SH": "银行",
    "601398.SH": "银行",
    "000001.SZ": "银行",
    "600519.SH": "食品饮料",
    "000858.SZ": "食品饮料",
    "000568.SZ": "食品饮料",
    "600809.SH": "食品饮料",
    "600887.SH": "食品饮料",
}


def test_industry_relative_pe_on_hs300(real_data: Path) -> None:
    codes = [("sh." if s.endswith("SH") else "sz.") + s[:6] for s in HS300_INDUSTRY]
    raw = (
        pl.read_parquet(real_data / "baostock_hs300" / "hs300_members_2020-01_2025-04.parquet")
        .with_columns(pl.col("code").cast(pl.Utf8), pl.col("date").cast(pl.Date))
        .filter(pl.col("code").is_in(codes) & (pl.col("date").dt.year() == 2024))
    )
    vals = raw.select(
        (pl.col("code").str.slice(3) + "." + pl.col("code").str.slice(0, 2).str.to_uppercase()).alias(
            "symbol"
        ),
        pl.col("date").alias("trade_date"),
        pl.col("peTTM").alias("pe_ttm"),
    )
    info = pl.DataFrame({"symbol": list(HS300_INDUSTRY), "industry": list(HS300_INDUSTRY.values())})
    ind = industry_of(vals, stock_info=info)
    rel = industry_relative(vals, ind, "pe_ttm")
    day = rel.filter(pl.col("trade_date") == d(2024, 6, 28))
    assert day.height == 10
    for _name, grp in day.group_by("industry"):
        pes = grp["pe_ttm"].to_numpy()
        med = np.median(pes[pes > 0])
        assert np.allclose(grp["pe_ttm_ind_median"].to_numpy(), med)
        assert np.allclose(grp["pe_ttm_rel_ind"].to_numpy(), pes / med)
        assert (pes > 0).all()  # so the percentile below is over the whole group
        pct = stats.rankdata(pes) / len(pes) * 100  # 100 = the group's highest PE
        assert np.allclose(grp["pe_ttm_ind_pct"].to_numpy(), pct)
    banks = day.filter(pl.col("industry") == "银行")
    assert banks["pe_ttm"].max() < 10  # banks trade at single-digit PE
    assert (
        day.filter(pl.col("industry") == "食品饮料")["pe_ttm_ind_median"] > banks["pe_ttm_ind_median"].max()
    ).all()
    moutai = day.filter(pl.col("symbol") == "600519.SH").row(0, named=True)
    assert 0 < moutai["pe_ttm_ind_pct"] <= 100


def test_industry_of_point_in_time() -> None:
    im = pl.DataFrame(
        {
            "symbol": ["000001.SZ", "000001.SZ"],
            "classification": ["sw2021_l1"] * 2,
            "start_date": [d(2020, 1, 1), d(2023, 1, 1)],
            "end_date": [d(2022, 12, 31), None],
            "industry_code": ["a", "b"],
            "industry_name": ["房地产", "银行"],
        }
    )
    got = industry_of(
        _dates(d(2019, 6, 1), d(2021, 6, 1), d(2024, 6, 1)).with_columns(pl.lit("000001.SZ").alias("symbol")),
        industry_member=im,
    )
    assert got["industry"].to_list() == [None, "房地产", "银行"]


def test_industry_relative_thin_and_loss_makers() -> None:
    vals = pl.DataFrame(
        {"symbol": list("ABCDE"), "trade_date": [d(2024, 1, 2)] * 5, "pe_ttm": [10.0, 20.0, -5.0, 30.0, 8.0]}
    )
    ind = vals.select("symbol", "trade_date", pl.Series("industry", ["x", "x", "x", "x", "y"]))
    r = industry_relative(vals, ind, "pe_ttm").sort("symbol")
    assert r["pe_ttm_ind_median"].to_list() == [20.0, 20.0, 20.0, 20.0, None]  # y has one member
    assert r["pe_ttm_rel_ind"].to_list() == pytest.approx([0.5, 1.0, None, 1.5, None], nan_ok=True)


def test_engine_industry_relative_pe_group() -> None:
    from thermoquant.features import compute

    df = pl.DataFrame(
        {
            "symbol": list("ABCD"),
            "trade_date": [d(2024, 1, 2)] * 4,
            "close": [1.0] * 4,
            "pe_ttm": [10.0, 20.0, 40.0, 5.0],
            "industry": ["x", "x", "x", "y"],
        }
    )
    out = compute(df, names=["pe_ttm_rel_ind"]).sort("symbol")
    assert out["pe_ttm_rel_ind"].to_list() == pytest.approx([0.5, 1.0, 2.0, None], nan_ok=True)
    with pytest.raises(ValueError, match="industry"):
        compute(df.drop("industry"), names=["pe_ttm_rel_ind"])
