"""回测 / Backtests: backtest_log runs side by side, equity against the benchmark (replayed on request), trades,
the full configuration, and the run's HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import streamlit as st
import streamlit.components.v1 as components

from thermoquant.jobs import dashboard as data
from thermoquant.ui import charts
from thermoquant.ui.source import load
from thermoquant.ui.widgets import chart, frame, header

METRICS = {
    "m.total_return": ("总收益 total return", "{:+.2%}"),
    "m.annual_return": ("年化 annual", "{:+.2%}"),
    "m.max_drawdown": ("最大回撤 max DD", "{:.2%}"),
    "m.sharpe": ("夏普 Sharpe", "{:.2f}"),
    "m.win_rate": ("胜率 win rate", "{:.1%}"),
    "m.trades": ("交易次数 trades", "{:.0f}"),
    "m.benchmark_total_return": ("基准收益 benchmark", "{:+.2%}"),
    "m.benchmark_max_drawdown": ("基准回撤 benchmark DD", "{:.2%}"),
}


@st.cache_data(show_spinner=False, max_entries=8)
def replayed_curve(run_id: str) -> tuple[list, list, list, pl.DataFrame]:
    """Dates, strategy and benchmark daily returns and the round trips of ``run_id``, from a replay (the log
    keeps metrics only)."""
    from thermoquant.jobs.backtest import replay
    from thermoquant.jobs.context import JobContext

    run = replay(JobContext(), run_id).run
    return list(run.dates), run.returns.tolist(), run.benchmark.tolist(), run.trades


header("回测 / Backtests", "backtest_log 中的回测并排比较；净值对比基准；成交；完整配置；打开 HTML 报告")
runs = load(data.backtest_runs)
if runs.is_empty():
    st.info(
        "backtest_log 表为空 / no backtests recorded yet: 运行 `tq backtest csi500_timing`（或 `tq demo`）"
    )
    st.stop()

labels = {
    r["run_id"]: f"{r['strategy']} · {r['start_date']}→{r['end_date']} · {r['run_id'][-8:]}"
    for r in runs.iter_rows(named=True)
}
chosen = st.multiselect(
    "比较的回测 / runs to compare", list(labels), default=list(labels)[:3], format_func=labels.get
)
if not chosen:
    st.stop()
side = runs.filter(pl.col("run_id").is_in(chosen))
table = {"指标 metric": [label for label, _ in METRICS.values()]}
for r in side.iter_rows(named=True):
    table[labels[r["run_id"]]] = [
        "—" if r.get(col) is None else fmt.format(r[col]) for col, (_, fmt) in METRICS.items()
    ]
frame(pl.DataFrame(table), "", key="metrics")

run_id = st.selectbox("查看 / inspect", chosen, format_func=labels.get)
row = runs.filter(pl.col("run_id") == run_id).row(0, named=True)
tab_eq, tab_sleeves, tab_trades, tab_cfg, tab_report = st.tabs(
    ["净值 equity", "核心/卫星 sleeves", "成交 trades", "配置 config", "报告 report"]
)
with tab_eq:
    st.caption(
        "backtest_log 只记录指标；净值曲线由重放得到（会记入 job_log）/ the log keeps metrics only: the curve comes from a replay"
    )
    if st.button(
        "重放并绘制净值 / replay and draw the equity", key=f"replay-{run_id}"
    ) or st.session_state.get(f"drawn-{run_id}"):
        st.session_state[f"drawn-{run_id}"] = True
        try:
            dates, rets, bench, trips = replayed_curve(run_id)
        except (LookupError, ValueError) as exc:
            st.warning(f"无法重放 / cannot replay: {exc}")
        else:
            import numpy as np

            chart(
                charts.equity_vs_benchmark(
                    dates, np.array(rets), np.array(bench), f"{row['strategy']} 净值 vs 基准"
                ),
                "equity",
            )
with tab_sleeves:
    sleeves, transfers = load(data.backtest_sleeves, run_id)
    if sleeves.is_empty():
        st.info("这次回测不是核心-卫星组合，没有分仓记录 / not a core-satellite run: no sleeves recorded")
    else:
        chart(charts.sleeves(sleeves, f"{row['strategy']} 核心 / 卫星权益"), "sleeves")
        st.markdown("**卫星 → 核心 利润划转 / profit transfers satellite → core**")
        frame(transfers, "没有划转 / no transfers", key="transfers")
with tab_trades:
    frame(
        load(data.backtest_trades, run_id),
        "这次回测没有在 trades 表记录成交（指数净值模式只记指标）/ no trades recorded for this run",
    )
with tab_cfg:
    for key, title in (
        ("params", "策略参数 params"),
        ("config", "执行配置 config"),
        ("inputs", "输入 inputs"),
    ):
        st.markdown(f"**{title}**")
        st.json(json.loads(row[key]) if row.get(key) else {}, expanded=key == "params")
    st.caption(f"代码版本 code version: {row.get('code_version')} · 记录于 created {row.get('created_at')}")
with tab_report:
    path = Path(row["report_path"]) if row.get("report_path") else None
    if path is None or not path.is_file():
        st.info(f"没有找到 HTML 报告 / no HTML report at {path}")
    else:
        html = path.read_bytes()
        st.download_button("下载报告 / download the report", html, file_name=path.name, mime="text/html")
        st.caption(str(path))
        if st.toggle("在此页打开报告 / open the report here", key=f"open-{run_id}"):
            components.html(html.decode("utf-8"), height=1000, scrolling=True)
