"""Every table and every logical type round-trips through every backend unchanged."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from store_samples import SPECIAL_DOUBLES, sample_frame

from thermoquant.data.schema import TABLES, get_table
from thermoquant.data.store import Store


def test_every_table_round_trips(store: Store) -> None:
    with store.session():  # one connection for the 81 calls (per-call opens are covered by the other tests)
        _round_trip_every_table(store)


def _round_trip_every_table(store: Store) -> None:
    for name, table in TABLES.items():
        if name == "schema_version":
            continue  # owned by init(); covered by the migration tests
        frame = sample_frame(table)
        assert store.upsert(name, frame) == frame.height, name
        back = store.read(name)
        expected = frame.sort(list(table.primary_key))
        assert back.schema == pl.Schema(table.polars_schema()), name
        assert_frame_equal(back.sort(list(table.primary_key)), expected, check_exact=True)
        assert store.upsert(name, frame) == 0, f"{name}: re-upsert of identical rows must change nothing"


def test_special_doubles_round_trip(store: Store) -> None:
    table = get_table("adj_factor")
    frame = pl.DataFrame(
        {
            "symbol": ["600000.SH", "600001.SH", "600002.SH"],
            "trade_date": [dt.date(2021, 1, 4)] * 3,
            "adj_factor": SPECIAL_DOUBLES,
        }
    )
    if store.dialect == "mysql":
        pytest.skip("MySQL's DOUBLE has no inf/NaN: test_store_mysql.py checks NaN → null and inf refused")
    assert store.upsert("adj_factor", frame) == 3
    back = store.read("adj_factor")
    values = back["adj_factor"].to_list()
    assert values[:2] == [math.inf, -math.inf]
    assert math.isnan(values[2])
    assert back.schema == pl.Schema(table.polars_schema())
    assert store.upsert("adj_factor", frame) == 0, "NaN equals NaN for change detection"


def test_read_types_empty_table(store: Store) -> None:
    back = store.read("signals")
    assert back.height == 0
    assert back.schema == pl.Schema(get_table("signals").polars_schema())


@pytest.mark.parametrize("columns", [["symbol", "trade_date", "close"], ["close"]])
def test_read_column_subset(store: Store, columns: list[str]) -> None:
    frame = sample_frame(get_table("daily_quote"))
    store.upsert("daily_quote", frame)
    back = store.read("daily_quote", columns=columns)
    assert back.columns == columns
    assert back.height == frame.height


def test_units_are_stored_as_column_comments(store: Store) -> None:
    if store.dialect == "duckdb":
        sql = "SELECT comment FROM duckdb_columns() WHERE table_name = ? AND column_name = ?"
    elif store.dialect == "mysql":
        sql = (
            "SELECT column_comment FROM information_schema.columns "
            "WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?"
        )
    else:
        sql = (
            "SELECT col_description(a.attrelid, a.attnum) FROM pg_attribute a "
            "WHERE a.attrelid = (?)::regclass AND a.attname = ?"
        )
    assert store.query(sql, ["daily_quote", "volume"]).item() == "[shares] traded volume"
    assert store.query(sql, ["daily_quote", "symbol"]).item().startswith("security code")
