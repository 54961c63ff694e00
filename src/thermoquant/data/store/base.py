"""The `Store` interface shared by the DuckDB, PostgreSQL and MySQL/MariaDB backends, and the logic they share.

Upsert semantics (every backend):

- the frame is validated and cast by :func:`prepare_frame` first; nothing is written when it fails;
- a batch is one transaction: it is stored whole or not at all;
- **a null never replaces a stored value**: an update sets a column to the frame's value only where that value is
  not null (``COALESCE(new, stored)``), so a source that lacks a column (Tushare has no turnover, AKShare no
  pre_close) or leaves a cell empty cannot erase what a better source stored. Columns absent from the frame are
  likewise left untouched on update, and null on insert. A writer that must clear a value passes
  ``replace_nulls=True`` (the frame's nulls are then written as nulls);
- a row is *changed* when its key is new, or when any of the frame's non-null, non-key values differs from the
  stored value (``IS DISTINCT FROM``; with ``replace_nulls`` a null over a value counts too). Only changed rows
  are written, and their number is what `upsert` returns; re-running an import therefore writes nothing and
  returns 0.

Which value should win when two sources both have one (source priority, lossy values) is decided before the
store, by :mod:`thermoquant.data.merge`; the store only guarantees that nothing is erased by a null.

Reads return frames typed exactly as :meth:`Table.polars_schema`.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import polars as pl

from thermoquant.data.schema import TABLES, Column, Table, get_table
from thermoquant.progress import ProgressFn, tick

from .ddl import Dialect, add_column_sqls, create_table_sqls, quote_ident
from .errors import StoreCorruptError, StoreError
from .migrations import MIGRATIONS, Migration, MigrationContext, check_order
from .validate import prepare_frame

WhereValue = Any  # a scalar (equality), None (IS NULL) or a list/tuple/set (IN)

_QMARK = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")


def qmark_to_pyformat(sql: str) -> str:
    """Translate `?` placeholders to the `%s` of psycopg and PyMySQL and escape every `%` as `%%` (both drivers
    format the whole text); a `?` inside quotes is left alone. Assumes standard string literals (PostgreSQL's
    default; the MySQL store runs with NO_BACKSLASH_ESCAPES and ANSI_QUOTES)."""

    def repl(m: re.Match[str]) -> str:
        tok = m.group(0)
        return "%s" if tok == "?" else tok.replace("%", "%%")

    return _QMARK.sub(repl, sql)


def rows_frame(names: list[str], rows: Sequence[Sequence[Any]]) -> pl.DataFrame:
    """A Polars frame of DB-API result rows (types inferred from every row)."""
    return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)


def date_column(table: Table) -> Column | None:
    """The column `start`/`end` filter on and `table_info` reports: the first date/timestamp key column, else the
    first date/timestamp column, else None."""
    temporal = [c for c in table.columns if c.type in ("date", "timestamp")]
    keyed = [c for c in temporal if table.is_key(c.name)]
    if keyed:
        return keyed[0]
    return temporal[0] if temporal else None


@dataclass(frozen=True)
class TableCheck:
    """One table read through by :meth:`Store.check`: `rows` read (None when it could not be read through) and
    `error`, the database's words for what failed (None when every row and column was read)."""

    table: str
    rows: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class StoreCheck:
    """The result of :meth:`Store.check`: a finding about the file as a whole (`file_error`, e.g. truncation;
    None for a sound file or a server database) and one :class:`TableCheck` per table."""

    file_error: str | None
    tables: list[TableCheck]

    @property
    def ok(self) -> bool:
        return self.file_error is None and all(t.ok for t in self.tables)

    @property
    def damaged(self) -> list[str]:
        """Names of the tables that could not be read through."""
        return [t.table for t in self.tables if not t.ok]


class Store(ABC):
    """A database of the tables in `schema.py`. Use as a context manager, or call :meth:`close`."""

    dialect: Dialect
    #: placeholder in the SQL the store builds; `?` everywhere (PostgreSQL and MySQL translate it to `%s`)
    placeholder: str = "?"
    #: MySQL/MariaDB: collation of the text columns the DDL creates (see ddl.py); None elsewhere
    collation: str | None = None
    #: SQL naming the schema (PostgreSQL, DuckDB) or database (MySQL) that holds the tables
    current_schema_sql: str = "current_schema()"

    # ------------------------------------------------------------------ backend hooks
    @abstractmethod
    def _transaction(self) -> AbstractContextManager[MigrationContext]:
        """One read-write transaction; commits on success, rolls back on any exception."""

    @abstractmethod
    def _select(self, table: Table, columns: list[str], sql: str, params: list[Any]) -> pl.DataFrame:
        """Run a SELECT of `columns` of `table` built with :meth:`_select_list` and return the frame with those
        column names (cast to the schema's dtypes by :meth:`read`)."""

    @abstractmethod
    def _upsert_prepared(self, table: Table, df: pl.DataFrame, replace_nulls: bool) -> int:
        """Write a validated frame in one transaction; return the number of changed rows (module doc)."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        """Run any SQL and return its result as a Polars frame. Placeholders are `?` on every backend."""

    @abstractmethod
    def _existing_tables(self) -> set[str]:
        """Names of the tables present in the database (current schema)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections. Idempotent."""

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _read_session(self) -> Iterator[None]:
        """Group several reads on one connection (DuckDB: one read-only open). No-op by default."""
        yield

    @contextmanager
    def read_session(self) -> Iterator[Store]:
        """Group several reads on one read-only connection, released at the end (DuckDB: one read-only open, so
        a writer in another process waits only this long; a no-op on servers). What a dashboard rerun uses."""
        with self._read_session():
            yield self

    @contextmanager
    def session(self) -> Iterator[Store]:
        """Hold the backend's connection across several calls (a bulk job). A no-op where connections persist."""
        yield self

    def init(self, migrations: Sequence[Migration] | None = None) -> list[int]:
        """Create or migrate the database; return the versions applied now (empty when up to date).

        Applies the missing numbered migrations, then creates tables and adds nullable columns that `schema.py`
        declares but the database lacks — all in one transaction.
        """
        steps = list(MIGRATIONS if migrations is None else migrations)
        check_order(steps)
        applied_now: list[int] = []
        with self._transaction() as tx:
            for sql in create_table_sqls(TABLES["schema_version"], self.dialect, self.collation):
                tx.execute(sql)
            done = {int(r[0]) for r in tx.fetchall("SELECT version FROM schema_version")}
            for step in steps:
                if step.version in done:
                    continue
                step.apply(tx)
                tx.execute(
                    "INSERT INTO schema_version (version, description, applied_at) "
                    f"VALUES ({self.placeholder}, {self.placeholder}, {self.placeholder})",
                    [step.version, step.description, dt.datetime.now().replace(microsecond=0)],
                )
                applied_now.append(step.version)
            self._reconcile(tx)
        return applied_now

    def _reconcile(self, tx: MigrationContext) -> None:
        existing = self._columns_in_db(tx)
        for table in TABLES.values():
            if table.name not in existing:
                for sql in create_table_sqls(table, self.dialect, self.collation):
                    tx.execute(sql)
                continue
            for col in table.columns:
                if col.name not in existing[table.name]:
                    for sql in add_column_sqls(table, col, self.dialect):
                        tx.execute(sql)

    def _columns_in_db(self, tx: MigrationContext) -> dict[str, set[str]]:
        rows = tx.fetchall(
            "SELECT table_name, column_name FROM information_schema.columns "
            f"WHERE table_schema = {self.current_schema_sql}"
        )
        out: dict[str, set[str]] = {}
        for table_name, column_name in rows:
            out.setdefault(str(table_name), set()).add(str(column_name))
        return out

    def _tables_sql(self) -> str:
        """SELECT of the names of the tables in the current schema (database)."""
        return (
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = {self.current_schema_sql}"
        )

    def table_names(self) -> set[str]:
        """Names of the tables present in the database."""
        return self._existing_tables()

    # ------------------------------------------------------------------ health
    def check(self, progress: ProgressFn | None = None) -> StoreCheck:
        """Read every table through (every row, every column) and report, per table, whether it could be read.

        What `tq doctor` runs. Damage is reported in the result, not raised (one damaged table does not hide
        the others); a database that cannot be opened at all raises as any read does. Backends override
        :meth:`_scan_table` with a server-side read that touches every value without shipping it.
        """
        with self._read_session():
            names = self._check_order(self._existing_tables())
            tables: list[TableCheck] = []
            for done, name in enumerate(names):
                tick(progress, f"检查 checking {name}", done, len(names))
                try:
                    tables.append(TableCheck(name, self._scan_table(name), None))
                except StoreCorruptError as exc:
                    tables.append(TableCheck(name, None, exc.cause))
            tick(progress, "检查 checking", len(names), len(names))
        return StoreCheck(None, tables)

    def _scan_table(self, name: str) -> int:
        """Read every row and column of table `name`; return its row count. Damage → StoreCorruptError."""
        return self.query(f"SELECT * FROM {quote_ident(name)}").height

    @staticmethod
    def _check_order(names: Iterable[str]) -> list[str]:
        """Tables in `schema.py` order, then any other table of the database by name."""
        present = set(names)
        return [t for t in TABLES if t in present] + sorted(present - set(TABLES))

    def schema_version(self) -> int:
        """The highest applied migration, 0 for an uninitialised database."""
        if "schema_version" not in self._existing_tables():
            return 0
        value = self.query("SELECT max(version) AS v FROM schema_version").item()
        return int(value) if value is not None else 0

    # ------------------------------------------------------------------ writes
    def upsert(self, table: str, df: pl.DataFrame, *, replace_nulls: bool = False) -> int:
        """Insert or update the rows of `df` in `table`; return the number of changed rows.

        A null in `df` leaves the stored value as it is unless `replace_nulls` (see the module doc).
        """
        spec = get_table(table)
        prepared = prepare_frame(spec, df)
        if prepared.height == 0:
            return 0
        return self._upsert_prepared(spec, prepared, replace_nulls)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run one write statement (DDL or DML) in its own transaction. Placeholders are `?`.

        Prefer :meth:`upsert`/:meth:`delete`; this is for maintenance. `query` is for reads (on DuckDB it opens
        the file read-only).
        """
        with self._transaction() as tx:
            tx.execute(sql, params)

    def delete(self, table: str, where: Mapping[str, WhereValue]) -> int:
        """Delete the rows matching `where` (column → value, None or list); return how many were deleted.

        `where` must not be empty (deleting a whole table is deliberate work, not an accident).
        """
        spec = get_table(table)
        if not where:
            raise StoreError(f"delete from {table}: `where` is empty; refusing to delete every row")
        clause, params = self._where_sql(spec, where, None, None, None)
        with self._transaction() as tx:
            before = tx.fetchall(f"SELECT count(*) FROM {quote_ident(spec.name)}{clause}", params)[0][0]
            tx.execute(f"DELETE FROM {quote_ident(spec.name)}{clause}", params)
        return int(before)

    # ------------------------------------------------------------------ reads
    def read(
        self,
        table: str,
        where: Mapping[str, WhereValue] | None = None,
        columns: Sequence[str] | None = None,
        start: dt.date | dt.datetime | None = None,
        end: dt.date | dt.datetime | None = None,
        symbols: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        """Rows of `table` as a Polars frame typed per the schema, ordered by the primary key.

        `where`: column → value (equality), None (IS NULL) or a list (IN). `start`/`end`: inclusive bounds on the
        table's date column (:func:`date_column`); a date bound on a timestamp column covers the whole day.
        `symbols`: filter on the `symbol` column. `columns`: subset to return (default all, in table order).
        """
        spec = get_table(table)
        cols = list(columns) if columns is not None else spec.column_names
        for c in cols:
            spec.column(c)  # raises KeyError naming the table
        clause, params = self._where_sql(spec, where or {}, start, end, symbols)
        order = ", ".join(quote_ident(k) for k in spec.primary_key)
        sql = f"SELECT {self._select_list(spec, cols)} FROM {quote_ident(spec.name)}{clause} ORDER BY {order}"
        df = self._select(spec, cols, sql, params)
        schema = spec.polars_schema()
        return df.select([pl.col(c).cast(schema[c]) for c in cols])

    def _select_list(self, table: Table, columns: list[str]) -> str:
        """The select list of :meth:`read` (default: the columns through :meth:`_select_expr`)."""
        return ", ".join(self._select_expr(table.column(c)) for c in columns)

    def _select_expr(self, column: Column) -> str:
        return quote_ident(column.name)

    def _where_sql(
        self,
        table: Table,
        where: Mapping[str, WhereValue],
        start: dt.date | dt.datetime | None,
        end: dt.date | dt.datetime | None,
        symbols: Sequence[str] | None,
    ) -> tuple[str, list[Any]]:
        ph = self.placeholder
        parts: list[str] = []
        params: list[Any] = []
        for name, value in where.items():
            table.column(name)
            ident = quote_ident(name)
            if value is None:
                parts.append(f"{ident} IS NULL")
            elif isinstance(value, list | tuple | set | frozenset):
                values = list(value)
                if not values:
                    parts.append("FALSE")
                else:
                    parts.append(f"{ident} IN ({', '.join([ph] * len(values))})")
                    params.extend(values)
            else:
                parts.append(f"{ident} = {ph}")
                params.append(value)
        if symbols is not None:
            if "symbol" not in table.column_names:
                raise StoreError(f"table {table.name} has no symbol column; `symbols` does not apply")
            syms = list(symbols)
            if not syms:
                parts.append("FALSE")
            else:
                parts.append(f'"symbol" IN ({", ".join([ph] * len(syms))})')
                params.extend(syms)
        if start is not None or end is not None:
            dcol = date_column(table)
            if dcol is None:
                raise StoreError(f"table {table.name} has no date column; `start`/`end` do not apply")
            ident = quote_ident(dcol.name)
            if start is not None:
                parts.append(f"{ident} >= {ph}")
                params.append(_bound(start, dcol, upper=False))
            if end is not None:
                is_day = not isinstance(end, dt.datetime)
                parts.append(f"{ident} {'<' if is_day and dcol.type == 'timestamp' else '<='} {ph}")
                params.append(_bound(end, dcol, upper=True))
        return ((" WHERE " + " AND ".join(parts)) if parts else "", params)

    def row_counts(self) -> dict[str, int]:
        """Rows per table of `schema.py` present in the database."""
        with self._read_session():
            return self._row_counts()

    def _row_counts(self) -> dict[str, int]:
        present = self._existing_tables()
        names = [t for t in TABLES if t in present]
        if not names:
            return {}
        sql = " UNION ALL ".join(
            f"SELECT '{n}' AS table_name, count(*) AS n FROM {quote_ident(n)}" for n in names
        )
        df = self.query(sql)
        return {str(r[0]): int(r[1]) for r in df.iter_rows()}

    def table_info(self) -> pl.DataFrame:
        """One row per table of `schema.py`: table, exists, rows, date_column, first_date, last_date (Date; the
        date/timestamp column of :func:`date_column`, timestamps truncated to their day), doc."""
        with self._read_session():
            return self._table_info()

    def _table_info(self) -> pl.DataFrame:
        present = self._existing_tables()
        rows: list[dict[str, Any]] = []
        for table in TABLES.values():
            dcol = date_column(table)
            info: dict[str, Any] = {
                "table": table.name,
                "exists": table.name in present,
                "rows": None,
                "date_column": dcol.name if dcol else None,
                "first_date": None,
                "last_date": None,
                "doc": table.doc,
            }
            if info["exists"]:
                if dcol is not None:
                    d = quote_ident(dcol.name)
                    sql = f"SELECT count(*), CAST(min({d}) AS DATE), CAST(max({d}) AS DATE) FROM {quote_ident(table.name)}"
                else:
                    sql = f"SELECT count(*), NULL, NULL FROM {quote_ident(table.name)}"
                n, lo, hi = self.query(sql).row(0)
                info.update(rows=int(n), first_date=lo, last_date=hi)
            rows.append(info)
        return pl.DataFrame(
            rows,
            schema={
                "table": pl.Utf8,
                "exists": pl.Boolean,
                "rows": pl.Int64,
                "date_column": pl.Utf8,
                "first_date": pl.Date,
                "last_date": pl.Date,
                "doc": pl.Utf8,
            },
        )

    # ------------------------------------------------------------------ shared SQL
    def _changed_rows_insert_sql(self, table: Table, cols: list[str], stage: str, replace_nulls: bool) -> str:
        """INSERT … SELECT of the staged rows (alias `s`) that are new or bring a different value, ending with the
        backend's conflict clause (:meth:`_conflict_sql`) that updates `cols` (a staged null keeps the stored value
        unless `replace_nulls`).

        The SELECT already gives ``COALESCE(staged, stored)`` for each value column (unless `replace_nulls`), so
        that the conflict clause can set the column to the inserted value without reading the stored row again
        (on DuckDB a SET expression that reads the target row costs a quarter of an idempotent re-upsert)."""
        keys = list(table.primary_key)
        t = quote_ident(table.name)
        collist = ", ".join(quote_ident(c) for c in cols)
        values = [c for c in cols if c not in keys]
        select = ", ".join(
            f"s.{quote_ident(c)}"
            if c in keys or replace_nulls
            else f"COALESCE(s.{quote_ident(c)}, t.{quote_ident(c)}) AS {quote_ident(c)}"
            for c in cols
        )
        join = " AND ".join(f"s.{quote_ident(k)} = t.{quote_ident(k)}" for k in keys)
        diffs = []
        for c in values:
            new, old = f"s.{quote_ident(c)}", f"t.{quote_ident(c)}"
            differs = self._distinct_sql(table.column(c), new, old)
            diffs.append(differs if replace_nulls else f"({new} IS NOT NULL AND {differs})")
        cond = f"t.{quote_ident(keys[0])} IS NULL" + (" OR " + " OR ".join(diffs) if diffs else "")
        return (
            f"INSERT INTO {t} ({collist}) SELECT {select} FROM {stage} AS s LEFT JOIN {t} AS t ON {join} "
            f"WHERE {cond} {self._conflict_sql(table, values, replace_nulls)}"
        )

    def _conflict_sql(self, table: Table, values: list[str], replace_nulls: bool) -> str:
        """What an INSERT of a staged row whose key exists does: set `values` (ON CONFLICT … DO UPDATE) to the
        inserted values, which the SELECT has already coalesced with the stored ones."""
        keys = ", ".join(quote_ident(k) for k in table.primary_key)
        if not values:
            return f"ON CONFLICT ({keys}) DO NOTHING"
        sets = self._update_sets(table, values, True, lambda ident: f"EXCLUDED.{ident}")
        return f"ON CONFLICT ({keys}) DO UPDATE SET {sets}"

    def _update_sets(
        self, table: Table, values: list[str], replace_nulls: bool, incoming: Callable[[str], str]
    ) -> str:
        """`col = COALESCE(<incoming>, <stored>), …` (or `col = <incoming>` with `replace_nulls`); `incoming`
        maps a quoted column name to the expression of its new value."""
        t = quote_ident(table.name)
        sets = []
        for c in values:
            ident = quote_ident(c)
            new = incoming(ident)
            sets.append(f"{ident} = {new}" if replace_nulls else f"{ident} = COALESCE({new}, {t}.{ident})")
        return ", ".join(sets)

    def _distinct_sql(self, column: Column, left: str, right: str) -> str:
        return f"{left} IS DISTINCT FROM {right}"


def _bound(value: dt.date | dt.datetime, column: Column, *, upper: bool) -> dt.date | dt.datetime:
    if column.type == "date":
        return value.date() if isinstance(value, dt.datetime) else value
    if isinstance(value, dt.datetime):
        return value
    day = value + dt.timedelta(days=1) if upper else value
    return dt.datetime(day.year, day.month, day.day)
