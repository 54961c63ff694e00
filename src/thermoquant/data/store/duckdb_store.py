"""DuckDB backend: one database file, opened per operation so other processes can read between batches.

Concurrency (see docs/store.md): DuckDB lets one process hold a file read-write, or many processes hold it
read-only. This store keeps no connection open between calls: every write opens the file read-write for one
transaction and closes it (which checkpoints); every read opens it read-only. An open that meets another process's
lock is retried with exponential backoff until `lock_timeout` seconds, then :class:`StoreLockedError` is raised;
the wait is announced once, when it begins, through a :data:`~thermoquant.data.store.waiting.LockWaitFn`
(`on_lock_wait`, else the process-wide handler of :mod:`~thermoquant.data.store.waiting`).
Readers therefore see whole committed batches only, and a dashboard keeps working while a job writes.

Damage (see docs/store.md, "Damaged files"): every open compares the file's size with the blocks its header
counts (a truncated file is refused at once), and before the first write of a store object every table is read
through, every row and column, so that each data block's checksum is verified (`verify_writes`; about 0.1 s per
million rows). Any DuckDB error that reports damage — a block failing its checksum, a short read, an unreadable
header, an unreadable WAL — becomes :class:`StoreCorruptError`, and the transaction it interrupted is rolled
back: nothing is written into a damaged file.
`Store.session()` holds one read-write connection across calls for a bulk job (other processes wait meanwhile).
`duckdb:///:memory:` keeps a single in-process connection (tests, scratch work).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from thermoquant.data.schema import Table
from thermoquant.progress import ProgressFn, tick

from .base import Store, StoreCheck, TableCheck
from .ddl import Dialect, quote_ident
from .errors import NotInitializedError, StoreCorruptError, StoreError, StoreLockedError
from .waiting import LockWait, LockWaitFn, current_lock_wait_handler, describe_holder, lock_holder

MEMORY = ":memory:"

CORRUPTION_MARKERS = (
    "Corrupt database file",  # a block fails its checksum (overwritten or flipped bytes)
    "Could not read enough bytes",  # a block lies beyond the end of the file: the file was truncated
    "not a valid DuckDB database file",  # the main header is unreadable (damaged, or not a DuckDB file)
    "Failure while replaying WAL",  # the write-ahead log beside the file is damaged
)
"""Texts by which DuckDB (1.x, 2.x) reports a damaged file, found by damaging real files (tests/data/store/
test_store_corruption.py); DuckDB raises them as IOException, a bare Error or a TransactionException at commit."""


class _DuckTx:
    """MigrationContext over a DuckDB connection."""

    dialect: Dialect = "duckdb"
    collation: str | None = None

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.conn.execute(sql, list(params) if params is not None else None)

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, list(params) if params is not None else None).fetchall()


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc)
    return "lock" in text.lower() and ("Could not set lock" in text or "Conflicting lock" in text)


def is_corruption(exc: BaseException) -> bool:
    """True when a DuckDB error reports a damaged database file (:data:`CORRUPTION_MARKERS`)."""
    text = str(exc)
    return isinstance(exc, duckdb.Error) and any(m in text for m in CORRUPTION_MARKERS)


class DuckDBStore(Store):
    """A DuckDB file (or `:memory:`).

    `lock_timeout`: seconds to keep retrying an open that meets another process's lock (default 60).
    `on_lock_wait`: told once when such a wait begins (None: the process-wide handler, see `waiting`).
    `threads`: DuckDB worker threads per connection (None = DuckDB's default, all cores).
    `verify_writes`: read every table through before the first write of this object (default True), so that a
    damaged file is refused before anything is written into it.
    """

    dialect: Dialect = "duckdb"

    def __init__(
        self,
        path: str | Path,
        *,
        lock_timeout: float = 60.0,
        threads: int | None = None,
        on_lock_wait: LockWaitFn | None = None,
        verify_writes: bool = True,
    ) -> None:
        self.path = str(path)
        self.lock_timeout = lock_timeout
        self.threads = threads
        self.on_lock_wait = on_lock_wait
        self.verify_writes = verify_writes
        self._write_verified = False
        self._lock = threading.RLock()
        self._held: duckdb.DuckDBPyConnection | None = None
        self._held_depth = 0
        if self.path == MEMORY:
            self._held = duckdb.connect(MEMORY)
            self._held_depth = 1
        else:
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"DuckDBStore({self.path!r})"

    # ------------------------------------------------------------------ connections
    def _open(self, read_only: bool, *, check_size: bool = True) -> duckdb.DuckDBPyConnection:
        """Connect (waiting out another process's lock); refuse a truncated file (`check_size`) and, before the
        first write, a file with any damaged data block (`verify_writes`)."""
        conn = self._connect_waiting(read_only)
        try:
            if check_size and self.path != MEMORY:
                problem = self._size_problem(conn)
                if problem is not None:
                    raise StoreCorruptError(problem, path=self.path)
            if not read_only and self.verify_writes and not self._write_verified and self.path != MEMORY:
                self._verify_all(conn)
                self._write_verified = True
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect_waiting(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        config: dict[str, Any] = {}
        if self.threads is not None:
            config["threads"] = self.threads
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.005
        told = False
        while True:
            if read_only and not Path(self.path).exists():
                raise NotInitializedError(f"database file {self.path} does not exist; run `tq init`")
            try:
                return duckdb.connect(self.path, read_only=read_only, config=config)
            except duckdb.Error as exc:
                if is_corruption(exc):
                    raise self._corrupt(exc) from exc
                if not _is_lock_error(exc):
                    raise StoreError(f"cannot open DuckDB file {self.path}: {exc}") from exc
                pid, program = lock_holder(str(exc))
                if time.monotonic() >= deadline:
                    raise StoreLockedError(
                        f"DuckDB file {self.path} stayed locked by {describe_holder(pid, program)} for "
                        f"{self.lock_timeout:g} s",
                        pid=pid,
                        program=program,
                    ) from exc
                if not told:
                    told = True
                    handler = self.on_lock_wait or current_lock_wait_handler()
                    if handler is not None:
                        handler(LockWait(self.path, pid, program, self.lock_timeout))
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.25)

    # ------------------------------------------------------------------ damage
    def _corrupt(self, exc: BaseException, table: str | None = None) -> StoreCorruptError:
        where = f", table {table}" if table else ""
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return StoreCorruptError(
            f"DuckDB file {self.path} is damaged{where}: {first_line}",
            table=table,
            path=self.path,
            cause=first_line,
        )

    def _size_problem(self, conn: duckdb.DuckDBPyConnection) -> str | None:
        """Why the file is too short for the blocks in use (it was truncated), or None.

        The file must hold at least ``used_blocks × block_size`` bytes: the highest block in use is at least the
        used count, wherever free blocks lie (DuckDB cuts free blocks off the end of the file, so the header's
        total can exceed the file). Headers are not counted, so that the check can never refuse a sound file;
        a small cut is found by the full read of :meth:`check` and before the first write.
        """
        rows = conn.execute("SELECT used_blocks, block_size FROM pragma_database_size()").fetchall()
        if not rows:
            return None
        used, block_size = int(rows[0][0]), int(rows[0][1])
        size = os.path.getsize(self.path)
        if size < used * block_size:
            return (
                f"DuckDB file {self.path} is truncated: it has {size:,} bytes but {used} blocks of "
                f"{block_size:,} bytes ({used * block_size:,} bytes) are in use"
            )
        return None

    def _table_names_in(self, conn: duckdb.DuckDBPyConnection) -> list[str]:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "ORDER BY table_name"
        ).fetchall()
        return [str(r[0]) for r in rows]

    def _scan(self, conn: duckdb.DuckDBPyConnection, table: str) -> int:
        """Read every row and column of `table` (a hash of every value, so that every data block is loaded and
        its checksum verified); return the row count. Damage → :class:`StoreCorruptError` naming the table."""
        try:
            rows = conn.execute(
                f"SELECT count(*), bit_xor(hash(COLUMNS(*))) FROM {quote_ident(table)}"
            ).fetchall()
        except duckdb.Error as exc:
            if is_corruption(exc):
                raise self._corrupt(exc, table) from exc
            raise
        return int(rows[0][0]) if rows else 0

    def _verify_all(self, conn: duckdb.DuckDBPyConnection) -> None:
        for name in self._table_names_in(conn):
            self._scan(conn, name)

    def check(self, progress: ProgressFn | None = None) -> StoreCheck:
        """Read the whole file through: its size against its header, then every table (every row and column).

        Damage is reported per table instead of raised; a file that cannot be opened at all (header unreadable)
        raises :class:`StoreCorruptError`, a missing file :class:`NotInitializedError`.
        """
        with self._lock:
            if self._held is not None:
                return self._check_on(self._held, progress)
            conn = self._open(read_only=True, check_size=False)
            try:
                return self._check_on(conn, progress)
            finally:
                conn.close()

    def export_database(self, dest: Path) -> dict[str, int]:
        """``EXPORT DATABASE`` (Parquet) into the new directory `dest` through one read-only connection (so no
        write interleaves); return the rows per table. Every table is read through first, so a damaged one is
        named (StoreCorruptError) instead of exported."""
        with self._connect(read_only=True) as conn:
            tables = {name: self._scan(conn, name) for name in self._table_names_in(conn)}
            literal = "'" + str(dest).replace("'", "''") + "'"
            conn.execute(f"EXPORT DATABASE {literal} (FORMAT parquet)")
        return tables

    def _check_on(self, conn: duckdb.DuckDBPyConnection, progress: ProgressFn | None) -> StoreCheck:
        file_error = None if self.path == MEMORY else self._size_problem(conn)
        names = self._table_names_in(conn)
        tables: list[TableCheck] = []
        for done, name in enumerate(self._check_order(names)):
            tick(progress, f"检查 checking {name}", done, len(names))
            try:
                tables.append(TableCheck(name, self._scan(conn, name), None))
            except StoreCorruptError as exc:
                tables.append(TableCheck(name, None, exc.cause))
        tick(progress, "检查 checking", len(names), len(names))
        return StoreCheck(file_error, tables)

    @contextmanager
    def _connect(self, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock, self._translating():
            if self._held is not None:
                yield self._held
                return
            conn = self._open(read_only)
            try:
                yield conn
            finally:
                conn.close()

    @contextmanager
    def _translating(self, table: str | None = None) -> Iterator[None]:
        """DuckDB errors that report damage leave as :class:`StoreCorruptError` (naming `table` if known)."""
        try:
            yield
        except duckdb.Error as exc:
            if is_corruption(exc):
                raise self._corrupt(exc, table) from exc
            raise

    @contextmanager
    def session(self) -> Iterator[Store]:
        """Keep one read-write connection open for the duration (faster bulk jobs; blocks other processes)."""
        with self._lock:
            if self._held is None:
                self._held = self._open(read_only=False)
            self._held_depth += 1
            try:
                yield self
            finally:
                self._held_depth -= 1
                if self._held_depth == 0 and self._held is not None:
                    self._held.close()
                    self._held = None

    @contextmanager
    def _read_session(self) -> Iterator[None]:
        with self._lock:
            if self._held is not None or not Path(self.path).exists():
                yield
                return
            self._held = self._open(read_only=True)
            self._held_depth = 1
            try:
                yield
            finally:
                self._held.close()
                self._held = None
                self._held_depth = 0

    @contextmanager
    def _transaction(self) -> Iterator[_DuckTx]:
        with self._connect(read_only=False) as conn:
            conn.execute("BEGIN TRANSACTION")
            try:
                yield _DuckTx(conn)
            except BaseException:
                with suppress(duckdb.Error):  # a damaged file may refuse the rollback too; the error wins
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            if self._held is not None:
                self._held.close()
                self._held = None
                self._held_depth = 0

    # ------------------------------------------------------------------ hooks
    def _existing_tables(self) -> set[str]:
        if self.path != MEMORY and not Path(self.path).exists():
            return set()
        with self._connect(read_only=True) as conn:
            rows = conn.execute(self._tables_sql()).fetchall()
        return {str(r[0]) for r in rows}

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        return self._run(sql, params)

    def _run(self, sql: str, params: Sequence[Any] | None, table: str | None = None) -> pl.DataFrame:
        with self._connect(read_only=True) as conn, self._translating(table):
            try:
                rel = conn.sql(sql, params=list(params) if params is not None else None)
            except duckdb.CatalogException as exc:
                raise NotInitializedError(f"{exc} — is the database initialised (`tq init`)?") from exc
            if rel is None:
                return pl.DataFrame()
            return rel.pl()

    def _select(self, table: Table, columns: list[str], sql: str, params: list[Any]) -> pl.DataFrame:
        return self._run(sql, params, table.name)

    def _upsert_prepared(self, table: Table, df: pl.DataFrame, replace_nulls: bool) -> int:
        stage = "_tq_stage"
        sql = self._changed_rows_insert_sql(table, df.columns, stage, replace_nulls)
        with self._transaction() as tx:
            tx.conn.register(stage, df.to_arrow())
            try:
                changed = tx.conn.execute(sql).fetchone()
            except duckdb.CatalogException as exc:
                raise NotInitializedError(f"table {table.name}: {exc} — run `tq init`") from exc
            except duckdb.Error as exc:
                # the transaction is aborted and rolled back on the way out; a later register() replaces the view
                if is_corruption(exc):
                    raise self._corrupt(exc, table.name) from exc
                raise StoreError(f"upsert into {table.name} failed, nothing written: {exc}") from exc
            tx.conn.unregister(stage)
        return int(changed[0]) if changed else 0
