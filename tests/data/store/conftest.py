"""Fixtures of the store tests: a `store` on each backend, fresh per test.

PostgreSQL tests need `TQ_TEST_PG_URL` (e.g. postgresql://postgres@127.0.0.1:5432/test); without it they are
skipped with that reason. Each test gets its own schema `tq_test_<session>_<n>`, dropped afterwards.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as pgsql

from thermoquant.data.store import Store, open_store

_SESSION = uuid.uuid4().hex[:8]
_COUNTER = itertools.count()


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The test server URL from TQ_TEST_PG_URL; skips with the reason when unset."""
    url = os.environ.get("TQ_TEST_PG_URL")
    if not url:
        pytest.skip("TQ_TEST_PG_URL is not set: PostgreSQL store tests skipped")
    return url


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[str]:
    """A fresh, empty schema name; the schema is dropped (CASCADE) after the test."""
    name = f"tq_test_{_SESSION}_{next(_COUNTER)}"
    yield name
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(name)))


def make_store_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """URL of a fresh database of `kind` ("duckdb" or "postgres") for one test."""
    if kind == "duckdb":
        return f"duckdb:///{tmp_path / 'tq.duckdb'}"
    schema = request.getfixturevalue("pg_schema")
    url = request.getfixturevalue("pg_url")
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}schema={schema}"


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a fresh, uninitialised database on each backend."""
    return make_store_url(request.param, tmp_path, request)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An initialised, empty store on each backend (DuckDB file in tmp_path; PostgreSQL fresh schema)."""
    with open_store(store_url) as s:
        yield s
