"""Golden tests: the ``talib`` convention against TA-Lib itself on real bars of 000025 (2012–2017, qfq)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from thermoquant import features as tqf
from thermoquant.features.engine import prepare

talib = pytest.importorskip("talib")


@pytest.fixture(scope="module")
def talib_result(bars_000025: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    res = tqf.compute(bars_000025, convention="talib")
    df = prepare(bars_000025)
    arr = {
        c: df.get_column(c).to_numpy().astype(np.float64) for c in ("open", "high", "low", "close", "volume")
    }
    return res, arr


def _same(ours: np.ndarray, ref: np.ndarray, atol: float = 1e-6, rtol: float = 1e-9) -> None:
    ok = ~np.isnan(ref)
    assert ok.sum() > 100, "reference has too few values"
    assert not np.isnan(ours[ok]).any(), (
        f"NaN where TA-Lib has values at {np.flatnonzero(np.isnan(ours) & ok)[:5]}"
    )
    np.testing.assert_allclose(ours[ok], ref[ok], atol=atol, rtol=rtol)


def test_moving_averages(talib_result) -> None:
    res, a = talib_result
    c = a["close"]
    for n in (5, 10, 20, 30, 60, 120, 250):
        _same(res[f"ma_{n}"].to_numpy(), talib.SMA(c, n))
    for n in (5, 10, 12, 20, 26, 30, 60):
        _same(res[f"ema_{n}"].to_numpy(), talib.EMA(c, n))
    for n in (10, 20):
        _same(res[f"wma_{n}"].to_numpy(), talib.WMA(c, n))


def test_macd(talib_result) -> None:
    res, a = talib_result
    dif, dea, hist = talib.MACD(a["close"], 12, 26, 9)
    _same(res["macd_dif"].to_numpy(), dif)
    _same(res["macd_dea"].to_numpy(), dea)
    _same(res["macd_bar"].to_numpy(), hist)


def test_rsi(talib_result) -> None:
    res, a = talib_result
    for n in (6, 14, 24):
        _same(res[f"rsi_{n}"].to_numpy(), talib.RSI(a["close"], n))


def test_stoch_as_kdj(talib_result) -> None:
    res, a = talib_result
    k, d = talib.STOCH(a["high"], a["low"], a["close"], 9, 3, 0, 3, 0)
    _same(res["kdj_k"].to_numpy(), k)
    _same(res["kdj_d"].to_numpy(), d)
    _same(res["kdj_j"].to_numpy(), 3 * k - 2 * d)


def test_dmi_adx(talib_result) -> None:
    res, a = talib_result
    h, lo, c = a["high"], a["low"], a["close"]
    _same(res["plus_di"].to_numpy(), talib.PLUS_DI(h, lo, c, 14))
    _same(res["minus_di"].to_numpy(), talib.MINUS_DI(h, lo, c, 14))
    _same(res["adx"].to_numpy(), talib.ADX(h, lo, c, 14))


def test_atr_cci_willr(talib_result) -> None:
    res, a = talib_result
    h, lo, c = a["high"], a["low"], a["close"]
    for n in (14, 20):
        _same(res[f"atr_{n}"].to_numpy(), talib.ATR(h, lo, c, n))
        _same(res[f"atr_{n}_pct"].to_numpy(), talib.NATR(h, lo, c, n))
        _same(res[f"cci_{n}"].to_numpy(), talib.CCI(h, lo, c, n))
        _same(res[f"wr_{n}"].to_numpy(), talib.WILLR(h, lo, c, n))


def test_momentum_roc(talib_result) -> None:
    res, a = talib_result
    for n in (5, 10, 20):
        _same(res[f"mom_{n}"].to_numpy(), talib.MOM(a["close"], n))
        _same(res[f"roc_{n}"].to_numpy(), talib.ROC(a["close"], n))


def test_windows_against_talib_primitives(talib_result) -> None:
    res, a = talib_result
    h, lo, c, v = a["high"], a["low"], a["close"], a["volume"]
    _same(res["dist_high_20"].to_numpy(), (talib.MAX(h, 20) - c) / c * 100)
    _same(res["dist_low_20"].to_numpy(), (c - talib.MIN(lo, 20)) / c * 100)
    for n in (5, 10):
        _same(res[f"volume_sum_{n}"].to_numpy(), talib.SUM(v, n), atol=1e-3)
        # TA-Lib STDDEV is the population deviation: rescale to ddof=1
        _same(
            res[f"volume_std_{n}"].to_numpy(),
            talib.STDDEV(v, n, 1) * np.sqrt(n / (n - 1)),
            atol=1e-2,
            rtol=1e-7,
        )
    for n in (5, 10, 20):
        _same(res[f"volume_ma_{n}"].to_numpy(), talib.SMA(v, n), atol=1e-3)
    _same(res["pv_corr_5"].to_numpy(), talib.CORREL(c, v, 5), atol=1e-6)
    _same(res["hl_range"].to_numpy(), (h - lo) / c * 100)
