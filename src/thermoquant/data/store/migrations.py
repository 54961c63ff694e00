"""Forward migrations, applied in order by :meth:`Store.init` and recorded in `schema_version`.

Design:

- Version 1 is the baseline: it creates every table declared in `schema.py` at the time it runs.
- After the numbered migrations, `init()` *reconciles* the database with `schema.py`: tables appended to
  `TABLES_LIST` later are created and nullable columns appended to a table are added (`ALTER TABLE … ADD COLUMN`).
  Additive changes therefore need no migration at all.
- Anything else (renames, type changes, back-fills, new key columns) is a numbered migration appended to
  :data:`MIGRATIONS`. Numbers are never reused or reordered; each runs once, inside the same transaction as its
  `schema_version` row, so a failing migration leaves the database as it was — except on MySQL/MariaDB, where
  every DDL statement commits by itself: there a failing migration is not recorded (it runs again next time) but
  the DDL it already ran stays, so MySQL migrations are written to be re-runnable (``IF NOT EXISTS``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from thermoquant.data.schema import TABLES_LIST

from .ddl import Dialect, create_table_sqls


class MigrationContext(Protocol):
    """What a migration can do: run SQL inside the open transaction, knowing the backend."""

    dialect: Dialect
    #: MySQL/MariaDB: the collation of text columns, for `create_table_sqls`; None on the other backends
    collation: str | None

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None: ...

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]: ...


@dataclass(frozen=True)
class Migration:
    """One forward step: `version` (1-based, strictly increasing), a description and the function applying it."""

    version: int
    description: str
    apply: Callable[[MigrationContext], None]


def _baseline(ctx: MigrationContext) -> None:
    # one multi-statement script: one round trip instead of ~400 on PostgreSQL
    ctx.execute(
        ";\n".join(
            sql for table in TABLES_LIST for sql in create_table_sqls(table, ctx.dialect, ctx.collation)
        )
    )


MIGRATIONS: list[Migration] = [
    Migration(1, "baseline: create every table of schema.py", _baseline),
]


def check_order(migrations: Sequence[Migration]) -> None:
    """Raise ValueError unless versions are 1, 2, 3 … without gaps or repeats."""
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migration versions must be 1..n in order, got {versions}")
