"""A-share trading calendar (XSHG; Shenzhen and Beijing share its sessions).

Two layers, merged into one sorted ``datetime64[D]`` array of sessions that every query binary-searches:

1. **exchange_calendars' XSHG** (built once per process, about a second): 1990-12-19 to the last year the package
   knows (4.13.2: 2026-12-31).
2. **The ``trade_calendar`` table** (date, is_open, source), filled from sources that publish the calendar ahead
   (Tushare ``trade_cal``, AKShare ``tool_trade_date_hist_sina``, xtquant ``get_trading_dates``) and from announced
   holidays (`tq calendar import FILE`). The data layer installs it here with :func:`use_calendar_table` whenever it
   opens a store that has one. On every date the table holds, the table decides; elsewhere exchange_calendars does.

The calendar *knows* a date when either layer covers it; :func:`calendar_bounds` is (first known, last known)
date. A date past every known range raises :class:`CalendarRangeError` naming the date and how to extend the
calendar, instead of silently treating it as a holiday.

Building exchange_calendars' XSHG costs most of a second (pandas and the calendar itself), on every process that asks
a calendar question — every import checks its dates against it. Its sessions are therefore cached as a NumPy file
per exchange_calendars version (:func:`package_cache_path`: ``$TQ_CACHE_DIR``, else ``$XDG_CACHE_HOME/thermoquant``,
else ``~/.cache/thermoquant``); a missing, unreadable or unwritable cache only means building it again.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

__all__ = [
    "CALENDAR_NAME",
    "CALENDAR_START",
    "CalendarRangeError",
    "CalendarStatus",
    "calendar_bounds",
    "calendar_status",
    "clear_calendar_table",
    "is_trading_day",
    "next_trading_day",
    "package_bounds",
    "package_cache_path",
    "package_sessions",
    "prev_trading_day",
    "session_index",
    "sessions",
    "trading_days",
    "use_calendar_table",
]

CALENDAR_NAME = "XSHG"
#: First session requested from exchange_calendars: the first trading day of the Shanghai exchange.
CALENDAR_START = dt.date(1990, 12, 19)
#: `calendar_status` warns from this many calendar days before the last known date.
WARN_DAYS = 60

DateLike = dt.date | str | np.datetime64

EXTEND_HINT = (
    "extend it with `tq ingest trade_calendar` (Tushare / AKShare / miniQMT) or `tq calendar import FILE` "
    "(announced holidays), or upgrade exchange-calendars"
)


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
            + (EXTEND_HINT[0].upper() + EXTEND_HINT[1:] if when > last else "")
            + ("." if when > last else "")
        )


def package_cache_path() -> Path | None:
    """Where the sessions of the installed exchange_calendars are cached (None when the package is missing)."""
    try:
        version = metadata.version("exchange_calendars")
    except metadata.PackageNotFoundError:
        return None
    root = os.environ.get("TQ_CACHE_DIR")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = str(Path(xdg) / "thermoquant") if xdg else str(Path.home() / ".cache" / "thermoquant")
    return Path(root) / f"{CALENDAR_NAME.lower()}-sessions-{version}-{CALENDAR_START:%Y%m%d}.npy"


def _read_cache(path: Path) -> np.ndarray | None:
    try:
        days = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if (
        days.dtype != np.dtype("datetime64[D]")
        or days.ndim != 1
        or days.size == 0
        or (np.diff(days) <= 0).any()
    ):
        return None
    return days


def _write_cache(path: Path, days: np.ndarray) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as fh:
            np.save(fh, days, allow_pickle=False)
        os.replace(tmp, path)  # atomic: a reader sees the old file or the whole new one
    except OSError:
        tmp.unlink(missing_ok=True)


@lru_cache(maxsize=1)
def _package_calendar() -> tuple[np.ndarray, dt.date, dt.date]:
    """exchange_calendars' XSHG: (sessions, first covered date, last covered date), through the file cache."""
    path = package_cache_path()
    days = _read_cache(path) if path is not None and path.is_file() else None
    if days is None:
        import exchange_calendars as xcals

        calendar = xcals.get_calendar(CALENDAR_NAME, start=CALENDAR_START.isoformat())
        days = np.asarray(calendar.sessions.values, dtype="datetime64[D]")
        if path is not None:
            _write_cache(path, days)
    return days, days[0].astype(dt.date), days[-1].astype(dt.date)


def package_sessions() -> np.ndarray:
    """exchange_calendars' sessions alone, whatever table is installed."""
    return _package_calendar()[0]


def package_bounds() -> tuple[dt.date, dt.date]:
    """(first, last) date exchange_calendars' XSHG covers."""
    _, first, last = _package_calendar()
    return first, last


@dataclass(frozen=True)
class _Merged:
    sessions: np.ndarray  # sorted datetime64[D], read-only
    first: dt.date
    last: dt.date
    table_first: dt.date | None
    table_last: dt.date | None


_table: tuple[np.ndarray, np.ndarray] | None = None  # (dates datetime64[D] sorted, is_open bool)
_merged: _Merged | None = None


def use_calendar_table(dates: np.ndarray | list[dt.date], is_open: np.ndarray | list[bool]) -> None:
    """Install the ``trade_calendar`` rows: on these dates the table decides whether the exchange trades.

    ``dates`` need not be sorted; duplicates are an error (the table's key is the date).
    """
    global _table, _merged
    d = np.asarray(dates, dtype="datetime64[D]")
    o = np.asarray(is_open, dtype=bool)
    if d.shape != o.shape:
        raise ValueError(f"trade_calendar: {d.size} dates but {o.size} is_open flags")
    order = np.argsort(d, kind="stable")
    d, o = d[order], o[order]
    if d.size > 1 and (d[1:] == d[:-1]).any():
        dup = d[1:][d[1:] == d[:-1]][0]
        raise ValueError(f"trade_calendar: {dup} appears twice")
    _table = (d, o) if d.size else None
    _merged = None


def clear_calendar_table() -> None:
    """Forget the installed table: exchange_calendars alone answers again."""
    global _table, _merged
    _table, _merged = None, None


def _state() -> _Merged:
    global _merged
    if _merged is not None:
        return _merged
    pkg, first, last = _package_calendar()
    if _table is None:
        merged = _Merged(pkg, first, last, None, None)
    else:
        dates, is_open = _table
        keep = ~np.isin(pkg, dates)
        days = np.union1d(pkg[keep], dates[is_open])
        t_first, t_last = dates[0].astype(dt.date), dates[-1].astype(dt.date)
        merged = _Merged(days, min(first, t_first), max(last, t_last), t_first, t_last)
    merged.sessions.setflags(write=False)
    _merged = merged
    return merged


def sessions() -> np.ndarray:
    """All known sessions, sorted, as a read-only `datetime64[D]` array."""
    return _state().sessions


def _to_date(value: DateLike) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[D]").astype(dt.date)
    return dt.date.fromisoformat(str(value))


def calendar_bounds() -> tuple[dt.date, dt.date]:
    """(first, last) date the calendar knows."""
    state = _state()
    return state.first, state.last


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
        first, last = (np.datetime64(d, "D") for d in calendar_bounds())
        out_of_range = valid & ((values < first) | (values > last))
        if out_of_range.any():
            bad = values[out_of_range][0].astype(dt.date)
            raise CalendarRangeError(bad, *calendar_bounds())
    result = np.searchsorted(sessions(), values, side="left").astype(np.int64)
    result[~valid] = -1
    return result


@dataclass(frozen=True)
class CalendarStatus:
    """How far ahead the calendar knows, as of ``today``.

    ``level``: "ok"; "warn" from :data:`WARN_DAYS` days before the last known date; "fail" once ``today`` is past
    it (every date-dependent job would stop). ``source``: which layer holds the last known date.
    """

    today: dt.date
    first: dt.date
    last: dt.date
    days_left: int
    level: str
    source: str

    @property
    def message(self) -> str:
        """One line, Chinese first."""
        span = f"{self.first} … {self.last}（{self.source}）"
        if self.level == "ok":
            return f"交易日历 calendar: {span}"
        if self.level == "warn":
            return (
                f"交易日历还剩 {self.days_left} 天（到 {self.last}）/ calendar ends in {self.days_left} days: "
                f"{EXTEND_HINT}"
            )
        return f"交易日历已到期：只到 {self.last}，今天 {self.today} / calendar ended on {self.last}: {EXTEND_HINT}"


def calendar_status(today: dt.date, warn_days: int = WARN_DAYS) -> CalendarStatus:
    """The calendar's coverage as of ``today`` (inject it: never the wall clock inside a check)."""
    state = _state()
    left = (state.last - today).days
    level = "fail" if left < 0 else "warn" if left <= warn_days else "ok"
    source = (
        "trade_calendar"
        if state.table_last is not None and state.table_last >= state.last
        else ("exchange_calendars")
    )
    return CalendarStatus(today, state.first, state.last, left, level, source)
