"""`tq ingest trade_calendar`: vendor calendars stored through `write_calendar`, and a year past exchange_calendars'
end known to `market.calendar` afterwards (fixtures: real sessions to 2026, a SYNTHETIC 2027)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent / "sources"))
from vendor_stubs import FIXTURES, VendorStub

from thermoquant.cli import app
from thermoquant.data import trade_calendar as tc
from thermoquant.data.ingest import default_sources, run_ingest
from thermoquant.data.sources.tushare_src import TushareSource
from thermoquant.data.sources.xtquant_src import xtquant_importable
from thermoquant.data.store import Store, open_store
from thermoquant.market.calendar import (
    CalendarRangeError,
    calendar_bounds,
    clear_calendar_table,
    is_trading_day,
    next_trading_day,
    package_bounds,
    trading_days,
)

runner = CliRunner()
BEYOND = date(2027, 3, 1)  # a Monday past exchange_calendars 4.13.2 (2026-12-31)


def tushare() -> TushareSource:
    return TushareSource(VendorStub("tushare"), token="t", per_minute=10_000, sleep=lambda s: None)


def test_ingest_makes_2027_known(tmp_path: Path) -> None:
    assert package_bounds()[1] < BEYOND
    url = f"duckdb:///{tmp_path / 'cal.duckdb'}"
    with open_store(url) as store:
        with pytest.raises(CalendarRangeError):
            is_trading_day(BEYOND)
        report = run_ingest(store, "trade_calendar", [tushare()])  # today = 2026-06-30 (conftest)
        assert report.status == "ok" and report.rows_written == 730  # 2026-01-01 … 2027-12-31, no end asked
        assert calendar_bounds()[1] == date(2027, 12, 31)
        assert is_trading_day(BEYOND) and not is_trading_day(date(2027, 2, 8))
        assert next_trading_day(date(2026, 12, 31)) == date(2027, 1, 4)
        assert len(trading_days("2027-01-01", "2027-12-31")) == 247
        assert store.read("trade_calendar")["source"].unique().to_list() == ["tushare"]
        args = store.read("job_log")["args"][0]
        assert '"start": "2026-01-01"' in args and '"end": null' in args
    clear_calendar_table()
    with open_store(url, init=False):  # a later process sees it too
        assert is_trading_day(BEYOND)


def test_a_users_file_outranks_the_vendor(tmp_store: Store) -> None:
    # the user says 1 March 2027 is closed
    user = tc.from_holidays([BEYOND], "user:closed.csv", years=[2026, 2027])
    tc.write_calendar(tmp_store, user)
    report = run_ingest(tmp_store, "trade_calendar", [tushare()])
    assert report.status == "ok" and report.rows_written == 0  # every day already held by a higher source
    assert not is_trading_day(BEYOND)
    stored = tmp_store.read("trade_calendar")
    assert stored["source"].unique().to_list() == ["user:closed.csv"]


def test_a_vendor_answer_that_leaves_a_hole_is_refused(tmp_store: Store) -> None:
    with pytest.raises(tc.CalendarFileError, match=r"2027-01-01 … 2027-05-31 unknown"):
        run_ingest(tmp_store, "trade_calendar", [tushare()], start=date(2027, 6, 1))
    assert tmp_store.read("trade_calendar").is_empty()
    assert tmp_store.read("job_log")["status"].to_list() == ["failed"]
    assert tmp_store.read("ingest_checkpoint").is_empty()  # re-run once the hole is filled


def test_default_sources_tushare_with_a_token_xtquant_where_it_runs() -> None:
    assert default_sources("trade_calendar", has_tushare_token=False, runs_here=[]) == ["akshare"]
    assert default_sources("trade_calendar", has_tushare_token=True, runs_here=[]) == ["tushare", "akshare"]
    both = default_sources("trade_calendar", has_tushare_token=True, runs_here=["xtquant"])
    assert both == ["tushare", "xtquant", "akshare"]
    here = default_sources("trade_calendar", has_tushare_token=False)
    assert ("xtquant" in here) == xtquant_importable()


def test_cli_ingest_then_show_2027(tmp_path: Path) -> None:
    db = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    ingest = ["ingest", "trade_calendar", "--source", f"fixture:{FIXTURES / 'akshare'}", "--db", db]
    first = runner.invoke(app, ingest)
    assert first.exit_code == 0, first.output
    assert "written 730" in first.output and "2027-12-31" in first.output
    clear_calendar_table()
    shown = runner.invoke(app, ["calendar", "show", "--year", "2027", "--db", db])
    assert shown.exit_code == 0, shown.output
    assert "全年交易日 total sessions: 247" in shown.output
    with open_store(db, init=False) as store:
        stored = store.read("trade_calendar")
    assert stored.height == 730 and stored.filter(pl.col("is_open")).height == 242 + 247
