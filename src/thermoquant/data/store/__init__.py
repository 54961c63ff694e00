"""The database: DuckDB file by default, PostgreSQL or MySQL/MariaDB by URL; upsert and read Polars frames.

    from thermoquant.data.store import open_store
    with open_store() as store:              # URL from settings (tq.toml / TQ_DATABASE_URL)
        store.upsert("daily_quote", frame)   # → rows inserted or changed
        df = store.read("daily_quote", symbols=["600000.SH"], start=date(2021, 1, 1))

URLs: ``duckdb:////abs/path/tq.duckdb`` (``duckdb:///rel/path.duckdb`` is relative), ``duckdb:///:memory:``, a bare file path ending in ``.duckdb``,
``postgresql://user@host:5432/db[?schema=name]``, ``mysql://user[:pw]@host:3306/db`` (also ``mariadb://``,
``mysql+pymysql://``). See docs/store.md for semantics and concurrency.
"""

from __future__ import annotations

from pathlib import Path

from .base import Store, StoreCheck, TableCheck, date_column
from .errors import (
    NoDataError,
    NotInitializedError,
    StoreCorruptError,
    StoreError,
    StoreLockedError,
    StoreUnavailableError,
    ValidationError,
)
from .migrations import MIGRATIONS, Migration
from .waiting import LockWait, LockWaitFn, lock_wait_handler

__all__ = [
    "MIGRATIONS",
    "LockWait",
    "LockWaitFn",
    "Migration",
    "NoDataError",
    "NotInitializedError",
    "Store",
    "StoreCheck",
    "StoreCorruptError",
    "StoreError",
    "StoreLockedError",
    "StoreUnavailableError",
    "TableCheck",
    "ValidationError",
    "date_column",
    "lock_wait_handler",
    "open_store",
]


def open_store(
    url: str | None = None,
    *,
    init: bool = True,
    schema: str | None = None,
    lock_timeout: float | None = None,
    on_lock_wait: LockWaitFn | None = None,
    calendar: bool = True,
) -> Store:
    """Open the store at `url` (None → `get_settings().resolved_database_url`).

    `init`: create or migrate the database first (default True; a read-only consumer such as the dashboard passes
    False so that opening never needs the write lock). `schema`: PostgreSQL schema (overrides `?schema=`).
    `lock_timeout`: DuckDB only, seconds to wait for another process's lock (None → settings `lock_timeout`,
    default 60). `on_lock_wait`: DuckDB only, told once when such a wait begins (None → the handler installed
    with :func:`lock_wait_handler`, if any). `calendar`: install the stored trade calendar (default True);
    ``init=False, calendar=False`` reads nothing at all (what backup and restore of a damaged file need).
    """
    if url is None or lock_timeout is None:
        from thermoquant.config import get_settings

        settings = get_settings()
        url = settings.resolved_database_url if url is None else url
        lock_timeout = settings.lock_timeout if lock_timeout is None else lock_timeout
    store: Store
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        from .postgres_store import PostgresStore

        store = PostgresStore(url, schema=schema)
    elif url.startswith(("mysql://", "mariadb://", "mysql+pymysql://")):
        from .mysql_store import MySQLStore

        store = MySQLStore(url)
    elif url.startswith("duckdb://") or url.endswith(".duckdb") or url == ":memory:":
        from .duckdb_store import DuckDBStore

        # SQLAlchemy convention: duckdb:///relative/file.duckdb, duckdb:////absolute/file.duckdb
        path = (
            url.removeprefix("duckdb:///") if url.startswith("duckdb:///") else url.removeprefix("duckdb://")
        )
        store = DuckDBStore(
            path if path == ":memory:" else Path(path).expanduser(),
            lock_timeout=lock_timeout,
            on_lock_wait=on_lock_wait,
        )
    else:
        from thermoquant.secrets import mask_url

        raise StoreError(
            f"unsupported database URL {mask_url(url)!r}: use duckdb:///path/file.duckdb, postgresql://user@host/db "
            "or mysql://user@host:3306/db"
        )
    try:
        if init:
            store.init()
        if calendar:
            _install_calendar(store)
    except BaseException:
        store.close()
        raise
    return store


def _install_calendar(store: Store) -> None:
    """Answer calendar queries from the store's ``trade_calendar`` rows (exchange_calendars where it has none)."""
    from thermoquant.data.trade_calendar import TABLE, install

    if TABLE in store.table_names():
        install(store)
