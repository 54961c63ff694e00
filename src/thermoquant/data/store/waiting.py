"""Waiting for a DuckDB file that another process holds: who holds it, and who is told.

DuckDB lets one process write a file, or several read it, never both. When the store meets another process's lock
it retries until its `lock_timeout` and then raises :class:`~thermoquant.data.store.errors.StoreLockedError`.
So that a person is not left waiting in silence, the store calls a :data:`LockWaitFn` once, when the wait begins,
with a :class:`LockWait` naming the holder where DuckDB's message does (``… (PID 6193)``).

The store never prints: the handler in force is the one passed to the store, else the process-wide one installed
with :func:`lock_wait_handler` (the command line installs one around every command).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LockWait", "LockWaitFn", "current_lock_wait_handler", "lock_holder", "lock_wait_handler"]


@dataclass(frozen=True)
class LockWait:
    """A wait that has just begun: `path` is held by process `pid` (running `program`) and the store retries for
    up to `timeout` seconds. `pid`/`program` are None when DuckDB's message does not name the holder."""

    path: str
    pid: int | None
    program: str | None
    timeout: float

    def holder(self) -> str:
        """'PID 6193 (tq ingest daily)', 'PID 6193' or 'another process'."""
        return describe_holder(self.pid, self.program)


LockWaitFn = Callable[[LockWait], None]
"""Called once when a wait for another process's lock begins."""

_HOLDER = re.compile(r"Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")
_handler: LockWaitFn | None = None


def lock_holder(message: str) -> tuple[int | None, str | None]:
    """(pid, program) of the lock holder named in DuckDB's lock error, else (None, None).

    `program` is the holder's command line from ``/proc/<pid>/cmdline`` where readable (``tq ingest daily``),
    else the executable DuckDB names.
    """
    m = _HOLDER.search(message)
    if m is None:
        return None, None
    pid = int(m.group("pid"))
    return pid, _command_line(pid) or m.group("exe")


def describe_holder(pid: int | None, program: str | None) -> str:
    """'PID 6193 (tq ingest daily)', 'PID 6193' or 'another process'."""
    if pid is None:
        return "another process"
    return f"PID {pid} ({program})" if program else f"PID {pid}"


def _command_line(pid: int, limit: int = 80) -> str | None:
    """The process's command line with the interpreter path shortened (``python …/tq import x.csv`` → ``tq import
    x.csv``), cut to `limit` characters; None where /proc is not readable."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    args = [a for a in raw.decode(errors="replace").split("\0") if a]
    if not args:
        return None
    if Path(args[0]).name.startswith("python") and len(args) > 1:
        args = args[1:]
    args[0] = Path(args[0]).name
    text = " ".join(" ".join(args).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def current_lock_wait_handler() -> LockWaitFn | None:
    """The process-wide handler (None: nobody is told)."""
    return _handler


@contextmanager
def lock_wait_handler(handler: LockWaitFn | None) -> Iterator[None]:
    """Install `handler` as the process-wide :data:`LockWaitFn` for the duration of the block."""
    global _handler
    previous, _handler = _handler, handler
    try:
        yield
    finally:
        _handler = previous
