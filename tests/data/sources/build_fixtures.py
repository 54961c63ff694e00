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
* Macro LPR: the published 2024 LPR fixings. Datasets without any real source here (fund flow, dragon-tiger list,
  lock-up expiries, minute bars, financial indicators) use a few rows whose VALUES are illustrative; their SHAPE
  is the library's.
"""

from __future__ import annotations

import datetime as dt
import shutil
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
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"fixtures written to {OUT}: {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
