"""Backups of the database and their restore (`tq db backup [DEST]`, `tq db restore SRC`).

A backup is a directory holding ``manifest.json`` (backend, time, schema version, rows per table) and the data:

* **DuckDB** — ``EXPORT DATABASE … (FORMAT parquet)`` through one read-only connection: ``schema.sql``,
  ``load.sql`` and one Parquet file per table. Chosen over a copy of the file because the export reads every row
  through DuckDB's block checksums, so a damaged database can never be "backed up" silently (the export fails and
  says which table); because Parquet is readable by any DuckDB version and by other tools, whereas a copied file is
  tied to DuckDB's storage format; and because it is a third smaller. The read-only connection holds DuckDB's
  shared lock, so no write can interleave: the backup is one consistent state.
* **PostgreSQL** — ``pg_dump --format=custom`` of the store's schema (``tq.pgdump``), taken in the snapshot in
  which the manifest's row counts are read, so that they describe the dump exactly. Needs the PostgreSQL client
  programs (``pg_dump``, ``pg_restore``, ``psql``); their absence is reported as such.

A backup is written to ``<dest>.partial`` and renamed to ``<dest>`` when complete: a directory named like a backup
is always a whole one.

Restore never leaves a half-restored database and never deletes the one it replaces:

* **DuckDB** — the backup is imported into a new file beside the target, its comments re-applied from
  ``schema.py``, and it is read through and its rows counted against the manifest; only then is the target kept
  aside as ``<file>.before-restore-<time>`` (a hard link, so the old file stays whole) and the new file renamed
  over it (``os.replace``, atomic). While swapping, the target is locked as DuckDB locks it, so no ``tq`` process
  can be writing; a process that holds it makes the restore stop before anything changed.
* **PostgreSQL** — one ``psql --single-transaction`` run renames the current schema to
  ``<schema>_before_restore_<time>``, replays the dump and checks every table's row count against the manifest;
  any failure rolls all of it back.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thermoquant.data.schema import TABLES
from thermoquant.secrets import mask_url

from .base import Store
from .ddl import comment_sqls, quote_ident
from .errors import StoreError, StoreLockedError

__all__ = [
    "MANIFEST",
    "BackupInfo",
    "RestoreResult",
    "backup",
    "default_destination",
    "read_backup",
    "restore",
]

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
PG_DUMP_FILE = "tq.pgdump"
STAMP = "%Y%m%d-%H%M%S"
"""How backup directories and kept databases are stamped: local wall-clock time, e.g. 20260630-153012."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds (its ``manifest.json``)."""

    path: Path
    backend: str
    created_at: dt.datetime
    schema_version: int
    tables: dict[str, int]
    schema: str | None = None
    source: str = ""

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass(frozen=True)
class RestoreResult:
    """A finished restore: `target` (file or schema) now holds the backup; `kept` is where the database it
    replaced was kept (None when there was none)."""

    backup: BackupInfo
    target: str
    kept: str | None
    tables: dict[str, int] = field(default_factory=dict)


def default_destination(data_dir: Path, now: dt.datetime | None = None) -> Path:
    """``<data_dir>/backups/<YYYYmmdd-HHMMSS>`` (with ``-2``, ``-3`` … when taken within the same second)."""
    base = data_dir.expanduser().resolve() / "backups" / (now or dt.datetime.now()).strftime(STAMP)
    path, n = base, 1
    while path.exists() or path.with_name(path.name + ".partial").exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def backup(store: Store, dest: Path) -> BackupInfo:
    """Write a backup of `store` to the new directory `dest`; return its manifest.

    Raises StoreError when `dest` exists and is not empty, StoreCorruptError when a table cannot be read through
    (DuckDB), and StoreError naming a missing program or its message (PostgreSQL).
    """
    from .duckdb_store import DuckDBStore
    from .postgres_store import PostgresStore

    dest = Path(dest).expanduser().resolve()
    if dest.exists() and any(dest.iterdir()):
        raise StoreError(f"backup destination {dest} exists and is not empty; name a new directory")
    partial = dest.with_name(dest.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.parent.mkdir(parents=True, exist_ok=True)
    try:
        if isinstance(store, DuckDBStore):
            tables = store.export_database(partial)
            info = BackupInfo(
                dest, "duckdb", dt.datetime.now(), store.schema_version(), tables, None, store.path
            )
        elif isinstance(store, PostgresStore):
            info = _pg_backup(store, partial, dest)
        else:
            raise StoreError(
                f"backup of {type(store).__name__} is not supported yet: use the server's own tool "
                "(mysqldump for MySQL/MariaDB)"
            )
        (partial / MANIFEST).write_text(json.dumps(_manifest(info), indent=2, ensure_ascii=False) + "\n")
        if dest.exists():
            dest.rmdir()
        partial.rename(dest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return info


def read_backup(src: Path) -> BackupInfo:
    """The manifest of the backup directory `src`; StoreError when `src` is not a backup."""
    src = Path(src).expanduser().resolve()
    manifest = src / MANIFEST
    if not manifest.is_file():
        raise StoreError(
            f"{src} is not a tq backup (no {MANIFEST}); give the directory `tq db backup` printed"
        )
    data = json.loads(manifest.read_text())
    if data.get("format") != FORMAT_VERSION:
        raise StoreError(f"{manifest}: unknown backup format {data.get('format')!r}")
    return BackupInfo(
        path=src,
        backend=str(data["backend"]),
        created_at=dt.datetime.fromisoformat(data["created_at"]),
        schema_version=int(data["schema_version"]),
        tables={str(k): int(v) for k, v in data["tables"].items()},
        schema=data.get("schema"),
        source=str(data.get("source", "")),
    )


def restore(store: Store, src: Path, now: dt.datetime | None = None) -> RestoreResult:
    """Replace the database of `store` by the backup in `src` (see the module doc); return what was done.

    `store` must not have been used to read or write (open it with ``init=False, calendar=False``): the DuckDB
    file is swapped underneath it. Raises StoreError (wrong backend, missing files or programs, row counts that
    do not match), StoreLockedError (DuckDB file held by another process); the database is unchanged then.
    """
    from .duckdb_store import DuckDBStore
    from .postgres_store import PostgresStore

    info = read_backup(src)
    stamp = (now or dt.datetime.now()).strftime(STAMP)
    if isinstance(store, DuckDBStore):
        if info.backend != "duckdb":
            raise StoreError(f"{info.path} is a {info.backend} backup; the database is a DuckDB file")
        return _duck_restore(store, info, stamp)
    if isinstance(store, PostgresStore):
        if info.backend != "postgres":
            raise StoreError(f"{info.path} is a {info.backend} backup; the database is PostgreSQL")
        return _pg_restore(store, info, stamp)
    raise StoreError(
        f"restore into {type(store).__name__} is not supported yet: use the server's own tool (mysql < dump.sql)"
    )


def _manifest(info: BackupInfo) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "backend": info.backend,
        "created_at": info.created_at.replace(microsecond=0).isoformat(),
        "schema_version": info.schema_version,
        "schema": info.schema,
        "source": info.source,
        "tables": info.tables,
    }


# ------------------------------------------------------------------------------------------------- DuckDB
def _duck_restore(store: Any, info: BackupInfo, stamp: str) -> RestoreResult:
    import duckdb

    from .duckdb_store import DuckDBStore

    target = Path(store.path)
    if str(target) == ":memory:":
        raise StoreError("cannot restore into an in-memory database")
    if not (info.path / "schema.sql").is_file() or not (info.path / "load.sql").is_file():
        raise StoreError(f"{info.path}: schema.sql / load.sql missing; the backup is incomplete")
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = target.with_name(f".{target.name}.restoring-{stamp}")
    for leftover in (fresh, Path(f"{fresh}.wal")):
        leftover.unlink(missing_ok=True)
    try:
        conn = duckdb.connect(str(fresh))
        try:
            conn.execute("IMPORT DATABASE " + _sql_string(str(info.path)))
            present = {str(r[0]) for r in conn.execute("SHOW TABLES").fetchall()}
            for name in present & set(TABLES):  # EXPORT DATABASE does not carry comments
                for sql in comment_sqls(TABLES[name]):
                    conn.execute(sql)
        finally:
            conn.close()
        result = DuckDBStore(fresh, verify_writes=False).check()
        counts = {t.table: t.rows or 0 for t in result.tables}
        if not result.ok or counts != info.tables:
            raise StoreError(
                f"restored copy of {info.path} does not match its manifest (rows {counts} vs {info.tables}); "
                "the database was left unchanged"
            )
        kept = target.with_name(f"{target.name}.before-restore-{stamp}") if target.exists() else None
        with _locked(target):
            if kept is not None:
                _keep(target, kept)
            os.replace(fresh, target)
            _fsync_dir(target.parent)
    except BaseException:
        for leftover in (fresh, Path(f"{fresh}.wal")):
            leftover.unlink(missing_ok=True)
        raise
    return RestoreResult(info, str(target), str(kept) if kept else None, counts)


def _keep(target: Path, kept: Path) -> None:
    """Keep the current file (and its WAL) under `kept`: a hard link where possible, so nothing is copied and the
    target path always names a whole file. The WAL is moved, never left beside the file that replaces it."""
    try:
        os.link(target, kept)
    except OSError:
        shutil.copy2(target, kept)
    wal = Path(f"{target}.wal")
    if wal.exists():
        os.replace(wal, Path(f"{kept}.wal"))


@contextmanager
def _locked(target: Path) -> Iterator[None]:
    """Hold the lock DuckDB takes for writing (a POSIX record lock on the whole file) while swapping, so that no
    process is using the file; StoreLockedError when one is. A no-op where the file does not exist yet, or where
    the platform has no ``fcntl`` (Windows: close every `tq` process first)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    if not target.exists():
        yield
        return
    with target.open("r+b") as fh:
        try:
            fcntl.lockf(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise StoreLockedError(
                f"DuckDB file {target} is in use by another process; stop it (a running `tq` command or the "
                "dashboard) and restore again — nothing was changed"
            ) from exc
        try:
            yield
        finally:
            with suppress(OSError):
                fcntl.lockf(fh.fileno(), fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    with suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --------------------------------------------------------------------------------------------- PostgreSQL
_PG_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


def _pg_program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise StoreError(
            f"{name} not found: PostgreSQL backups need the PostgreSQL client programs (pg_dump, pg_restore, "
            "psql) on PATH, e.g. `apt install postgresql-client` or `brew install libpq`"
        )
    return path


def _pg_env(store: Any) -> dict[str, str]:
    """The connection as libpq environment variables: the password never appears on a command line."""
    import psycopg.conninfo

    env = dict(os.environ)
    for key, value in psycopg.conninfo.conninfo_to_dict(store._conninfo).items():
        if key in _PG_ENV and value is not None:
            env[_PG_ENV[key]] = str(value)
    return env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = " ".join(line.strip() for line in done.stderr.strip().splitlines()[-3:])
        raise StoreError(f"{what} failed (exit {done.returncode}): {tail}")


def _pg_schema(store: Any) -> str:
    return str(store.schema or store.query("SELECT current_schema() AS s").item())


def _pg_backup(store: Any, partial: Path, dest: Path) -> BackupInfo:
    import psycopg

    pg_dump = _pg_program("pg_dump")
    partial.mkdir(parents=True)
    schema = _pg_schema(store)
    env = _pg_env(store)
    with psycopg.connect(store._conninfo, autocommit=True) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchall()[0][0]
        names = [
            str(r[0])
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "AND table_type = 'BASE TABLE' ORDER BY table_name",
                [schema],
            ).fetchall()
        ]
        tables = {
            n: int(
                conn.execute(f"SELECT count(*) FROM {quote_ident(schema)}.{quote_ident(n)}").fetchall()[0][0]
            )
            for n in names
        }
        version = 0
        if "schema_version" in tables:
            row = conn.execute(f"SELECT max(version) FROM {quote_ident(schema)}.schema_version").fetchall()
            version = int(row[0][0] or 0)
        _run(
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--schema={schema}",
             f"--snapshot={snapshot}", f"--file={partial / PG_DUMP_FILE}"],
            env,
            "pg_dump",
        )  # fmt: skip
        conn.execute("ROLLBACK")
    return BackupInfo(dest, "postgres", dt.datetime.now(), version, tables, schema, mask_url(store._conninfo))


def _pg_restore(store: Any, info: BackupInfo, stamp: str) -> RestoreResult:
    pg_restore, psql = _pg_program("pg_restore"), _pg_program("psql")
    schema = _pg_schema(store)
    if info.schema != schema:
        raise StoreError(
            f"{info.path} is a backup of schema {info.schema!r}; the database uses {schema!r} "
            f"(open it with ?schema={info.schema})"
        )
    dump = info.path / PG_DUMP_FILE
    if not dump.is_file():
        raise StoreError(f"{dump} missing; the backup is incomplete")
    env = _pg_env(store)
    exists = bool(store.query("SELECT count(*) AS n FROM pg_namespace WHERE nspname = ?", [schema]).item())
    kept = f"{schema}_before_restore_{stamp.replace('-', '_')}" if exists else None
    with tempfile.TemporaryDirectory(prefix="tq-restore-") as tmp:
        script = Path(tmp) / "restore.sql"
        _run([pg_restore, "--no-owner", "--no-privileges", f"--file={script}", str(dump)], env, "pg_restore")
        checks = [
            f"IF (SELECT count(*) FROM {quote_ident(schema)}.{quote_ident(name)}) <> {rows} THEN "
            f"RAISE EXCEPTION 'table % holds % rows, the backup % ', {_sql_string(name)}, "
            f"(SELECT count(*) FROM {quote_ident(schema)}.{quote_ident(name)}), {rows}; END IF;"
            for name, rows in info.tables.items()
        ]
        wrapper = Path(tmp) / "wrapper.sql"
        lines = []
        if kept is not None:
            lines.append(f"ALTER SCHEMA {quote_ident(schema)} RENAME TO {quote_ident(kept)};")
        lines.append(f"\\i {script}")
        lines.append("DO $tq$ BEGIN " + " ".join(checks) + " END $tq$;")
        wrapper.write_text("\n".join(lines) + "\n")
        _run(
            [
                psql,
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "-v",
                "ON_ERROR_STOP=1",
                f"--file={wrapper}",
            ],
            env,
            "psql restore",
        )
    return RestoreResult(info, schema, kept, dict(info.tables))
