"""The dashboard on PostgreSQL and MySQL/MariaDB: pages read through the pool of open stores (no file lock to share
there), and the read layer's SQL (quoted identifiers: `signal` is reserved on MySQL) runs there as on DuckDB."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import polars as pl
import psycopg
import pymysql
import pytest
from psycopg import sql as pgsql
from streamlit.testing.v1 import AppTest

from thermoquant.data.store import open_store
from thermoquant.ui.source import POOL_SIZE, _pool

from .conftest import VIEWS

_NAMES = (f"tq_ui_{uuid.uuid4().hex[:8]}_{n}" for n in itertools.count())


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres),
                        pytest.param("mysql", marks=pytest.mark.mysql)])  # fmt: skip
def server_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh PostgreSQL schema or MySQL database on the test server (skips when its URL is unset), dropped
    afterwards."""
    variable = {"postgres": "TQ_TEST_PG_URL", "mysql": "TQ_TEST_MYSQL_URL"}[request.param]
    base = os.environ.get(variable)
    if not base:
        pytest.skip(f"{variable} is not set: {request.param} dashboard test skipped")
    name = next(_NAMES)
    if request.param == "postgres":
        yield f"{base}{'&' if '?' in base else '?'}schema={name}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(name)))
        return
    parts = urlsplit(base)
    admin = pymysql.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username or "root",
                            password=parts.password or "", autocommit=True)  # fmt: skip
    try:
        admin.cursor().execute(f"CREATE DATABASE `{name}`")
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


def test_pages_read_postgres_through_the_pool(
    server_url: str, use_data_dir: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    use_data_dir(tmp_path)
    monkeypatch.setenv("TQ_DATABASE_URL", server_url)
    day = dt.datetime(2022, 1, 14, 15)
    with open_store(server_url) as store:
        store.upsert(
            "stock_info",
            pl.DataFrame({"symbol": ["600000.SH", "000001.SZ"], "name": ["浦发银行", "平安银行"]}),
        )
        store.upsert(
            "signals",
            pl.DataFrame({"strategy": "thermo_scan", "symbol": ["600000.SH", "000001.SZ"], "signal_time": day,
                          "signal": ["BUY", "WATCH"], "state": ["B", "A"], "score": [2.5, 0.1],
                          "details": ['{"k": 2.5}', '{"k": 0.1}']}),
        )  # fmt: skip
        store.upsert(
            "daily_quote",
            pl.DataFrame({"symbol": ["600000.SH", "000001.SZ"], "trade_date": dt.date(2022, 1, 14),
                          "open": [10.0, 16.0], "high": [11.0, 16.5], "low": [10.0, 15.9], "close": [11.0, 16.2],
                          "pre_close": [10.0, 16.0], "volume": [1e6, 2e6]}),
        )  # fmt: skip
    at = AppTest.from_file(str(VIEWS / "overview.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    assert shown["扫描日 scan day"] == "2022-01-14" and shown["B 引燃 ignition"] == "1"
    assert shown["涨停 limit-up 2022-01-14"] == "1"  # 600000.SH closed at +10 %
    assert at.dataframe[0].value["symbol"].tolist() == ["600000.SH"]
    sig = AppTest.from_file(str(VIEWS / "signals.py"), default_timeout=60)
    sig.run()
    assert not sig.exception, [e.message for e in sig.exception]
    assert sig.dataframe[0].value["k"].tolist() == [2.5, 0.1]
    pool = _pool(server_url)
    assert 1 <= pool._made <= POOL_SIZE  # stores are lent and returned, not opened per read
    pool.close()
    assert pool._made == 0
