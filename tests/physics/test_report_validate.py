"""The HTML report, the CLI, the real-file readers and the validation tables."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from thermoquant.cli import app
from thermoquant.jobs.inputs import read_bars
from thermoquant.jobs.physics_validate import forward_returns_by_state, run_timeline
from thermoquant.physics import compute_physics


def test_readers_agree_on_000025(real_data: Path) -> None:
    """Baostock (turn %) and xbx (volume / float_shares) give the same daily_quote bars for 000025 in 2015."""
    bs = read_bars(real_data / "baostock_sz" / "sz.000025.csv", start=date(2015, 1, 1), end=date(2015, 3, 31))
    xbx = read_bars(real_data / "xbx_market" / "market_2014-10_2016-03.parquet", start=date(2015, 1, 1),
                    end=date(2015, 3, 31)).filter(pl.col("symbol") == "000025.SZ")  # fmt: skip
    assert bs.height == xbx.height > 50
    j = bs.join(xbx, on=["symbol", "trade_date"], suffix="_x")
    assert (j["close"] == j["close_x"]).all()
    assert ((j["turnover"] - j["turnover_x"]).abs() < 1e-4).all(), "both in % of the float"


def test_read_bars_rejects_unknown_layout(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="no known layout"):
        read_bars(bad)


def test_report_cli_writes_self_contained_html(real_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    res = CliRunner().invoke(
        app,
        ["physics", "report", "000025.SZ", "--start", "2015-06-01", "--end", "2015-12-31", "--input",
         str(real_data / "baostock_sz" / "sz.000025.csv"), "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    html = out.read_text()
    assert "plotly" in html and '<script src="http' not in html, "plotly.js must be inlined"
    assert "chip distribution" in html and "000025.SZ" in html


def test_run_timeline_on_000025(bars_000025: pl.DataFrame) -> None:
    t = run_timeline(compute_physics(bars_000025), 2015)
    assert t["top"] == date(2015, 12, 9) and t["top_close"] == 102.0
    assert t["start_close"] < 10.5 and t["run_days"] > 150
    assert t["C_count_in_run"] > 0 and t["stop_first_after_top"] is not None


def test_forward_returns_by_state_on_a_market_slice(real_data: Path) -> None:
    bars = read_bars(real_data / "xbx_market" / "market_2021-01_2022-01.parquet")
    bars = bars.filter(pl.col("symbol").is_in(bars["symbol"].unique().sort().head(60).implode()))
    table = forward_returns_by_state(compute_physics(bars), bars)
    by = {r["group"]: r for r in table.iter_rows(named=True)}
    assert by["all bars"]["bars"] == bars.height
    assert sum(by[f"state {s}"]["bars"] for s in "ABCD") == bars.height
    assert by["all bars"]["n5"] < bars.height  # the last 5 bars of each stock have no forward return


def test_validate_needs_a_real_data_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    """No --real and no TQ_REAL_DATA_DIR: a usage error naming both (the product never guesses a path)."""
    monkeypatch.delenv("TQ_REAL_DATA_DIR", raising=False)
    res = CliRunner().invoke(app, ["physics", "validate", "--no-market"])
    assert res.exit_code == 2 and "TQ_REAL_DATA_DIR" in res.output


def test_report_cli_rejects_a_bad_date(real_data: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        ["physics", "report", "000025.SZ", "--start", "2015/06/01", "--input",
         str(real_data / "baostock_sz" / "sz.000025.csv"), "--out", str(tmp_path / "r.html")],
    )  # fmt: skip
    assert res.exit_code == 2 and "YYYY-MM-DD" in res.output
