"""Benchmark: the store's bulk paths on the real xbx 2021 whole-market window (1.1 M daily bars, 4,710 stocks).

For DuckDB, PostgreSQL and MySQL/MariaDB, times (1) the first upsert into an empty table, (2) a re-upsert of the same rows
(the idempotent path: nothing changes, 0 rows written), (3) reading the table back as a Polars frame. Peers in the
same run:

* DuckDB: pandas `DataFrame.to_sql` / `read_sql` through SQLAlchemy (duckdb-engine) into a table with the same
  primary key — the usual pandas route; `to_sql` is timed on the first `TQ_BENCH_PANDAS_ROWS` rows (default
  100,000) and scaled linearly to the full size, as the line says. Also the raw floor — `CREATE TABLE AS SELECT *
  FROM <arrow>` and `SELECT * … .pl()` on a bare connection, with no validation, no key, no change detection.
* PostgreSQL: pandas `DataFrame.to_sql` (SQLAlchemy + psycopg, `chunksize=10_000`) into a table with the same
  primary key, and `pandas.read_sql` of it back — the usual pandas route.

* MySQL/MariaDB: pandas `DataFrame.to_sql` (SQLAlchemy + PyMySQL, the store's driver, `chunksize=10_000`) into a
  table with the same primary key, and `pandas.read_sql` of it back.

PostgreSQL parts need `TQ_TEST_PG_URL` or `TQ_BENCH_PG_URL` (e.g. postgresql://postgres@127.0.0.1:5432/test); they
run in a throw-away schema that is dropped at the end. MySQL parts need `TQ_BENCH_MYSQL_URL` or `TQ_TEST_MYSQL_URL`
(e.g. mysql://root@127.0.0.1:3306/test); they run in a throw-away database `tq_bench_<random>` created beside the
URL's and dropped at the end. `TQ_BENCH_ROWS` limits the rows (default: all).
Run: `.venv/bin/python benchmarks/bench_store.py`
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import polars as pl

from thermoquant.data.sources.csv import read_file
from thermoquant.data.store import open_store

XBX = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "real"
    / "xbx_market"
    / "market_2021-01_2022-01.parquet"
)
T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def time_store(url: str, df: pl.DataFrame) -> tuple[float, float, float]:
    """Seconds of (first upsert into the empty table, the same upsert again, reading the table back) on `url`."""
    with open_store(url) as store:
        t_up, n = timed(lambda: store.upsert("daily_quote", df))
        assert n == df.height, n
        t_re, n2 = timed(lambda: store.upsert("daily_quote", df))
        assert n2 == 0, n2
        t_rd, back = timed(lambda: store.read("daily_quote"))
        assert back.height == df.height
    return t_up, t_re, t_rd


def time_pandas(engine: Any, df: pl.DataFrame, dtype: dict[str, Any] | None = None) -> tuple[float, float]:
    """Seconds of the pandas route on a SQLAlchemy `engine`: ``to_sql`` into a table with the store's primary key
    (chunks of 10,000), then ``read_sql`` of it back. `dtype`: column types the server needs for a key (MySQL)."""
    import pandas as pd

    pdf = df.to_pandas()

    def to_sql() -> None:
        pdf.head(0).to_sql("pandas_quote", engine, index=False, dtype=dtype)
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE pandas_quote ADD PRIMARY KEY (symbol, trade_date)")
        pdf.to_sql("pandas_quote", engine, index=False, if_exists="append", chunksize=10_000)

    t_up, _ = timed(to_sql)
    t_rd, back = timed(lambda: pd.read_sql("SELECT * FROM pandas_quote ORDER BY symbol, trade_date", engine))
    assert len(back) == df.height
    engine.dispose()
    return t_up, t_rd


def line(what: str, ours: float, peer_name: str, peer: float) -> None:
    print(f"{what:<44} {ours:8.2f} s   {peer_name:<34} {peer:8.2f} s   ratio peer/ours {peer / ours:6.2f}x")


def bench_duckdb(df: pl.DataFrame, workdir: Path) -> None:
    path = workdir / "bench.duckdb"
    t_up, t_re, t_rd = time_store(f"duckdb:///{path}", df)
    raw = duckdb.connect(str(workdir / "raw.duckdb"))
    arrow = df.to_arrow()
    raw.register("src", arrow)
    t_raw_up, _ = timed(lambda: raw.execute("CREATE TABLE daily_quote AS SELECT * FROM src"))
    t_raw_rd, _ = timed(lambda: raw.sql("SELECT * FROM daily_quote ORDER BY symbol, trade_date").pl())
    raw.close()
    t_pd_up, t_pd_rd, sample = _pandas_duckdb(df, workdir / "pandas.duckdb")
    scaled = f"pandas to_sql ({sample:,} rows ×{df.height / sample:.1f})"
    print(f"DuckDB ({df.height:,} rows)")
    line("  store.upsert (new rows)", t_up, scaled, t_pd_up)
    line("  store.upsert again (0 changed)", t_re, scaled, t_pd_up)
    line("  store.read → Polars", t_rd, "pandas read_sql (duckdb-engine)", t_pd_rd)
    line("  store.upsert (new rows)", t_up, "raw CREATE TABLE AS (no key/checks)", t_raw_up)
    line("  store.read → Polars", t_rd, "raw SELECT … .pl()", t_raw_rd)


def _pandas_duckdb(df: pl.DataFrame, path: Path) -> tuple[float, float, int]:
    """(to_sql seconds scaled to the full frame, read_sql seconds of the full table, rows timed for to_sql)."""
    import pandas as pd
    import sqlalchemy as sa

    sample = min(df.height, int(os.environ.get("TQ_BENCH_PANDAS_ROWS", "100000")))
    engine = sa.create_engine(f"duckdb:///{path}")
    pdf = df.to_pandas()
    with engine.begin() as conn:
        pdf.head(0).to_sql("pandas_quote", conn, index=False)
        conn.exec_driver_sql("ALTER TABLE pandas_quote ADD PRIMARY KEY (symbol, trade_date)")
    t_part, _ = timed(
        lambda: pdf.head(sample).to_sql("pandas_quote", engine, index=False, if_exists="append", method="multi",
                                        chunksize=10_000)
    )  # fmt: skip
    with engine.begin() as conn:  # the rest in bulk so that read_sql reads the whole table
        conn.exec_driver_sql("DELETE FROM pandas_quote")
    engine.dispose()
    bulk = duckdb.connect(str(path))
    bulk.register("src", df.to_arrow())
    bulk.execute("INSERT INTO pandas_quote SELECT * FROM src")
    bulk.close()
    t_rd, back = timed(lambda: pd.read_sql("SELECT * FROM pandas_quote ORDER BY symbol, trade_date", engine))
    assert len(back) == df.height
    engine.dispose()
    return t_part * df.height / sample, t_rd, sample


def bench_postgres(df: pl.DataFrame, url: str) -> None:
    import psycopg
    import sqlalchemy as sa
    from psycopg import sql as pgsql

    schema = f"tq_bench_{uuid.uuid4().hex[:8]}"
    sep = "&" if "?" in url else "?"
    try:
        t_up, t_re, t_rd = time_store(f"{url}{sep}schema={schema}", df)
        engine = sa.create_engine(
            url.replace("postgresql://", "postgresql+psycopg://", 1),
            connect_args={"options": f"-csearch_path={schema}"},
        )
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS pandas_quote")
        t_pd_up, t_pd_rd = time_pandas(engine, df)
        print(f"PostgreSQL ({df.height:,} rows)")
        line("  store.upsert (COPY + INSERT … ON CONFLICT)", t_up, "pandas to_sql (SQLAlchemy)", t_pd_up)
        line("  store.upsert again (0 changed)", t_re, "pandas to_sql (SQLAlchemy)", t_pd_up)
        line("  store.read → Polars (COPY TO)", t_rd, "pandas read_sql", t_pd_rd)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(schema)))


def bench_mysql(df: pl.DataFrame, url: str) -> None:
    import pymysql
    import sqlalchemy as sa

    from thermoquant.data.store.mysql_store import parse_url

    args = parse_url(url)
    name = f"tq_bench_{uuid.uuid4().hex[:8]}"
    server = {k: v for k, v in args.items() if k != "database"}
    db_url = url.split("?", 1)[0].rsplit("/", 1)[0] + f"/{name}"
    with pymysql.connect(**server, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        t_up, t_re, t_rd = time_store(db_url, df)
        engine = sa.create_engine(db_url.replace("mysql://", "mysql+pymysql://", 1) + "?charset=utf8mb4")
        t_pd_up, t_pd_rd = time_pandas(engine, df, {"symbol": sa.String(16)})
        print(f"MySQL/MariaDB ({df.height:,} rows)")
        line(
            "  store.upsert (LOAD DATA + INSERT … ON DUP)",
            t_up,
            "pandas to_sql (SQLAlchemy+PyMySQL)",
            t_pd_up,
        )
        line("  store.upsert again (0 changed)", t_re, "pandas to_sql (SQLAlchemy+PyMySQL)", t_pd_up)
        line("  store.read → Polars (CSV lines)", t_rd, "pandas read_sql (PyMySQL)", t_pd_rd)
    finally:
        with pymysql.connect(**server, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


def _mysql_reachable(url: str) -> bool:
    import pymysql

    from thermoquant.data.store.mysql_store import parse_url

    args = {k: v for k, v in parse_url(url).items() if k != "database"}
    try:
        with pymysql.connect(**args, connect_timeout=3):
            return True
    except pymysql.Error:
        return False


def _pg_reachable(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def main() -> None:
    if not XBX.exists():
        print(f"skipped: {XBX} not found")
        return
    df = read_file(XBX).frame  # the same reader `tq import` uses (xbx layout → daily_quote units)
    limit = os.environ.get("TQ_BENCH_ROWS")
    if limit:
        df = df.head(int(limit))
    with tempfile.TemporaryDirectory() as tmp:
        bench_duckdb(df, Path(tmp))
    servers = (
        ("PostgreSQL", "TQ_BENCH_PG_URL", "TQ_TEST_PG_URL", _pg_reachable, bench_postgres),
        ("MySQL/MariaDB", "TQ_BENCH_MYSQL_URL", "TQ_TEST_MYSQL_URL", _mysql_reachable, bench_mysql),
    )
    for name, bench_var, test_var, reachable, bench in servers:
        url = os.environ.get(bench_var) or os.environ.get(test_var)
        if url and reachable(url):
            bench(df, url)
        elif url:
            print(f"{name}: skipped (no server answers at {url})")
        else:
            print(f"{name}: skipped (set {test_var} or {bench_var})")


if __name__ == "__main__":
    main()
