"""Reads: filters, ordering, table_info, row_counts, and opening stores by URL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from thermoquant.config import get_settings
from thermoquant.data.store import NotInitializedError, Store, StoreError, open_store
from thermoquant.data.store.base import qmark_to_pyformat
from thermoquant.data.store.duckdb_store import DuckDBStore
from thermoquant.data.store.postgres_store import split_schema


def minute_bars() -> pl.DataFrame:
    times = [dt.datetime(2021, 1, 4, 9, 31), dt.datetime(2021, 1, 4, 15, 0), dt.datetime(2021, 1, 5, 9, 31)]
    return pl.DataFrame(
        {
            "symbol": ["600000.SH"] * 3 + ["000001.SZ"] * 3,
            "freq": ["1m"] * 6,
            "bar_time": times * 2,
            "close": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )


def test_filters_and_order(store: Store) -> None:
    store.upsert("minute_quote", minute_bars())
    everything = store.read("minute_quote")
    assert everything["symbol"].to_list() == ["000001.SZ"] * 3 + ["600000.SH"] * 3  # primary-key order
    day = store.read("minute_quote", start=dt.date(2021, 1, 4), end=dt.date(2021, 1, 4))
    assert day.height == 4, "a date bound on a timestamp column covers the whole day"
    late = store.read("minute_quote", start=dt.datetime(2021, 1, 4, 10, 0), symbols=["600000.SH"])
    assert late["close"].to_list() == [2.0, 3.0]
    by_value = store.read(
        "minute_quote", where={"close": [1.0, 6.0], "freq": "1m"}, columns=["symbol", "close"]
    )
    assert by_value.rows() == [("000001.SZ", 6.0), ("600000.SH", 1.0)]
    assert store.read("minute_quote", symbols=[]).height == 0
    assert store.read("minute_quote", where={"source": None}).height == 6


def test_bad_filters_are_refused(store: Store) -> None:
    with pytest.raises(KeyError, match="has no column 'price'"):
        store.read("daily_quote", where={"price": 1})
    with pytest.raises(StoreError, match="macro has no symbol column"):
        store.read("macro", symbols=["600000.SH"])
    with pytest.raises(KeyError, match="has no column 'nope'"):
        store.read("daily_quote", columns=["symbol", "nope"])


def test_table_info_and_row_counts(store: Store) -> None:
    store.upsert("minute_quote", minute_bars())
    store.upsert("stock_info", pl.DataFrame({"symbol": ["600000.SH"], "name": ["浦发银行"]}))
    info = store.table_info()
    row = info.filter(pl.col("table") == "minute_quote").row(0, named=True)
    assert row["rows"] == 6 and row["date_column"] == "bar_time"
    assert (row["first_date"], row["last_date"]) == (dt.date(2021, 1, 4), dt.date(2021, 1, 5))
    empty = info.filter(pl.col("table") == "daily_quote").row(0, named=True)
    assert empty["rows"] == 0 and empty["first_date"] is None
    stock = info.filter(pl.col("table") == "stock_info").row(0, named=True)
    assert stock["date_column"] == "list_date" and stock["rows"] == 1
    counts = store.row_counts()
    assert counts["minute_quote"] == 6 and counts["stock_info"] == 1 and counts["schema_version"] == 1
    assert set(counts) == set(info["table"].to_list())


def test_open_store_default_url_comes_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TQ_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TQ_DATABASE_URL", raising=False)
    monkeypatch.delenv("TQ_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        with open_store() as s:
            assert isinstance(s, DuckDBStore)
            assert Path(s.path) == (tmp_path / "data" / "tq.duckdb").resolve()
            assert s.schema_version() == 1
    finally:
        get_settings.cache_clear()


def test_open_store_urls(tmp_path: Path) -> None:
    with open_store("duckdb:///:memory:") as mem:
        mem.upsert("stock_info", pl.DataFrame({"symbol": ["600000.SH"]}))
        assert mem.read("stock_info").height == 1
    with open_store(str(tmp_path / "plain.duckdb")) as plain:
        assert plain.schema_version() == 1
    with pytest.raises(StoreError, match="unsupported database URL"):
        open_store("sqlite:///tq.db")


def test_uninitialised_duckdb_reads_fail_clearly(tmp_path: Path) -> None:
    with open_store(f"duckdb:///{tmp_path / 'none.duckdb'}", init=False) as s:
        assert s.schema_version() == 0
        with pytest.raises(NotInitializedError, match="tq init"):
            s.read("daily_quote")


def test_session_holds_one_connection(tmp_path: Path) -> None:
    with open_store(f"duckdb:///{tmp_path / 's.duckdb'}") as s, s.session():
        for i in range(3):
            s.upsert("stock_info", pl.DataFrame({"symbol": [f"60000{i}.SH"]}))
        assert s.read("stock_info").height == 3


def test_pg_url_helpers() -> None:
    assert split_schema("postgresql://u@h:5432/db?schema=tq&sslmode=disable") == (
        "postgresql://u@h:5432/db?sslmode=disable",
        "tq",
    )
    assert split_schema("postgresql://u@h/db") == ("postgresql://u@h/db", None)
    assert qmark_to_pyformat("SELECT '?%', \"a?\" FROM t WHERE x = ? AND y LIKE 'a%'") == (
        "SELECT '?%%', \"a?\" FROM t WHERE x = %s AND y LIKE 'a%%'"
    )
