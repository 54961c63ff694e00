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

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from thermoquant.physics.bars import BATCH_ROWS, BarArrays, bar_batches
from thermoquant.physics.chips import grid_metrics
from thermoquant.physics.chips_nb import METRIC_COLUMNS
from thermoquant.physics.params import GridSpec, param_matrix
from thermoquant.physics.quantities import ParamsArg, quantities_from_arrays
from thermoquant.physics.states import STATE_NAMES, State
from thermoquant.physics.thermo_nb import Q_COLUMNS, Q_KERNEL_COLUMNS, states_batch

#: Every column :func:`compute_physics` can return besides the keys (symbol, trade_date), in its order.
PHYSICS_OUTPUT_COLUMNS: tuple[str, ...] = (
    *Q_COLUMNS,
    *METRIC_COLUMNS,
    "state",
    "state_name",
    "buy_point",
    "stop",
    "migration",
)

#: The chip metrics the states read (:func:`states_from_arrays`).
STATE_INPUTS: tuple[str, ...] = ("q_below", "bottom_mass", "top_mass", "avg_cost")
#: The columns of the state pass: none of them asked for, it does not run.
STATE_OUTPUTS: tuple[str, ...] = ("state", "state_name", "buy_point", "stop", "migration")

__all__ = [
    "PHYSICS_OUTPUT_COLUMNS",
    "STATE_NAMES",
    "ParamsArg",
    "State",
    "compute_physics",
    "quantities_from_arrays",
    "states_from_arrays",
]


def states_from_arrays(
    bars: BarArrays,
    q: Mapping[str, np.ndarray],
    chips: Mapping[str, np.ndarray],
    params: ParamsArg = None,
    with_migration: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(state int8, buy_point, stop, migration) from the quantities (:func:`quantities_from_arrays`) and the chip
    metrics (STATE_INPUTS) by name; migration is empty when ``with_migration`` is False."""
    prm = param_matrix(bars.symbols, params)
    return states_batch(
        bars.offsets, q["t_i"], q["dt"], q["tau"], q["k"], q["vol_ratio"], chips["q_below"], chips["bottom_mass"],
        chips["top_mass"], chips["avg_cost"], prm, with_migration,
    )  # fmt: skip


def _wanted(columns: Sequence[str] | None) -> tuple[str, ...]:
    """The requested output columns in PHYSICS_OUTPUT_COLUMNS order (all for None); unknown names raise."""
    if columns is None:
        return PHYSICS_OUTPUT_COLUMNS
    unknown = sorted(set(columns) - set(PHYSICS_OUTPUT_COLUMNS) - {"symbol", "trade_date"})
    if unknown:
        raise ValueError(f"compute_physics: unknown columns {unknown}; known: {list(PHYSICS_OUTPUT_COLUMNS)}")
    return tuple(c for c in PHYSICS_OUTPUT_COLUMNS if c in set(columns))


def compute_physics(
    df: pl.DataFrame,
    params: ParamsArg = None,
    mode: str = "behavioral",
    grid: GridSpec | None = None,
    adjust: bool = True,
    columns: Sequence[str] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> pl.DataFrame:
    """Everything per stock-bar of the ``daily_quote`` frame ``df`` (see :mod:`.bars`): (symbol, date, Q_COLUMNS,
    chip METRIC_COLUMNS, state, state_name, buy_point, stop, migration), sorted by symbol then trade_date.
    ``params`` is a per-symbol mapping (e.g. from the ``param_pack`` table) or one ThermoParams for all; missing
    symbols use the defaults.  ``adjust``: prices forward-adjusted at each stock's last bar across ex-rights gaps
    (:func:`.bars.forward_adjust`), so price outputs before a gap are in the last bar's terms.  ``columns``: return
    only these (keys always; order as PHYSICS_OUTPUT_COLUMNS), e.g. a strategy's ``InputSpec.physics``: chip
    metrics neither asked for nor read by the states are not computed, the states not at all without any of
    STATE_OUTPUTS, and without any of SPAN_METRICS
    (quantiles, concentration, peaks) the chip model skips their per-bar passes.  ``batch_rows``: a frame already
    sorted by (symbol, trade_date) is computed in batches of whole stocks of about this many rows
    (:func:`.bars.bar_batches`), so the intermediate arrays are reused instead of allocated for the whole market.
    The values are the same bits whatever the columns and batches."""
    wanted = _wanted(columns)
    states = bool(set(wanted) & set(STATE_OUTPUTS))
    metrics = tuple(c for c in METRIC_COLUMNS if c in wanted or (states and c in STATE_INPUTS))
    stored = [c for c in wanted if c != "state_name"] + (["state"] if "state_name" in wanted else [])
    keys = df.select("symbol", "trade_date")
    # the quantities a run keeps are written by the kernels straight into whole-frame columns (sorted order); the
    # chip metrics and the states are computed per batch and copied into theirs
    out = {name: np.empty(df.height) for name in stored if name in Q_COLUMNS}
    bar_into = {field: out[name] for field, name in (("close", "t_f"), ("tau", "tau")) if name in out}
    for start, bars, source in bar_batches(df, adjust, batch_rows, bar_into):
        n = bars.close.shape[0]
        into = {name: out[name][start : start + n] for name in Q_KERNEL_COLUMNS if name in out}
        q = quantities_from_arrays(bars, params, into)
        chips = grid_metrics(bars, q["k"], mode, params, grid or GridSpec(), metrics) if metrics else {}
        part = dict(chips)
        if states:
            state, buy, stop, migration = states_from_arrays(bars, q, chips, params, "migration" in wanted)
            part |= {"state": state, "buy_point": buy, "stop": stop, "migration": migration}
        one = start == 0 and n == df.height  # one batch: its arrays are the columns
        # batches are slices of the sorted frame
        keys = bars.keys() if one else source.select("symbol", "trade_date")
        for name in (c for c in stored if c not in Q_COLUMNS):
            values = part[name]
            if one:
                out[name] = values
            else:
                out.setdefault(name, np.empty(df.height, dtype=values.dtype))[start : start + n] = values
    series = [
        pl.Series("state_name", STATE_NAMES).gather(pl.Series(out["state"].astype(np.uint32)))  # codes 0..3
        if name == "state_name"
        else pl.Series(name, out[name])
        for name in wanted
    ]
    return keys.with_columns(series)
