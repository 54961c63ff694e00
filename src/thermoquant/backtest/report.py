"""Self-contained HTML backtest report (plotly, JavaScript inlined): equity vs benchmark, drawdown, monthly-return
heat-map, K-line with buy/sell marks and the trade list.  Chinese labels; red = up, green = down (A-share habit).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from thermoquant.backtest import metrics

RED = "#e53935"
GREEN = "#2e7d32"

_METRIC_LABELS = {
    "total_return": ("总收益", True),
    "annual_return": ("年化收益", True),
    "annual_volatility": ("年化波动", True),
    "max_drawdown": ("最大回撤", True),
    "max_drawdown_duration": ("最长回撤天数", False),
    "sharpe": ("夏普比率", False),
    "sortino": ("索提诺比率", False),
    "calmar": ("卡玛比率", False),
    "trades": ("交易次数", False),
    "win_rate": ("胜率", True),
    "profit_factor": ("盈亏比", False),
    "avg_holding_days": ("平均持仓天数", False),
    "turnover": ("年化换手", False),
    "exposure": ("平均仓位", True),
    "alpha": ("Alpha（年化）", True),
    "beta": ("Beta", False),
    "information_ratio": ("信息比率", False),
    "benchmark_total_return": ("基准总收益", True),
    "benchmark_max_drawdown": ("基准最大回撤", True),
}


def monthly_returns(dates: Sequence[dt.date], returns: np.ndarray) -> pl.DataFrame:
    """(year, month, return) with each month's compounded return."""
    f = pl.DataFrame({"date": pl.Series(list(dates), dtype=pl.Date), "r": returns})
    return (
        f.group_by(pl.col("date").dt.year().alias("year"), pl.col("date").dt.month().alias("month"))
        .agg(((pl.col("r") + 1.0).product() - 1.0).alias("return"))
        .sort("year", "month")
    )


COUNT_METRICS = frozenset({"trades", "max_drawdown_duration"})
"""Summary entries that count things (trades, days): shown as integers even when the summary holds floats."""


def format_metric(key: str, value: float | int | None) -> str:
    """One summary value as text: counts as integers ("45"), fractions as percents, other ratios with 3 decimals;
    a missing or NaN value as "-"."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    if key in COUNT_METRICS or isinstance(value, (int, np.integer)):
        return f"{round(float(value))}"
    return f"{value * 100:.2f}%" if _METRIC_LABELS.get(key, (key, False))[1] else f"{value:.3f}"


def _metrics_table(summary: dict[str, float]) -> str:
    rows = []
    for key, value in summary.items():
        label = _METRIC_LABELS.get(key, (key, False))[0]
        text = format_metric(key, value)
        rows.append(f"<tr><td>{html.escape(label)}</td><td>{text}</td></tr>")
    return "<table class='m'><tr><th>指标</th><th>数值</th></tr>" + "".join(rows) + "</table>"


def _trades_table(trades: pl.DataFrame, limit: int = 500) -> str:
    if trades.height == 0:
        return "<p>无交易</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in trades.columns)
    body = []
    for row in trades.head(limit).iter_rows():
        cells = "".join(
            f"<td>{v:.4f}</td>" if isinstance(v, float) else f"<td>{html.escape(str(v))}</td>" for v in row
        )
        body.append(f"<tr>{cells}</tr>")
    more = f"<p>（仅显示前 {limit} 行，共 {trades.height} 行）</p>" if trades.height > limit else ""
    return f"<table class='t'><tr>{head}</tr>{''.join(body)}</table>{more}"


def build_figure(
    dates: Sequence[dt.date],
    returns: np.ndarray,
    benchmark: np.ndarray | None,
    bars: pl.DataFrame | None,
    buys: Sequence[dt.date],
    sells: Sequence[dt.date],
    title: str,
    lines: Mapping[str, np.ndarray] | None = None,
) -> go.Figure:
    """Four panels: net value vs benchmark (plus ``lines``: further daily-return series by name, e.g. each sleeve
    of a core-satellite run), drawdown, K-line with marks, monthly heat-map."""
    fig = make_subplots(
        rows=4,
        cols=1,
        vertical_spacing=0.06,
        row_heights=[0.3, 0.15, 0.35, 0.2],
        subplot_titles=("净值 vs 基准", "回撤", "K线与买卖点", "月度收益热力图"),
    )
    x = list(dates)
    fig.add_trace(go.Scatter(x=x, y=np.cumprod(1 + returns), name="策略净值", line={"color": RED}), 1, 1)
    if benchmark is not None:
        fig.add_trace(
            go.Scatter(
                x=x, y=np.cumprod(1 + benchmark), name="基准净值", line={"color": "#1565c0", "dash": "dash"}
            ),
            1,
            1,
        )
    for name, series in (lines or {}).items():
        fig.add_trace(go.Scatter(x=x, y=np.cumprod(1 + series), name=name, line={"dash": "dot"}), 1, 1)
    fig.add_trace(
        go.Scatter(
            x=x, y=metrics.drawdown(returns) * 100, name="回撤 %", fill="tozeroy", line={"color": GREEN}
        ),
        2,
        1,
    )
    if bars is not None and bars.height:
        fig.add_trace(
            go.Candlestick(
                x=bars["trade_date"].to_list(),
                open=bars["open"].to_list(),
                high=bars["high"].to_list(),
                low=bars["low"].to_list(),
                close=bars["close"].to_list(),
                name="K线",
                increasing={"line": {"color": RED}, "fillcolor": RED},
                decreasing={"line": {"color": GREEN}, "fillcolor": GREEN},
            ),
            3,
            1,
        )
        lows = dict(zip(bars["trade_date"].to_list(), bars["low"].to_list(), strict=True))
        highs = dict(zip(bars["trade_date"].to_list(), bars["high"].to_list(), strict=True))
        bx = [d for d in buys if d in lows]
        sx = [d for d in sells if d in highs]
        fig.add_trace(
            go.Scatter(
                x=bx, y=[lows[d] * 0.985 for d in bx], mode="markers", name="买入",
                marker={"symbol": "triangle-up", "size": 10, "color": RED},
            ),
            3,
            1,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=sx, y=[highs[d] * 1.015 for d in sx], mode="markers", name="卖出",
                marker={"symbol": "triangle-down", "size": 10, "color": GREEN},
            ),
            3,
            1,
        )  # fmt: skip
        fig.update_xaxes(rangeslider_visible=False, row=3, col=1)
    mr = monthly_returns(dates, returns)
    years = sorted(set(mr["year"].to_list()))
    grid = np.full((len(years), 12), np.nan)
    for y, m, r in mr.iter_rows():
        grid[years.index(y), m - 1] = r * 100
    fig.add_trace(
        go.Heatmap(
            z=grid,
            x=[f"{m}月" for m in range(1, 13)],
            y=[str(y) for y in years],
            colorscale=[[0.0, GREEN], [0.5, "#ffffff"], [1.0, RED]],
            zmid=0,
            text=np.where(np.isnan(grid), "", np.char.mod("%.1f%%", np.nan_to_num(grid))),
            texttemplate="%{text}",
            showscale=False,
            name="月度收益 %",
        ),
        4,
        1,
    )
    fig.update_layout(title=title, height=1500, template="plotly_white", legend={"orientation": "h"})
    return fig


def write_report(
    path: str | Path,
    *,
    title: str,
    dates: Sequence[dt.date],
    returns: np.ndarray,
    summary: dict[str, float],
    benchmark: np.ndarray | None = None,
    bars: pl.DataFrame | None = None,
    trades: pl.DataFrame | None = None,
    buys: Sequence[dt.date] = (),
    sells: Sequence[dt.date] = (),
    params: dict | None = None,
    sections: Sequence[tuple[str, pl.DataFrame]] = (),
    lines: Mapping[str, np.ndarray] | None = None,
) -> Path:
    """Write the HTML report (plotly.js inlined, works offline) and return its path.

    ``sections``: further (heading, frame) tables after the trade list (e.g. a core-satellite run's sleeves and
    transfers); ``lines``: further net-value series for the first panel (:func:`build_figure`).

    ``bars``: trade_date, open, high, low, close of the traded instrument for the K-line panel; ``trades``: any frame,
    shown as the trade list; ``buys``/``sells``: fill dates to mark on the K-line.
    """
    fig = build_figure(dates, returns, benchmark, bars, buys, sells, title, lines)
    plot = fig.to_html(full_html=False, include_plotlyjs=True)
    param_text = html.escape(", ".join(f"{k}={v}" for k, v in (params or {}).items()))
    style = (
        "body{font-family:'PingFang SC','Microsoft YaHei',sans-serif;margin:24px}"
        "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}"
        ".m td:nth-child(2){text-align:right}"
    )
    doc = (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{style}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>参数：{param_text}</p>"
        f"<h2>绩效指标</h2>{_metrics_table(summary)}{plot}"
        f"<h2>交易列表</h2>{_trades_table(trades if trades is not None else pl.DataFrame())}"
        + "".join(f"<h2>{html.escape(h)}</h2>{_trades_table(f)}" for h, f in sections)
        + "</body></html>"
    )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(doc, encoding="utf-8")
    return out
