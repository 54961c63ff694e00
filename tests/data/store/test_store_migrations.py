"""schema_version, forward migrations, and reconciling tables/columns appended to schema.py later."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest

from thermoquant.data import schema
from thermoquant.data.schema import Column, Table
from thermoquant.data.store import MIGRATIONS, Migration, Store, open_store
from thermoquant.data.store.migrations import MigrationContext


def test_fresh_database_is_at_latest_version(store: Store) -> None:
    assert store.schema_version() == len(MIGRATIONS)
    assert store.init() == []  # idempotent
    info = store.table_info()
    assert info["exists"].all(), info.filter(~pl.col("exists"))["table"].to_list()
    versions = store.read("schema_version")
    assert versions["version"].to_list() == [1]
    assert versions["applied_at"].null_count() == 0


def test_uninitialised_database_reports_version_zero(store_url: str) -> None:
    with open_store(store_url, init=False) as s:
        assert s.schema_version() == 0
        assert s.row_counts() == {}
        assert s.init() == [1]
        assert s.schema_version() == 1


def test_later_migration_applies_once(store: Store) -> None:
    calls: list[str] = []

    def add_index(ctx: MigrationContext) -> None:
        calls.append(ctx.dialect)
        ctx.execute("CREATE INDEX ix_daily_quote_date ON daily_quote (trade_date)")

    steps = [*MIGRATIONS, Migration(2, "index daily_quote by date", add_index)]
    assert store.init(steps) == [2]
    assert store.init(steps) == []
    assert calls == [store.dialect]
    assert store.schema_version() == 2
    assert store.read("schema_version", columns=["version", "description"]).rows()[-1] == (
        2,
        "index daily_quote by date",
    )
    assert store.init() == []  # the default list is behind the database: nothing to do, nothing undone


def test_failing_migration_changes_nothing(store: Store) -> None:
    def broken(ctx: MigrationContext) -> None:
        ctx.execute("CREATE TABLE half_done (a INTEGER)")
        ctx.execute("SELECT * FROM no_such_table")

    with pytest.raises(Exception, match="no_such_table"):
        store.init([*MIGRATIONS, Migration(2, "broken", broken)])
    assert store.schema_version() == 1
    half_done = store.query(
        "SELECT count(*) AS n FROM information_schema.tables "
        f"WHERE table_name = 'half_done' AND table_schema = {store.current_schema_sql}"
    ).item()
    # MySQL/MariaDB commit every DDL statement by itself: the table stays, but the version is not recorded
    # (test_store_mysql.py checks that a re-runnable migration then completes on the next init)
    assert half_done == (1 if store.dialect == "mysql" else 0)


def test_misnumbered_migrations_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match=r"1\.\.n in order"):
        store.init([*MIGRATIONS, Migration(3, "gap", lambda ctx: None)])


def test_tables_and_columns_appended_to_schema_are_created(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(store_url) as s:
        s.upsert(
            "adj_factor",
            pl.DataFrame({"symbol": ["600000.SH"], "trade_date": ["2021-01-04"], "adj_factor": [1.5]}),
        )
    new_table = Table(
        "test_appended",
        "a table appended to schema.py after the database was created",
        (Column("k", "text", "", "key", nullable=False), Column("v", "double", "CNY", "value")),
        ("k",),
    )
    adj = schema.TABLES["adj_factor"]
    grown = dataclasses.replace(adj, columns=(*adj.columns, Column("note", "text", "", "appended column")))
    monkeypatch.setitem(schema.TABLES, "test_appended", new_table)
    monkeypatch.setitem(schema.TABLES, "adj_factor", grown)
    with open_store(store_url) as s:
        assert s.schema_version() == 1
        assert s.upsert("test_appended", pl.DataFrame({"k": ["a"], "v": [1.0]})) == 1
        back = s.read("adj_factor")
        assert back.columns[-1] == "note"
        assert back.row(0, named=True)["adj_factor"] == 1.5 and back["note"].to_list() == [None]
        assert s.upsert("adj_factor", back.with_columns(note=pl.lit("补"))) == 1
        assert s.read("adj_factor")["note"].to_list() == ["补"]
