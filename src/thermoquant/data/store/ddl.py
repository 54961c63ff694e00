"""DDL rendered from `thermoquant.data.schema` for each backend (DuckDB, PostgreSQL).

Logical types map to: text → VARCHAR/TEXT, int → INTEGER, bigint → BIGINT, double → DOUBLE/DOUBLE PRECISION,
bool → BOOLEAN, date → DATE, timestamp → TIMESTAMP (naive, Asia/Shanghai wall clock), json → JSON on both (DuckDB's
JSON and PostgreSQL's `json` validate the text and keep it byte for byte, unlike `jsonb`, so frames round-trip
exactly; malformed JSON fails the whole batch).
Key columns are NOT NULL and form the PRIMARY KEY. Every table and column carries a comment "[unit] doc".
"""

from __future__ import annotations

from typing import Literal

from thermoquant.data.schema import Column, Table

Dialect = Literal["duckdb", "postgres"]

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
}


def quote_ident(name: str) -> str:
    """Double-quote an identifier (doubling embedded quotes); safe for both backends."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Single-quote a string literal (doubling embedded quotes); used for comments only."""
    return "'" + text.replace("'", "''") + "'"


def column_sql(column: Column, dialect: Dialect) -> str:
    """`"name" TYPE [NOT NULL]` for a CREATE TABLE or ADD COLUMN clause."""
    null = "" if column.nullable else " NOT NULL"
    return f"{quote_ident(column.name)} {SQL_TYPES[dialect][column.type]}{null}"


def comment_text(column: Column) -> str:
    """The comment stored on a column: `[unit] doc`, or just `doc` when unitless."""
    return f"[{column.unit}] {column.doc}" if column.unit else column.doc


def create_table_sql(table: Table, dialect: Dialect) -> str:
    """CREATE TABLE IF NOT EXISTS with every column and the primary key."""
    cols = ",\n  ".join(column_sql(c, dialect) for c in table.columns)
    pk = ", ".join(quote_ident(k) for k in table.primary_key)
    return f"CREATE TABLE IF NOT EXISTS {quote_ident(table.name)} (\n  {cols},\n  PRIMARY KEY ({pk})\n)"


def comment_sqls(table: Table, columns: list[Column] | None = None) -> list[str]:
    """COMMENT ON TABLE / COLUMN statements (same syntax on both backends)."""
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


def create_table_sqls(table: Table, dialect: Dialect) -> list[str]:
    """Every statement that creates `table` with its comments."""
    return [create_table_sql(table, dialect), *comment_sqls(table)]


def add_column_sqls(table: Table, column: Column, dialect: Dialect) -> list[str]:
    """ALTER TABLE … ADD COLUMN for a column appended to schema.py later (always nullable: old rows get null)."""
    if not column.nullable:
        raise ValueError(
            f"cannot add key column {table.name}.{column.name} to an existing table; write a migration instead"
        )
    alter = f"ALTER TABLE {quote_ident(table.name)} ADD COLUMN {column_sql(column, dialect)}"
    return [alter, *comment_sqls(table, [column])]
