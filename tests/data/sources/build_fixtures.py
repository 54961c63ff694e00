"""Build the vendor-shaped fixtures of `tests/data/sources/fixtures/` from the real data in ../shared/data/real.

Run once: `.venv/bin/python tests/data/sources/build_fixtures.py`. Each fixture is what the named library function
returns (column names, dtypes and units read from the installed library's source), filled with REAL values:

* AKShare `stock_zh_a_hist` / Tushare `daily` / Baostock `query_history_k_data_plus` / xtdata bars: 8 stocks,
  2021-06-01 → 2021-08-31, from `xbx_market/market_2021-01_2022-01.parquet` (unadjusted; volume shares → 手 where
  the vendor reports 手; amount 元 → 千元 for Tushare) and `baostock_hs300` (real Baostock rows, as strings).
* AKShare `index_zh_a_hist` / Tushare `index_daily`: 000905.SH 2024-01-02 → 2024-03-29 from `strategy_data.csv`
  (Tushare's own values: vol 手, amount 千元).
* AKShare `fund_etf_hist_em` / Tushare `fund_daily`: 510500 2024-01-02 → 2024-03-29 from the Eastmoney file.
* Tushare `fund_share` / AKShare `fund_etf_scale_sse`: the implied 510500 fund shares (MANIFEST §9).
* Tushare `index_weight` / AKShare `index_stock_cons_weight_csindex`: the CSI500 schedule (two snapshots).
* `adj_factor` / `hfq-factor` / `query_adjust_factor`: cumulative factors rebuilt from the real pre-closes.
* Tushare `daily_basic` (share counts from the real float/total shares; turnover_rate = volume / float shares, as Tushare
  defines it) and `stk_limit` (limit prices derived from the real pre-close by each board's 2021 rule).
* `stock_info_sh_name_code` / `stock_info_sz_name_code`: the first trading day of each stock in xbx (= list date).
* Trade calendar (Tushare `trade_cal`, AKShare `tool_trade_date_hist_sina`, xtquant `get_trading_calendar` /
  `get_trading_dates`): the real XSHG sessions to 2026-12-31 as exchange_calendars knows them (the State Council's
  2026 notice), and a SYNTHETIC 2027 (`tests/data/calendar/synthetic_holidays_2027.csv`, the 2027 notice did not
  exist yet) so that a year past the package can be ingested. `python build_fixtures.py calendar` rebuilds only
  these (no real-data directory needed).
* Macro LPR: the published 2024 LPR fixings. Datasets without any real source here (fund flow, dragon-tiger list,
  lock-up expiries, minute bars, financial indicators) use a few rows whose VALUES are illustrative; their SHAPE
  is the library's.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

REAL = Path(__file__).resolve().parents[4] / "shared" / "data" / "real"
OUT = Path(__file__).resolve().parent / "fixtures"

STOCKS = ["sh600000", "sz000001", "sz300750", "sh688981", "sh600519", "sz000002", "sz002594", "sh601318"]
START, END = dt.date(2021, 6, 1), dt.date(2021, 8, 31)
IDX_START, IDX_END = dt.date(2024, 1, 2), dt.date(2024, 3, 29)


def save(vendor: str, func: str, key: str, df: pd.DataFrame) -> None:
    path = OUT / vendor / func / f"{key}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False)


def xbx_rows() -> pl.DataFrame:
    df = pl.read_parquet(REAL / "xbx_market" / "market_2021-01_2022-01.parquet")
    df = df.with_columns(pl.col("code").cast(pl.Utf8), pl.col("date").dt.date())
    df = df.filter(pl.col("code").is_in(STOCKS)).sort("code", "date")
    # the cumulative backward factor: product of close(t-1)/preclose(t) over the year (real ex-rights days)
    df = df.with_columns(
        (pl.col("close").shift(1).over("code") / pl.col("preclose"))
        .fill_null(1.0)
        .cum_prod()
        .over("code")
        .alias("hfq")
    )
    return df.filter((pl.col("date") >= START) & (pl.col("date") <= END))


def build_akshare(rows: pl.DataFrame) -> None:
    (OUT / "akshare").mkdir(parents=True, exist_ok=True)
    (OUT / "akshare" / "VENDOR").write_text("akshare\n")
    for code in STOCKS:
        r = rows.filter(pl.col("code") == code).to_pandas()
        bare = code[2:]
        lots = np.round(r["volume"] / 100.0).astype("int64")
        df = pd.DataFrame(
            {
                "日期": r["date"].tolist(),  # object column of datetime.date (AKShare: .dt.date)
                "股票代码": bare,
                "开盘": r["open"].astype(float),
                "收盘": r["close"].astype(float),
                "最高": r["high"].astype(float),
                "最低": r["low"].astype(float),
                "成交量": lots,
                "成交额": r["amount"].astype(float),
                "振幅": ((r["high"] - r["low"]) / r["preclose"] * 100).round(2),
                "涨跌幅": ((r["close"] / r["preclose"] - 1) * 100).round(2),
                "涨跌额": (r["close"] - r["preclose"]).round(2),
                "换手率": (r["volume"] / r["float_shares"] * 100).round(2),
            }
        )
        save("akshare", "stock_zh_a_hist", bare, df)
        factors = r.drop_duplicates("hfq")[["date", "hfq"]]
        save(
            "akshare",
            "stock_zh_a_daily",
            code,
            pd.DataFrame(
                {
                    "date": pd.to_datetime(factors["date"]),
                    "hfq_factor": factors["hfq"].map(lambda v: f"{v:.6f}"),
                }
            ),
        )
    names = pl.read_csv(REAL / "xbx_market" / "stock_list.csv").filter(pl.col("code").is_in(STOCKS))
    save(
        "akshare",
        "stock_info_a_code_name",
        "all",
        pd.DataFrame({"code": [c[2:] for c in names["code"]], "name": names["name_last"].to_list()}),
    )
    # exchange lists with list dates (first trading day of each stock in the xbx source: real listing dates)
    listed = names.to_pandas()
    listed["bare"] = listed["code"].str[2:]
    sh = listed[listed["code"].str.startswith("sh")]
    for board, rows_ in (
        ("主板A股", sh[~sh["bare"].str.startswith("688")]),
        ("科创板", sh[sh["bare"].str.startswith("688")]),
    ):
        save(
            "akshare",
            "stock_info_sh_name_code",
            board,
            pd.DataFrame(
                {
                    "证券代码": rows_["bare"].to_list(),
                    "证券简称": rows_["name_last"].to_list(),
                    "证券全称": rows_["name_last"].to_list(),
                    "公司简称": rows_["name_last"].to_list(),
                    "公司全称": rows_["name_last"].to_list(),
                    "上市日期": [dt.date.fromisoformat(d) for d in rows_["first_date"]],
                }
            ),
        )
    sz = listed[listed["code"].str.startswith("sz")]
    save(
        "akshare",
        "stock_info_sz_name_code",
        "A股列表",
        pd.DataFrame(
            {
                "板块": ["创业板" if b.startswith("300") else "主板" for b in sz["bare"]],
                "A股代码": sz["bare"].to_list(),
                "A股简称": sz["name_last"].to_list(),
                "A股上市日期": sz["first_date"].to_list(),  # text 'YYYY-MM-DD' as read from the SZSE sheet
                "A股总股本": None,
                "A股流通股本": None,
                "所属行业": None,
            }
        ),
    )
    last = rows.filter(pl.col("date") == END).to_pandas()
    spot = pd.DataFrame(
        {
            "序号": range(1, len(last) + 1),
            "代码": last["code"].str[2:],
            "名称": [dict(zip(names["code"], names["name_last"], strict=True))[c] for c in last["code"]],
            "最新价": last["close"],
            "涨跌幅": ((last["close"] / last["preclose"] - 1) * 100).round(2),
            "涨跌额": (last["close"] - last["preclose"]).round(2),
            "成交量": np.round(last["volume"] / 100.0),
            "成交额": last["amount"].astype(float),
            "振幅": ((last["high"] - last["low"]) / last["preclose"] * 100).round(2),
            "最高": last["high"],
            "最低": last["low"],
            "今开": last["open"],
            "昨收": last["preclose"],
            "量比": np.nan,
            "换手率": (last["volume"] / last["float_shares"] * 100).round(2),
            "市盈率-动态": np.nan,
            "市净率": np.nan,
            "总市值": (last["close"] * last["total_shares"]).astype(float),
            "流通市值": (last["close"] * last["float_shares"]).astype(float),
            "涨速": np.nan,
            "5分钟涨跌": np.nan,
            "60日涨跌幅": np.nan,
            "年初至今涨跌幅": np.nan,
        }
    )
    save("akshare", "stock_zh_a_spot_em", "all", spot)


def strategy_rows() -> pl.DataFrame:
    df = pl.read_csv(REAL / "jerryz_csi500" / "strategy_data.csv").with_columns(
        pl.col("trade_date").cast(pl.Utf8).str.to_date("%Y%m%d")
    )
    df = df.with_columns(pl.col("close").shift(1).alias("pre_close"))
    return df.filter((pl.col("trade_date") >= IDX_START) & (pl.col("trade_date") <= IDX_END))


def build_index_and_etf() -> None:
    idx = strategy_rows().to_pandas()
    save(
        "akshare",
        "index_zh_a_hist",
        "000905",
        pd.DataFrame(
            {
                "日期": idx["trade_date"].astype(str),  # index_zh_a_hist leaves 日期 as text
                "开盘": idx["open"],
                "收盘": idx["close"],
                "最高": idx["high"],
                "最低": idx["low"],
                "成交量": idx["volume"].round().astype("int64"),
                "成交额": idx["amount"] * 1000.0,
                "振幅": ((idx["high"] - idx["low"]) / idx["pre_close"] * 100).round(2),
                "涨跌幅": ((idx["close"] / idx["pre_close"] - 1) * 100).round(2),
                "涨跌额": (idx["close"] - idx["pre_close"]).round(2),
                "换手率": 0.0,
            }
        ),
    )
    save(
        "tushare",
        "index_daily",
        "000905.SH",
        pd.DataFrame(
            {
                "ts_code": "000905.SH",
                "trade_date": idx["trade_date"].map(lambda d: d.strftime("%Y%m%d")),
                "close": idx["close"],
                "open": idx["open"],
                "high": idx["high"],
                "low": idx["low"],
                "pre_close": idx["pre_close"],
                "change": idx["close"] - idx["pre_close"],
                "pct_chg": (idx["close"] / idx["pre_close"] - 1) * 100,
                "vol": idx["volume"].astype(float),
                "amount": idx["amount"].astype(float),
            }
        ).iloc[::-1],  # Tushare answers newest first
    )
    etf = pl.read_csv(REAL / "sample" / "etf_510500_daily_2013_2026.csv").with_columns(
        pl.col("date").str.to_date()
    )
    etf = etf.with_columns(pl.col("close").shift(1).alias("pre_close"))
    etf = etf.filter((pl.col("date") >= IDX_START) & (pl.col("date") <= IDX_END)).to_pandas()
    save(
        "akshare",
        "fund_etf_hist_em",
        "510500",
        pd.DataFrame(
            {
                "日期": etf["date"].astype(str),
                "开盘": etf["open"],
                "收盘": etf["close"],
                "最高": etf["high"],
                "最低": etf["low"],
                "成交量": etf["volume_lots"].round().astype("int64"),
                "成交额": etf["amount_yuan"],
                "振幅": ((etf["high"] - etf["low"]) / etf["pre_close"] * 100).round(2),
                "涨跌幅": ((etf["close"] / etf["pre_close"] - 1) * 100).round(2),
                "涨跌额": (etf["close"] - etf["pre_close"]).round(3),
                "换手率": etf["turnover_pct_eastmoney"],
            }
        ),
    )
    save(
        "tushare",
        "fund_daily",
        "510500.SH",
        pd.DataFrame(
            {
                "ts_code": "510500.SH",
                "trade_date": etf["date"].map(lambda d: d.strftime("%Y%m%d")),
                "pre_close": etf["pre_close"],
                "open": etf["open"],
                "high": etf["high"],
                "low": etf["low"],
                "close": etf["close"],
                "change": etf["close"] - etf["pre_close"],
                "pct_chg": (etf["close"] / etf["pre_close"] - 1) * 100,
                "vol": etf["volume_lots"],
                "amount": etf["amount_yuan"] / 1000.0,
            }
        ).iloc[::-1],
    )
    # implied fd_share of the PREVIOUS day, re-dated to the day it belongs to
    fs = pl.read_csv(REAL / "sample" / "etf_510500_fd_share_implied_2019_2026.csv").with_columns(
        pl.col("date").str.to_date()
    )
    fs = fs.select(
        pl.col("date").shift(1).alias("trade_date"), pl.col("implied_fd_share_prev_day_10k").alias("fd_share")
    ).drop_nulls()
    fs = fs.filter((pl.col("trade_date") >= IDX_START) & (pl.col("trade_date") <= IDX_END)).to_pandas()
    save(
        "tushare",
        "fund_share",
        "510500.SH",
        pd.DataFrame(
            {
                "ts_code": "510500.SH",
                "trade_date": fs["trade_date"].map(lambda d: d.strftime("%Y%m%d")),
                "fd_share": fs["fd_share"],
                "fund_type": "ETF",
                "market": "SH",
            }
        ).iloc[::-1],
    )
    for _, row in fs.head(3).iterrows():
        day = row["trade_date"]
        save(
            "akshare",
            "fund_etf_scale_sse",
            day.strftime("%Y%m%d"),
            pd.DataFrame(
                {
                    "序号": [1],
                    "基金代码": ["510500"],
                    "基金简称": ["中证500ETF"],
                    "ETF类型": ["单市场ETF"],
                    "统计日期": [day],
                    "基金份额": [row["fd_share"] * 10000.0],
                }
            ),
        )


def build_weights() -> None:
    w = pl.read_csv(REAL / "sample" / "csi500_weights_2023-11_2024-12.csv", infer_schema_length=0)
    w = w.filter(pl.col("trade_date").is_in(["20231130", "20231229"])).to_pandas()
    save(
        "tushare",
        "index_weight",
        "000905.SH",
        pd.DataFrame(
            {
                "index_code": w["index_code"],
                "con_code": w["con_code"],
                "trade_date": w["trade_date"],
                "weight": w["weight"].astype(float),
            }
        ),
    )
    last = w[w["trade_date"] == "20231229"]
    sh = last["con_code"].str.endswith(".SH")
    save(
        "akshare",
        "index_stock_cons_weight_csindex",
        "000905",
        pd.DataFrame(
            {
                "日期": [dt.date(2023, 12, 29)] * len(last),
                "指数代码": "000905",
                "指数名称": "中证500",
                "指数英文名称": "CSI Smallcap 500 Index",
                "成分券代码": last["con_code"].str[:6].to_numpy(),
                "成分券名称": "",
                "成分券英文名称": "",
                "交易所": np.where(sh, "上海证券交易所", "深圳证券交易所"),
                "交易所英文名称": np.where(sh, "Shanghai Stock Exchange", "Shenzhen Stock Exchange"),
                "权重": last["weight"].astype(float).to_numpy(),
            }
        ),
    )


def build_tushare(rows: pl.DataFrame) -> None:
    (OUT / "tushare").mkdir(parents=True, exist_ok=True)
    (OUT / "tushare" / "VENDOR").write_text("tushare\n")
    for code in STOCKS:
        r = rows.filter(pl.col("code") == code).sort("date", descending=True).to_pandas()
        ts_code = f"{code[2:]}.{code[:2].upper()}"
        save(
            "tushare",
            "daily",
            ts_code,
            pd.DataFrame(
                {
                    "ts_code": ts_code,
                    "trade_date": r["date"].map(lambda d: d.strftime("%Y%m%d")),
                    "open": r["open"],
                    "high": r["high"],
                    "low": r["low"],
                    "close": r["close"],
                    "pre_close": r["preclose"],
                    "change": (r["close"] - r["preclose"]).round(2),
                    "pct_chg": ((r["close"] / r["preclose"] - 1) * 100).round(4),
                    "vol": r["volume"] / 100.0,
                    "amount": r["amount"] / 1000.0,
                }
            ),
        )
        dates = r["date"].map(lambda d: d.strftime("%Y%m%d"))
        save(
            "tushare",
            "daily_basic",
            ts_code,
            pd.DataFrame(
                {
                    "ts_code": ts_code,
                    "trade_date": dates,
                    "close": r["close"],
                    "turnover_rate": (r["volume"] / r["float_shares"] * 100).round(4),
                    "turnover_rate_f": np.nan,
                    "volume_ratio": np.nan,
                    "pe": np.nan,
                    "pe_ttm": np.nan,
                    "pb": np.nan,
                    "ps": np.nan,
                    "ps_ttm": np.nan,
                    "dv_ratio": np.nan,
                    "dv_ttm": np.nan,
                    "total_share": r["total_shares"] / 1e4,
                    "float_share": r["float_shares"] / 1e4,
                    "free_share": np.nan,
                    "total_mv": r["close"] * r["total_shares"] / 1e4,
                    "circ_mv": r["close"] * r["float_shares"] / 1e4,
                }
            ),
        )
        pct = 0.2 if code[2:5] in ("300", "688") else 0.1  # ChiNext / STAR ±20 %, main boards ±10 % in 2021
        save(
            "tushare",
            "stk_limit",
            ts_code,
            pd.DataFrame(
                {
                    "trade_date": dates,
                    "ts_code": ts_code,
                    "up_limit": (r["preclose"] * (1 + pct) + 1e-9).round(2),
                    "down_limit": (r["preclose"] * (1 - pct) + 1e-9).round(2),
                }
            ),
        )
        save(
            "tushare",
            "adj_factor",
            ts_code,
            pd.DataFrame(
                {
                    "ts_code": ts_code,
                    "trade_date": r["date"].map(lambda d: d.strftime("%Y%m%d")),
                    "adj_factor": r["hfq"],
                }
            ),
        )
    names = (
        pl.read_csv(REAL / "xbx_market" / "stock_list.csv").filter(pl.col("code").is_in(STOCKS)).to_pandas()
    )
    save(
        "tushare",
        "stock_basic",
        "all",
        pd.DataFrame(
            {
                "ts_code": [f"{c[2:]}.{c[:2].upper()}" for c in names["code"]],
                "symbol": [c[2:] for c in names["code"]],
                "name": names["name_last"],
                "area": None,
                "industry": None,
                "market": None,
                "list_date": names["first_date"].str.replace("-", ""),
                "delist_date": None,
                "list_status": "L",
            }
        ),
    )


def build_baostock() -> None:
    bs = pl.read_parquet(REAL / "baostock_hs300" / "hs300_members_2020-01_2025-04.parquet")
    bs = bs.with_columns(pl.col("code").cast(pl.Utf8), pl.col("date").dt.date())
    bs = bs.filter(pl.col("code").is_in(["sh.600000", "sz.000001", "sh.600519"]))
    bs = bs.filter((pl.col("date") >= dt.date(2020, 3, 2)) & (pl.col("date") <= dt.date(2020, 4, 30)))

    def text(col: str) -> pl.Expr:
        return pl.when(pl.col(col).is_null()).then(pl.lit("")).otherwise(pl.col(col).cast(pl.Utf8)).alias(col)

    out = bs.select(
        pl.col("date").cast(pl.Utf8),
        "code",
        *[text(c) for c in ("open", "high", "low", "close", "preclose")],
        text("volume"),
        text("amount"),
        pl.col("turn").map_elements(lambda v: f"{v:.6f}", return_dtype=pl.Utf8).fill_null("").alias("turn"),
        pl.col("tradestatus").cast(pl.Utf8),
        pl.col("isST").cast(pl.Utf8),
    )
    path = OUT / "baostock" / "query_history_k_data_plus.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    out.write_parquet(path)


def build_illustrative() -> None:
    """Datasets with no real source staged here: the library's shape, illustrative values (documented)."""
    lpr = pd.DataFrame(
        {
            "TRADE_DATE": [
                dt.date(2024, 1, 22),
                dt.date(2024, 2, 20),
                dt.date(2024, 7, 22),
                dt.date(2024, 10, 21),
            ],
            "LPR1Y": [3.45, 3.45, 3.35, 3.10],  # published LPR fixings (real)
            "LPR5Y": [4.20, 3.95, 3.85, 3.60],
            "RATE_1": [4.35, 4.35, 4.35, 4.35],
            "RATE_2": [4.90, 4.90, 4.90, 4.90],
        }
    )
    save("akshare", "macro_china_lpr", "all", lpr)
    days = [dt.date(2024, 3, 25), dt.date(2024, 3, 26), dt.date(2024, 3, 27)]
    flow = pd.DataFrame(
        {
            "日期": days,
            "收盘价": [10.1, 10.2, 10.0],
            "涨跌幅": [0.5, 0.99, -1.96],
            "主力净流入-净额": [1.5e7, -2.0e6, -8.1e6],
            "主力净流入-净占比": [3.1, -0.4, -1.8],
            "超大单净流入-净额": [1.0e7, -1.0e6, -5.0e6],
            "超大单净流入-净占比": [2.0, -0.2, -1.1],
            "大单净流入-净额": [5.0e6, -1.0e6, -3.1e6],
            "大单净流入-净占比": [1.1, -0.2, -0.7],
            "中单净流入-净额": [-6.0e6, 1.0e6, 3.0e6],
            "中单净流入-净占比": [-1.2, 0.2, 0.7],
            "小单净流入-净额": [-9.0e6, 1.0e6, 5.1e6],
            "小单净流入-净占比": [-1.9, 0.2, 1.1],
        }
    )
    save("akshare", "stock_individual_fund_flow", "600000", flow)


def build_flows_events_macro() -> None:
    """North-bound flows, margin, industry flow and membership, block trades, ST history, monthly/daily macro.

    REAL values: the 000025 renames (xbx `sz000025_full.csv` names, dated by their first day) and the Tushare rows
    copied from Tushare's own documentation samples (moneyflow_hsgt 2018-07/08, margin_detail 2018-08-02,
    block_trade 2018-12-27, moneyflow_ind_dc 2024-09-27; fields those samples do not show are illustrative).
    Everything else here is ILLUSTRATIVE (plausible magnitudes, the library's exact columns and dtypes); see
    fixtures/README.md.
    """
    days = [dt.date(2024, 3, 25), dt.date(2024, 3, 26), dt.date(2024, 3, 27), dt.date(2024, 8, 19)]
    nan = float("nan")
    for channel, index_name, net, buy in (
        ("沪股通", "上证指数", [12.5, -3.4, 8.1, nan], [560.2, 498.7, 530.0, nan]),
        ("深股通", "深证指数", [20.1, 5.6, -9.9, nan], [610.4, 575.3, 590.8, nan]),
        ("北向资金", "沪深300", [32.6, 2.2, -1.8, nan], [1170.6, 1074.0, 1120.8, nan]),
    ):
        sell = [b - n for b, n in zip(buy, net, strict=True)]
        save(
            "akshare",
            "stock_hsgt_hist_em",
            channel,
            pd.DataFrame(
                {
                    "日期": days,
                    "当日成交净买额": net,
                    "买入成交额": buy,
                    "卖出成交额": sell,
                    "历史累计净买额": [1.78, 1.78, 1.78, nan],
                    "当日资金流入": net,
                    "当日余额": [507.5, 517.8, 512.0, nan],
                    "持股市值": [2.2e12, 2.21e12, 2.19e12, nan],
                    "领涨股": ["中国平安", "贵州茅台", "宁德时代", None],
                    "领涨股-涨跌幅": [3.1, 2.0, 4.2, nan],
                    index_name: [3026.3, 3031.5, 2993.1, 2879.4],
                    f"{index_name}-涨跌幅": [-0.7, 0.17, -1.26, 0.1],
                    "领涨股-代码": ["601318.SH", "600519.SH", "300750.SZ", None],
                }
            ),
        )
    save(
        "akshare",
        "stock_margin_detail_sse",
        "20240102",
        pd.DataFrame(
            {
                "信用交易日期": ["20240102"] * 3,
                "标的证券代码": ["600000", "600519", "510050"],
                "标的证券简称": ["浦发银行", "贵州茅台", "50ETF"],
                "融资余额": [3.35e9, 1.63e10, 2.9e9],
                "融资买入额": [4.1e7, 3.2e8, 1.1e8],
                "融资偿还额": [3.9e7, 3.5e8, 1.0e8],
                "融券余量": [1.2e6, 2.1e5, 1.5e7],
                "融券卖出量": [3.0e4, 2.0e3, 8.0e5],
                "融券偿还量": [2.5e4, 1.5e3, 7.0e5],
            }
        ),
    )
    save(
        "akshare",
        "stock_margin_detail_szse",
        "20240102",
        pd.DataFrame(
            {
                "证券代码": ["000001", "300750"],
                "证券简称": ["平安银行", "宁德时代"],
                "融资买入额": [1.2e8, 6.5e8],
                "融资余额": [6.1e9, 1.9e10],
                "融券卖出量": [5.0e4, 1.2e4],
                "融券余量": [2.2e6, 5.0e5],
                "融券余额": [2.0e7, 8.2e7],
                "融资融券余额": [6.12e9, 1.908e10],
            }
        ),
    )
    rank_cols = ["主力", "超大单", "大单", "中单", "小单"]
    save(
        "akshare",
        "stock_sector_fund_flow_rank",
        "all",
        pd.DataFrame(
            {
                "名称": ["银行", "汽车服务"],
                "今日涨跌幅": [0.8, -1.2],
                **{f"今日{c}净流入-净额": [1.0e8, -2.0e7] for c in rank_cols},
                **{f"今日{c}净流入-净占比": [1.0, -0.5] for c in rank_cols},
                "今日主力净流入最大股": ["招商银行", "中国汽研"],
            }
        ),
    )
    for name, xl, lg in (
        ("银行", [3.0e8, -1.0e8], [1.0e8, 5.0e7]),
        ("汽车服务", [-2.0e7, 1.0e7], [5.0e6, 2.0e6]),
    ):
        main = [a + b for a, b in zip(xl, lg, strict=True)]
        save(
            "akshare",
            "stock_sector_fund_flow_hist",
            name,
            pd.DataFrame(
                {
                    "日期": days[:2],
                    "主力净流入-净额": main,
                    "主力净流入-净占比": [2.1, -0.4],
                    "超大单净流入-净额": xl,
                    "超大单净流入-净占比": [1.5, -0.6],
                    "大单净流入-净额": lg,
                    "大单净流入-净占比": [0.6, 0.2],
                    "中单净流入-净额": [-m / 2 for m in main],
                    "中单净流入-净占比": [-1.0, 0.2],
                    "小单净流入-净额": [-m / 2 for m in main],
                    "小单净流入-净占比": [-1.1, 0.2],
                }
            ),
        )
    save(
        "akshare",
        "sw_index_first_info",
        "all",
        pd.DataFrame(
            {
                "行业代码": ["801780.SI", "801120.SI"],
                "行业名称": ["银行", "食品饮料"],
                "成份个数": [42, 124],
                "静态市盈率": [5.1, 24.3],
                "TTM(滚动)市盈率": [5.0, 22.8],
                "市净率": [0.55, 4.9],
                "静态股息率": [5.6, 2.4],
            }
        ),
    )
    for code, rows in (
        (
            "801780",
            [
                ("600000", "浦发银行", 3.1, dt.date(1999, 11, 10)),
                ("000001", "平安银行", 4.2, dt.date(1991, 4, 3)),
            ],
        ),
        ("801120", [("600519", "贵州茅台", 38.0, dt.date(2001, 8, 27))]),
    ):
        save(
            "akshare",
            "index_component_sw",
            code,
            pd.DataFrame(
                {
                    "序号": range(1, len(rows) + 1),
                    "证券代码": [r[0] for r in rows],
                    "证券名称": [r[1] for r in rows],
                    "最新权重": [r[2] for r in rows],
                    "计入日期": [r[3] for r in rows],
                }
            ),
        )
    # REAL: the dated renames of 000025 特力A (the day each name first appears in the xbx daily file)
    names = pl.read_csv(REAL / "xbx_market" / "sz000025_full.csv", columns=["name", "date"])
    changes = names.with_columns(pl.col("date").str.to_date()).filter(
        pl.col("name") != pl.col("name").shift(1)
    )
    prev = names.with_columns(pl.col("name").shift(1).alias("prev")).filter(pl.col("name") != pl.col("prev"))
    save(
        "akshare",
        "stock_info_sz_change_name",
        "简称变更",
        pd.DataFrame(
            {
                "变更日期": changes["date"].to_list(),
                "证券代码": "000025",
                "证券简称": "特力A",
                "变更前简称": prev["prev"].to_list(),
                "变更后简称": changes["name"].to_list(),
            }
        ),
    )
    save(
        "akshare",
        "stock_dzjy_mrmx",
        "A股",
        pd.DataFrame(
            {
                "序号": [1, 2, 3],
                "交易日期": [dt.date(2024, 3, 25)] * 3,
                "证券代码": ["600519", "600519", "000001"],
                "证券简称": ["贵州茅台", "贵州茅台", "平安银行"],
                "涨跌幅": [-1.2, -1.2, 0.5],
                "收盘价": [1680.0, 1680.0, 10.2],
                "成交价": [1600.0, 1680.0, 9.6],
                "折溢率": [-4.76, 0.0, -5.88],
                "成交量": [10000.0, 3000.0, 2.0e6],
                "成交额": [1.6e7, 5.04e6, 1.92e7],
                "成交额/流通市值": [0.0008, 0.0003, 0.0097],
                "买方营业部": ["机构专用", "中信证券上海分公司", "机构专用"],
                "卖方营业部": ["中金公司北京建国门外大街", "机构专用", "华泰证券深圳益田路"],
            }
        ),
    )
    months = ["2024年01月份", "2024年02月份", "2024年03月份"]
    save(
        "akshare",
        "macro_china_money_supply",
        "all",
        pd.DataFrame(
            {
                "月份": months[::-1],  # Eastmoney answers newest first
                "货币和准货币(M2)-数量(亿元)": [3047952.0, 2991858.0, 2976250.0],
                "货币和准货币(M2)-同比增长": [8.3, 8.7, 8.7],
                "货币和准货币(M2)-环比增长": [1.9, 0.5, 1.6],
                "货币(M1)-数量(亿元)": [680588.0, 655983.0, 656200.0],
                "货币(M1)-同比增长": [1.1, 1.2, 5.9],
                "货币(M1)-环比增长": [3.8, -0.03, -2.4],
                "流通中的现金(M0)-数量(亿元)": [117213.0, 121721.0, 123100.0],
                "流通中的现金(M0)-同比增长": [11.0, 12.5, 5.9],
                "流通中的现金(M0)-环比增长": [-3.7, -1.1, 9.9],
            }
        ),
    )
    save(
        "akshare",
        "macro_china_shrzgm",
        "all",
        pd.DataFrame(
            {
                "月份": ["202401", "202402", "202403"],
                "社会融资规模增量": [64734.0, 15072.0, 48727.0],
                "其中-人民币贷款": [48400.0, 9800.0, 31400.0],
                "其中-委托贷款外币贷款": [nan, nan, nan],
                "其中-委托贷款": [100.0, 60.0, -30.0],
                "其中-信托贷款": [600.0, 100.0, 300.0],
                "其中-未贴现银行承兑汇票": [5000.0, -2800.0, 1200.0],
                "其中-企业债券": [4900.0, 1400.0, 4600.0],
                "其中-非金融企业境内股票融资": [400.0, 300.0, 200.0],
            }
        ),
    )
    save(
        "akshare",
        "currency_boc_safe",
        "all",
        pd.DataFrame(
            {
                "日期": [dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2024, 1, 4)],
                "美元": [710.09, 710.02, 710.03],
                "欧元": [784.27, 777.07, 776.32],
                "日元": [5.0328, 4.9889, 4.9415],
                "港元": [90.913, 90.899, 90.898],
                "英镑": [904.51, 899.34, 901.00],
            }
        ),
    )
    save(
        "akshare",
        "rate_interbank",
        "Shibor人民币",
        pd.DataFrame(
            {
                "报告日": [dt.date(2024, 1, 2), dt.date(2024, 1, 3)],
                "利率": [1.646, 1.585],
                "涨跌": [-8.5, -6.1],
            }
        ),
    )
    # Tushare: rows from Tushare's documentation samples (real), newest first
    save(
        "tushare",
        "moneyflow_hsgt",
        "all",
        pd.DataFrame(
            {
                "trade_date": ["20180808", "20180807", "20180803"],
                "ggt_ss": [-476.0, -261.0, 667.0],
                "ggt_sz": [-188.0, 177.0, -32.0],
                "hgt": [962.68, 2140.85, -436.99],
                "sgt": [799.94, 1079.82, 1088.07],
                "north_money": [1762.62, 3220.67, 651.08],
                "south_money": [-664.0, -84.0, 635.0],
            }
        ),
    )
    rzye, rqye, rzmre, rqyl = (
        [4.430811e9, 2.613071e9],
        [8238210.0, 30772020.0],
        [78800436.0, 186176338.0],
        [
            921500.0,
            1439290.0,
        ],
    )
    save(
        "tushare",
        "margin_detail",
        "20180802",
        pd.DataFrame(
            {
                "trade_date": ["20180802"] * 2,
                "ts_code": ["000001.SZ", "000002.SZ"],
                "name": [None, None],  # Tushare: names only from 2019-09-10
                "rzye": rzye,
                "rqye": rqye,
                "rzmre": rzmre,
                "rqyl": rqyl,
                "rzche": [9.1e7, 1.5e8],  # illustrative
                "rqchl": [1.0e5, 2.0e5],  # illustrative
                "rqmcl": [5.0e4, 1.2e5],  # illustrative
                "rzrqye": [a + b for a, b in zip(rzye, rqye, strict=True)],
            }
        ),
    )
    save(
        "tushare",
        "block_trade",
        "20181227",
        pd.DataFrame(
            {
                "ts_code": ["600436.SH", "601318.SH", "601318.SH"],
                "trade_date": ["20181227"] * 3,
                "price": [86.95, 55.76, 55.76],
                "vol": [9.49, 1800.0, 332.0],
                "amount": [825.16, 100368.0, 18512.32],
                "buyer": ["机构专用", "机构专用", "机构专用"],  # illustrative
                "seller": ["招商证券漳州延安北路", "机构专用", "机构专用"],  # illustrative
            }
        ),
    )
    save(
        "tushare",
        "moneyflow_ind_dc",
        "20240927",
        pd.DataFrame(
            {
                "trade_date": ["20240927"] * 2,
                "content_type": ["行业"] * 2,
                "ts_code": ["BK0447.DC", "BK0473.DC"],
                "name": ["互联网服务", "证券"],
                "pct_change": [6.28, 8.23],
                "close": [16883.55, 135249.80],
                "net_amount": [3056382208.0, 2875528704.0],
                "net_amount_rate": [3.93, 4.64],
                "buy_elg_amount": [2.0e9, 1.9e9],  # illustrative split: elg + lg = net_amount
                "buy_elg_amount_rate": [2.57, 3.07],
                "buy_lg_amount": [1056382208.0, 975528704.0],
                "buy_lg_amount_rate": [1.36, 1.57],
                "buy_md_amount": [-1.5e9, -1.4e9],
                "buy_md_amount_rate": [-1.93, -2.26],
                "buy_sm_amount": [-1.556382208e9, -1.475528704e9],
                "buy_sm_amount_rate": [-2.0, -2.38],
                "buy_sm_amount_stock": ["东方财富", "中信证券"],
                "rank": [1, 2],
            }
        ),
    )


README = """# Vendor-shaped fixtures (generated by `build_fixtures.py`; do not edit by hand)

`<vendor>/<function>/<key>.parquet` is what the named library function returns for the call whose code argument is
`<key>` (`all` when it has none): column names, order and dtypes read from the installed AKShare 1.19 / Tushare
client source and Tushare's documentation. Units are the vendor's (the adapters convert them).

## Real values
- Daily bars, adjustment factors, stock list, spot, daily_basic, stk_limit: `xbx_market` (2021-06 → 08, 8 stocks).
- 000905 / 510500 bars, fund shares, CSI500 weights: `jerryz_csi500`, `sample/` (see MANIFEST.md).
- Baostock K-lines: `baostock_hs300`. LPR fixings of 2024 (`macro_china_lpr`).
- `akshare/stock_info_sh_name_code`, `stock_info_sz_name_code`: list dates = each stock's first day in xbx.
- `akshare/stock_info_sz_change_name/简称变更`: the dated renames of 000025 特力A, taken from the names in
  `xbx_market/sz000025_full.csv` (dated by the first day each name appears): 'ST特力Ａ' from 2000-04-19 to 2006-01-03 is real.
- `tushare/moneyflow_hsgt`, `tushare/margin_detail` (rzye, rqye, rzmre, rqyl), `tushare/block_trade` (price, vol,
  amount), `tushare/moneyflow_ind_dc` (name, pct_change, close, net_amount, net_amount_rate): rows copied from the
  samples in Tushare's own documentation pages.

## Trade calendar (`tushare/trade_cal`, `akshare/tool_trade_date_hist_sina`, `xtquant/*/SH.json`)
- Real: the XSHG sessions up to 2026-12-31 as exchange_calendars 4.13.2 has them (the State Council's 2026
  holiday notice). Tushare and xtquant answer a call from 2026-01-01 (`start_date` / `start_time` '20260101');
  xtquant's `get_trading_dates` lists the past only, recorded as of 2026-06-30; AKShare's list starts 1990-12-19.
- SYNTHETIC, NOT THE OFFICIAL CALENDAR: every 2027 day, built from `tests/data/calendar/synthetic_holidays_2027.csv`
  (the 2027 notice did not exist yet), so tests can ingest a year past the package's end. `xtquant/` holds JSON
  lists, as xtdata returns Python lists (no frame).

## Illustrative values (plausible magnitudes, exact vendor shape; NOT market data)
- `akshare/stock_individual_fund_flow`, minute bars, dragon-tiger, lock-up expiries, F10 indicators (in tests).
- `akshare/stock_hsgt_hist_em/*` (north-bound flows 2024-03-25 → 27, plus a 2024-08-19 row without figures as
  Eastmoney answers after the disclosure change), `akshare/stock_margin_detail_sse|szse/20240102`,
  `akshare/stock_sector_fund_flow_rank|hist`, `akshare/sw_index_first_info`, `akshare/index_component_sw/*`,
  `akshare/stock_dzjy_mrmx/A股`, `akshare/macro_china_money_supply`, `akshare/macro_china_shrzgm`,
  `akshare/currency_boc_safe`, `akshare/rate_interbank/Shibor人民币` (figures close to, but not checked against,
  the published ones).
- In the Tushare samples above: margin rzche, rqchl, rqmcl; block-trade buyer/seller; the order-size split of
  moneyflow_ind_dc (chosen so that elg + lg = net_amount).
"""


# the `start_date` / `start_time` the Tushare and xtquant responses answer
CALENDAR_FROM = dt.date(2026, 1, 1)
CALENDAR_TO = dt.date(2027, 12, 31)
XT_RECORDED_ON = dt.date(2026, 6, 30)  # get_trading_dates lists the past only: recorded "as of" this day
SYNTHETIC_2027 = Path(__file__).resolve().parents[1] / "calendar" / "synthetic_holidays_2027.csv"


def calendar_sessions() -> list[dt.date]:
    """Real XSHG sessions (exchange_calendars, 1990-12-19 → 2026-12-31) + the synthetic 2027 ones."""
    from thermoquant.data.trade_calendar import read_calendar_file
    from thermoquant.market.calendar import package_sessions

    real = package_sessions().astype(dt.date).tolist()
    synthetic = read_calendar_file(SYNTHETIC_2027, holidays=True).filter(pl.col("is_open"))["cal_date"]
    return real + synthetic.to_list()


def build_calendar() -> None:
    sessions = calendar_sessions()
    opened = set(sessions)
    # Tushare trade_cal(exchange='SSE', start_date='20260101'): every calendar day, newest first; is_open int;
    # pretrade_date = the session before (on a closed day: the one before the last session, as Tushare fills it)
    before = {d: p for p, d in itertools.pairwise(sessions)}
    days = [CALENDAR_FROM + dt.timedelta(days=i) for i in range((CALENDAR_TO - CALENDAR_FROM).days + 1)]
    # the session strictly before each day
    last_open, prev = [], max(s for s in sessions if s < CALENDAR_FROM)
    for d in days:
        last_open.append(prev)
        prev = d if d in opened else prev
    pretrade = [lo if d in opened else before[lo] for d, lo in zip(days, last_open, strict=True)]
    ts = pd.DataFrame(
        {
            "exchange": "SSE",
            "cal_date": [d.strftime("%Y%m%d") for d in days],
            "is_open": np.array([int(d in opened) for d in days], dtype="int64"),
            "pretrade_date": [p.strftime("%Y%m%d") for p in pretrade],
        }
    ).iloc[::-1]
    save("tushare", "trade_cal", "all", ts.reset_index(drop=True))
    # AKShare tool_trade_date_hist_sina(): the open days from 1990-12-19, ascending, datetime.date objects
    save("akshare", "tool_trade_date_hist_sina", "all", pd.DataFrame({"trade_date": sessions}))
    # xtquant: get_trading_calendar('SH', start_time='20260101', end_time='') → ['YYYYMMDD', …] with future days;
    # get_trading_dates('SH', start_time='20260101', end_time='', count=-1) → ms of Shanghai midnight, past only
    ahead = [d for d in sessions if d >= CALENDAR_FROM]
    shanghai = dt.timezone(dt.timedelta(hours=8))
    past = [d for d in ahead if d <= XT_RECORDED_ON]
    ms = [int(dt.datetime(d.year, d.month, d.day, tzinfo=shanghai).timestamp() * 1000) for d in past]
    for func, answer in (
        ("get_trading_calendar", [d.strftime("%Y%m%d") for d in ahead]),
        ("get_trading_dates", ms),
    ):
        path = OUT / "xtquant" / func / "SH.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(answer) + "\n", encoding="utf-8")


def write_readme() -> None:
    (OUT / "README.md").write_text(README, encoding="utf-8")


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    rows = xbx_rows()
    build_akshare(rows)
    build_index_and_etf()
    build_weights()
    build_tushare(rows)
    build_baostock()
    build_illustrative()
    build_flows_events_macro()
    build_calendar()
    write_readme()
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"fixtures written to {OUT}: {total / 1024:.0f} KiB")


if __name__ == "__main__":
    if sys.argv[1:] == ["calendar"]:
        build_calendar()
        write_readme()
    else:
        main()
