"""The stored trading calendar: it outlives exchange_calendars, and the product runs as of a day in 2027."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from thermoquant.cli import app
from thermoquant.config import get_settings
from thermoquant.data import trade_calendar as tc
from thermoquant.data.store import Store, open_store
from thermoquant.market.calendar import (
    CalendarRangeError,
    calendar_bounds,
    calendar_status,
    clear_calendar_table,
    is_trading_day,
    next_trading_day,
    package_bounds,
    package_sessions,
    trading_days,
)

runner = CliRunner()
PACKAGE_LAST = package_bounds()[1]


@pytest.fixture
def cal_dir(test_data: Path) -> Path:
    return test_data / "calendar"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TQ_DATA_DIR", str(tmp_path / "home"))
    monkeypatch.delenv("TQ_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    return tmp_path / "home"


def test_announced_holidays_rebuild_the_exchange_calendar_of_2026(cal_dir: Path) -> None:
    rows = tc.read_calendar_file(cal_dir / "xshg_holidays_2026.csv", holidays=True)
    assert rows.height == 365 and rows["source"].unique().to_list() == ["user:xshg_holidays_2026.csv"]
    ours = rows.filter(pl.col("is_open"))["cal_date"].to_list()
    package = [d for d in package_sessions().astype(dt.date) if d.year == 2026]
    assert ours == package and len(ours) == 242


def test_vendor_shapes_become_one_row_per_day() -> None:
    # AKShare tool_trade_date_hist_sina: open days only -> every day between first and last is covered
    akshare = tc.from_open_days([dt.date(2024, 2, 8), dt.date(2024, 2, 19)], "akshare")
    assert akshare.height == 12 and akshare["is_open"].sum() == 2
    # Tushare trade_cal: a flag per day
    tushare = tc.from_flags([dt.date(2024, 2, 9), dt.date(2024, 2, 8)], [False, True], "tushare")
    assert tushare["cal_date"].to_list() == [dt.date(2024, 2, 8), dt.date(2024, 2, 9)]
    assert tushare["is_open"].to_list() == [True, False]


def test_bad_calendar_file_names_row_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "cal.csv"
    bad.write_text("cal_date,is_open\n20270104,1\n20270105,maybe\n", encoding="utf-8")
    with pytest.raises(tc.CalendarFileError, match=r"cal.csv: data row 2, column 'is_open': 'maybe'"):
        tc.read_calendar_file(bad)
    bad.write_text("cal_date,is_open\n2027-13-01,1\n", encoding="utf-8")
    with pytest.raises(tc.CalendarFileError, match=r"data row 1, column 'cal_date'"):
        tc.read_calendar_file(bad)


def test_a_year_past_the_package_is_known_once_stored(tmp_path: Path, cal_dir: Path) -> None:
    url = f"duckdb:///{tmp_path / 'cal.duckdb'}"
    with open_store(url) as store:
        _store_2027(store, cal_dir)
    # a second process (a fresh open) sees the stored calendar too
    clear_calendar_table()
    assert calendar_bounds()[1] == PACKAGE_LAST
    with open_store(url, init=False):
        assert calendar_bounds()[1] == dt.date(2027, 12, 31)


def _store_2027(tmp_store: Store, cal_dir: Path) -> None:
    beyond = dt.date(2027, 3, 1)
    with pytest.raises(CalendarRangeError, match="tq calendar import"):
        is_trading_day(beyond)
    rows = tc.read_calendar_file(cal_dir / "synthetic_holidays_2027.csv", holidays=True)
    assert tc.write_calendar(tmp_store, rows) == {"written": 365, "kept": 0}
    assert calendar_bounds() == (dt.date(1990, 12, 19), dt.date(2027, 12, 31))
    assert is_trading_day(beyond) and not is_trading_day(dt.date(2027, 2, 8))
    assert next_trading_day(PACKAGE_LAST) == dt.date(2027, 1, 4)
    assert len(trading_days("2024-01-01", "2024-12-31")) == 242  # the package still answers the past


def test_a_hole_after_the_known_range_is_refused(tmp_store: Store) -> None:
    rows = tc.from_holidays([], "user:2028.csv", years=[2028])
    with pytest.raises(tc.CalendarFileError, match=r"2027-01-01 … 2027-12-31 unknown"):
        tc.write_calendar(tmp_store, rows)
    assert tmp_store.read("trade_calendar").is_empty()


def test_a_user_file_outranks_a_vendor_and_the_package(tmp_store: Store, cal_dir: Path) -> None:
    user = tc.read_calendar_file(cal_dir / "synthetic_holidays_2027.csv", holidays=True)
    tc.write_calendar(tmp_store, user)
    # a vendor that says 2027-02-08 is open does not replace the user's announced holiday
    vendor = tc.from_flags([dt.date(2027, 2, 8)], [True], "tushare")
    assert tc.write_calendar(tmp_store, vendor) == {"written": 0, "kept": 1}
    assert not is_trading_day(dt.date(2027, 2, 8))
    tc.write_calendar(tmp_store, tc.package_rows())
    stored = tmp_store.read("trade_calendar")
    assert stored.height == (dt.date(2027, 12, 31) - dt.date(1990, 12, 19)).days + 1
    assert stored.filter(pl.col("cal_date").dt.year() == 2027)["source"].unique().to_list() == [
        "user:synthetic_holidays_2027.csv"
    ]


def test_status_warns_60_days_before_the_end_and_fails_after() -> None:
    assert calendar_status(PACKAGE_LAST - dt.timedelta(days=61)).level == "ok"
    warn = calendar_status(PACKAGE_LAST - dt.timedelta(days=60))
    assert warn.level == "warn" and warn.days_left == 60 and "tq calendar import" in warn.message
    assert calendar_status(PACKAGE_LAST).level == "warn"
    assert calendar_status(PACKAGE_LAST + dt.timedelta(days=1)).level == "fail"


def test_doctor_and_calendar_commands_as_of_2027_02_01(
    home: Path, cal_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite's calendar-dependent checks, run at an injected 2027-02-01."""
    monkeypatch.setenv("TQ_TODAY", "2027-02-01")
    get_settings.cache_clear()
    assert runner.invoke(app, ["init"]).exit_code == 0
    failed = runner.invoke(app, ["doctor"])
    assert (
        failed.exit_code == 1 and "交易日历已到期" in failed.output and "tq calendar import" in failed.output
    )
    done = runner.invoke(
        app, ["calendar", "import", str(cal_dir / "synthetic_holidays_2027.csv"), "--holidays"]
    )
    assert done.exit_code == 0, done.output
    assert "2027-12-31" in done.output
    healthy = runner.invoke(app, ["doctor"])
    assert healthy.exit_code == 0, healthy.output
    assert "交易日历 calendar: 1990-12-19 … 2027-12-31（trade_calendar）" in healthy.output
    shown = runner.invoke(app, ["calendar", "show", "--year", "2027"])
    assert shown.exit_code == 0, shown.output
    assert "2027-02" in shown.output and "02-08 02-09 02-10 02-11 02-12" in shown.output
    assert runner.invoke(app, ["market", "calendar"]).output.count("2027-02-01") == 1
