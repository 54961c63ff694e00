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


def test_csi500_without_index_rows_does_not_send_the_user_back_to_the_same_command(tmp_path: Path) -> None:
    empty = tmp_path / "empty_fixture"
    empty.mkdir()
    db = f"duckdb:///{tmp_path / 'csi.duckdb'}"
    args = [
        "ingest",
        "csi500",
        "--source",
        f"fixture:{empty}",
        "--start",
        "2024-01-02",
        "--end",
        "2024-01-31",
    ]
    result = runner.invoke(app, [*args, "--db", db], env={"COLUMNS": "200"})
    out = " ".join(result.output.split())
    assert "run `tq ingest csi500` first" not in out
    assert "tq ingest index_daily --symbols 000905.SH" in out and "tq import" in out
