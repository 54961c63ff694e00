"""Dimension 3 against empyrical-reloaded, window by window, on 000025 (qfq) with the CSI500 index as market."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from thermoquant import features as tqf
from thermoquant.features.engine import prepare

ep = pytest.importorskip("empyrical")


@pytest.fixture(scope="module")
def risk(
    bars_000025: pl.DataFrame, csi500: pl.DataFrame
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    res = tqf.compute(bars_000025, dims=[3], market=csi500, options={"ret_cap_pct": None})
    df = prepare(bars_000025, csi500)
    c = df.get_column("close").to_numpy()
    m = df.get_column("mkt_close").to_numpy()
    r = np.r_[np.nan, c[1:] / c[:-1] - 1]
    rm = np.r_[np.nan, m[1:] / m[:-1] - 1]
    return res, c, r, rm


def _windows(n: int, total: int, step: int = 7) -> range:
    return range(n, total, step)


@pytest.mark.parametrize("n", [20, 60])
def test_sharpe_var_vol(risk, n: int) -> None:
    res, _, r, _ = risk
    checked = 0
    for t in _windows(n, len(r)):
        w = r[t - n + 1 : t + 1]
        assert res[f"sharpe_{n}"][t] == pytest.approx(ep.sharpe_ratio(w), rel=1e-8, abs=1e-10)
        assert res[f"var95_{n}"][t] == pytest.approx(ep.value_at_risk(w, 0.05) * 100, rel=1e-9, abs=1e-10)
        assert res[f"vol_{n}"][t] == pytest.approx(ep.annual_volatility(w) * 100, rel=1e-8)
        assert res[f"ret_std_{n}"][t] == pytest.approx(np.std(w, ddof=1) * 100, rel=1e-8)
        checked += 1
    assert checked > 150
    assert res[f"sharpe_{n}"][n - 1] is None  # n returns need n + 1 closes


def test_downside_and_extremes(risk) -> None:
    res, _, r, _ = risk
    for t in _windows(20, len(r), 5):
        w = r[t - 19 : t + 1]
        assert res["downside_vol_20"][t] == pytest.approx(ep.downside_risk(w) * 100, rel=1e-8, abs=1e-12)
        assert res["max_down_20"][t] == pytest.approx(w.min() * 100, rel=1e-12)
        assert res["max_up_20"][t] == pytest.approx(w.max() * 100, rel=1e-12)


@pytest.mark.parametrize("n", [20, 60])
def test_max_drawdown(risk, n: int) -> None:
    res, c, _, _ = risk
    for t in _windows(n - 1, len(c), 5):
        w = c[t - n + 1 : t + 1]
        expected = -ep.max_drawdown(w[1:] / w[:-1] - 1) * 100
        assert res[f"mdd_{n}"][t] == pytest.approx(expected, rel=1e-9, abs=1e-9)
    peak = np.maximum.accumulate(c)
    np.testing.assert_allclose(res["drawdown_cum"].to_numpy(), (peak - c) / peak * 100, atol=1e-12)


@pytest.mark.parametrize("n", [20, 60])
def test_beta_and_correlation(risk, n: int) -> None:
    res, _, r, rm = risk
    for t in _windows(n, len(r)):
        w, wm = r[t - n + 1 : t + 1], rm[t - n + 1 : t + 1]
        assert res[f"beta_{n}"][t] == pytest.approx(ep.beta(w, wm), rel=1e-7)
        assert res[f"mkt_corr_{n}"][t] == pytest.approx(np.corrcoef(w, wm)[0, 1], rel=1e-7, abs=1e-10)


def test_beta_against_talib(risk) -> None:
    """TA-Lib BETA(market, stock) regresses the stock's price returns on the market's: the same definition."""
    talib = pytest.importorskip("talib")
    res, c, _, _ = risk
    _, _, _, rm = risk
    m = np.r_[1.0, np.cumprod(1 + rm[1:])]
    ref = talib.BETA(m, c, 20)
    ok = ~np.isnan(ref)
    np.testing.assert_allclose(res["beta_20"].to_numpy()[ok], ref[ok], rtol=1e-6, atol=1e-8)


def test_return_cap_clips_risk_inputs_only(bars_000025: pl.DataFrame) -> None:
    """A 300 % spike (a bad tick) moves ret_1d but the risk statistics see at most the cap."""
    bad = bars_000025.with_columns(
        pl.when(pl.int_range(pl.len()) == 700)
        .then(pl.col("close") * 4)
        .otherwise(pl.col("close"))
        .alias("close")
    )
    capped = tqf.compute(bad, names=["ret_1d", "max_up_20"], options={"ret_cap_pct": 50.0})
    raw = tqf.compute(bad, names=["ret_1d", "max_up_20"], options={"ret_cap_pct": None})
    assert capped["ret_1d"][700] == pytest.approx(raw["ret_1d"][700]) and raw["ret_1d"][700] > 250
    assert capped["max_up_20"][705] == pytest.approx(50.0)
    assert raw["max_up_20"][705] > 250
