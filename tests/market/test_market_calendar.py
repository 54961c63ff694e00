"""Trading calendar (XSHG) against real trading dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from thermoquant.market.calendar import (
    CalendarRangeError,
    calendar_bounds,
    is_trading_day,
    next_trading_day,
    prev_trading_day,
    session_index,
    trading_days,
)


def test_spring_festival_2024() -> None:
    assert trading_days("2024-02-08", "2024-02-20") == [
        dt.date(2024, 2, 8),
        dt.date(2024, 2, 19),
        dt.date(2024, 2, 20),
    ]
    assert not is_trading_day(dt.date(2024, 2, 9))
    assert is_trading_day(dt.date(2024, 2, 8))
    assert next_trading_day(dt.date(2024, 2, 8)) == dt.date(2024, 2, 19)
    assert prev_trading_day(dt.date(2024, 2, 19)) == dt.date(2024, 2, 8)
    assert next_trading_day(dt.date(2024, 2, 10)) == dt.date(2024, 2, 19)  # from a holiday


def test_weekend_and_year_counts() -> None:
    assert not is_trading_day("2023-08-26")  # Saturday
    assert len(trading_days(dt.date(2023, 1, 1), dt.date(2023, 12, 31))) == 242
    assert len(trading_days(dt.date(2021, 1, 1), dt.date(2021, 12, 31))) == 243


def test_out_of_range_error_names_date_and_last_day() -> None:
    first, last = calendar_bounds()
    assert first == dt.date(1990, 12, 19)
    beyond = last + dt.timedelta(days=40)
    with pytest.raises(CalendarRangeError, match=str(beyond)) as info:
        is_trading_day(beyond)
    assert str(last) in str(info.value)
    with pytest.raises(CalendarRangeError):
        next_trading_day(last)
    with pytest.raises(CalendarRangeError):
        trading_days(first, beyond)


def test_session_index_counts_trading_days() -> None:
    days = np.array(["2024-02-08", "2024-02-19", "NaT"], dtype="datetime64[D]")
    idx = session_index(days)
    assert idx[1] - idx[0] == 1
    assert idx[2] == -1


def test_calendar_matches_real_whole_market_dates(real_data) -> None:
    """The distinct dates of 4,700 real stocks' bars are exactly the calendar's sessions."""
    frame = pl.read_parquet(real_data / "xbx_market" / "market_2021-01_2022-01.parquet", columns=["date"])
    real = sorted(frame["date"].cast(pl.Date).unique().to_list())
    assert real == trading_days(real[0], real[-1])
    assert len(real) == 252
    older = pl.read_parquet(real_data / "xbx_market" / "market_2014-10_2016-03.parquet", columns=["date"])
    real_old = sorted(older["date"].cast(pl.Date).unique().to_list())
    assert real_old == trading_days(real_old[0], real_old[-1])


def test_package_sessions_are_cached_per_version_and_a_bad_cache_is_rebuilt(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building exchange_calendars' XSHG costs most of a second per process; its sessions come from a file cache."""
    import exchange_calendars as xcals

    from thermoquant.market import calendar as cal

    expected = np.asarray(
        xcals.get_calendar("XSHG", start="1990-12-19").sessions.values, dtype="datetime64[D]"
    )
    monkeypatch.setenv("TQ_CACHE_DIR", str(tmp_path))
    path = cal.package_cache_path()
    assert path is not None and path.parent == tmp_path and xcals.__version__ in path.name
    try:
        for content in (
            None,
            b"not a numpy file",
        ):  # no cache, then a damaged one: both rebuilt and rewritten
            if content is not None:
                path.write_bytes(content)
            cal._package_calendar.cache_clear()
            cal.clear_calendar_table()
            assert np.array_equal(cal.sessions(), expected)
            assert np.array_equal(np.load(path), expected)
        cal._package_calendar.cache_clear()
        cal.clear_calendar_table()
        assert np.array_equal(cal.package_sessions(), expected)  # read back from the file
        assert cal.package_bounds() == (dt.date(1990, 12, 19), expected[-1].astype(dt.date))
    finally:
        cal._package_calendar.cache_clear()
        cal.clear_calendar_table()
