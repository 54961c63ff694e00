"""Dimension 8 risk statistics against scipy / empyrical / pandas on real HS300 returns."""

from __future__ import annotations

from pathlib import Path

import empyrical
import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy import stats

from thermoquant.features.risk import (
    beta,
    corr_matrix,
    cov_matrix,
    daily_returns_pct,
    portfolio_beta,
    portfolio_variance,
    roll_cvar,
    roll_moments,
    rolling_corr_matrices,
    rolling_cov_matrices,
)

CODES = ["sh.600000", "sh.600036", "sh.600519", "sz.000001", "sz.000333", "sz.300750"]


def _returns(real: Path) -> np.ndarray:
    """(days × 6) daily returns in % from close / preclose (ex-rights safe), 2023–2024, complete days only."""
    df = (
        pl.read_parquet(real / "baostock_hs300" / "hs300_members_2020-01_2025-04.parquet")
        .with_columns(pl.col("code").cast(pl.Utf8), pl.col("date").cast(pl.Date))
        .filter(pl.col("code").is_in(CODES) & (pl.col("date").dt.year().is_in([2023, 2024])))
        .filter(pl.col("tradestatus") == 1)
        .with_columns(((pl.col("close") / pl.col("preclose") - 1) * 100).alias("r"))
    )
    wide = df.pivot(on="code", index="date", values="r").sort("date").drop_nulls()
    return wide.select(CODES).to_numpy()


def test_roll_moments_match_scipy(real_data: Path) -> None:
    r = _returns(real_data).T.copy()  # stocks × days
    sk, ku = roll_moments(r, 20, 0)
    for i in range(r.shape[0]):
        for j in (19, 100, r.shape[1] - 1):
            win = r[i, j - 19 : j + 1]
            assert sk[i, j] == pytest.approx(stats.skew(win, bias=True), rel=1e-9)
            assert ku[i, j] == pytest.approx(stats.kurtosis(win, fisher=False, bias=True), rel=1e-9)
    assert np.isnan(sk[:, :19]).all()


def test_roll_moments_nan_and_constant_windows() -> None:
    x = np.array([[1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0], [3.0] * 7])
    sk, ku = roll_moments(x, 3, 0)
    assert np.isnan(sk[0, 2:5]).all() and sk[0, 5] == pytest.approx(0.0)
    assert ku[0, 6] == pytest.approx(1.5)  # three equally spaced points: m4/m2² = (2/3)/(4/9) = 1.5
    assert np.isnan(sk[1]).all()  # σ = 0


def test_roll_cvar_matches_empyrical(real_data: Path) -> None:
    r = _returns(real_data).T.copy()
    for w in (20, 60):
        cv = roll_cvar(r, w, 0.05, 0)
        for i in range(r.shape[0]):
            for j in (w - 1, 250, r.shape[1] - 1):
                ref = empyrical.conditional_value_at_risk(r[i, j - w + 1 : j + 1] / 100.0, cutoff=0.05) * 100
                assert cv[i, j] == pytest.approx(ref, rel=1e-12)
        assert np.isfinite(cv[:, w - 1 :]).all()
        wins = np.lib.stride_tricks.sliding_window_view(r, w, axis=1)  # stocks × (days−w+1) × w
        assert np.all(cv[:, w - 1 :] >= wins.min(axis=2) - 1e-12)
        assert np.all(cv[:, w - 1 :] <= np.quantile(wins, 0.05, axis=2) + 1e-12)


def test_matrices_match_pandas(real_data: Path) -> None:
    r = _returns(real_data)
    pdf = pd.DataFrame(r)
    assert np.allclose(cov_matrix(r), pdf.cov().to_numpy(), rtol=1e-12)
    assert np.allclose(corr_matrix(r), pdf.corr().to_numpy(), rtol=1e-12)
    rc = rolling_cov_matrices(r, 60)
    rr = rolling_corr_matrices(r, 60)
    pcov = pdf.rolling(60).cov().to_numpy().reshape(len(r), r.shape[1], r.shape[1])
    pcorr = pdf.rolling(60).corr().to_numpy().reshape(len(r), r.shape[1], r.shape[1])
    assert np.isnan(rc[:59]).all()
    assert np.allclose(rc[59:], pcov[59:], rtol=1e-8, atol=1e-10)
    assert np.allclose(rr[59:], pcorr[59:], rtol=1e-8, atol=1e-10)


def test_rolling_cov_window_with_nan() -> None:
    r = np.arange(20, dtype=float).reshape(10, 2) ** 1.5
    r[4, 1] = np.nan
    rc = rolling_cov_matrices(r, 3)
    assert np.isnan(rc[4:7]).all() and np.isfinite(rc[7]).all()
    assert np.allclose(rc[7], np.cov(r[5:8].T))


def test_portfolio_variance_and_beta(real_data: Path) -> None:
    r = _returns(real_data)
    w = np.array([0.3, 0.2, 0.1, 0.1, 0.2, 0.1])
    port = r @ w
    assert portfolio_variance(w, cov_matrix(r)) == pytest.approx(np.var(port, ddof=1), rel=1e-12)
    market = r.mean(axis=1)  # an equal-weight "market" of the six
    betas = np.array([beta(r[:, i], market) for i in range(r.shape[1])])
    assert betas[0] == pytest.approx(empyrical.beta(r[:, 0] / 100, market / 100), rel=1e-9)
    assert portfolio_beta(w, betas) == pytest.approx(beta(port, market), rel=1e-12)
    assert portfolio_beta(np.full(6, 1 / 6), betas) == pytest.approx(1.0, rel=1e-12)


def test_daily_returns_pct_cap() -> None:
    r = daily_returns_pct(np.array([[10.0, 11.0, 22.0, 11.0]]), cap_pct=50.0)
    assert np.isnan(r[0, 0])
    assert r[0, 1:].tolist() == pytest.approx([10.0, 50.0, -50.0])


def test_engine_risk_moments_group(market_slice: pl.DataFrame) -> None:
    """Through the engine (long frame in, long frame out) on 40 real stocks: equals the kernel on each stock's own
    trading days; changing the future never moves a past value."""
    from thermoquant.features import compute

    names = ["skew_20", "kurt_60", "cvar_95_20"]
    out = compute(market_slice, names=names)
    sym = out["symbol"][0]
    one = market_slice.filter(pl.col("symbol") == sym).sort("trade_date")
    r = daily_returns_pct(one["close"].to_numpy()[None, :], 50.0)
    sk, _ = roll_moments(r, 20, 0)
    got = out.filter(pl.col("symbol") == sym).sort("trade_date")["skew_20"].to_numpy()
    assert np.isfinite(got).sum() > 150  # not an all-NaN comparison
    assert np.allclose(got, sk[0], equal_nan=True)
    # and independently of the kernel: scipy's skew of the last 20 close-to-close returns
    closes = one["close"].to_numpy()
    last20 = (closes[-20:] / closes[-21:-1] - 1) * 100
    assert got[-1] == pytest.approx(stats.skew(last20, bias=True), rel=1e-9)
    cut = market_slice["trade_date"].sort()[150]
    bumped = market_slice.with_columns(
        pl.when(pl.col("trade_date") > cut)
        .then(pl.col("close") * 1.3)
        .otherwise(pl.col("close"))
        .alias("close")
    )
    alt = compute(bumped, names=names)
    past = pl.col("trade_date") <= cut
    assert out.filter(past).equals(alt.filter(past))
