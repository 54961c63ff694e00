"""Numba kernel of the bar preparation in :func:`thermoquant.physics.bars.to_arrays`: forward adjustment (前复权)
at each stock's last bar and the typical traded price, in one pass per stock (stocks in parallel).

Bit for bit the arithmetic of :func:`thermoquant.physics.bars.forward_adjust` (factor steps close(t−1) /
pre_close(t) strictly inside ``(lo, hi)``, else 1; running product from 1 at each stock's first bar; ratio =
factor / last factor; prices × ratio, volume / ratio) and of :func:`thermoquant.physics.bars.reference_price`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True, error_model="numpy")
def adjust_batch(
    offsets: np.ndarray,
    o: np.ndarray,
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    pc: np.ndarray,
    vol: np.ndarray,
    step_lo: float,
    step_hi: float,
) -> None:
    """In place, rows of stock s in ``[offsets[s], offsets[s+1])``: scale o/h/lo/c/pc by the
    stock's forward-adjustment ratio and divide vol by it (a NaN ``pc`` or ratio outside (step_lo, step_hi): factor
    step 1). Amount (CNY) is unchanged by the adjustment, so it is not an input."""
    for s in prange(offsets.shape[0] - 1):
        a = offsets[s]
        e = offsets[s + 1]
        if e <= a:
            continue
        f = np.empty(e - a)
        acc = 1.0
        f[0] = acc
        for t in range(a + 1, e):
            raw = c[t - 1] / pc[t]
            step = raw if (raw > step_lo and raw < step_hi) else 1.0
            acc = acc * step
            f[t - a] = acc
        last = f[e - a - 1]
        for t in range(a, e):
            r = f[t - a] / last
            o[t] = o[t] * r
            h[t] = h[t] * r
            lo[t] = lo[t] * r
            c[t] = c[t] * r
            pc[t] = pc[t] * r
            vol[t] = vol[t] / r


@njit(cache=True, parallel=True, error_model="numpy")
def reference_batch(
    o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray, vol: np.ndarray, amt: np.ndarray
) -> np.ndarray:
    """Typical traded price per row (VWAP = amt / vol when it lies in [lo, h], else (o + h + lo + c) / 4, CNY);
    ``amt`` missing (not finite) is filled in place as that price × vol."""
    n = c.shape[0]
    ref = np.empty(n)
    for i in prange(n):
        vwap = amt[i] / vol[i]
        typical = (o[i] + h[i] + lo[i] + c[i]) / 4.0
        ok = np.isfinite(vwap) and vwap >= lo[i] and vwap <= h[i]
        ref[i] = vwap if ok else typical
        if not np.isfinite(amt[i]):
            amt[i] = ref[i] * vol[i]
    return ref
