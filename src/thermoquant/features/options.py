"""Dimension 8 — option pricing: Black–Scholes–Merton price, Greeks and implied volatility, vectorised over arrays.

Conventions (every argument broadcasts against the others; results have the broadcast shape):

* ``spot`` S and ``strike`` K in CNY; ``t`` time to expiry in YEARS (calendar: days / 365); ``rate`` r and the
  continuous dividend yield ``q`` as annual continuously-compounded FRACTIONS (0.02 = 2 %); ``vol`` σ as an annual
  fraction (0.2 = 20 %).
* ``is_call``: True for calls, False for puts (a bool array is allowed).
* Greeks are derivatives in those units: delta ∂V/∂S, gamma ∂²V/∂S², vega ∂V/∂σ per 1.00 of vol (divide by 100 for
  "per vol point"), theta ∂V/∂t per YEAR of calendar time passing (i.e. −∂V/∂T; divide by 365 for per day), rho ∂V/∂r
  per 1.00 of rate.
* At expiry (t = 0) or with σ = 0 the price is the discounted intrinsic value of the forward; Greeks there are NaN
  except delta (0/±1 by moneyness).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

__all__ = ["bsm_greeks", "bsm_price", "implied_vol"]

_SQRT_2PI = np.sqrt(2.0 * np.pi)


def _pdf(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / _SQRT_2PI


def _arrays(*xs: ArrayLike) -> list[np.ndarray]:
    return list(np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in xs]))


def _d1d2(s: np.ndarray, k: np.ndarray, t: np.ndarray, r: np.ndarray, q: np.ndarray, v: np.ndarray):
    with np.errstate(divide="ignore", invalid="ignore"):
        sq = v * np.sqrt(t)
        d1 = (np.log(s / k) + (r - q + 0.5 * v * v) * t) / sq
    return d1, d1 - sq


def bsm_price(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
    is_call: ArrayLike = True,
    q: ArrayLike = 0.0,
) -> np.ndarray:
    """Black–Scholes–Merton price in CNY (European option, continuous dividend yield ``q``)."""
    s, k, tt, r, v, qq = _arrays(spot, strike, t, rate, vol, q)
    call = np.broadcast_to(np.asarray(is_call, dtype=bool), s.shape)
    d1, d2 = _d1d2(s, k, tt, r, qq, v)
    dq, dr = np.exp(-qq * tt), np.exp(-r * tt)
    c = s * dq * ndtr(d1) - k * dr * ndtr(d2)
    p = k * dr * ndtr(-d2) - s * dq * ndtr(-d1)
    out = np.where(call, c, p)
    degenerate = (tt <= 0) | (v <= 0)
    if degenerate.any():
        fwd = s * dq - k * dr
        out = np.where(degenerate, np.where(call, np.maximum(fwd, 0.0), np.maximum(-fwd, 0.0)), out)
    return out


def bsm_greeks(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
    is_call: ArrayLike = True,
    q: ArrayLike = 0.0,
) -> dict[str, np.ndarray]:
    """Delta, gamma, vega, theta and rho (units in the module docstring) as a dict of arrays."""
    s, k, tt, r, v, qq = _arrays(spot, strike, t, rate, vol, q)
    call = np.broadcast_to(np.asarray(is_call, dtype=bool), s.shape)
    d1, d2 = _d1d2(s, k, tt, r, qq, v)
    dq, dr = np.exp(-qq * tt), np.exp(-r * tt)
    n1 = _pdf(d1)
    sqt = np.sqrt(tt)
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = dq * n1 / (s * v * sqt)
        common = -s * dq * n1 * v / (2.0 * sqt)
    vega = s * dq * n1 * sqt
    theta_c = common - r * k * dr * ndtr(d2) + qq * s * dq * ndtr(d1)
    theta_p = common + r * k * dr * ndtr(-d2) - qq * s * dq * ndtr(-d1)
    out = {
        "delta": np.where(call, dq * ndtr(d1), dq * (ndtr(d1) - 1.0)),
        "gamma": gamma,
        "vega": vega,
        "theta": np.where(call, theta_c, theta_p),
        "rho": np.where(call, k * tt * dr * ndtr(d2), -k * tt * dr * ndtr(-d2)),
    }
    degenerate = (tt <= 0) | (v <= 0)
    if degenerate.any():
        itm = np.where(call, s * dq > k * dr, s * dq < k * dr)
        out["delta"] = np.where(degenerate, np.where(itm, np.where(call, dq, -dq), 0.0), out["delta"])
        for g in ("gamma", "vega", "theta", "rho"):
            out[g] = np.where(degenerate, np.nan, out[g])
    return out


def implied_vol(
    price: ArrayLike,
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    is_call: ArrayLike = True,
    q: ArrayLike = 0.0,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
    vol_bounds: tuple[float, float] = (1e-6, 5.0),
) -> np.ndarray:
    """Implied volatility (annual fraction) solving bsm_price(σ) = price, element-wise.

    Safeguarded Newton: each element keeps a bracket [lo, hi] ⊂ ``vol_bounds`` on which the price is monotone in σ;
    a Newton step leaving the bracket (or with a tiny vega) is replaced by bisection. NaN where the price is outside
    the no-arbitrage range (below discounted intrinsic value or above its upper bound) or ``t`` ≤ 0.
    """
    p, s, k, tt, r, qq = _arrays(price, spot, strike, t, rate, q)
    call = np.broadcast_to(np.asarray(is_call, dtype=bool), s.shape)
    lo = np.full(s.shape, vol_bounds[0])
    hi = np.full(s.shape, vol_bounds[1])
    p_lo = bsm_price(s, k, tt, r, lo, call, qq)
    p_hi = bsm_price(s, k, tt, r, hi, call, qq)
    valid = (tt > 0) & (p >= p_lo - tol) & (p <= p_hi + tol) & np.isfinite(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        guess = np.sqrt(2.0 * np.abs(np.log(s / k) + (r - qq) * tt) / np.maximum(tt, 1e-12))
    sig = np.where(valid, np.clip(guess, 0.05, 1.0), np.nan)
    done = ~valid
    for _ in range(max_iter):
        if done.all():
            break
        f = bsm_price(s, k, tt, r, sig, call, qq) - p
        conv = np.abs(f) < tol
        done |= conv
        lo = np.where(~done & (f < 0), sig, lo)
        hi = np.where(~done & (f > 0), sig, hi)
        vega = bsm_greeks(s, k, tt, r, sig, call, qq)["vega"]
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = sig - f / vega
        use_newton = np.isfinite(newton) & (newton > lo) & (newton < hi)
        nxt = np.where(use_newton, newton, 0.5 * (lo + hi))
        sig = np.where(done, sig, nxt)
        done |= ~done & (hi - lo < tol * 1e-2)
    return np.where(valid, sig, np.nan)
