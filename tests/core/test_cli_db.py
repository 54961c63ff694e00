"""`tq db backup` → damage → `tq doctor` fails naming the table → `tq db restore` → `tq doctor` passes and the data is
identical: on a real DuckDB file damaged in the test, and on the real PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import psycopg
import pytest
from psycopg import sql as pgsql
from typer.testing import CliRunner

from store_damage import CSV_FIXTURES, damage_table, digest, filled_database, truncate_half
from thermoquant.cli import app
from thermoquant.cli.errors import EXIT_CORRUPT, EXIT_OK
from thermoquant.config import get_settings
from thermoquant.data.schema import TABLES
from thermoquant.data.store import Store, open_store

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TQ_DATA_DIR", str(tmp_path / "home"))
    for var in ("TQ_DATABASE_URL", "TQ_CONFIG", "TQ_DEBUG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def _contents(store: Store) -> dict[str, pl.DataFrame]:
    present = store.table_names()
    return {name: store.read(name) for name in TABLES if name in present}


def _printed_path(output: str) -> Path:
    """The backup directory `tq db backup` prints on its last line."""
    return Path(output.strip().splitlines()[-1].strip())


@pytest.mark.parametrize("damage", ["overwrite", "truncate"])
def test_backup_damage_doctor_restore_doctor(home: Path, damage: str) -> None:
    db = filled_database(home / "tq.duckdb")
    with open_store(init=False) as store:
        before = _contents(store)
    made = runner.invoke(app, ["db", "backup"])
    assert made.exit_code == EXIT_OK, made.output
    backup_dir = _printed_path(made.output)
    assert backup_dir.parent == home.resolve() / "backups" and (backup_dir / "manifest.json").is_file()
    assert "已备份 backed up" in made.output

    if damage == "overwrite":
        damage_table(db, "daily_quote")
    else:
        truncate_half(db)
    damaged = digest(db)
    sick = runner.invoke(app, ["doctor"])
    assert sick.exit_code == EXIT_CORRUPT, sick.output
    if damage == "overwrite":
        assert "✗ 表 daily_quote 已损坏" in sick.output and "✗ 表 stock_info" not in sick.output
    else:
        assert "数据库文件已损坏 / database file damaged" in sick.output and "truncated" in sick.output
        assert "Could not read enough bytes" in sick.output.replace("\n", " ")  # the tables cut off are named
    assert "tq db restore" in sick.output and "✓ 数据库可连接" in sick.output

    restored = runner.invoke(app, ["db", "restore", str(backup_dir)])
    assert restored.exit_code == EXIT_OK, restored.output
    kept = next(home.glob("tq.duckdb.before-restore-*"))
    assert "已恢复 restored" in restored.output and str(kept) in restored.output.replace("\n", "")
    assert digest(kept) == damaged  # the damaged file is kept aside, not deleted

    well = runner.invoke(app, ["doctor"])
    assert well.exit_code == EXIT_OK, well.output
    assert "✓ 已逐表读完 every table read through" in well.output
    with open_store(init=False) as store:
        after = _contents(store)
    assert after.keys() == before.keys()
    for name, frame in before.items():
        assert after[name].equals(frame), name
    assert runner.invoke(app, ["db", "info"]).exit_code == EXIT_OK


def test_backup_to_a_named_directory_and_restore_of_a_non_backup(home: Path, tmp_path: Path) -> None:
    filled_database(home / "tq.duckdb")
    made = runner.invoke(app, ["db", "backup", str(tmp_path / "mine")])
    assert made.exit_code == EXIT_OK and _printed_path(made.output) == (tmp_path / "mine").resolve()
    again = runner.invoke(app, ["db", "backup", str(tmp_path / "mine")])
    assert again.exit_code == 1 and "exists and is not empty" in again.output
    wrong = runner.invoke(app, ["db", "restore", str(tmp_path)])
    assert wrong.exit_code == 1 and "is not a tq backup" in wrong.output


@pytest.mark.postgres
def test_postgres_backup_and_restore_through_the_cli(home: Path, tmp_path: Path) -> None:
    base = os.environ.get("TQ_TEST_PG_URL")
    if not base:
        pytest.skip("TQ_TEST_PG_URL is not set")
    schema = f"tq_cli_backup_{os.getpid()}"
    url = f"{base}?schema={schema}"
    kept: list[str] = []
    try:
        with open_store(url) as store:
            from thermoquant.data.sources.csv import import_paths

            import_paths([CSV_FIXTURES / "603083.csv", CSV_FIXTURES / "sz.000025.csv"], store)
            before = _contents(store)
        made = runner.invoke(app, ["db", "backup", "--db", url])
        assert made.exit_code == EXIT_OK, made.output
        with open_store(url, init=False) as store:
            store.execute("DELETE FROM daily_quote")
        restored = runner.invoke(app, ["db", "restore", _printed_path(made.output).as_posix(), "--db", url])
        assert restored.exit_code == EXIT_OK, restored.output
        kept.append(restored.output.split("kept at:")[-1].strip())
        assert kept[0].startswith(f"{schema}_before_restore_")
        assert runner.invoke(app, ["doctor", "--db", url]).exit_code == EXIT_OK
        with open_store(url, init=False) as store:
            after = _contents(store)
        for name, frame in before.items():
            assert after[name].equals(frame), name
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            for name in [schema, *kept]:
                conn.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(name)))
