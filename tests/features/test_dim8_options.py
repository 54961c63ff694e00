"""Black–Scholes–Merton: textbook values, put-call parity, finite-difference Greeks and implied-vol round trips."""

from __future__ import annotations

import numpy as np
import pytest

from thermoquant.features.options import bsm_greeks, bsm_price, implied_vol


def test_hull_textbook_values() -> None:
    # Hull, Options, Futures and Other Derivatives, Example 15.6: S=42, K=40, r=10%, σ=20%, T=0.5 → c=4.76, p=0.81
    c = bsm_price(42.0, 40.0, 0.5, 0.1, 0.2, True)
    p = bsm_price(42.0, 40.0, 0.5, 0.1, 0.2, False)
    assert float(c) == pytest.approx(4.7594, abs=1e-4)
    assert float(p) == pytest.approx(0.8086, abs=1e-4)
    # Hull Example 19.1 (delta of a call): S=49, K=50, r=5%, σ=20%, T=20/52 → Δ=0.522, Γ=0.066, θ=-4.31/yr, ν=12.1
    g = bsm_greeks(49.0, 50.0, 20 / 52, 0.05, 0.2, True)
    assert float(g["delta"]) == pytest.approx(0.522, abs=1e-3)
    assert float(g["gamma"]) == pytest.approx(0.066, abs=1e-3)
    assert float(g["theta"]) == pytest.approx(-4.31, abs=1e-2)
    assert float(g["vega"]) == pytest.approx(12.1, abs=1e-1)
    assert float(g["rho"]) == pytest.approx(8.91, abs=1e-2)


def _grid() -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(7)
    n = 400
    s = rng.uniform(2.0, 8.0, n)  # 50ETF-like spot, CNY
    k = s * rng.uniform(0.7, 1.3, n)
    t = rng.uniform(0.02, 2.0, n)
    r = rng.uniform(0.0, 0.05, n)
    v = rng.uniform(0.08, 0.9, n)
    q = rng.uniform(0.0, 0.04, n)
    call = rng.random(n) < 0.5
    return s, k, t, r, v, q, call


def test_put_call_parity_vectorised() -> None:
    s, k, t, r, v, q, _ = _grid()
    c = bsm_price(s, k, t, r, v, True, q)
    p = bsm_price(s, k, t, r, v, False, q)
    assert np.allclose(c - p, s * np.exp(-q * t) - k * np.exp(-r * t), atol=1e-12)
    assert c.shape == s.shape


def test_greeks_match_finite_differences() -> None:
    s, k, t, r, v, q, call = _grid()
    g = bsm_greeks(s, k, t, r, v, call, q)

    def price(**kw: np.ndarray) -> np.ndarray:
        a = {"spot": s, "strike": k, "t": t, "rate": r, "vol": v, "is_call": call, "q": q} | kw
        return bsm_price(**a)

    h = 1e-4
    assert np.allclose(g["delta"], (price(spot=s + h) - price(spot=s - h)) / (2 * h), atol=1e-7)
    hs = 1e-3
    assert np.allclose(
        g["gamma"], (price(spot=s + hs) - 2 * price() + price(spot=s - hs)) / hs**2, rtol=1e-4, atol=1e-6
    )
    assert np.allclose(g["vega"], (price(vol=v + h) - price(vol=v - h)) / (2 * h), atol=1e-6)
    assert np.allclose(g["rho"], (price(rate=r + h) - price(rate=r - h)) / (2 * h), atol=1e-6)
    # theta: value change per year of time passing = −∂V/∂T
    assert np.allclose(g["theta"], -(price(t=t + h) - price(t=t - h)) / (2 * h), atol=1e-5)
    assert np.all((g["delta"][call] > 0) & (g["delta"][call] < 1))
    assert np.all((g["delta"][~call] < 0) & (g["delta"][~call] > -1))


def test_implied_vol_round_trip() -> None:
    s, k, t, r, v, q, call = _grid()
    p = bsm_price(s, k, t, r, v, call, q)
    iv = implied_vol(p, s, k, t, r, call, q)
    vega = bsm_greeks(s, k, t, r, v, call, q)["vega"]
    ok = vega > 1e-4  # deep OTM / tiny-vega prices carry no information about σ
    assert ok.mean() > 0.9
    assert np.allclose(iv[ok], v[ok], atol=1e-7)
    assert np.allclose(bsm_price(s, k, t, r, iv, call, q), p, atol=1e-9)


def test_implied_vol_rejects_arbitrage_prices() -> None:
    # below intrinsic value, above the spot (call upper bound), expired
    iv = implied_vol(
        np.array([1.0, 60.0, 3.0]), 50.0, np.array([40.0, 40.0, 50.0]), np.array([1.0, 1.0, 0.0]), 0.02
    )
    assert np.isnan(iv).all()


def test_expiry_is_intrinsic() -> None:
    assert bsm_price(np.array([45.0, 55.0]), 50.0, 0.0, 0.03, 0.3, True).tolist() == [0.0, 5.0]
    assert bsm_price(np.array([45.0, 55.0]), 50.0, 0.0, 0.03, 0.3, False).tolist() == [5.0, 0.0]
    g = bsm_greeks(55.0, 50.0, 0.0, 0.03, 0.3, True)
    assert float(g["delta"]) == 1.0 and np.isnan(g["gamma"])
