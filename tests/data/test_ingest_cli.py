"""`tq ingest` through the real Typer app: capability table, a fixture run, the refresh-due guard."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from thermoquant.cli import app
from thermoquant.cli.ingest import refresh_due
from thermoquant.data.store import open_store

FIXTURE = Path(__file__).resolve().parent / "sources" / "fixtures" / "tushare"
runner = CliRunner()


def test_capabilities_lists_only_implemented_datasets() -> None:
    result = runner.invoke(app, ["ingest", "--capabilities", "--source", "baostock"])
    assert result.exit_code == 0, result.output
    assert "daily_quote" in result.output and "etf_daily" not in result.output


def test_fixture_run_and_refresh_guard(tmp_path: Path) -> None:
    db = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    args = ["ingest", "index_weight", "--source", f"fixture:{FIXTURE}", "--symbols", "000905.SH", "--db", db]
    first = runner.invoke(app, [*args, "--start", "2023-11-01", "--end", "2024-01-31"])
    assert first.exit_code == 0, first.output
    assert "index_weight" in first.output and "written 1000" in first.output
    with open_store(db) as store:
        assert store.read("index_weight").height == 1000
        finished = store.read("job_log")["finished_at"][0]
        assert not refresh_due(store, "index_weight", now=finished)
        assert refresh_due(store, "index_weight", now=datetime(finished.year + 1, 1, 1, 1, 0))
    skipped = runner.invoke(app, [*args, "--if-refresh-due", "--start", "2023-11-01", "--end", "2024-01-31"])
    assert skipped.exit_code == 0 and "跳过" in skipped.output


def test_unknown_source_exits_2() -> None:
    result = runner.invoke(app, ["ingest", "daily_quote", "--source", "wind", "--symbols", "600000.SH"])
    assert result.exit_code == 2 and "unknown source" in result.output
