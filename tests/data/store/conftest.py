"""Fixtures of the store tests: a `store` on each backend, fresh per test.

PostgreSQL tests need `TQ_TEST_PG_URL` (e.g. postgresql://postgres@127.0.0.1:5432/test), MySQL/MariaDB tests
`TQ_TEST_MYSQL_URL` (e.g. mysql://root@127.0.0.1:3306/test); without them they are skipped with that reason.
Each test gets its own PostgreSQL schema or MySQL database `tq_test_<session>_<n>`, dropped afterwards.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pymysql
import pytest
from psycopg import sql as pgsql

from thermoquant.data.store import Store, open_store
from thermoquant.data.store.mysql_store import parse_url

_SESSION = uuid.uuid4().hex[:8]
_COUNTER = itertools.count()


def server_url(variable: str, server: str) -> str:
    """The test server URL in the environment `variable`; skips the test with the reason when it is unset."""
    url = os.environ.get(variable)
    if not url:
        pytest.skip(f"{variable} is not set: {server} store tests skipped")
    return url


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The PostgreSQL test server URL from TQ_TEST_PG_URL (skips when unset)."""
    return server_url("TQ_TEST_PG_URL", "PostgreSQL")


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[str]:
    """A fresh, empty schema name; the schema is dropped (CASCADE) after the test."""
    name = f"tq_test_{_SESSION}_{next(_COUNTER)}"
    yield name
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(name)))


@pytest.fixture(scope="session")
def mysql_url() -> str:
    """The MySQL/MariaDB test server URL from TQ_TEST_MYSQL_URL (skips when unset)."""
    return server_url("TQ_TEST_MYSQL_URL", "MySQL/MariaDB")


def mysql_admin(url: str) -> pymysql.Connection:
    """A connection to the server of `url` outside any database (to create and drop test databases)."""
    args = parse_url(url)
    args.pop("database")
    return pymysql.connect(**args, autocommit=True)


@pytest.fixture
def mysql_db_url(mysql_url: str) -> Iterator[str]:
    """URL of a fresh, empty database on the MySQL/MariaDB test server; dropped after the test."""
    name = f"tq_test_{_SESSION}_{next(_COUNTER)}"
    with mysql_admin(mysql_url) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    base = mysql_url.split("?", 1)[0].rsplit("/", 1)[0]
    query = mysql_url.split("?", 1)[1] if "?" in mysql_url else ""
    yield f"{base}/{name}" + (f"?{query}" if query else "")
    with mysql_admin(mysql_url) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


def make_store_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """URL of a fresh database of `kind` ("duckdb", "postgres" or "mysql") for one test."""
    if kind == "duckdb":
        return f"duckdb:///{tmp_path / 'tq.duckdb'}"
    if kind == "mysql":
        return request.getfixturevalue("mysql_db_url")
    schema = request.getfixturevalue("pg_schema")
    url = request.getfixturevalue("pg_url")
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}schema={schema}"


@pytest.fixture(
    params=[
        "duckdb",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ]
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a fresh, uninitialised database on each backend."""
    return make_store_url(request.param, tmp_path, request)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An initialised, empty store on each backend (DuckDB file in tmp_path; PostgreSQL fresh schema; MySQL fresh
    database)."""
    with open_store(store_url) as s:
        yield s
