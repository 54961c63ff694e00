"""Kernels against brute-force NumPy on random panels with leading padding and interior gaps (both code paths)."""

from __future__ import annotations

import numpy as np
import pytest

from thermoquant.features import kernels as nb


@pytest.fixture(scope="module")
def panel() -> np.ndarray:
    rng = np.random.default_rng(11)
    x = 10 * np.exp(np.cumsum(rng.normal(0, 0.03, (12, 300)), axis=1))
    x[:4, :41] = np.nan  # late listings (right-aligned padding)
    x[6, 150] = np.nan  # a gap: exercises the NaN-aware path
    return x


def brute(x: np.ndarray, w: int, fn) -> np.ndarray:
    out = np.full_like(x, np.nan)
    for i in range(x.shape[0]):
        for j in range(w - 1, x.shape[1]):
            win = x[i, j - w + 1 : j + 1]
            if not np.isnan(win).any():
                out[i, j] = fn(win)
    return out


def mdd(win: np.ndarray) -> float:
    return float(np.max(1 - win / np.maximum.accumulate(win)))


@pytest.mark.parametrize("w", [2, 5, 20, 60])
def test_rolling_kernels_match_brute_force(panel: np.ndarray, w: int) -> None:
    cases = [
        (nb.roll_mean(panel, w, 0), np.mean),
        (nb.roll_sum(panel, w, 0), np.sum),
        (nb.roll_std(panel, w, 1, 0), lambda a: np.std(a, ddof=1)),
        (nb.roll_extreme(panel, w, True, 0), np.max),
        (nb.roll_extreme(panel, w, False, 0), np.min),
        (nb.roll_quantile(panel, w, 0.05, 0), lambda a: np.percentile(a, 5)),
        (nb.roll_max_drawdown(panel, w, 0), mdd),
        (nb.roll_mean_abs_dev(panel, w, 0), lambda a: np.mean(np.abs(a - a.mean()))),
        (nb.roll_wma(panel, w, 0), lambda a: a @ np.arange(1, w + 1) / (w * (w + 1) / 2)),
    ]
    for got, fn in cases:
        np.testing.assert_allclose(got, brute(panel, w, fn), rtol=1e-9, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("w", [5, 20])
def test_start_computes_only_the_tail_and_exactly(panel: np.ndarray, w: int) -> None:
    for k in (
        lambda s: nb.roll_mean(panel, w, s),
        lambda s: nb.roll_std(panel, w, 1, s),
        lambda s: nb.roll_extreme(panel, w, True, s),
        lambda s: nb.roll_quantile(panel, w, 0.05, s),
        lambda s: nb.roll_max_drawdown(panel, w, s),
    ):
        full, tail = k(0), k(280)
        np.testing.assert_allclose(tail[:, 280:], full[:, 280:], rtol=1e-9, equal_nan=True)


def test_ewm_continues_from_state(panel: np.ndarray) -> None:
    cold = np.full(panel.shape[0], np.nan)
    full = nb.ewm(panel, 0.2, nb.SEED_SMA, 12, 0.0, 0, cold, 0)
    state = full[:, 249].copy()
    cont = nb.ewm(panel, 0.2, nb.SEED_SMA, 12, 0.0, 0, state, 250)
    ok = ~np.isnan(state)
    np.testing.assert_allclose(cont[ok, 250:], full[ok, 250:], rtol=1e-12)
    np.testing.assert_allclose(cont[ok, 249], state[ok])
