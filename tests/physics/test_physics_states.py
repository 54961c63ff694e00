"""Thermodynamic quantities, the state machine and the incremental (minute) driver."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from thermoquant.physics import ThermoParams, compute_physics
from thermoquant.physics.market_state import MarketState
from thermoquant.physics.params import param_matrix
from thermoquant.physics.thermo_nb import STATE_A, STATE_B, STATE_C, STATE_D, classify

PRM = param_matrix(["x"], ThermoParams())[0]


def _classify(**kw: float | bool) -> int:
    base = dict(dt=0.0, dt_prev=0.0, k=1.0, vr=1.0, tau=0.02, q_below=0.3, bottom_mass=0.5, top_mass=0.1,
                ti_up=False, cost_up=False)  # fmt: skip
    base.update(kw)
    return classify(*base.values(), PRM)


def test_state_rules() -> None:
    assert _classify() == STATE_A
    assert _classify(dt=0.02, dt_prev=0.01, k=2.0, vr=2.0) == STATE_B
    assert _classify(dt=0.02, dt_prev=0.02, k=2.0, vr=2.0) != STATE_B, "ignition needs a jump across 1.5 %"
    assert _classify(dt=0.02, dt_prev=0.01, k=2.0, vr=6.0) != STATE_B, "volume must not explode"
    assert _classify(dt=0.02, dt_prev=0.01, k=1.0, vr=2.0) != STATE_B, "K must jump"
    assert _classify(dt=0.01, ti_up=True, cost_up=True) == STATE_C
    assert _classify(dt=0.01, ti_up=True, cost_up=False) == STATE_A
    assert _classify(tau=0.3) == STATE_D, "turnover so high the fuel burns at once"
    assert _classify(dt=-0.01, q_below=0.05) == STATE_D, "T_f under T_i with thin chips"
    assert _classify(bottom_mass=0.01, top_mass=0.5, k=0.1) == STATE_D, "bottom peak gone, top heavy, K bad"
    assert _classify(bottom_mass=0.01, top_mass=0.5, k=3.0) != STATE_D


def test_quantities_match_an_independent_polars_computation(bars_000025: pl.DataFrame) -> None:
    out = compute_physics(bars_000025)
    p = ThermoParams()
    ref = bars_000025.with_columns(
        (pl.col("amount").rolling_sum(p.ti_window) / pl.col("volume").rolling_sum(p.ti_window)).alias("vwap"),
        (pl.col("close") / pl.col("pre_close") - 1).alias("r"),
    ).with_columns(
        pl.col("r").abs().shift(1).rolling_mean(p.k_window).alias("mr"),
        pl.col("turnover").shift(1).rolling_mean(p.k_window).alias("mt"),
        pl.col("volume").shift(1).rolling_mean(p.vol_window).alias("mv"),
    )
    ours = out.slice(p.k_window + 1)
    ref = ref.slice(p.k_window + 1)
    np.testing.assert_allclose(ours["t_i"].to_numpy(), ref["vwap"].to_numpy(), rtol=1e-9)
    k_ref = ((ref["r"] / ref["mr"]) / (ref["turnover"] / ref["mt"])).clip(-p.k_cap, p.k_cap).to_numpy()
    np.testing.assert_allclose(ours["k"].to_numpy(), k_ref, rtol=1e-7)
    np.testing.assert_allclose(
        ours["vol_ratio"].to_numpy(), (ref["volume"] / ref["mv"]).to_numpy(), rtol=1e-9
    )
    np.testing.assert_allclose(ours["dt"].to_numpy(), (ref["close"] / ref["vwap"] - 1).to_numpy(), rtol=1e-7)


def test_stop_counts_consecutive_bars_below(bars_000025: pl.DataFrame) -> None:
    out = compute_physics(bars_000025, ThermoParams(stop_bars=3))
    below = (out["dt"] < 0).to_numpy()
    run = np.zeros(len(below), dtype=int)
    for i, b in enumerate(below):
        run[i] = run[i - 1] + 1 if b and i else int(b)
    np.testing.assert_array_equal(out["stop"].to_numpy(), run > 3)


def test_per_symbol_params_apply_to_their_symbol_only(bars_000025: pl.DataFrame) -> None:
    other = bars_000025.with_columns(pl.lit("000026.SZ").alias("symbol"))
    both = pl.concat([bars_000025, other])
    strict = {"000026.SZ": ThermoParams(burnout_turnover=0.0)}
    out = compute_physics(both, strict)
    base = compute_physics(bars_000025)
    assert (out.filter(pl.col("symbol") == "000026.SZ")["state_name"] == "D").all()
    assert out.filter(pl.col("symbol") == "000025.SZ")["state"].to_list() == base["state"].to_list()


def test_run_shows_all_states(bars_000025: pl.DataFrame) -> None:
    out = compute_physics(bars_000025)
    counts = dict(out.group_by("state").len().iter_rows())
    assert set(counts) == {STATE_A, STATE_B, STATE_C, STATE_D}
    assert out["buy_point"].sum() > 0
    assert out["migration"].drop_nans().len() > 0


@pytest.mark.parametrize("mode", ["behavioral", "tdx"])
def test_incremental_equals_batch(bars_000025: pl.DataFrame, mode: str) -> None:
    """MarketState fed bar by bar (with a second stock that skips bars) gives the batch numbers."""
    a = bars_000025.head(400)
    b = bars_000025.slice(100, 400).with_columns(pl.lit("000026.SZ").alias("symbol"))
    b = b.filter(pl.int_range(pl.len()) % 7 != 3)  # suspended days: rows missing
    # after a suspension the exchange reference close is the last traded close (no ex-rights gap)
    b = b.with_columns(pl.col("close").shift(1).fill_null(pl.col("pre_close")).alias("pre_close"))
    batch = compute_physics(pl.concat([a, b]), mode=mode)
    ms = MarketState(["000025.SZ", "000026.SZ"], mode=mode)
    cols = ["t_i", "dt", "k", "vol_ratio", "profit_ratio", "avg_cost", "cost_p50", "q_below", "bottom_mass",
            "top_mass", "peak_price", "migration"]  # fmt: skip
    got: dict[str, list] = {"000025.SZ": [], "000026.SZ": []}
    by_date = {s: {r["trade_date"]: r for r in f.to_dicts()} for s, f in (("000025.SZ", a), ("000026.SZ", b))}
    for d in sorted(set(a["trade_date"].to_list()) | set(b["trade_date"].to_list())):
        rows = [by_date[s].get(d) for s in ms.symbols]

        def col(name: str, rows: list = rows) -> np.ndarray:
            return np.array([r[name] if r else math.nan for r in rows], dtype=float)

        out = ms.update(col("open"), col("high"), col("low"), col("close"), col("volume"),
                        col("turnover") / 100, col("amount"), col("pre_close"), session=d.toordinal())  # fmt: skip
        for i, s in enumerate(ms.symbols):
            if rows[i]:
                got[s].append([out[c][i] for c in cols] + [int(out["state"][i]), bool(out["stop"][i])])
    for s in ms.symbols:
        ref = batch.filter(pl.col("symbol") == s).select(*cols, "state", "stop")
        arr = np.array(got[s], dtype=float)
        np.testing.assert_allclose(
            arr, ref.cast(pl.Float64).to_numpy(), rtol=1e-9, atol=1e-12, equal_nan=True
        )
