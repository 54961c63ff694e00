"""Real damage done to real DuckDB files, for the tests of corruption handling (store, CLI, backup/restore).

A database is filled by importing the committed fixtures of ``tests/data/csv`` (every layout, so most tables
hold rows), then damaged the way disks and copies damage files: cut to half its size, or a block in the middle
overwritten with random bytes. Which block holds a table is asked of DuckDB (``pragma_storage_info``), so a test
knows which table it damaged.
"""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import duckdb

from thermoquant.data.sources.csv import import_paths
from thermoquant.data.store import open_store

CSV_FIXTURES = Path(__file__).resolve().parent / "data" / "csv"
FILE_HEADER_BYTES = 3 * 4096
"""DuckDB's main header and its two database headers precede the first block."""


def filled_database(path: Path) -> Path:
    """A DuckDB file at `path` holding every importable fixture of ``tests/data/csv``; returns `path`."""
    with open_store(f"duckdb:///{path}") as store:
        import_paths([CSV_FIXTURES], store)
    return path


def digest(path: Path) -> str:
    """SHA-256 of a file (to show that a refused write left it byte for byte as it was)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def truncate_half(path: Path) -> None:
    """Cut the file to half its size (an interrupted copy or download)."""
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(size // 2)


def data_blocks(path: Path, table: str, column: str | None = None) -> list[int]:
    """Ids of the blocks holding `table`'s column data (only `column`'s, when given)."""
    sql = "SELECT DISTINCT block_id FROM pragma_storage_info(?) WHERE block_id >= 0"
    params: list[str] = [table]
    if column is not None:
        sql += " AND column_name = ?"
        params.append(column)
    with duckdb.connect(str(path), read_only=True) as conn:
        rows = conn.execute(sql + " ORDER BY block_id", params).fetchall()
        return [int(r[0]) for r in rows]


def block_size(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as conn:
        return int(conn.execute("SELECT block_size FROM pragma_database_size()").fetchall()[0][0])


def overwrite_block(path: Path, block: int, *, seed: int = 13) -> None:
    """Overwrite block `block` (checksum included) with random bytes, as a bad sector or a stray write would."""
    size = block_size(path)
    garbage = random.Random(seed).randbytes(size)
    with path.open("r+b") as f:
        f.seek(FILE_HEADER_BYTES + block * size)
        f.write(garbage)
        f.flush()
        os.fsync(f.fileno())


def damage_table(path: Path, table: str) -> int:
    """Overwrite the middle one of `table`'s data blocks; return its id. The table must hold rows."""
    blocks = data_blocks(path, table)
    assert blocks, f"{table} holds no data block in {path}"
    block = blocks[len(blocks) // 2]
    overwrite_block(path, block)
    return block
