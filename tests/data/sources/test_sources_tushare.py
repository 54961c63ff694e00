"""Tushare Pro adapter on fixtures shaped like `DataApi.query` answers (real Tushare-unit values)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import polars as pl
import pytest
from vendor_stubs import VendorStub, replay

from thermoquant.data.sources.base import RetryPolicy, SourceError, SourceUnavailableError
from thermoquant.data.sources.tushare_src import TushareSource

TOKEN = "0123456789abcdef0123456789abcdef0123456789abcdef01234567"


def source(overrides: dict[str, Any] | None = None, **kw: Any) -> tuple[TushareSource, VendorStub]:
    stub = VendorStub("tushare", overrides)
    opts: dict[str, Any] = {"token": TOKEN, "per_minute": 10_000, "sleep": lambda s: None}
    opts.update(kw)
    return TushareSource(stub, **opts), stub


def test_daily_units_lots_and_thousand_yuan() -> None:
    src, stub = source()
    out = src.fetch("daily_quote", symbols=["600519.SH"], start=date(2021, 6, 1), end=date(2021, 8, 31))
    raw = replay("tushare", "daily", "600519.SH")
    first = raw[raw["trade_date"] == "20210601"].iloc[0]
    row = out.filter(pl.col("trade_date") == date(2021, 6, 1))
    assert row["volume"][0] == pytest.approx(first["vol"] * 100)
    assert row["amount"][0] == pytest.approx(first["amount"] * 1000)
    assert out["trade_date"].is_sorted()  # Tushare answers newest first; we sort ascending
    params = {"ts_code": "600519.SH", "start_date": "20210601", "end_date": "20210831"}
    assert stub.calls == [("daily", params), ("daily_basic", params), ("stk_limit", params)]


def test_daily_extras_shares_turnover_and_limits() -> None:
    src, _ = source()
    out = src.fetch("daily_quote", symbols=["300750.SZ"], start=date(2021, 7, 1), end=date(2021, 7, 31))
    basic = replay("tushare", "daily_basic", "300750.SZ").set_index("trade_date").loc["20210701"]
    row = out.filter(pl.col("trade_date") == date(2021, 7, 1)).row(0, named=True)
    assert row["float_shares"] == pytest.approx(basic["float_share"] * 1e4)  # 万股 → shares
    assert row["turnover"] == pytest.approx(row["volume"] / row["float_shares"] * 100, rel=1e-3)
    assert row["up_limit"] == pytest.approx(round(row["pre_close"] * 1.2, 2))  # ChiNext ±20 %
    assert out["down_limit"].null_count() == 0


def test_refused_extras_keep_the_bars() -> None:
    def refuse(**kw: Any) -> pd.DataFrame:
        raise Exception("抱歉，您没有访问该接口的权限")

    src, _ = source({"stk_limit": refuse})
    out = src.fetch("daily_quote", symbols=["600000.SH"])
    assert out.height == 65 and out["up_limit"].null_count() == 65 and out["float_shares"].null_count() == 0


def test_index_weight_effective_the_trading_day_after_the_snapshot() -> None:
    src, _ = source()
    out = src.fetch("index_weight", symbols=["000905.SH"])
    assert sorted(out["snapshot_date"].unique().to_list()) == [date(2023, 11, 30), date(2023, 12, 29)]
    eff = dict(zip(out["snapshot_date"], out["effective_date"], strict=True))
    assert eff[date(2023, 11, 30)] == date(2023, 12, 1)
    assert eff[date(2023, 12, 29)] == date(2024, 1, 2)  # 2024-01-01 is a holiday
    assert out.filter(pl.col("snapshot_date") == date(2023, 12, 29)).height == 500


def test_fund_share_wan_to_shares_and_adj_factor_daily() -> None:
    src, _ = source()
    fs = src.fetch("fund_share", symbols=["510500.SH"], start=date(2024, 2, 5), end=date(2024, 2, 5))
    raw = replay("tushare", "fund_share", "510500.SH").set_index("trade_date").loc["20240205"]
    assert fs["fd_share"][0] == pytest.approx(raw["fd_share"] * 1e4)
    adj = src.fetch("adj_factor", symbols=["600000.SH"])
    assert adj.height == 65 and adj["adj_factor"].is_sorted()


def test_etf_and_stock_info() -> None:
    src, _ = source()
    etf = src.fetch("etf_daily", symbols=["510500.SH"])
    assert etf.height == 58 and etf["turnover_vendor"].null_count() == 58
    info = src.fetch("stock_info")
    assert info.height == 8 and info["industry_source"].unique().to_list() == ["tushare"]
    assert info.filter(pl.col("symbol") == "600000.SH")["list_date"][0] is not None


def test_moneyflow_wan_yuan_and_fina_indicator_point_in_time() -> None:
    flow = pd.DataFrame(
        {
            "ts_code": ["600000.SH"],
            "trade_date": ["20240325"],
            "buy_sm_amount": [100.0],
            "sell_sm_amount": [150.0],
            "buy_md_amount": [200.0],
            "sell_md_amount": [180.0],
            "buy_lg_amount": [300.0],
            "sell_lg_amount": [250.0],
            "buy_elg_amount": [400.0],
            "sell_elg_amount": [380.0],
            "net_mf_amount": [40.0],
        }
    )
    fina = pd.DataFrame(
        {
            "ts_code": ["600000.SH"],
            "ann_date": ["20240430"],
            "end_date": ["20240331"],
            "roe": [2.1],
            "eps": [0.5],
        }
    )
    src, _ = source({"moneyflow": lambda **kw: flow, "fina_indicator": lambda **kw: fina})
    out = src.fetch("funds_flow", symbols=["600000.SH"])
    assert out["main_net"][0] == pytest.approx((50 + 20) * 1e4)  # (lg + elg) net, 万元 → CNY
    assert out["s_net"][0] == pytest.approx(-50 * 1e4)
    fin = src.fetch("finance_data", symbols=["600000.SH"])
    assert fin["ann_date"][0] == date(2024, 4, 30) and fin["report_period"][0] == date(2024, 3, 31)
    assert fin["debt_ratio"][0] is None  # not in this answer: null, not an error


def test_vendor_error_never_leaks_the_token() -> None:
    def refuse(**kw: Any) -> pd.DataFrame:
        raise Exception(f"您的token不对，请确认。token={TOKEN}")

    src, _ = source({"daily": refuse})
    with pytest.raises(SourceError) as err:
        src.fetch("daily_quote", symbols=["600000.SH"])
    assert TOKEN not in str(err.value) and "***" in str(err.value)


def test_quota_error_is_retried_and_rate_limited() -> None:
    clock = {"t": 0.0}
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        clock["t"] += s

    state = {"n": 0}

    def quota(**kw: Any) -> pd.DataFrame:
        state["n"] += 1
        if state["n"] == 1:
            raise Exception(
                "抱歉，您每分钟最多访问该接口50次，权限的具体详情访问：https://tushare.pro/document/1?doc_id=108。"
            )
        return replay("tushare", "daily", kw["ts_code"])

    src, _ = source(
        {"daily": quota},
        tier=120,
        per_minute=None,
        sleep=sleep,
        clock=lambda: clock["t"],
        retry_policy=RetryPolicy(4),
    )
    assert src.limiter.per_minute == 50
    out = src.fetch("daily_quote", symbols=["600000.SH", "000001.SZ"])
    assert out["symbol"].n_unique() == 2 and state["n"] == 3
    assert len(waits) >= 1  # one backoff wait after the quota error


def test_missing_token_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from thermoquant.config import get_settings

    monkeypatch.delenv("TQ_TUSHARE_TOKEN", raising=False)
    monkeypatch.setenv("TQ_CONFIG", "")
    get_settings.cache_clear()
    try:
        src = TushareSource()
        with pytest.raises(SourceUnavailableError, match="TQ_TUSHARE_TOKEN"):
            src.fetch("daily_quote", symbols=["600000.SH"])
    finally:
        get_settings.cache_clear()


def test_redact_uses_the_configured_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from thermoquant.config import get_settings
    from thermoquant.secrets import mask

    monkeypatch.setenv("TQ_TUSHARE_TOKEN", TOKEN)
    get_settings.cache_clear()
    try:
        assert TushareSource(VendorStub("tushare")).redact(f"x{TOKEN}x") == "x***x"
        assert mask(f"failed: token={TOKEN}") == "failed: token=***"  # the settings registered it
    finally:
        get_settings.cache_clear()


def test_industry_member_sw2021_l1_with_in_and_out_dates() -> None:
    # shaped like `index_member_all` answers (tushare.pro doc 335: the 黄金 sample rows; the former member and its
    # out_date are illustrative)
    cols = ["l1_code", "l1_name", "l2_code", "l2_name", "l3_code", "l3_name", "ts_code", "name", "in_date",
            "out_date", "is_new"]  # fmt: skip
    current = pd.DataFrame(
        [["801050.SI", "有色金属", "801053.SI", "贵金属", "850531.SI", "黄金", "600547.SH", "山东黄金", "20030826",
          None, "Y"],
         ["801050.SI", "有色金属", "801053.SI", "贵金属", "850531.SI", "黄金", "001337.SZ", "四川黄金", "20230224",
          None, "Y"]], columns=cols)  # fmt: skip
    former = pd.DataFrame(
        [["801050.SI", "有色金属", "801053.SI", "贵金属", "850531.SI", "黄金", "000506.SZ", "中润资源", "20140221",
          "20220729", "N"]], columns=cols)  # fmt: skip

    def answer(fields: str = "", **kw: Any) -> pd.DataFrame:
        if kw["l1_code"] != "801050.SI":
            return pd.DataFrame(columns=cols)
        return current if kw["is_new"] == "Y" else former

    src, stub = source({"index_member_all": answer})
    out = src.fetch("industry_member").sort("symbol")
    assert len(stub.calls) == 62 and {c[1]["is_new"] for c in stub.calls} == {"Y", "N"}
    assert out.select("symbol", "industry_code", "industry_name", "start_date", "end_date").rows() == [
        ("000506.SZ", "801050", "有色金属", date(2014, 2, 21), date(2022, 7, 29)),
        ("001337.SZ", "801050", "有色金属", date(2023, 2, 24), None),
        ("600547.SH", "801050", "有色金属", date(2003, 8, 26), None),
    ]
    assert out["classification"].unique().to_list() == ["sw2021_l1"]
