"""Self-contained HTML report of one stock: K-line, chip heat-map, ΔT / K / Q and the state band (plotly)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from thermoquant.physics.bars import forward_adjust
from thermoquant.physics.chips import chip_history
from thermoquant.physics.params import GridSpec, ThermoParams
from thermoquant.physics.thermo import compute_physics

STATE_COLOURS = ("#9e9e9e", "#ff9800", "#e53935", "#1e88e5")  # A grey, B orange, C red (hot), D blue (ash)
UP, DOWN = "#e53935", "#2e7d32"  # A-share convention: red up, green down


def _heatmap(stacks: np.ndarray, g0: np.ndarray, grid: GridSpec) -> tuple[np.ndarray, np.ndarray]:
    """Stacks on a common log price axis: (prices (n_rows,), z (n_rows, n_bars)) with NaN off-grid."""
    offs = np.rint((g0 - g0.min()) / grid.log_step).astype(int)
    rows = grid.n_bins + int(offs.max())
    z = np.full((rows, stacks.shape[0]), np.nan)
    for t in range(stacks.shape[0]):
        z[offs[t] : offs[t] + grid.n_bins, t] = stacks[t]
    prices = np.exp(g0.min() + (np.arange(rows) + 0.5) * grid.log_step)
    return prices, z


def build_report(
    bars: pl.DataFrame,
    start: object | None = None,
    end: object | None = None,
    params: ThermoParams | None = None,
    mode: str = "behavioral",
    grid: GridSpec | None = None,
) -> go.Figure:
    """The figure for one stock's traded ``daily_quote`` bars; ``bars`` may start earlier than ``start`` (warm-up
    of the chips and windows)."""
    grid = grid or GridSpec()
    bars = forward_adjust(bars.sort("symbol", "trade_date"))  # once: the prices physics and the candles use
    phys = compute_physics(bars, params, mode=mode, grid=grid, adjust=False)
    stacks, g0 = chip_history(bars, mode=mode, params=params, grid=grid, k=phys["k"].to_numpy(), adjust=False)
    keep = np.ones(phys.height, dtype=bool)
    dates = phys["trade_date"]
    if start is not None:
        keep &= (dates >= start).to_numpy()
    if end is not None:
        keep &= (dates <= end).to_numpy()
    if not keep.any():
        raise ValueError(f"no bars between {start} and {end}")
    phys = phys.filter(pl.Series(keep))
    b = bars.filter(pl.Series(keep))
    prices, z = _heatmap(stacks[keep], g0[keep], grid)
    lo, hi = float(b["low"].min()) / 1.15, float(b["high"].max()) * 1.15
    rows = (prices >= lo) & (prices <= hi)
    x = phys["trade_date"].to_list()
    sym = phys["symbol"][0]
    fig = make_subplots(
        rows=5, cols=1, shared_xaxes=True, vertical_spacing=0.02, row_heights=[0.32, 0.28, 0.14, 0.14, 0.05],
        subplot_titles=(f"{sym} K 线 / T_i / 平均成本", "筹码分布 chip distribution (share of float)",
                        "ΔT 与 K", "燃料 Q / 底部 / 顶部 (share of float)", "状态 state A/B/C/D"),
    )  # fmt: skip
    fig.add_trace(
        go.Candlestick(x=x, open=b["open"], high=b["high"], low=b["low"], close=b["close"], name="K",
                       increasing_line_color=UP, decreasing_line_color=DOWN),
        row=1, col=1,
    )  # fmt: skip
    fig.add_trace(go.Scatter(x=x, y=phys["t_i"], name="T_i (VWAP)", line={"color": "#6a1b9a"}), row=1, col=1)
    fig.add_trace(
        go.Scatter(x=x, y=phys["avg_cost"], name="平均成本 avg cost", line={"dash": "dot"}), row=1, col=1
    )
    for name, colour in (("B", STATE_COLOURS[1]), ("D", STATE_COLOURS[3])):
        hit = phys.filter(pl.col("state_name") == name)
        fig.add_trace(
            go.Scatter(x=hit["trade_date"], y=hit["t_f"], mode="markers", name=f"state {name}",
                       marker={"color": colour, "size": 7, "symbol": "triangle-up" if name == "B" else "x"}),
            row=1, col=1,
        )  # fmt: skip
    fig.add_trace(
        go.Heatmap(x=x, y=prices[rows], z=z[rows], colorscale="Hot", reversescale=True, showscale=False,
                   name="chips"),
        row=2, col=1,
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=x, y=phys["t_f"], name="T_f", line={"color": "#00bcd4", "width": 1}), row=2, col=1
    )
    fig.add_trace(go.Scatter(x=x, y=phys["dt"], name="ΔT"), row=3, col=1)
    fig.add_trace(go.Scatter(x=x, y=phys["k"].clip(-10, 10) / 100, name="K/100 (clipped ±10)"), row=3, col=1)
    for col in ("q_below", "q_above", "bottom_mass", "top_mass"):
        fig.add_trace(go.Scatter(x=x, y=phys[col], name=col), row=4, col=1)
    fig.add_trace(
        go.Heatmap(x=x, y=["state"], z=[phys["state"].to_list()], zmin=0, zmax=3, showscale=False,
                   colorscale=[[i / 3, c] for i, c in enumerate(STATE_COLOURS)], name="state"),
        row=5, col=1,
    )  # fmt: skip
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(type="log", row=2, col=1)
    fig.update_layout(
        height=1400, xaxis_rangeslider_visible=False, title=f"thermoquant physics — {sym} ({mode})"
    )
    return fig


def write_report(fig: go.Figure, out: str | Path) -> Path:
    """Write a self-contained HTML page (plotly.js inlined, no network needed to open it)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(out, include_plotlyjs=True, full_html=True)
    return out
