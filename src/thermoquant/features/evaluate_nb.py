"""Numba kernels of factor evaluation: plain (dates × stocks) float64 arrays in, arrays out; NaN = missing.

Rank conventions follow ``scipy.stats.rankdata(method="average")`` (1-based, ties get their mean rank); a
cross-section's Spearman correlation is the Pearson correlation of the ranks of the pairs where both values are
present (``scipy.stats.spearmanr(..., nan_policy="omit")``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

_JIT = {"cache": True, "error_model": "numpy"}


@njit(parallel=True, **_JIT)
def argsort_rows(x: np.ndarray) -> np.ndarray:
    """Per row, the column order that sorts the row ascending, NaN last."""
    t, n = x.shape
    out = np.empty((t, n), np.int64)
    for i in prange(t):
        out[i] = np.argsort(x[i])
    return out


@njit(inline="always")
def _rank_subset(row: np.ndarray, order: np.ndarray, ok: np.ndarray, out: np.ndarray) -> int:
    """Average ranks (1-based) of ``row`` among the entries with ``ok``, walking the presorted ``order``; the
    others get NaN. Returns how many were ranked."""
    n = order.shape[0]
    for j in range(n):
        out[j] = np.nan
    k = 0
    j = 0
    while j < n:
        c = order[j]
        if not ok[c]:
            j += 1
            continue
        v = row[c]
        # the run of equal values among ok entries
        e = j
        cnt = 0
        while e < n and (row[order[e]] == v or not ok[order[e]]):
            if ok[order[e]]:
                cnt += 1
            e += 1
        r = k + (cnt + 1) / 2.0
        for m in range(j, e):
            if ok[order[m]]:
                out[order[m]] = r
        k += cnt
        j = e
    return k


@njit(inline="always")
def _pearson(a: np.ndarray, b: np.ndarray, ok: np.ndarray) -> float:
    n = 0
    sa = 0.0
    sb = 0.0
    for j in range(a.shape[0]):
        if ok[j]:
            n += 1
            sa += a[j]
            sb += b[j]
    if n < 3:
        return np.nan
    ma, mb = sa / n, sb / n
    saa = 0.0
    sbb = 0.0
    sab = 0.0
    for j in range(a.shape[0]):
        if ok[j]:
            da, db = a[j] - ma, b[j] - mb
            saa += da * da
            sbb += db * db
            sab += da * db
    if saa <= 0.0 or sbb <= 0.0:
        return np.nan
    return sab / math.sqrt(saa * sbb)


@njit(parallel=True, **_JIT)
def ic_rows(
    f: np.ndarray, f_order: np.ndarray, r: np.ndarray, r_order: np.ndarray, min_obs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per date: (Pearson IC, Spearman rank IC, pairs) of factor ``f`` and forward returns ``r`` over the pairs
    where both are present; NaN where fewer than ``min_obs`` pairs."""
    t, n = f.shape
    ic = np.full(t, np.nan)
    ric = np.full(t, np.nan)
    cnt = np.zeros(t, np.int64)
    for i in prange(t):
        ok = np.empty(n, np.bool_)
        for j in range(n):
            ok[j] = not (math.isnan(f[i, j]) or math.isnan(r[i, j]))
        fr = np.empty(n)
        rr = np.empty(n)
        k = _rank_subset(f[i], f_order[i], ok, fr)
        cnt[i] = k
        if k < min_obs:
            continue
        _rank_subset(r[i], r_order[i], ok, rr)
        ic[i] = _pearson(f[i], r[i], ok)
        ric[i] = _pearson(fr, rr, ok)
    return ic, ric, cnt


@njit(parallel=True, **_JIT)
def quantile_rows(f: np.ndarray, f_order: np.ndarray, r: np.ndarray, q: int) -> np.ndarray:
    """Per date, the quantile (1…q, 0 = not ranked) of each stock with both a factor value and a return:
    ``floor((rank − 1) × q / count) + 1`` on average ranks — rank first, then cut, so repeated values (discrete
    scores) never make equal bin edges; tied values share a quantile."""
    t, n = f.shape
    out = np.zeros((t, n), np.int8)
    for i in prange(t):
        ok = np.empty(n, np.bool_)
        for j in range(n):
            ok[j] = not (math.isnan(f[i, j]) or math.isnan(r[i, j]))
        fr = np.empty(n)
        k = _rank_subset(f[i], f_order[i], ok, fr)
        if k == 0:
            continue
        for j in range(n):
            if ok[j]:
                out[i, j] = math.floor((fr[j] - 1.0) * q / k) + 1
    return out


@njit(parallel=True, **_JIT)
def quantile_means(quant: np.ndarray, r: np.ndarray, q: int) -> np.ndarray:
    """(dates × q) mean forward return of each quantile per date (NaN where a quantile is empty)."""
    t, n = quant.shape
    out = np.full((t, q), np.nan)
    for i in prange(t):
        s = np.zeros(q)
        c = np.zeros(q, np.int64)
        for j in range(n):
            b = quant[i, j]
            if b > 0:
                s[b - 1] += r[i, j]
                c[b - 1] += 1
        for b in range(q):
            if c[b] > 0:
                out[i, b] = s[b] / c[b]
    return out


@njit(**_JIT)
def top_turnover(quant: np.ndarray, q: int) -> np.ndarray:
    """Per date, the share of the top quantile's names that were not in the previous date's top quantile
    (NaN on the first date and where either is empty)."""
    t, n = quant.shape
    out = np.full(t, np.nan)
    for i in range(1, t):
        now = 0
        new = 0
        prev = 0
        for j in range(n):
            if quant[i - 1, j] == q:
                prev += 1
            if quant[i, j] == q:
                now += 1
                if quant[i - 1, j] != q:
                    new += 1
        if now > 0 and prev > 0:
            out[i] = new / now
    return out
