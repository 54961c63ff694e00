"""DuckDB backend: one database file, opened per operation so other processes can read between batches.

Concurrency (see docs/store.md): DuckDB lets one process hold a file read-write, or many processes hold it
read-only. This store keeps no connection open between calls: every write opens the file read-write for one
transaction and closes it (which checkpoints); every read opens it read-only. An open that meets another process's
lock is retried with exponential backoff until `lock_timeout` seconds, then :class:`StoreLockedError` is raised.
Readers therefore see whole committed batches only, and a dashboard keeps working while a job writes.
`Store.session()` holds one read-write connection across calls for a bulk job (other processes wait meanwhile).
`duckdb:///:memory:` keeps a single in-process connection (tests, scratch work).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from thermoquant.data.schema import Table

from .base import Store
from .ddl import Dialect
from .errors import NotInitializedError, StoreError, StoreLockedError

MEMORY = ":memory:"


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


class DuckDBStore(Store):
    """A DuckDB file (or `:memory:`).

    `lock_timeout`: seconds to keep retrying an open that meets another process's lock (default 60).
    `threads`: DuckDB worker threads per connection (None = DuckDB's default, all cores).
    """

    dialect: Dialect = "duckdb"

    def __init__(self, path: str | Path, *, lock_timeout: float = 60.0, threads: int | None = None) -> None:
        self.path = str(path)
        self.lock_timeout = lock_timeout
        self.threads = threads
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
    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        config: dict[str, Any] = {}
        if self.threads is not None:
            config["threads"] = self.threads
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.005
        while True:
            try:
                if read_only and not Path(self.path).exists():
                    raise NotInitializedError(f"database file {self.path} does not exist; run `tq init`")
                return duckdb.connect(self.path, read_only=read_only, config=config)
            except duckdb.Error as exc:
                if not _is_lock_error(exc):
                    raise StoreError(f"cannot open DuckDB file {self.path}: {exc}") from exc
                if time.monotonic() >= deadline:
                    raise StoreLockedError(
                        f"DuckDB file {self.path} stayed locked by another process for {self.lock_timeout:g} s: "
                        f"{exc}"
                    ) from exc
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.25)

    @contextmanager
    def _connect(self, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            if self._held is not None:
                yield self._held
                return
            conn = self._open(read_only)
            try:
                yield conn
            finally:
                conn.close()

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
        with self._connect(read_only=True) as conn:
            try:
                rel = conn.sql(sql, params=list(params) if params is not None else None)
            except duckdb.CatalogException as exc:
                raise NotInitializedError(f"{exc} — is the database initialised (`tq init`)?") from exc
            if rel is None:
                return pl.DataFrame()
            return rel.pl()

    def _select(self, table: Table, columns: list[str], sql: str, params: list[Any]) -> pl.DataFrame:
        return self.query(sql, params)

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
                raise StoreError(f"upsert into {table.name} failed, nothing written: {exc}") from exc
            tx.conn.unregister(stage)
        return int(changed[0]) if changed else 0
