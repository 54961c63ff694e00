"""The ``trade_calendar`` table: build its rows from what sources publish, store them, install them for queries.

Shapes a calendar arrives in, each turned into one row per calendar day (``cal_date, is_open, source``):

* **every day with a flag** — Tushare ``trade_cal`` (``exchange, cal_date YYYYMMDD, is_open 0/1,
  pretrade_date``) or any file with ``cal_date``/``date`` and ``is_open`` columns: taken as is;
* **the open days only** — AKShare ``tool_trade_date_hist_sina`` (one column ``trade_date``), xtquant
  ``get_trading_dates`` (ms timestamps), a file with one date column: every day from the first to the last listed
  is covered, open where listed;
* **announced holidays** — the State Council's notice as a list of closed weekdays (`tq calendar import FILE
  --holidays`): each year the file touches is covered, weekdays open except the listed ones, weekends closed
  (the A-share market does not trade on the make-up working weekends).

Writing (:func:`write_calendar`) refuses a calendar that would leave a hole between what is known and the new
rows, and never lets a lower-priority source replace a higher one (:data:`SOURCE_PRIORITY`: a user's file over the
vendors over the exchange_calendars package). :func:`install` hands the stored rows to
:mod:`thermoquant.market.calendar`, which answers every query from them where they exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from thermoquant.clock import now_shanghai
from thermoquant.market import calendar as market_calendar

TABLE = "trade_calendar"
#: Higher wins when two sources disagree on a day; an unknown source ranks with the vendors.
SOURCE_PRIORITY: dict[str, int] = {
    "exchange_calendars": 0,
    "tushare": 1,
    "akshare": 1,
    "xtquant": 1,
    "user": 2,
}
VENDOR_PRIORITY = 1
#: (month, day) from which a list of open days is taken to reach 31 December (:func:`through_year_end`).
YEAR_END_WEEK = (12, 25)
_DATE_NAMES = ("cal_date", "trade_date", "date", "日期", "交易日")
_OPEN_NAMES = ("is_open", "open", "是否交易")


class CalendarFileError(ValueError):
    """A calendar file or frame that cannot be read; the message names the file, row and field."""


def _priority(source: str) -> int:
    base = source.split(":", 1)[0]
    return SOURCE_PRIORITY.get(base, VENDOR_PRIORITY)


def _rows(days: np.ndarray, is_open: np.ndarray, source: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "cal_date": pl.Series(days.astype("datetime64[D]")).cast(pl.Date),
            "is_open": pl.Series(is_open.astype(bool)),
            "source": [source] * len(days),
            "updated_at": [now_shanghai().replace(microsecond=0)] * len(days),
        },
        schema={
            "cal_date": pl.Date,
            "is_open": pl.Boolean,
            "source": pl.Utf8,
            "updated_at": pl.Datetime("us"),
        },
    )


def _day_range(first: dt.date, last: dt.date) -> np.ndarray:
    return np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)


def from_flags(dates: Sequence[dt.date], is_open: Sequence[bool], source: str) -> pl.DataFrame:
    """Rows from one (date, is_open) pair per day, as Tushare ``trade_cal`` gives them."""
    d = np.asarray(dates, dtype="datetime64[D]")
    o = np.asarray(is_open, dtype=bool)
    order = np.argsort(d)
    return _rows(d[order], o[order], source)


def from_open_days(
    days: Iterable[dt.date], source: str, *, first: dt.date | None = None, last: dt.date | None = None
) -> pl.DataFrame:
    """Rows covering [first, last] (default: the first and last listed day), open on the listed days."""
    opened = np.unique(np.asarray(list(days), dtype="datetime64[D]"))
    if opened.size == 0 and (first is None or last is None):
        raise CalendarFileError(f"{source}: no trading days listed")
    lo = first or opened[0].astype(dt.date)
    hi = last or opened[-1].astype(dt.date)
    span = _day_range(lo, hi)
    return _rows(span, np.isin(span, opened), source)


def through_year_end(last_listed: dt.date) -> dt.date:
    """The last day a list of open days covers when its source lists whole years (Sina, xtquant's calendar).

    31 December of the last listed day's year when that day falls in the year's last week (the exchange never
    closes a whole last week of December), else the day itself: a list that stops earlier ends where it stops.
    """
    if (last_listed.month, last_listed.day) >= YEAR_END_WEEK:
        return dt.date(last_listed.year, 12, 31)
    return last_listed


def default_fetch_start(today: dt.date) -> dt.date:
    """First day `tq ingest trade_calendar` asks a vendor for without ``--start``.

    1 January of ``today``'s year — the vendors' past stays with exchange_calendars unless asked for — or the
    day after the package's last date when that is earlier (an old package), so the new rows leave no hole.
    """
    after_package = market_calendar.package_bounds()[1] + dt.timedelta(days=1)
    return min(dt.date(today.year, 1, 1), after_package)


def from_holidays(
    holidays: Iterable[dt.date], source: str, years: Iterable[int] | None = None
) -> pl.DataFrame:
    """Rows covering whole years: weekdays open except the listed holidays, weekends closed."""
    closed = np.unique(np.asarray(list(holidays), dtype="datetime64[D]"))
    cover = sorted(set(years or ())) or sorted({d.year for d in closed.astype(dt.date)})
    if not cover:
        raise CalendarFileError(f"{source}: no holidays and no year given")
    span = _day_range(dt.date(cover[0], 1, 1), dt.date(cover[-1], 12, 31))
    span = span[np.isin(span.astype("datetime64[Y]").astype(int) + 1970, cover)]
    weekday = (span.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 was a Thursday: 0 = Monday
    return _rows(span, (weekday < 5) & ~np.isin(span, closed), source)


def _parse_dates(values: pl.Series, path: str, column: str) -> list[dt.date]:
    text = values.cast(pl.Utf8).str.strip_chars()
    parsed = text.str.to_date("%Y%m%d", strict=False).fill_null(text.str.to_date("%Y-%m-%d", strict=False))
    parsed = parsed.fill_null(text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
    bad = parsed.is_null() & text.is_not_null()
    if bad.any():
        row = int(bad.arg_max() or 0) + 1
        raise CalendarFileError(f"{path}: data row {row}, column {column!r}: {text[row - 1]!r} is not a date")
    return parsed.drop_nulls().to_list()


def _parse_flags(values: pl.Series, path: str, column: str) -> list[bool]:
    text = values.cast(pl.Utf8).str.strip_chars().str.to_lowercase()
    mapping = {"1": True, "0": False, "true": True, "false": False, "是": True, "否": False}
    out: list[bool] = []
    for i, v in enumerate(text.to_list(), start=1):
        if v not in mapping:
            raise CalendarFileError(
                f"{path}: data row {i}, column {column!r}: {v!r} is not 0/1 or true/false"
            )
        out.append(mapping[v])
    return out


def read_calendar_file(
    path: str | Path, *, holidays: bool = False, years: Iterable[int] | None = None, source: str = "user"
) -> pl.DataFrame:
    """A CSV calendar file as ``trade_calendar`` rows (see the module docstring for the shapes).

    ``holidays``: the file lists closed weekdays (``years``: the years it covers; default the years it touches).
    ``source`` is stored as ``<source>:<file name>``.
    """
    p = Path(path)
    try:
        frame = pl.read_csv(p, infer_schema=False, comment_prefix="#")
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise CalendarFileError(f"{p}: cannot be read as CSV: {exc}") from None
    cols = {c.strip().lower(): c for c in frame.columns}
    date_col = next((cols[n] for n in _DATE_NAMES if n in cols), None)
    if date_col is None:
        raise CalendarFileError(f"{p}: no date column (one of {', '.join(_DATE_NAMES)}); has {frame.columns}")
    tag = f"{source}:{p.name}"
    dates = _parse_dates(frame[date_col], str(p), date_col)
    if holidays:
        return from_holidays(dates, tag, years)
    open_col = next((cols[n] for n in _OPEN_NAMES if n in cols), None)
    if open_col is None:
        return from_open_days(dates, tag)
    return from_flags(dates, _parse_flags(frame[open_col], str(p), open_col), tag)


def package_rows() -> pl.DataFrame:
    """exchange_calendars' XSHG as rows (every day it covers), source ``exchange_calendars``."""
    days = market_calendar.package_sessions()
    first, last = market_calendar.package_bounds()
    return from_open_days(days.astype(dt.date), "exchange_calendars", first=first, last=last)


def _check_no_gap(known_last: dt.date, table: pl.DataFrame, rows: pl.DataFrame) -> None:
    """The package range, the stored rows and the new rows must leave no unknown day between them."""
    covered = np.union1d(
        table["cal_date"].to_numpy().astype("datetime64[D]"),
        rows["cal_date"].to_numpy().astype("datetime64[D]"),
    )
    covered = covered[covered > np.datetime64(known_last, "D")]
    if covered.size == 0:
        return
    expected = _day_range(known_last + dt.timedelta(days=1), covered[-1].astype(dt.date))
    missing = expected[~np.isin(expected, covered)]
    if missing.size:
        raise CalendarFileError(
            f"trade_calendar: the new rows leave {missing[0]} … {missing[-1]} unknown (the calendar is known to "
            f"{known_last}); import the days in between first"
        )


def write_calendar(store: Any, rows: pl.DataFrame) -> dict[str, int]:
    """Store calendar rows; returns ``{"written": n, "kept": k}`` (k = days a higher-priority source keeps).

    Nothing is written when the rows would leave a hole in the known range.
    """
    stored = store.read(TABLE)
    _check_no_gap(market_calendar.package_bounds()[1], stored, rows)
    joined = rows.join(stored.select("cal_date", pl.col("source").alias("_old")), on="cal_date", how="left")
    new_rank = joined["source"].map_elements(_priority, return_dtype=pl.Int64)
    old_rank = joined["_old"].map_elements(_priority, return_dtype=pl.Int64, skip_nulls=True)
    keep_old = old_rank.is_not_null() & (old_rank > new_rank)
    accepted = joined.filter(~keep_old).drop("_old")
    written = store.upsert(TABLE, accepted) if accepted.height else 0
    install(store)
    return {"written": int(written), "kept": int(keep_old.sum())}


def install(store: Any) -> int:
    """Hand the stored rows to :mod:`thermoquant.market.calendar`; returns how many rows it now uses."""
    rows = store.read(TABLE, columns=["cal_date", "is_open"])
    if rows.is_empty():
        market_calendar.clear_calendar_table()
        return 0
    market_calendar.use_calendar_table(
        rows["cal_date"].to_numpy().astype("datetime64[D]"), rows["is_open"].to_numpy()
    )
    return rows.height


def year_summary(year: int) -> pl.DataFrame:
    """Per month of ``year``: trading days, closed weekdays (holidays) listed, from the calendar in force."""
    first, last = market_calendar.calendar_bounds()
    lo, hi = max(dt.date(year, 1, 1), first), min(dt.date(year, 12, 31), last)
    if lo > hi:
        raise market_calendar.CalendarRangeError(dt.date(year, 1, 1), first, last)
    opened = set(market_calendar.trading_days(lo, hi))
    out = []
    for month in range(lo.month, hi.month + 1):
        days = [
            d.astype(dt.date)
            for d in _day_range(max(lo, dt.date(year, month, 1)), min(hi, _month_end(year, month)))
        ]
        holidays = [d for d in days if d.weekday() < 5 and d not in opened]
        out.append(
            {
                "month": f"{year}-{month:02d}",
                "trading_days": sum(d in opened for d in days),
                "holidays": " ".join(d.strftime("%m-%d") for d in holidays),
            }
        )
    return pl.DataFrame(out, schema={"month": pl.Utf8, "trading_days": pl.Int64, "holidays": pl.Utf8})


def _month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)
