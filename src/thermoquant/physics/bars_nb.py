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
def prepare_batch(
    offsets: np.ndarray,
    order: np.ndarray,
    o: np.ndarray,
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    pc: np.ndarray,
    vol: np.ndarray,
    amt: np.ndarray,
    tau: np.ndarray,
    adjust: bool,
    step_lo: float,
    step_hi: float,
    out: tuple,
    tau_pct: bool = False,
) -> None:
    """Fresh sorted copies of the bar columns, in one pass per stock (stocks in parallel): row t of the outputs is
    input row ``order[t]`` (``order`` empty: row t), forward-adjusted when ``adjust`` (factor steps close(t−1) /
    pre_close(t) strictly inside (``step_lo``, ``step_hi``), else 1 (a NaN ``pc`` too); prices × factor / last
    factor, volume divided by it; amount, in CNY, unchanged), with the typical traded price (VWAP = amt / vol when
    it lies in [lo, h], else (o + h + lo + c) / 4, CNY), a missing amount (not finite) filled as that price × vol,
    and the turnover with NaN as 0 and ±inf as ±the largest float (``np.nan_to_num``), divided by 100 first when
    ``tau_pct`` (``tau`` given in % of the float; as × 0.01, the bits of the frame path's ``turnover / 100``).
    ``out``: nine arrays of n_rows, o, h, lo, c, pc, vol, amt, tau, ref (separate NumPy allocations: see
    :func:`thermoquant.physics.chips_nb.chips_batch`; separate, so that the arrays a caller keeps do not keep the
    others alive)."""
    has_order = order.shape[0] > 0
    oo, ho, lo_o, co, pco, vo, ao, to, ref = out
    big = np.finfo(np.float64).max
    for s in prange(offsets.shape[0] - 1):
        a = offsets[s]
        e = offsets[s + 1]
        for t in range(a, e):
            j = order[t] if has_order else t
            oo[t], ho[t], lo_o[t], co[t], pco[t], vo[t], ao[t] = (
                o[j],
                h[j],
                lo[j],
                c[j],
                pc[j],
                vol[j],
                amt[j],
            )
            x = tau[j] * 0.01 if tau_pct else tau[j]  # Polars divides a column by 100 as × 0.01: same bits
            to[t] = 0.0 if x != x else (big if x == np.inf else (-big if x == -np.inf else x))
        if adjust and e > a:
            f = np.empty(e - a)
            acc = 1.0
            f[0] = acc
            for t in range(a + 1, e):
                raw = co[t - 1] / pco[t]
                step = raw if (raw > step_lo and raw < step_hi) else 1.0
                acc = acc * step
                f[t - a] = acc
            last = f[e - a - 1]
            for t in range(a, e):
                r = f[t - a] / last
                oo[t] = oo[t] * r
                ho[t] = ho[t] * r
                lo_o[t] = lo_o[t] * r
                co[t] = co[t] * r
                pco[t] = pco[t] * r
                vo[t] = vo[t] / r
        for t in range(a, e):
            ref[t] = _typical(oo[t], ho[t], lo_o[t], co[t], vo[t], ao[t])
            if not np.isfinite(ao[t]):
                ao[t] = ref[t] * vo[t]


@njit(cache=True, inline="always", error_model="numpy")
def _typical(o: float, h: float, lo: float, c: float, vol: float, amt: float) -> float:
    """Typical traded price (CNY): VWAP = amt / vol when it lies in [lo, h], else (o + h + lo + c) / 4."""
    vwap = amt / vol
    typical = (o + h + lo + c) / 4.0
    ok = np.isfinite(vwap) and vwap >= lo and vwap <= h
    return vwap if ok else typical
