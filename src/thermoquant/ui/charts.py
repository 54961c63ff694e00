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
        # the legend below the plot, clear of the title and the toolbar
        legend={"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0},
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


def _arr(values: pl.Series, digits: int = 4) -> np.ndarray:
    """A column as a NumPy array rounded to ``digits`` decimals: plotly validates arrays at C speed, and shorter
    numbers make a smaller page (2,500 bars × 13 traces)."""
    out = values.cast(pl.Float64).to_numpy()
    return np.round(out, digits)


#: The stock figure's panels below the K-line: (title, height share); the K-line row takes the rest.
STOCK_ROWS: tuple[tuple[str, float], ...] = (
    ("", 0.04),  # the state band
    ("成交量 volume", 0.13),
    ("温差 ΔT = T_f/T_i − 1", 0.13),
    ("导热系数 K", 0.13),
    ("燃料 Q（价下/价上筹码，占流通盘）", 0.13),
)
KLINE_WIDTH = 0.82
"""Share of the width for the K-line; the chip panel takes the rest (less a small gap)."""


def _row_domains(gap: float = 0.025) -> list[tuple[float, float]]:
    """Vertical domains of the K-line row then :data:`STOCK_ROWS`, top to bottom."""
    shares = [1.0 - sum(h for _, h in STOCK_ROWS)] + [h for _, h in STOCK_ROWS]
    usable = 1.0 - gap * (len(shares) - 1)
    out, top = [], 1.0
    for share in shares:
        bottom = top - share * usable
        out.append((max(bottom, 0.0), top))
        top = bottom - gap
    return out


def stock_figure(view: StockView, day_index: int, signals: pl.DataFrame | None = None) -> go.Figure:
    """K-line (red up, green down) with T_i, average cost, buy points and stops, stored BUY/SELL signals; the chip
    distribution of bar ``day_index`` beside it on the same price axis; state band, volume, ΔT, K and Q below.

    Built from plain dicts with explicit axes (x/y: K-line, x2/y2: chips sharing y, x3…x7/y3…y7: the panels of
    :data:`STOCK_ROWS`, every x matching the K-line's) and NumPy arrays: plotly's per-property validation of
    ``make_subplots``/``add_trace`` would cost more than reading and computing the stock."""
    p = view.physics
    x = p["trade_date"].to_numpy()
    dates = p["trade_date"]
    data: list[dict[str, object]] = [
        {"type": "candlestick", "x": x, "open": _arr(p["open"]), "high": _arr(p["high"]), "low": _arr(p["low"]),
         "close": _arr(p["close"]), "name": "K 线", "increasing": {"line": {"color": UP}, "fillcolor": UP},
         "decreasing": {"line": {"color": DOWN}, "fillcolor": DOWN}},
        {"type": "scatter", "x": x, "y": _arr(p["t_i"]), "name": "T_i", "line": {"color": "#6a1b9a", "width": 1.2}},
        {"type": "scatter", "x": x, "y": _arr(p["avg_cost"]), "name": "平均成本 avg cost",
         "line": {"dash": "dot", "width": 1}},
    ]  # fmt: skip
    buys, stops = p.filter(pl.col("buy_point")), p.filter(pl.col("stop"))
    for rows, name, col, factor, symbol, colour in (
        (buys, "买点 buy point", "low", 0.98, "triangle-up", UP),
        (stops, "止损 stop", "high", 1.02, "triangle-down", DOWN),
    ):
        data.append(
            {"type": "scatter", "x": rows["trade_date"].to_numpy(), "y": _arr(rows[col] * factor), "mode": "markers",
             "name": name, "marker": {"symbol": symbol, "size": 9, "color": colour}}
        )  # fmt: skip
    if signals is not None and signals.height:
        marks = signals.filter(pl.col("signal").is_in(["BUY", "SELL"])).with_columns(
            pl.col("signal_time").dt.date().alias("trade_date")
        )
        marks = marks.join(p.select("trade_date", "close"), on="trade_date", how="inner")
        if marks.height:
            data.append(
                {"type": "scatter", "x": marks["trade_date"].to_numpy(), "y": _arr(marks["close"]),
                 "mode": "markers+text", "text": marks["signal"].to_list(), "textposition": "top center",
                 "name": "信号 signals",
                 "marker": {"symbol": "star", "size": 12, "color": "#fdd835", "line": {"width": 1, "color": "#000"}}}
            )  # fmt: skip
    # chips of the chosen day, on the K-line's price axis
    stack, prices = view.stacks[day_index], view.chip_prices(day_index)
    close = float(p["close"][day_index])
    keep = (prices >= float(p["low"].min()) * 0.9) & (prices <= float(p["high"].max()) * 1.1) & (stack > 0)
    for mask, name, colour in ((keep & (prices <= close), "获利筹码 in profit", UP),
                               (keep & (prices > close), "套牢筹码 trapped", DOWN)):  # fmt: skip
        data.append(
            {"type": "bar", "orientation": "h", "x": np.round(stack[mask] * 100, 3), "y": np.round(prices[mask], 3),
             "name": name, "marker": {"color": colour}, "opacity": 0.7, "xaxis": "x2", "yaxis": "y2",
             "hovertemplate": "%{y:.2f} 元: %{x:.2f}%<extra></extra>"}
        )  # fmt: skip
    up = (p["close"] >= p["open"]).to_numpy()
    panels: list[list[dict[str, object]]] = [
        [{"type": "heatmap", "x": x, "y": ["状态"], "z": [p["state"].cast(pl.Int8).to_numpy()], "zmin": 0, "zmax": 3,
          "showscale": False, "colorscale": [[i / 3, c] for i, c in enumerate(STATE_COLOURS.values())],
          "name": "状态 state", "hovertemplate": "%{x}: %{z}<extra>0=A 1=B 2=C 3=D</extra>"}],
        [{"type": "bar", "x": x, "y": _arr(p["volume"], 0), "name": "成交量 volume",
          "marker": {"color": np.where(up, UP, DOWN)}, "showlegend": False}],
        [{"type": "scatter", "x": x, "y": _arr(p["dt"]), "name": "ΔT", "line": {"color": "#ef6c00", "width": 1}}],
        [{"type": "scatter", "x": x, "y": _arr(p["k"]), "name": "K", "line": {"color": "#00897b", "width": 1}}],
        [{"type": "scatter", "x": x, "y": _arr(p["q_below"]), "name": "Q 价下 below", "line": {"color": UP, "width": 1}},
         {"type": "scatter", "x": x, "y": _arr(p["q_above"]), "name": "Q 价上 above",
          "line": {"color": DOWN, "width": 1}}],
    ]  # fmt: skip
    for i, traces in enumerate(panels, start=3):
        for t in traces:
            data.append({**t, "xaxis": f"x{i}", "yaxis": f"y{i}"})

    start = min(max(0, len(x) - VISIBLE_BARS), day_index)
    shown = p.slice(start)
    domains = _row_domains()
    last = len(domains) + 1  # the bottom panel's axis number
    window = [dates[start] - dt.timedelta(days=2), dates[-1] + dt.timedelta(days=2)]
    layout: dict[str, object] = {
        "xaxis": {"domain": [0, KLINE_WIDTH], "anchor": "y", "matches": f"x{last}", "showticklabels": False,
                  "rangeslider": {"visible": False}},
        "yaxis": {"domain": list(domains[0]), "anchor": "x",
                  "range": [float(shown["low"].min()) * 0.97, float(shown["high"].max()) * 1.03]},
        "xaxis2": {"domain": [KLINE_WIDTH + 0.01, 1.0], "anchor": "y2", "title": {"text": "% 流通盘"}},
        "yaxis2": {"domain": list(domains[0]), "anchor": "x2", "matches": "y", "showticklabels": False},
        "bargap": 0,
        "shapes": [
            {"type": "line", "xref": "x", "yref": "y domain", "x0": dates[day_index], "x1": dates[day_index],
             "y0": 0, "y1": 1, "line": {"color": "#757575", "dash": "dash", "width": 1}},
            {"type": "line", "xref": "x2 domain", "yref": "y2", "x0": 0, "x1": 1, "y0": close, "y1": close,
             "line": {"color": "#757575", "dash": "dot", "width": 1}},
        ],
        "annotations": [
            _title("K 线 / T_i / 平均成本 (前复权)", KLINE_WIDTH / 2, domains[0][1]),
            _title("筹码分布 chips", (KLINE_WIDTH + 1) / 2, domains[0][1]),
        ],
    }  # fmt: skip
    spans = {4: ["volume"], 5: ["dt"], 6: ["k"], 7: ["q_below", "q_above"]}
    for i, ((title, _), domain) in enumerate(zip(STOCK_ROWS, domains[1:], strict=True), start=3):
        axis = {"domain": [0, KLINE_WIDTH], "anchor": f"y{i}", "showticklabels": i == last}
        if i == last:
            axis["range"] = window
        else:
            axis["matches"] = f"x{last}"
        layout[f"xaxis{i}"] = axis
        yaxis: dict[str, object] = {"domain": list(domain), "anchor": f"x{i}"}
        if i in spans:
            yaxis["range"] = _span(shown, spans[i], zero=i in (4, 7))
        else:
            yaxis["showticklabels"] = False
        layout[f"yaxis{i}"] = yaxis
        if title:
            layout["annotations"].append(_title(title, KLINE_WIDTH / 2, domain[1]))  # type: ignore[attr-defined]
    fig = go.Figure(data=data, layout=layout, _validate=False)  # the dicts above are plotly's own schema
    _layout(fig, 1150)
    fig.update_layout(legend={"orientation": "h", "y": -0.03, "yanchor": "top", "x": 0}, margin={"b": 60})
    return fig


def _title(text: str, x: float, top: float) -> dict[str, object]:
    """A panel title centred at ``x`` just above the panel whose top is ``top`` (paper coordinates)."""
    return {"text": text, "x": x, "y": top, "xref": "paper", "yref": "paper", "xanchor": "center",
            "yanchor": "bottom", "showarrow": False, "font": {"size": 13}}  # fmt: skip


def _span(frame: pl.DataFrame, cols: list[str], *, zero: bool) -> list[float]:
    """[min, max] of ``cols`` over ``frame`` with a 5 % margin (from 0 when ``zero``)."""
    values = pl.concat([frame[c].cast(pl.Float64) for c in cols]).drop_nulls().drop_nans()
    if values.is_empty():
        return [0.0, 1.0]
    lo, hi = (0.0 if zero else float(values.min())), float(values.max())
    pad = (hi - lo) * 0.05 or 1.0
    return [lo if zero else lo - pad, hi + pad]


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


SLEEVE_COLOURS = {"core": "#1e88e5", "satellite": "#ff9800"}


def sleeves(book: pl.DataFrame, title: str) -> go.Figure:
    """Equity of each sleeve stacked (they sum to the account's equity), from ``backtest_sleeve`` rows."""
    fig = go.Figure()
    for name, rows in book.group_by("sleeve", maintain_order=True):
        sleeve = str(name[0])
        label = {"core": "核心 core", "satellite": "卫星 satellite"}.get(sleeve, sleeve)
        fig.add_trace(
            go.Scatter(x=rows["trade_date"].to_list(), y=rows["equity"].to_numpy(), name=label, stackgroup="equity",
                       line={"color": SLEEVE_COLOURS.get(sleeve)})
        )  # fmt: skip
    return _layout(fig, 380, title)


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
