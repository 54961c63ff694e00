"""A-share trading calendar, from exchange_calendars' XSHG (Shanghai; Shenzhen and Beijing share its sessions).

The sessions are built once per process (building the calendar takes about a second) and kept as a sorted
`datetime64[D]` array; every query is a binary search on it. Dates past the calendar's known range raise
:class:`CalendarRangeError` naming the date and the range, instead of silently treating them as holidays.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

__all__ = [
    "CALENDAR_NAME",
    "CALENDAR_START",
    "CalendarRangeError",
    "calendar_bounds",
    "is_trading_day",
    "next_trading_day",
    "prev_trading_day",
    "session_index",
    "sessions",
    "trading_days",
]

CALENDAR_NAME = "XSHG"
#: First session requested from exchange_calendars: the first trading day of the Shanghai exchange.
CALENDAR_START = dt.date(1990, 12, 19)

DateLike = dt.date | str | np.datetime64


class CalendarRangeError(ValueError):
    """A date outside the range the trading calendar knows."""

    def __init__(self, when: dt.date, first: dt.date, last: dt.date) -> None:
        self.date, self.first, self.last = when, first, last
        side = (
            f"after the calendar's last known date {last}"
            if when > last
            else f"before its first date {first}"
        )
        super().__init__(
            f"{when} is outside the {CALENDAR_NAME} trading calendar ({first} … {last}): {side}. "
            "Upgrade exchange-calendars for later years."
        )


@lru_cache(maxsize=1)
def sessions() -> np.ndarray:
    """All known sessions, sorted, as a read-only `datetime64[D]` array (built once, cached)."""
    import exchange_calendars as xcals

    calendar = xcals.get_calendar(CALENDAR_NAME, start=CALENDAR_START.isoformat())
    days = np.asarray(calendar.sessions.values, dtype="datetime64[D]")
    days.setflags(write=False)
    return days


def _to_date(value: DateLike) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[D]").astype(dt.date)
    return dt.date.fromisoformat(str(value))


def calendar_bounds() -> tuple[dt.date, dt.date]:
    """(first, last) session the calendar knows."""
    days = sessions()
    return days[0].astype(dt.date), days[-1].astype(dt.date)


def _checked(value: DateLike) -> np.datetime64:
    when = _to_date(value)
    first, last = calendar_bounds()
    if not first <= when <= last:
        raise CalendarRangeError(when, first, last)
    return np.datetime64(when, "D")


def is_trading_day(value: DateLike) -> bool:
    """True if the exchange trades on this date."""
    day = _checked(value)
    days = sessions()
    pos = int(np.searchsorted(days, day))
    return pos < len(days) and days[pos] == day


def next_trading_day(value: DateLike) -> dt.date:
    """The first session strictly after the date."""
    day = _checked(value)
    days = sessions()
    pos = int(np.searchsorted(days, day, side="right"))
    if pos >= len(days):
        raise CalendarRangeError(_to_date(value) + dt.timedelta(days=1), *calendar_bounds())
    return days[pos].astype(dt.date)


def prev_trading_day(value: DateLike) -> dt.date:
    """The last session strictly before the date."""
    day = _checked(value)
    days = sessions()
    pos = int(np.searchsorted(days, day, side="left")) - 1
    if pos < 0:
        raise CalendarRangeError(_to_date(value) - dt.timedelta(days=1), *calendar_bounds())
    return days[pos].astype(dt.date)


def trading_days(start: DateLike, end: DateLike) -> list[dt.date]:
    """Sessions in [start, end], both ends inclusive, as `datetime.date`s."""
    lo, hi = _checked(start), _checked(end)
    days = sessions()
    return (
        days[np.searchsorted(days, lo, side="left") : np.searchsorted(days, hi, side="right")]
        .astype(dt.date)
        .tolist()
    )


def session_index(dates: np.ndarray) -> np.ndarray:
    """Vectorised: for each date, the number of sessions strictly before it (an int64 position in `sessions()`).

    For a trading day this is its 0-based session number, so the difference of two indices counts trading days.
    NaT maps to -1. Dates outside the calendar raise :class:`CalendarRangeError`.
    """
    values = np.asarray(dates, dtype="datetime64[D]")
    valid = ~np.isnat(values)
    if valid.any():
        first, last = sessions()[0], sessions()[-1]
        out_of_range = valid & ((values < first) | (values > last))
        if out_of_range.any():
            bad = values[out_of_range][0].astype(dt.date)
            raise CalendarRangeError(bad, *calendar_bounds())
    result = np.searchsorted(sessions(), values, side="left").astype(np.int64)
    result[~valid] = -1
    return result
