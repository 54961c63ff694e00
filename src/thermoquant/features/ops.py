"""Panel operations named after their Tongdaxin / TA-Lib counterparts, on (stocks × days) float64 panels.

Thin wrappers over :mod:`thermoquant.features.kernels` that thread the :class:`ComputeContext` (``start`` column,
recursive state). Names follow Tongdaxin: ``REF`` → :func:`ref`, ``MA`` → :func:`ma`, ``HHV``/``LLV`` →
:func:`hhv`/:func:`llv`, ``SUM`` → :func:`msum`, ``SMA(X,N,M)`` → :func:`sma_tdx`, ``EMA`` → :func:`ema`.
"""

from __future__ import annotations

import numpy as np

from thermoquant.features import kernels as nb
from thermoquant.features import kernels_ta as kta
from thermoquant.features.context import ComputeContext


def ref(x: np.ndarray, k: int = 1) -> np.ndarray:
    """Value ``k`` trading days earlier (Tongdaxin REF); NaN for the first ``k`` columns."""
    out = np.full_like(x, np.nan)
    if k < x.shape[1]:
        out[:, k:] = x[:, :-k] if k > 0 else x
    return out


def safe_div(a: np.ndarray, b: np.ndarray, fill: float = np.nan, scale: float = 1.0) -> np.ndarray:
    """``a / b × scale`` with ``fill`` (not scaled) where ``b == 0`` (NaN stays NaN); one fused pass."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    if a.ndim != 2 or a.shape != b.shape:
        a, b = np.broadcast_arrays(np.atleast_2d(a), np.atleast_2d(b))
        a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return nb.div_fill(a, b, float(fill), float(scale))


def flag(cond: np.ndarray, *valid: np.ndarray) -> np.ndarray:
    """1.0 where ``cond``, 0.0 elsewhere, NaN where any of ``valid`` is NaN."""
    out = cond.astype(np.float64)
    for v in valid:
        out[np.isnan(v)] = np.nan
    return out


def cross_up(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tongdaxin CROSS(A,B): 1.0 on the day A goes from ≤ B to > B, else 0.0; NaN until both have a past value."""
    pa, pb = ref(a), ref(b)
    return flag((pa <= pb) & (a > b), a, b, pa, pb)


def ma(x: np.ndarray, w: int, ctx: ComputeContext) -> np.ndarray:
    """Simple moving average over ``w`` trading days (Tongdaxin MA, TA-Lib SMA)."""
    return nb.roll_mean(x, w, ctx.start)


def msum(x: np.ndarray, w: int, ctx: ComputeContext) -> np.ndarray:
    """Sum over ``w`` trading days (Tongdaxin SUM(X,N) with N > 0, TA-Lib SUM)."""
    return nb.roll_sum(x, w, ctx.start)


def mstd(x: np.ndarray, w: int, ctx: ComputeContext, ddof: int = 1) -> np.ndarray:
    """Standard deviation over ``w`` trading days (sample, ddof=1, by default)."""
    return nb.roll_std(x, w, ddof, ctx.start)


def hhv(x: np.ndarray, w: int, ctx: ComputeContext) -> np.ndarray:
    """Highest value over ``w`` trading days (Tongdaxin HHV, TA-Lib MAX)."""
    return nb.roll_extreme(x, w, True, ctx.start)


def llv(x: np.ndarray, w: int, ctx: ComputeContext) -> np.ndarray:
    """Lowest value over ``w`` trading days (Tongdaxin LLV, TA-Lib MIN)."""
    return nb.roll_extreme(x, w, False, ctx.start)


def wma(x: np.ndarray, w: int, ctx: ComputeContext) -> np.ndarray:
    """Linearly weighted moving average (TA-Lib WMA; Tongdaxin WMA), newest weight ``w``."""
    return nb.roll_wma(x, w, ctx.start)


def _ewm(
    x: np.ndarray,
    alpha: float,
    key: str,
    ctx: ComputeContext,
    mode: int,
    seed_n: int = 0,
    seed_value: float = 0.0,
    skip: int = 0,
    seed_scale: float = 1.0,
) -> np.ndarray:
    y = nb.ewm(x, alpha, mode, seed_n, seed_value, skip, ctx.init(key, x.shape[0]), ctx.start, seed_scale)
    return ctx.keep(key, y)


def ema(
    x: np.ndarray, n: int, key: str, ctx: ComputeContext, convention: str | None = None, skip: int = 0
) -> np.ndarray:
    """Exponential moving average, alpha = 2/(n+1).

    ``tdx``: seeded with the first value (Tongdaxin EMA). ``talib``: seeded with the SMA of the first ``n`` values,
    first output at index n−1 (TA-Lib EMA, default compatibility).
    """
    conv = convention or ctx.convention
    if conv == "tdx":
        return _ewm(x, 2.0 / (n + 1), key, ctx, nb.SEED_FIRST)
    return _ewm(x, 2.0 / (n + 1), key, ctx, nb.SEED_SMA, seed_n=n, skip=skip)


def sma_tdx(
    x: np.ndarray, n: int, m: int, key: str, ctx: ComputeContext, seed: float | None = None
) -> np.ndarray:
    """Tongdaxin SMA(X,N,M): Y = (M·X + (N−M)·Y')/N; Y' starts as the first X, or as ``seed`` when given."""
    if seed is None:
        return _ewm(x, m / n, key, ctx, nb.SEED_FIRST)
    return _ewm(x, m / n, key, ctx, nb.SEED_CONST, seed_value=seed)


def wilder(
    x: np.ndarray, n: int, key: str, ctx: ComputeContext, seed_n: int | None = None, seed_scale: float = 1.0
) -> np.ndarray:
    """Wilder's smoothing (alpha = 1/n) seeded with the mean of the first ``seed_n`` (default n) valid values
    times ``seed_scale``."""
    return _ewm(x, 1.0 / n, key, ctx, nb.SEED_SMA, seed_n=seed_n or n, seed_scale=seed_scale)


def history_count(x: np.ndarray) -> np.ndarray:
    """Number of valid values so far in each row (1 on a stock's first bar)."""
    return np.cumsum(~np.isnan(x), axis=1)


def true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """TR = max(H−L, |H−C₁|, |L−C₁|) with C₁ the previous close; NaN on a stock's first day."""
    return kta.true_range(high, low, close)


def pct(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(a − b) / b × 100, NaN where b is 0."""
    return safe_div(a - b, b, scale=100.0)
