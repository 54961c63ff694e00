"""Dimension 8 — advanced risk (seed 003 维度8 相关性 / 协方差与风险 / 高级风险指标).

Two layers, as everywhere in the factor library:

* Per-stock rolling statistics registered as the panel factor group ``risk_moments``: skewness, kurtosis and CVaR
  of daily returns over 20 and 60 trading days (numba kernels over (stocks × days) panels).
* Cross-asset matrices and portfolio quantities (plain NumPy): covariance and correlation matrices, their rolling
  versions, portfolio variance w'Σw, Beta of an asset or of a portfolio (Σ wᵢβᵢ).

Conventions
-----------
* Returns are simple daily returns of the (adjusted) close in PERCENT (1.5 = 1.5 %), clipped to ±``ret_cap_pct``
  (engine option, 50 % by default) before entering any statistic, like the risk statistics of dimension 3.
* A window needs all its returns valid (NaN anywhere → NaN). Suspended days have no column of their own in the
  panel, so they are skipped rather than counted as zero returns.
* Skewness = E[(r−μ)³]/σ³ and kurtosis = E[(r−μ)⁴]/σ⁴ with population moments (the seed's formulas; a normal law has
  kurtosis 3 — ``kurt_*`` is NOT excess kurtosis). A window with σ = 0 gives NaN.
* CVaR at level α (0.05 for "95 %"): the mean of the k+1 smallest returns of the window, k = ⌊(n−1)·α⌋ — the
  historical estimator of empyrical's ``conditional_value_at_risk``. Negative numbers are losses.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numba import njit, prange

from thermoquant.features.context import ComputeContext
from thermoquant.features.registry import Out, factor_group

__all__ = [
    "beta",
    "corr_matrix",
    "cov_matrix",
    "daily_returns_pct",
    "portfolio_beta",
    "portfolio_variance",
    "roll_cvar",
    "roll_moments",
    "rolling_corr_matrices",
    "rolling_cov_matrices",
]


def daily_returns_pct(close: np.ndarray, cap_pct: float | None = 50.0) -> np.ndarray:
    """Simple returns in % along the last axis (first column NaN), clipped to ±cap_pct (None: no cap)."""
    c = np.asarray(close, dtype=np.float64)
    r = np.full_like(c, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        r[..., 1:] = (c[..., 1:] / c[..., :-1] - 1.0) * 100.0
    if cap_pct is not None:
        r = np.clip(r, -cap_pct, cap_pct)
    return r


@njit(parallel=True, cache=True)
def roll_moments(x: np.ndarray, w: int, start: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Rolling population skewness and kurtosis over ``w`` columns of each row (all valid, else NaN)."""
    n, t = x.shape
    sk = np.full((n, t), np.nan)
    ku = np.full((n, t), np.nan)
    for i in prange(n):
        for j in range(max(start, w - 1), t):
            s = 0.0
            ok = True
            for k in range(j - w + 1, j + 1):
                v = x[i, k]
                if np.isnan(v):
                    ok = False
                    break
                s += v
            if not ok:
                continue
            mu = s / w
            m2 = 0.0
            m3 = 0.0
            m4 = 0.0
            for k in range(j - w + 1, j + 1):
                d = x[i, k] - mu
                d2 = d * d
                m2 += d2
                m3 += d2 * d
                m4 += d2 * d2
            m2 /= w
            m3 /= w
            m4 /= w
            if m2 > 0.0 and m2 > 1e-24 * mu * mu:  # constant window (up to rounding): undefined
                sk[i, j] = m3 / m2**1.5
                ku[i, j] = m4 / (m2 * m2)
    return sk, ku


@njit(parallel=True, cache=True)
def roll_cvar(x: np.ndarray, w: int, alpha: float, start: int) -> np.ndarray:  # pragma: no cover - compiled
    """Rolling historical CVaR: mean of the ⌊(w−1)·alpha⌋+1 smallest values of the window (all valid, else NaN)."""
    n, t = x.shape
    out = np.full((n, t), np.nan)
    k = int(np.floor((w - 1) * alpha)) + 1
    for i in prange(n):
        buf = np.empty(w)
        for j in range(max(start, w - 1), t):
            ok = True
            for m in range(w):
                v = x[i, j - w + 1 + m]
                if np.isnan(v):
                    ok = False
                    break
                buf[m] = v
            if not ok:
                continue
            srt = np.sort(buf)
            out[i, j] = srt[:k].mean()
    return out


_WINDOWS = (20, 60)
_OUTS = (
    tuple(
        Out(
            f"skew_{w}",
            f"偏度_{w}日",
            "",
            f"skewness of daily returns over {w} days, E[(r−μ)³]/σ³",
            {"window": w},
        )
        for w in _WINDOWS
    )
    + tuple(
        Out(
            f"kurt_{w}",
            f"峰度_{w}日",
            "",
            f"kurtosis of daily returns over {w} days, E[(r−μ)⁴]/σ⁴ (normal = 3, not excess)",
            {"window": w},
        )
        for w in _WINDOWS
    )
    + tuple(
        Out(
            f"cvar_95_{w}",
            f"CVaR_95_{w}日",
            "%",
            f"mean of the ⌊({w}−1)·0.05⌋+1 worst daily returns over {w} days (historical CVaR, empyrical)",
            {"window": w, "alpha": 0.05},
        )
        for w in _WINDOWS
    )
)


@factor_group("risk_moments", 8, ("close",), _OUTS, lookback=max(_WINDOWS) + 1)
def risk_moments(x: Mapping[str, np.ndarray], ctx: ComputeContext) -> dict[str, np.ndarray]:
    """Rolling skewness, kurtosis and CVaR of capped daily returns (%)."""
    r = np.ascontiguousarray(daily_returns_pct(x["close"], ctx.opt("ret_cap_pct")))
    start = max(ctx.start, 0)
    out: dict[str, np.ndarray] = {}
    for w in _WINDOWS:
        if ctx.want(f"skew_{w}", f"kurt_{w}"):
            out[f"skew_{w}"], out[f"kurt_{w}"] = roll_moments(r, w, start)
        if ctx.want(f"cvar_95_{w}"):
            out[f"cvar_95_{w}"] = roll_cvar(r, w, 0.05, start)
    return out


# --------------------------------------------------------------------------------------------------------------
# Cross-asset matrices and portfolio quantities. ``returns`` is (days × assets), any consistent unit.


def cov_matrix(returns: np.ndarray, ddof: int = 1) -> np.ndarray:
    """N×N covariance matrix of the rows of ``returns`` (days × assets) that are complete (no NaN)."""
    r = np.asarray(returns, dtype=np.float64)
    r = r[~np.isnan(r).any(axis=1)]
    if r.shape[0] <= ddof:
        return np.full((r.shape[1], r.shape[1]), np.nan)
    d = r - r.mean(axis=0)
    return d.T @ d / (r.shape[0] - ddof)


def _cov_to_corr(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return cov / (sd[..., :, None] * sd[..., None, :])


def corr_matrix(returns: np.ndarray) -> np.ndarray:
    """N×N Pearson correlation matrix over the complete rows; NaN for a constant asset."""
    return _cov_to_corr(cov_matrix(returns))


def rolling_cov_matrices(returns: np.ndarray, window: int, ddof: int = 1) -> np.ndarray:
    """(days × N × N) covariance over the trailing ``window`` rows; NaN where the window is short or has a NaN.

    Built from rolling sums of r and r·rᵀ (O(days·N²) memory), so keep N to a portfolio's size.
    """
    r = np.asarray(returns, dtype=np.float64)
    t, n = r.shape
    out = np.full((t, n, n), np.nan)
    if t < window:
        return out
    bad = np.isnan(r).any(axis=1)
    z = np.where(bad[:, None], 0.0, r)
    cs = np.concatenate([np.zeros((1, n)), np.cumsum(z, axis=0)])
    cp = np.concatenate([np.zeros((1, n, n)), np.cumsum(z[:, :, None] * z[:, None, :], axis=0)])
    cb = np.concatenate([[0], np.cumsum(bad)])
    s = cs[window:] - cs[:-window]
    p = cp[window:] - cp[:-window]
    cov = (p - s[:, :, None] * s[:, None, :] / window) / (window - ddof)
    ok = (cb[window:] - cb[:-window]) == 0
    cov[~ok] = np.nan
    out[window - 1 :] = cov
    return out


def rolling_corr_matrices(returns: np.ndarray, window: int) -> np.ndarray:
    """(days × N × N) rolling Pearson correlation; see :func:`rolling_cov_matrices`."""
    return _cov_to_corr(rolling_cov_matrices(returns, window))


def portfolio_variance(weights: np.ndarray, cov: np.ndarray) -> float | np.ndarray:
    """w'Σw — in the squared unit of the returns behind Σ. ``cov`` may be (N×N) or a stack (…×N×N)."""
    w = np.asarray(weights, dtype=np.float64)
    c = np.asarray(cov, dtype=np.float64)
    v = np.einsum("i,...ij,j->...", w, c, w)
    return float(v) if v.ndim == 0 else v


def beta(asset_returns: np.ndarray, market_returns: np.ndarray) -> float:
    """cov(r, r_m) / var(r_m) over the days where both are valid (ddof cancels)."""
    a = np.asarray(asset_returns, dtype=np.float64)
    m = np.asarray(market_returns, dtype=np.float64)
    ok = ~(np.isnan(a) | np.isnan(m))
    a, m = a[ok], m[ok]
    dm = m - m.mean()
    den = float(dm @ dm)
    return float((a - a.mean()) @ dm / den) if den > 0 else float("nan")


def portfolio_beta(weights: np.ndarray, betas: np.ndarray) -> float:
    """Σ wᵢβᵢ (seed 003 组合Beta); equals the Beta of the weighted return series for fixed weights."""
    return float(np.dot(np.asarray(weights, dtype=np.float64), np.asarray(betas, dtype=np.float64)))
