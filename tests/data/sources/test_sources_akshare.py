"""AKShare adapters on fixtures shaped like AKShare 1.19's return values (real 2021/2024 market data)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import polars as pl
import pytest
from vendor_stubs import VendorStub, replay

from thermoquant.data.schema import get_table
from thermoquant.data.sources.akshare_src import AkshareSinaSource, AkshareSource
from thermoquant.data.sources.base import RetryPolicy, SchemaMismatchError, SourceError
from thermoquant.data.sources.tushare_src import TushareSource


def akshare(overrides: dict[str, Any] | None = None) -> tuple[AkshareSource, VendorStub]:
    stub = VendorStub("akshare", overrides)
    return AkshareSource(stub, retry_policy=RetryPolicy(attempts=3), sleep=lambda s: None), stub


def tushare() -> TushareSource:
    return TushareSource(VendorStub("tushare"), token="t", per_minute=10_000)


def test_daily_quote_units_match_tushare_on_the_same_real_days() -> None:
    src, _ = akshare()
    ak = src.fetch("daily_quote", symbols=["600000.SH"])
    ts = tushare().fetch("daily_quote", symbols=["600000.SH"])
    assert ak.columns == get_table("daily_quote").column_names
    assert ak.height == ts.height == 65
    joined = ak.join(ts, on=["symbol", "trade_date"], suffix="_ts")
    assert (joined["close"] - joined["close_ts"]).abs().max() < 1e-9
    # pre_close = 收盘 − 涨跌额 reproduces the exchange reference close, also on the ex-dividend day
    assert (joined["pre_close"] - joined["pre_close_ts"]).abs().max() < 1e-9
    # Eastmoney 手 (rounded) × 100 vs Tushare 手 × 100: within half a lot
    assert (joined["volume"] - joined["volume_ts"]).abs().max() <= 50
    assert (joined["amount"] - joined["amount_ts"]).abs().max() < 1e-3
    ex_day = ak.with_columns(pl.col("close").shift(1).alias("prev")).filter(
        (pl.col("prev") - pl.col("pre_close")).abs() > 0.05
    )
    assert ex_day["trade_date"].to_list() == [
        date(2021, 7, 21)
    ]  # 浦发银行 dividend: reference close ≠ last close
    assert ak["source"].unique().to_list() == ["akshare"]
    assert ak["is_suspended"].unique().to_list() == [False]


def test_daily_quote_clips_to_requested_range() -> None:
    src, stub = akshare()
    out = src.fetch("daily_quote", symbols=["sz000001"], start=date(2021, 7, 1), end=date(2021, 7, 31))
    assert out["trade_date"].min() >= date(2021, 7, 1) and out["trade_date"].max() <= date(2021, 7, 31)
    assert out["symbol"].unique().to_list() == ["000001.SZ"]
    assert stub.calls[-1] == (
        "stock_zh_a_hist",
        {
            "symbol": "000001",
            "period": "daily",
            "start_date": "20210701",
            "end_date": "20210731",
            "adjust": "",
        },
    )


def test_renamed_column_fails_with_source_dataset_and_column() -> None:
    def renamed(**kw: Any) -> pd.DataFrame:
        return replay("akshare", "stock_zh_a_hist", kw["symbol"]).rename(columns={"收盘": "收盘价"})

    src, _ = akshare({"stock_zh_a_hist": renamed})
    with pytest.raises(SchemaMismatchError) as err:
        src.fetch("daily_quote", symbols=["600000.SH"])
    assert "akshare/daily_quote" in str(err.value) and "'收盘'" in str(err.value)


def test_empty_response_gives_an_empty_frame_with_the_table_columns() -> None:
    src, _ = akshare({"stock_zh_a_hist": lambda **kw: pd.DataFrame()})
    out = src.fetch("daily_quote", symbols=["600000.SH"])
    assert out.height == 0 and out.columns == get_table("daily_quote").column_names


def test_transient_failure_is_retried() -> None:
    state = {"n": 0}

    def flaky(**kw: Any) -> pd.DataFrame:
        state["n"] += 1
        if state["n"] == 1:
            raise ConnectionError(
                "('Connection aborted.', RemoteDisconnected('Remote end closed connection'))"
            )
        return replay("akshare", "stock_zh_a_hist", kw["symbol"])

    src, _ = akshare({"stock_zh_a_hist": flaky})
    assert src.fetch("daily_quote", symbols=["600000.SH"]).height == 65
    assert state["n"] == 2


def test_index_daily_lots_and_yuan() -> None:
    src, _ = akshare()
    ak = src.fetch("index_daily", symbols=["000905.SH"])
    ts = tushare().fetch("index_daily", symbols=["000905.SH"])
    row = ak.filter(pl.col("trade_date") == date(2024, 2, 5))
    assert row["close"][0] == pytest.approx(4460.26, abs=0.01)  # MANIFEST spot check
    joined = ak.join(ts, on=["index_code", "trade_date"], suffix="_ts")
    assert joined.height == 58
    assert (joined["amount"] / joined["amount_ts"] - 1).abs().max() < 1e-9
    assert (joined["volume"] - joined["volume_ts"]).abs().max() <= 50


def test_etf_daily_keeps_vendor_turnover_separately() -> None:
    src, _ = akshare()
    out = src.fetch("etf_daily", symbols=["510500.SH"], start=date(2024, 2, 5), end=date(2024, 2, 5))
    assert out.height == 1
    raw = replay("akshare", "fund_etf_hist_em", "510500").set_index("日期").loc["2024-02-05"]
    assert out["volume"][0] == raw["成交量"] * 100
    assert out["turnover_vendor"][0] == raw["换手率"]


def test_index_weight_matches_tushare_snapshot() -> None:
    src, _ = akshare()
    ak = src.fetch("index_weight", symbols=["000905.SH"])
    assert ak.height == 500 and ak["weight"].sum() == pytest.approx(100.0, abs=0.5)
    ts = (
        tushare()
        .fetch("index_weight", symbols=["000905.SH"])
        .filter(pl.col("snapshot_date") == date(2023, 12, 29))
    )
    assert set(ak["symbol"]) == set(ts["symbol"])


def test_fund_share_sse_matches_tushare_in_shares() -> None:
    src, _ = akshare()
    ak = src.fetch("fund_share", symbols=["510500.SH"], start=date(2024, 1, 2), end=date(2024, 1, 4))
    ts = tushare().fetch("fund_share", symbols=["510500.SH"], start=date(2024, 1, 2), end=date(2024, 1, 4))
    assert ak.height == 3
    assert ak["fd_share"].to_list() == pytest.approx(ts["fd_share"].to_list())
    assert 7e9 < ak["fd_share"][0] < 2e10  # 510500 had about 8.3 bn shares in Jan 2024


def test_fund_share_needs_a_date_range() -> None:
    src, _ = akshare()
    with pytest.raises(SourceError, match="needs --start and --end"):
        src.fetch("fund_share", symbols=["510500.SH"])


def test_adj_factor_rows_on_change_dates() -> None:
    src, _ = akshare()
    out = src.fetch("adj_factor", symbols=["600000.SH"])
    assert out["trade_date"].to_list() == [date(2021, 6, 1), date(2021, 7, 21)]
    assert out["adj_factor"][1] == pytest.approx(1.050473)


def test_stock_info_boards_and_spot_units() -> None:
    src, _ = akshare()
    info = src.fetch("stock_info")
    boards = dict(zip(info["symbol"], info["board"], strict=True))
    assert (
        boards["688981.SH"] == "star"
        and boards["300750.SZ"] == "chinext"
        and boards["600000.SH"] == "sh_main"
    )
    spot = src.fetch("spot", symbols=["600519.SH"])
    raw = replay("akshare", "stock_zh_a_spot_em", "all").set_index("代码").loc["600519"]
    assert spot["volume"][0] == raw["成交量"] * 100 and spot["last"][0] == raw["最新价"]


def test_funds_flow_and_macro_shapes() -> None:
    src, _ = akshare()
    flow = src.fetch("funds_flow", symbols=["600000.SH"])
    assert flow["scope"].unique().to_list() == ["stock"] and flow["code"].unique().to_list() == ["600000.SH"]
    assert (flow["main_net"] - (flow["xl_net"] + flow["l_net"])).abs().max() < 1.0
    macro = src.fetch("macro", symbols=["lpr_5y"])
    assert macro["value"].to_list() == [4.20, 3.95, 3.85, 3.60] and macro["unit"].unique().to_list() == ["%"]


def test_unsupported_dataset_names_what_is_offered() -> None:
    src = AkshareSinaSource(VendorStub("akshare"))
    with pytest.raises(SourceError, match="offers:"):
        src.fetch("block_trade", start=date(2024, 1, 1), end=date(2024, 1, 31))


def test_sina_fallback_shares_and_fraction_turnover() -> None:
    em = replay("akshare", "stock_zh_a_hist", "600000")
    volume = em["成交量"] * 100.0
    sina = pd.DataFrame(
        {
            "date": em["日期"],
            "open": em["开盘"],
            "high": em["最高"],
            "low": em["最低"],
            "close": em["收盘"],
            "volume": volume,
            "amount": em["成交额"],
            "outstanding_share": volume / (em["换手率"] / 100.0),
            "turnover": em["换手率"] / 100.0,
        }
    )
    stub = VendorStub("akshare", {"stock_zh_a_daily": lambda **kw: sina})
    out = AkshareSinaSource(stub).fetch("daily_quote", symbols=["600000.SH"])
    assert out.height == 65 and out["turnover"].to_list() == pytest.approx(em["换手率"].tolist())
    assert stub.calls[-1][1]["symbol"] == "sh600000"


# Datasets without a real staged source: the library's column names and dtypes, illustrative values.


def test_minute_bars_end_time_and_lots() -> None:
    minute = pd.DataFrame(
        {
            "时间": ["2024-03-25 09:35:00", "2024-03-25 09:40:00"],
            "开盘": [7.01, 7.02],
            "收盘": [7.02, 7.03],
            "最高": [7.03, 7.04],
            "最低": [7.00, 7.01],
            "涨跌幅": [0.14, 0.14],
            "涨跌额": [0.01, 0.01],
            "成交量": [12000, 8000],
            "成交额": [8.4e6, 5.6e6],
            "振幅": [0.43, 0.43],
            "换手率": [0.004, 0.003],
        }
    )
    src, stub = akshare({"stock_zh_a_hist_min_em": lambda **kw: minute})
    out = src.fetch(
        "minute_quote", symbols=["600000.SH"], start=date(2024, 3, 25), end=date(2024, 3, 25), freq="5m"
    )
    assert out["bar_time"][0].hour == 9 and out["bar_time"][0].minute == 35
    assert out["volume"].to_list() == [1_200_000.0, 800_000.0] and out["freq"].unique().to_list() == ["5m"]
    assert stub.calls[-1][1]["period"] == "5"
    with pytest.raises(SourceError, match="freq"):
        src.fetch("minute_quote", symbols=["600000.SH"], freq="2m")


def test_dragon_tiger_and_share_unlock() -> None:
    lhb = pd.DataFrame(
        {
            "序号": [1],
            "代码": ["600000"],
            "名称": ["浦发银行"],
            "上榜日": [date(2024, 3, 25)],
            "解读": ["1家机构买入"],
            "收盘价": [7.02],
            "涨跌幅": [10.02],
            "龙虎榜净买额": [1.2e7],
            "龙虎榜买入额": [5.0e7],
            "龙虎榜卖出额": [3.8e7],
            "龙虎榜成交额": [8.8e7],
            "市场总成交额": [9.9e8],
            "净买额占总成交比": [1.2],
            "成交额占总成交比": [8.9],
            "换手率": [0.5],
            "流通市值": [2.0e11],
            "上榜原因": ["日涨幅偏离值达到7%的前5只证券"],
            "上榜后1日": [1.0],
            "上榜后2日": [2.0],
            "上榜后5日": [3.0],
            "上榜后10日": [4.0],
        }
    )
    unlock = pd.DataFrame(
        {
            "序号": [1],
            "股票代码": ["688981"],
            "股票简称": ["中芯国际"],
            "解禁时间": [date(2024, 7, 16)],
            "限售股类型": ["首发原股东限售股份"],
            "解禁数量": [1.0e8],
            "实际解禁数量": [9.0e7],
            "实际解禁市值": [4.5e9],
            "占解禁前流通市值比例": [0.0452],
            "解禁前一交易日收盘价": [50.0],
            "解禁前20日涨跌幅": [3.0],
            "解禁后20日涨跌幅": [-2.0],
        }
    )
    src, _ = akshare(
        {"stock_lhb_detail_em": lambda **kw: lhb, "stock_restricted_release_detail_em": lambda **kw: unlock}
    )
    dt = src.fetch("dragon_tiger", start=date(2024, 3, 1), end=date(2024, 3, 31))
    assert (
        dt["symbol"][0] == "600000.SH"
        and dt["net_amount"][0] == 1.2e7
        and dt["reason"][0].startswith("日涨幅")
    )
    ul = src.fetch("share_unlock", start=date(2024, 7, 1), end=date(2024, 7, 31))
    assert ul["symbol"][0] == "688981.SH" and ul["shares"][0] == 9.0e7
    assert ul["float_ratio"][0] == pytest.approx(4.52)  # Eastmoney FREE_RATIO is a fraction


def test_finance_indicators_point_in_time() -> None:
    f10 = pd.DataFrame(
        {
            "SECUCODE": ["600000.SH", "600000.SH"],
            "SECURITY_CODE": ["600000", "600000"],
            "REPORT_DATE": ["2023-12-31 00:00:00", "2024-03-31 00:00:00"],
            "NOTICE_DATE": ["2024-04-30 00:00:00", "2024-04-30 00:00:00"],
            "EPSJB": [1.22, 0.4],
            "BPS": [22.1, 22.5],
            "ROEJQ": [5.5, 1.8],
            "XSMLL": [None, None],
            "TOTALOPERATEREVE": [1.7e11, 4.3e10],
            "PARENTNETPROFIT": [3.7e10, 1.3e10],
            "TOTALOPERATEREVETZ": [-8.0, -4.1],
            "PARENTNETPROFITTZ": [-28.0, -19.0],
            "ZCFZL": [91.9, 92.0],
        }
    )
    src, stub = akshare({"stock_financial_analysis_indicator_em": lambda **kw: f10})
    out = src.fetch("finance_data", symbols=["600000.SH"])
    assert stub.calls[-1][1] == {"symbol": "600000.SH", "indicator": "按报告期"}
    assert out["report_period"].to_list() == [date(2023, 12, 31), date(2024, 3, 31)]
    assert out["ann_date"].unique().to_list() == [date(2024, 4, 30)] and out["net_profit"][0] == 3.7e10
    assert out["current_ratio"].null_count() == 2  # absent field → null


def test_macro_series_from_yield_and_jin10_tables() -> None:
    yields = pd.DataFrame(
        {
            "日期": [date(2024, 1, 2), date(2024, 1, 3)],
            "中国国债收益率2年": [2.13, 2.12],
            "中国国债收益率5年": [2.37, 2.36],
            "中国国债收益率10年": [2.56, 2.55],
            "中国国债收益率30年": [2.79, 2.78],
            "中国国债收益率10年-2年": [0.43, 0.43],
        }
    )
    cpi = pd.DataFrame(
        {
            "商品": ["中国CPI年率报告"] * 2,
            "日期": [date(2024, 3, 9), date(2024, 4, 11)],
            "今值": [0.7, 0.1],
            "预测值": [0.3, 0.4],
            "前值": [-0.8, 0.7],
        }
    )
    src, _ = akshare({"bond_zh_us_rate": lambda **kw: yields, "macro_china_cpi_yearly": lambda **kw: cpi})
    out = src.fetch("macro", symbols=["cgb_10y", "cpi_yoy"], start=date(2024, 1, 1), end=date(2024, 12, 31))
    got = {(r["series"], r["period_date"]): r["value"] for r in out.iter_rows(named=True)}
    assert got[("cgb_10y", date(2024, 1, 2))] == 2.56 and got[("cpi_yoy", date(2024, 4, 11))] == 0.1
    with pytest.raises(SourceError, match="unknown series"):
        src.fetch("macro", symbols=["gdp"])


def test_options_a_dataset_does_not_take_are_refused() -> None:
    src, stub = akshare()
    with pytest.raises(SourceError, match=r"unknown option\(s\) \['freq'\]; daily_quote takes: none"):
        src.fetch("daily_quote", symbols=["600000.SH"], freq="5m")
    assert stub.calls == []  # refused before any vendor call
