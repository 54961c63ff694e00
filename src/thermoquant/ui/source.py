"""How the dashboard reaches the database without getting in a writer's way.

- **DuckDB** lets one process hold the file read-write *or* many hold it read-only, never both. The dashboard
  therefore never keeps a connection: each load opens the file read-only for one group of reads
  (:meth:`Store.read_session`) and closes it, so the daily job (another process) waits at most that long — and
  the store's own open waits out the job's short write transactions (retry with backoff, :data:`LOCK_TIMEOUT`).
- **PostgreSQL / MySQL**: a small pool of open stores (:class:`StorePool`, :data:`POOL_SIZE`), one per concurrent
  session; readers never block writers there (MVCC).
- Every load is cached for :data:`CACHE_TTL` seconds (``st.cache_data``), and the last good value of each load is
  kept: when the database stays locked past the timeout, the page shows that value with a note instead of an
  error; with nothing to show, it says the database is busy and to reload.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from thermoquant.config import get_settings
from thermoquant.data.store import (
    NotInitializedError,
    Store,
    StoreCorruptError,
    StoreLockedError,
    StoreUnavailableError,
    open_store,
)

T = TypeVar("T")

LOCK_TIMEOUT = 15.0
"""Seconds a DuckDB read waits for another process's write lock before the page falls back (seconds)."""

CACHE_TTL = 30.0
"""Seconds a load's result is reused before the database is read again (seconds)."""

POOL_SIZE = 4
"""Open stores kept for a PostgreSQL or MySQL database (connections)."""

_SERVER_PREFIXES = (
    "postgresql://",
    "postgres://",
    "postgresql+psycopg://",
    "mysql://",
    "mariadb://",
    "mysql+",
)


def database_url() -> str:
    """The configured database (tq.toml / TQ_DATABASE_URL / TQ_DATA_DIR)."""
    return get_settings().resolved_database_url


def features_root() -> Path:
    """Where ``tq features compute`` writes its Parquet tree."""
    return get_settings().data_dir.expanduser().resolve() / "features"


class StorePool:
    """A fixed-size pool of stores on one server database; :meth:`borrow` lends one for a group of reads."""

    def __init__(self, url: str, size: int = POOL_SIZE) -> None:
        self.url = url
        self._free: queue.LifoQueue[Store] = queue.LifoQueue()
        self._made = 0
        self._size = size
        self._lock = threading.Lock()

    @contextmanager
    def borrow(self) -> Iterator[Store]:
        store = self._take()
        try:
            yield store
        except StoreUnavailableError:  # the connection died: drop it, the next borrow opens a fresh one
            store.close()
            with self._lock:
                self._made -= 1
            raise
        self._free.put(store)

    def close(self) -> None:
        """Close the stores not lent out (the pool stays usable: a later borrow opens new ones)."""
        while True:
            try:
                store = self._free.get_nowait()
            except queue.Empty:
                return
            store.close()
            with self._lock:
                self._made -= 1

    def _take(self) -> Store:
        try:
            return self._free.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._made < self._size:
                self._made += 1
                try:
                    return open_store(self.url, init=False, calendar=False)
                except BaseException:
                    self._made -= 1
                    raise
        return self._free.get(timeout=LOCK_TIMEOUT)


@st.cache_resource(show_spinner=False)
def _pool(url: str) -> StorePool:
    return StorePool(url)


@contextmanager
def reading(url: str | None = None) -> Iterator[Store]:
    """A store for one group of reads: a pooled server connection, or a DuckDB file opened read-only for the
    duration of the block and closed after it."""
    url = url or database_url()
    if url.startswith(_SERVER_PREFIXES):
        with _pool(url).borrow() as store:
            yield store
        return
    store = open_store(url, init=False, calendar=False, lock_timeout=LOCK_TIMEOUT)
    try:
        with store.read_session():
            yield store
    finally:
        store.close()


_LAST_GOOD: dict[tuple[Any, ...], Any] = {}
_LAST_GOOD_LOCK = threading.Lock()


def load(fn: Callable[..., T], *args: Any) -> T:
    """``fn(store, *args)`` through the cache; the database's state, not an exception, reaches the page.

    A locked database → the last good value with a note (or "busy" and the page stops); a database that does not
    exist or is not initialised → how to create it, and the page stops."""
    url = database_url()
    key = (fn.__module__, fn.__qualname__, url, *args)
    try:
        value = _cached_call(fn, f"{fn.__module__}.{fn.__qualname__}", url, *args)
    except StoreLockedError as exc:
        with _LAST_GOOD_LOCK:
            stale = _LAST_GOOD.get(key)
        if stale is not None:
            st.caption(f"⚠️ 数据库正被写入，显示上次读取的数据 / database busy, showing the last read ({exc})")
            return stale  # type: ignore[no-any-return]
        st.warning(f"数据库正被其他进程写入，请稍后刷新 / the database is busy, reload in a moment: {exc}")
        st.stop()
    except NotInitializedError:
        st.info(
            "数据库尚未初始化或不存在：先运行 `tq demo`（样本数据）或 `tq init` / the database does not exist yet: "
            f"run `tq demo` or `tq init`. ({url})"
        )
        st.stop()
    except StoreUnavailableError as exc:
        st.error(f"数据库不可用 / database unavailable: {exc}")
        st.stop()
    except StoreCorruptError as exc:
        st.error(
            f"数据库已损坏 / the database is damaged: {exc} — 运行 `tq doctor`，用 `tq db restore` 恢复备份"
        )
        st.stop()
    with _LAST_GOOD_LOCK:
        _LAST_GOOD[key] = value
    return value


@st.cache_data(ttl=CACHE_TTL, show_spinner=False, max_entries=256)
def _cached_call(_fn: Callable[..., T], name: str, url: str, *args: Any) -> T:
    """``_fn(store, *args)``; ``name`` (the function's qualified name) keys the cache, ``_fn`` itself is not
    hashed."""
    del name
    with reading(url) as store:
        return _fn(store, *args)
