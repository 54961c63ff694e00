"""信号与评分 / Signals and scores: the signals table with filters (strategy, layer, date, action), the component
scores stored in ``signals.details``, take-profit / stop-loss prices, and the stable-layer alerts."""

from __future__ import annotations

import polars as pl
import streamlit as st

from thermoquant.jobs import dashboard as data
from thermoquant.ui.source import load
from thermoquant.ui.widgets import frame, header

ALL = "全部 all"

header(
    "信号与评分 / Signals & scores",
    "按策略、层级、日期、动作筛选；details 中的分项得分展开成列；止盈止损价；稳定层预警",
)
choices = load(data.signal_filters)
if not choices["day"]:
    st.info("signals 表为空 / no signals stored yet: 运行 `tq scan`（或 `tq demo`）")
else:
    a, b, c, d = st.columns(4)
    day = a.selectbox("日期 date", [ALL, *choices["day"]], index=1, format_func=str)
    strategy = b.selectbox("策略 strategy", [ALL, *choices["strategy"]])
    signal = c.selectbox("动作 action", [ALL, *choices["signal"]])
    layer = d.selectbox(
        "层级 layer", [ALL, *choices["layer"]], help="stock_info.tracked_layer：稳定层 stable / 进攻层 attack"
    )
    rows = load(
        data.read_signal_rows,
        None if day == ALL else day,
        None if strategy == ALL else strategy,
        None if signal == ALL else signal,
        None if layer == ALL else layer,
    )
    counts = rows.group_by("signal").len("n").sort("signal") if rows.height else pl.DataFrame()
    cols = st.columns(max(1, counts.height + 1))
    cols[0].metric("信号数 signals", f"{rows.height:,}")
    for col, r in zip(cols[1:], counts.iter_rows(named=True), strict=False):
        col.metric(r["signal"], f"{r['n']:,}")
    frame(rows, "没有符合筛选条件的信号 / no signals match the filters", height=520, key="signals")
    priced = (
        rows.filter(pl.col("take_profit").is_not_null() | pl.col("stop_loss").is_not_null())
        if rows.height
        else rows
    )
    st.subheader("止盈 / 止损 take-profit / stop-loss")
    frame(
        priced.select("symbol", "name", "signal", "score", "take_profit", "stop_loss")
        if priced.height
        else None,
        "这些信号都没有止盈止损价（进攻层评分写入）/ none of these signals carries take-profit or stop-loss prices",
    )

st.subheader("稳定层预警 / Stable-layer alerts (alerts_log)")
frame(load(data.stable_alerts), "alerts_log 表为空 / no alerts logged yet（稳定层财务预警与通知写入）")
