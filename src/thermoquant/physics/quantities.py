"""The per-bar thermodynamic quantities (T_f, T_i, ΔT, return, turnover, K, volume ratio) of a bar batch.

One module below both the chip model (which needs K) and :mod:`.thermo` (which adds the states), so neither
imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from thermoquant.physics.bars import BarArrays
from thermoquant.physics.params import ThermoParams, param_matrix
from thermoquant.physics.thermo_nb import Q_COLUMNS, Q_KERNEL_COLUMNS, quantities_batch

ParamsArg = dict[str, ThermoParams] | ThermoParams | None


def quantities_from_arrays(
    bars: BarArrays, params: ParamsArg = None, into: Mapping[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Q_COLUMNS by name (one value per bar): T_f, T_i, ΔT, return, turnover, K, volume ratio.  T_f and the
    turnover are the bars' own ``close`` and ``tau`` arrays (not copies); the others come from one kernel pass,
    written into the arrays of ``into`` named by Q_KERNEL_COLUMNS (one value per bar; fresh arrays for the others)."""
    prm = param_matrix(bars.symbols, params)
    n = bars.close.shape[0]
    sinks = tuple((into or {}).get(name, None) for name in Q_KERNEL_COLUMNS)
    q = quantities_batch(
        bars.offsets, bars.high, bars.low, bars.close, bars.prev_close, bars.volume, bars.amount, bars.tau,
        bars.session, prm, tuple(np.empty(n) if a is None else a for a in sinks),
    )  # fmt: skip
    out = dict(zip(Q_KERNEL_COLUMNS, q, strict=True)) | {"t_f": bars.close, "tau": bars.tau}
    return {name: out[name] for name in Q_COLUMNS}
