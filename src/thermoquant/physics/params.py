"""Named parameters of the physics engine, with documented defaults.

Every threshold of the chip model and of the thermodynamic state machine lives here, so that a per-stock
parameter pack (table ``param_pack``: JSON by symbol and date) can override any of them.  Units are stated
per field: fractions are plain ratios (0.015 = 1.5 %), windows are counted in *bars* (days on daily bars,
minutes on minute bars), turnover is a fraction of the float traded in one bar.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from numbers import Real
from typing import Any

import numpy as np

#: Chip-evolution modes understood by the grid kernels (eastmoney has its own window kernel).
GRID_MODES: dict[str, int] = {"behavioral": 0, "tdx": 1}
#: How T_i (the "iron temperature") is computed.
TI_MODES: dict[str, int] = {"vwap": 0, "ma": 1, "session_vwap": 2}


@dataclass(frozen=True, slots=True)
class GridSpec:
    """Log-spaced per-stock price grid shared by all stocks of one run.

    Bin ``i`` of a stock covers prices ``[exp(g0 + i*log_step), exp(g0 + (i+1)*log_step))``; ``g0`` is per stock.
    With the defaults (128 bins, log step 0.02 ≈ 2 % per bin) the grid spans e^2.56 ≈ 12.9×, so a 10× run fits.
    Re-binning rule: when a bar's [low, high] comes within ``margin_bins`` of an edge, the grid is shifted by a
    whole number of bins (exact: edges stay edges); chips pushed past the far edge are merged into the edge bin,
    so mass is conserved.  The first bar places its typical price at ``anchor`` (fraction of the grid from the
    bottom), leaving more room above than below.
    """

    n_bins: int = 128
    log_step: float = 0.02
    anchor: float = 0.35
    margin_bins: int = 2


#: Fields of :class:`ThermoParams` with a required range: (rule in words, test).  A burn weight of 0 could not give
#: up its share of the turnover once the other groups are burnt out (the stack would stop summing to the float);
#: panic_loss >= 1 puts the panic line at an infinite (or negative) cost, log(1 - panic_loss) is not finite; a
#: negative tdx_a would grow the old chips instead of burning them.
VALID_RANGES: dict[str, tuple[str, Callable[[float], bool]]] = {
    "profit_weight": ("a finite number > 0", lambda v: v > 0),
    "profit_weight_lock": ("a finite number > 0", lambda v: v > 0),
    "trapped_weight": ("a finite number > 0", lambda v: v > 0),
    "max_weight": ("a finite number > 0", lambda v: v > 0),
    "panic_loss": ("a number in (0, 1)", lambda v: 0 < v < 1),
    "tdx_a": ("a finite number >= 0", lambda v: v >= 0),
}


@dataclass(frozen=True, slots=True)
class ThermoParams:
    """Per-stock thresholds of the chip model and the A/B/C/D state machine (defaults chosen a priori)."""

    # --- T_i, K and volume ---
    ti_mode: str = (
        "vwap"  # "vwap": N-bar VWAP; "ma": N-bar mean close; "session_vwap": cumulative VWAP of the session
    )
    ti_window: int = 10  # bars in the T_i VWAP / MA
    k_window: int = 60  # bars of the stock's own history normalising K (past bars only, no look-ahead)
    k_cap: float = 50.0  # |K| is clipped to this (a one-price limit day has tiny turnover)
    vol_window: int = 20  # bars in the volume-ratio baseline (past bars only)
    # --- B ignition ---
    ignition_dt: float = 0.015  # ΔT must jump from <= this to > this (seed 000: "偏离 > 1.5%")
    ignition_k: float = 1.5  # K (normalised) at or above this: "热阻消失"
    vol_ratio_min: float = 1.2  # volume / mean past volume must be inside [min, max]: "适度放大，但未失控"
    vol_ratio_max: float = 4.0
    # --- C steady combustion ---
    slope_window: int = (
        5  # T_i rising = T_i[t] > T_i[t - slope_window]; new peaks above = avg cost rising likewise
    )
    pullback_band: float = 0.01  # buy point: |ΔT| <= band ...
    shrink_ratio: float = 0.8  # ... and volume ratio <= this ("回踩均价, 成交量萎缩")
    # --- D burnout and stop ---
    burnout_turnover: float = (
        0.25  # turnover (fraction of float per bar) at or above this burns the fuel at once
    )
    thin_fuel: float = (
        0.10  # Q (chips within q_band at and below price) under this with T_f < T_i = "全是虚火"
    )
    bottom_gone: float = 0.05  # seed 001 burnout: bottom-zone mass below this ...
    top_heavy: float = 0.30  # ... and top-zone mass at or above this ...
    k_dist: float = 0.5  # ... and K below this ("K 值恶化"); also the "K very low" line of the burn weights
    stop_bars: int = 3  # physical stop: T_f < T_i for more than this many consecutive bars (Δt)
    # --- chip metrics ---
    q_band: float = 0.10  # fuel Q: chip mass in [T_f*(1-q_band), T_f]; overhead in (T_f, T_f*(1+q_band)]
    zone_window: int = 120  # bars of the rolling low/high that anchor the bottom and top zones
    bottom_zone: float = 0.20  # bottom zone: prices <= rolling low * (1 + bottom_zone)
    top_zone: float = 0.10  # top zone: prices >= rolling high * (1 - top_zone)
    migration_window: int = 20  # migration = bottom mass lost over this many bars
    peak_halfwidth: int = 2  # a peak's mass is the chip mass within ± this many bins of its apex
    min_peak_mass: float = 0.05  # peaks lighter than this share of the float are ignored
    # --- behavioral burn weights (relative propensity to sell, per bin group) ---
    profit_weight: float = 2.0  # profit chips: high base weight (落袋为安)
    profit_weight_lock: float = 0.5  # profit chips when K >= k_lock (主力锁仓)
    k_lock: float = 2.0
    trapped_weight: float = 0.5  # trapped chips: low base weight (亏损厌恶)
    panic_loss: float = 0.20  # trapped chips losing more than this burn at max_weight (踩踏)
    max_weight: float = 8.0  # the "maximised" weight (distribution when K <= k_dist, panic)
    # --- tdx ---
    tdx_a: float = 1.0  # Tongdaxin historical-turnover coefficient A: decay (1 - A*turnover)

    def __post_init__(self) -> None:
        """Reject, naming the field, an unknown ``ti_mode`` and values under which the chip model cannot conserve
        the float (:data:`VALID_RANGES`)."""
        if self.ti_mode not in TI_MODES:
            raise ValueError(f"ThermoParams.ti_mode must be one of {sorted(TI_MODES)}, got {self.ti_mode!r}")
        for name, (rule, ok) in VALID_RANGES.items():
            value = getattr(self, name)
            if not (isinstance(value, Real) and math.isfinite(value) and ok(value)):
                raise ValueError(f"ThermoParams.{name} must be {rule}, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready) of every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ThermoParams:
        """Defaults overridden by the known keys of ``data`` (unknown keys raise, naming the key)."""
        if not data:
            return cls()
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown ThermoParams keys: {unknown}")
        return replace(cls(), **data)


#: Column order of the numeric parameter matrix handed to the kernels.
PARAM_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ThermoParams))
P = {name: i for i, name in enumerate(PARAM_COLUMNS)}


def _numeric(p: ThermoParams, name: str) -> float:
    value = getattr(p, name)
    return float(TI_MODES[value]) if name == "ti_mode" else float(value)  # ti_mode checked on construction


def param_matrix(
    symbols: list[str],
    params: dict[str, ThermoParams] | ThermoParams | None = None,
) -> np.ndarray:
    """(n_symbols, n_params) float64 matrix, one row per symbol; symbols absent from a dict get the defaults."""
    default = params if isinstance(params, ThermoParams) else ThermoParams()
    mapping = params if isinstance(params, dict) else {}
    out = np.empty((len(symbols), len(PARAM_COLUMNS)), dtype=np.float64)
    rows: dict[int, list[float]] = {}  # one row per distinct ThermoParams object, not per symbol
    for i, sym in enumerate(symbols):
        p = mapping.get(sym, default)
        row = rows.get(id(p))
        if row is None:
            row = rows[id(p)] = [_numeric(p, name) for name in PARAM_COLUMNS]
        out[i] = row
    return out
