"""Chip distribution (筹码分布): the ChipStack of one stock and whole-market frames of chip metrics.

Modes:
- ``behavioral`` (default, seed 001's differential extraction): each bar burns chips equal to its turnover, split
  over three bin groups by water-filling of relative weights: profit chips (cost < the bar's typical price) at
  ``profit_weight`` (``profit_weight_lock`` when K >= ``k_lock``, ``max_weight`` when K <= ``k_dist``), trapped chips at
  ``trapped_weight``, and chips losing more than ``panic_loss`` at ``max_weight``; the burnt mass re-enters as a
  triangle over the bar's [low, high] with its apex at the bar's typical price.  The stack sums to the float.
- ``tdx`` (Tongdaxin): every bin decays by ``1 - min(1, A*turnover)``; the same mass enters as above.
- ``eastmoney``: the CYQ algorithm of Eastmoney's chart (see :mod:`thermoquant.physics.chips_em_nb`).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from thermoquant.physics.bars import BarArrays, to_arrays
from thermoquant.physics.chips_em_nb import EM_COLUMNS, em_batch
from thermoquant.physics.chips_nb import (
    METRIC_COLUMNS,
    chip_step,
    chips_batch,
    fit_grid,
    grid_ratios,
    init_stack,
    metric_rows,
    run_stock,
    stack_metrics,
    work_size,
)
from thermoquant.physics.params import GRID_MODES, GridSpec, P, ThermoParams, param_matrix
from thermoquant.physics.quantities import quantities_from_arrays

#: Default Eastmoney window: the 210 bars AKShare requests, so the last day matches ``stock_cyq_em``.
EM_DEFAULT_WINDOW = 210


class ChipStack:
    """One stock's chip distribution on a log-spaced grid, updated bar by bar (daily or minute bars).

    Masses are shares of the float (they sum to 1 after the first bar); prices are CNY.
    """

    def __init__(
        self, mode: str = "behavioral", params: ThermoParams | None = None, grid: GridSpec | None = None
    ) -> None:
        if mode not in GRID_MODES:
            raise ValueError(f"ChipStack mode must be one of {sorted(GRID_MODES)}, got {mode!r}")
        self.mode = mode
        self.grid = grid or GridSpec()
        self.params = params or ThermoParams()
        self._prm = param_matrix(["_"], self.params)[0]
        self.stack = np.zeros(self.grid.n_bins)
        self._ratios = grid_ratios(self.grid.n_bins, self.grid.log_step)
        self.g0 = 0.0
        self.started = False

    @property
    def prices(self) -> np.ndarray:
        """Geometric mid price (CNY) of every bin."""
        g = self.grid
        return np.exp(self.g0 + (np.arange(g.n_bins) + 0.5) * g.log_step)

    @property
    def total(self) -> float:
        """Sum of the stack (1.0 = the whole float once started)."""
        return float(self.stack.sum())

    def update(
        self,
        high: float,
        low: float,
        turnover: float,
        ref: float | None = None,
        k: float = math.nan,
    ) -> None:
        """Apply one bar: ``turnover`` fraction of the float, traded over [low, high] around ``ref`` (CNY)."""
        if not (low > 0 and high >= low):
            raise ValueError(f"bad bar: low={low}, high={high}")
        ref = (high + low) / 2.0 if ref is None else min(max(ref, low), high)
        g = self.grid
        if not self.started:
            self.g0 = init_stack(self.stack, g.log_step, g.anchor, low, high, ref)
            self.g0 = fit_grid(self.stack, self.g0, g.log_step, low, high, g.margin_bins)
            self.started = True
            return
        self.g0 = chip_step(
            self.stack, self.g0, g.log_step, g.margin_bins, low, high, ref, turnover, k, self._prm,
            GRID_MODES[self.mode],
        )  # fmt: skip

    def metrics(self, price: float, zone_low: float | None = None, zone_high: float | None = None) -> dict:
        """METRIC_COLUMNS at ``price`` (zones default to ``price``)."""
        out = np.empty(len(METRIC_COLUMNS))
        zl = price if zone_low is None else zone_low
        zh = price if zone_high is None else zone_high
        stack_metrics(
            self.stack,
            self.g0,
            self.grid.log_step,
            price,
            zl,
            zh,
            self._prm,
            out,
            self._ratios,
        )
        return dict(zip(METRIC_COLUMNS, out.tolist(), strict=True))


def grid_metrics(
    bars: BarArrays,
    k: np.ndarray,
    mode: str,
    params: dict[str, ThermoParams] | ThermoParams | None,
    grid: GridSpec,
    names: tuple[str, ...] | None = None,
) -> dict[str, np.ndarray]:
    """The chip metrics ``names`` (None: all of METRIC_COLUMNS) of every bar, by name (:func:`chips_batch`;
    metrics not asked for are not computed or stored)."""
    prm = param_matrix(bars.symbols, params)
    rows, written = metric_rows(names)
    out = np.empty((len(written), bars.close.shape[0]))  # NumPy's allocation: see chips_batch
    chips_batch(
        bars.offsets, bars.low, bars.high, bars.close, bars.ref, bars.tau, k, prm, GRID_MODES[mode],
        grid.n_bins, grid.log_step, grid.anchor, grid.margin_bins, out, rows,
    )  # fmt: skip
    return dict(zip(written, out, strict=True))


def chip_distribution(
    df: pl.DataFrame,
    mode: str = "behavioral",
    params: dict[str, ThermoParams] | ThermoParams | None = None,
    grid: GridSpec | None = None,
    k: np.ndarray | None = None,
    window: int | None = EM_DEFAULT_WINDOW,
    adjust: bool = True,
) -> pl.DataFrame:
    """Chip metrics per stock-bar: (symbol, date, <metric columns>), sorted by symbol then date.

    ``mode`` ``behavioral``/``tdx`` return METRIC_COLUMNS; ``eastmoney`` returns EM_COLUMNS computed over the last
    ``window`` bars (None: all bars from each stock's first row, exactly as the JavaScript does on its input).
    ``k`` is the normalised conductivity per row (behavioral burn weights); without it K is computed by
    :func:`thermoquant.physics.thermo.compute_quantities`.  ``adjust``: forward-adjust ex-rights gaps
    (:func:`.bars.forward_adjust`).
    """
    bars = to_arrays(df, adjust)
    keys = bars.keys()
    if mode == "eastmoney":
        w = 0 if window is None else int(window)
        out = em_batch(bars.offsets, bars.open, bars.high, bars.low, bars.close, bars.tau * 100.0, w)
        return keys.with_columns(pl.Series(name, out[:, i]) for i, name in enumerate(EM_COLUMNS))
    if mode not in GRID_MODES:
        raise ValueError(f"mode must be 'eastmoney' or one of {sorted(GRID_MODES)}, got {mode!r}")
    if k is None:
        k = quantities_from_arrays(bars, params)["k"]
    out = grid_metrics(bars, np.ascontiguousarray(k, dtype=np.float64), mode, params, grid or GridSpec())
    return keys.with_columns(pl.Series(name, values) for name, values in out.items())


def chip_history(
    df: pl.DataFrame,
    mode: str = "behavioral",
    params: ThermoParams | None = None,
    grid: GridSpec | None = None,
    k: np.ndarray | None = None,
    adjust: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Every bar's stack of ONE stock: (stacks (n_bars, n_bins), g0 (n_bars,)); bin i of bar t is priced
    ``exp(g0[t] + (i + 0.5) * log_step)`` (forward-adjusted prices unless ``adjust`` is False)."""
    bars = to_arrays(df, adjust)
    if len(bars.symbols) != 1:
        raise ValueError(f"chip_history takes one stock, got {len(bars.symbols)}")
    grid = grid or GridSpec()
    prm = param_matrix(bars.symbols, params)
    if k is None:
        k = quantities_from_arrays(bars, params)["k"]
    n = bars.close.shape[0]
    stacks = np.zeros((n, grid.n_bins))
    g0s = np.zeros(n)
    metrics = np.empty((len(METRIC_COLUMNS), n))
    run_stock(
        0, n, bars.low, bars.high, bars.close, bars.ref, bars.tau, np.ascontiguousarray(k, dtype=np.float64),
        prm[0], GRID_MODES[mode], grid.n_bins, grid.log_step, grid.anchor, grid.margin_bins,
        grid_ratios(grid.n_bins, grid.log_step), metrics, True, stacks, g0s,
        np.empty(work_size(grid.n_bins, max(int(prm[0, P["peak_halfwidth"]]), 0))), metric_rows()[0],
    )  # fmt: skip
    return stacks, g0s
