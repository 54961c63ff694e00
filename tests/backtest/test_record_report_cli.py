"""Recording a run in a real DuckDB store, the HTML report, and `tq backtest` end to end on the sample."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from thermoquant.backtest import record, report
from thermoquant.backtest.engine import EngineConfig, run_orders
from thermoquant.backtest.rules import market_arrays
from thermoquant.cli import app
from thermoquant.data.store import open_store


def _result():
    days = [dt.date(2024, 3, d) for d in (4, 5, 6)]
    bars = pl.DataFrame(
        {
            "symbol": ["600000.SH"] * 3,
            "trade_date": days,
            "open": [10.0, 10.0, 11.0],
            "high": [10.5, 11.0, 11.0],
            "low": [9.5, 10.0, 11.0],
            "close": [10.0, 11.0, 11.0],
            "volume": [1e6, 1e6, 1e6],
            "amount": [1e7, 1.1e7, 1.1e7],
        }
    )
    m = market_arrays(bars)
    orders = pl.DataFrame(
        {
            "symbol": ["600000.SH"] * 3,
            "trade_date": [days[0], days[0], days[1]],
            "quantity": [1000.0, -1000.0, -1000.0],
        }
    )
    return run_orders(m, orders, config=EngineConfig(commission_rate=0.00025, min_commission=5.0))


def test_record_run_writes_log_and_every_order(tmp_path: Path) -> None:
    res = _result()
    with open_store(f"duckdb://{tmp_path / 'bt.duckdb'}") as store:
        rid = record.record_run(
            store,
            strategy="unit",
            params={"a": 1, "when": dt.date(2024, 3, 4)},
            start=dt.date(2024, 3, 4),
            end=dt.date(2024, 3, 6),
            summary={"total_return": 0.01, "profit_factor": float("inf")},
            orders=res.orders(),
        )
        log = store.read("backtest_log", where={"run_id": rid})
        trades = store.read("trades", where={"run_id": rid})
    assert log.height == 1
    assert json.loads(log["metrics"][0]) == {"profit_factor": "inf", "total_return": 0.01}
    assert json.loads(log["params"][0])["when"] == "2024-03-04"
    assert trades.height == 3
    assert trades.sort("trade_id")["reason"].to_list() == ["filled", "t+1", "filled"]
    assert trades.sort("trade_id")["quantity"].to_list() == [1000.0, 0.0, 1000.0]


def test_report_is_self_contained_html(tmp_path: Path) -> None:
    res = _result()
    out = report.write_report(
        tmp_path / "r.html",
        title="单元测试报告",
        dates=[d.astype(object) for d in res.dates],
        returns=res.returns(),
        summary={"total_return": 0.1, "sharpe": 1.2},
        benchmark=np.zeros(3),
        bars=pl.DataFrame(
            {"trade_date": [d.astype(object) for d in res.dates], "open": res.returns() + 1}
        ).with_columns(high=pl.col("open"), low=pl.col("open"), close=pl.col("open")),
        trades=res.fills(),
        buys=[dt.date(2024, 3, 4)],
        sells=[dt.date(2024, 3, 5)],
    )
    text = out.read_text(encoding="utf-8")
    assert "<script src=" not in text  # plotly.js inlined, no CDN
    assert "Plotly.newPlot" in text  # the figure is drawn by a call in the page
    assert len(text) > 1_000_000  # ... with plotly.js itself inlined (≈ 4.6 MB), so it opens offline
    for label in ("净值 vs 基准", "回撤", "月度收益热力图", "K线与买卖点", "交易列表", "总收益"):
        assert label in text or json.dumps(label)[1:-1] in text  # plotly JSON escapes non-ASCII
    assert report.RED in text and report.GREEN in text


def test_monthly_returns_compound() -> None:
    days = [dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2024, 2, 1)]
    mr = report.monthly_returns(days, np.array([0.1, 0.1, -0.05]))
    assert mr["return"].to_list() == pytest.approx([0.21, -0.05])


def test_cli_reference_on_sample(real_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep.html"
    result = CliRunner().invoke(
        app,
        [
            "backtest",
            "csi500_timing",
            "--sample",
            "--start",
            "2024-01-01",
            "--end",
            "2024-12-31",
            "--out",
            str(out),
            "--db",
            f"duckdb://{tmp_path / 'cli.duckdb'}",
        ],
    )
    assert result.exit_code == 0, result.output
    for label in ("交易次数", "胜率", "总收益", "最大回撤", "买入持有", "双重校验"):
        assert label in result.output
    assert out.exists()
    with open_store(f"duckdb://{tmp_path / 'cli.duckdb'}") as store:
        log = store.read("backtest_log")
    assert log.height == 1 and log["strategy"][0] == "csi500_timing"
    assert json.loads(log["params"][0])["breadth_low"] == 16.0


def test_cli_rejects_unknown_param(real_data: Path) -> None:
    result = CliRunner().invoke(
        app, ["backtest", "csi500_timing", "--sample", "--no-record", "--param", "nope=1"]
    )
    assert result.exit_code == 2
    # names the bad pair and the known keys
    assert "nope=1" in result.output and "breadth_low" in result.output


def test_cli_rejects_a_bad_param_value_naming_it(real_data: Path) -> None:
    result = CliRunner().invoke(
        app, ["backtest", "csi500_timing", "--sample", "--no-record", "--param", "breadth_low=abc"]
    )
    assert result.exit_code == 2 and "breadth_low" in result.output
    maybe = CliRunner().invoke(
        app, ["backtest", "csi500_timing", "--sample", "--no-record", "--param", "dual_check=maybe"]
    )
    assert maybe.exit_code == 2 and "dual_check" in maybe.output


def test_cli_dates_compact_form_and_bad_date(real_data: Path) -> None:
    base = ["backtest", "csi500_timing", "--sample", "--no-record"]
    ok = CliRunner().invoke(app, [*base, "--start", "20240102", "--end", "2024-06-28"])
    assert ok.exit_code == 0, ok.output
    assert "2024-01-02" in ok.output and "2024-06-28" in ok.output  # the title's period (may wrap at " → ")
    bad = CliRunner().invoke(app, [*base, "--start", "2024/01/02"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
