"""MySQL / MariaDB backend (PyMySQL): LOAD DATA LOCAL INFILE in, one CSV line a row out.

- URLs: ``mysql://user[:password]@host[:port]/database`` (also ``mariadb://`` and ``mysql+pymysql://``; optional
  ``?unix_socket=/path``). The database must exist; the store creates its tables in it.
- Session: ``sql_mode`` = :data:`SQL_MODE` on every connection (ANSI_QUOTES so the shared SQL's double-quoted
  identifiers work, NO_BACKSLASH_ESCAPES so string literals are standard SQL, strict so that a bad value is an
  error, never a silent truncation). Text columns use the server's byte-wise NO PAD collation (ddl.py), so text
  compares exactly as on DuckDB and PostgreSQL.
- Upsert: the validated frame is written as CSV by Polars to a temporary file and bulk-loaded with
  ``LOAD DATA LOCAL INFILE`` into a temporary copy of the table; then the shared ``INSERT … SELECT … LEFT JOIN``
  writes the new or changed rows (``NOT (a <=> b)`` for IS DISTINCT FROM) with ``ON DUPLICATE KEY UPDATE``.
  One transaction per batch. LOAD DATA LOCAL turns bad values into warnings (the server cannot stop the client's
  file midway), so any warning fails the batch, naming the row; key lengths and infinite doubles are checked
  before anything is sent.
- MySQL's DOUBLE has neither NaN nor ±inf. NaN — Polars' and pandas' "no value" — is stored as NULL (what
  pandas ``to_sql`` does too), so it reads back as null and, like any null, never replaces a stored value; ±inf
  is a value that cannot be stored and is refused, naming the row.
- Reads: the server renders each row as one CSV line (``CONCAT_WS``), which Polars parses with the schema's dtypes
  — one value a row through the pure-Python driver instead of one a cell.
- DDL is not transactional on MySQL: ``init()`` and migrations commit statement by statement (migrations.py).
- Concurrency: InnoDB is MVCC; a reader sees whole committed batches while a job writes.
- The server must allow ``local_infile`` (MariaDB's default; on MySQL 8 ``SET GLOBAL local_infile = 1``).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import polars as pl
import pymysql
from pymysql.constants import CLIENT, ER, FIELD_TYPE

from thermoquant.data.schema import Column, Table
from thermoquant.secrets import mask, mask_url, url_secrets

from .base import Store, qmark_to_pyformat, rows_frame
from .ddl import MYSQL_KEY_CHARS, Dialect, quote_ident, quote_literal
from .errors import NotInitializedError, StoreError, StoreUnavailableError, ValidationError

URL_SCHEMES = ("mysql://", "mariadb://", "mysql+pymysql://")

#: Session sql_mode: standard quoting and literals for the shared SQL, strict errors instead of silent coercion.
SQL_MODE = (
    "ANSI_QUOTES,PIPES_AS_CONCAT,NO_BACKSLASH_ESCAPES,STRICT_TRANS_TABLES,STRICT_ALL_TABLES,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION"
)

#: Byte-wise NO PAD utf8mb4 collations, in order of preference (MariaDB ≥ 10.2, MySQL ≥ 8.0.17).
NOPAD_BIN_COLLATIONS = ("utf8mb4_nopad_bin", "utf8mb4_0900_bin")

#: Server errors that mean LOAD DATA LOCAL is switched off (MariaDB 1148; MySQL 3948, client 2068).
_LOCAL_INFILE_OFF = {ER.NOT_ALLOWED_COMMAND, 3948, 2068}

_STAGE = "_tq_stage"
_RECORDS = re.compile(rb"Records: (\d+)")
_AT_ROW = re.compile(r"at row (\d+)")


def parse_url(url: str) -> dict[str, Any]:
    """PyMySQL connection arguments from a ``mysql://`` / ``mariadb://`` / ``mysql+pymysql://`` URL."""
    if not url.startswith(URL_SCHEMES):
        raise StoreError(f"not a MySQL URL: {mask_url(url)!r}")
    parts = urlsplit(url)
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise StoreError(
            f"MySQL 地址缺少数据库名 / the MySQL URL names no database: {mask_url(url)!r} "
            "(mysql://user@host:3306/tq)"
        )
    args: dict[str, Any] = {
        "host": parts.hostname or "localhost",
        "port": parts.port or 3306,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else "",
        "database": database,
    }
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key != "unix_socket":
            raise StoreError(
                f"unsupported MySQL URL parameter {key!r} in {mask_url(url)!r} (known: unix_socket)"
            )
        args["unix_socket"] = value
    return args


def _run(
    cur: pymysql.cursors.Cursor, sql: str, params: Sequence[Any] | None
) -> tuple[tuple[tuple[Any, ...], ...] | None, list[tuple[Any, ...]]]:
    """Run `sql` (`?` placeholders; several statements allowed); return the first result's description and rows."""
    cur.execute(qmark_to_pyformat(sql) if params else sql, list(params) if params else None)
    description = cur.description
    rows = list(cur.fetchall()) if description is not None else []
    while cur.nextset():  # drain a multi-statement script; an error in a later statement is raised here
        pass
    return description, rows


def _execute(cur: pymysql.cursors.Cursor, sql: str, params: Sequence[Any] | None) -> list[tuple[Any, ...]]:
    """Run `sql` (`?` placeholders; several statements allowed) and return the first result's rows."""
    return _run(cur, sql, params)[1]


class _MyTx:
    """MigrationContext over a PyMySQL cursor inside a transaction."""

    dialect: Dialect = "mysql"

    def __init__(self, cur: pymysql.cursors.Cursor, collation: str) -> None:
        self.cur = cur
        self.collation: str | None = collation

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        _execute(self.cur, sql, params)

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return _execute(self.cur, sql, params)


class MySQLStore(Store):
    """A MySQL (≥ 8.0.17) or MariaDB (≥ 10.2) database; the tables live in the URL's database."""

    dialect: Dialect = "mysql"
    current_schema_sql = "DATABASE()"

    def __init__(self, url: str) -> None:
        self._url = mask_url(url)
        self._secrets = url_secrets(url)
        self._args = parse_url(url)
        self.conn = self._connect()
        with self.conn.cursor() as cur:
            names = ", ".join(quote_literal(c) for c in NOPAD_BIN_COLLATIONS)
            found = {r[0] for r in _execute(cur, f"SHOW COLLATION WHERE Collation IN ({names})", None)}
        choice = [c for c in NOPAD_BIN_COLLATIONS if c in found]
        if not choice:
            self.conn.close()
            raise StoreError(
                f"MySQL 服务器版本过旧 / the server at {self._url} has none of the collations {NOPAD_BIN_COLLATIONS}: "
                "MariaDB ≥ 10.2 or MySQL ≥ 8.0.17 is needed"
            )
        self.collation = choice[0]

    def _connect(self) -> pymysql.Connection:
        try:
            return pymysql.connect(
                **self._args,
                charset="utf8mb4",
                autocommit=True,
                local_infile=True,
                client_flag=CLIENT.MULTI_STATEMENTS,
                init_command=f"SET SESSION sql_mode = '{SQL_MODE}'",
                connect_timeout=10,
            )
        except pymysql.Error as exc:
            # not chained: a driver message may echo connection arguments, and a traceback prints the cause
            reason = mask(f"{type(exc).__name__}: {exc}", *self._secrets)
            raise StoreUnavailableError(
                f"无法连接 MySQL / cannot connect to MySQL ({self._url}): {reason}"
            ) from None

    def __repr__(self) -> str:
        return f"MySQLStore({self._url!r})"

    def _ping(self) -> None:
        """Open a new connection when the server closed this one while idle (wait_timeout, a restart); called
        before each operation, never inside a transaction."""
        try:
            self.conn.ping()
        except pymysql.Error:
            with suppress(pymysql.Error):
                self.conn.close()
            self.conn = self._connect()

    @contextmanager
    def _transaction(self) -> Iterator[_MyTx]:
        self._ping()
        self.conn.begin()
        try:
            with self.conn.cursor() as cur:
                yield _MyTx(cur, self.collation or "")
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def close(self) -> None:
        if self.conn.open:
            self.conn.close()

    def _existing_tables(self) -> set[str]:
        self._ping()
        with self.conn.cursor() as cur:
            return {str(r[0]) for r in _execute(cur, self._tables_sql(), None)}

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        """Any SQL → Polars frame; BOOLEAN (TINYINT(1)) columns come back as Boolean."""
        self._ping()
        try:
            with self.conn.cursor() as cur:
                description, rows = _run(cur, sql, params)
        except pymysql.err.ProgrammingError as exc:
            if exc.args[0] == ER.NO_SUCH_TABLE:
                raise NotInitializedError(f"{exc} — is the database initialised (`tq init`)?") from exc
            raise
        if description is None:
            return pl.DataFrame()
        df = rows_frame([d[0] for d in description], rows)
        flags = [d[0] for d in description if d[1] == FIELD_TYPE.TINY and d[3] == 1]
        return df.with_columns(pl.col(c).cast(pl.Boolean) for c in flags) if flags else df

    # ------------------------------------------------------------------ reads: one CSV line a row
    def _select_list(self, table: Table, columns: list[str]) -> str:
        fields = ["'r'"]  # a leading constant: a row whose only value is null is not a blank line
        for name in columns:
            ident = quote_ident(name)
            if table.column(name).type in ("text", "json"):
                fields.append(f"""IFNULL(CONCAT('"', REPLACE({ident}, '"', '""'), '"'), '')""")
            else:  # numbers print in shortest round-trip form, DATETIME(6) with its microseconds
                fields.append(f"IFNULL({ident}, '')")
        return f"CONCAT_WS(',', {', '.join(fields)})"

    def _select(self, table: Table, columns: list[str], sql: str, params: list[Any]) -> pl.DataFrame:
        self._ping()
        try:
            with self.conn.cursor() as cur:
                rows = _execute(cur, sql, params)
        except pymysql.err.ProgrammingError as exc:
            if exc.args[0] == ER.NO_SUCH_TABLE:
                raise NotInitializedError(f"table {table.name}: {exc} — run `tq init`") from exc
            raise
        dtypes = table.polars_schema()
        # booleans arrive as 0/1; read.cast turns the Int8 into Boolean
        schema = {
            "_r": pl.Utf8(),
            **{c: pl.Int8() if dtypes[c] == pl.Boolean() else dtypes[c] for c in columns},
        }
        if not rows:
            return pl.DataFrame(schema=schema).drop("_r")
        text = "\n".join(r[0] for r in rows).encode()
        return pl.read_csv(text, has_header=False, schema=schema, try_parse_dates=False).drop("_r")

    # ------------------------------------------------------------------ writes
    def _distinct_sql(self, column: Column, left: str, right: str) -> str:
        return f"NOT ({left} <=> {right})"

    def _conflict_sql(self, table: Table, values: list[str], replace_nulls: bool) -> str:
        if not values:  # only new keys are selected; a key inserted meanwhile is left as it is (DO NOTHING)
            first = quote_ident(table.primary_key[0])
            return f"ON DUPLICATE KEY UPDATE {first} = {quote_ident(table.name)}.{first}"
        sets = self._update_sets(table, values, replace_nulls, lambda ident: f"s.{ident}")
        return f"ON DUPLICATE KEY UPDATE {sets}"

    def _upsert_prepared(self, table: Table, df: pl.DataFrame, replace_nulls: bool) -> int:
        check_frame(table, df)
        cols = ", ".join(quote_ident(c) for c in df.columns)
        fd, name = tempfile.mkstemp(prefix="tq-mysql-", suffix=".csv")
        os.close(fd)
        path = Path(name)
        try:
            df.with_columns(
                *(pl.col(c).cast(pl.Int8) for c, t in df.schema.items() if t == pl.Boolean()),
                *(pl.col(c).fill_nan(None) for c, t in df.schema.items() if t == pl.Float64()),
            ).write_csv(
                path,
                include_header=False,
                null_value="NULL",  # unquoted NULL is null; text is always quoted, so "NULL" stays text
                quote_style="non_numeric",
                datetime_format="%Y-%m-%d %H:%M:%S%.6f",
            )
            load = (
                f"LOAD DATA LOCAL INFILE {quote_literal(path.as_posix())} INTO TABLE {_STAGE} CHARACTER SET utf8mb4 "
                "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' LINES TERMINATED BY '\n' "
                f"({cols})"
            )
            with self._transaction() as tx:
                tx.execute(f"DROP TEMPORARY TABLE IF EXISTS {_STAGE}")
                tx.execute(f"CREATE TEMPORARY TABLE {_STAGE} LIKE {quote_ident(table.name)}")
                tx.execute(load)
                if tx.cur.warning_count or tx.cur.rowcount != df.height:
                    raise StoreError(_load_problem(tx, table, df, tx.cur.rowcount))
                tx.execute(self._changed_rows_insert_sql(table, df.columns, _STAGE, replace_nulls))
                # INSERT … SELECT reports "Records: <rows selected>" — the new or changed rows — in the OK
                # packet's info text, which PyMySQL keeps on the result
                found = _RECORDS.search(tx.cur._result.message or b"")
                if found is None:
                    raise StoreError(f"upsert into {table.name}: the server did not report the rows written")
                tx.execute(f"DROP TEMPORARY TABLE {_STAGE}")
                return int(found.group(1))
        except pymysql.err.ProgrammingError as exc:
            if exc.args[0] == ER.NO_SUCH_TABLE:
                raise NotInitializedError(f"table {table.name}: {exc} — run `tq init`") from exc
            raise StoreError(f"upsert into {table.name} failed, nothing written: {exc}") from exc
        except pymysql.Error as exc:
            if exc.args and exc.args[0] in _LOCAL_INFILE_OFF:
                raise StoreError(
                    f"MySQL 服务器未开启 local_infile / the server refuses LOAD DATA LOCAL INFILE ({exc}); enable it "
                    "with `SET GLOBAL local_infile = 1` (or local_infile=1 in the server's my.cnf)"
                ) from exc
            raise StoreError(f"upsert into {table.name} failed, nothing written: {exc}") from exc
        finally:
            path.unlink(missing_ok=True)


def check_frame(table: Table, df: pl.DataFrame) -> None:
    """Refuse what MySQL/MariaDB cannot store faithfully, naming table, column and row: a text key longer than
    MYSQL_KEY_CHARS characters, and ±inf in a double column (MySQL's DOUBLE has none)."""
    keys = list(table.primary_key)
    for name in df.columns:
        col = table.column(name)
        series = df.get_column(name)
        if col.type == "text" and table.is_key(name):
            bad = series.str.len_chars() > MYSQL_KEY_CHARS
            problem = f"is longer than the {MYSQL_KEY_CHARS} characters a MySQL key column holds (VARCHAR)"
        elif col.type == "double":
            bad = series.is_infinite()
            problem = "is infinite; MySQL/MariaDB DOUBLE cannot hold ±inf (store null instead)"
        else:
            continue
        if bad.any():
            row = int(bad.arg_true()[0])
            value = series[row]
            shown = f"{value[:40]!r}… ({len(value)} characters)" if isinstance(value, str) else repr(value)
            key = {k: df.get_column(k)[row] for k in keys}
            raise ValidationError(
                f"表 {table.name} 列 {name} 第 {row + 1} 行的值无法存入 MySQL / table {table.name}: value {shown} "
                f"of column {name!r} at row {row + 1} of the batch (key {key}) {problem}",
                row=row,
            )


def _load_problem(tx: _MyTx, table: Table, df: pl.DataFrame, loaded: int) -> str:
    """Why LOAD DATA did not take the batch whole: the server's first warnings, with the batch row they name (or
    the first row it skipped) and that row's key."""
    warnings = tx.fetchall("SHOW WARNINGS LIMIT 5")
    messages = [str(w[2]) for w in warnings if str(w[0]) != "Note"] or [str(w[2]) for w in warnings]
    keys = list(table.primary_key)
    row: int | None = None
    for message in messages:
        m = _AT_ROW.search(message)
        if m:
            row = int(m.group(1)) - 1
            break
    if row is None and loaded < df.height:  # a refused row (e.g. a failed CHECK) names no row: find it
        stored = set(tx.fetchall(f"SELECT {', '.join(quote_ident(k) for k in keys)} FROM {_STAGE}"))
        row = next((i for i, k in enumerate(df.select(keys).iter_rows()) if k not in stored), None)
    where = ""
    if row is not None and 0 <= row < df.height:
        where = f" at row {row + 1} of the batch (key {df.select(keys).row(row, named=True)})"
    return (
        f"upsert into {table.name} failed, nothing written: the server refused a value{where}: "
        f"{'; '.join(messages) or f'{loaded} of {df.height} rows loaded'}"
    )
