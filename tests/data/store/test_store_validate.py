"""Input validation: bad frames are refused with errors naming the table, the column or the key."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from thermoquant.data.schema import get_table
from thermoquant.data.store import Store, ValidationError
from thermoquant.data.store.validate import prepare_frame

DQ = get_table("daily_quote")


def quotes(**extra: list[object]) -> pl.DataFrame:
    base: dict[str, list[object]] = {
        "symbol": ["600000.SH", "000001.SZ"],
        "trade_date": [dt.date(2021, 1, 4), dt.date(2021, 1, 4)],
        "close": [10.0, 20.0],
    }
    base.update(extra)
    return pl.DataFrame(base)


def test_unknown_column_names_table_and_column() -> None:
    with pytest.raises(ValidationError, match=r"table daily_quote has no column 'closing'"):
        prepare_frame(DQ, quotes(closing=[1.0, 2.0]))


def test_missing_key_column() -> None:
    with pytest.raises(ValidationError, match=r"daily_quote: key column\(s\) \['trade_date'\] missing"):
        prepare_frame(DQ, quotes().drop("trade_date"))


def test_null_key_names_column_and_row() -> None:
    with pytest.raises(
        ValidationError, match=r"key column 'symbol' is null in 1 row\(s\), first at row 2 of the batch"
    ):
        prepare_frame(DQ, quotes(symbol=["600000.SH", None]))


def test_duplicate_key_names_first_duplicate() -> None:
    frame = quotes(symbol=["600000.SH", "600000.SH"])
    with pytest.raises(ValidationError, match=re.escape("'symbol': '600000.SH'")):
        prepare_frame(DQ, frame)


def test_uncastable_value_names_column() -> None:
    with pytest.raises(ValidationError, match=r"daily_quote\.close \(double\): cannot cast"):
        prepare_frame(DQ, quotes(close=["10.0", "ten"]))
    with pytest.raises(ValidationError, match=r"at row 2 of the batch \(value 'ten'\).*000001\.SZ"):
        prepare_frame(DQ, quotes(close=["10.0", "ten"]))


def test_string_dates_and_ints_are_cast() -> None:
    out = prepare_frame(DQ, quotes(trade_date=["2021-01-04", "2021-01-05"], volume=[100, 200]))
    assert out.schema["trade_date"] == pl.Date()
    assert out.schema["volume"] == pl.Float64()
    assert out["trade_date"].to_list() == [dt.date(2021, 1, 4), dt.date(2021, 1, 5)]


def test_fractional_float_into_int_is_refused() -> None:
    table = get_table("block_trade")
    frame = pl.DataFrame({"symbol": ["600000.SH"], "trade_date": [dt.date(2021, 1, 4)], "seq": [1.5]})
    with pytest.raises(ValidationError, match=r"block_trade\.seq \(int\): value 1.5 is not a whole number"):
        prepare_frame(table, frame)
    ok = prepare_frame(table, frame.with_columns(seq=pl.lit(2.0)))
    assert ok["seq"].dtype == pl.Int32() and ok["seq"].to_list() == [2]


def test_datetime_with_time_into_date_is_refused_midnight_accepted() -> None:
    stamps = [dt.datetime(2021, 1, 4), dt.datetime(2021, 1, 4, 15, 0)]
    with pytest.raises(
        ValidationError, match=r"daily_quote\.trade_date \(date\): timestamp .* has a time of day"
    ):
        prepare_frame(DQ, quotes(trade_date=stamps))
    out = prepare_frame(DQ, quotes(trade_date=[dt.datetime(2021, 1, 4), dt.datetime(2021, 1, 5)]))
    assert out["trade_date"].to_list() == [dt.date(2021, 1, 4), dt.date(2021, 1, 5)]


def test_aware_timestamps_become_shanghai_wall_clock() -> None:
    table = get_table("minute_quote")
    utc = dt.datetime(2021, 1, 4, 1, 31, tzinfo=ZoneInfo("UTC"))
    frame = pl.DataFrame({"symbol": ["600000.SH"], "freq": ["1m"], "bar_time": [utc]})
    out = prepare_frame(table, frame)
    assert out["bar_time"].to_list() == [dt.datetime(2021, 1, 4, 9, 31)]


def test_categorical_symbols_are_text() -> None:
    out = prepare_frame(DQ, quotes().with_columns(pl.col("symbol").cast(pl.Categorical)))
    assert out.schema["symbol"] == pl.Utf8()


def test_columns_come_back_in_table_order() -> None:
    out = prepare_frame(DQ, quotes().select("close", "trade_date", "symbol"))
    assert out.columns == ["symbol", "trade_date", "close"]


def test_bad_frame_writes_nothing(store: Store) -> None:
    with pytest.raises(ValidationError):
        store.upsert("daily_quote", quotes(symbol=["600000.SH", "600000.SH"]))
    assert store.read("daily_quote").height == 0


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({"symbol": ["600000.SH", "600000.SH"]}, "'symbol': '600000.SH'"),
        ({"close": ["11.0", "ten"]}, r"daily_quote\.close"),
        ({"symbol": ["600000.SH", None]}, "key column 'symbol' is null"),
    ],
)
def test_bad_frame_leaves_stored_rows_untouched(
    store: Store, bad: dict[str, list[object]], match: str
) -> None:
    """A refused batch that overlaps stored keys neither changes nor removes what was there."""
    assert store.upsert("daily_quote", quotes()) == 2
    before = store.read("daily_quote")
    with pytest.raises(ValidationError, match=match):
        store.upsert("daily_quote", quotes(**bad))
    assert store.read("daily_quote").equals(before)


def test_uncastable_value_names_the_row() -> None:
    with pytest.raises(ValidationError, match=r"row 2|000001\.SZ"):
        prepare_frame(DQ, quotes(close=["10.0", "ten"]))
    with pytest.raises(ValidationError, match=r"at row 2 of the batch \(value 'ten'\).*000001\.SZ"):
        prepare_frame(DQ, quotes(close=["10.0", "ten"]))


def test_unknown_table(store: Store) -> None:
    with pytest.raises(KeyError, match="unknown table 'daily_quotes'"):
        store.upsert("daily_quotes", quotes())


def test_unparseable_date_text_names_column() -> None:
    with pytest.raises(ValidationError, match=r"daily_quote\.trade_date \(date\): cannot cast"):
        prepare_frame(DQ, quotes(trade_date=["2021-01-04", "20210105x"]))
