"""DDL rendered from `thermoquant.data.schema` for each backend (DuckDB, PostgreSQL, MySQL/MariaDB).

Logical types map to: text → VARCHAR/TEXT, int → INTEGER, bigint → BIGINT, double → DOUBLE/DOUBLE PRECISION,
bool → BOOLEAN, date → DATE, timestamp → TIMESTAMP (naive, Asia/Shanghai wall clock), json → JSON on DuckDB and
PostgreSQL (DuckDB's JSON and PostgreSQL's `json` validate the text and keep it byte for byte, unlike `jsonb`, so
frames round-trip exactly; malformed JSON fails the whole batch).
Key columns are NOT NULL and form the PRIMARY KEY. Every table and column carries a comment "[unit] doc".

MySQL/MariaDB (dialect ``"mysql"``):

- text key columns are ``VARCHAR(MYSQL_KEY_CHARS)`` (an index cannot hold an unbounded TEXT), other text
  ``LONGTEXT``; json is ``LONGTEXT CHECK (json_valid(col))`` — what MariaDB's JSON alias is, and on MySQL it keeps
  the text byte for byte where MySQL's binary JSON type would reorder keys and respace it;
- timestamp is ``DATETIME(6)`` (microseconds, no time-zone conversion), double ``DOUBLE``, bool ``BOOLEAN``
  (= TINYINT(1));
- every table is ``ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`` with the server's byte-wise, NO PAD collation
  (`collation`, chosen by the store: MariaDB ``utf8mb4_nopad_bin``, MySQL ≥ 8.0.17 ``utf8mb4_0900_bin``), so keys,
  filters and change detection compare text exactly as DuckDB and PostgreSQL do: 'a' ≠ 'A' ≠ 'a ';
- comments are inline (``COMMENT '…'``): MySQL has no COMMENT ON.
"""

from __future__ import annotations

from typing import Literal

from thermoquant.data.schema import Column, Table

Dialect = Literal["duckdb", "postgres", "mysql"]

#: Length in characters of a text key column on MySQL/MariaDB. InnoDB (DYNAMIC rows) caps an index at 3,072 bytes
#: and utf8mb4 reserves 4 bytes a character: 255 characters (1,020 bytes) leave room for three text key columns
#: plus a date or timestamp in one primary key (3 × 1,020 + 8 = 3,068). The longest real keys (dragon-tiger
#: reasons, job keys) are well under 100 characters; a longer value is refused with an error naming the row.
MYSQL_KEY_CHARS = 255

#: InnoDB's limit on the bytes of one index (the primary key), utf8mb4 characters counting 4 bytes each.
MYSQL_MAX_KEY_BYTES = 3072

SQL_TYPES: dict[Dialect, dict[str, str]] = {
    "duckdb": {
        "text": "VARCHAR",
        "int": "INTEGER",
        "bigint": "BIGINT",
        "double": "DOUBLE",
        "bool": "BOOLEAN",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
        "json": "JSON",
    },
    "postgres": {
        "text": "TEXT",
        "int": "INTEGER",
        "bigint": "BIGINT",
        "double": "DOUBLE PRECISION",
        "bool": "BOOLEAN",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
        "json": "JSON",
    },
    "mysql": {
        "text": "LONGTEXT",
        "int": "INT",
        "bigint": "BIGINT",
        "double": "DOUBLE",
        "bool": "BOOLEAN",
        "date": "DATE",
        "timestamp": "DATETIME(6)",
        "json": "LONGTEXT",
    },
}

#: Bytes each MySQL key type takes in an index (text: MYSQL_KEY_CHARS × 4).
MYSQL_KEY_BYTES = {"text": MYSQL_KEY_CHARS * 4, "int": 4, "bigint": 8, "date": 3, "timestamp": 8, "bool": 1}


def quote_ident(name: str) -> str:
    """Double-quote an identifier (doubling embedded quotes); safe for every backend (MySQL runs with ANSI_QUOTES)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Single-quote a string literal (doubling embedded quotes; MySQL runs with NO_BACKSLASH_ESCAPES)."""
    return "'" + text.replace("'", "''") + "'"


def sql_type(table: Table, column: Column, dialect: Dialect) -> str:
    """The column's SQL type on `dialect` (a MySQL text key is VARCHAR(MYSQL_KEY_CHARS))."""
    if dialect == "mysql" and column.type == "text" and table.is_key(column.name):
        return f"VARCHAR({MYSQL_KEY_CHARS})"
    return SQL_TYPES[dialect][column.type]


def column_sql(table: Table, column: Column, dialect: Dialect) -> str:
    """`"name" TYPE [NOT NULL]` for a CREATE TABLE or ADD COLUMN clause (MySQL: with its check and comment)."""
    null = "" if column.nullable else " NOT NULL"
    out = f"{quote_ident(column.name)} {sql_type(table, column, dialect)}{null}"
    if dialect == "mysql":
        out += f" COMMENT {quote_literal(comment_text(column))}"
        if column.type == "json":
            out += f" CHECK (json_valid({quote_ident(column.name)}))"
    return out


def comment_text(column: Column) -> str:
    """The comment stored on a column: `[unit] doc`, or just `doc` when unitless."""
    return f"[{column.unit}] {column.doc}" if column.unit else column.doc


def mysql_key_bytes(table: Table) -> int:
    """Bytes of `table`'s primary key in a MySQL/MariaDB index (must stay ≤ MYSQL_MAX_KEY_BYTES)."""
    return sum(MYSQL_KEY_BYTES[table.column(k).type] for k in table.primary_key)


def create_table_sql(table: Table, dialect: Dialect, collation: str | None = None) -> str:
    """CREATE TABLE IF NOT EXISTS with every column and the primary key (`collation`: MySQL only, required)."""
    cols = ",\n  ".join(column_sql(table, c, dialect) for c in table.columns)
    pk = ", ".join(quote_ident(k) for k in table.primary_key)
    sql = f"CREATE TABLE IF NOT EXISTS {quote_ident(table.name)} (\n  {cols},\n  PRIMARY KEY ({pk})\n)"
    if dialect == "mysql":
        if not collation:
            raise ValueError("MySQL DDL needs the text collation (MySQLStore.collation)")
        sql += (
            f" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={collation} COMMENT={quote_literal(table.doc)}"
        )
    return sql


def comment_sqls(table: Table, columns: list[Column] | None = None) -> list[str]:
    """COMMENT ON TABLE / COLUMN statements (DuckDB and PostgreSQL; MySQL's comments are inline)."""
    out = (
        [f"COMMENT ON TABLE {quote_ident(table.name)} IS {quote_literal(table.doc)}"]
        if columns is None
        else []
    )
    for col in table.columns if columns is None else columns:
        out.append(
            f"COMMENT ON COLUMN {quote_ident(table.name)}.{quote_ident(col.name)} IS "
            f"{quote_literal(comment_text(col))}"
        )
    return out


def create_table_sqls(table: Table, dialect: Dialect, collation: str | None = None) -> list[str]:
    """Every statement that creates `table` with its comments (`collation`: MySQL only, required)."""
    create = create_table_sql(table, dialect, collation)
    return [create] if dialect == "mysql" else [create, *comment_sqls(table)]


def add_column_sqls(table: Table, column: Column, dialect: Dialect) -> list[str]:
    """ALTER TABLE … ADD COLUMN for a column appended to schema.py later (always nullable: old rows get null).

    On MySQL a text column takes the table's default collation."""
    if not column.nullable:
        raise ValueError(
            f"cannot add key column {table.name}.{column.name} to an existing table; write a migration instead"
        )
    alter = f"ALTER TABLE {quote_ident(table.name)} ADD COLUMN {column_sql(table, column, dialect)}"
    return [alter] if dialect == "mysql" else [alter, *comment_sqls(table, [column])]
