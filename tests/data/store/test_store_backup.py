"""Backup → damage → restore, on real files (DuckDB) and the real server (PostgreSQL): the data comes back identical,
the replaced database is kept aside, and a restore that cannot finish changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import psycopg
import pytest
from psycopg import sql as pgsql

from store_damage import damage_table, digest, filled_database, truncate_half
from thermoquant.data.schema import TABLES
from thermoquant.data.store import Store, StoreCorruptError, StoreError, StoreLockedError, open_store
from thermoquant.data.store.backup import MANIFEST, backup, default_destination, read_backup, restore


def _contents(store: Store) -> dict[str, pl.DataFrame]:
    present = store.table_names()
    return {name: store.read(name) for name in TABLES if name in present}


def _bare(url: str) -> Store:
    """The store as `tq db backup/restore` opens it: nothing read or written on opening."""
    return open_store(url, init=False, calendar=False)


def test_duckdb_backup_damage_restore_gives_the_same_data(tmp_path: Path) -> None:
    db = filled_database(tmp_path / "tq.duckdb")
    url = f"duckdb:///{db}"
    with _bare(url) as store:
        before = _contents(store)
        info = backup(store, tmp_path / "backups" / "one")
    assert (info.path / MANIFEST).is_file() and not (tmp_path / "backups" / "one.partial").exists()
    assert info.backend == "duckdb" and info.schema_version == 1
    assert info.tables["daily_quote"] == before["daily_quote"].height == 39
    assert read_backup(info.path).tables == info.tables
    assert sorted(p.name for p in info.path.glob("daily_quote*.parquet"))

    damage_table(db, "daily_quote")
    damaged = digest(db)
    with _bare(url) as store:
        assert store.check().damaged == ["daily_quote"]
        result = restore(store, info.path)
    assert result.target == str(db) and result.kept is not None
    kept = Path(result.kept)
    assert kept.name.startswith("tq.duckdb.before-restore-") and digest(kept) == damaged
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["backups", "tq.duckdb", kept.name])
    with open_store(url, init=False) as store:
        assert store.check().ok
        after = _contents(store)
        comment = store.query(
            "SELECT comment FROM duckdb_columns() WHERE table_name = 'daily_quote' AND column_name = 'volume'"
        ).item()
    assert after.keys() == before.keys()
    for name, frame in before.items():
        assert after[name].equals(frame), name
    assert comment and "shares" in comment  # column comments come back from schema.py
    with open_store(url) as store:  # and the restored file takes writes again
        assert store.upsert("stock_info", pl.DataFrame({"symbol": ["601398.SH"], "name": ["工商银行"]})) == 1


def test_backup_of_a_damaged_database_fails_and_leaves_nothing(tmp_path: Path) -> None:
    db = filled_database(tmp_path / "tq.duckdb")
    damage_table(db, "index_daily")
    with _bare(f"duckdb:///{db}") as store, pytest.raises(StoreCorruptError, match="index_daily"):
        backup(store, tmp_path / "b")
    assert not (tmp_path / "b").exists() and not (tmp_path / "b.partial").exists()
    truncate_half(db)
    with _bare(f"duckdb:///{db}") as store, pytest.raises(StoreCorruptError, match="truncated"):
        backup(store, tmp_path / "b")


def test_restore_stops_before_any_change_when_it_cannot_finish(tmp_path: Path) -> None:
    db = filled_database(tmp_path / "tq.duckdb")
    url = f"duckdb:///{db}"
    with _bare(url) as store:
        info = backup(store, tmp_path / "b")
    truncate_half(db)
    damaged = digest(db)
    # a manifest that does not match the data: refused after the import, before the swap
    manifest = json.loads((info.path / MANIFEST).read_text())
    manifest["tables"]["daily_quote"] += 1
    (info.path / MANIFEST).write_text(json.dumps(manifest))
    with _bare(url) as store, pytest.raises(StoreError, match="does not match its manifest"):
        restore(store, info.path)
    assert digest(db) == damaged and sorted(p.name for p in tmp_path.iterdir()) == ["b", "tq.duckdb"]
    manifest["tables"]["daily_quote"] -= 1
    (info.path / MANIFEST).write_text(json.dumps(manifest))
    # another process holds the file (as DuckDB locks it): refused, nothing changed
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl,sys,time; f=open(sys.argv[1],'r+b'); fcntl.lockf(f, fcntl.LOCK_SH); "
         "print('held', flush=True); time.sleep(30)", str(db)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with _bare(url) as store, pytest.raises(StoreLockedError, match="in use by another process"):
            restore(store, info.path)
    finally:
        holder.kill()
        holder.wait()
    assert digest(db) == damaged and sorted(p.name for p in tmp_path.iterdir()) == ["b", "tq.duckdb"]
    with _bare(url) as store:
        assert restore(store, info.path).kept is not None


def test_not_a_backup_and_default_destination(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a tq backup"):
        read_backup(tmp_path)
    import datetime as dt

    now = dt.datetime(2026, 6, 30, 15, 30, 12)
    first = default_destination(tmp_path, now)
    assert first == tmp_path.resolve() / "backups" / "20260630-153012"
    first.mkdir(parents=True)
    assert default_destination(tmp_path, now).name == "20260630-153012-2"


@pytest.mark.postgres
def test_postgres_backup_damage_restore(pg_url: str, pg_schema: str, tmp_path: Path) -> None:
    from store_damage import CSV_FIXTURES
    from thermoquant.data.sources.csv import import_paths

    url = f"{pg_url}?schema={pg_schema}"
    with open_store(url) as store:
        import_paths([CSV_FIXTURES], store)
        before = _contents(store)
        info = backup(store, tmp_path / "pg")
    assert info.backend == "postgres" and info.schema == pg_schema
    assert info.tables["daily_quote"] == before["daily_quote"].height > 0
    assert (tmp_path / "pg" / "tq.pgdump").stat().st_size > 0
    # damage the server's copy: rows lost, a table gone
    with open_store(url, init=False) as store:
        store.execute("DELETE FROM daily_quote WHERE symbol = '000025.SZ'")
        store.execute("DROP TABLE index_daily")
    kept = None
    try:
        with _bare(url) as store:
            result = restore(store, info.path)
        kept = result.kept
        assert kept is not None and kept.startswith(f"{pg_schema}_before_restore_")
        with open_store(url, init=False) as store:
            after = _contents(store)
            assert store.check().ok
        assert after.keys() == before.keys()
        for name, frame in before.items():
            assert after[name].equals(frame), name
        with open_store(f"{pg_url}?schema={kept}", init=False) as old:
            assert "index_daily" not in old.table_names()  # the damaged schema is kept as it was
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            for name in [kept] if kept else []:
                conn.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(name)))


@pytest.mark.postgres
def test_postgres_restore_that_fails_changes_nothing(pg_url: str, pg_schema: str, tmp_path: Path) -> None:
    url = f"{pg_url}?schema={pg_schema}"
    with open_store(url) as store:
        store.upsert("stock_info", pl.DataFrame({"symbol": ["600000.SH"], "name": ["浦发银行"]}))
        info = backup(store, tmp_path / "pg")
        store.upsert("stock_info", pl.DataFrame({"symbol": ["000025.SZ"], "name": ["特力Ａ"]}))
    manifest = json.loads((info.path / MANIFEST).read_text())
    manifest["tables"]["stock_info"] = 5  # the replayed dump will not have 5 rows: the transaction rolls back
    (info.path / MANIFEST).write_text(json.dumps(manifest))
    with _bare(url) as store, pytest.raises(StoreError, match="stock_info holds 1 rows"):
        restore(store, info.path)
    with open_store(url, init=False) as store:
        assert store.read("stock_info")["symbol"].to_list() == ["000025.SZ", "600000.SH"]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE %s", [f"{pg_schema}_before_restore_%"]
        ).fetchall()[0][0]
    assert left == 0


@pytest.mark.postgres
def test_postgres_backup_without_client_programs_says_so(
    pg_url: str, pg_schema: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without the PostgreSQL client programs
    with (
        open_store(f"{pg_url}?schema={pg_schema}") as store,
        pytest.raises(StoreError, match=r"pg_dump not found.*postgresql-client"),
    ):
        backup(store, tmp_path / "pg")
    assert not (tmp_path / "pg").exists() and not (tmp_path / "pg.partial").exists()
