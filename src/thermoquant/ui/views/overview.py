"""市场总览 / Market overview: the last scan day, states over time, top candidates, the CSI500 timing signal,
limit-up / limit-down counts."""

from __future__ import annotations

import streamlit as st

from thermoquant.jobs import dashboard as data
from thermoquant.ui import charts
from thermoquant.ui.source import load
from thermoquant.ui.widgets import chart, frame, header

header("市场总览 / Market overview", "最近一次全市场扫描、各状态数量、候选股、中证500 择时与涨跌停家数")
view = load(data.overview)

if view.last_day is None:
    st.info("signals 表还没有全市场扫描结果 / no full-market scan stored yet: 运行 `tq scan`（或 `tq demo`）")
else:
    counts = {
        row["state"]: row["stocks"]
        for row in view.states.filter(view.states["day"] == view.last_day).iter_rows(named=True)
    }
    cols = st.columns(5)
    cols[0].metric("扫描日 scan day", str(view.last_day))
    for col, state in zip(cols[1:], "ABCD", strict=True):
        col.metric(charts.STATE_LABELS[state], f"{counts.get(state, 0):,}")
    chart(charts.state_counts(view.states), "states")

left, right = st.columns(2)
with left:
    st.subheader("引燃候选 Top ignition (B, BUY)")
    frame(view.ignition, "扫描日没有引燃买入信号 / no ignition buys on the scan day")
with right:
    st.subheader("稳燃买点 Steady-combustion buys (C, BUY)")
    frame(view.steady, "扫描日没有稳燃买点 / no steady-combustion buys on the scan day")

st.subheader("中证500 择时 / CSI500 timing (seed 004)")
left, right = st.columns([1, 2])
with left:
    t = view.timing
    if t is None:
        st.info(
            "还没有择时信号 / no timing signal stored: 运行 `tq scan --strategy csi500_timing --date YYYY-MM-DD`"
        )
    else:
        st.metric(f"信号 signal（{t['signal_time']:%Y-%m-%d}）", t["signal"], t.get("reason") or None)
        a, b, c = st.columns(3)
        fmt = lambda v, f: "—" if v is None else format(v, f)  # noqa: E731
        a.metric("宽度 breadth %", fmt(t.get("breadth"), ".1f"))
        b.metric("热度 heat Z", fmt(t.get("heat_z"), ".2f"))
        c.metric("ETF 换手 %", fmt(t.get("etf_turnover"), ".2f"))
        if t.get("unavailable"):
            st.caption(f"缺少数据 / unavailable: {t['unavailable']}")
with right:
    if view.index.is_empty():
        st.info("index_daily 里没有中证500（000905.SH）/ no CSI500 closes stored: `tq ingest index_daily`")
    else:
        chart(charts.index_line(view.index, "中证500 000905.SH 与均线 MA5/10/30"), "csi500")

st.subheader("涨停 / 跌停 limit-up / limit-down")
if view.limits.is_empty():
    st.info("daily_quote 没有行情 / no daily bars stored: `tq import` 或 `tq ingest daily_quote`")
else:
    last = view.limits.tail(1).row(0, named=True)
    a, b = st.columns(2)
    a.metric(f"涨停 limit-up {last['trade_date']}", f"{last['up']:,}")
    b.metric(f"跌停 limit-down {last['trade_date']}", f"{last['down']:,}")
    chart(charts.limit_counts(view.limits), "limits")
