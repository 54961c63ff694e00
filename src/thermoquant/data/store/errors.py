"""Errors raised by the store. All derive from :class:`StoreError`.

The command line (``thermoquant.cli.errors``) turns each kind into a short message and an exit code, so a new kind
of failure that a user can act on gets its own class here rather than a new sentence matched by text.
"""

from __future__ import annotations


class StoreError(Exception):
    """Any failure of the store (bad input, missing table, database error)."""


class ValidationError(StoreError, ValueError):
    """A frame does not fit its table: unknown or missing columns, null or duplicate keys, uncastable values.

    `row`: 0-based index in the batch of the first offending row, where one is known.
    """

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row


class StoreUnavailableError(StoreError):
    """The database cannot be reached now: server down, database missing, authentication refused, file locked.

    Nothing was read or written; the same command may succeed once the cause is fixed.
    """


class StoreLockedError(StoreUnavailableError, TimeoutError):
    """The DuckDB file stayed locked by another process for longer than the store's `lock_timeout`.

    `pid` and `program`: the process holding the lock, when DuckDB names it (None otherwise).
    """

    def __init__(self, message: str, pid: int | None = None, program: str | None = None) -> None:
        super().__init__(message)
        self.pid = pid
        self.program = program


class NotInitializedError(StoreError):
    """The database lacks a table of `schema.py`, or does not exist yet; run `tq init` (``Store.init()``)."""


class NoDataError(StoreError, LookupError):
    """The store holds no rows for what a job needs (an empty table, a symbol or a range without rows): load data
    first (`tq import`, `tq ingest`, `tq demo`). The message names the table and the range."""


RESTORE_REMEDY = "restore a backup: `tq db restore <backup dir>` (made by `tq db backup`)"
"""What to do about a damaged database; the end of every :class:`StoreCorruptError` message."""


class StoreCorruptError(StoreError):
    """The database file (or a table in it) is damaged: a block fails its checksum, the file is shorter than its
    header says, or it is not a database file at all.

    Raised before anything is written; the store never writes into a database in which it has seen damage.
    `table`: the damaged table where one is known. `path`: the database file (DuckDB) where one is known.
    `cause`: the database's own words for the damage (the whole message when not given).
    The remedy is to restore a backup (``tq db restore``; see :mod:`thermoquant.data.store.backup`).
    """

    def __init__(
        self, message: str, *, table: str | None = None, path: str | None = None, cause: str | None = None
    ) -> None:
        super().__init__(message if RESTORE_REMEDY in message else f"{message}; {RESTORE_REMEDY}")
        self.table = table
        self.path = path
        self.cause = cause or message
