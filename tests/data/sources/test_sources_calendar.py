"""The `trade_calendar` dataset of the Tushare, AKShare and xtquant adapters, on fixtures shaped like their answers.

The fixtures hold the real XSHG sessions to 2026-12-31 and a SYNTHETIC 2027 (see fixtures/README.md); the
expected rows below are rebuilt independently: exchange_calendars' sessions and the 2027 holiday file read by hand.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
from vendor_stubs import FIXTURES, VendorStub, replay

from thermoquant.data.schema import get_table
from thermoquant.data.sources.akshare_src import AkshareSource
from thermoquant.data.sources.base import SourceError
from thermoquant.data.sources.tushare_src import TushareSource
from thermoquant.data.sources.xtquant_src import XtquantSource
from thermoquant.market.calendar import package_sessions

SYNTHETIC_2027 = Path(__file__).resolve().parents[1] / "calendar" / "synthetic_holidays_2027.csv"
FROM, TO = date(2026, 1, 1), date(2027, 12, 31)
SHANGHAI = timezone(timedelta(hours=8))


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def expected_sessions() -> list[date]:
    """Real sessions (exchange_calendars) + the synthetic 2027 ones: weekdays that are not a listed holiday."""
    with SYNTHETIC_2027.open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        holidays = {date.fromisoformat(r["date"]) for r in rows}
    synthetic = [d for d in _days(date(2027, 1, 1), TO) if d.weekday() < 5 and d not in holidays]
    return package_sessions().astype(date).tolist() + synthetic


def opened(rows: pl.DataFrame) -> list[date]:
    return rows.filter(pl.col("is_open"))["cal_date"].to_list()


def tushare(overrides: dict[str, Any] | None = None) -> tuple[TushareSource, VendorStub]:
    stub = VendorStub("tushare", overrides)
    return TushareSource(stub, token="t", per_minute=10_000, sleep=lambda s: None), stub


def akshare(overrides: dict[str, Any] | None = None) -> AkshareSource:
    return AkshareSource(VendorStub("akshare", overrides), sleep=lambda s: None)


def test_tushare_trade_cal_flags_every_day() -> None:
    src, stub = tushare()
    out = src.fetch("trade_calendar", start=FROM)
    assert out.columns == get_table("trade_calendar").column_names
    assert out["cal_date"].to_list() == _days(FROM, TO)  # Tushare answers newest first; rows come ascending
    assert opened(out) == [d for d in expected_sessions() if d >= FROM]
    assert out["source"].unique().to_list() == ["tushare"]
    assert stub.calls == [("trade_cal", {"exchange": "SSE", "start_date": "20260101", "end_date": ""})]
    february = src.fetch("trade_calendar", start=date(2027, 2, 1), end=date(2027, 2, 28))
    assert february.height == 28 and february["is_open"].sum() == 15  # 8–12 Feb: the synthetic 春节


def test_tushare_is_open_as_text_and_a_bad_flag() -> None:
    as_int, _ = tushare()
    text = replay("tushare", "trade_cal", "all").astype({"is_open": str})  # the documentation types it str
    as_text, _ = tushare({"trade_cal": lambda **kw: text})
    assert (
        as_text.fetch("trade_calendar")
        .drop("updated_at")
        .equals(as_int.fetch("trade_calendar").drop("updated_at"))
    )
    bad = text.copy()
    bad.loc[3, "is_open"] = "Y"
    broken, _ = tushare({"trade_cal": lambda **kw: bad})
    with pytest.raises(SourceError, match=r"trade_cal row 4: cal_date '20271228', is_open 'Y'"):
        broken.fetch("trade_calendar")


def test_akshare_sina_open_days_cover_whole_years() -> None:
    out = akshare().fetch("trade_calendar")
    assert out["cal_date"].to_list() == _days(date(1990, 12, 19), TO)
    assert opened(out) == expected_sessions() and out["source"].unique().to_list() == ["akshare"]
    # the same days as Tushare's flags
    ts = tushare()[0].fetch("trade_calendar", start=FROM)
    ours = akshare().fetch("trade_calendar", start=FROM)
    assert ours.select("cal_date", "is_open").equals(ts.select("cal_date", "is_open"))


def test_akshare_list_ends_where_it_stops_unless_it_reaches_the_last_week() -> None:
    full = replay("akshare", "tool_trade_date_hist_sina", "all")
    to_june = full[full["trade_date"] <= date(2027, 6, 30)]
    stops = akshare({"tool_trade_date_hist_sina": lambda: to_june}).fetch("trade_calendar")
    assert stops["cal_date"].max() == date(2027, 6, 30)
    to_dec_30 = full[full["trade_date"] <= date(2027, 12, 30)]
    year = akshare({"tool_trade_date_hist_sina": lambda: to_dec_30}).fetch("trade_calendar")
    assert year["cal_date"].max() == TO and not year["is_open"][-1]  # 31 Dec known, and closed


def test_akshare_bad_date_names_the_row() -> None:
    bad = pd.DataFrame({"trade_date": ["2027-01-04", "2027-01-05", "not a day"]})
    with pytest.raises(SourceError, match=r"trade_date row 3: 'not a day' is not a date"):
        akshare({"tool_trade_date_hist_sina": lambda: bad}).fetch("trade_calendar")


class CalendarXtdata:
    """xtdata's calendar functions replaying fixtures/xtquant (recorded for start_time='20260101'), filtered the
    way the client filters; `end_time` past the holiday data raises as the client does."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    @staticmethod
    def _recorded(func: str) -> list[Any]:
        return json.loads((FIXTURES / "xtquant" / func / "SH.json").read_text(encoding="utf-8"))

    def download_holiday_data(self, incrementally: bool = True) -> None:
        self.calls.append(("download_holiday_data", (), {}))

    def get_trading_calendar(self, market: str, start_time: str = "", end_time: str = "") -> list[str]:
        self.calls.append(
            ("get_trading_calendar", (market,), {"start_time": start_time, "end_time": end_time})
        )
        assert market == "SH" and start_time >= "20260101", "not recorded"
        if end_time > "20271231":
            raise Exception(f"end_time({end_time}) 超出现有节假日数据(20271231)")
        days = self._recorded("get_trading_calendar")
        return [d for d in days if d >= start_time and (not end_time or d <= end_time)]


class OldXtdata:
    """An older client: no get_trading_calendar, get_trading_dates only (ms of Shanghai midnight, the past)."""

    def get_trading_dates(
        self, market: str, start_time: str = "", end_time: str = "", count: int = -1
    ) -> list[int]:
        assert market == "SH" and start_time >= "20260101" and count == -1, "not recorded"
        ms = CalendarXtdata._recorded("get_trading_dates")
        day = [datetime.fromtimestamp(m / 1000, SHANGHAI).strftime("%Y%m%d") for m in ms]
        return [
            m for m, d in zip(ms, day, strict=True) if d >= start_time and (not end_time or d <= end_time)
        ]


def test_xtquant_calendar_with_future_days() -> None:
    fake = CalendarXtdata()
    out = XtquantSource(fake).fetch("trade_calendar", start=FROM)
    assert fake.calls == [
        ("download_holiday_data", (), {}),
        ("get_trading_calendar", ("SH",), {"start_time": "20260101", "end_time": ""}),
    ]
    ts = tushare()[0].fetch("trade_calendar", start=FROM)
    assert out.select("cal_date", "is_open").equals(ts.select("cal_date", "is_open"))
    assert out["source"].unique().to_list() == ["xtquant"]
    with pytest.raises(Exception, match="超出现有节假日数据"):
        XtquantSource(CalendarXtdata()).fetch("trade_calendar", start=FROM, end=date(2028, 12, 31))


def test_older_xtquant_gives_the_past_only() -> None:
    out = XtquantSource(OldXtdata()).fetch("trade_calendar", start=FROM)
    # nothing claimed past the last session
    assert out["cal_date"].to_list() == _days(FROM, date(2026, 6, 30))
    asked = XtquantSource(OldXtdata()).fetch("trade_calendar", start=FROM, end=date(2026, 12, 31))
    assert asked["cal_date"].max() == date(2026, 6, 30)  # not even when a later end is asked for
    assert opened(out) == [d for d in expected_sessions() if FROM <= d <= date(2026, 6, 30)]
