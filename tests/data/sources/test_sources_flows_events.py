"""North-bound flows, margin, industry flow / membership, block trades, ST history and the added macro series.

Fixtures are shaped like AKShare 1.19 / Tushare answers (see fixtures/README.md for which values are real).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import polars as pl
import pytest
from vendor_stubs import VendorStub, replay

from thermoquant.data.schema import get_table
from thermoquant.data.sources.akshare_src import AkshareSource
from thermoquant.data.sources.base import DATASET_TABLES, RetryPolicy, SchemaMismatchError, SourceError
from thermoquant.data.sources.tushare_src import TushareSource

MARCH = {"start": date(2024, 3, 1), "end": date(2024, 3, 31)}


def akshare(overrides: dict[str, Any] | None = None) -> tuple[AkshareSource, VendorStub]:
    stub = VendorStub("akshare", overrides)
    return AkshareSource(stub, retry_policy=RetryPolicy(attempts=2), sleep=lambda s: None), stub


def tushare(overrides: dict[str, Any] | None = None) -> tuple[TushareSource, VendorStub]:
    stub = VendorStub("tushare", overrides)
    return TushareSource(stub, token="t", per_minute=10_000, sleep=lambda s: None), stub


def columns_of(dataset: str) -> list[str]:
    return get_table(DATASET_TABLES[dataset] or "").column_names


# -- north-bound flows ----------------------------------------------------------------------------------------


def test_akshare_north_flow_yi_to_cny_by_channel() -> None:
    src, stub = akshare()
    out = src.fetch("north_flow")
    assert out.columns == columns_of("north_flow")
    assert sorted(kw["symbol"] for _, kw in stub.calls) == ["北向资金", "沪股通", "深股通"]
    raw = replay("akshare", "stock_hsgt_hist_em", "沪股通").iloc[0]
    row = out.filter((pl.col("channel") == "sh") & (pl.col("trade_date") == date(2024, 3, 25))).row(
        0, named=True
    )
    assert row["net_buy"] == pytest.approx(raw["当日成交净买额"] * 1e8)  # 亿元 → CNY
    assert row["buy_amount"] - row["sell_amount"] == pytest.approx(row["net_buy"])
    # the 2024-08-19 row has no figures (disclosure stopped): no row, not an empty one
    assert out["trade_date"].max() == date(2024, 3, 27) and out.height == 9


def test_tushare_north_flow_million_yuan_unpivoted() -> None:
    src, _ = tushare()
    out = src.fetch("north_flow", start=date(2018, 8, 1), end=date(2018, 8, 31))
    got = {(r["trade_date"], r["channel"]): r["net_buy"] for r in out.iter_rows(named=True)}
    assert got[(date(2018, 8, 8), "total")] == pytest.approx(1762.62e6)  # Tushare doc sample, 百万元
    assert got[(date(2018, 8, 8), "sh")] + got[(date(2018, 8, 8), "sz")] == pytest.approx(1762.62e6)
    assert out["buy_amount"].null_count() == out.height


def test_akshare_and_tushare_north_flow_agree_on_units() -> None:
    """The same figure through both adapters (Eastmoney 亿元 vs Tushare 百万元) lands on the same CNY value."""
    ak_raw = replay("akshare", "stock_hsgt_hist_em", "北向资金")
    ts_frame = pd.DataFrame(
        {
            "trade_date": [d.strftime("%Y%m%d") for d in ak_raw["日期"][:3]],
            "hgt": 0.0,
            "sgt": 0.0,
            "north_money": ak_raw["当日成交净买额"][:3] * 100.0,  # 亿元 → 百万元
        }
    )
    ts_src, _ = tushare({"moneyflow_hsgt": lambda **kw: ts_frame})
    ts = ts_src.fetch("north_flow", symbols=["total"], **MARCH)
    ak = akshare()[0].fetch("north_flow", symbols=["total"], **MARCH)
    assert ts["net_buy"].to_list() == pytest.approx(ak["net_buy"].to_list())


# -- margin ---------------------------------------------------------------------------------------------------


def test_akshare_margin_detail_sse_and_szse_per_day() -> None:
    src, stub = akshare()
    out = src.fetch("margin_detail", start=date(2024, 1, 2), end=date(2024, 1, 3))
    assert out.columns == columns_of("margin_detail")
    assert [c[0] for c in stub.calls] == ["stock_margin_detail_sse", "stock_margin_detail_szse"] * 2
    assert set(out["symbol"]) == {"600000.SH", "600519.SH", "510050.SH", "000001.SZ", "300750.SZ"}
    sz = out.filter(pl.col("symbol") == "000001.SZ").row(0, named=True)
    assert sz["trade_date"] == date(2024, 1, 2) and sz["sec_balance"] == 2.0e7 and sz["fin_balance"] == 6.1e9
    sh = out.filter(pl.col("symbol") == "600519.SH").row(0, named=True)
    assert sh["sec_balance"] is None and sh["sec_sell_volume"] == 2000.0  # SSE: no 融券余额, volume in shares
    only = src.fetch("margin_detail", symbols=["300750.SZ"], start=date(2024, 1, 2), end=date(2024, 1, 2))
    assert only["symbol"].to_list() == ["300750.SZ"]


def test_tushare_margin_detail_per_trading_day() -> None:
    src, stub = tushare()
    out = src.fetch("margin_detail", start=date(2018, 8, 1), end=date(2018, 8, 3))
    assert [kw["trade_date"] for _, kw in stub.calls] == ["20180801", "20180802", "20180803"]
    row = out.filter(pl.col("symbol") == "000001.SZ").row(0, named=True)
    assert row["fin_balance"] == pytest.approx(4.430811e9) and row["sec_balance"] == pytest.approx(8238210.0)


def test_margin_detail_needs_a_range() -> None:
    with pytest.raises(SourceError, match="needs --start and --end"):
        akshare()[0].fetch("margin_detail")


# -- industry flow and membership -----------------------------------------------------------------------------


def test_akshare_industry_flow_all_names_from_the_rank_table() -> None:
    src, _ = akshare()
    out = src.fetch("industry_flow")
    assert out.columns == columns_of("industry_flow")
    assert out["scope"].unique().to_list() == ["industry"] and sorted(out["code"].unique()) == [
        "汽车服务",
        "银行",
    ]
    assert (out["main_net"] - (out["xl_net"] + out["l_net"])).abs().max() < 1e-6
    bank = out.filter((pl.col("code") == "银行") & (pl.col("trade_date") == date(2024, 3, 25)))
    assert bank["main_net"][0] == 4.0e8  # 元, unchanged
    src2, stub2 = akshare()
    src2.fetch("industry_flow", symbols=["银行"])
    assert [c[0] for c in stub2.calls] == ["stock_sector_fund_flow_hist"]  # names given: no rank call


def test_tushare_industry_flow_names_as_codes() -> None:
    src, stub = tushare()
    out = src.fetch("industry_flow", start=date(2024, 9, 27), end=date(2024, 9, 27))
    assert stub.calls == [("moneyflow_ind_dc", {"trade_date": "20240927", "content_type": "行业"})]
    row = out.filter(pl.col("code") == "证券").row(0, named=True)
    assert row["main_net"] == pytest.approx(2875528704.0) and row["main_net_pct"] == 4.64
    assert row["xl_net"] + row["l_net"] == pytest.approx(row["main_net"])


def test_industry_member_shenwan_l1_with_inclusion_dates() -> None:
    src, stub = akshare()
    out = src.fetch("industry_member")
    assert out.columns == columns_of("industry_member")
    assert [kw.get("symbol") for f, kw in stub.calls if f == "index_component_sw"] == ["801780", "801120"]
    moutai = out.filter(pl.col("symbol") == "600519.SH").row(0, named=True)
    assert moutai["classification"] == "sw2021_l1" and moutai["industry_name"] == "食品饮料"
    assert moutai["start_date"] == date(2001, 8, 27) and moutai["end_date"] is None


# -- stock_info enrichments ----------------------------------------------------------------------------------


def test_stock_info_list_dates_and_shenwan_industry() -> None:
    src, stub = akshare()
    info = src.fetch("stock_info")
    assert info.columns == columns_of("stock_info") and info.height == 8
    rows = {r["symbol"]: r for r in info.iter_rows(named=True)}
    assert rows["600000.SH"]["list_date"] == date(1999, 11, 10)  # SSE main-board list (date objects)
    assert rows["688981.SH"]["list_date"] == date(2020, 7, 16)  # SSE STAR list
    assert rows["300750.SZ"]["list_date"] == date(2018, 6, 11)  # SZSE sheet (text dates)
    assert rows["600519.SH"]["industry"] == "食品饮料" and rows["600519.SH"]["industry_source"] == "sw2021_l1"
    assert rows["300750.SZ"]["industry"] is None  # not in the Shenwan fixture: null, not an error
    called = {f for f, _ in stub.calls}
    assert {"stock_info_sh_name_code", "stock_info_sz_name_code", "sw_index_first_info"} <= called


def test_stock_info_enrichment_failure_keeps_the_list() -> None:
    def down(**kw: Any) -> pd.DataFrame:
        raise ConnectionError("Max retries exceeded with url: /stockdata/sw-industry-overview")

    renamed = replay("akshare", "stock_info_sz_name_code", "A股列表").rename(
        columns={"A股上市日期": "上市日期"}
    )
    src, _ = akshare({"sw_index_first_info": down, "stock_info_sz_name_code": lambda **kw: renamed})
    info = src.fetch("stock_info")
    assert info.height == 8 and info["industry"].null_count() == 8
    dates = dict(zip(info["symbol"], info["list_date"], strict=True))
    assert dates["300750.SZ"] is None and dates["000001.SZ"] is None  # SZSE sheet renamed: skipped (logged)
    assert dates["600000.SH"] == date(1999, 11, 10)  # the other lists still give their dates


# -- ST history -----------------------------------------------------------------------------------------------


def test_st_history_from_real_000025_renames() -> None:
    src, _ = akshare()
    out = src.fetch("st_history")
    assert out.columns == columns_of("st_history")
    # ST特力Ａ from 2000-04-19; the next rename (GST特力A, 2006-01-04) ends it the day before
    assert out.select("symbol", "start_date", "end_date", "kind").rows() == [
        ("000025.SZ", date(2000, 4, 19), date(2006, 1, 3), "ST")
    ]


def test_st_history_open_interval_and_kind_change() -> None:
    renames = pd.DataFrame(
        {
            "变更日期": [date(2019, 5, 6), date(2020, 5, 6), date(2021, 7, 1)],
            "证券代码": ["000001"] * 3,
            "证券简称": ["样例"] * 3,
            "变更前简称": ["样例", "ST样例", "*ST样例"],
            "变更后简称": ["ST样例", "*ST样例", "*ST样例2"],
        }
    )
    out = akshare({"stock_info_sz_change_name": lambda **kw: renames})[0].fetch("st_history")
    assert out.select("start_date", "end_date", "kind").rows() == [
        (date(2019, 5, 6), date(2020, 5, 5), "ST"),
        (date(2020, 5, 6), None, "*ST"),  # still *ST at the last known rename
    ]


# -- block trades ---------------------------------------------------------------------------------------------


def test_akshare_block_trade_units_premium_and_sequence() -> None:
    src, stub = akshare()
    out = src.fetch("block_trade", **MARCH)
    assert out.columns == columns_of("block_trade")
    assert stub.calls[-1] == (
        "stock_dzjy_mrmx",
        {"symbol": "A股", "start_date": "20240301", "end_date": "20240331"},
    )
    moutai = out.filter(pl.col("symbol") == "600519.SH").sort("seq")
    assert moutai["seq"].to_list() == [1, 2]
    assert moutai["amount"].to_list() == pytest.approx((moutai["price"] * moutai["volume"]).to_list())
    assert moutai["premium_pct"][0] == pytest.approx((1600.0 / 1680.0 - 1) * 100)
    raw = replay("akshare", "stock_dzjy_mrmx", "A股")
    assert moutai["premium_pct"].to_list() == pytest.approx(raw["折溢率"][:2].tolist(), abs=0.01)


def test_tushare_block_trade_wan_units() -> None:
    src, _ = tushare()
    out = src.fetch("block_trade", start=date(2018, 12, 27), end=date(2018, 12, 27))
    pingan = out.filter(pl.col("symbol") == "601318.SH").sort("seq")
    assert pingan["volume"].to_list() == [1800.0e4, 332.0e4]  # 万股 → shares
    assert pingan["amount"][0] == pytest.approx(100368.0e4)  # 万元 → CNY
    assert pingan["amount"][0] == pytest.approx(pingan["price"][0] * pingan["volume"][0])
    assert out["premium_pct"].null_count() == out.height


# -- macro ----------------------------------------------------------------------------------------------------


def test_macro_money_supply_social_financing_fx_and_shibor() -> None:
    tenors = {"隔夜": 1.646, "3月": 2.45}

    def shibor(**kw: Any) -> pd.DataFrame:
        return pd.DataFrame({"报告日": [date(2024, 1, 2)], "利率": [tenors[kw["indicator"]]], "涨跌": [0.0]})

    src, stub = akshare({"rate_interbank": shibor})
    wanted = ["m1_yoy", "m2_yoy", "m2", "tsf", "usdcny", "shibor_on", "shibor_3m"]
    out = src.fetch("macro", symbols=wanted)
    got = {(r["series"], r["period_date"]): r for r in out.iter_rows(named=True)}
    assert got[("m2_yoy", date(2024, 3, 31))]["value"] == 8.3  # '2024年03月份' → month end
    assert got[("m1_yoy", date(2024, 2, 29))]["value"] == 1.2
    assert got[("m2", date(2024, 1, 31))]["unit"] == "CNY 100m"
    assert (
        got[("tsf", date(2024, 1, 31))]["value"] == 64734.0
        and got[("tsf", date(2024, 1, 31))]["release_date"] is None
    )
    fx = got[("usdcny", date(2024, 1, 2))]
    assert fx["value"] == pytest.approx(7.1009) and fx["unit"] == "CNY per USD"  # SAFE quotes per 100 USD
    assert fx["release_date"] == date(2024, 1, 2)
    assert (
        got[("shibor_3m", date(2024, 1, 2))]["value"] == 2.45
        and got[("shibor_on", date(2024, 1, 2))]["unit"] == "%"
    )
    assert sum(1 for f, _ in stub.calls if f == "macro_china_money_supply") == 1  # one table, several series


# -- malformed and empty answers, every new endpoint ----------------------------------------------------------

RENAMED: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("stock_hsgt_hist_em", "北向资金", "north_flow", "当日成交净买额", {}),
    (
        "stock_margin_detail_szse",
        "20240102",
        "margin_detail",
        "融资余额",
        {"start": date(2024, 1, 2), "end": date(2024, 1, 2)},
    ),
    ("stock_sector_fund_flow_hist", "银行", "industry_flow", "主力净流入-净额", {}),
    ("index_component_sw", "801780", "industry_member", "计入日期", {}),
    ("stock_info_sz_change_name", "简称变更", "st_history", "变更后简称", {}),
    ("stock_dzjy_mrmx", "A股", "block_trade", "成交价", MARCH),
    ("macro_china_money_supply", "all", "macro", "货币(M1)-同比增长", {"symbols": ["m1_yoy"]}),
]


@pytest.mark.parametrize(("func", "key", "dataset", "column", "kw"), RENAMED)
def test_renamed_column_names_source_dataset_and_column(
    func: str, key: str, dataset: str, column: str, kw: dict[str, Any]
) -> None:
    renamed = replay("akshare", func, key).rename(columns={column: column + "(新)"})
    src, _ = akshare({func: lambda **_: renamed})
    with pytest.raises(SchemaMismatchError) as err:
        src.fetch(dataset, **kw)
    assert f"akshare/{dataset}" in str(err.value) and repr(column) in str(err.value)


def test_tushare_renamed_column_is_named() -> None:
    renamed = replay("tushare", "block_trade", "20181227").rename(columns={"vol": "volume"})
    src, _ = tushare({"block_trade": lambda **_: renamed})
    with pytest.raises(SchemaMismatchError, match=r"tushare/block_trade.*'vol'"):
        src.fetch("block_trade", start=date(2018, 12, 27), end=date(2018, 12, 27))


EMPTY: list[tuple[str, tuple[str, ...], str, dict[str, Any]]] = [
    ("akshare", ("stock_hsgt_hist_em",), "north_flow", {}),
    (
        "akshare",
        ("stock_margin_detail_sse", "stock_margin_detail_szse"),
        "margin_detail",
        {"start": date(2024, 1, 2), "end": date(2024, 1, 2)},
    ),
    ("akshare", ("stock_sector_fund_flow_rank",), "industry_flow", {}),
    ("akshare", ("sw_index_first_info",), "industry_member", {}),
    ("akshare", ("stock_info_sz_change_name",), "st_history", {}),
    ("akshare", ("stock_dzjy_mrmx",), "block_trade", MARCH),
    ("akshare", ("macro_china_money_supply", "macro_china_shrzgm"), "macro", {"symbols": ["m2", "tsf"]}),
    ("tushare", ("moneyflow_hsgt",), "north_flow", MARCH),
    ("tushare", ("margin_detail",), "margin_detail", MARCH),
    ("tushare", ("moneyflow_ind_dc",), "industry_flow", MARCH),
    ("tushare", ("block_trade",), "block_trade", MARCH),
]


@pytest.mark.parametrize(("vendor", "funcs", "dataset", "kw"), EMPTY)
def test_empty_answer_gives_an_empty_frame_with_the_table_columns(
    vendor: str, funcs: tuple[str, ...], dataset: str, kw: dict[str, Any]
) -> None:
    overrides = {f: (lambda **_: pd.DataFrame()) for f in funcs}
    src = akshare(overrides)[0] if vendor == "akshare" else tushare(overrides)[0]
    out = src.fetch(dataset, **kw)
    assert out.height == 0 and out.columns == columns_of(dataset)
