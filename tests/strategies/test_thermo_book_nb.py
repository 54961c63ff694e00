"""The B filter's top-fraction test equals "among the first ceil(frac × m) of a stable sort by score" exactly, for
any candidate rows, ties included (many equal scores, as rates with few resolved ignitions are)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from thermoquant.strategies.thermo_book_nb import F_ELIGIBLE, F_ENTER_B, _in_top


def _by_sort(score: np.ndarray, events: np.ndarray, eligible: np.ndarray, frac: float) -> np.ndarray:
    idx = np.flatnonzero(eligible & ~np.isnan(score))
    key = -(score[idx] + 1e-9 * np.minimum(events[idx], 1e6))
    out = np.zeros(score.shape[0], dtype=bool)
    out[idx[np.argsort(key, kind="stable")[: math.ceil(frac * len(idx))]]] = True
    return out


@pytest.mark.parametrize("frac", [0.0, 0.05, 0.2, 0.5, 1.0])
def test_in_top_matches_a_stable_sort(frac: float) -> None:
    rng = np.random.default_rng(5)
    for _ in range(200):
        n = int(rng.integers(1, 300))
        score = rng.choice([0.2, 0.4, 0.5, 0.6, np.nan], n)  # few distinct values: ties everywhere
        score[rng.random(n) < 0.3] = rng.random()
        events = rng.integers(0, 4, n).astype(np.int32)
        eligible = rng.random(n) < 0.8
        cands = np.flatnonzero(rng.random(n) < 0.3)  # ineligible and NaN-score rows too: never in the top
        flags = eligible.astype(np.int8) * F_ELIGIBLE | (rng.random(n) < 0.5).astype(np.int8) * F_ENTER_B
        np.testing.assert_array_equal(
            _in_top(score, events, flags, frac, cands), _by_sort(score, events, eligible, frac)[cands]
        )
