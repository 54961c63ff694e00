"""The optimised chip-metric kernels against a plain NumPy evaluation of the definitions in docs/physics.md.

The kernels work on the occupied span of the grid only, count instead of walk for the quantiles and vectorise the
peak search; this checks every metric on real stacks (000025 through its 10x run) and on stacks pressed against
the grid's edges.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from thermoquant.physics import ChipStack, GridSpec, ThermoParams, chip_distribution, chip_history
from thermoquant.physics.chips_nb import METRIC_COLUMNS, grid_ratios, span_of, stack_metrics
from thermoquant.physics.params import param_matrix


def reference_metrics(
    stack: np.ndarray, g0: float, step: float, price: float, zone_lo: float, zone_hi: float, p: ThermoParams
) -> np.ndarray:
    """METRIC_COLUMNS by their definitions, with a left-to-right walk and plain loops."""
    n = len(stack)
    cum = np.concatenate([[0.0], np.cumsum(stack)])
    total = cum[n]

    def below(x: float) -> float:
        pos = (math.log(x) - g0) / step
        if pos <= 0:
            return 0.0
        j = math.floor(pos)
        return cum[n] if j >= n else cum[j] + stack[j] * (pos - j)

    out = np.full(len(METRIC_COLUMNS), np.nan)
    out[0] = below(price) / total
    out[1] = (stack * np.exp(g0 + (np.arange(n) + 0.5) * step)).sum() / total
    i = 0
    for k, q in enumerate((0.05, 0.15, 0.5, 0.85, 0.95)):
        while i < n - 1 and cum[i + 1] < q * total:
            i += 1
        frac = (q * total - cum[i]) / stack[i] if stack[i] > 0 else 0.5
        out[2 + k] = math.exp(g0 + (i + min(max(frac, 0.0), 1.0)) * step)
    out[7] = (out[6] - out[2]) / (out[6] + out[2])
    out[8] = (out[5] - out[3]) / (out[5] + out[3])
    out[9] = (below(price) - below(price * (1 - p.q_band))) / total
    out[10] = (below(price * (1 + p.q_band)) - below(price)) / total
    h = p.peak_halfwidth
    win = np.array([cum[min(i + h + 1, n)] - cum[max(i - h, 0)] for i in range(n)])

    def bin_mass(i: int) -> float:
        return float(stack[i]) if 0 <= i < n else 0.0

    # the window does not rise into i (W(i) - W(i-1) = s[i+h] - s[i-h-1] >= 0) and falls after it (W(i+1) - W(i)
    # = s[i+h+1] - s[i-h] < 0): decided on the bins entering and leaving it, exactly
    peaks = [
        i
        for i in range(n)
        if win[i] >= p.min_peak_mass * total
        and win[i] > 0
        and bin_mass(i + h) >= bin_mass(i - h - 1)
        and bin_mass(i - h) > bin_mass(i + h + 1)
    ]
    if peaks:
        best = max(peaks, key=lambda i: (win[i], -i))
        out[11], out[12] = math.exp(g0 + (best + 0.5) * step), win[best] / total
        out[13], out[14] = math.exp(g0 + (peaks[0] + 0.5) * step), win[peaks[0]] / total
    out[15] = len(peaks)
    out[16] = below(zone_lo * (1 + p.bottom_zone)) / total
    out[17] = 1 - below(zone_hi * (1 - p.top_zone)) / total
    return out


def assert_metrics_match(got: np.ndarray, ref: np.ndarray) -> None:
    peaks = METRIC_COLUMNS.index("n_peaks")
    np.testing.assert_array_equal(got[..., peaks], ref[..., peaks])
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize(
    ("mode", "peaks"),
    [
        ("behavioral", {}),
        ("tdx", {}),
        # the peak search skips bins no heavy-enough window can reach: check it at other thresholds and widths
        ("behavioral", {"min_peak_mass": 0.0, "peak_halfwidth": 1}),
        ("behavioral", {"min_peak_mass": 0.2, "peak_halfwidth": 4}),
    ],
)
def test_batch_metrics_match_the_definitions(bars_000025: pl.DataFrame, mode: str, peaks: dict) -> None:
    p, grid = ThermoParams(**peaks), GridSpec()
    got = chip_distribution(bars_000025, mode=mode, params=p).select(METRIC_COLUMNS).to_numpy()
    stacks, g0 = chip_history(bars_000025, mode=mode, params=p)
    zones = bars_000025.select(
        pl.col("low").rolling_min(p.zone_window, min_samples=1).alias("lo"),
        pl.col("high").rolling_max(p.zone_window, min_samples=1).alias("hi"),
    )
    close = bars_000025["close"].to_numpy()
    rows = range(0, len(close), 3)
    ref = np.array(
        [
            reference_metrics(stacks[t], g0[t], grid.log_step, close[t], zones["lo"][t], zones["hi"][t], p)
            for t in rows
        ]
    )
    assert_metrics_match(got[list(rows)], ref)


@pytest.mark.parametrize("mode", ["behavioral", "tdx"])
def test_stacks_at_the_grid_edges(mode: str) -> None:
    """A crash and a rally push chips into the edge bins: spans that touch bin 0 and the last bin."""
    p = ThermoParams()
    for bars in (
        [(10.5, 9.5, 0.5), (1.2, 1.0, 0.3), (1.1, 0.9, 0.2)],  # ÷10: old chips merge into the top bin
        [(10.5, 9.5, 0.5), (110.0, 100.0, 0.3), (120.0, 105.0, 0.2)],  # ×10: old chips merge into bin 0
        [(10.0, 10.0, 1.0), (10.0, 10.0, 0.5)],  # one bin only
    ):
        cs = ChipStack(mode, p)
        for high, low, tau in bars:
            cs.update(high, low, tau)
            lo, hi = span_of(cs.stack)
            assert np.all(cs.stack[:lo] == 0) and np.all(cs.stack[hi:] == 0)
            for price in (low, high, low * 0.5, high * 3.0):
                got = np.array(list(cs.metrics(price, low * 0.8, high * 1.2).values()))
                ref = reference_metrics(cs.stack, cs.g0, cs.grid.log_step, price, low * 0.8, high * 1.2, p)
                assert_metrics_match(got, ref)


def test_a_plateau_peak_does_not_depend_on_rounding() -> None:
    """Two equal bins: the peak is the plateau's last bin.  Differences of the prefix sums would put it on the
    first (0.017 + 0.813 rounds so that the first window comes out one ulp heavier); the kernel compares the bins
    entering and leaving the window instead."""
    p, grid = ThermoParams(peak_halfwidth=0, min_peak_mass=0.0), GridSpec()
    stack = np.zeros(grid.n_bins)
    stack[60:64] = (0.017, 0.813, 0.813, 0.742)
    cum = np.concatenate([[0.0], np.cumsum(stack)])
    assert cum[62] - cum[61] > cum[63] - cum[62], "the rounding this test is about"
    out = np.empty(len(METRIC_COLUMNS))
    g0 = math.log(10.0)
    stack_metrics(stack, g0, grid.log_step, 10.0, 10.0, 10.0, param_matrix(["x"], p)[0], out,
                  grid_ratios(grid.n_bins, grid.log_step))  # fmt: skip
    got = dict(zip(METRIC_COLUMNS, out, strict=True))
    assert got["n_peaks"] == 1
    assert got["peak_price"] == pytest.approx(math.exp(g0 + 62.5 * grid.log_step), rel=1e-12)
    assert_metrics_match(out, reference_metrics(stack, g0, grid.log_step, 10.0, 10.0, 10.0, p))
