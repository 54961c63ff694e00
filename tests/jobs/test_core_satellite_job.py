"""`tq backtest core_satellite --satellite csi500_timing` on the bundled sample: the account row in backtest_log,
each sleeve's daily book in backtest_sleeve, every transfer row in backtest_transfer, the report, and a replay
that reproduces the metrics."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from thermoquant.cli import app
from thermoquant.data.store import open_store

runner = CliRunner()


@pytest.mark.slow
def test_core_satellite_cli_records_sleeves_and_transfers_and_replays(cli_home: Path) -> None:
    out = cli_home / "cs.html"
    result = runner.invoke(app, ["backtest", "core_satellite", "--satellite", "csi500_timing", "-p",
                                 "transfer_frequency=monthly", "-p", "core_weight=0.7", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "规则 rule fallback:low_vol" in result.output and "dividend_yield missing" in result.output
    run_id = result.output.split("run_id=")[1].split("（")[0].strip()
    with open_store(init=False) as store:
        log = store.read("backtest_log", where={"run_id": run_id}).row(0, named=True)
        sleeves = store.read("backtest_sleeve", where={"run_id": run_id})
        transfers = store.read("backtest_transfer", where={"run_id": run_id})
        trades = store.read("trades", where={"run_id": run_id})
    params, metrics = json.loads(log["params"]), json.loads(log["metrics"])
    assert params["satellite"] == "csi500_timing" and params["core_satellite"]["core_weight"] == 0.7
    assert params["satellite_params"]["trade_symbol"] == "510500.SH"
    days = sleeves["trade_date"].n_unique()
    assert sleeves.height == 2 * days and set(sleeves["sleeve"]) == {"core", "satellite"}
    first = sleeves.filter(pl.col("trade_date") == sleeves["trade_date"].min()).sort("sleeve")
    assert first["equity"].to_list() == [700_000.0, 300_000.0]
    assert transfers.height >= 2 and set(transfers["event"]) == {"declare", "pay"}
    assert metrics["transferred_to_core"] == pytest.approx(
        transfers.filter(pl.col("event") == "pay")["amount"].sum()
    )
    assert metrics["sleeve_gap_max"] < 0.005 and set(trades["symbol"]) >= {"510500.SH"}
    inputs = json.loads(log["inputs"])
    assert inputs["core_selection"][0]["rule"] == "fallback:low_vol" and "core_bars" in inputs["frames"]
    html = out.read_text(encoding="utf-8")
    assert "利润划转 profit transfers" in html and "time-weighted" in html  # plotly escapes the Chinese
    again = runner.invoke(app, ["backtest", "--replay", run_id])
    assert again.exit_code == 0, again.output
    assert "完全相同 identical" in again.output
