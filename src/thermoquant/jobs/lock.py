"""One run of a chain per database at a time: an exclusive lock file naming its holder.

Two `tq daily` runs on one database (a manual run while the scheduler's runs, two schedulers) would write the same
day twice over each other. :func:`chain_lock` takes an exclusive ``flock`` on a lock file and writes the holder's
pid, start time (Asia/Shanghai) and host into it; a second process gets :class:`ChainLockedError` naming them at
once (``tq daily`` exits with code 3, "unavailable, retry later").

The kernel releases a ``flock`` when its process dies, even by ``kill -9``: the file a dead run leaves behind is
stale, and the next run takes it over (and says so: :attr:`ChainLock.stale`). Where the lock file lives:

* a DuckDB database: next to the file, ``<file>.<name>.lock`` (every data dir using that file sees it);
* any other URL (PostgreSQL, MySQL): ``<data dir>/locks/<name>-<hash of the URL>.lock`` — processes sharing the
  data dir see it; runs on other machines against the same server do not.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from thermoquant.clock import now_shanghai


class ChainLockedError(RuntimeError):
    """Another live process holds the chain's lock on this database."""

    def __init__(self, name: str, path: Path, holder: dict[str, object]) -> None:
        pid, started, host = holder.get("pid", "?"), holder.get("started", "?"), holder.get("host", "?")
        super().__init__(
            f"另一个 tq {name} 正在运行 another `tq {name}` is running on this database: pid {pid} on {host}, "
            f"started {started} (lock {path})"
        )
        self.path, self.holder = path, holder


@dataclass
class ChainLock:
    """The held lock: its file, and the holder it took over from (``stale``: a dead process's record, or None)."""

    path: Path
    stale: dict[str, object] | None


def lock_path(name: str, db_url: str, data_dir: Path) -> Path:
    """Where the lock of chain ``name`` on ``db_url`` lives (module doc)."""
    if db_url.startswith("duckdb://") and ":memory:" not in db_url:
        path = db_url.removeprefix("duckdb:///") if db_url.startswith("duckdb:///") else db_url[9:]
        db = Path(path).expanduser().resolve()
        return db.with_name(f"{db.name}.{name}.lock")
    digest = hashlib.sha1(db_url.encode()).hexdigest()[:12]
    return data_dir / "locks" / f"{name}-{digest}.lock"


def _record(fd: int) -> dict[str, object]:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 4096)
    try:
        value = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        value = {}
    return value if isinstance(value, dict) else {}


@contextlib.contextmanager
def chain_lock(name: str, db_url: str, data_dir: Path) -> Iterator[ChainLock]:
    """Hold the lock of chain ``name`` on ``db_url`` for the ``with`` block.

    Raises:
        ChainLockedError: a live process holds it (its pid, start time and host in the message).
    """
    path = lock_path(name, db_url, data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ChainLockedError(name, path, _record(fd)) from None
        previous = _record(fd)
        started = now_shanghai().replace(microsecond=0)
        record = {"pid": os.getpid(), "started": started.isoformat(sep=" "), "host": socket.gethostname()}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(record).encode("utf-8"))
        try:
            yield ChainLock(path, previous or None)
        finally:
            os.ftruncate(fd, 0)  # released cleanly: no record left to take over
    finally:
        os.close(fd)  # closing the descriptor releases the flock
