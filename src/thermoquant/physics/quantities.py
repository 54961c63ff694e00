"""The per-bar thermodynamic quantities (T_f, T_i, ΔT, return, turnover, K, volume ratio) of a bar batch.

One module below both the chip model (which needs K) and :mod:`.thermo` (which adds the states), so neither
imports the other.
"""

from __future__ import annotations

import numpy as np

from thermoquant.physics.bars import BarArrays
from thermoquant.physics.params import ThermoParams, param_matrix
from thermoquant.physics.thermo_nb import Q_COLUMNS, quantities_batch

ParamsArg = dict[str, ThermoParams] | ThermoParams | None


def quantities_from_arrays(bars: BarArrays, params: ParamsArg = None) -> np.ndarray:
    """(len(Q_COLUMNS), n_rows) matrix of T_f, T_i, ΔT, return, turnover, K, volume ratio."""
    prm = param_matrix(bars.symbols, params)
    return quantities_batch(
        bars.offsets, bars.high, bars.low, bars.close, bars.prev_close, bars.volume, bars.amount, bars.tau,
        bars.session, prm, np.empty((len(Q_COLUMNS), bars.close.shape[0])),
    )  # fmt: skip
