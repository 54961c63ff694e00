"""个股 / One stock: K-line with T_i, state band, buy/sell marks; the chip distribution of a chosen day beside it on
the same price axis; ΔT, K, Q; its signals, factors and parameter packs."""

from __future__ import annotations

import polars as pl
import streamlit as st

from thermoquant.jobs import dashboard as data
from thermoquant.ui import charts
from thermoquant.ui.source import features_root, load
from thermoquant.ui.widgets import chart, frame, header

header(
    "个股 / Stock", "按代码或名称搜索；K 线（红涨绿跌）、筹码分布（拖动日期滑块）、ΔT / K / Q、信号与参数包"
)

stocks = load(data.stock_list)
if stocks.is_empty():
    st.info("stock_info 表为空 / no stocks stored: 运行 `tq demo` 或 `tq ingest stock_info`")
    st.stop()

wanted = st.query_params.get("symbol") or load(data.top_candidate)
text = st.text_input("代码或名称 / code or name", value="", placeholder="000025 或 特力")
matches = data.find_stocks(stocks, text)
if matches.is_empty():
    st.warning(f"没有匹配“{text}”的股票 / no stock matches {text!r}")
    st.stop()
options = matches["symbol"].to_list()
if wanted in stocks["symbol"].to_list() and wanted not in options and not text:
    options = [wanted, *options]
names = dict(stocks.iter_rows())
symbol = st.selectbox(
    "股票 / stock",
    options,
    index=options.index(wanted) if wanted in options else 0,
    format_func=lambda s: f"{s} {names.get(s) or ''}",
)
st.query_params["symbol"] = symbol

view = load(data.stock_view, symbol, data.STOCK_BARS, features_root())
info = view.info or {}
st.subheader(f"{symbol} {info.get('name') or ''}")
st.caption(
    " · ".join(
        f"{label}: {info.get(key)}"
        for key, label in (
            ("industry", "行业 industry"),
            ("board", "板块 board"),
            ("list_date", "上市 listed"),
        )
        if info.get(key)
    )
)
if view.physics.is_empty():
    st.info("daily_quote 里这只股票不足两根有成交的日线 / fewer than two traded bars stored for this stock")
    st.stop()

dates = view.physics["trade_date"].to_list()
day = st.select_slider("筹码日期 / chip day", options=dates, value=dates[-1], format_func=str)
i = dates.index(day)
last = view.physics.row(i, named=True)
cols = st.columns(6)
cols[0].metric("收盘 close", f"{last['close']:.2f}")
cols[1].metric("T_i", f"{last['t_i']:.2f}")
cols[2].metric("ΔT", f"{last['dt']:+.2%}")
cols[3].metric("K", f"{last['k']:.2f}")
cols[4].metric("Q 价下筹码 fuel", f"{last['q_below']:.1%}")
cols[5].metric("状态 state", charts.STATE_SHORT.get(last["state_name"], str(last["state_name"])))
chart(charts.stock_figure(view, i, view.signals), "stock")

tab_sig, tab_fac, tab_pack, tab_bars = st.tabs(
    ["信号与评分 signals & scores", "因子 factors", "参数包 param packs", "物理量 physics rows"]
)
with tab_sig:
    frame(view.signals, "signals 表里没有这只股票的信号 / no stored signals for this stock")
with tab_fac:
    factors = view.factors.with_columns(pl.all().cast(pl.Utf8)) if view.factors.height else None
    frame(
        None if factors is None else factors.transpose(include_header=True, header_name="因子 factor",
                                                       column_names=["值 value"]),
        "尚未计算因子 / no stored factors: 运行 `tq features compute`",
    )  # fmt: skip
with tab_pack:
    frame(
        view.param_packs,
        "param_pack 表没有这只股票的参数包（每日进化写入）/ no parameter packs for this stock yet",
    )
with tab_bars:
    frame(view.physics.reverse().head(60), "no rows")
