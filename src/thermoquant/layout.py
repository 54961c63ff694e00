"""Array layouts shared by the layers: a stock-major matrix (n_stocks, n_days), one row per stock as the kernels
that walk each stock's history write it, turned day-major (n_days, n_stocks), one contiguous row per day for the
kernels that walk the days across all stocks (the thermo book, the backtest engine).  Reading a column of a
stock-major matrix costs a cache and TLB miss per stock on a whole market."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def day_major(a: np.ndarray, out: np.ndarray) -> None:
    """``out`` (T, n) = ``a`` (n, T) transposed, converted to ``out``'s dtype; blocks of 64 × 64 cells so that
    reads and writes both stay in cache, blocks of days in parallel."""
    n, T = a.shape
    blk = 64
    for tb in prange((T + blk - 1) // blk):
        t0 = tb * blk
        t1 = min(t0 + blk, T)
        for i0 in range(0, n, blk):
            for i in range(i0, min(i0 + blk, n)):
                for t in range(t0, t1):
                    out[t, i] = a[i, t]
