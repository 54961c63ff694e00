"""`tq evolve calibrate | run | show` on a real store of sample bars."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from thermoquant.cli import app
from thermoquant.config import get_settings
from thermoquant.data.store import open_store
from thermoquant.strategies.thermo import pack_columns

runner = CliRunner()


@pytest.mark.slow
def test_calibrate_run_show(
    sample_bars: pl.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TQ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    url = f"duckdb:///{tmp_path / 'tq.duckdb'}"
    with open_store(url) as store:
        store.upsert("daily_quote", sample_bars)
    symbols = sample_bars["symbol"].unique().sort().to_list()[:8]
    opts = [a for s in symbols for a in ("--symbols", s)]
    cal = runner.invoke(
        app, ["evolve", "calibrate", *opts, "--date", "2021-11-30", "--workers", "0", "--db", url]
    )
    assert cal.exit_code == 0, cal.output
    assert "valid from 2021-12-01" in cal.output and "market pack" in cal.output
    night = runner.invoke(
        app, ["evolve", "run", *opts, "--date", "2021-12-08", "--workers", "0", "--db", url]
    )
    assert night.exit_code == 0, night.output
    assert "valid from 2021-12-09" in night.output
    with open_store(url) as store:
        wide = pack_columns(store.read("param_pack"))  # what the thermo strategy reads, date by date
    assert {
        "ignition_dt",
        "ignition_k",
        "pullback_band",
        "shrink_ratio",
        "stop_days",
        "steady_drawdown",
    } <= set(wide.columns)
    assert wide.filter(pl.col("symbol") == symbols[0])["effective_date"].min() == dt.date(2021, 12, 1)
    shown = runner.invoke(app, ["evolve", "show", symbols[0], "--db", url])
    assert shown.exit_code == 0 and "2021-12-01" in shown.output and "reason" in shown.output
    missing = runner.invoke(app, ["evolve", "show", "999999.SH", "--db", url])
    assert missing.exit_code == 1
    bad = runner.invoke(app, ["evolve", "calibrate", "--search", "annealing", "--db", url])
    assert bad.exit_code == 2
