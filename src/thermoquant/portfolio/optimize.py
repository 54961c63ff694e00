"""Portfolio construction (seed 003 维度8 组合优化): minimum variance, maximum Sharpe, risk parity and the efficient
frontier — long-only, fully invested, with per-asset weight caps.

Inputs are an expected-return vector ``mu`` and a covariance matrix ``cov`` in consistent units (for example daily
returns as fractions: ``mu`` = mean daily return, ``cov`` = covariance of daily returns; or both annualised).
``rf`` is the risk-free return in the same unit. Weights are fractions summing to 1, each in [0, cap]
(``cap`` a float for all assets or an array per asset; ``cap`` must allow a full investment: Σ cap ≥ 1).

Solvers: SciPy SLSQP with analytic gradients for the quadratic programmes (minimum variance, frontier points) and
for maximum Sharpe (solved as the equivalent convex problem min y'Σy s.t. (μ−rf)'y = 1, 0 ≤ y ≤ cap·Σy, then
w = y / Σy). Risk parity without binding caps is the convex log-barrier problem min ½y'Σy − Σ bᵢ ln yᵢ (unique
solution, w = y / Σy); when that solution breaks a cap, SLSQP minimises the squared gaps between each asset's risk
share and its budget under the caps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize

__all__ = [
    "Frontier",
    "efficient_frontier",
    "max_sharpe",
    "min_variance",
    "risk_contributions",
    "risk_parity",
]

_TOL = 1e-12


def _prep(cov: ArrayLike, cap: float | ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    c = np.asarray(cov, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"cov must be a square matrix, got shape {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("cov has NaN or infinite entries")
    n = c.shape[0]
    caps = np.broadcast_to(np.asarray(cap, dtype=np.float64), (n,)).copy()
    if np.any(caps <= 0) or caps.sum() < 1.0 - 1e-12:
        raise ValueError(f"weight caps must be positive and sum to at least 1 (sum = {caps.sum():.4f})")
    return 0.5 * (c + c.T), np.minimum(caps, 1.0)


def _start(caps: np.ndarray) -> np.ndarray:
    """A feasible starting point: equal weights scaled into the caps."""
    w = np.minimum(np.full(caps.size, 1.0 / caps.size), caps)
    while w.sum() < 1.0 - 1e-12:
        room = caps - w
        free = room > 1e-15
        w[free] += np.minimum(room[free], (1.0 - w.sum()) / free.sum())
    return w


def _clean(w: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Euclidean projection onto {0 ≤ w ≤ cap, Σw = 1}: w ← clip(w + τ, 0, cap) with τ found by bisection
    (removes the solver's 1e-12-level bound and budget violations; a no-op on feasible input)."""
    lo, hi = -1.0 - float(np.max(w)), 1.0 - float(np.min(w))
    for _ in range(200):
        tau = 0.5 * (lo + hi)
        if np.clip(w + tau, 0.0, caps).sum() > 1.0:
            hi = tau
        else:
            lo = tau
    x = np.clip(w + 0.5 * (lo + hi), 0.0, caps)
    return x / x.sum()


def _solve_qp(
    cov: np.ndarray, caps: np.ndarray, mu: np.ndarray | None = None, target: float | None = None
) -> np.ndarray:
    """min w'Σw s.t. Σw = 1, 0 ≤ w ≤ cap [, μ'w = target]."""
    scale = float(np.mean(np.diag(cov))) or 1.0
    c = cov / scale
    cons: list[dict] = [{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones_like(w)}]
    if mu is not None and target is not None:
        m = mu / (np.abs(mu).max() or 1.0)
        t = target / (np.abs(mu).max() or 1.0)
        cons.append({"type": "eq", "fun": lambda w: m @ w - t, "jac": lambda w: m})
    res = minimize(
        lambda w: float(w @ c @ w),
        _start(caps),
        jac=lambda w: 2.0 * c @ w,
        bounds=list(zip(np.zeros_like(caps), caps, strict=True)),
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    if not res.success:
        raise RuntimeError(f"optimiser failed: {res.message}")
    return _clean(res.x, caps)


def min_variance(cov: ArrayLike, cap: float | ArrayLike = 1.0) -> np.ndarray:
    """Long-only minimum-variance weights with weight caps."""
    c, caps = _prep(cov, cap)
    return _solve_qp(c, caps)


def max_sharpe(mu: ArrayLike, cov: ArrayLike, rf: float = 0.0, cap: float | ArrayLike = 1.0) -> np.ndarray:
    """Long-only maximum-Sharpe (tangency) weights with weight caps: argmax (μ'w − rf) / √(w'Σw).

    Raises ``ValueError`` when no asset has an expected return above ``rf`` (the maximum Sharpe ratio would be
    negative and the problem is then not the tangency portfolio).
    """
    c, caps = _prep(cov, cap)
    ex = np.asarray(mu, dtype=np.float64) - rf
    if ex.shape != (c.shape[0],):
        raise ValueError(f"mu has shape {ex.shape}, expected ({c.shape[0]},)")
    if not np.any(ex > 0):
        raise ValueError("no asset has an expected return above the risk-free rate")
    scale = float(np.mean(np.diag(c))) or 1.0
    cs = c / scale
    exs = ex / np.abs(ex).max()
    y0 = _start(caps)
    if exs @ y0 > 0:
        y0 = y0 / float(exs @ y0)
    n = c.shape[0]
    cons = [
        {"type": "eq", "fun": lambda y: exs @ y - 1.0, "jac": lambda y: exs},
        # y_i ≤ cap_i · Σy  ⇔  cap_i · Σy − y_i ≥ 0
        {
            "type": "ineq",
            "fun": lambda y: caps * y.sum() - y,
            "jac": lambda y: np.outer(caps, np.ones(n)) - np.eye(n),
        },
    ]
    res = minimize(
        lambda y: float(y @ cs @ y),
        y0,
        jac=lambda y: 2.0 * cs @ y,
        bounds=[(0.0, None)] * n,
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    if not res.success:
        raise RuntimeError(f"optimiser failed: {res.message}")
    return _clean(res.x / res.x.sum(), caps)


def risk_contributions(weights: ArrayLike, cov: ArrayLike) -> np.ndarray:
    """Each asset's share of portfolio variance, wᵢ(Σw)ᵢ / w'Σw (sums to 1)."""
    w = np.asarray(weights, dtype=np.float64)
    c = np.asarray(cov, dtype=np.float64)
    m = c @ w
    return w * m / float(w @ m)


def risk_parity(cov: ArrayLike, budget: ArrayLike | None = None, cap: float | ArrayLike = 1.0) -> np.ndarray:
    """Risk-parity (risk-budgeting) weights: each asset's risk share equals its budget (equal by default).

    With binding caps exact parity is impossible; the result then minimises Σ(risk shareᵢ − budgetᵢ)² under the caps.
    """
    c, caps = _prep(cov, cap)
    n = c.shape[0]
    b = np.full(n, 1.0 / n) if budget is None else np.asarray(budget, dtype=np.float64)
    if b.shape != (n,) or np.any(b <= 0):
        raise ValueError("budget must be positive, one entry per asset")
    b = b / b.sum()
    scale = float(np.mean(np.diag(c))) or 1.0
    cs = c / scale
    y0 = 1.0 / np.sqrt(np.diag(cs))
    res = minimize(
        lambda y: float(0.5 * y @ cs @ y - b @ np.log(y)),
        y0,
        jac=lambda y: cs @ y - b / y,
        bounds=[(1e-12, None)] * n,
        method="L-BFGS-B",
        options={"ftol": 1e-16, "gtol": 1e-12, "maxiter": 10000},
    )
    w = res.x / res.x.sum()
    if np.all(w <= caps + 1e-9):
        return _clean(w, caps)

    def gap(w: np.ndarray) -> float:
        m = cs @ w
        tot = float(w @ m)
        return float(np.sum((w * m / tot - b) ** 2))

    def gap_grad(w: np.ndarray) -> np.ndarray:
        m = cs @ w
        tot = float(w @ m)
        e = w * m / tot - b
        # d(shareᵢ)/dwⱼ = (δᵢⱼ mᵢ + wᵢ Σᵢⱼ)/tot − wᵢ mᵢ · 2mⱼ / tot²
        jac = (np.diag(m) + w[:, None] * cs) / tot - np.outer(w * m, 2.0 * m) / tot**2
        return 2.0 * (jac.T @ e)

    res2 = minimize(
        gap,
        _clean(np.minimum(w, caps), caps),
        jac=gap_grad,
        bounds=list(zip(np.zeros(n), caps, strict=True)),
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones_like(w)}],
        method="SLSQP",
        options={"ftol": 1e-16, "maxiter": 2000},
    )
    if not res2.success:
        raise RuntimeError(f"optimiser failed: {res2.message}")
    return _clean(res2.x, caps)


@dataclass(frozen=True)
class Frontier:
    """Efficient frontier points: ``returns[i]`` = μ'wᵢ, ``vols[i]`` = √(wᵢ'Σwᵢ), ``weights[i]`` the portfolio."""

    returns: np.ndarray
    vols: np.ndarray
    weights: np.ndarray


def efficient_frontier(
    mu: ArrayLike, cov: ArrayLike, n_points: int = 20, cap: float | ArrayLike = 1.0
) -> Frontier:
    """The long-only, capped efficient frontier: minimum-variance portfolios for ``n_points`` target returns evenly
    spaced from the minimum-variance portfolio's return to the highest return reachable under the caps."""
    c, caps = _prep(cov, cap)
    m = np.asarray(mu, dtype=np.float64)
    w_min = _solve_qp(c, caps)
    r_lo = float(m @ w_min)
    # highest attainable return under the caps: fill the best assets up to their caps
    w_top = np.zeros_like(m)
    left = 1.0
    for i in np.argsort(-m):
        w_top[i] = min(caps[i], left)
        left -= w_top[i]
        if left <= 1e-15:
            break
    r_hi = float(m @ w_top)
    targets = np.linspace(r_lo, r_hi, n_points)
    ws = [w_min]
    for tgt in targets[1:]:
        ws.append(_solve_qp(c, caps, m, float(tgt)))
    weights = np.vstack(ws)
    rets = weights @ m
    vols = np.sqrt(np.einsum("ki,ij,kj->k", weights, c, weights))
    return Frontier(rets, vols, weights)
