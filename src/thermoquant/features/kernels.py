"""Numba kernels over (stocks × days) float64 panels: plain arrays in, arrays out.

Every kernel is serial over rows and compiled with ``nogil=True, cache=True``: the engine runs chunks of stocks on
a thread pool (coarse parallelism is cheaper than a parallel region per kernel call on a busy machine). Panels are
right-aligned (see :mod:`thermoquant.features.panel`): a row may start with NaN padding; NaN inside a window makes
that window's output NaN (a window needs ``w`` valid values). Rolling kernels are O(n) per row except where stated.

``start``: the first column whose output is needed. Columns left of it are NaN. A full computation passes 0; a one-day
incremental update passes ``ncols - 1`` and the kernel touches only the last ``w`` columns.

Recursive kernels take ``init`` (one value per row): a finite value is the filter's value just before column
``start`` and the filter continues from it; NaN means a cold start at the row's first valid value.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# ---------------------------------------------------------------------------------------------------------------
# element-wise


@njit(nogil=True, cache=True)
def div_fill(a: np.ndarray, b: np.ndarray, fill: float, scale: float) -> np.ndarray:
    """a / b × scale in one pass, ``fill`` (unscaled) where b == 0 and a is not NaN (NaN stays NaN)."""
    n, m = a.shape
    out = np.empty((n, m))
    for i in range(n):
        for j in range(m):
            d = b[i, j]
            if d == 0.0:
                out[i, j] = fill if a[i, j] == a[i, j] else np.nan
            else:
                out[i, j] = a[i, j] / d * scale
    return out


@njit(nogil=True, cache=True)
def gather_right_into(a: np.ndarray, lengths: np.ndarray, out: np.ndarray, pos: int) -> None:
    """Write the last ``lengths[i]`` values of each row ``i`` of ``a`` to ``out`` from ``pos`` on, row after row."""
    m = a.shape[1]
    for i in range(a.shape[0]):
        k = lengths[i]
        out[pos : pos + k] = a[i, m - k :]
        pos += k


@njit(nogil=True, cache=True)
def gather_right_valid_into(
    a: np.ndarray, lengths: np.ndarray, out: np.ndarray, valid: np.ndarray, pos: int
) -> None:
    """:func:`gather_right_into` that also writes ``valid[k] = 1`` where the gathered value is not NaN, else 0."""
    m = a.shape[1]
    for i in range(a.shape[0]):
        k = lengths[i]
        src = a[i, m - k :]
        dst = out[pos : pos + k]
        ok = valid[pos : pos + k]
        for t in range(k):  # contiguous 1-D views: the loop vectorises
            v = src[t]
            dst[t] = v
            ok[t] = v == v
        pos += k


@njit(nogil=True, cache=True)
def scatter_right(values: np.ndarray, lengths: np.ndarray, width: int) -> np.ndarray:
    """Inverse of :func:`gather_right`: row ``i`` of a (rows × ``width``) panel gets the next ``lengths[i]`` values
    in its last columns, NaN before."""
    n = lengths.shape[0]
    out = np.empty((n, width))
    pos = 0
    for i in range(n):
        k = lengths[i]
        out[i, : width - k] = np.nan
        out[i, width - k :] = values[pos : pos + k]
        pos += k
    return out


@njit(nogil=True, cache=True)
def gather_right(a: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenate the last ``lengths[i]`` values of each row ``i`` (right-aligned panel → long-frame order)."""
    n, m = a.shape
    out = np.empty(lengths.sum())
    pos = 0
    for i in range(n):
        k = lengths[i]
        out[pos : pos + k] = a[i, m - k :]
        pos += k
    return out


# ---------------------------------------------------------------------------------------------------------------
# rolling windows


@njit(cache=True, inline="always")
def _span(x: np.ndarray, i: int) -> tuple[int, bool]:
    """(first valid column, whether the row has no NaN after it)."""
    m = x.shape[1]
    f = 0
    while f < m and x[i, f] != x[i, f]:
        f += 1
    clean = True
    for j in range(f, m):
        if x[i, j] != x[i, j]:
            clean = False
            break
    return f, clean


@njit(cache=True)
def _row_sum_generic(x: np.ndarray, i: int, w: int, start: int, scale: float, out: np.ndarray) -> None:
    m = x.shape[1]
    j0 = max(0, start - w + 1)
    for j in range(m):
        out[i, j] = np.nan
    s = 0.0
    c = 0
    for j in range(j0, m):
        v = x[i, j]
        if v == v:
            s += v
            c += 1
        if j - w >= j0:
            u = x[i, j - w]
            if u == u:
                s -= u
                c -= 1
        if c == w and j >= start:
            out[i, j] = s * scale


@njit(nogil=True, cache=True)
def roll_sum_scaled(x: np.ndarray, w: int, start: int, scale: float) -> np.ndarray:
    """scale × sum of the last ``w`` values (running sum, O(n)); a fast branch-free path for NaN-free rows."""
    n, m = x.shape
    out = np.empty((n, m))
    for i in range(n):
        f, clean = _span(x, i)
        if not clean:
            _row_sum_generic(x, i, w, start, scale, out)
            continue
        j0 = max(f, start - w + 1)
        first = min(j0 + w - 1, m)
        for j in range(first):
            out[i, j] = np.nan
        s = 0.0
        for j in range(j0, first):
            s += x[i, j]
        for j in range(first, m):
            s += x[i, j]
            out[i, j] = s * scale
            s -= x[i, j - w + 1]
        for j in range(first, min(start, m)):
            out[i, j] = np.nan
    return out


def roll_sum(x: np.ndarray, w: int, start: int) -> np.ndarray:
    """Sum of the last ``w`` values (Tongdaxin SUM, TA-Lib SUM)."""
    return roll_sum_scaled(x, w, start, 1.0)


def roll_mean(x: np.ndarray, w: int, start: int) -> np.ndarray:
    """Arithmetic mean of the last ``w`` values (Tongdaxin MA, TA-Lib SMA)."""
    return roll_sum_scaled(x, w, start, 1.0 / w)


@njit(nogil=True, cache=True)
def roll_std(x: np.ndarray, w: int, ddof: int, start: int) -> np.ndarray:
    """Standard deviation of the last ``w`` values with ``ddof`` (running sums of shifted values, O(n))."""
    n, m = x.shape
    out = np.empty((n, m))
    j0 = max(0, start - w + 1)
    for i in range(n):
        for j in range(m):
            out[i, j] = np.nan
        f, clean = _span(x, i)
        if f >= m:
            continue
        shift = x[i, f]
        s = 0.0
        ss = 0.0
        c = 0
        if clean:
            jj = max(j0, f)
            for j in range(jj, m):
                d = x[i, j] - shift
                s += d
                ss += d * d
                c += 1
                if c > w:
                    u = x[i, j - w] - shift
                    s -= u
                    ss -= u * u
                if c >= w and j >= start:
                    var = (ss - s * s / w) / (w - ddof)
                    out[i, j] = np.sqrt(var) if var > 0.0 else 0.0
            continue
        for j in range(j0, m):
            v = x[i, j]
            if v == v:
                d = v - shift
                s += d
                ss += d * d
                c += 1
            if j - w >= j0:
                u = x[i, j - w]
                if u == u:
                    d = u - shift
                    s -= d
                    ss -= d * d
                    c -= 1
            if c == w and j >= start:
                var = (ss - s * s / w) / (w - ddof)
                out[i, j] = np.sqrt(var) if var > 0.0 else 0.0
    return out


@njit(cache=True)
def _extreme_row_clean(
    x: np.ndarray, i: int, f: int, w: int, is_max: bool, start: int, out: np.ndarray
) -> None:
    """Row ``i`` valid from column ``f`` on: track the extreme's column, rescanning the window only when it leaves
    (TA-Lib's MAX/MIN scheme: amortised O(1) per step on price and volume data, no deque)."""
    m = x.shape[1]
    k = -1
    for j in range(max(f + w - 1, start), m):
        a = j - w + 1
        if k < a:
            k = a
            for t in range(a + 1, j + 1):
                if (x[i, t] >= x[i, k]) if is_max else (x[i, t] <= x[i, k]):
                    k = t
        elif (x[i, j] >= x[i, k]) if is_max else (x[i, j] <= x[i, k]):
            k = j
        out[i, j] = x[i, k]


@njit(nogil=True, cache=True)
def roll_extreme(x: np.ndarray, w: int, is_max: bool, start: int) -> np.ndarray:
    """Maximum (``is_max``) or minimum of the last ``w`` values (HHV/LLV). Rows without gaps track the extreme's
    column (:func:`_extreme_row_clean`); rows with gaps use a monotone deque (O(n))."""
    n, m = x.shape
    out = np.full((n, m), np.nan)
    j0 = max(0, start - w + 1)
    for i in range(n):
        f, clean = _span(x, i)
        if clean:
            _extreme_row_clean(x, i, f, w, is_max, start, out)
            continue
        dq = np.empty(m - j0 + 1, np.int64)
        head = 0
        tail = 0
        c = 0
        for j in range(j0, m):
            v = x[i, j]
            if v == v:
                if is_max:
                    while tail > head and x[i, dq[tail - 1]] <= v:
                        tail -= 1
                else:
                    while tail > head and x[i, dq[tail - 1]] >= v:
                        tail -= 1
                dq[tail] = j
                tail += 1
                c += 1
            if j - w >= j0:
                u = x[i, j - w]
                if u == u:
                    c -= 1
            while tail > head and dq[head] <= j - w:
                head += 1
            if c == w and j >= start:
                out[i, j] = x[i, dq[head]]
    return out


@njit(nogil=True, cache=True)
def roll_wma(x: np.ndarray, w: int, start: int) -> np.ndarray:
    """Linearly weighted mean of the last ``w`` values, weights 1..w (newest = w); O(n), restarts after NaN."""
    n, m = x.shape
    out = np.full((n, m), np.nan)
    j0 = max(0, start - w + 1)
    denom = w * (w + 1) / 2.0
    for i in range(n):
        sw = 0.0
        sp = 0.0
        r = 0
        for j in range(j0, m):
            v = x[i, j]
            if v != v:
                sw = 0.0
                sp = 0.0
                r = 0
                continue
            sw = sw - sp + w * v
            sp = sp + v
            if r >= w:
                sp -= x[i, j - w]
            r += 1
            if r >= w and j >= start:
                out[i, j] = sw / denom
    return out


@njit(nogil=True, cache=True)
def roll_corr_beta(x: np.ndarray, y: np.ndarray, w: int, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling Pearson correlation of (x, y) and the regression slope of x on y (beta = cov(x, y) / var(y)).

    A window needs ``w`` pairs with both values valid; zero variance gives NaN. O(n).
    """
    n, m = x.shape
    corr = np.full((n, m), np.nan)
    beta = np.full((n, m), np.nan)
    j0 = max(0, start - w + 1)
    for i in range(n):
        sx = np.nan
        sy = np.nan
        for j in range(j0, m):
            if x[i, j] == x[i, j] and y[i, j] == y[i, j]:
                sx = x[i, j]
                sy = y[i, j]
                break
        a = 0.0
        b = 0.0
        aa = 0.0
        bb = 0.0
        ab = 0.0
        c = 0
        for j in range(j0, m):
            u = x[i, j] - sx
            v = y[i, j] - sy
            if u == u and v == v:
                a += u
                b += v
                aa += u * u
                bb += v * v
                ab += u * v
                c += 1
            if j - w >= j0:
                u = x[i, j - w] - sx
                v = y[i, j - w] - sy
                if u == u and v == v:
                    a -= u
                    b -= v
                    aa -= u * u
                    bb -= v * v
                    ab -= u * v
                    c -= 1
            if c == w and j >= start:
                cov = ab - a * b / w
                vx = aa - a * a / w
                vy = bb - b * b / w
                if vy > 1e-300:
                    beta[i, j] = cov / vy
                    if vx > 1e-300:
                        r = cov / np.sqrt(vx * vy)
                        corr[i, j] = min(1.0, max(-1.0, r))
    return corr, beta


@njit(cache=True, inline="always")
def _bisect(buf: np.ndarray, k: int, v: float) -> int:
    """Leftmost insertion point of ``v`` in the sorted ``buf[:k]``."""
    a = 0
    b = k
    while a < b:
        mid = (a + b) >> 1
        if buf[mid] < v:
            a = mid + 1
        else:
            b = mid
    return a


@njit(cache=True, inline="always")
def _quantile_of_sorted(buf: np.ndarray, w: int, lo: int, frac: float) -> float:
    if lo + 1 < w:
        return buf[lo] + frac * (buf[lo + 1] - buf[lo])
    return buf[lo]


@njit(cache=True, inline="always")
def _keep_smallest(sv: np.ndarray, si: np.ndarray, cnt: int, K: int, u: float, t: int) -> int:
    """Insert value u (column t) into the sorted K smallest (sv, si) holding cnt entries; returns the new count."""
    if cnt < K or u < sv[cnt - 1]:
        p = cnt if cnt < K else K - 1
        while p > 0 and sv[p - 1] > u:
            sv[p] = sv[p - 1]
            si[p] = si[p - 1]
            p -= 1
        sv[p] = u
        si[p] = t
        if cnt < K:
            cnt += 1
    return cnt


@njit(cache=True)
def _low_quantile_row(
    x: np.ndarray, i: int, w: int, start: int, lo: int, frac: float, out: np.ndarray
) -> None:
    """Clean row, low quantile: keep only the K = lo + 2 smallest values of the window (and their columns).

    An arriving value enters when below the K-th smallest; a leaving value forces a rescan only when it was one of
    the K (probability K/w), so a step costs O(K) amortised.
    """
    m = x.shape[1]
    K = lo + 2 if lo + 1 < w else lo + 1
    sv = np.empty(K)
    si = np.empty(K, np.int64)
    f = 0
    while f < m and x[i, f] != x[i, f]:
        f += 1
    jj = max(f, start - w + 1)
    cnt = 0
    for j in range(jj, m):
        v = x[i, j]
        leave = j - w
        refill = False
        if leave >= jj:
            for t in range(cnt):
                if si[t] == leave:
                    refill = True
                    break
        if refill:
            cnt = 0
            for t in range(j - w + 1, j + 1):
                cnt = _keep_smallest(sv, si, cnt, K, x[i, t], t)
        else:
            cnt = _keep_smallest(sv, si, cnt, K, v, j)
        if j - jj + 1 >= w and j >= start:
            out[i, j] = sv[lo] + frac * (sv[lo + 1] - sv[lo]) if lo + 1 < w else sv[lo]


@njit(nogil=True, cache=True)
def roll_quantile(x: np.ndarray, w: int, q: float, start: int) -> np.ndarray:
    """The ``q`` quantile of the last ``w`` values, linear interpolation (numpy's default method).

    Keeps each window sorted: the leaving value's slot is closed and the arriving value's opened with one shift of
    the elements between them (binary searches, no sort per window); O(n·w) moves in the worst case.
    """
    n, m = x.shape
    out = np.full((n, m), np.nan)
    j0 = max(0, start - w + 1)
    pos = q * (w - 1)
    lo = int(np.floor(pos))
    frac = pos - lo
    buf = np.empty(w + 1)
    for i in range(n):
        f, clean = _span(x, i)
        k = 0
        if clean and lo + 2 <= 8:
            _low_quantile_row(x, i, w, start, lo, frac, out)
            continue
        if clean:
            jj = max(j0, f)
            for j in range(jj, m):
                v = x[i, j]
                if k < w:
                    p = _bisect(buf, k, v)
                    for t in range(k, p, -1):
                        buf[t] = buf[t - 1]
                    buf[p] = v
                    k += 1
                else:
                    u = x[i, j - w]
                    pu = _bisect(buf, k, u)
                    pv = _bisect(buf, k, v)
                    if pv > pu:
                        # close u's slot, open one just below v's position
                        for t in range(pu, pv - 1):
                            buf[t] = buf[t + 1]
                        buf[pv - 1] = v
                    else:
                        for t in range(pu, pv, -1):
                            buf[t] = buf[t - 1]
                        buf[pv] = v
                if k == w and j >= start:
                    out[i, j] = _quantile_of_sorted(buf, w, lo, frac)
            continue
        for j in range(j0, m):
            v = x[i, j]
            if j - w >= j0:
                u = x[i, j - w]
                if u == u:
                    p = _bisect(buf, k, u)
                    for t in range(p, k - 1):
                        buf[t] = buf[t + 1]
                    k -= 1
            if v == v:
                p = _bisect(buf, k, v)
                for t in range(k, p, -1):
                    buf[t] = buf[t - 1]
                buf[p] = v
                k += 1
            if k == w and j >= start:
                out[i, j] = _quantile_of_sorted(buf, w, lo, frac)
    return out


@njit(cache=True)
def _mdd_row_generic(x: np.ndarray, i: int, w: int, start: int, out: np.ndarray) -> None:
    m = x.shape[1]
    for j in range(max(start, w - 1), m):
        peak = x[i, j - w + 1]
        if peak != peak:
            continue
        mdd = 0.0
        ok = True
        for k in range(j - w + 1, j + 1):
            v = x[i, k]
            if v != v:
                ok = False
                break
            if v > peak:
                peak = v
            elif peak > 0.0:
                dd = (peak - v) / peak
                if dd > mdd:
                    mdd = dd
        if ok:
            out[i, j] = mdd


@njit(nogil=True, cache=True)
def roll_max_drawdown(x: np.ndarray, w: int, start: int) -> np.ndarray:
    """Largest peak-to-trough fall within the last ``w`` values, as a fraction (≥ 0); prices must be > 0.

    NaN-free rows use a two-stack queue whose entries carry (max, min, largest drop) summaries of their segment:
    combining an earlier segment L with a later one R gives max(L.drop, R.drop, 1 − R.min / L.max), so every window
    costs O(1) amortised. Rows with gaps fall back to an O(w) scan per window.
    """
    n, m = x.shape
    out = np.full((n, m), np.nan)
    bv = np.empty(w + 1)
    fmx = np.empty(w + 1)
    fmn = np.empty(w + 1)
    fdd = np.empty(w + 1)
    for i in range(n):
        f, clean = _span(x, i)
        if not clean:
            _mdd_row_generic(x, i, w, start, out)
            continue
        j0 = max(f, start - w + 1)
        nb_ = 0  # back stack size (values in time order)
        bmx = 0.0
        bmn = 0.0
        bdd = 0.0
        nf = 0  # front stack size; index nf-1 is the oldest element
        for j in range(j0, m):
            v = x[i, j]
            # push v on the back stack
            if nb_ == 0:
                bmx = v
                bmn = v
                bdd = 0.0
            else:
                d = 1.0 - v / bmx
                if d > bdd:
                    bdd = d
                if v > bmx:
                    bmx = v
                if v < bmn:
                    bmn = v
            bv[nb_] = v
            nb_ += 1
            if nb_ + nf > w:
                if nf == 0:
                    # transfer: newest back element becomes the bottom of the front stack
                    for t in range(nb_ - 1, -1, -1):
                        e = bv[t]
                        if nf == 0:
                            fmx[0] = e
                            fmn[0] = e
                            fdd[0] = 0.0
                        else:
                            rmx = fmx[nf - 1]
                            rmn = fmn[nf - 1]
                            d = 1.0 - rmn / e
                            fdd[nf] = d if d > fdd[nf - 1] else fdd[nf - 1]
                            fmx[nf] = e if e > rmx else rmx
                            fmn[nf] = e if e < rmn else rmn
                        nf += 1
                    nb_ = 0
                nf -= 1  # drop the oldest
            if nb_ + nf == w and j >= start:
                if nf == 0:
                    out[i, j] = bdd
                elif nb_ == 0:
                    out[i, j] = fdd[nf - 1]
                else:
                    best = fdd[nf - 1]
                    if bdd > best:
                        best = bdd
                    d = 1.0 - bmn / fmx[nf - 1]
                    if d > best:
                        best = d
                    out[i, j] = best
    return out


@njit(nogil=True, cache=True)
def roll_mean_abs_dev(x: np.ndarray, w: int, start: int) -> np.ndarray:
    """Mean absolute deviation from the window mean (Tongdaxin AVEDEV, TA-Lib CCI's denominator). O(n·w)."""
    n, m = x.shape
    out = np.full((n, m), np.nan)
    for i in range(n):
        for j in range(max(start, w - 1), m):
            s = 0.0
            ok = True
            for k in range(j - w + 1, j + 1):
                v = x[i, k]
                if v != v:
                    ok = False
                    break
                s += v
            if not ok:
                continue
            mu = s / w
            d = 0.0
            for k in range(j - w + 1, j + 1):
                d += abs(x[i, k] - mu)
            out[i, j] = d / w
    return out


# ---------------------------------------------------------------------------------------------------------------
# recursive filters

SEED_FIRST = 0
"""Cold start: y = x at the first valid value (Tongdaxin EMA and SMA(X,N,M))."""
SEED_SMA = 1
"""Cold start: y = mean of the first ``seed_n`` valid values, output from there (TA-Lib EMA, Wilder averages)."""
SEED_CONST = 2
"""Cold start: the value before the first valid one is ``seed_value`` (Tongdaxin/同花顺 KDJ seeded at 50)."""


@njit(nogil=True, cache=True)
def ewm(
    x: np.ndarray,
    alpha: float,
    seed_mode: int,
    seed_n: int,
    seed_value: float,
    skip: int,
    init: np.ndarray,
    start: int,
    seed_scale: float = 1.0,
) -> np.ndarray:
    """Exponential filter y_t = alpha·x_t + (1 − alpha)·y_{t−1}.

    Tongdaxin: EMA(X,N) is alpha = 2/(N+1) and SMA(X,N,M) is alpha = M/N, both seeded with the first value.
    TA-Lib: EMA is alpha = 2/(N+1) and Wilder's smoothing alpha = 1/N, seeded with the SMA of the first N values.
    ``skip`` ignores that many leading valid values before a cold start (TA-Lib MACD seeds its fast EMA where the
    slow one starts). ``seed_scale`` multiplies the SMA seed (TA-Lib's DI seeds with the sum of N−1 values, i.e.
    the mean × (N−1)/N in averaged form). A NaN input after the start propagates (inputs are expected gap-free: suspended days have no
    column).
    """
    n, m = x.shape
    out = np.empty((n, m))
    for i in range(n):
        if init[i] == init[i]:
            for j in range(max(0, start - 1)):
                out[i, j] = np.nan
            prev = init[i]
            if start >= 1:
                out[i, start - 1] = prev
            for j in range(start, m):
                prev = alpha * x[i, j] + (1.0 - alpha) * prev
                out[i, j] = prev
            continue
        f = -1
        for j in range(m):
            if x[i, j] == x[i, j]:
                f = j
                break
        if f < 0 or f + skip >= m:
            for j in range(m):
                out[i, j] = np.nan
            continue
        f += skip
        for j in range(f):
            out[i, j] = np.nan
        if seed_mode == SEED_FIRST:
            prev = x[i, f]
            out[i, f] = prev
            j1 = f + 1
        elif seed_mode == SEED_SMA:
            for j in range(f, min(m, f + seed_n - 1)):
                out[i, j] = np.nan
            if f + seed_n > m:
                continue
            s = 0.0
            for j in range(f, f + seed_n):
                s += x[i, j]
            prev = s / seed_n * seed_scale
            out[i, f + seed_n - 1] = prev
            j1 = f + seed_n
        else:
            prev = seed_value
            j1 = f
        for j in range(j1, m):
            prev = alpha * x[i, j] + (1.0 - alpha) * prev
            out[i, j] = prev
    return out


@njit(nogil=True, cache=True)
def cummax(x: np.ndarray, init: np.ndarray, start: int) -> np.ndarray:
    """Running maximum (from ``init`` when finite), NaN before the first valid value."""
    n, m = x.shape
    out = np.full((n, m), np.nan)
    for i in range(n):
        prev = init[i]
        j1 = start if prev == prev else 0
        for j in range(j1, m):
            v = x[i, j]
            if v == v and (prev != prev or v > prev):
                prev = v
            out[i, j] = prev
    return out
