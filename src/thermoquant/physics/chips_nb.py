"""Numba kernels of the grid chip model (plain arrays in, arrays out).

A stack is a float64 vector over a stock's log-spaced price grid (see :class:`GridSpec`): ``stack[i]`` is the
share of the float whose cost lies in bin ``i``.  The stack always sums to 1 (the float) after the first bar.
One bar moves it by :func:`chip_step`; :func:`stack_metrics` reads the bar's metrics off it.  The batch driver
:func:`chips_batch` runs all stocks at once, parallel over stocks (``prange``).

Speed notes (the batch path runs ~10^7 stock-bars; ``tests/physics/test_chips_reference.py`` checks every metric
against a plain NumPy evaluation of the definitions):
- the per-bar loop reaches its arrays through borrowed views (:func:`borrow`), which numba does not
  reference-count: otherwise every call and every view costs an atomic increment and decrement, on counters
  that both threads share for the shared arrays (a quarter of the single-thread run time under ``perf``);
- every pass works on the stack's *span* (:func:`span_of`, the bins holding mass), kept up to date through each
  bar instead of rescanned; the dust rule (:data:`DUST`) keeps vanishing old chips from widening it;
- one pass per bar (:func:`stack_sums`, after the new chips) gives the prefix sums and the cost-weighted sum; the
  prefix sums are carried to the next bar, whose burn groups read them, and every metric reads them: quantile
  bins are counted branch-free instead of walked; the peak search runs branch-free passes over the windows
  (:func:`_find_peaks`), only where a heavy-enough window can sit (:func:`_mass_counts`), on a stack with empty
  guard bins around it (:func:`work_views`);
- views inside the per-bar path are taken by address (:func:`borrow_range`), not by slicing (a slice clamps and
  normalises its bounds; the peak search took eight slices per bar);
- hot loops index from 0 over views, or with unsigned indices: a possibly negative index makes numba emit a
  wraparound test that stops LLVM vectorising (so does an early return before the peak loops, and a load under
  a condition becomes a masked load that cannot take a value from a pending store); where a value varies from bin
  to bin or bar to bar unpredictably (the side of the triangle's apex), both sides are computed and selected;
- prices enter as logs, computed once per bar; bin prices (and the new chips' bin edges) are ``exp(g0)`` times a
  per-grid table of ratios (:func:`grid_ratios`) instead of one ``exp`` per bin, and ``exp(g0)`` itself is
  recomputed only when the grid moves (no ``exp`` on most bars);
- per-bar helpers are inlined and written without branches around array accesses, and ``error_model="numpy"``
  removes the division-by-zero raise paths; divisions by the total are one reciprocal per bar;
- no ``fastmath`` flag: the cost-weighted sum runs four accumulators by hand.
Results equal the plain left-to-right evaluation up to rounding: ~1e-15 relative, ~1e-13 absolute on masses
obtained as differences of cumulative sums.
"""

from __future__ import annotations

import math

import numpy as np
from numba import carray, njit, prange, types, uint64
from numba.core import cgutils
from numba.extending import intrinsic

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

#: The metrics read off the prefix sums in a few steps per bar.  The others (cost quantiles, concentration,
#: peaks: :data:`SPAN_METRICS`) cost passes over the stack's span, which a run skips when it writes none of them.
BASE_METRICS: tuple[str, ...] = ("profit_ratio", "avg_cost", "q_below", "q_above", "bottom_mass", "top_mass")
SPAN_METRICS: tuple[str, ...] = tuple(c for c in METRIC_COLUMNS if c not in BASE_METRICS)


def metric_rows(names: tuple[str, ...] | None = None) -> tuple[np.ndarray, tuple[str, ...]]:
    """(row map, written names) of a run writing ``names`` (None: all): ``rows[k]`` is the output row of
    METRIC_COLUMNS[k], or -1 when it is not written; the output rows follow METRIC_COLUMNS order."""
    wanted = set(METRIC_COLUMNS if names is None else names)
    unknown = sorted(wanted - set(METRIC_COLUMNS))
    if unknown:
        raise ValueError(f"unknown chip metrics {unknown}; known: {list(METRIC_COLUMNS)}")
    written = tuple(c for c in METRIC_COLUMNS if c in wanted)
    rows = np.array([written.index(c) if c in wanted else -1 for c in METRIC_COLUMNS], dtype=np.int64)
    return rows, written


_ALL_ROWS = metric_rows()[0]
_IS_SPAN = np.array([c in SPAN_METRICS for c in METRIC_COLUMNS])  # per METRIC_COLUMNS entry

#: Dust: after a bar's burn, a bin holding less than this share of the float (under one share for a float below
#: 10 bn shares) is emptied and its chips join the bar's new chips (in the bin that received most of them), so
#: the stack still sums to the float.  Without it every bin a stock ever traded in keeps a vanishing mass (old chips decay
#: geometrically, never to 0) and every per-bar pass runs over those bins too (docs/physics.md: its effect).
DUST = 1e-10

# error_model="numpy": a float division by zero gives inf/NaN instead of raising (no kernel divides by zero on
# valid input).  Per-bar helpers are inlined (``inline="always"``): numba cannot drop the (atomic) reference
# counting of arrays passed to a call it cannot see through, nor around raise paths.
_JIT = {"cache": True, "error_model": "numpy"}


@intrinsic
def _address_as_voidptr(typingctx, address):  # type: ignore[no-untyped-def]
    """The integer ``address`` as a ``void*`` (numba intrinsic)."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.inttoptr(args[0], cgutils.voidptr_t)

    return types.voidptr(types.intp), codegen


@njit(inline="always", **_JIT)
def borrow(a: np.ndarray) -> np.ndarray:
    """A view of the C-contiguous float64 array ``a`` that numba does not reference-count, for per-bar paths.

    numba increments and decrements an array's reference count (an atomic instruction, on a counter that both
    threads hit when they share the array) every time the array enters a function or a view of it is taken; in
    the per-bar loop that cost a quarter of the run time.  The view has no owner: it must not outlive ``a``,
    which therefore must be an argument of the function that borrows it (numba frees a local array after its
    last use, which the view does not count as)."""
    if not a.flags.c_contiguous:
        raise ValueError("borrow: the array must be C-contiguous")
    return carray(_address_as_voidptr(a.ctypes.data), a.shape, np.float64)


@njit(inline="always", **_JIT)
def borrow_range(a: np.ndarray, start: int, length: int) -> np.ndarray:
    """:func:`borrow` of ``a[start : start + length]`` (1-D float64, bounds not checked)."""
    return carray(_address_as_voidptr(a.ctypes.data + 8 * start), length, np.float64)


@njit(inline="always", **_JIT)
def borrow_bits(a: np.ndarray) -> np.ndarray:
    """:func:`borrow` of a 1-D float64 array's bits as int64: for values >= 0 (and not NaN) the integers order as
    the floats do, and an integer maximum vectorises where a float one does not."""
    return carray(_address_as_voidptr(a.ctypes.data), a.shape, np.int64)


# ---------------------------------------------------------------------------------------------------------------
# grid
# ---------------------------------------------------------------------------------------------------------------


@njit(**_JIT)
def grid_ratios(n_bins: int, step: float) -> np.ndarray:
    """Bin prices relative to ``exp(g0)``: ``[0, n_bins]`` the edges ``exp(i*step)``, then ``[n_bins + 1,
    2*n_bins]`` the mids ``exp((i + 0.5)*step)`` (2*n_bins + 1 values; one table per grid)."""
    out = np.empty(2 * n_bins + 1)
    for i in range(n_bins + 1):
        out[i] = math.exp(i * step)
    for i in range(n_bins):
        out[n_bins + 1 + i] = math.exp((i + 0.5) * step)
    return out


@njit(inline="always", **_JIT)
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


@njit(inline="always", **_JIT)
def grid_shifts(
    n: int, g0: float, step: float, log_low: float, log_high: float, margin: int
) -> tuple[int, int]:
    """(up, down) >= 0: shift the grid up by ``up`` bins, then down by ``down``, so that [low, high] (given as logs)
    lies inside it with ``margin`` spare bins."""
    lo_i = math.floor((log_low - g0) / step)
    hi_i = math.floor((log_high - g0) / step)
    up = max(hi_i - (n - 1 - margin), 0)
    down = max(margin - (lo_i - up), 0)
    return up, down


@njit(**_JIT)
def fit_grid_log(
    stack: np.ndarray, g0: float, step: float, log_low: float, log_high: float, margin: int
) -> float:
    """Shift the grid (whole bins) so that [low, high] (given as logs) lies inside it with ``margin`` spare bins;
    returns g0."""
    up, down = grid_shifts(stack.shape[0], g0, step, log_low, log_high, margin)
    shift_grid(stack, up)  # no-op for 0
    shift_grid(stack, -down)
    return g0 + up * step - down * step


@njit(**_JIT)
def fit_grid(stack: np.ndarray, g0: float, step: float, low: float, high: float, margin: int) -> float:
    """:func:`fit_grid_log` with prices (CNY)."""
    return fit_grid_log(stack, g0, step, math.log(low), math.log(high), margin)


# ---------------------------------------------------------------------------------------------------------------
# one bar
# ---------------------------------------------------------------------------------------------------------------


@njit(inline="always", **_JIT)
def _tri_cdf(x: float, a: float, c: float, b: float, per_left: float, per_right: float) -> float:
    """CDF of the triangular distribution on [a, b] with mode c (a < b, a <= c <= b); ``per_left`` =
    1 / ((b - a)(c - a)), ``per_right`` = 1 / ((b - a)(b - c)) (computed once per bar, inf where unused)."""
    # selects, not branches: where x falls against c varies from bin to bin (the unused side may be inf or NaN)
    left = (x - a) * (x - a) * per_left
    right = 1.0 - (b - x) * (b - x) * per_right
    r = left if x <= c else right
    r = 0.0 if x <= a else r
    return 1.0 if x >= b else r


@njit(**_JIT)
def span_of(stack: np.ndarray) -> tuple[int, int]:
    """(lo, hi): bins [lo, hi) hold every non-zero mass of the stack, and stack[lo], stack[hi - 1] are non-zero
    ((0, 0) for an empty stack).  The kernels work on this span only: outside it every mass is exactly 0."""
    n = stack.shape[0]
    lo = 0
    while lo < n and stack[lo] == 0.0:
        lo += 1
    hi = n
    while hi > lo and stack[hi - 1] == 0.0:
        hi -= 1
    return (lo, hi) if lo < hi else (0, 0)


@njit(inline="always", **_JIT)
def _trim(stack: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
    """Shrink a span [lo, hi) that holds every non-zero mass to :func:`span_of`'s exact span."""
    while lo < hi and stack[lo] == 0.0:
        lo += 1
    while hi > lo and stack[hi - 1] == 0.0:
        hi -= 1
    return (lo, hi) if lo < hi else (0, 0)


@njit(inline="always", **_JIT)
def _add_chips(
    stack: np.ndarray,
    g0: float,
    step: float,
    log_low: float,
    log_high: float,
    low: float,
    high: float,
    apex: float,
    mass: float,
    scale: float,
    ratios: np.ndarray,
) -> tuple[int, int]:
    """Add ``mass`` of new chips over [low, high] (prices and their logs), triangular with mode ``apex`` (one-price
    bar: one bin); returns the bins [i0, i1) that received chips (empty when mass <= 0) and the bin that received
    the most (the lowest of equals; i0 when none did).  ``scale`` = exp(g0), ``ratios`` = :func:`grid_ratios` of
    the grid."""
    n = stack.shape[0]
    i0 = min(max(math.floor((log_low - g0) / step), 0), n - 1)
    i1 = min(math.floor((log_high - g0) / step), n - 1)
    if high <= low or i1 <= i0:  # one-price bar, or a range inside one bin
        i1 = i0
    if mass <= 0.0:
        i1 = i0 - 1
    c = min(max(apex, low), high)
    per_left, per_right = 1.0 / ((high - low) * (c - low)), 1.0 / ((high - low) * (high - c))
    # bin mass = CDF difference at the bin's upper edge (scale times the edge ratio, i + 1 <= n); the last bin
    # takes the remainder up to 1, so the bar adds exactly ``mass`` (all of it when the bar spans one bin)
    prev = 0.0
    most, heaviest = i0, 0.0
    for i in range(i0, i1 + 1):
        cur = _tri_cdf(scale * ratios[i + 1], low, c, high, per_left, per_right) if i < i1 else 1.0
        add = mass * (cur - prev)
        stack[i] += add
        most, heaviest = (i, add) if add > heaviest else (most, heaviest)
        prev = cur
    return i0, i1 + 1, most


@njit(**_JIT)
def add_bar_chips(
    stack: np.ndarray, g0: float, step: float, low: float, high: float, apex: float, mass: float
) -> None:
    """Add ``mass`` of new chips over [low, high] (CNY), triangular with mode ``apex`` (one-price bar: one bin)."""
    ratios = grid_ratios(stack.shape[0], step)
    _add_chips(stack, g0, step, math.log(low), math.log(high), low, high, apex, mass, math.exp(g0), ratios)


@njit(inline="always", **_JIT)
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


# Hot loops index with unsigned integers (or from 0 over a view of a borrowed array): an index that cannot be
# negative lets LLVM drop numba's negative-index wraparound and vectorise.


@njit(inline="always", **_JIT)
def _burn(
    stack: np.ndarray, lo: int, hi: int, ip: int, ix: int, keep0: float, keep1: float, keep2: float
) -> int:
    """Within the span [lo, hi): multiply bins below ip by keep0, [ip, ix) by keep1, from ix on by keep2; masses
    below DUST become 0 (:func:`chip_step_log` puts them back into the bar's new chips).  Returns the number of
    bins so emptied."""
    ipu, ixu = uint64(max(ip, 0)), uint64(max(ix, 0))
    emptied = 0
    for i in range(uint64(max(lo, 0)), uint64(max(hi, 0))):
        keep = keep0 if i < ipu else (keep1 if i < ixu else keep2)
        v = stack[i] * keep
        dust = v < DUST
        emptied += dust & (v > 0.0)
        stack[i] = 0.0 if dust else v
    return emptied


@njit(inline="always", **_JIT)
def _shifted_span(lo: int, hi: int, n: int, up: int, down: int) -> tuple[int, int]:
    """A span holding every non-zero mass after shifting the grid up by ``up`` bins then down by ``down`` (chips
    pushed past an edge merge into the edge bin)."""
    if lo >= hi:
        return lo, hi
    lo, hi = max(lo - up, 0), max(hi - up, 1)
    return min(lo + down, n - 1), min(hi + down, n)


@njit(inline="always", **_JIT)
def _burn_keeps(
    m0: float, m1: float, m2: float, tau: float, k_norm: float, prm: np.ndarray, mode: int
) -> tuple[float, float, float, float]:
    """(keep0, keep1, keep2, burnt): the share each bin group keeps and the mass burnt (tau in (0, 1])."""
    total = m0 + m1 + m2
    if mode == MODE_TDX:
        f = min(1.0, prm[_TDXA] * tau)
        return 1.0 - f, 1.0 - f, 1.0 - f, f * m0  # one group: m0 is the total
    wp = prm[_PW]
    if k_norm == k_norm:  # not NaN
        if k_norm >= prm[_KLOCK]:
            wp = prm[_PWL]
        elif k_norm <= prm[_KDIST]:
            wp = prm[_MAXW]
    burnt = tau * total
    if burnt >= total:
        return 0.0, 0.0, 0.0, burnt
    f0, f1, f2 = burn_fractions(m0, m1, m2, wp, prm[_TW], prm[_MAXW], burnt)
    return 1.0 - f0, 1.0 - f1, 1.0 - f2, burnt


@njit(inline="always", **_JIT)
def stack_sums(
    stack: np.ndarray, lo: int, hi: int, cum: np.ndarray, ratios: np.ndarray
) -> tuple[float, float]:
    """One pass over the span [lo, hi): cum[i] = sum(stack[:i]) for i in [lo, hi] (0 at lo: no mass below the
    span) and (total mass, dot) with dot = sum(stack * mid ratio), the average cost times total / exp(g0).

    Blocks of four: the running sums inside a block do not wait for the total below it, so the adds pipeline.  cum
    is non-decreasing (masses are >= 0), which the quantile search relies on.
    """
    n = uint64(stack.shape[0])
    lo_u = uint64(max(lo, 0))
    m = uint64(max(hi - lo, 0))
    cum[lo_u] = 0.0
    acc = 0.0
    d0 = d1 = d2 = d3 = 0.0
    for blk in range(m >> uint64(2)):
        i = lo_u + (blk << uint64(2))
        x0, x1, x2, x3 = stack[i], stack[i + uint64(1)], stack[i + uint64(2)], stack[i + uint64(3)]
        s1 = x0 + x1
        s2 = s1 + x2
        cum[i + uint64(1)] = acc + x0
        cum[i + uint64(2)] = acc + s1
        cum[i + uint64(3)] = acc + s2
        acc = acc + (s2 + x3)
        cum[i + uint64(4)] = acc
        r = n + uint64(1) + i
        d0 += x0 * ratios[r]
        d1 += x1 * ratios[r + uint64(1)]
        d2 += x2 * ratios[r + uint64(2)]
        d3 += x3 * ratios[r + uint64(3)]
    for i in range(lo_u + (m & ~uint64(3)), lo_u + m):
        acc = acc + stack[i]
        cum[i + uint64(1)] = acc
        d0 += stack[i] * ratios[n + uint64(1) + i]
    return acc, (d0 + d1) + (d2 + d3)


@njit(inline="always", **_JIT)
def chip_step_log(
    stack: np.ndarray,
    g0: float,
    scale: float,
    span: tuple[int, int],
    step: float,
    margin: int,
    bar: tuple[float, float, float, float, float, float, float, float],
    prm: np.ndarray,
    log_keep_panic: float,
    mode: int,
    cum: np.ndarray,
    ratios: np.ndarray,
) -> tuple[float, float, tuple[int, int], float, float]:
    """Advance one stock's stack by one bar; returns the (possibly shifted) grid origin g0, its ``scale`` =
    exp(g0) (recomputed only when the grid shifts), the new span and the new stack's (total, dot) of
    :func:`stack_sums`.

    ``span`` is the stack's :func:`span_of`; ``ratios`` :func:`grid_ratios` of the grid; ``cum`` (n_bins + 1
    floats) holds the stack's prefix sums on the span on entry (:func:`stack_sums`) and the new stack's on exit:
    the metrics of the bar read them, and so does the next bar's step.
    ``bar`` = (log low, log high, log ref, low, high, ref, tau, k_norm):
    prices CNY; ``tau`` the bar's turnover as a fraction of the float (clipped to [0, 1]); ``ref`` its typical
    traded price (VWAP, else (O+H+L+C)/4); ``k_norm`` the normalised conductivity K (NaN = neutral).
    ``log_keep_panic`` = log(1 - panic_loss).  The chips burnt equal
    ``tau`` times the stack, so the total is unchanged; the same mass re-enters over [low, high].  Requires tau > 0
    (a bar without trade changes nothing).
    """
    ll, lh, lr, low, high, ref, tau, k_norm = bar
    tau = min(tau, 1.0)
    n = stack.shape[0]
    inv = 1.0 / step
    up, down = grid_shifts(n, g0, step, ll, lh, margin)
    lo, hi = span
    if up or down:  # rare: the prefix sums move with the stack
        shift_grid(stack, up)
        shift_grid(stack, -down)
        g0 = g0 + up * step - down * step
        scale = math.exp(g0)
        lo, hi = _shifted_span(lo, hi, n, up, down)
        stack_sums(stack, lo, hi, cum, ratios)
    # behavioral: three contiguous bin groups by the bin mid price against ref; tdx: one group
    ip = math.ceil((lr - g0) * inv - 0.5)  # bins [0, ip) are in profit (mid < ref)
    ip = min(max(ip, 0), n)
    lx = lr - log_keep_panic  # mid >= ref / (1 - panic) = loss beyond the panic line
    ix = math.ceil((lx - g0) * inv - 0.5)
    ix = min(max(ix, ip), n)
    if mode == MODE_TDX:
        ip = ix = n
    # group masses from the prefix sums over the span (cum[j] = mass below bin j for j in [lo, hi])
    total = cum[hi] if lo < hi else 0.0
    below_ip = cum[min(max(ip, lo), hi)]
    below_ix = cum[min(max(ix, lo), hi)]
    m0, m1, m2 = below_ip, below_ix - below_ip, total - below_ix
    keep0, keep1, keep2, burnt = _burn_keeps(m0, m1, m2, tau, k_norm, prm, mode)
    emptied = _burn(stack, lo, hi, ip, ix, keep0, keep1, keep2)
    a, b, k = _add_chips(stack, g0, step, ll, lh, low, high, ref, burnt, scale, ratios)
    if a < b:
        lo, hi = (min(lo, a), max(hi, b)) if lo < hi else (a, b)
    lo, hi = _trim(stack, lo, hi)
    before = total
    total, dot = stack_sums(stack, lo, hi, cum, ratios)
    # the dust the burn emptied (with the bar's rounding) joins the new chips, in the bin that received the most of
    # them: a bin inside the span, heavy enough that the rounding part can never make it negative
    swept = before - total
    if emptied > 0 and a < b:
        stack[k] += swept
        for j in range(uint64(k + 1), uint64(hi + 1)):
            cum[j] += swept
        total += swept
        dot += swept * ratios[n + 1 + k]
    return g0, scale, (lo, hi), total, dot


@njit(**_JIT)
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
    """:func:`chip_step_log` with prices (CNY); returns the new g0."""
    if not (tau > 0.0):
        return g0
    bar = (math.log(low), math.log(high), math.log(ref), low, high, ref, tau, k_norm)
    lkp = math.log(1.0 - prm[_PANIC])
    n = stack.shape[0]
    cum = np.empty(n + 1)
    ratios = grid_ratios(n, step)
    span = span_of(stack)
    stack_sums(stack, span[0], span[1], cum, ratios)
    return chip_step_log(stack, g0, math.exp(g0), span, step, margin, bar, prm, lkp, mode, cum, ratios)[0]


@njit(**_JIT)
def init_stack(stack: np.ndarray, step: float, anchor: float, low: float, high: float, ref: float) -> float:
    """Start an empty stack: the whole float at the first bar's prices; returns g0."""
    n = stack.shape[0]
    g0 = math.log(ref) - anchor * n * step
    stack[:] = 0.0
    add_bar_chips(stack, g0, step, low, high, ref, 1.0)
    return g0


# ---------------------------------------------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------------------------------------------


#: The peak search's loops run to a multiple of this many bins (reading guard bins past the end), so that no
#: scalar tail follows the vectorised loop.
_BLOCK = 16


@njit(**_JIT)
def guard_bins(h: int) -> int:
    """Empty bins kept on each side of a stack and of its prefix sums in a work buffer: the peak search with
    ±h-bin windows reads up to h + 1 bins below the grid and h + _BLOCK above it."""
    return h + _BLOCK


@njit(**_JIT)
def work_size(n_bins: int, h: int) -> int:
    """Floats in one stock's work buffer (:func:`work_views`): grid of ``n_bins``, peak half-width ``h``."""
    g = guard_bins(h)
    return (n_bins + 2 * g) + (n_bins + 1 + 2 * g) + (n_bins + _BLOCK)


@njit(inline="always", **_JIT)
def work_views(work: np.ndarray, n: int, h: int) -> tuple:
    """(stack, cum, padded): borrowed views of ``work`` (:func:`work_size` floats, all zero on entry).

    ``stack`` (n bins) and ``cum`` (its n + 1 prefix sums) each lie inside ``guard_bins(h)`` extra bins on both
    sides; ``padded`` = (padded stack, padded cum, window scratch) for :func:`_find_peaks`.  The stack's guard bins
    stay 0 (nothing writes outside a stack); the peak search reads the prefix sums' guard bins and discards what
    it finds there."""
    g = guard_bins(h)
    ls = n + 2 * g
    lc = n + 1 + 2 * g
    padded = (borrow_range(work, 0, ls), borrow_range(work, ls, lc), borrow_range(work, ls + lc, n + _BLOCK))
    return borrow_range(work, g, n), borrow_range(work, ls + g, n + 1), padded


@njit(inline="always", **_JIT)
def _below(
    cum: np.ndarray, stack: np.ndarray, lo: int, hi: int, g0: float, inv_step: float, log_price: float
) -> float:
    """Chip mass with cost <= price (log-linear inside the bin holding ``price``); ``cum`` = prefix sums on the
    span [lo, hi] (a non-empty span), ``inv_step`` = 1 / log step.  Reads first, then selects: no branch around
    an array access."""
    pos = (log_price - g0) * inv_step
    j = math.floor(pos) if pos > 0.0 else -1
    jc = min(max(j, lo), hi - 1)
    inside = cum[jc] + stack[jc] * (pos - jc)
    total = cum[hi]
    return 0.0 if j < lo else (total if j >= hi else inside)


@njit(inline="always", **_JIT)
def _exp_small(x: float) -> float:
    """exp(x) for 0 <= x <= log_step (a few %): 6-term Taylor series, relative error < 1e-13 for x <= 0.05."""
    return 1.0 + x * (
        1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x * (1.0 / 720.0)))))
    )


@njit(inline="always", **_JIT)
def _mass_counts(cum: np.ndarray, lo: int, hi: int, targets: tuple, floor: float) -> tuple:
    """Counts over the prefix sums of the span [lo, hi), in one branch-free (vectorisable) pass; returns
    (quantile bins, heavy core):

    - quantile bins: for each of the five ``targets`` (> 0, < the total), the bin holding that much mass from
      below, i.e. the number of j in [1, n) with cum[j] < target (cum is non-decreasing: where a left-to-right
      walk stops);
    - heavy core: (number of j with cum[j] < ``floor``, number with cum[j] <= total - floor).  A window of at
      least ``floor`` mass around bin i needs cum[i + h + 1] >= floor and cum[i - h] <= total - floor, so it lies
      in [first - h, second + h] (:func:`_find_peaks`).

    Below the span cum is 0 (counted), from hi on it is the total (not counted), so only (lo, hi) is searched.
    """
    t0, t1, t2, t3, t4 = targets
    ceiling = cum[hi] - floor
    c0 = c1 = c2 = c3 = c4 = below = upto = lo
    for j in range(uint64(max(lo + 1, 0)), uint64(max(hi, 0))):
        v = cum[j]
        c0 += v < t0
        c1 += v < t1
        c2 += v < t2
        c3 += v < t3
        c4 += v < t4
        below += v < floor
        upto += v <= ceiling
    return (c0, c1, c2, c3, c4), (below, upto)


@njit(inline="always", **_JIT)
def _quantile_price(
    cum: np.ndarray, stack: np.ndarray, i: int, target: float, edge: float, step: float
) -> float:
    """Price (CNY) of ``target`` mass inside bin ``i`` whose lower edge is ``edge``: log-linear in the bin."""
    num, den = target - cum[i], stack[i]
    frac = num / den if den > 0.0 else 0.5
    return edge * _exp_small(min(max(frac, 0.0), 1.0) * step)


@njit(**_JIT)
def _find_peaks(
    padded: tuple, n: int, lo: int, hi: int, h: int, floor: float, total: float, core: tuple[int, int]
) -> tuple[int, int, int, float, float]:
    """Peaks of a stack with span [lo, hi): bins i in [0, n) whose window mass W(i) (bins i - h .. i + h, none
    outside the grid) is at least ``floor`` (> 0), does not rise into i (W(i) >= W(i - 1)) and falls after it
    (W(i + 1) < W(i)).  Returns (number of peaks, lowest peak bin, heaviest peak bin (the lowest of equals), the
    lowest's and the heaviest's window mass); bins -1 and masses 0 without peaks.

    The rise and fall are decided exactly by the bins entering and leaving the window, so rounding in the prefix
    sums never makes or breaks a plateau.  ``padded`` is :func:`work_views`' (the prefix sums valid on [lo, hi],
    ``total`` their last); only the bins :func:`_mass_counts` (``core``) allows are searched.  The loops are
    branch-free over views indexed from 0 (so they vectorise; an early return here stops that) and run to a
    multiple of _BLOCK windows, reading guard bins past the end.
    """
    sp, cp, win = padded
    g = guard_bins(h)
    b = min(hi + h, core[1] + h + 1, n)  # outside [a, b) no window has mass, or enough of it
    a = min(max(lo - h, core[0] - h, 0), b)
    m = b - a
    mb = (m + _BLOCK - 1) // _BLOCK * _BLOCK
    # views by address (borrow_range), not slices: no bounds clamping per view, eight times per bar
    w = win
    bits = borrow_bits(win)  # windows are >= 0: their bits order as they do
    # W(a + j) = cum[a + j + h + 1] - cum[a + j - h]; the prefix sums are 0 below the span and the total above it
    # (selected, not stored: a store just before these wide loads would stall them)
    upper, lower = borrow_range(cp, g + a + h + 1, mb), borrow_range(cp, g + a - h, mb)
    j_top, j_bottom = hi - (a + h + 1), lo - (a - h)  # upper[j] is valid up to j_top, lower[j] from j_bottom
    for j in range(mb):  # windows past the last (j >= m) are set empty
        u, d = upper[j], lower[j]  # read unconditionally: a masked load cannot take a pending store's value
        x = (u if j <= j_top else total) - (d if j >= j_bottom else 0.0)
        w[j] = x if j < m else 0.0
    # W(i) - W(i - 1) = s[i + h] - s[i - h - 1];  W(i + 1) - W(i) = s[i + h + 1] - s[i - h]
    enter, leave = borrow_range(sp, g + a + h, mb + 1), borrow_range(sp, g + a - h - 1, mb + 1)
    count = 0
    first = mb
    last = 0
    top = 0
    for j in range(mb):
        pk = (w[j] >= floor) & (enter[j] >= leave[j]) & (leave[j + 1] > enter[j + 1])
        count += pk
        first = min(first, j if pk else mb)
        last = max(last, j if pk else 0)
        top = max(top, bits[j] if pk else 0)
    if count == 0:
        return 0, -1, -1, 0.0, 0.0
    best = first
    if count == 2:
        best = first if bits[first] >= bits[last] else last
    elif count > 2:  # the lowest peak as heavy as the heaviest, among the peaks first .. last
        span_w = borrow_range(w, first, last + 1 - first)
        span_bits = borrow_bits(span_w)
        span_enter, span_leave = (
            borrow_range(enter, first, last + 2 - first),
            borrow_range(leave, first, last + 2 - first),
        )
        best = mb
        for k in range(last + 1 - first):
            rises, falls = span_enter[k] >= span_leave[k], span_leave[k + 1] > span_enter[k + 1]
            pk = (span_w[k] >= floor) & rises & falls
            best = min(best, k if pk & (span_bits[k] == top) else mb)
        best += first
    return count, a + first, a + best, w[first], w[best]


@njit(**_JIT)
def log_bands(prm: np.ndarray) -> tuple[float, float, float, float]:
    """log(1 - q_band), log(1 + q_band), log(1 + bottom_zone), log(1 - top_zone) of one stock's parameters."""
    return (
        math.log(1.0 - prm[_QB]),
        math.log(1.0 + prm[_QB]),
        math.log(1.0 + prm[_BZ]),
        math.log(1.0 - prm[_TZ]),
    )


@njit(inline="always", **_JIT)
def stack_metrics_log(
    stack: np.ndarray,
    g0: float,
    scale: float,
    span: tuple[int, int],
    step: float,
    log_prices: tuple[float, float, float],
    prm: np.ndarray,
    bands: tuple[float, float, float, float],
    ratios: np.ndarray,
    out: np.ndarray,
    col: int,
    cum: np.ndarray,
    sums: tuple[float, float],
    padded: tuple,
    rows: np.ndarray,
    spans: bool,
) -> None:
    """Write the metrics of one stock-bar into ``out[:, col]`` (NaN when the stack is empty): metric k of
    METRIC_COLUMNS into row ``rows[k]`` (none where -1, :func:`metric_rows`); ``spans`` (:func:`_spans_needed`)
    False skips the span passes of SPAN_METRICS.

    ``scale`` = exp(g0) (CNY per unit of grid ratio); ``span`` the stack's :func:`span_of`; ``log_prices`` the
    logs of the bar's price (close) and of the rolling zone low and high; ``bands`` :func:`log_bands`; ``ratios``
    :func:`grid_ratios` of the grid; ``cum`` (n_bins + 1 floats) the stack's prefix sums on the span and
    ``sums`` its (total, dot), both as :func:`stack_sums` leaves them; ``stack``, ``cum`` and ``padded`` are the
    views :func:`work_views` gives for ``h`` = the stock's peak_halfwidth.
    """
    n = stack.shape[0]
    lo, hi = span
    inv = 1.0 / step
    total, dot = sums  # total 0 for an empty stack: every output is NaN (below)
    lp, lz_lo, lz_hi = log_prices
    per = 1.0 / total  # shares of the stack: one division per bar
    below = _below(cum, stack, lo, hi, g0, inv, lp)
    lq_lo, lq_hi, lb_lo, lb_hi = bands
    _put(out, rows, 0, col, below * per)
    _put(out, rows, 1, col, scale * dot * per)
    _put(out, rows, 9, col, (below - _below(cum, stack, lo, hi, g0, inv, lp + lq_lo)) * per)
    _put(out, rows, 10, col, (_below(cum, stack, lo, hi, g0, inv, lp + lq_hi) - below) * per)
    _put(out, rows, 16, col, _below(cum, stack, lo, hi, g0, inv, lz_lo + lb_lo) * per)
    _put(out, rows, 17, col, 1.0 - _below(cum, stack, lo, hi, g0, inv, lz_hi + lb_hi) * per)
    if spans:
        # cost quantiles 5/15/50/85/95 %
        tq = (0.05 * total, 0.15 * total, 0.5 * total, 0.85 * total, 0.95 * total)
        floor = max(prm[_MPM] * total, 5e-324)  # a peak's least window mass: heavy enough, and not empty
        iq, core = _mass_counts(cum, lo, hi, tq, floor)
        p05 = _quantile_price(cum, stack, iq[0], tq[0], scale * ratios[iq[0]], step)
        p15 = _quantile_price(cum, stack, iq[1], tq[1], scale * ratios[iq[1]], step)
        p50 = _quantile_price(cum, stack, iq[2], tq[2], scale * ratios[iq[2]], step)
        p85 = _quantile_price(cum, stack, iq[3], tq[3], scale * ratios[iq[3]], step)
        p95 = _quantile_price(cum, stack, iq[4], tq[4], scale * ratios[iq[4]], step)
        _put(out, rows, 2, col, p05)
        _put(out, rows, 3, col, p15)
        _put(out, rows, 4, col, p50)
        _put(out, rows, 5, col, p85)
        _put(out, rows, 6, col, p95)
        _put(out, rows, 7, col, (p95 - p05) / (p95 + p05))
        _put(out, rows, 8, col, (p85 - p15) / (p85 + p15))
        h = max(int(prm[_PH]), 0)
        npk, low_i, best_i, low_w, best_w = _find_peaks(padded, n, lo, hi, h, floor, total, core)
        nan_if_none = 1.0 if npk > 0 else np.nan  # best_i = low_i = -1 without peaks: indices stay valid
        _put(out, rows, 11, col, scale * ratios[n + 1 + best_i] * nan_if_none)
        _put(out, rows, 12, col, best_w * per * nan_if_none)
        _put(out, rows, 13, col, scale * ratios[n + 1 + low_i] * nan_if_none)
        _put(out, rows, 14, col, low_w * per * nan_if_none)
        _put(out, rows, 15, col, float(npk))
    if not (total > 0.0):  # empty stack
        for k in range(out.shape[0]):
            out[k, col] = np.nan


@njit(inline="always", **_JIT)
def _put(out: np.ndarray, rows: np.ndarray, k: int, col: int, value: float) -> None:
    """``out[rows[k], col] = value`` where metric k is written (``rows[k] >= 0``, :func:`metric_rows`)."""
    r = rows[k]
    if r >= 0:
        out[r, col] = value


@njit(**_JIT)
def _spans_needed(rows: np.ndarray) -> bool:
    """Whether a run with the row map ``rows`` writes any SPAN_METRICS column (their passes are needed)."""
    for k in range(rows.shape[0]):  # noqa: SIM110 - numba compiles no generator in any()
        if rows[k] >= 0 and _IS_SPAN[k]:
            return True
    return False


@njit(**_JIT)
def _stack_metrics_in(
    stack: np.ndarray,
    g0: float,
    step: float,
    logs: tuple[float, float, float],
    prm: np.ndarray,
    out: np.ndarray,
    ratios: np.ndarray,
    work: np.ndarray,
) -> None:
    """:func:`stack_metrics` with the stack copied into ``work`` (zeros, :func:`work_size`), which the caller owns:
    the borrowed views the metrics read point into it, so it must outlive this call."""
    n = stack.shape[0]
    st, cum, padded = work_views(work, n, max(int(prm[_PH]), 0))
    st[:] = stack
    span = span_of(st)
    sums = stack_sums(st, span[0], span[1], cum, ratios)
    out2 = out.reshape((out.shape[0], 1))
    stack_metrics_log(
        st, g0, math.exp(g0), span, step, logs, prm, log_bands(prm), ratios, out2, 0, cum, sums, padded, _ALL_ROWS,
        True,
    )  # fmt: skip


@njit(**_JIT)
def stack_metrics(
    stack: np.ndarray,
    g0: float,
    step: float,
    price: float,
    zone_lo: float,
    zone_hi: float,
    prm: np.ndarray,
    out: np.ndarray,
    ratios: np.ndarray,
) -> None:
    """:func:`stack_metrics_log` with prices (CNY) — ``price`` (close), rolling ``zone_lo`` / ``zone_hi`` — into the
    vector ``out`` (one stock's stack)."""
    logs = (math.log(price), math.log(zone_lo), math.log(zone_hi))
    work = np.zeros(work_size(stack.shape[0], max(int(prm[_PH]), 0)))
    _stack_metrics_in(stack, g0, step, logs, prm, out, ratios, work)  # work lives until this call returns


# ---------------------------------------------------------------------------------------------------------------
# drivers
# ---------------------------------------------------------------------------------------------------------------


@njit(**_JIT)
def rolling_low_high(
    low: np.ndarray,
    high: np.ndarray,
    start: int,
    end: int,
    window: int,
    out_lo: np.ndarray,
    out_hi: np.ndarray,
) -> None:
    """Rolling min of low / max of high over the last ``window`` bars (inclusive) of rows [start, end); values that
    are not finite (missing prices, or the log of a zero price) are skipped (+inf / -inf when a window has none).

    van Herk / Gil-Werman: in blocks of ``window`` rows, a running min from each block's start and one from its
    end; a window spans at most two blocks, so its min is the second block's running min at its last row and
    the first block's from its first row.  Three branch-free passes, O(1) per row whatever the window.
    """
    w = max(window, 1)
    m = end - start
    suf_lo = np.empty(m)
    suf_hi = np.empty(m)
    for b0 in range(0, m, w):
        b1 = min(b0 + w, m)
        acc_lo, acc_hi = np.inf, -np.inf
        for i in range(b0, b1):  # from the block's start
            x, y = low[start + i], high[start + i]
            acc_lo = x if (x < acc_lo) and math.isfinite(x) else acc_lo
            acc_hi = y if (y > acc_hi) and math.isfinite(y) else acc_hi
            out_lo[start + i], out_hi[start + i] = acc_lo, acc_hi
        acc_lo, acc_hi = np.inf, -np.inf
        for i in range(b1 - 1, b0 - 1, -1):  # from the block's end
            x, y = low[start + i], high[start + i]
            acc_lo = x if (x < acc_lo) and math.isfinite(x) else acc_lo
            acc_hi = y if (y > acc_hi) and math.isfinite(y) else acc_hi
            suf_lo[i], suf_hi[i] = acc_lo, acc_hi
    for i in range(w - 1, m):  # earlier windows start at row 0: the first block's running values
        first = i - w + 1
        out_lo[start + i] = min(out_lo[start + i], suf_lo[first])
        out_hi[start + i] = max(out_hi[start + i], suf_hi[first])


@njit(**_JIT)
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
    ratios: np.ndarray,
    metrics: np.ndarray,
    keep_stacks: bool,
    stacks: np.ndarray,
    g0s: np.ndarray,
    work: np.ndarray,
    rows: np.ndarray,
) -> None:
    """Evolve one stock over rows [start, end) writing metrics[:, t] (and, if asked, every stack and g0); ``rows``:
    the row map of :func:`metric_rows`.

    ``work``: :func:`work_size` floats for the stock's peak_halfwidth, owned by the caller.  The per-bar loop
    reaches ``work``, ``ratios``, ``prm`` and ``metrics`` through borrowed views (:func:`borrow`)."""
    m = end - start
    log_low = np.log(low[start:end])
    log_high = np.log(high[start:end])
    # zones: the rolling low / high of the logs (log is monotone: the log of the rolling low / high)
    zlo = np.empty(m)
    zhi = np.empty(m)
    rolling_low_high(log_low, log_high, 0, m, int(prm[_ZW]), zlo, zhi)
    work[:] = 0.0
    # cum: the stack's prefix sums on its span, carried from bar to bar
    stack, cum, padded = work_views(work, n_bins, max(int(prm[_PH]), 0))
    ratios, prm, metrics = borrow(ratios), borrow(prm), borrow(metrics)
    bands = log_bands(prm)
    spans = _spans_needed(rows)
    log_keep_panic = math.log(1.0 - prm[_PANIC])
    g0 = scale = 0.0  # scale = exp(g0), recomputed only when the grid moves
    span = (0, 0)
    sums = (0.0, 0.0)  # (total, dot) of stack_sums
    started = False
    for t in range(start, end):
        if not (close[t] > 0.0 and low[t] > 0.0):
            metrics[:, t] = np.nan
            continue
        i = t - start
        if not started:
            g0 = init_stack(stack, step, anchor, low[t], high[t], ref[t])
            g0 = fit_grid_log(stack, g0, step, log_low[i], log_high[i], margin)
            scale = math.exp(g0)
            span = span_of(stack)
            sums = stack_sums(stack, span[0], span[1], cum, ratios)
            started = True
        elif tau[t] > 0.0:
            bar = (log_low[i], log_high[i], math.log(ref[t]), low[t], high[t], ref[t], tau[t], k_norm[t])
            g0, scale, span, total, dot = chip_step_log(
                stack, g0, scale, span, step, margin, bar, prm, log_keep_panic, mode, cum, ratios
            )
            sums = (total, dot)
        logs = (math.log(close[t]), zlo[i], zhi[i])
        stack_metrics_log(
            stack, g0, scale, span, step, logs, prm, bands, ratios, metrics, t, cum, sums, padded, rows, spans
        )  # fmt: skip
        if keep_stacks:
            stacks[i, :] = stack
            g0s[i] = g0


@njit(parallel=True, **_JIT)
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
    out: np.ndarray | None = None,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """All stocks at once: rows of stock s are [offsets[s], offsets[s+1]); returns the metric matrix (one row per
    metric written: ``rows``, the row map of :func:`metric_rows`, default all of METRIC_COLUMNS), written into
    ``out`` when given (C-contiguous float64 of that shape: a NumPy allocation of this size gets transparent huge
    pages, so its first touch costs far fewer page faults than the kernel's own allocation).  Metrics not written
    cost nothing, and without any of SPAN_METRICS the per-bar span passes are skipped."""
    n = close.shape[0]
    if rows is None:  # noqa: SIM108 - numba prunes an `is None` branch on an argument, not a ternary
        written = _ALL_ROWS
    else:
        written = rows
    n_out = 0
    for k in range(written.shape[0]):
        n_out += written[k] >= 0
    if out is None:  # noqa: SIM108 - numba prunes an `is None` branch on an argument, not a ternary
        metrics = np.empty((n_out, n))
    else:
        metrics = out
    if metrics.shape[0] != n_out or metrics.shape[1] != n:
        raise ValueError("chips_batch: out must have one row per metric written and one column per bar")
    ratios = grid_ratios(n_bins, step)
    dummy = np.empty((1, 1))
    dummy_g = np.empty(1)
    for s in prange(offsets.shape[0] - 1):
        run_stock(
            offsets[s], offsets[s + 1], low, high, close, ref, tau, k_norm, prm[s], mode,
            n_bins, step, anchor, margin, ratios, metrics, False, dummy, dummy_g,
            np.empty(work_size(n_bins, max(int(prm[s, _PH]), 0))), written,
        )  # fmt: skip
    return metrics
