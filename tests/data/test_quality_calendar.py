"""Dates and bar times checked against the XSHG calendar and the trading sessions (issue 13 §2).

Bars dated on a weekend or exchange holiday, after today or before the exchange opened, and minute bars ending
outside the sessions are row errors through `data.quality` — on the file import (file, row, column, symbol and
date named; `--strict` refuses the file) and on the vendor ingest path. Real history is not touched: every real
file of ../shared/data/real imports with no calendar rejection, and the Baostock 000025 file (which lists
suspended days too) has exactly the calendar's sessions from 1993 to 2022.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from thermoquant.data.ingest import run_ingest
from thermoquant.data.quality import (
    CALENDAR_TABLES,
    QualityConfig,
    Severity,
    check_session_times,
    check_trading_days,
    validate,
    with_row_numbers,
)
from thermoquant.data.schema import TABLES, get_table
from thermoquant.data.sources.akshare_src import AkshareSource
from thermoquant.data.sources.base import RetryPolicy
from thermoquant.data.sources.csv import expand_paths, import_paths, read_file
from thermoquant.data.sources.csv_layouts import UnknownLayoutError
from thermoquant.data.store import Store
from thermoquant.market.calendar import sessions, use_calendar_table

sys.path.insert(0, str(Path(__file__).resolve().parent / "sources"))
from vendor_stubs import VendorStub, replay

CALENDAR_RULES = {"non_trading_day", "future_date", "before_open", "calendar_unknown", "session_time"}
TODAY = dt.date(2026, 6, 30)  # tests/conftest.py pins TQ_TODAY to this day
D = dt.date


def bars(days: list[dt.date], symbol: str = "000025.SZ") -> pl.DataFrame:
    """Plain, valid daily bars of one stock on the given days (with ``_row``)."""
    n = len(days)
    return with_row_numbers(pl.DataFrame(
        {"symbol": [symbol] * n, "trade_date": days, "open": [10.0] * n, "high": [10.5] * n, "low": [9.8] * n,
         "close": [10.2] * n, "volume": [1e6] * n, "amount": [1.02e7] * n},
    ))  # fmt: skip


def calendar_issues(issues: list[Any]) -> list[tuple[int | None, str, str]]:
    return [(i.row, i.rule, i.severity.value) for i in issues if i.rule in CALENDAR_RULES]


# ------------------------------------------------------------------------------------------- daily dates
def test_the_issue_dates_are_row_errors_and_real_days_pass() -> None:
    frame = bars([D(1900, 1, 5), D(2099, 12, 31), D(2015, 1, 10), D(2015, 1, 9), D(2015, 2, 19), TODAY])
    issues = validate(frame, "daily_quote")
    assert calendar_issues(issues) == [
        (1, "before_open", "error"),
        (2, "future_date", "error"),
        (3, "non_trading_day", "error"),
        (5, "non_trading_day", "error"),  # Spring Festival 2015 (a Thursday)
    ]
    saturday = next(i for i in issues if i.row == 3)
    assert saturday.column == "trade_date" and saturday.value == "2015-01-10"
    assert "2015-01-10" in saturday.message and "Saturday" in saturday.message and "周六" in saturday.message
    assert "before the exchange opened (1990-12-19)" in next(i for i in issues if i.row == 1).message
    assert "after today (2026-06-30)" in next(i for i in issues if i.row == 2).message


def test_a_bar_dated_today_is_fine_and_tomorrow_is_the_future() -> None:
    assert check_trading_days(bars([TODAY])) == []
    tomorrow = check_trading_days(bars([D(2026, 7, 1)]))
    assert [(i.rule, i.severity) for i in tomorrow] == [("future_date", Severity.ERROR)]
    assert check_trading_days(bars([D(2026, 7, 1)]), today=D(2026, 7, 1)) == []  # `today` is injectable


def test_the_first_session_is_1990_12_19() -> None:
    assert check_trading_days(bars([D(1990, 12, 19)])) == []
    assert [i.rule for i in check_trading_days(bars([D(1990, 12, 18)]))] == ["before_open"]


@pytest.mark.parametrize("table", sorted(CALENDAR_TABLES))
def test_every_per_trading_day_table_rejects_a_saturday(table: str) -> None:
    spec = get_table(table)
    row = {c: None for c in spec.column_names}
    row["trade_date"] = D(2015, 1, 10)
    for col in spec.primary_key:
        if col != "trade_date":
            row[col] = {"int": 1, "bigint": 1}.get(spec.column(col).type, "X")
    frame = pl.DataFrame([row], schema=spec.polars_schema())
    assert [(i.rule, i.column) for i in validate(frame, table) if i.rule in CALENDAR_RULES] == [
        ("non_trading_day", "trade_date")
    ]


def test_calendar_tables_are_exactly_the_tables_with_a_trade_date() -> None:
    assert {t.name for t in TABLES.values() if "trade_date" in t.column_names} == CALENDAR_TABLES


def test_dates_that_may_fall_on_any_day_are_not_checked() -> None:
    # index membership takes effect on the 1st of a month (2024-06-01 was a Saturday): not a trading-day table
    weights = pl.DataFrame(
        {
            "index_code": ["000905.SH"],
            "effective_date": [D(2024, 6, 1)],
            "symbol": ["600000.SH"],
            "weight": [0.2],
        }
    )
    assert calendar_issues(validate(weights, "index_weight")) == []


def test_a_weekday_beyond_the_calendar_is_a_warning_and_a_weekend_there_an_error() -> None:
    late = QualityConfig(today=D(2027, 3, 31))  # exchange_calendars 4.13.2 ends 2026-12-31
    issues = validate(bars([D(2027, 3, 1), D(2027, 3, 6)]), "daily_quote", config=late)
    assert calendar_issues(issues) == [(1, "calendar_unknown", "warning"), (2, "non_trading_day", "error")]
    assert "tq ingest trade_calendar" in next(i for i in issues if i.row == 1).message
    # once the trade_calendar table knows 2027, the weekday is checked like any other (here: a holiday)
    march = [D(2027, 3, 1) + dt.timedelta(days=k) for k in range(31)]
    use_calendar_table(march, [d.weekday() < 5 and d != D(2027, 3, 1) for d in march])
    assert calendar_issues(validate(bars([D(2027, 3, 1), D(2027, 3, 2)]), "daily_quote", config=late)) == [
        (1, "non_trading_day", "error")
    ]


def test_the_check_is_one_pass_over_distinct_dates(real_data: Path) -> None:
    """A whole-market window (1.1 M rows, 252 days) checks in well under a second, with one bad row named."""
    import time

    market = read_file(real_data / "xbx_market" / "market_2021-01_2022-01.parquet").frame
    bad = pl.concat([market, market.head(1).with_columns(pl.lit(D(2021, 10, 2)).alias("trade_date"))])
    started = time.perf_counter()
    issues = check_trading_days(with_row_numbers(bad))
    assert time.perf_counter() - started < 1.0
    assert [(i.row, i.rule) for i in issues] == [(bad.height, "non_trading_day")]


# ------------------------------------------------------------------------------------------- minute bars
def minute(times: list[dt.datetime], symbols: list[str] | str = "600000.SH") -> pl.DataFrame:
    syms = symbols if isinstance(symbols, list) else [symbols] * len(times)
    return pl.DataFrame(
        {"symbol": syms, "freq": ["1m"] * len(times), "bar_time": times, "close": [1.0] * len(times)}
    )


MONDAY = D(2024, 3, 25)


def at(hh: int, mm: int, day: dt.date = MONDAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm))


def test_minute_bar_ends_inside_the_sessions_pass() -> None:
    ok = [at(9, 25), at(9, 30), at(9, 31), at(10, 0), at(11, 30), at(13, 1), at(14, 57), at(15, 0)]
    assert validate(minute(ok), "minute_quote") == []


@pytest.mark.parametrize(
    "hh, mm", [(9, 0), (9, 29), (11, 31), (12, 0), (13, 0), (15, 1), (15, 5), (16, 0), (0, 0)]
)
def test_minute_bar_ends_outside_the_sessions_are_row_errors(hh: int, mm: int) -> None:
    issues = validate(minute([at(10, 0), at(hh, mm)]), "minute_quote")
    assert calendar_issues(issues) == [(2, "session_time", "error")]
    assert issues[0].column == "bar_time" and issues[0].value == f"2024-03-25 {hh:02d}:{mm:02d}:00"


def test_minute_bars_on_closed_days_or_in_the_future_are_row_errors() -> None:
    frame = minute(
        [at(10, 0, D(2024, 3, 23)), at(10, 0, D(2024, 2, 12)), at(10, 0, D(2026, 7, 1)), at(10, 0)]
    )
    assert calendar_issues(validate(frame, "minute_quote")) == [
        (1, "non_trading_day", "error"),  # Saturday
        (2, "non_trading_day", "error"),  # Spring Festival 2024
        (3, "future_date", "error"),
    ]


def test_the_opening_auction_bar_is_a_named_parameter() -> None:
    frame = minute([at(9, 25), at(9, 30), at(9, 31)])
    strict = QualityConfig(opening_auction_bar_ends=())
    assert calendar_issues(validate(frame, "minute_quote", config=strict)) == [
        (1, "session_time", "error"),
        (2, "session_time", "error"),
    ]
    only_930 = QualityConfig(opening_auction_bar_ends=(dt.time(9, 30),))
    assert calendar_issues(validate(frame, "minute_quote", config=only_930)) == [(1, "session_time", "error")]


def test_after_hours_fixed_price_bars_by_board_and_start_date() -> None:
    frame = minute(
        [
            at(15, 30),
            at(15, 10),
            at(15, 30),
            at(15, 30),
            at(15, 30, D(2020, 8, 21)),
            at(15, 30, D(2019, 7, 19)),
        ],
        ["688981.SH", "300750.SZ", "430047.BJ", "600000.SH", "300750.SZ", "688981.SH"],
    )
    # STAR, ChiNext, BSE after their start dates pass; the main board never has the session; ChiNext before the
    # 2020-08-24 reform and a STAR bar of 2019-07-19 (the board opened on the 22nd; that Friday is a session) fail
    assert calendar_issues(validate(frame, "minute_quote")) == [
        (4, "session_time", "error"),
        (5, "session_time", "error"),
        (6, "session_time", "error"),
    ]
    off = QualityConfig(after_hours_bars=False)
    assert [r for r, *_ in calendar_issues(validate(frame, "minute_quote", config=off))] == [1, 2, 3, 4, 5, 6]


def test_bars_labelled_by_start_time_are_caught_at_13_00() -> None:
    day = [at(9, 30) + dt.timedelta(minutes=5 * k) for k in range(24)]
    day += [at(13, 0) + dt.timedelta(minutes=5 * k) for k in range(24)]  # 13:00 … 14:55: bar STARTS
    issues = check_session_times(with_row_numbers(minute(day)))
    assert [i.value for i in issues] == ["2024-03-25 13:00:00"]


def test_real_etf_and_index_minute_bars_all_pass(real_data: Path) -> None:
    """zsh-a/etf (MANIFEST §11.3): 1,017,024 five-minute and 48,000 one-minute bars of ETFs and indices."""
    folder = real_data / "zsh_etf_minute"
    five = pl.read_parquet(
        folder / "etf_index_5min_raw_2021-04_2023-04.parquet", columns=["code", "datetime"]
    )
    ones = [pl.read_csv(folder / f, columns=["code", "datetime"], try_parse_dates=True, schema_overrides={"code": pl.Utf8})
            for f in ("sse_composite_1min_2022-12_2023-05.csv.gz", "etf_510880_1min_2022-12_2023-05.csv.gz")]  # fmt: skip
    for frame, freq in ((five, "5m"), (pl.concat(ones), "1m")):
        bars_ = frame.select(
            pl.col("code").cast(pl.Utf8).alias("symbol"),
            pl.lit(freq).alias("freq"),
            pl.col("datetime").cast(pl.Datetime("us")).alias("bar_time"),
            pl.lit(1.0).alias("close"),
        )
        assert bars_.height in (1_017_024, 48_000)
        assert calendar_issues(validate(bars_, "minute_quote")) == []


# ------------------------------------------------------------------------------------------- real history
def test_baostock_000025_lists_exactly_the_calendar_sessions_1993_to_2022(real_data: Path) -> None:
    """Baostock lists suspended days too (tradestatus 0): its 6,973 days are the XSHG sessions between its first and
    last day, one for one, so exchange_calendars' early-1990s history agrees with the vendor's."""
    days = pl.read_csv(real_data / "baostock_sz" / "sz.000025.csv", columns=["date"])["date"].str.to_date()
    mine = np.unique(days.to_numpy().astype("datetime64[D]"))
    cal = sessions()
    span = cal[(cal >= mine[0]) & (cal <= mine[-1])]
    assert len(mine) == 6973 and np.array_equal(span, mine)


def test_no_real_row_is_rejected_by_the_calendar(real_data: Path) -> None:
    """Every importable real file (bars from 1990–2026, netease indices, xbx whole-market windows, csi500 files):
    no calendar issue, as of a day after the newest real row (510500_finshare runs to 2026-08-03)."""
    as_of = QualityConfig(today=D(2026, 8, 31))
    checked = 0
    for path in expand_paths([real_data]):
        try:
            result = read_file(path, config=as_of)
        except UnknownLayoutError:
            continue
        found = [(i.rule, i.key) for i in [*result.rejected, *result.warnings] if i.rule in CALENDAR_RULES]
        assert found == [], path
        checked += sum(f.height for f in result.tables().values())
    assert checked > 2_900_000


def test_with_the_pinned_today_only_the_later_real_rows_are_the_future(real_data: Path) -> None:
    result = read_file(real_data / "morphkyan_etf" / "510500_finshare.csv")
    future = [i for i in result.rejected if i.rule == "future_date"]
    assert len(future) == 24 and len(result.rejected) == 24
    assert min(i.value for i in future) == "2026-07-01" and max(i.value for i in future) == "2026-08-03"
    assert result.frame["trade_date"].max() == TODAY


# ------------------------------------------------------------------------------------------- the file import
ISSUE_FILE = """date,code,open,high,low,close,preclose,volume,amount,adjustflag,turn,tradestatus,pctChg,peTTM,psTTM,pcfNcfTTM,pbMRQ,isST
1900-01-05,sz.000025,10.0,10.5,9.8,10.2,10.0,1000000,10200000,3,0.5,1,2.0,20,2,10,1.5,0
2015-01-09,sz.000025,10.0,10.5,9.8,10.2,10.0,1000000,10200000,3,0.5,1,2.0,20,2,10,1.5,0
2015-01-10,sz.000025,10.0,10.5,9.8,10.2,10.0,1000000,10200000,3,0.5,1,2.0,20,2,10,1.5,0
2015-01-12,sz.000025,10.0,10.5,9.8,10.2,10.0,1000000,10200000,3,0.5,1,2.0,20,2,10,1.5,0
2099-12-31,sz.000025,10.0,10.5,9.8,10.2,10.0,1000000,10200000,3,0.5,1,2.0,20,2,10,1.5,0
"""


def test_file_import_names_file_row_column_symbol_and_date(tmp_path: Path) -> None:
    path = tmp_path / "sz.000025.csv"
    path.write_text(ISSUE_FILE, encoding="utf-8")
    result = read_file(path)
    found = sorted({(i.row, i.column, i.rule, i.key) for i in result.rejected})
    assert found == [
        (1, "trade_date", "before_open", "000025.SZ 1900-01-05"),
        (3, "trade_date", "non_trading_day", "000025.SZ 2015-01-10"),
        (5, "trade_date", "future_date", "000025.SZ 2099-12-31"),
    ]
    assert "sz.000025.csv: row 3 (line 4) [000025.SZ 2015-01-10], column trade_date: 2015-01-10" in str(
        next(i for i in result.rejected if i.row == 3)
    )
    # the valuations of the same rows go to daily_valuation: rejected with them
    assert result.frame["trade_date"].to_list() == [D(2015, 1, 9), D(2015, 1, 12)]
    assert result.extra_tables["daily_valuation"]["trade_date"].to_list() == [D(2015, 1, 9), D(2015, 1, 12)]


def test_db_info_no_longer_reaches_2099_and_strict_refuses_the_file(tmp_path: Path, tmp_store: Store) -> None:
    path = tmp_path / "sz.000025.csv"
    path.write_text(ISSUE_FILE, encoding="utf-8")
    strict = import_paths([path], tmp_store, strict=True)
    assert strict[0].refused and tmp_store.read("daily_quote").height == 0
    results = import_paths([path], tmp_store)
    assert results[0].written == {"daily_quote": 2, "daily_valuation": 2}
    info = tmp_store.table_info().filter(pl.col("table") == "daily_quote").row(0, named=True)
    assert (info["first_date"], info["last_date"]) == (D(2015, 1, 9), D(2015, 1, 12))


# ------------------------------------------------------------------------------------------- the vendor path
def test_ingest_rejects_vendor_rows_off_the_calendar(tmp_store: Store) -> None:
    def shifted(**kw: Any) -> pd.DataFrame:
        frame = replay("akshare", "stock_zh_a_hist", kw["symbol"]).copy()
        frame.loc[1, "日期"] = pd.Timestamp("2021-06-12")  # a Saturday
        frame.loc[2, "日期"] = pd.Timestamp("2021-06-14")  # Dragon Boat Festival (a Monday)
        frame.loc[3, "日期"] = pd.Timestamp("2099-12-31")
        return frame

    src = AkshareSource(
        VendorStub("akshare", {"stock_zh_a_hist": shifted}), retry_policy=RetryPolicy(attempts=1)
    )
    # an explicit end after today lets the vendor's future row through the adapter's clip to [start, end]
    late = D(2099, 12, 31)
    report = run_ingest(tmp_store, "daily_quote", [src], symbols=["600000.SH"], start=D(2021, 6, 1), end=late)
    item = report.items[0]
    assert (item.rows_in, item.rejected, item.rows_written) == (65, 3, 62)
    assert any("(600000.SH 2021-06-12)" in e and "Saturday" in e for e in item.errors)
    assert any("(600000.SH 2099-12-31)" in e and "after today" in e for e in item.errors)
    stored = tmp_store.read("daily_quote")["trade_date"]
    assert stored.max() == D(2021, 8, 31) and D(2021, 6, 12) not in stored.to_list()


# Sina's hfq-factor list for sz000002 (万科A) as AKShare documents it (docs/data/stock/stock.md): newest first,
# the factor on each ex-rights day, then the "from the start" row dated 1900-01-01.
VANKE_HFQ = [("2023-08-25", "169.1453113717332000"), ("2022-08-25", "160.8188465756604000"),
             ("2021-08-25", "151.4445011965874000"), ("2020-08-14", "143.2209726780933200"),
             ("2019-08-15", "138.1300530033661900"), ("2018-08-23", "132.8090063887726200"),
             ("2017-08-29", "127.8120120012352000"), ("2016-07-29", "123.6066188533395000"),
             ("2015-07-21", "118.6402814886964000"), ("2014-05-08", "114.7757772056770000"),
             ("2013-05-16", "108.7963529802224000"), ("2012-07-05", "107.0648460362401000"),
             ("2011-05-27", "105.5370271575670000"), ("2010-05-18", "104.2011154213954000"),
             ("2009-06-08", "103.1470578954563000"), ("2008-06-16", "102.6646114132513100"),
             ("2007-05-16", "63.7765010294439100"), ("2006-07-21", "42.2400160641971000"),
             ("2005-06-29", "41.1979104047185000"), ("2004-05-26", "26.6526915438809980"),
             ("2003-05-23", "17.6470917599285000"), ("2002-07-17", "8.6957610011813000"),
             ("2001-08-21", "8.5561821729119010"), ("2000-08-17", "8.4504777946604000"),
             ("2000-01-10", "8.3635387226989000"), ("1999-08-06", "7.7944540348408990"),
             ("1998-07-10", "7.0316110463273000"), ("1997-07-14", "6.3168137059205000"),
             ("1997-06-27", "5.4161751759863000"), ("1996-08-06", "4.6894954853220000"),
             ("1995-07-04", "4.1932895546844000"), ("1994-06-21", "3.5302133055222000"),
             ("1993-04-05", "2.5660032904614000"), ("1992-03-30", "1.7073091178651000"),
             ("1991-06-10", "1.4227575982209000"), ("1991-01-29", "1.0000000000000000"),
             ("1900-01-01", "1.0000000000000000")]  # fmt: skip


def test_sina_factor_base_row_is_dropped_and_every_vanke_ex_date_is_a_session(tmp_store: Store) -> None:
    def sina(**kw: Any) -> pd.DataFrame:
        frame = pd.DataFrame(VANKE_HFQ, columns=["date", "hfq_factor"])
        frame.index = pd.to_datetime(frame["date"])
        return frame.drop(columns="date").reset_index()  # as AKShare builds it

    src = AkshareSource(
        VendorStub("akshare", {"stock_zh_a_daily": sina}), retry_policy=RetryPolicy(attempts=1)
    )
    whole = src.fetch("adj_factor", symbols=["000002.SZ"])  # no range: nothing clipped
    assert whole.height == 36 and whole["trade_date"].min() == D(1991, 1, 29)
    assert validate(whole, "adj_factor") == []  # 1991 … 2023 ex-rights days: all sessions
    report = run_ingest(
        tmp_store, "adj_factor", [src], symbols=["000002.SZ"], start=D(1990, 12, 19), end=TODAY
    )
    assert (report.items[0].rows_in, report.items[0].rejected) == (36, 0)
    assert tmp_store.read("adj_factor").height == 36
