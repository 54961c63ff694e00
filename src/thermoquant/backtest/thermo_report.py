"""HTML report of `tq evaluate thermo` (plotly, JavaScript inlined, Chinese labels first, red up / green down).

Takes the window and validation reports of :mod:`thermoquant.jobs.evaluate` (duck-typed: this layer does not
import jobs): per window the equity curves (strategy, CSI500, equal-weight basket), the forward excess return by
state, and the figure tables; per validation stock its candles with the top, first burnout and first stop marked.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from thermoquant.backtest.report import GREEN, RED

_PCT = {"total_return", "annual_return", "max_drawdown", "win_rate", "win_rate_gate", "mean_win", "mean_loss",
        "exposure", "share", "mean", "turnover"}  # fmt: skip


def _fmt(key: str, v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if v != v:
            return "-"
        return f"{v:.2%}" if key in _PCT else f"{v:.3f}"
    return html.escape(str(v))


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>（无 none）</p>"
    head = "".join(f"<th>{html.escape(k)}</th>" for k in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{_fmt(k, v)}</td>" for k, v in r.items()) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _window_html(w: Any, first: bool) -> str:
    fig = go.Figure()
    colors = {"strategy": RED, "csi500": "#1565c0", "equal_weight": "#757575"}
    names = {"strategy": "策略 strategy", "csi500": "中证500 CSI500", "equal_weight": "等权篮子 equal weight"}
    for col in ("strategy", "csi500", "equal_weight"):
        fig.add_trace(go.Scatter(x=w.curves["trade_date"], y=w.curves[col], name=names[col],
                                 line={"color": colors[col]}))  # fmt: skip
    fig.update_layout(title=f"净值 equity — {w.window} · {w.labels}", height=380, template="plotly_white")
    bars = go.Figure()
    for h, frame in w.by_state.items():
        bars.add_trace(go.Bar(x=frame["state"], y=frame["mean"] * 100, name=f"{h} 日 days"))
    bars.update_layout(title="各状态未来超额收益 % forward excess return by state (vs 当日市场均值)", height=320,
                       template="plotly_white", barmode="group")  # fmt: skip
    trades = [{"指标 metric": k, "值 value": v} for k, v in w.trades.items()]
    port = [{"组合 series": k, **v} for k, v in w.portfolio.items()]
    info = []
    for h in w.by_state:
        for r in w.by_state[h].iter_rows(named=True):
            info.append({"期限 horizon": f"{h}d", "分组 group": f"状态 {r['state']}", "n": r["n"], "mean": r["mean"],
                         "t": r["t"]})  # fmt: skip
        for r in w.by_signal[h].iter_rows(named=True):
            info.append({"期限 horizon": f"{h}d", "分组 group": f"信号 {r['reason']}", "n": r["n"], "mean": r["mean"],
                         "t": r["t"]})  # fmt: skip
        ic = w.ic[h]
        info.append({"期限 horizon": f"{h}d", "分组 group": "评分秩 IC rank IC", "n": ic["days"], "mean": ic["ic"],
                     "t": ic["t"]})  # fmt: skip
    return (
        f"<h2>{html.escape(w.window)} · 标签 {html.escape(w.labels)}（{w.start} → {w.end}，{w.stocks} 只股票）</h2>"
        + fig.to_html(full_html=False, include_plotlyjs=first)
        + "<h3>交易统计 trade statistics</h3>" + _table(trades)
        + "<h3>组合 portfolio</h3>" + _table(port)
        + "<h3>持仓暴露 exposure</h3>" + _table(w.exposure_state.to_dicts()) + _table(w.exposure_group.to_dicts())
        + bars.to_html(full_html=False, include_plotlyjs=False)
        + "<h3>信号信息 signal information</h3>" + _table(info)
    )  # fmt: skip


def _validation_html(v: Any) -> str:
    p = v.prices
    fig = go.Figure(go.Candlestick(
        x=p["trade_date"], open=p["open"], high=p["high"], low=p["low"], close=p["close"], name=v.symbol,
        increasing={"line": {"color": RED}, "fillcolor": RED}, decreasing={"line": {"color": GREEN}, "fillcolor": GREEN},
    ))  # fmt: skip
    fig.add_vline(x=v.top, line={"color": RED, "dash": "dot"})
    for e in v.events:
        if e["date"] is not None:
            fig.add_vline(x=e["date"], line={"color": GREEN, "dash": "dash"})
    fig.update_layout(title=f"{v.symbol} {v.year}（{v.labels}）顶部 top {v.top} 收盘 {v.top_close:.2f}", height=380,
                      template="plotly_white", xaxis_rangeslider_visible=False)  # fmt: skip
    rows = [{"事件 event": e["event"], "日期 date": e["date"], "规则 rule": e.get("rule"), "距顶部交易日 days from top": e["days_from_top"]}
            for e in v.events]  # fmt: skip
    return fig.to_html(full_html=False, include_plotlyjs=False) + _table(rows)


def write_evaluation_report(
    path: Path, windows: Sequence[Any], validation: Sequence[Any], notes: Sequence[str]
) -> Path:
    """Write the report to ``path`` and return it."""
    parts = [_window_html(w, i == 0) for i, w in enumerate(windows)]
    parts += ["<h2>验证股票 validation stocks</h2>"] + [_validation_html(v) for v in validation]
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:.5em 0}"
             "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}")  # fmt: skip
    note = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    doc = (f"<!doctype html><html><head><meta charset='utf-8'><title>热力学策略评估 thermo evaluation</title>"
           f"<style>{style}</style></head><body><h1>热力学策略评估 thermo strategy evaluation</h1><ul>{note}</ul>"
           + "".join(parts) + "</body></html>")  # fmt: skip
    path.write_text(doc, encoding="utf-8")
    return path
