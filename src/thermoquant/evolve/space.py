"""The calibrated parameters of the thermo strategy: names, defaults, bounds and nightly step sizes.

A pack is a mapping ``name -> value`` over :data:`SPACE` (names of
:class:`thermoquant.strategies.thermo_params.ThermoStrategyParams`, so the strategy reads a ``param_pack`` row as
is). Inside the evolution a pack is a float64 vector in :data:`NAMES` order (the kernels' layout). Every value is
kept inside its bounds ("bounded ranges"); integers are rounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from thermoquant.strategies.thermo_params import ThermoStrategyParams


@dataclass(frozen=True)
class Dim:
    """One calibrated parameter: ``name`` (a ThermoStrategyParams field), bounds [lo, hi], nightly ``step``,
    whether it is an integer, and its unit."""

    name: str
    lo: float
    hi: float
    step: float
    integer: bool = False
    unit: str = "fraction"


#: The calibrated dimensions. ΔT, band and drawdown are fractions (0.015 = 1.5 %); K and the volume ratio are
#: dimensionless; stop_days counts trading days; min_fuel is a share of the float (chips just below the price).
SPACE: tuple[Dim, ...] = (
    Dim("ignition_dt", 0.005, 0.05, 0.0025),
    Dim("ignition_k", 0.5, 4.0, 0.25, unit="K"),
    Dim("pullback_band", 0.0025, 0.03, 0.0025),
    Dim("shrink_ratio", 0.4, 1.2, 0.05, unit="ratio"),
    Dim("stop_days", 1, 8, 1, integer=True, unit="days"),
    Dim("steady_drawdown", 0.04, 0.25, 0.01),
    Dim("min_fuel", 0.0, 0.3, 0.02, unit="float share"),
)
NAMES: tuple[str, ...] = tuple(d.name for d in SPACE)
IDX: dict[str, int] = {n: i for i, n in enumerate(NAMES)}
LO = np.array([d.lo for d in SPACE])
HI = np.array([d.hi for d in SPACE])
STEP = np.array([d.step for d in SPACE])
INTEGER = np.array([d.integer for d in SPACE])


def default_vector(params: ThermoStrategyParams | None = None) -> np.ndarray:
    """The strategy's defaults (or ``params``) as a pack vector, clipped to the bounds."""
    p = params or ThermoStrategyParams()
    return clip(np.array([float(getattr(p, n)) for n in NAMES]))


def clip(vec: np.ndarray) -> np.ndarray:
    """Bounded and integer-rounded copy of one vector or a (n, len(NAMES)) matrix."""
    out = np.clip(np.asarray(vec, dtype=np.float64), LO, HI)
    return np.where(INTEGER, np.round(out), out)


def to_pack(vec: np.ndarray) -> dict[str, float | int]:
    """JSON-ready mapping of a pack vector (integers as int, floats rounded to 10 significant digits)."""
    return {
        n: (int(np.rint(v)) if d.integer else float(f"{v:.10g}"))
        for n, d, v in zip(NAMES, SPACE, vec, strict=True)
    }


def from_pack(data: Mapping[str, object], base: np.ndarray) -> np.ndarray:
    """``base`` with the known keys of ``data`` replaced (unknown keys ignored: a pack may carry other names)."""
    out = base.copy()
    for name, value in data.items():
        if name in IDX and isinstance(value, int | float):
            out[IDX[name]] = float(value)
    return clip(out)


def grid(points: int) -> np.ndarray:
    """Full factorial grid with ``points`` values per dimension (integers deduplicated), shape (n, len(NAMES))."""
    axes = []
    for d in SPACE:
        ax = np.linspace(d.lo, d.hi, points)
        axes.append(np.unique(np.round(ax)) if d.integer else ax)
    mesh = np.meshgrid(*axes, indexing="ij")
    return clip(np.stack([m.ravel() for m in mesh], axis=1))


def random(n: int, seed: int) -> np.ndarray:
    """``n`` uniform draws inside the bounds from ``np.random.default_rng(seed)``, shape (n, len(NAMES))."""
    rng = np.random.default_rng(seed)
    return clip(LO + rng.random((n, len(SPACE))) * (HI - LO))
