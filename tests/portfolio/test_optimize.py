"""Portfolio construction on real HS300 returns: KKT optimality conditions, caps, risk parity and the frontier."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from thermoquant.portfolio.optimize import (
    efficient_frontier,
    max_sharpe,
    min_variance,
    risk_contributions,
    risk_parity,
)

CODES = [
    "sh.600000",
    "sh.600036",
    "sh.600519",
    "sh.601318",
    "sz.000001",
    "sz.000333",
    "sz.000858",
    "sz.300750",
]


@pytest.fixture(scope="module")
def returns(real_data: Path) -> np.ndarray:
    """(days × 8) daily returns (fractions) from close / preclose, 2021–2024, days where all eight traded."""
    df = (
        pl.read_parquet(real_data / "baostock_hs300" / "hs300_members_2020-01_2025-04.parquet")
        .with_columns(pl.col("code").cast(pl.Utf8), pl.col("date").cast(pl.Date))
        .filter(pl.col("code").is_in(CODES) & pl.col("date").dt.year().is_between(2021, 2024))
        .filter(pl.col("tradestatus") == 1)
        .with_columns((pl.col("close") / pl.col("preclose") - 1).alias("r"))
    )
    return df.pivot(on="code", index="date", values="r").sort("date").drop_nulls().select(CODES).to_numpy()


def _kkt_gradient(grad: np.ndarray, w: np.ndarray, cap: float, tol: float) -> None:
    """Long-only, capped, budget-constrained minimisation: with λ the common gradient of the free assets,
    grad_i = λ where 0 < w_i < cap, grad_i ≥ λ where w_i = 0, grad_i ≤ λ where w_i = cap."""
    free = (w > 1e-6) & (w < cap - 1e-6)
    assert free.any()
    lam = grad[free].mean()
    assert np.allclose(grad[free], lam, atol=tol)
    assert np.all(grad[w <= 1e-6] >= lam - tol)
    assert np.all(grad[w >= cap - 1e-6] <= lam + tol)


def _feasible_neighbours(
    w: np.ndarray, cap: float, step: float = 1e-3, mu: np.ndarray | None = None
) -> list[np.ndarray]:
    """Feasible portfolios next to `w`: every pairwise transfer of up to `step` (budget kept, 0 ≤ x ≤ cap) and,
    when `mu` is given, every three-asset move along which the expected return stays exactly equal.

    Random Dirichlet draws rarely satisfy tight caps and lie far from the optimum; these neighbours always exist
    and test optimality where it can actually fail.
    """
    n, out = len(w), []
    for i in range(n):
        for j in range(n):
            d = min(step, w[i], cap - w[j])
            if i != j and d > 1e-9:
                x = w.copy()
                x[i] -= d
                x[j] += d
                out.append(x)
    if mu is not None:
        for i in range(n):
            for j in range(i + 1, n):
                for k in range(j + 1, n):
                    idx = [i, j, k]
                    d = np.cross(np.ones(3), mu[idx])  # ⟂ to the budget and to the return
                    d /= np.abs(d).max()
                    for sign in (1.0, -1.0):
                        dd = sign * d
                        room = [
                            (w[a] if v < 0 else cap - w[a]) / abs(v)
                            for a, v in zip(idx, dd, strict=True)
                            if v
                        ]
                        t = min(step, *room)
                        if t > 1e-9:
                            x = w.copy()
                            x[idx] += t * dd
                            out.append(x)
    return out


def _check_weights(w: np.ndarray, cap: float) -> None:
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(w >= 0) and np.all(w <= cap + 1e-12)


@pytest.mark.parametrize("cap", [1.0, 0.3, 0.2])
def test_min_variance_kkt(returns: np.ndarray, cap: float) -> None:
    cov = np.cov(returns.T)
    w = min_variance(cov, cap=cap)
    _check_weights(w, cap)
    _kkt_gradient(2 * cov @ w, w, cap, tol=1e-7 * np.abs(cov).max())
    var = w @ cov @ w
    near = _feasible_neighbours(w, cap)
    assert len(near) >= 20
    assert min(x @ cov @ x for x in near) >= var * (1 - 1e-9)  # no feasible neighbour has less variance
    rng = np.random.default_rng(0)
    draws = [x for x in rng.dirichlet(np.full(len(w), 4.0), 2000) if x.max() <= cap]
    assert len(draws) >= 20  # far-away feasible portfolios, too
    assert min(x @ cov @ x for x in draws) >= var - 1e-15


@pytest.mark.parametrize("cap", [1.0, 0.35])
def test_max_sharpe_kkt(returns: np.ndarray, cap: float) -> None:
    mu, cov = returns.mean(axis=0), np.cov(returns.T)
    rf = 0.0
    w = max_sharpe(mu, cov, rf=rf, cap=cap)
    _check_weights(w, cap)
    sharpe = (mu @ w - rf) / np.sqrt(w @ cov @ w)
    # gradient of −Sharpe: −(μ−rf)/σ + (μ'w−rf)Σw/σ³
    sigma = np.sqrt(w @ cov @ w)
    grad = -(mu - rf) / sigma + (mu @ w - rf) * (cov @ w) / sigma**3
    _kkt_gradient(grad, w, cap, tol=1e-5 * np.abs(grad).max())
    near = _feasible_neighbours(w, cap)
    assert len(near) >= 10
    assert max((mu @ x - rf) / np.sqrt(x @ cov @ x) for x in near) <= sharpe * (1 + 1e-9)
    rng = np.random.default_rng(1)
    draws = [x for x in rng.dirichlet(np.ones(len(w)) * 0.5, 1000) if x.max() <= cap]
    assert len(draws) >= 20
    assert max((mu @ x - rf) / np.sqrt(x @ cov @ x) for x in draws) <= sharpe + 1e-9


def test_max_sharpe_needs_a_positive_excess_return() -> None:
    with pytest.raises(ValueError, match="risk-free"):
        max_sharpe(np.array([-0.01, -0.02]), np.eye(2), rf=0.0)


def test_risk_parity_equal_contributions(returns: np.ndarray) -> None:
    cov = np.cov(returns.T)
    w = risk_parity(cov)
    _check_weights(w, 1.0)
    assert np.allclose(risk_contributions(w, cov), 1 / len(w), atol=1e-8)
    budget = np.arange(1, len(w) + 1, dtype=float)
    wb = risk_parity(cov, budget=budget)
    assert np.allclose(risk_contributions(wb, cov), budget / budget.sum(), atol=1e-8)


def test_risk_parity_with_binding_cap(returns: np.ndarray) -> None:
    cov = np.cov(returns.T)
    free = risk_parity(cov)
    cap = float(free.max()) - 0.02  # forces the largest weight down
    w = risk_parity(cov, cap=cap)
    _check_weights(w, cap)
    assert w.max() == pytest.approx(cap, abs=1e-8)
    gap = np.sum((risk_contributions(w, cov) - 1 / len(w)) ** 2)
    naive = free.copy()  # feasible comparator: cap the largest, rescale the others
    top = naive.argmax()
    naive[top] = 0.0
    naive *= (1 - cap) / naive.sum()
    naive[top] = cap
    assert naive.max() <= cap + 1e-12
    assert gap <= np.sum((risk_contributions(naive, cov) - 1 / len(w)) ** 2) + 1e-15


def test_risk_parity_two_assets_closed_form() -> None:
    # two uncorrelated assets: weights inversely proportional to volatility
    cov = np.diag([0.04, 0.01])
    assert risk_parity(cov) == pytest.approx(np.array([1 / 3, 2 / 3]), abs=1e-9)


def test_efficient_frontier(returns: np.ndarray) -> None:
    mu, cov = returns.mean(axis=0), np.cov(returns.T)
    cap = 0.4
    f = efficient_frontier(mu, cov, n_points=12, cap=cap)
    assert f.weights.shape == (12, len(mu))
    for w in f.weights:
        _check_weights(w, cap)
    assert np.all(np.diff(f.returns) > 0)
    assert np.all(np.diff(f.vols) >= -1e-12)  # risk rises with the target return
    assert f.vols[0] == pytest.approx(
        np.sqrt(min_variance(cov, cap) @ cov @ min_variance(cov, cap)), rel=1e-6
    )
    # every frontier point is a minimum-variance portfolio for its return: KKT with two multipliers
    # (checked on feasible neighbours that keep the return: random draws almost never reach the upper targets)
    for w, target in zip(f.weights[1:-1], f.returns[1:-1], strict=True):
        assert mu @ w == pytest.approx(target, abs=1e-12)
        near = [x for x in _feasible_neighbours(w, cap, mu=mu) if mu @ x >= target - 1e-15]
        assert len(near) >= 4
        assert min(x @ cov @ x for x in near) >= (w @ cov @ w) * (1 - 1e-9)
    # the max-Sharpe portfolio lies on (or within rounding of) the frontier
    ws = max_sharpe(mu, cov, cap=cap)
    vol_at = np.interp(mu @ ws, f.returns, f.vols)
    assert np.sqrt(ws @ cov @ ws) == pytest.approx(vol_at, rel=2e-2)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="caps"):
        min_variance(np.eye(3), cap=0.2)
    with pytest.raises(ValueError, match="NaN"):
        min_variance(np.array([[1.0, np.nan], [np.nan, 1.0]]))
