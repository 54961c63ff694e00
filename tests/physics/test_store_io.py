"""The physics engine reads daily_quote and param_pack from the store (a temporary DuckDB file)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from thermoquant.data.store import open_store
from thermoquant.jobs.inputs import read_param_packs, read_store_bars
from thermoquant.physics import ThermoParams, compute_physics


def test_store_bars_and_param_packs(bars_000025: pl.DataFrame, tmp_path: Path) -> None:
    url = str(tmp_path / "tq.duckdb")
    bars = bars_000025.filter(pl.col("trade_date") <= date(2014, 6, 30))
    packs = pl.DataFrame(
        {
            "symbol": ["000025.SZ", "000025.SZ"],
            "effective_date": [date(2014, 1, 1), date(2015, 1, 1)],
            "params": [
                json.dumps({"ignition_dt": 0.03, "not_a_param": 1}),
                json.dumps({"ignition_dt": 0.05}),
            ],
            "method": ["test", "test"],
        }
    )
    with open_store(url) as store:
        store.upsert("daily_quote", bars)
        store.upsert("param_pack", packs)
        got = read_store_bars(store, ["000025.SZ"])
        params = read_param_packs(store, date(2014, 12, 31))
        assert read_param_packs(store, date(2015, 1, 1))["000025.SZ"].ignition_dt == 0.05
    assert got.height == bars.height
    assert_frame_equal(got.select(bars.columns), bars, check_dtypes=False)
    assert params == {"000025.SZ": ThermoParams(ignition_dt=0.03)}
    a = compute_physics(got, params)
    b = compute_physics(bars, ThermoParams(ignition_dt=0.03))
    assert a["state"].to_list() == b["state"].to_list()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("trapped_weight", 0.0),
        ("max_weight", float("nan")),
        ("panic_loss", 1.0),
        ("tdx_a", -0.5),
        ("profit_weight", "2"),
        ("ti_mode", "vwp"),
    ],
)
def test_invalid_params_are_rejected_by_name(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=rf"ThermoParams\.{field} must be"):
        ThermoParams(**{field: value})


def test_a_bad_param_pack_names_its_row(tmp_path: Path) -> None:
    url = str(tmp_path / "tq.duckdb")
    packs = pl.DataFrame(
        {
            "symbol": ["000025.SZ", "603083.SH"],
            "effective_date": [date(2014, 1, 1), date(2015, 3, 2)],
            "params": [json.dumps({"ignition_dt": 0.03}), json.dumps({"trapped_weight": 0})],
            "method": ["test", "test"],
        }
    )
    with open_store(url) as store:
        store.upsert("param_pack", packs)
        with pytest.raises(
            ValueError, match=r"symbol=603083\.SH effective_date=2015-03-02: ThermoParams\.trapped_weight"
        ):
            read_param_packs(store, date(2016, 1, 1))


def test_ti_modes(bars_000025: pl.DataFrame) -> None:
    """'ma' is the rolling mean close; 'session_vwap' on daily bars is that day's VWAP."""
    bars = bars_000025.head(200)
    ma = compute_physics(bars, ThermoParams(ti_mode="ma", ti_window=5))
    ref = bars["close"].rolling_mean(5).to_numpy()
    assert abs(ma["t_i"].to_numpy()[4:] - ref[4:]).max() < 1e-9
    sv = compute_physics(bars, ThermoParams(ti_mode="session_vwap"))
    vwap = (bars["amount"] / bars["volume"]).to_numpy()
    assert abs(sv["t_i"].to_numpy() - vwap).max() < 1e-9
