"""Invariants of the grid chip model (behavioral and tdx) on small bars and on real 000025 history."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from thermoquant.physics import ChipStack, GridSpec, ThermoParams, chip_distribution, chip_history
from thermoquant.physics.chips_nb import METRIC_COLUMNS, add_bar_chips, burn_fractions

MODES = ("behavioral", "tdx")


def _warm(mode: str) -> ChipStack:
    cs = ChipStack(mode)
    for high, low, tau in [(10.5, 9.8, 0.05), (10.9, 10.1, 0.08), (11.6, 10.8, 0.12), (11.2, 10.2, 0.07)]:
        cs.update(high, low, tau)
    return cs


@pytest.mark.parametrize("mode", MODES)
def test_zero_turnover_leaves_stack_unchanged(mode: str) -> None:
    cs = _warm(mode)
    before, g0 = cs.stack.copy(), cs.g0
    cs.update(30.0, 20.0, 0.0, k=5.0)  # far-away prices, no trade: nothing moves, not even the grid
    assert cs.g0 == g0
    np.testing.assert_array_equal(cs.stack, before)


@pytest.mark.parametrize("mode", MODES)
def test_full_turnover_wipes_history(mode: str) -> None:
    cs = _warm(mode)
    cs.update(14.0, 13.0, 1.0, ref=13.4)
    fresh = np.zeros_like(cs.stack)
    add_bar_chips(fresh, cs.g0, cs.grid.log_step, 13.0, 14.0, 13.4, 1.0)
    np.testing.assert_allclose(cs.stack, fresh, atol=1e-15)
    prices = cs.prices
    assert cs.stack[(prices < 12.9) | (prices > 14.2)].sum() == 0.0


@pytest.mark.parametrize("mode", MODES)
def test_one_price_bar_puts_all_new_chips_at_one_price(mode: str) -> None:
    cs = _warm(mode)
    before = cs.stack.copy()
    cs.update(11.0, 11.0, 0.3)
    gained = np.flatnonzero(cs.stack > before + 1e-15)
    assert gained.size == 1
    lo = math.exp(cs.g0 + gained[0] * cs.grid.log_step)
    assert lo <= 11.0 < lo * math.exp(cs.grid.log_step)
    assert cs.total == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_turnover_is_what_burns(mode: str) -> None:
    """The mass leaving old bins equals turnover × float; the same mass re-enters (the stack sums to 1)."""
    cs = _warm(mode)
    before = cs.stack.copy()
    cs.update(20.0, 19.0, 0.2)  # new prices far above: no bin is both burnt and refilled
    prices = cs.prices
    old = prices < 18.5
    assert before.sum() - cs.stack[old].sum() == pytest.approx(0.2, abs=1e-12)
    assert cs.stack[~old].sum() == pytest.approx(0.2, abs=1e-12)


def test_behavioral_k_modulates_profit_burn() -> None:
    """High K (lock-up) keeps profit chips; low K (distribution) burns them at the maximum weight."""
    kept = {}
    for k in (5.0, 1.0, 0.0):
        cs = _warm("behavioral")
        cs.update(15.0, 14.0, 0.1, k=k)  # everything held is in profit
        cs.update(12.2, 11.8, 0.1, k=k)  # a mixed day: profit below 12, trapped above
        profit = cs.prices < 11.5
        kept[k] = cs.stack[profit].sum()
    assert kept[5.0] > kept[1.0] > kept[0.0]


def test_behavioral_panic_burns_deep_losses_first() -> None:
    cs = ChipStack("behavioral")
    cs.update(20.2, 19.8, 1.0)  # all chips near 20
    cs.update(10.2, 9.8, 0.05)  # half-price day: every chip is 50 % under water, past the panic line
    cs_shallow = ChipStack("behavioral", ThermoParams(panic_loss=0.6))
    cs_shallow.update(20.2, 19.8, 1.0)
    cs_shallow.update(10.2, 9.8, 0.05)
    # with one group only, both burn exactly the turnover: conservation holds whatever the weight
    assert cs.stack[cs.prices > 15].sum() == pytest.approx(0.95, abs=1e-12)
    assert cs_shallow.stack[cs_shallow.prices > 15].sum() == pytest.approx(0.95, abs=1e-12)


def test_water_filling_saturates_and_conserves() -> None:
    masses = np.array([0.1, 0.6, 0.3])
    weights = np.array([8.0, 0.5, 2.0])
    for target in (0.0, 0.05, 0.2, 0.5, 0.99):
        f = np.array(burn_fractions(*masses, *weights, target))
        assert np.all((f >= 0) & (f <= 1.0 + 1e-15))
        assert float((f * masses).sum()) == pytest.approx(target, abs=1e-12)
    f = burn_fractions(*masses, *weights, 0.5)
    assert f[0] == 1.0 and f[2] > f[1]
    # nothing to burn from (no mass, or no weight on any mass: ThermoParams rejects weights <= 0, but the
    # function alone must not return NaN): nothing burns
    assert burn_fractions(0.0, 0.0, 0.0, *weights, 0.0) == (0.0, 0.0, 0.0)
    assert burn_fractions(*masses, 0.0, 0.0, 0.0, 0.1) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("mode", MODES)
def test_real_history_sums_to_float_through_a_10x_run(bars_000025: pl.DataFrame, mode: str) -> None:
    stacks, g0 = chip_history(bars_000025, mode=mode)
    np.testing.assert_allclose(stacks.sum(axis=1), 1.0, atol=1e-9)
    assert np.all(stacks >= 0.0)
    grid = GridSpec()
    closes = bars_000025["close"].to_numpy()
    top = np.exp(g0 + grid.n_bins * grid.log_step)
    bottom = np.exp(g0)
    assert np.all((closes > bottom) & (closes < top)), "the re-binning rule keeps every close inside the grid"
    assert g0.max() - g0.min() > 1.0, "the grid was re-based upward during the run"


def test_batch_equals_single_stock_runs(bars_000025: pl.DataFrame) -> None:
    """chips_batch over several stocks (prange) equals each stock run alone."""
    a = bars_000025.head(300)
    b = bars_000025.tail(300).with_columns(pl.lit("000026.SZ").alias("symbol"))
    both = chip_distribution(pl.concat([b, a]), mode="behavioral")
    alone = pl.concat([chip_distribution(a), chip_distribution(b)])
    np.testing.assert_allclose(
        both.select(METRIC_COLUMNS).to_numpy(), alone.select(METRIC_COLUMNS).to_numpy(), equal_nan=True
    )


def test_metrics_are_consistent(bars_000025: pl.DataFrame) -> None:
    m = chip_distribution(bars_000025, mode="tdx").drop_nulls()
    q = m.select("cost_p05", "cost_p15", "cost_p50", "cost_p85", "cost_p95").to_numpy()
    assert np.all(np.diff(q, axis=1) >= 0)
    for col in ("profit_ratio", "q_below", "q_above", "bottom_mass", "top_mass", "peak_mass"):
        v = m[col].drop_nans().to_numpy()
        assert np.all((v >= -1e-12) & (v <= 1 + 1e-12)), col
    assert m["conc_90"].min() > 0 and (m["conc_90"] >= m["conc_70"]).all()
    # profit ratio is the share of chips at or below the close: high after a rally, low after a fall
    by_date = dict(zip(m["trade_date"].to_list(), m["profit_ratio"].to_list(), strict=True))
    import datetime as dt

    assert by_date[dt.date(2015, 12, 9)] > 0.8
    assert by_date[dt.date(2016, 1, 28)] < 0.2
