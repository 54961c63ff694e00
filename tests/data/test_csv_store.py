"""Bad files against a real (DuckDB) store: rejections name file/row/column; strict writes nothing; stored
rows stay."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import psycopg
import pytest
from psycopg import sql as pgsql
from rich.console import Console

from thermoquant.cli.import_report import render_report
from thermoquant.data.sources.csv import import_paths, read_file
from thermoquant.data.store import Store, open_store


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store: a DuckDB file, or a throw-away schema on TQ_TEST_PG_URL (skipped with the reason if unset)."""
    if request.param == "duckdb":
        with open_store(f"duckdb:///{tmp_path / 'tq.duckdb'}") as s:
            yield s
        return
    url = os.environ.get("TQ_TEST_PG_URL")
    if not url:
        pytest.skip("TQ_TEST_PG_URL is not set: PostgreSQL import tests skipped")
    schema = f"tq_csv_{uuid.uuid4().hex[:10]}"
    try:
        with open_store(url, schema=schema) as s:
            yield s
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(schema)))


@pytest.fixture(scope="module")
def csv_dir(test_data: Path) -> Path:
    return test_data / "csv"


def test_rejection_names_file_row_and_column(csv_dir: Path) -> None:
    r = read_file(csv_dir / "603083_broken.csv")
    found = {(x.file, x.row, x.column, x.rule) for x in r.rejected}
    assert found == {
        ("603083_broken.csv", 3, "close", "not_a_number"),
        ("603083_broken.csv", 3, "close", "required"),
        ("603083_broken.csv", 5, "high", "ohlc"),
    }
    bad_number = next(x for x in r.rejected if x.rule == "not_a_number")
    assert bad_number.value == "11.8x" and bad_number.line == 4
    assert bad_number.key == "603083.SH 2021-03-22"
    assert "row 3 (line 4) [603083.SH 2021-03-22], column close" in str(bad_number)
    assert r.frame.height == 8
    assert sorted(r.frame["trade_date"].cast(pl.Utf8).to_list())[:2] == ["2021-03-18", "2021-03-19"]


def test_default_import_writes_clean_rows_and_reports_every_rejection(csv_dir: Path, store: Store) -> None:
    results = import_paths([csv_dir / "603083_broken.csv"], store)
    assert results[0].written == {"daily_quote": 8}
    assert store.read("daily_quote").height == 8
    console = Console(width=200, record=True)
    console.print(render_report(results))
    text = console.export_text()
    assert "603083_broken.csv" in text and "not_a_number" in text and "ohlc" in text


def test_strict_refuses_the_bad_file_and_leaves_the_database_unchanged(csv_dir: Path, store: Store) -> None:
    import_paths([csv_dir / "603083.csv"], store)
    before = store.read("daily_quote").sort("symbol", "trade_date")
    assert before.height == 10
    results = import_paths(
        [csv_dir / "603083_broken.csv", csv_dir / "tushare_daily_000025.csv"],
        store,
        strict=True,
    )
    broken, clean = results
    assert broken.refused and broken.written == {} and len(broken.rejected) == 3
    assert not clean.refused and clean.written == {"daily_quote": 6}
    after = store.read("daily_quote").filter(pl.col("symbol") == "603083.SH").sort("symbol", "trade_date")
    assert after.equals(before)  # the broken file's 8 clean rows (same days, other source) were not written
    console = Console(width=200, record=True)
    console.print(render_report(results))
    assert "refused" in console.export_text()


def test_default_import_keeps_the_stored_row_of_every_rejected_row(csv_dir: Path, store: Store) -> None:
    """Non-strict: the broken file's clean rows are written, its rejected rows leave the stored days as they were."""
    import_paths([csv_dir / "603083.csv"], store)
    before = store.read("daily_quote").sort("trade_date")
    broken = read_file(csv_dir / "603083_broken.csv")
    bad_days = {x.key.split()[1] for x in broken.rejected}
    assert len(bad_days) == 2
    results = import_paths([csv_dir / "603083_broken.csv"], store)
    assert not results[0].refused and len(results[0].rejected) == 3
    after = store.read("daily_quote").sort("trade_date")
    assert after.height == before.height == 10
    on_bad_days = pl.col("trade_date").cast(pl.Utf8).is_in(sorted(bad_days))
    assert after.filter(on_bad_days).equals(before.filter(on_bad_days))


def test_reimport_is_idempotent_and_folders_expand(csv_dir: Path, store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("603083.csv", "sz.000025.csv", "510500_eastmoney.csv", "csi500_breadth_daily.csv"):
        (folder / name).write_bytes((csv_dir / name).read_bytes())
    first = import_paths([folder], store)
    assert {r.path.name: r.written for r in first} == {
        "510500_eastmoney.csv": {"etf_daily": 8},
        "603083.csv": {"daily_quote": 10},
        "csi500_breadth_daily.csv": {},
        "sz.000025.csv": {"daily_quote": 10, "daily_valuation": 10},
    }
    heights = store.row_counts()
    second = import_paths([folder], store)
    assert len(second) == 4 and not any(r.refused for r in second)
    assert all(n == 0 for r in second for n in r.written.values())
    assert store.row_counts() == heights
    halted = store.read("daily_quote").filter(pl.col("is_suspended"))
    assert halted["trade_date"].cast(pl.Utf8).to_list() == ["2000-04-18"]


def test_unreadable_file_is_a_whole_file_rejection(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("a,b\n1,2\n")
    results = import_paths([path], store)
    assert results[0].table is None and results[0].rejected[0].row is None and results[0].refused
    assert "matches no known layout" in results[0].rejected[0].reason
