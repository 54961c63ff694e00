"""PostgreSQL backend (psycopg 3): COPY in, COPY out.

- Upsert: the validated frame is written as CSV by Polars and streamed with ``COPY … FROM STDIN`` into a temporary
  table (dropped at commit), then one ``INSERT … SELECT … ON CONFLICT (pk) DO UPDATE`` writes the new or changed
  rows. One transaction per batch.
- Reads: ``COPY (SELECT …) TO STDOUT (FORMAT csv)`` parsed by Polars with the schema's dtypes.
- `schema`: the PostgreSQL schema (namespace) holding the tables; taken from the `schema` query parameter of the
  URL (``postgresql://host/db?schema=tq``) or the keyword, default the server's `search_path`. It is created when
  missing. Readers never block writers (MVCC), so the dashboard can read while a job writes.
- Failures: a server that cannot be reached (down, wrong port or host, database missing, password refused) raises
  :class:`StoreUnavailableError` naming the cause, after at most :data:`CONNECT_TIMEOUT` seconds; the server's
  reports of damaged pages or indexes (SQLSTATE XX001 ``data_corrupted``, XX002 ``index_corrupted``) raise
  :class:`StoreCorruptError`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import polars as pl
import psycopg
import psycopg.conninfo
from psycopg import sql as pgsql

from thermoquant.data.schema import Column, Table
from thermoquant.secrets import mask, mask_url, url_secrets

from .base import Store, qmark_to_pyformat, rows_frame
from .ddl import Dialect, quote_ident
from .errors import NotInitializedError, StoreCorruptError, StoreError, StoreUnavailableError

CONNECT_TIMEOUT = 10
"""Seconds to wait for the server to answer a connection (libpq `connect_timeout`), unless the URL sets one."""


def split_schema(url: str) -> tuple[str, str | None]:
    """Remove a `schema=` query parameter from a PostgreSQL URL; return (url without it, schema or None)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


class _PgTx:
    """MigrationContext over a psycopg cursor inside a transaction."""

    dialect: Dialect = "postgres"
    collation: str | None = None

    def __init__(self, cur: psycopg.Cursor[Any]) -> None:
        self.cur = cur

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.cur.execute(qmark_to_pyformat(sql) if params else sql, params)  # type: ignore[arg-type]

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        self.execute(sql, params)
        return self.cur.fetchall()


class PostgresStore(Store):
    """A PostgreSQL database (optionally one schema of it)."""

    dialect: Dialect = "postgres"

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        try:
            conninfo, url_schema = split_schema(url)
        except ValueError as exc:
            raise StoreError(
                f"invalid PostgreSQL URL {mask_url(url)!r}: {mask(exc, *url_secrets(url))}"
            ) from None
        self.schema = schema or url_schema
        self._conninfo = conninfo.replace("postgresql+psycopg://", "postgresql://", 1)
        options: dict[str, Any] = {}
        if "connect_timeout" not in self._conninfo:
            options["connect_timeout"] = CONNECT_TIMEOUT
        try:
            self.conn: psycopg.Connection[Any] = psycopg.connect(self._conninfo, autocommit=True, **options)
        except psycopg.Error as exc:
            # not chained: psycopg's message may quote the whole conninfo or the password, and a traceback
            # prints the cause
            raise unavailable(exc, self._conninfo, url_secrets(url)) from None
        if self.schema:
            ident = pgsql.Identifier(self.schema)
            self.conn.execute(pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident))
            self.conn.execute(pgsql.SQL("SET search_path TO {}").format(ident))

    def __repr__(self) -> str:
        return f"PostgresStore({mask_url(self._conninfo)!r}, schema={self.schema!r})"

    @contextmanager
    def _transaction(self) -> Iterator[_PgTx]:
        with _translating(), self.conn.transaction(), self.conn.cursor() as cur:
            yield _PgTx(cur)

    def close(self) -> None:
        if not self.conn.closed:
            self.conn.close()

    def _existing_tables(self) -> set[str]:
        rows = self.conn.execute(self._tables_sql()).fetchall()
        return {str(r[0]) for r in rows}

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        try:
            with _translating(), self.conn.cursor() as cur:
                cur.execute(qmark_to_pyformat(sql) if params else sql, params)  # type: ignore[arg-type]
                if cur.description is None:
                    return pl.DataFrame()
                names = [d.name for d in cur.description]
                rows = cur.fetchall()
        except psycopg.errors.UndefinedTable as exc:
            raise NotInitializedError(f"{exc} — is the database initialised (`tq init`)?") from exc
        return rows_frame(names, rows)

    def _select_expr(self, column: Column) -> str:
        # COPY writes booleans as t/f; Polars' CSV reader wants true/false.
        ident = quote_ident(column.name)
        return f"{ident}::text AS {ident}" if column.type == "bool" else ident

    def _select(self, table: Table, columns: list[str], sql: str, params: list[Any]) -> pl.DataFrame:
        buf = io.BytesIO()
        copy_sql = f"COPY ({qmark_to_pyformat(sql) if params else sql}) TO STDOUT (FORMAT csv, HEADER true)"
        try:
            with (
                _translating(table.name),
                self.conn.cursor() as cur,
                cur.copy(copy_sql, params or None) as copy,
            ):  # type: ignore[arg-type]
                for block in copy:
                    buf.write(block)
        except psycopg.errors.UndefinedTable as exc:
            raise NotInitializedError(f"table {table.name}: {exc} — run `tq init`") from exc
        schema = {n: table.polars_schema()[n] for n in columns}
        if buf.tell() == 0 or len(buf.getvalue().splitlines()) <= 1:
            return pl.DataFrame(schema=schema)
        buf.seek(0)
        return pl.read_csv(buf, schema=schema, try_parse_dates=False)

    def _distinct_sql(self, column: Column, left: str, right: str) -> str:
        if column.type == "json":  # json has no equality operator; compare the text
            return f"{left}::text IS DISTINCT FROM {right}::text"
        return f"{left} IS DISTINCT FROM {right}"

    def _upsert_prepared(self, table: Table, df: pl.DataFrame, replace_nulls: bool) -> int:
        stage = "_tq_stage"
        cols = ", ".join(quote_ident(c) for c in df.columns)
        payload = df.write_csv(include_header=False, datetime_format="%Y-%m-%d %H:%M:%S%.f").encode()
        try:
            with self._transaction() as tx:
                tx.execute(f"CREATE TEMP TABLE {stage} (LIKE {quote_ident(table.name)}) ON COMMIT DROP")
                with tx.cur.copy(f"COPY {stage} ({cols}) FROM STDIN (FORMAT csv)") as copy:
                    view = memoryview(payload)
                    for i in range(0, len(view), 1 << 20):
                        copy.write(view[i : i + (1 << 20)])
                tx.execute(f"ANALYZE {stage}")
                tx.execute(self._changed_rows_insert_sql(table, df.columns, stage, replace_nulls))
                return max(tx.cur.rowcount, 0)
        except psycopg.errors.UndefinedTable as exc:
            raise NotInitializedError(f"table {table.name}: {exc} — run `tq init`") from exc
        except (psycopg.errors.DataCorrupted, psycopg.errors.IndexCorrupted) as exc:
            raise _corrupt(exc, table.name) from exc
        except psycopg.Error as exc:
            raise StoreError(f"upsert into {table.name} failed, nothing written: {exc}") from exc

    def _scan_table(self, name: str) -> int:
        """Every row's text (every column, TOASTed values fetched) measured on the server; nothing is shipped."""
        ident = quote_ident(name)
        with _translating(name), self.conn.cursor() as cur:
            cur.execute(f"SELECT count(*), sum(length(t::text)) FROM {ident} AS t")  # type: ignore[arg-type]
            row = cur.fetchone()
        return int(row[0]) if row else 0


def _corrupt(exc: psycopg.Error, table: str | None = None) -> StoreCorruptError:
    where = f" in table {table}" if table else ""
    return StoreCorruptError(f"PostgreSQL reports damaged data{where}: {exc}", table=table, cause=str(exc))


@contextmanager
def _translating(table: str | None = None) -> Iterator[None]:
    """The server's reports of damaged pages or indexes leave as :class:`StoreCorruptError`."""
    try:
        yield
    except (psycopg.errors.DataCorrupted, psycopg.errors.IndexCorrupted) as exc:
        raise _corrupt(exc, table) from exc


_LIBPQ_PREFIX = re.compile(r'^(connection failed: )?(connection to server at "[^"]*"(, port \d+)? failed: )?')


def unavailable(exc: psycopg.Error, conninfo: str, secrets: Sequence[str] = ()) -> StoreUnavailableError:
    """A failed connection as :class:`StoreUnavailableError` whose message says which cause and what to check.

    `secrets`: the URL's passwords (:func:`thermoquant.secrets.url_secrets`), masked where psycopg echoes them.
    """
    text = " ".join(line.strip() for line in str(exc).strip().splitlines() if line.strip())
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    detail = _LIBPQ_PREFIX.sub("", first).replace("FATAL:  ", "").strip() or type(exc).__name__
    detail = mask(detail, *secrets)  # psycopg may quote the URI or a malformed password
    try:
        info = psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.Error:  # the URL itself is malformed: its parts cannot be named
        info = {}
    where = f"{info.get('host') or 'localhost'}:{info.get('port') or 5432}"
    dbname = str(info.get("dbname") or info.get("user") or "")
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate == "3D000" or f'database "{dbname}" does not exist' in text:
        cause = f'database "{dbname}" does not exist on {where}: create it (createdb {dbname}) or fix the URL'
    elif sqlstate in ("28P01", "28000") or "authentication failed" in text or 'role "' in text:
        cause = f"the server at {where} refused the user or password: check them in the URL"
    elif "Connection refused" in text or "No such file or directory" in text:
        cause = f"no PostgreSQL server answers at {where}: is it running, and are host and port right?"
    elif "timeout expired" in text:
        cause = (
            f"the server at {where} did not answer within the connect timeout: check host, port and network"
        )
    elif "resolve host" in text or "translate host name" in text:
        cause = f"unknown host {info.get('host')}: check the host in the URL"
    else:
        cause = f"cannot connect to PostgreSQL at {where}"
    return StoreUnavailableError(f"{cause} ({mask_url(conninfo)}: {detail})")
