"""A damaged DuckDB file is never taken for a sound one: real files, really damaged (tests/store_damage.py).

What DuckDB reports, found by damaging files: a truncated file opens, counts its rows from metadata and fails only
when a missing block is read ("IO Error: Could not read enough bytes"); an overwritten block fails its checksum
when read ("Corrupt database file: computed checksum … does not match"); an overwritten header refuses to open
("not a valid DuckDB database file"). The store turns each into StoreCorruptError before anything is written.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from store_damage import damage_table, digest, filled_database, overwrite_block, truncate_half
from thermoquant.data.store import (
    LockWait,
    NotInitializedError,
    StoreCorruptError,
    StoreLockedError,
    StoreUnavailableError,
    open_store,
)
from thermoquant.data.store.duckdb_store import DuckDBStore

NEW_STOCK = pl.DataFrame({"symbol": ["600000.SH"], "name": ["浦发银行"]})


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return filled_database(tmp_path / "tq.duckdb")


def test_a_sound_file_checks_clean(db: Path) -> None:
    with open_store(f"duckdb:///{db}", init=False) as store:
        result = store.check()
        counts = store.row_counts()
    assert result.ok and result.file_error is None and result.damaged == []
    assert {t.table: t.rows for t in result.tables if t.rows} == {k: v for k, v in counts.items() if v}
    assert {"daily_quote", "index_daily", "stock_info"} <= {t.table for t in result.tables if t.rows}


def test_truncated_file_is_refused_before_any_write(db: Path) -> None:
    truncate_half(db)
    before = digest(db)
    with pytest.raises(StoreCorruptError, match="truncated"):
        open_store(f"duckdb:///{db}")  # init: the first write of `tq init`
    store = DuckDBStore(db)
    with pytest.raises(StoreCorruptError, match="truncated"):
        store.upsert("stock_info", NEW_STOCK)
    with pytest.raises(StoreCorruptError, match="truncated"):
        store.table_info()  # `tq db info` no longer prints the counts of the metadata
    result = store.check()
    assert not result.ok and "truncated" in (result.file_error or "")
    assert result.damaged, "a file cut in half has tables that cannot be read through"
    assert all("Could not read enough bytes" in t.error for t in result.tables if t.error)
    assert digest(db) == before and not Path(f"{db}.wal").exists()


def test_overwritten_block_names_the_table_and_stops_writes(db: Path) -> None:
    damage_table(db, "daily_quote")
    before = digest(db)
    store = DuckDBStore(db)
    result = store.check()
    assert result.file_error is None
    assert result.damaged == ["daily_quote"]
    bad = next(t for t in result.tables if t.table == "daily_quote")
    assert "Corrupt database file" in bad.error and bad.rows is None
    # counting still works from metadata: that is why a full read is needed
    assert store.row_counts()["daily_quote"] == 39
    # a write into another table is refused too: nothing goes into a damaged file
    with pytest.raises(StoreCorruptError, match="table daily_quote") as caught:
        store.upsert("stock_info", NEW_STOCK)
    assert caught.value.table == "daily_quote" and caught.value.path == str(db)
    with pytest.raises(StoreCorruptError):
        store.init()
    with pytest.raises(StoreCorruptError, match="daily_quote"):
        store.read("daily_quote")
    assert digest(db) == before and not Path(f"{db}.wal").exists()


def test_unverified_write_into_a_damaged_table_rolls_back(db: Path) -> None:
    """With the pre-write read switched off, the write itself meets the damage (the block of the key column it
    joins on): still nothing is written."""
    from store_damage import data_blocks

    overwrite_block(db, data_blocks(db, "daily_quote", "symbol")[0])
    before = digest(db)
    store = DuckDBStore(db, verify_writes=False)
    rows = pl.DataFrame({"symbol": ["000025.SZ"], "trade_date": ["2021-01-04"], "close": [1.0]})
    with pytest.raises(StoreCorruptError, match="daily_quote"):
        store.upsert("daily_quote", rows)
    assert digest(db) == before


def test_overwritten_header_is_reported_as_damage(db: Path) -> None:
    with db.open("r+b") as f:
        f.write(b"\0" * 4096)
    with pytest.raises(StoreCorruptError, match="not a valid DuckDB database file"):
        open_store(f"duckdb:///{db}", init=False).check()
    with pytest.raises(StoreCorruptError):
        open_store(f"duckdb:///{db}")


def test_damaged_block_of_a_small_table(db: Path) -> None:
    from store_damage import data_blocks

    (block,) = data_blocks(db, "stock_info")
    overwrite_block(db, block)
    result = DuckDBStore(db).check()
    assert result.damaged == ["stock_info"]


def test_missing_file_is_not_initialised(tmp_path: Path) -> None:
    with pytest.raises(NotInitializedError, match="tq init"):
        DuckDBStore(tmp_path / "none.duckdb").check()
    assert not (tmp_path / "none.duckdb").exists()


HOLDER = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_locked_file_tells_at_once_and_names_the_holder(db: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), "30"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        told: list[tuple[float, LockWait]] = []
        start = time.monotonic()
        with pytest.raises(StoreLockedError) as caught:
            open_store(
                f"duckdb:///{db}",
                init=False,
                lock_timeout=1.5,
                on_lock_wait=lambda w: told.append((time.monotonic() - start, w)),
            )
        waited = time.monotonic() - start
    finally:
        holder.kill()
        holder.wait()
    assert len(told) == 1 and told[0][0] < 0.5, "the wait is announced once, at once"
    wait = told[0][1]
    assert wait.pid == holder.pid and wait.timeout == 1.5 and wait.path == str(db)
    assert wait.program is not None and wait.program.startswith("-c")  # `python -c …`, interpreter dropped
    assert 1.5 <= waited < 10
    assert caught.value.pid == holder.pid
    assert f"PID {holder.pid}" in str(caught.value) and "1.5 s" in str(caught.value)
    assert isinstance(caught.value, StoreUnavailableError)


@pytest.mark.postgres
def test_postgres_check_reads_every_table(pg_url: str, pg_schema: str) -> None:
    with open_store(f"{pg_url}?schema={pg_schema}") as store:
        store.upsert("stock_info", NEW_STOCK)
        result = store.check()
    assert result.ok
    assert {t.table: t.rows for t in result.tables}["stock_info"] == 1


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        ("postgresql://postgres@127.0.0.1:1/test", "no PostgreSQL server answers at 127.0.0.1:1"),
        (
            "postgresql://postgres@127.0.0.1:5432/tq_no_such_database",
            'database "tq_no_such_database" does not',
        ),
    ],
)
def test_unreachable_postgres_says_why(url: str, cause: str, pg_url: str) -> None:
    with pytest.raises(StoreUnavailableError, match=cause):
        open_store(url)


def test_damage_in_any_block_is_found_before_a_write_changes_the_file(db: Path, tmp_path: Path) -> None:
    """Each block in turn overwritten: a write either succeeds on a file whose check passed (the block was free or
    never read), or raises StoreCorruptError and leaves the file byte for byte as it was — including damage that
    only the write meets (a primary-key index block, which no read touches)."""
    import shutil

    from store_damage import block_size

    blocks = (db.stat().st_size - 3 * 4096) // block_size(db)
    outcomes: dict[str, list[int]] = {"refused by check": [], "refused by the write": [], "written": []}
    for block in range(blocks):
        copy = tmp_path / f"copy{block}.duckdb"
        shutil.copy(db, copy)
        overwrite_block(copy, block)
        try:
            healthy = DuckDBStore(copy).check().ok
        except StoreCorruptError:
            healthy = False
        before = digest(copy)
        try:
            DuckDBStore(copy).upsert("stock_info", NEW_STOCK)
        except StoreCorruptError:
            assert digest(copy) == before, f"block {block}: a refused write changed the file"
            outcomes["refused by check" if not healthy else "refused by the write"].append(block)
        else:
            assert healthy, f"block {block}: written although the check found damage"
            outcomes["written"].append(block)
    assert outcomes["refused by check"], outcomes
    assert outcomes["refused by the write"], f"no damage met only by the write: {outcomes}"


@pytest.mark.mysql
def test_mysql_check_and_unreachable_server(mysql_db_url: str) -> None:
    with open_store(mysql_db_url) as store:
        store.upsert("stock_info", NEW_STOCK)
        result = store.check()
    assert result.ok and {t.table: t.rows for t in result.tables}["stock_info"] == 1
    with pytest.raises(StoreUnavailableError, match="cannot connect to MySQL"):
        open_store("mysql://root@127.0.0.1:1/test")
