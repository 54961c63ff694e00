"""Fused numba kernels for the classic indicators (one pass per stock instead of a chain of array operations).

Same layout and conventions as :mod:`thermoquant.features.kernels`: (stocks × days) float64 panels, right-aligned
with leading NaN, serial and GIL-free (the engine parallelises over chunks of stocks); ``start`` is the first column needed; recursive kernels take per-row ``init``
state (NaN = cold start) and return their state at the last column. ``mode`` 0 = Tongdaxin, 1 = TA-Lib.
"""

from __future__ import annotations

import numpy as np
from numba import njit

TDX = 0
TALIB = 1


@njit(cache=True, inline="always")
def _first_valid(x: np.ndarray, i: int) -> int:
    for j in range(x.shape[1]):
        if x[i, j] == x[i, j]:
            return j
    return -1


@njit(cache=True, inline="always")
def _is_zero(v: float) -> bool:
    return -1e-8 < v < 1e-8


@njit(cache=True, inline="always")
def _track(h: np.ndarray, lo: np.ndarray, i: int, j: int, n: int, hi: int, li: int) -> tuple[int, int]:
    """Indices of the highest high and lowest low in the window (j−n, j], updated from the previous window's
    (TA-Lib's scheme: rescan only when the extreme leaves the window; amortised O(1) on price data)."""
    a = j - n + 1
    if hi < a:
        hi = a
        for t in range(a + 1, j + 1):
            if h[i, t] >= h[i, hi]:
                hi = t
    elif h[i, j] >= h[i, hi]:
        hi = j
    if li < a:
        li = a
        for t in range(a + 1, j + 1):
            if lo[i, t] <= lo[i, li]:
                li = t
    elif lo[i, j] <= lo[i, li]:
        li = j
    return hi, li


@njit(cache=True, inline="always")
def _bar_tr(h: np.ndarray, lo: np.ndarray, i: int, j: int, pc: float) -> float:
    """True range of bar j against the previous close pc: max(H−L, |H−pc|, |L−pc|)."""
    tr = h[i, j] - lo[i, j]
    b = abs(h[i, j] - pc)
    d = abs(lo[i, j] - pc)
    if b > tr:  # comparisons, not max(): a NaN gap leaves H−L as it is
        tr = b
    if d > tr:
        tr = d
    return tr


@njit(nogil=True, cache=True)
def true_range(h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> np.ndarray:
    """TR = max(H−L, |H−C₁|, |L−C₁|); NaN on a stock's first bar."""
    n, m = c.shape
    out = np.full((n, m), np.nan)
    for i in range(n):
        for j in range(1, m):
            pc = c[i, j - 1]
            if pc != pc:
                continue
            out[i, j] = _bar_tr(h, lo, i, j, pc)
    return out


@njit(nogil=True, cache=True)
def rsi(
    c: np.ndarray, n: int, mode: int, init_up: np.ndarray, init_dn: np.ndarray, start: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RSI. tdx: SMA(MAX(d,0),n,1)/SMA(|d|,n,1)·100, filters seeded with the first difference; talib: Wilder
    averages of gains and losses seeded with their mean over the first n differences, 100·up/(up+down).
    Zero denominator → 0. Returns (rsi, up state, down state)."""
    rows, m = c.shape
    out = np.full((rows, m), np.nan)
    su = np.full(rows, np.nan)
    sd = np.full(rows, np.nan)
    a = 1.0 / n
    for i in range(rows):
        up = init_up[i]
        dn = init_dn[i]
        if up == up and dn == dn:
            j1 = start
        else:
            f = _first_valid(c, i)
            if f < 0 or f + 1 >= m:
                continue
            if mode == TDX:
                d = c[i, f + 1] - c[i, f]
                up = d if d > 0 else 0.0
                dn = abs(d)
                out[i, f + 1] = up / dn * 100.0 if dn != 0.0 else 0.0
                j1 = f + 2
            else:
                if f + n >= m:
                    continue
                up = 0.0
                dn = 0.0
                for j in range(f + 1, f + n + 1):
                    d = c[i, j] - c[i, j - 1]
                    if d > 0:
                        up += d
                    else:
                        dn -= d
                up /= n
                dn /= n
                t = up + dn
                out[i, f + n] = 100.0 * up / t if not _is_zero(t) else 0.0
                j1 = f + n + 1
        for j in range(j1, m):
            d = c[i, j] - c[i, j - 1]
            g = d if d > 0 else 0.0
            if mode == TDX:
                up = a * g + (1.0 - a) * up
                dn = a * abs(d) + (1.0 - a) * dn
                out[i, j] = up / dn * 100.0 if dn != 0.0 else 0.0
            else:
                lo_ = -d if d < 0 else 0.0
                up = (up * (n - 1) + g) / n
                dn = (dn * (n - 1) + lo_) / n
                t = up + dn
                out[i, j] = 100.0 * up / t if not _is_zero(t) else 0.0
        su[i] = up
        sd[i] = dn
    return out, su, sd


@njit(nogil=True, cache=True)
def kdj(
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    n: int,
    m1: int,
    m2: int,
    mode: int,
    seed: float,
    init_k: np.ndarray,
    init_d: np.ndarray,
    start: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """K and D. RSV = (C − LLV(L,n)) / (HHV(H,n) − LLV(L,n))·100 (0 on a zero range).

    tdx: K = SMA(RSV,m1,1), D = SMA(K,m2,1), both seeded with ``seed`` (recursive, state = last K, D).
    talib: STOCH slow K = MA(RSV, m1), slow D = MA(slow K, m2) (windowed; columns from ``start − 1`` are filled so
    that day-over-day crosses see yesterday). Returns (K, D, K state, D state)."""
    rows, m = c.shape
    K = np.full((rows, m), np.nan)
    D = np.full((rows, m), np.nan)
    sk = np.full(rows, np.nan)
    sdd = np.full(rows, np.nan)
    for i in range(rows):
        f = _first_valid(c, i)
        if f < 0:
            continue
        r0 = f + n - 1  # first full RSV window
        if mode == TDX:
            k = init_k[i]
            d = init_d[i]
            if k == k and d == d:
                j1 = max(start, r0)
                if start >= 1:
                    K[i, start - 1] = k
                    D[i, start - 1] = d
            else:
                k = seed
                d = seed
                j1 = r0
            hi = -1
            li = -1
            for j in range(j1, m):
                hi, li = _track(h, lo, i, j, n, hi, li)
                hh = h[i, hi]
                ll = lo[i, li]
                rsv = (c[i, j] - ll) / (hh - ll) * 100.0 if hh != ll else 0.0
                k = (rsv + (m1 - 1) * k) / m1
                d = (k + (m2 - 1) * d) / m2
                K[i, j] = k
                D[i, j] = d
            if j1 < m:
                sk[i] = k
                sdd[i] = d
        else:
            j0 = max(r0, start - 1 - (m1 - 1) - (m2 - 1))
            if j0 >= m:
                continue
            buf = np.empty(m - j0)
            hi = -1
            li = -1
            for j in range(j0, m):
                hi, li = _track(h, lo, i, j, n, hi, li)
                hh = h[i, hi]
                ll = lo[i, li]
                buf[j - j0] = (c[i, j] - ll) / (hh - ll) * 100.0 if hh != ll else 0.0
            s = 0.0
            for j in range(j0, m):
                s += buf[j - j0]
                if j - m1 >= j0:
                    s -= buf[j - m1 - j0]
                if j - j0 >= m1 - 1:
                    K[i, j] = s / m1
            s = 0.0
            k0 = j0 + m1 - 1
            for j in range(k0, m):
                s += K[i, j]
                if j - m2 >= k0:
                    s -= K[i, j - m2]
                if j - k0 >= m2 - 1:
                    D[i, j] = s / m2
    return K, D, sk, sdd


@njit(nogil=True, cache=True)
def dmi(
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    n: int,
    m_adx: int,
    mode: int,
    init: np.ndarray,
    start: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """+DI, −DI, ADX. Returns (pdi, mdi, adx, state) with state rows (TR, +DM, −DM, ADX) for the talib mode.

    tdx: PDI = SUM(DM+,n)·100/SUM(TR,n), MDI likewise, ADX = MA(|MDI−PDI|/(MDI+PDI)·100, m_adx) (windowed).
    talib: TA-Lib's Wilder recursion in sum form: the first n−1 DM/TR are summed, then S = S − S/n + x; DI from bar
    n; ADX = mean of the first n DX, then (ADX·(n−1) + DX)/n, held where TR or DI+ + DI− is zero (TA-Lib rules).
    """
    rows, m = c.shape
    P = np.full((rows, m), np.nan)
    M = np.full((rows, m), np.nan)
    A = np.full((rows, m), np.nan)
    st = np.full((rows, 4), np.nan)
    for i in range(rows):
        f = _first_valid(c, i)
        if f < 0:
            continue
        if mode == TDX:
            j0 = max(f + 1, start - n - m_adx)
            if j0 >= m:
                continue
            trb = np.zeros(m)
            pb = np.zeros(m)
            mb = np.zeros(m)
            dxb = np.zeros(m)
            s_tr = 0.0
            s_p = 0.0
            s_m = 0.0
            s_dx = 0.0
            cdx = 0
            for cnt, j in enumerate(range(j0, m), 1):
                pc = c[i, j - 1]
                tr = _bar_tr(h, lo, i, j, pc)
                hd = h[i, j] - h[i, j - 1]
                ld = lo[i, j - 1] - lo[i, j]
                dp = hd if (hd > 0 and hd > ld) else 0.0
                dm = ld if (ld > 0 and ld > hd) else 0.0
                trb[j] = tr
                pb[j] = dp
                mb[j] = dm
                s_tr += tr
                s_p += dp
                s_m += dm
                if cnt > n:
                    s_tr -= trb[j - n]
                    s_p -= pb[j - n]
                    s_m -= mb[j - n]
                if cnt >= n:
                    pdi = s_p * 100.0 / s_tr if s_tr != 0.0 else 0.0
                    mdi = s_m * 100.0 / s_tr if s_tr != 0.0 else 0.0
                    P[i, j] = pdi
                    M[i, j] = mdi
                    sm = mdi + pdi
                    dx = abs(mdi - pdi) / sm * 100.0 if sm != 0.0 else 0.0
                    dxb[j] = dx
                    s_dx += dx
                    cdx += 1
                    if cdx > m_adx:
                        s_dx -= dxb[j - m_adx]
                    if cdx >= m_adx:
                        A[i, j] = s_dx / m_adx
        else:
            s_tr = init[i, 0]
            s_p = init[i, 1]
            s_m = init[i, 2]
            adx = init[i, 3]
            if s_tr == s_tr and adx == adx:
                j1 = start
                if start >= 1 and not _is_zero(s_tr):
                    P[i, start - 1] = 100.0 * s_p / s_tr
                    M[i, start - 1] = 100.0 * s_m / s_tr
                    A[i, start - 1] = adx
                seeded = 2 * n
            else:
                if f + 2 * n - 1 >= m:
                    # too short for ADX: still give DI where possible (cold path below handles it)
                    pass
                s_tr = 0.0
                s_p = 0.0
                s_m = 0.0
                adx = 0.0
                for j in range(f + 1, min(m, f + n)):
                    pc = c[i, j - 1]
                    tr = _bar_tr(h, lo, i, j, pc)
                    hd = h[i, j] - h[i, j - 1]
                    ld = lo[i, j - 1] - lo[i, j]
                    if ld > 0 and hd < ld:
                        s_m += ld
                    elif hd > 0 and hd > ld:
                        s_p += hd
                    s_tr += tr
                j1 = f + n
                seeded = 0
            sum_dx = 0.0
            for j in range(j1, m):
                pc = c[i, j - 1]
                tr = _bar_tr(h, lo, i, j, pc)
                hd = h[i, j] - h[i, j - 1]
                ld = lo[i, j - 1] - lo[i, j]
                dp = 0.0
                dm = 0.0
                if ld > 0 and hd < ld:
                    dm = ld
                elif hd > 0 and hd > ld:
                    dp = hd
                s_tr = s_tr - s_tr / n + tr
                s_p = s_p - s_p / n + dp
                s_m = s_m - s_m / n + dm
                pdi = 0.0
                mdi = 0.0
                dx = np.nan
                if not _is_zero(s_tr):
                    pdi = 100.0 * s_p / s_tr
                    mdi = 100.0 * s_m / s_tr
                    t = pdi + mdi
                    dx = 100.0 * abs(mdi - pdi) / t if not _is_zero(t) else np.nan
                P[i, j] = pdi
                M[i, j] = mdi
                if seeded < n:
                    if dx == dx:
                        sum_dx += dx
                    seeded += 1
                    if seeded == n:
                        adx = sum_dx / n
                        A[i, j] = adx
                        seeded = 2 * n
                else:
                    if dx == dx:
                        adx = (adx * (n - 1) + dx) / n
                    A[i, j] = adx
            st[i, 0] = s_tr
            st[i, 1] = s_p
            st[i, 2] = s_m
            st[i, 3] = adx if seeded == 2 * n else np.nan
    return P, M, A, st


@njit(nogil=True, cache=True)
def willr(h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int, scale: float, start: int) -> np.ndarray:
    """scale·(HHV(H,n) − C)/(HHV − LLV); 0 on a zero range. tdx scale 100, TA-Lib −100."""
    rows, m = c.shape
    out = np.full((rows, m), np.nan)
    for i in range(rows):
        f = _first_valid(c, i)
        if f < 0:
            continue
        hi = -1
        li = -1
        for j in range(max(f + n - 1, start), m):
            hi, li = _track(h, lo, i, j, n, hi, li)
            hh = h[i, hi]
            ll = lo[i, li]
            out[i, j] = scale * (hh - c[i, j]) / (hh - ll) if hh != ll else 0.0
    return out


@njit(nogil=True, cache=True)
def cci(h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int, start: int) -> np.ndarray:
    """(TP − MA(TP,n)) / (0.015·AVEDEV(TP,n)), TP = (H+L+C)/3; 0 where either is zero (TA-Lib rule)."""
    rows, m = c.shape
    out = np.full((rows, m), np.nan)
    for i in range(rows):
        f = _first_valid(c, i)
        if f < 0:
            continue
        j0 = max(f + n - 1, start)
        if j0 >= m:
            continue
        tp = np.empty(m - j0 + n - 1)
        base = j0 - n + 1
        s = 0.0
        for j in range(base, m):
            v = (h[i, j] + lo[i, j] + c[i, j]) / 3.0
            tp[j - base] = v
            s += v
            if j < j0:
                continue
            mu = s / n
            md = 0.0
            for t in range(j - n + 1 - base, j + 1 - base):
                md += abs(tp[t] - mu)
            md /= n
            dev = v - mu
            out[i, j] = dev / (0.015 * md) if (dev != 0.0 and md != 0.0) else 0.0
            s -= tp[j - n + 1 - base]
    return out
