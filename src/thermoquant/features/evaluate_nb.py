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


_TOP = np.uint64(1) << np.uint64(63)
_NAN_KEY = np.uint64(0xFFFFFFFFFFFFFFFF)
_DIGIT = np.uint64(2047)
_LOW = np.uint64(31)
"""The radix sort orders the top 33 bits of the key (three 11-bit digits: bits 31–41, 42–52, 53–63); entries
whose top 33 bits agree are then put in order on the full key (:func:`_order_runs`)."""


@njit(inline="always")
def _sort_key(v: float, b: np.uint64) -> np.uint64:
    """An unsigned key that orders like the float ``v`` (bits ``b``): negative numbers have every bit flipped,
    others the sign bit set; NaN gets the largest key (sorted last)."""
    if v != v:
        return _NAN_KEY
    if b & _TOP:
        return ~b
    return b | _TOP


_INSERTION_RUN = 16
"""Runs of keys sharing their top 33 bits up to this long are put in order by insertion; longer ones (a factor
that barely varies) by a stable merge sort, so no row costs more than n log n."""


@njit(inline="always")
def _order_runs(keys: np.ndarray, idx: np.ndarray) -> None:
    """Put ``keys`` (and ``idx`` with them) in full order within each run of equal top 33 bits, stably. Only a
    run holding a pair out of order is touched (one comparison per entry otherwise)."""
    n = keys.shape[0]
    j = 1
    while j < n:
        if keys[j] >= keys[j - 1]:
            j += 1
            continue
        top = keys[j] >> _LOW
        start = j - 1
        while start > 0 and (keys[start - 1] >> _LOW) == top:
            start -= 1
        end = j + 1
        while end < n and (keys[end] >> _LOW) == top:
            end += 1
        if end - start > _INSERTION_RUN:
            perm = np.argsort(keys[start:end], kind="mergesort")
            run_keys = keys[start:end][perm]
            run_idx = idx[start:end][perm]
            keys[start:end] = run_keys
            idx[start:end] = run_idx
        else:
            for m0 in range(start + 1, end):
                k = keys[m0]
                moved = idx[m0]
                m = m0 - 1
                while m >= start and keys[m] > k:
                    keys[m + 1] = keys[m]
                    idx[m + 1] = idx[m]
                    m -= 1
                keys[m + 1] = k
                idx[m + 1] = moved
        j = end + 1


@njit(parallel=True, **_JIT)
def argsort_rows(x: np.ndarray) -> np.ndarray:
    """Per row, the column order that sorts the row ascending, NaN last, equal values in column order (the same
    order as ``np.argsort(x, axis=1, kind="stable")``; −0.0 sorts just before 0.0). An LSD radix sort on the
    float's bit pattern: a few linear passes per row instead of comparison sorting (the cost of evaluating a
    factor is mostly this sort)."""
    t, n = x.shape
    bits = x.view(np.uint64)
    out = np.empty((t, n), np.int32)
    for i in prange(t):
        keys = np.empty(n, np.uint64)
        tmpk = np.empty(n, np.uint64)
        idx = np.empty(n, np.int32)
        tmpi = np.empty(n, np.int32)
        counts = np.zeros((3, 2048), np.int32)
        for j in range(n):
            k = _sort_key(x[i, j], bits[i, j])
            keys[j] = k
            idx[j] = j
            counts[0, (k >> np.uint64(31)) & _DIGIT] += 1
            counts[1, (k >> np.uint64(42)) & _DIGIT] += 1
            counts[2, k >> np.uint64(53)] += 1
        for d in range(3):
            shift = np.uint64(31 + 11 * d)
            total = 0
            single = False
            for c in range(2048):
                cc = counts[d, c]
                if cc == n:
                    single = True  # every key has this digit: the pass would not move anything
                    break
                counts[d, c] = total
                total += cc
            if single:
                continue
            for j in range(n):
                k = keys[j]
                c = (k >> shift) & _DIGIT
                p = counts[d, c]
                tmpk[p] = k
                tmpi[p] = idx[j]
                counts[d, c] = p + 1
            keys, tmpk = tmpk, keys
            idx, tmpi = tmpi, idx
        _order_runs(keys, idx)
        out[i] = idx
    return out


@njit(inline="always")
def _rank_subset(
    row: np.ndarray, order: np.ndarray, ok: np.ndarray, out: np.ndarray, scratch: np.ndarray
) -> int:
    """Average ranks (1-based) of ``row`` among the entries with ``ok``, walking the presorted ``order``; entries
    without ``ok`` are left as they are. ``scratch``: an int buffer as long as the row. Returns how many were
    ranked."""
    m = 0
    for e in range(order.shape[0]):
        c = order[e]
        if ok[c]:
            scratch[m] = c
            m += 1
    j = 0
    while j < m:
        v = row[scratch[j]]
        e = j + 1
        while e < m and row[scratch[e]] == v:
            e += 1
        rank = j + (e - j + 1) / 2.0
        for p in range(j, e):
            out[scratch[p]] = rank
        j = e
    return m


@njit(inline="always")
def _row_ic(
    f: np.ndarray,
    f_order: np.ndarray,
    r: np.ndarray,
    r_order: np.ndarray,
    min_obs: int,
    ok: np.ndarray,
    fr: np.ndarray,
    rr: np.ndarray,
    scratch: np.ndarray,
) -> tuple[int, float, float]:
    """One date: (pairs, Pearson IC, Spearman rank IC) over the entries where both ``f`` and ``r`` exist (a
    factor value of ±inf counts as missing); fills
    ``ok`` and the factor's ranks ``fr`` (always) and the returns' ranks ``rr`` (when there are ``min_obs``
    pairs). The ICs are NaN with fewer than ``min_obs`` (or 3) pairs or a constant side. Both correlations are
    two-pass (means first, then centered sums); the mean rank is (pairs + 1) / 2 exactly."""
    n = f.shape[0]
    k = 0
    sf = 0.0
    sr = 0.0
    for j in range(n):
        both = math.isfinite(f[j]) and not math.isnan(r[j])
        ok[j] = both
        if both:
            k += 1
            sf += f[j]
            sr += r[j]
    _rank_subset(f, f_order, ok, fr, scratch)
    if k < min_obs or k < 3:
        return k, np.nan, np.nan
    _rank_subset(r, r_order, ok, rr, scratch)
    mf, mr, mk = sf / k, sr / k, (k + 1) / 2.0
    sff = srr = sfr = 0.0
    qff = qrr = qfr = 0.0
    for j in range(n):
        if ok[j]:
            df, dr = f[j] - mf, r[j] - mr
            sff += df * df
            srr += dr * dr
            sfr += df * dr
            qf, qr = fr[j] - mk, rr[j] - mk
            qff += qf * qf
            qrr += qr * qr
            qfr += qf * qr
    ic = sfr / math.sqrt(sff * srr) if sff > 0.0 and srr > 0.0 else np.nan
    ric = qfr / math.sqrt(qff * qrr) if qff > 0.0 and qrr > 0.0 else np.nan
    return k, ic, ric


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
        fr = np.empty(n)
        rr = np.empty(n)
        scratch = np.empty(n, np.int32)
        cnt[i], ic[i], ric[i] = _row_ic(f[i], f_order[i], r[i], r_order[i], min_obs, ok, fr, rr, scratch)
    return ic, ric, cnt


@njit(parallel=True, **_JIT)
def evaluate_rows(
    f: np.ndarray, f_order: np.ndarray, r: np.ndarray, r_order: np.ndarray, min_obs: int, q: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Everything measured at the report's horizon, ranking the factor once per date: (IC, rank IC and pairs as
    :func:`ic_rows`; the quantile of each cell, 1…q, 0 = not ranked; the dates × q mean forward return of each
    quantile, NaN where a quantile is empty). Quantile = ``floor((rank − 1) × q / count) + 1`` on average ranks
    of the cells with both a factor value and a return — rank first, then cut, so repeated values (discrete
    scores) never make equal bin edges and tied values share a quantile; quantiles are assigned even on dates
    with fewer than ``min_obs`` pairs."""
    t, n = f.shape
    ic = np.full(t, np.nan)
    ric = np.full(t, np.nan)
    cnt = np.zeros(t, np.int64)
    quant = np.zeros((t, n), np.int8)
    qmeans = np.full((t, q), np.nan)
    for i in prange(t):
        ok = np.empty(n, np.bool_)
        fr = np.empty(n)
        rr = np.empty(n)
        scratch = np.empty(n, np.int32)
        k, ic[i], ric[i] = _row_ic(f[i], f_order[i], r[i], r_order[i], min_obs, ok, fr, rr, scratch)
        cnt[i] = k
        if k == 0:
            continue
        s = np.zeros(q)
        c = np.zeros(q, np.int64)
        for j in range(n):
            if ok[j]:
                b = math.floor((fr[j] - 1.0) * q / k) + 1
                quant[i, j] = b
                s[b - 1] += r[i, j]
                c[b - 1] += 1
        for b in range(q):
            if c[b] > 0:
                qmeans[i, b] = s[b] / c[b]
    return ic, ric, cnt, quant, qmeans


@njit(parallel=True, **_JIT)
def scatter_flat(values: np.ndarray, flat: np.ndarray, size: int) -> np.ndarray:
    """A float64 array of ``size`` cells, NaN except ``values[m]`` at ``flat[m]`` (positions are distinct)."""
    out = np.empty(size)
    for j in prange(size):
        out[j] = np.nan
    for m in prange(flat.shape[0]):
        out[flat[m]] = values[m]
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
