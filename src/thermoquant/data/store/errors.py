"""Errors raised by the store. All derive from :class:`StoreError`."""

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


class StoreLockedError(StoreError, TimeoutError):
    """The DuckDB file stayed locked by another process for longer than the store's `lock_timeout`."""


class NotInitializedError(StoreError):
    """The database lacks a table of `schema.py`; run `tq init` (``Store.init()``)."""
