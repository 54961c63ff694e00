"""Numba kernel of the technical score: one pass per stock over bars sorted by symbol then date.

Arrays in, arrays out; NaN = not yet defined (window not full). Conventions equal the Polars formulation they
replace (EMA with ``adjust=False`` seeded by the first value; rolling windows need every row of the window).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True, error_model="numpy")
def technical_kernel(
    offsets: np.ndarray,
    close_adj: np.ndarray,
    high_adj: np.ndarray,
    low_adj: np.ndarray,
    volume: np.ndarray,
    fast: int,
    slow: int,
    signal: int,
    cross_days: int,
    volume_days: int,
    platform_days: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(dif, dea, macd_score, volume_ratio, platform_high, platform_range) per row; stock ``s`` owns rows
    ``offsets[s]:offsets[s + 1]``."""
    n = close_adj.shape[0]
    dif = np.full(n, np.nan)
    dea = np.full(n, np.nan)
    macd = np.zeros(n, np.int32)
    vratio = np.full(n, np.nan)
    phigh = np.full(n, np.nan)
    prange_ = np.full(n, np.nan)
    af, as_, ag = 2.0 / (fast + 1), 2.0 / (slow + 1), 2.0 / (signal + 1)
    for s in prange(offsets.shape[0] - 1):
        a, b = offsets[s], offsets[s + 1]
        ef = es = eg = 0.0
        last_cross = -(10**9)
        prev_above = True
        for i in range(a, b):
            x = close_adj[i]
            if i == a:
                ef = es = x
            else:
                ef = af * x + (1 - af) * ef
                es = as_ * x + (1 - as_) * es
            d = ef - es
            eg = d if i == a else ag * d + (1 - ag) * eg
            dif[i] = d
            dea[i] = eg
            above = d > eg
            if above and not prev_above:
                last_cross = i
            prev_above = above
            k = i - a
            recent = k >= cross_days - 1 and i - last_cross < cross_days
            macd[i] = (1 if above else 0) + (1 if above and recent else 0)
            if k >= volume_days:
                tot = 0.0
                for j in range(i - volume_days, i):
                    tot += volume[j]
                vratio[i] = volume[i] / (tot / volume_days)
            if k >= platform_days:
                hi = -math.inf
                lo = math.inf
                for j in range(i - platform_days, i):
                    hi = max(hi, high_adj[j])
                    lo = min(lo, low_adj[j])
                phigh[i] = hi
                prange_[i] = hi / lo - 1.0
    return dif, dea, macd, vratio, phigh, prange_
