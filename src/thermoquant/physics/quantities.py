"""The per-bar thermodynamic quantities (T_f, T_i, ΔT, return, turnover, K, volume ratio) of a bar batch.

One module below both the chip model (which needs K) and :mod:`.thermo` (which adds the states), so neither
imports the other.
"""

from __future__ import annotations

import numpy as np

from thermoquant.physics.bars import BarArrays
from thermoquant.physics.params import ThermoParams, param_matrix
from thermoquant.physics.thermo_nb import Q_COLUMNS, Q_KERNEL_COLUMNS, quantities_batch

ParamsArg = dict[str, ThermoParams] | ThermoParams | None


def quantities_from_arrays(bars: BarArrays, params: ParamsArg = None) -> dict[str, np.ndarray]:
    """Q_COLUMNS by name (one value per bar): T_f, T_i, ΔT, return, turnover, K, volume ratio.  T_f and the
    turnover are the bars' own ``close`` and ``tau`` arrays (not copies); the others come from one kernel pass."""
    prm = param_matrix(bars.symbols, params)
    q = quantities_batch(
        bars.offsets, bars.high, bars.low, bars.close, bars.prev_close, bars.volume, bars.amount, bars.tau,
        bars.session, prm, np.empty((len(Q_KERNEL_COLUMNS), bars.close.shape[0])),
    )  # fmt: skip
    out = dict(zip(Q_KERNEL_COLUMNS, q, strict=True)) | {"t_f": bars.close, "tau": bars.tau}
    return {name: out[name] for name in Q_COLUMNS}
