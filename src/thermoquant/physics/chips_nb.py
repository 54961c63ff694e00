"""Numba kernels of the grid chip model (plain arrays in, arrays out).

A stack is a float64 vector over a stock's log-spaced price grid (see :class:`GridSpec`): ``stack[i]`` is the
share of the float whose cost lies in bin ``i``.  The stack always sums to 1 (the float) after the first bar.
One bar moves it by :func:`chip_step`; :func:`stack_metrics` reads the day's metrics off it.  The batch driver
:func:`chips_batch` runs all stocks at once, parallel over stocks (``prange``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from thermoquant.physics.params import P

# parameter column indices (compile-time constants inside the kernels)
_PW = P["profit_weight"]
_PWL = P["profit_weight_lock"]
_KLOCK = P["k_lock"]
_KDIST = P["k_dist"]
_TW = P["trapped_weight"]
_PANIC = P["panic_loss"]
_MAXW = P["max_weight"]
_TDXA = P["tdx_a"]
_QB = P["q_band"]
_BZ = P["bottom_zone"]
_TZ = P["top_zone"]
_PH = P["peak_halfwidth"]
_MPM = P["min_peak_mass"]
_ZW = P["zone_window"]

MODE_BEHAVIORAL = 0
MODE_TDX = 1

#: Columns of the metric matrix returned by the kernels (prices CNY, masses = share of the float).
METRIC_COLUMNS: tuple[str, ...] = (
    "profit_ratio",
    "avg_cost",
    "cost_p05",
    "cost_p15",
    "cost_p50",
    "cost_p85",
    "cost_p95",
    "conc_90",
    "conc_70",
    "q_below",
    "q_above",
    "peak_price",
    "peak_mass",
    "bottom_peak_price",
    "bottom_peak_mass",
    "n_peaks",
    "bottom_mass",
    "top_mass",
)
N_METRICS = len(METRIC_COLUMNS)


@njit(cache=True)
def _tri_cdf(x: float, a: float, c: float, b: float) -> float:
    """CDF of the triangular distribution on [a, b] with mode c (a < b, a <= c <= b)."""
    if x <= a:
        return 0.0
    if x >= b:
        return 1.0
    if x <= c:
        return (x - a) * (x - a) / ((b - a) * (c - a))
    return 1.0 - (b - x) * (b - x) / ((b - a) * (b - c))


@njit(cache=True)
def shift_grid(stack: np.ndarray, k: int) -> None:
    """Shift the grid up by ``k`` bins (k > 0) or down (k < 0), in place; overflow merges into the edge bin."""
    n = stack.shape[0]
    if k > 0:
        spill = 0.0
        for i in range(min(k, n)):
            spill += stack[i]
        for i in range(n - k if k < n else 0):
            stack[i] = stack[i + k]
        for i in range(max(n - k, 0), n):
            stack[i] = 0.0
        if k >= n:
            for i in range(k, n):
                spill += stack[i]
        stack[0] += spill
    elif k < 0:
        k = -k
        spill = 0.0
        for i in range(max(n - k, 0), n):
            spill += stack[i]
        for i in range(n - 1, k - 1, -1):
            stack[i] = stack[i - k]
        for i in range(min(k, n)):
            stack[i] = 0.0
        stack[n - 1] += spill


@njit(cache=True)
def fit_grid(stack: np.ndarray, g0: float, step: float, low: float, high: float, margin: int) -> float:
    """Shift the grid (whole bins) so that [low, high] lies inside it with ``margin`` spare bins; returns g0."""
    n = stack.shape[0]
    lo_i = math.floor((math.log(low) - g0) / step)
    hi_i = math.floor((math.log(high) - g0) / step)
    if hi_i > n - 1 - margin:
        k = hi_i - (n - 1 - margin)
        shift_grid(stack, k)
        g0 += k * step
        lo_i -= k
    if lo_i < margin:
        k = margin - lo_i
        shift_grid(stack, -k)
        g0 -= k * step
    return g0


@njit(cache=True)
def add_bar_chips(
    stack: np.ndarray, g0: float, step: float, low: float, high: float, apex: float, mass: float
) -> None:
    """Add ``mass`` of new chips over [low, high], triangular with mode ``apex`` (one-price bar: one bin)."""
    n = stack.shape[0]
    if mass <= 0.0:
        return
    if high <= low:
        i = math.floor((math.log(low) - g0) / step)
        stack[min(max(i, 0), n - 1)] += mass
        return
    c = min(max(apex, low), high)
    i0 = max(math.floor((math.log(low) - g0) / step), 0)
    i1 = min(math.floor((math.log(high) - g0) / step), n - 1)
    if i1 <= i0:
        stack[min(i0, n - 1)] += mass
        return
    # one pass: bin mass = CDF difference at the bin's upper edge (edges by running product, the last bin takes
    # the remainder up to 1 so the bar adds exactly ``mass``)
    ratio = math.exp(step)
    edge = math.exp(g0 + (i0 + 1) * step)
    prev = 0.0
    for i in range(i0, i1 + 1):
        cur = _tri_cdf(edge, low, c, high) if i < i1 else 1.0
        stack[i] += mass * (cur - prev)
        prev = cur
        edge *= ratio


@njit(cache=True)
def burn_fractions(
    m0: float, m1: float, m2: float, w0: float, w1: float, w2: float, target: float
) -> tuple[float, float, float]:
    """Water-filling over three groups: f_g = min(1, lam*w_g) with sum_g f_g*m_g == target (<= sum m)."""
    f0 = f1 = f2 = 0.0
    s0 = s1 = s2 = False
    remaining = target
    for _ in range(4):
        denom = (0.0 if s0 else w0 * m0) + (0.0 if s1 else w1 * m1) + (0.0 if s2 else w2 * m2)
        if denom <= 0.0:
            break
        lam = remaining / denom
        # saturate the heaviest-weighted group that would exceed 1
        worst = -1
        wmax = -1.0
        if not s0 and m0 > 0.0 and lam * w0 > 1.0 and w0 > wmax:
            worst, wmax = 0, w0
        if not s1 and m1 > 0.0 and lam * w1 > 1.0 and w1 > wmax:
            worst, wmax = 1, w1
        if not s2 and m2 > 0.0 and lam * w2 > 1.0 and w2 > wmax:
            worst, wmax = 2, w2
        if worst < 0:
            f0 = f0 if s0 else lam * w0
            f1 = f1 if s1 else lam * w1
            f2 = f2 if s2 else lam * w2
            break
        if worst == 0:
            s0, f0, remaining = True, 1.0, remaining - m0
        elif worst == 1:
            s1, f1, remaining = True, 1.0, remaining - m1
        else:
            s2, f2, remaining = True, 1.0, remaining - m2
    return f0, f1, f2


#: Masses below this share of the float are set to zero (keeps the arithmetic out of slow subnormal numbers;
#: the mass dropped is < n_bins × 1e-30 per bar, far below any reported precision).
TINY = 1e-30


@njit(cache=True)
def _scale(stack: np.ndarray, a: int, b: int, keep: float) -> None:
    """stack[a:b] *= keep, setting masses below TINY to zero."""
    for i in range(a, b):
        v = stack[i] * keep
        stack[i] = v if v >= TINY else 0.0


@njit(cache=True)
def chip_step(
    stack: np.ndarray,
    g0: float,
    step: float,
    margin: int,
    low: float,
    high: float,
    ref: float,
    tau: float,
    k_norm: float,
    prm: np.ndarray,
    mode: int,
) -> float:
    """Advance one stock's stack by one bar; returns the (possibly shifted) grid origin g0.

    ``tau`` is the bar's turnover as a fraction of the float (clipped to [0, 1]); ``ref`` the bar's typical traded
    price (VWAP, else (O+H+L+C)/4); ``k_norm`` the normalised conductivity K (NaN = neutral).  The chips burnt
    equal ``tau`` times the stack, so the total is unchanged; the same mass re-enters over [low, high].
    """
    if not (tau > 0.0):
        return g0
    tau = min(tau, 1.0)
    g0 = fit_grid(stack, g0, step, low, high, margin)
    n = stack.shape[0]
    if mode == MODE_TDX:
        total = 0.0
        for i in range(n):
            total += stack[i]
        f = min(1.0, prm[_TDXA] * tau)
        _scale(stack, 0, n, 1.0 - f)
        add_bar_chips(stack, g0, step, low, high, ref, f * total)
        return g0
    # behavioral: three contiguous bin groups by the bin mid price against ref
    lr = math.log(ref)
    ip = math.ceil((lr - g0) / step - 0.5)  # bins [0, ip) are in profit (mid < ref)
    ip = min(max(ip, 0), n)
    lx = lr - math.log(1.0 - prm[_PANIC])  # mid >= ref / (1 - panic) = loss beyond the panic line
    ix = math.ceil((lx - g0) / step - 0.5)
    ix = min(max(ix, ip), n)
    m0 = 0.0
    m1 = 0.0
    m2 = 0.0
    for i in range(0, ip):
        m0 += stack[i]
    for i in range(ip, ix):
        m1 += stack[i]
    for i in range(ix, n):
        m2 += stack[i]
    total = m0 + m1 + m2
    wp = prm[_PW]
    if k_norm == k_norm:  # not NaN
        if k_norm >= prm[_KLOCK]:
            wp = prm[_PWL]
        elif k_norm <= prm[_KDIST]:
            wp = prm[_MAXW]
    burnt = tau * total
    if burnt >= total:
        for i in range(n):
            stack[i] = 0.0
    else:
        f0, f1, f2 = burn_fractions(m0, m1, m2, wp, prm[_TW], prm[_MAXW], burnt)
        _scale(stack, 0, ip, 1.0 - f0)
        _scale(stack, ip, ix, 1.0 - f1)
        _scale(stack, ix, n, 1.0 - f2)
    add_bar_chips(stack, g0, step, low, high, ref, burnt)
    return g0


@njit(cache=True)
def _below(cum: np.ndarray, stack: np.ndarray, g0: float, step: float, price: float) -> float:
    """Chip mass with cost <= price (log-linear inside the bin holding ``price``); ``cum`` = prefix sums."""
    n = stack.shape[0]
    pos = (math.log(price) - g0) / step
    if pos <= 0.0:
        return 0.0
    j = math.floor(pos)
    if j >= n:
        return cum[n]
    return cum[j] + stack[j] * (pos - j)


@njit(cache=True)
def _exp_small(x: float) -> float:
    """exp(x) for 0 <= x <= log_step (a few %): 6-term Taylor series, relative error < 1e-13 for x <= 0.05."""
    return 1.0 + x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x / 720.0)))))


@njit(cache=True)
def _prefix_sums(stack: np.ndarray, g0: float, step: float, cum: np.ndarray) -> tuple[float, float]:
    """cum[i] = sum(stack[:i]) and (total, sum of mass × bin mid price); four independent chains for speed."""
    n = stack.shape[0]
    q = n // 4
    ratio = math.exp(step)
    cum[0] = 0.0
    a0 = a1 = a2 = a3 = 0.0
    w0 = w1 = w2 = w3 = 0.0
    p0 = math.exp(g0 + 0.5 * step)
    rq = math.exp(q * step)
    p1 = p0 * rq
    p2 = p1 * rq
    p3 = p2 * rq
    for j in range(q):
        a0 += stack[j]
        a1 += stack[q + j]
        a2 += stack[2 * q + j]
        a3 += stack[3 * q + j]
        cum[j + 1] = a0
        cum[q + j + 1] = a1
        cum[2 * q + j + 1] = a2
        cum[3 * q + j + 1] = a3
        w0 += stack[j] * p0
        w1 += stack[q + j] * p1
        w2 += stack[2 * q + j] * p2
        w3 += stack[3 * q + j] * p3
        p0 *= ratio
        p1 *= ratio
        p2 *= ratio
        p3 *= ratio
    for j in range(q + 1, 2 * q + 1):
        cum[j] += a0
    b = a0 + a1
    for j in range(2 * q + 1, 3 * q + 1):
        cum[j] += b
    b += a2
    for j in range(3 * q + 1, 4 * q + 1):
        cum[j] += b
    b += a3
    ws = w0 + w1 + w2 + w3
    px = p0 * math.exp(3 * q * step)
    for j in range(4 * q, n):  # remainder when n is not a multiple of 4
        b += stack[j]
        cum[j + 1] = b
        ws += stack[j] * px
        px *= ratio
    return b, ws


@njit(cache=True)
def work_size(n_bins: int) -> int:
    """Length of the work buffer :func:`stack_metrics` needs."""
    return 2 * n_bins + 3


@njit(cache=True)
def stack_metrics(
    stack: np.ndarray,
    g0: float,
    step: float,
    price: float,
    zone_lo: float,
    zone_hi: float,
    prm: np.ndarray,
    out: np.ndarray,
    cum: np.ndarray,
) -> None:
    """Write the metrics of METRIC_COLUMNS for one stock-bar into ``out`` (NaN when the stack is empty).

    ``cum`` is a work buffer of :func:`work_size` floats (prefix sums of the stack, then the peak windows).
    """
    n = stack.shape[0]
    total, wsum = _prefix_sums(stack, g0, step, cum)
    if total <= 0.0:
        out[:] = np.nan
        return
    below = _below(cum, stack, g0, step, price)
    out[0] = below / total
    out[1] = wsum / total
    # cost quantiles: walk the bins once, the lower edge price kept by a running product
    ratio = math.exp(step)
    edge = math.exp(g0)
    i = 0
    for k, q in enumerate((0.05, 0.15, 0.5, 0.85, 0.95)):
        target = q * total
        while i < n - 1 and cum[i + 1] < target:
            i += 1
            edge *= ratio
        frac = (target - cum[i]) / stack[i] if stack[i] > 0.0 else 0.5
        out[2 + k] = edge * _exp_small(min(max(frac, 0.0), 1.0) * step)
    out[7] = (out[6] - out[2]) / (out[6] + out[2])
    out[8] = (out[5] - out[3]) / (out[5] + out[3])
    qb = prm[_QB]
    out[9] = (below - _below(cum, stack, g0, step, price * (1.0 - qb))) / total
    out[10] = (_below(cum, stack, g0, step, price * (1.0 + qb)) - below) / total
    # peaks: local maxima of the window mass over ±h bins, heavier than min_peak_mass
    h = int(prm[_PH])
    mpm = prm[_MPM] * total
    best_m = 0.0
    best_i = -1
    low_i = -1
    low_m = 0.0
    npk = 0
    win = cum[n + 1 : 2 * n + 3]  # win[i + 1] = mass within ±h bins of bin i; win[0] = -1, win[n + 1] = 0
    win[0] = -1.0
    win[n + 1] = 0.0
    for i in range(min(h, n)):
        win[i + 1] = cum[min(i + h + 1, n)] - cum[0]
    for i in range(h, n - h - 1):  # interior, vectorisable
        win[i + 1] = cum[i + h + 1] - cum[i - h]
    for i in range(max(n - h - 1, h), n):
        win[i + 1] = cum[n] - cum[max(i - h, 0)]
    for i in range(n):
        cur = win[i + 1]
        is_peak = (cur >= mpm) & (cur > 0.0) & (cur >= win[i]) & (cur > win[i + 2])
        if is_peak:
            npk += 1
            if low_i < 0:
                low_i = i
                low_m = cur
            if cur > best_m:
                best_m = cur
                best_i = i
    if best_i >= 0:
        out[11] = math.exp(g0 + (best_i + 0.5) * step)
        out[12] = best_m / total
        out[13] = math.exp(g0 + (low_i + 0.5) * step)
        out[14] = low_m / total
    else:
        out[11:15] = np.nan
    out[15] = npk
    out[16] = _below(cum, stack, g0, step, zone_lo * (1.0 + prm[_BZ])) / total
    out[17] = 1.0 - _below(cum, stack, g0, step, zone_hi * (1.0 - prm[_TZ])) / total


@njit(cache=True)
def init_stack(stack: np.ndarray, step: float, anchor: float, low: float, high: float, ref: float) -> float:
    """Start an empty stack: the whole float at the first bar's prices; returns g0."""
    n = stack.shape[0]
    g0 = math.log(ref) - anchor * n * step
    stack[:] = 0.0
    add_bar_chips(stack, g0, step, low, high, ref, 1.0)
    return g0


@njit(cache=True)
def rolling_low_high(
    low: np.ndarray,
    high: np.ndarray,
    start: int,
    end: int,
    window: int,
    out_lo: np.ndarray,
    out_hi: np.ndarray,
) -> None:
    """Rolling min of low / max of high over the last ``window`` bars (inclusive) of rows [start, end): O(n)."""
    m = end - start
    dq_lo = np.empty(m, dtype=np.int64)
    dq_hi = np.empty(m, dtype=np.int64)
    hl = 0
    tl = 0
    hh = 0
    th = 0
    for t in range(start, end):
        while tl > hl and low[dq_lo[tl - 1]] >= low[t]:
            tl -= 1
        dq_lo[tl] = t
        tl += 1
        while th > hh and high[dq_hi[th - 1]] <= high[t]:
            th -= 1
        dq_hi[th] = t
        th += 1
        while dq_lo[hl] <= t - window:
            hl += 1
        while dq_hi[hh] <= t - window:
            hh += 1
        out_lo[t] = low[dq_lo[hl]]
        out_hi[t] = high[dq_hi[hh]]


@njit(cache=True)
def run_stock(
    start: int,
    end: int,
    low: np.ndarray,
    high: np.ndarray,
    close: np.ndarray,
    ref: np.ndarray,
    tau: np.ndarray,
    k_norm: np.ndarray,
    prm: np.ndarray,
    mode: int,
    n_bins: int,
    step: float,
    anchor: float,
    margin: int,
    metrics: np.ndarray,
    keep_stacks: bool,
    stacks: np.ndarray,
    g0s: np.ndarray,
) -> None:
    """Evolve one stock over rows [start, end) writing metrics[:, t] (and, if asked, every stack and g0)."""
    stack = np.zeros(n_bins)
    zlo = np.empty(end - start)
    zhi = np.empty(end - start)
    rolling_low_high(low[start:end], high[start:end], 0, end - start, int(prm[_ZW]), zlo, zhi)
    cum = np.empty(work_size(n_bins))
    out = np.empty(N_METRICS)
    g0 = 0.0
    started = False
    for t in range(start, end):
        if not (close[t] > 0.0 and low[t] > 0.0):
            metrics[:, t] = np.nan
            continue
        if not started:
            g0 = init_stack(stack, step, anchor, low[t], high[t], ref[t])
            g0 = fit_grid(stack, g0, step, low[t], high[t], margin)
            started = True
        else:
            g0 = chip_step(stack, g0, step, margin, low[t], high[t], ref[t], tau[t], k_norm[t], prm, mode)
        stack_metrics(stack, g0, step, close[t], zlo[t - start], zhi[t - start], prm, out, cum)
        metrics[:, t] = out
        if keep_stacks:
            stacks[t - start, :] = stack
            g0s[t - start] = g0


@njit(cache=True, parallel=True)
def chips_batch(
    offsets: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    close: np.ndarray,
    ref: np.ndarray,
    tau: np.ndarray,
    k_norm: np.ndarray,
    prm: np.ndarray,
    mode: int,
    n_bins: int,
    step: float,
    anchor: float,
    margin: int,
) -> np.ndarray:
    """All stocks at once: rows of stock s are [offsets[s], offsets[s+1]); returns (N_METRICS, n_rows)."""
    n = close.shape[0]
    metrics = np.empty((N_METRICS, n))
    dummy = np.empty((1, 1))
    dummy_g = np.empty(1)
    for s in prange(offsets.shape[0] - 1):
        run_stock(
            offsets[s], offsets[s + 1], low, high, close, ref, tau, k_norm, prm[s], mode,
            n_bins, step, anchor, margin, metrics, False, dummy, dummy_g,
        )  # fmt: skip
    return metrics
