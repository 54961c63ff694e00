"""The foundation commands, run as a user runs them: `tq init`, `tq import`, `tq db info`, `tq doctor`, `tq demo`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from thermoquant.cli import app
from thermoquant.config import get_settings
from thermoquant.data.store import open_store

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TQ_DATA_DIR", str(tmp_path / "home"))
    monkeypatch.delenv("TQ_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def test_init_import_and_info(data_dir: Path, test_data: Path) -> None:
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert (data_dir / "tq.duckdb").is_file()
    good = test_data / "csv" / "tushare_daily_000025.csv"
    result = runner.invoke(app, ["import", str(good)])
    assert result.exit_code == 0, result.output
    with open_store(init=False) as store:
        rows = store.read("daily_quote")
    data_lines = good.read_text(encoding="utf-8").strip().splitlines()[1:]
    assert rows.height == len(data_lines) == 6 and rows["symbol"].unique().to_list() == ["000025.SZ"]
    # the first file row (Tushare: vol in 手, amount in 千元) is stored in shares and CNY
    header = good.read_text(encoding="utf-8").splitlines()[0].split(",")
    first = dict(zip(header, data_lines[0].split(","), strict=True))
    stored = rows.filter(pl.col("trade_date").cast(pl.Utf8).str.replace_all("-", "") == first["trade_date"])
    assert stored["volume"].item() == pytest.approx(float(first["vol"]) * 100)
    assert stored["amount"].item() == pytest.approx(float(first["amount"]) * 1000)
    result = runner.invoke(app, ["db", "info"])
    assert result.exit_code == 0, result.output
    assert "daily_quote" in result.output and f"{rows.height:,}" in result.output


def test_strict_import_of_a_bad_file_changes_nothing(data_dir: Path, test_data: Path) -> None:
    assert runner.invoke(app, ["import", str(test_data / "csv" / "603083.csv")]).exit_code == 0
    with open_store(init=False) as store:
        before = store.read("daily_quote")
    result = runner.invoke(app, ["import", "--strict", str(test_data / "csv" / "603083_broken.csv")])
    assert result.exit_code == 1
    assert "refused" in result.output
    with open_store(init=False) as store:
        assert store.read("daily_quote").equals(before)


def test_doctor_reports_database_and_calendar(data_dir: Path) -> None:
    assert (
        runner.invoke(app, ["init"]).exit_code == 0
    )  # before `tq init` the doctor says to run it (test_cli_errors)
    result = runner.invoke(app, ["doctor"])  # as of TEST_TODAY (tests/conftest.py), months before the end
    assert result.exit_code == 0, result.output
    assert "数据库可用" in result.output and "交易日历 calendar: 1990-12-19" in result.output
    bad = runner.invoke(app, ["doctor", "--db", "postgresql://nobody@127.0.0.1:1/none"])
    assert bad.exit_code == 3  # database unavailable (cli/errors.py exit codes)
    assert "数据库不可用" in bad.output


def test_demo_runs_end_to_end_in_a_fresh_data_dir(tmp_path: Path) -> None:
    env = {**os.environ, "TQ_DATA_DIR": str(tmp_path / "demo"), "COLUMNS": "120"}
    env.pop("TQ_DATABASE_URL", None)
    tq = Path(sys.executable).with_name("tq")
    done = subprocess.run(
        [str(tq), "demo"], env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "扫描日 scan day 2022-01-14" in out
    assert "CSI500" in out and "胜率 win rate" in out
    with open_store(f"duckdb:///{tmp_path / 'demo' / 'tq.duckdb'}", init=False) as store:
        signals = store.read("signals")
        quotes = store.read("daily_quote", columns=["symbol"])
    assert quotes.height > 1_000_000
    assert signals["strategy"].unique().to_list() == ["thermo_scan"]
    assert signals.filter(pl.col("signal") == "BUY").height > 0
    again = subprocess.run(
        [str(tq), "demo"], env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert "无变化（已导入过）" in again.stdout  # the second load of the sample changes nothing
    # the demo database is offline: the demo wrote a tq.toml that keeps the daily chain from the network, and the
    # chain runs on the sample, once (a second run redoes nothing)
    assert "datasets = {}" in (tmp_path / "demo" / "tq.toml").read_text(encoding="utf-8")
    for expected in ("完成 ok", "已完成，跳过 done before"):
        daily = subprocess.run(
            [str(tq), "daily", "--date", "2022-01-14"], env=env, capture_output=True, text=True, timeout=600,
            cwd=tmp_path,
        )  # fmt: skip
        assert daily.returncode == 0, daily.stdout[-3000:] + daily.stderr[-3000:]
        assert expected in daily.stdout and "daily|2022-01-14 完成 done" in daily.stdout, daily.stdout[-3000:]
    assert "完成 ok" not in daily.stdout  # the second run redid nothing
    # what a user runs next, on the database the demo filled (the same jobs, the user's own store)
    scan = subprocess.run(
        [str(tq), "scan", "--date", "2021-12-31", "--top", "5"], env=env, capture_output=True, text=True,
        timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert scan.returncode == 0, scan.stderr[-3000:]
    assert "扫描日 scan day 2021-12-31" in scan.stdout and "BUY" in scan.stdout
    with open_store(f"duckdb:///{tmp_path / 'demo' / 'tq.duckdb'}", init=False) as store:
        days = store.read("signals")["signal_time"].dt.date().unique().sort().to_list()
        run_id = store.read("backtest_log")["run_id"][0]
        jobs = store.read("job_log")["job"].to_list()
    assert [str(d) for d in days] == ["2021-12-31", "2022-01-14"]
    assert {"daily_scan", "run_backtest"} <= set(jobs)
    replay = subprocess.run(
        [str(tq), "backtest", "--replay", run_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert replay.returncode == 0, replay.stdout[-3000:] + replay.stderr[-3000:]
    assert "完全相同 identical" in replay.stdout
