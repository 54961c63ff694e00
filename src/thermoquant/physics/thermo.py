"""Thermodynamic quantities (T_f, T_i, ΔT, K, Q) and the A/B/C/D states of seed 000, per stock-bar.

- T_f: the bar's close (CNY).  T_i: ``ti_window``-bar VWAP (amount / volume), or the mean close (``ti_mode="ma"``),
  or the session's cumulative VWAP (``"session_vwap"``, minute bars).  ΔT = T_f / T_i - 1.
- K (conductivity): (r / mean|r|) / (turnover / mean turnover), means over the stock's previous ``k_window`` bars,
  so 1 means "an ordinary move for an ordinary turnover" for that stock; clipped to ±``k_cap``.
- Q (fuel): chip mass in [T_f*(1-q_band), T_f]; ``q_above`` the overhead mass in (T_f, T_f*(1+q_band)].
- States (int 0..3): A cold storage, B ignition, C steady combustion, D burnout — rules in
  :func:`thermoquant.physics.thermo_nb.classify`, thresholds in :class:`ThermoParams`; plus ``buy_point`` and
  ``stop`` (T_f < T_i for more than ``stop_bars`` consecutive bars).
The same code runs on daily and minute bars (windows count bars).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from thermoquant.physics.bars import BarArrays, to_arrays
from thermoquant.physics.chips import _grid_metrics
from thermoquant.physics.chips_nb import METRIC_COLUMNS
from thermoquant.physics.params import GridSpec, param_matrix
from thermoquant.physics.quantities import ParamsArg, quantities_from_arrays
from thermoquant.physics.states import STATE_NAMES, State
from thermoquant.physics.thermo_nb import Q_COLUMNS, states_batch

__all__ = [
    "STATE_NAMES",
    "ParamsArg",
    "State",
    "compute_physics",
    "quantities_from_arrays",
    "states_from_arrays",
]


def states_from_arrays(
    bars: BarArrays, q: np.ndarray, chips: np.ndarray, params: ParamsArg = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(state int8, buy_point, stop, migration) from the quantity and chip-metric matrices."""
    prm = param_matrix(bars.symbols, params)
    col = {c: i for i, c in enumerate(METRIC_COLUMNS)}
    return states_batch(
        bars.offsets, q, chips[col["q_below"]], chips[col["bottom_mass"]], chips[col["top_mass"]],
        chips[col["avg_cost"]], prm,
    )  # fmt: skip


def compute_physics(
    df: pl.DataFrame,
    params: ParamsArg = None,
    mode: str = "behavioral",
    grid: GridSpec | None = None,
    adjust: bool = True,
) -> pl.DataFrame:
    """Everything per stock-bar of the ``daily_quote`` frame ``df`` (see :mod:`.bars`): (symbol, date, Q_COLUMNS,
    chip METRIC_COLUMNS, state, state_name, buy_point, stop, migration), sorted by symbol then trade_date.  ``params`` is a per-symbol mapping (e.g. from the
    ``param_pack`` table) or one ThermoParams for all; missing symbols use the defaults.  ``adjust``: prices
    forward-adjusted at each stock's last bar across ex-rights gaps (:func:`.bars.forward_adjust`), so price
    outputs before a gap are in the last bar's terms."""
    bars = to_arrays(df, adjust)
    q = quantities_from_arrays(bars, params)
    chips = _grid_metrics(bars, q[5], mode, params, grid or GridSpec())
    state, buy, stop, migration = states_from_arrays(bars, q, chips, params)
    keys = bars.keys()
    return keys.with_columns(
        *(pl.Series(name, q[i]) for i, name in enumerate(Q_COLUMNS)),
        *(pl.Series(name, chips[i]) for i, name in enumerate(METRIC_COLUMNS)),
        pl.Series("state", state),
        pl.Series("state_name", STATE_NAMES).gather(pl.Series(state.astype(np.uint32))),  # codes 0..3
        pl.Series("buy_point", buy),
        pl.Series("stop", stop),
        pl.Series("migration", migration),
    )
