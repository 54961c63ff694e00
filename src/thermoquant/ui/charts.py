"""Plotly figures of the dashboard, built from the frames of :mod:`thermoquant.jobs.dashboard`.

A-share colours: red up, green down. State colours as in the physics report: A grey, B orange, C red, D blue.
Streamlit draws these with the plotly.js bundled in its own frontend: nothing is fetched from a CDN.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from thermoquant.jobs.dashboard import StockView, drawdown

UP, DOWN = "#e53935", "#2e7d32"
STATE_COLOURS = {"A": "#9e9e9e", "B": "#ff9800", "C": "#e53935", "D": "#1e88e5"}
STATE_SHORT = {"A": "A 蓄能", "B": "B 引燃", "C": "C 稳燃", "D": "D 灰烬"}
STATE_LABELS = {"A": "A 蓄能 cold", "B": "B 引燃 ignition", "C": "C 稳燃 steady", "D": "D 灰烬 burnout"}

VISIBLE_BARS = 250
"""Bars shown when the stock chart opens (the rest is a zoom or pan away)."""


def _layout(fig: go.Figure, height: int, title: str | None = None) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 50, "r": 20, "t": 40 if title else 20, "b": 30},
        title=title,
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        hovermode="x unified",
    )
    return fig


def state_counts(states: pl.DataFrame) -> go.Figure:
    """Stacked bars: stocks in each state per scanned day."""
    fig = go.Figure()
    for state, colour in STATE_COLOURS.items():
        rows = states.filter(pl.col("state") == state)
        fig.add_trace(
            go.Bar(
                x=rows["day"].to_list(),
                y=rows["stocks"].to_list(),
                name=STATE_LABELS[state],
                marker_color=colour,
            )
        )
    fig.update_layout(barmode="stack", xaxis_type="category")
    return _layout(fig, 320, "各状态股票数 / stocks per state")


def limit_counts(limits: pl.DataFrame) -> go.Figure:
    """Limit-up (red) and limit-down (green) counts per day."""
    fig = go.Figure(
        [
            go.Bar(
                x=limits["trade_date"].to_list(),
                y=limits["up"].to_list(),
                name="涨停 limit-up",
                marker_color=UP,
            ),
            go.Bar(
                x=limits["trade_date"].to_list(),
                y=(-limits["down"]).to_list(),
                name="跌停 limit-down",
                marker_color=DOWN,
            ),
        ]
    )
    fig.update_layout(barmode="relative")
    return _layout(fig, 320, "涨停 / 跌停家数 limit-up / limit-down")


def index_line(index: pl.DataFrame, title: str) -> go.Figure:
    """An index's closes with its MA5 / MA10 / MA30 (seed 004's trend lines)."""
    x = index["trade_date"].to_list()
    fig = go.Figure(
        [go.Scatter(x=x, y=index["close"].to_list(), name="收盘 close", line={"color": "#212121"})]
    )
    for n, colour in ((5, "#ff9800"), (10, "#8e24aa"), (30, "#1e88e5")):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=index["close"].rolling_mean(n).to_list(),
                name=f"MA{n}",
                line={"width": 1, "color": colour},
            )
        )
    return _layout(fig, 320, title)


def _state_strip(states: pl.Series) -> list[list[int | None]]:
    codes = {"A": 0, "B": 1, "C": 2, "D": 3}
    return [[codes.get(s) if s is not None else None for s in states.to_list()]]


def stock_figure(view: StockView, day_index: int, signals: pl.DataFrame | None = None) -> go.Figure:
    """K-line (red up, green down) with T_i, average cost, buy points and stops, stored BUY/SELL signals; the chip
    distribution of bar ``day_index`` beside it on the same price axis; state band, volume, ΔT, K and Q below."""
    p = view.physics
    x = p["trade_date"].to_list()
    fig = make_subplots(
        rows=6,
        cols=2,
        shared_xaxes=True,
        shared_yaxes=True,
        column_widths=[0.82, 0.18],
        row_heights=[0.44, 0.04, 0.13, 0.13, 0.13, 0.13],
        vertical_spacing=0.025,
        horizontal_spacing=0.01,
        specs=[[{}, {}]] + [[{}, None] for _ in range(5)],
        subplot_titles=(
            "K 线 / T_i / 平均成本 (前复权)",
            "筹码分布 chips",
            "",
            "成交量 volume",
            "温差 ΔT = T_f/T_i − 1",
            "导热系数 K",
            "燃料 Q（价下/价上筹码，占流通盘）",
        ),
    )
    fig.add_trace(
        go.Candlestick(
            x=x,
            open=p["open"].to_list(),
            high=p["high"].to_list(),
            low=p["low"].to_list(),
            close=p["close"].to_list(),
            name="K 线",
            increasing={"line": {"color": UP}, "fillcolor": UP},
            decreasing={"line": {"color": DOWN}, "fillcolor": DOWN},
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(x=x, y=p["t_i"].to_list(), name="T_i", line={"color": "#6a1b9a", "width": 1.2}), 1, 1
    )
    fig.add_trace(
        go.Scatter(
            x=x, y=p["avg_cost"].to_list(), name="平均成本 avg cost", line={"dash": "dot", "width": 1}
        ),
        1,
        1,
    )
    buys = p.filter(pl.col("buy_point"))
    stops = p.filter(pl.col("stop"))
    fig.add_trace(
        go.Scatter(
            x=buys["trade_date"].to_list(),
            y=(buys["low"] * 0.98).to_list(),
            mode="markers",
            name="买点 buy point",
            marker={"symbol": "triangle-up", "size": 9, "color": UP},
        ),
        1,
        1,
    )
    fig.add_trace(
        go.Scatter(
            x=stops["trade_date"].to_list(),
            y=(stops["high"] * 1.02).to_list(),
            mode="markers",
            name="止损 stop",
            marker={"symbol": "triangle-down", "size": 9, "color": DOWN},
        ),
        1,
        1,
    )
    if signals is not None and signals.height:
        marks = signals.filter(pl.col("signal").is_in(["BUY", "SELL"])).with_columns(
            pl.col("signal_time").dt.date().alias("trade_date")
        )
        marks = marks.join(p.select("trade_date", "close"), on="trade_date", how="inner")
        if marks.height:
            fig.add_trace(
                go.Scatter(
                    x=marks["trade_date"].to_list(),
                    y=marks["close"].to_list(),
                    mode="markers+text",
                    text=marks["signal"].to_list(),
                    textposition="top center",
                    name="信号 signals",
                    marker={
                        "symbol": "star",
                        "size": 12,
                        "color": "#fdd835",
                        "line": {"width": 1, "color": "#000"},
                    },
                ),
                1,
                1,
            )
    # chips of the chosen day, on the K-line's price axis
    stack = view.stacks[day_index]
    prices = view.chip_prices(day_index)
    close = float(p["close"][day_index])
    lo, hi = float(p["low"].min()) * 0.9, float(p["high"].max()) * 1.1
    keep = (prices >= lo) & (prices <= hi) & (stack > 0)
    below = keep & (prices <= close)
    above = keep & (prices > close)
    for mask, name, colour in ((below, "获利筹码 in profit", UP), (above, "套牢筹码 trapped", DOWN)):
        fig.add_trace(
            go.Bar(
                x=(stack[mask] * 100).tolist(),
                y=prices[mask].tolist(),
                orientation="h",
                name=name,
                marker_color=colour,
                opacity=0.7,
                hovertemplate="%{y:.2f} 元: %{x:.2f}%<extra></extra>",
            ),
            1,
            2,
        )
    day = x[day_index]
    fig.add_vline(x=day, line={"color": "#757575", "dash": "dash", "width": 1}, row=1, col=1)
    fig.add_hline(y=close, line={"color": "#757575", "dash": "dot", "width": 1}, row=1, col=2)
    fig.add_trace(
        go.Heatmap(
            x=x,
            y=["状态"],
            z=_state_strip(p["state_name"]),
            zmin=0,
            zmax=3,
            showscale=False,
            colorscale=[[i / 3, c] for i, c in enumerate(STATE_COLOURS.values())],
            name="状态 state",
            hovertemplate="%{x}: %{z}<extra>0=A 1=B 2=C 3=D</extra>",
        ),
        2,
        1,
    )
    up = (p["close"] >= p["open"]).to_list()
    fig.add_trace(
        go.Bar(
            x=x,
            y=p["volume"].to_list(),
            name="成交量 volume",
            marker_color=[UP if u else DOWN for u in up],
            showlegend=False,
        ),
        3,
        1,
    )
    fig.add_trace(
        go.Scatter(x=x, y=p["dt"].to_list(), name="ΔT", line={"color": "#ef6c00", "width": 1}), 4, 1
    )
    fig.add_trace(go.Scatter(x=x, y=p["k"].to_list(), name="K", line={"color": "#00897b", "width": 1}), 5, 1)
    fig.add_trace(
        go.Scatter(x=x, y=p["q_below"].to_list(), name="Q 价下 below", line={"color": UP, "width": 1}), 6, 1
    )
    fig.add_trace(
        go.Scatter(x=x, y=p["q_above"].to_list(), name="Q 价上 above", line={"color": DOWN, "width": 1}), 6, 1
    )
    first = x[max(0, len(x) - VISIBLE_BARS)]
    fig.update_xaxes(range=[first - dt.timedelta(days=2), x[-1] + dt.timedelta(days=2)], row=6, col=1)
    fig.update_xaxes(rangeslider_visible=False)
    fig.update_yaxes(range=[lo, hi], row=1, col=1)
    fig.update_xaxes(title_text="% 流通盘", row=1, col=2)
    fig.update_yaxes(showticklabels=False, row=2, col=1)
    fig.update_layout(bargap=0)
    _layout(fig, 1150)
    fig.update_layout(legend={"orientation": "h", "y": -0.03, "yanchor": "top", "x": 0}, margin={"b": 60})
    return fig


def equity_drawdown(dates: list[dt.date], equity: np.ndarray, title: str) -> go.Figure:
    """Equity and its drawdown from the running peak."""
    eq = pl.Series("equity", equity, dtype=pl.Float64)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3], vertical_spacing=0.04)
    fig.add_trace(go.Scatter(x=dates, y=eq.to_list(), name="权益 equity", line={"color": UP}), 1, 1)
    fig.add_trace(
        go.Scatter(
            x=dates, y=drawdown(eq).to_list(), name="回撤 drawdown", fill="tozeroy", line={"color": DOWN}
        ),
        2,
        1,
    )
    fig.update_yaxes(tickformat=".0%", row=2, col=1)
    return _layout(fig, 420, title)


def equity_vs_benchmark(
    dates: list[dt.date], returns: np.ndarray, benchmark: np.ndarray, title: str
) -> go.Figure:
    """Growth of 1 CNY in the strategy and in its benchmark (daily returns compounded), with the drawdown."""
    nav = np.cumprod(1.0 + np.nan_to_num(returns))
    bench = np.cumprod(1.0 + np.nan_to_num(benchmark))
    fig = equity_drawdown(dates, nav, title)
    fig.data[0].name = "策略净值 strategy"
    fig.add_trace(
        go.Scatter(x=dates, y=bench.tolist(), name="基准 benchmark", line={"color": "#616161"}), 1, 1
    )
    return fig
