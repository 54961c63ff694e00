"""What a factor group receives besides its inputs: convention, options, the wanted outputs and recursive state.

Recursive state
---------------
Recursive filters (EMA, Tongdaxin SMA, Wilder smoothing, running maxima) carry one value per stock. A full
computation starts cold (``state_in`` is ``None``) and records, under a key chosen by the group, the filter's value at
the last column (``state_out``). A one-day incremental update passes that record back as ``state_in`` with
``start = ncols - 1``: the filter continues from it at the new column, which is exact. Stocks whose recorded value is
NaN (not yet seeded: too young) start cold inside the tail window, which holds their whole history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

DEFAULT_OPTIONS: Mapping[str, Any] = {
    "ret_cap_pct": 50.0,
    "risk_free_annual_pct": 0.0,
    "annualization": 252,
    "kdj_seed": 50.0,
}
"""Engine-wide options (override with ``compute(..., options={...})``):

- ``ret_cap_pct``: outlier cap. Daily returns feeding the risk statistics (volatility, Sharpe, VaR, Beta, correlation,
  max single-day move, downside volatility) are clipped to ±this percent; the reported ``ret_1d``/``pct_chg`` are
  not. ``None`` disables the cap. Default 50 %: above any A-share daily limit except the first days of a listing.
- ``risk_free_annual_pct``: risk-free rate for the Sharpe ratio, percent per year (default 0).
- ``annualization``: trading days per year (252).
- ``kdj_seed``: previous K and D assumed before the first RSV in the Tongdaxin KDJ (50).
"""


@dataclass
class ComputeContext:
    """Per-call context handed to every factor group."""

    convention: str = "tdx"
    start: int = 0
    state_in: Mapping[str, np.ndarray] | None = None
    state_out: dict[str, np.ndarray] = field(default_factory=dict)
    wanted: frozenset[str] | None = None
    options: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_OPTIONS))

    def want(self, *names: str) -> bool:
        """True when any of ``names`` is requested (all are when ``wanted`` is ``None``)."""
        return self.wanted is None or any(n in self.wanted for n in names)

    def back(self, k: int) -> ComputeContext:
        """A view whose ``start`` is ``k`` columns earlier (for windows feeding other windows); shares the state."""
        return replace(self, start=max(0, self.start - k))

    def opt(self, key: str) -> Any:
        """An option value, falling back to :data:`DEFAULT_OPTIONS`."""
        return self.options.get(key, DEFAULT_OPTIONS.get(key))

    def init(self, key: str, nrows: int) -> np.ndarray:
        """The recorded state for ``key`` (one value per stock), or all-NaN (cold start)."""
        if self.state_in is not None and key in self.state_in:
            v = np.asarray(self.state_in[key], dtype=np.float64)
            if v.shape != (nrows,):
                raise ValueError(f"state {key!r} has shape {v.shape}, expected ({nrows},)")
            return v
        return np.full(nrows, np.nan)

    def put(self, key: str, state: np.ndarray) -> None:
        """Record a per-stock state vector (or rows × k matrix) computed by a fused kernel."""
        self.state_out[key] = state

    def init_matrix(self, key: str, nrows: int, k: int) -> np.ndarray:
        """Like :meth:`init` for a rows × k state matrix."""
        if self.state_in is not None and key in self.state_in:
            return np.ascontiguousarray(self.state_in[key], dtype=np.float64)
        return np.full((nrows, k), np.nan)

    def keep(self, key: str, y: np.ndarray) -> np.ndarray:
        """Record the last column of ``y`` as the state for ``key``; returns ``y`` unchanged."""
        self.state_out[key] = np.ascontiguousarray(y[:, -1]).copy()
        return y
