"""The one writer of ``job_log``: every job (ingest, scan, backtest, features, physics, the daily chain) records
its run here — full configuration, input fingerprints, counts, status and errors, every text masked by
:func:`thermoquant.secrets.mask` (no password or token is ever stored).

    with job_run(store, "daily_scan", args={"date": "2021-12-31"}) as run:
        ...                      # the job's work
        run.rows_written = n     # counts and gaps the job knows
    # -> one row, status "running" while it works, then "ok" (or "failed" with the error, re-raised)
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from thermoquant.clock import now_shanghai
from thermoquant.secrets import mask

TABLE = "job_log"


def new_job_id(job: str) -> str:
    """``<job>-<timestamp>-<8 hex>``: unique, sortable by start."""
    return f"{job}-{now_shanghai():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


@dataclass
class JobRecord:
    """One ``job_log`` row being filled in by a running job."""

    job: str
    args: dict[str, Any] = field(default_factory=dict)
    dataset: str | None = None
    source: str | None = None
    job_id: str = ""
    status: str = "running"
    started_at: dt.datetime = field(default_factory=lambda: now_shanghai().replace(microsecond=0))
    finished_at: dt.datetime | None = None
    rows_in: int | None = None
    rows_written: int | None = None
    gaps: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.job_id:
            self.job_id = new_job_id(self.job)

    def row(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "job": self.job,
            "dataset": self.dataset,
            "source": self.source,
            "args": mask(json.dumps(self.args, ensure_ascii=False, default=str, sort_keys=True)),
            "status": self.status,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "rows_in": self.rows_in,
            "rows_written": self.rows_written,
            "gaps": mask(json.dumps(self.gaps, ensure_ascii=False, default=str)),
            "errors": mask(json.dumps(self.errors, ensure_ascii=False, default=str)),
        }


def write_job_log(store: Any, record: JobRecord) -> None:
    """Upsert the record's row (one transaction)."""
    schema = {"started_at": pl.Datetime("us"), "finished_at": pl.Datetime("us"), "rows_in": pl.Int64,
              "rows_written": pl.Int64, "dataset": pl.Utf8, "source": pl.Utf8}  # fmt: skip
    store.upsert(TABLE, pl.DataFrame([record.row()], schema_overrides=schema))


@contextmanager
def job_run(
    store: Any, job: str, *, args: dict[str, Any] | None = None, **fields: Any
) -> Iterator[JobRecord]:
    """Record a job run: "running" on entry, "ok" on exit, "failed" (with the error) when the body raises."""
    record = JobRecord(job, dict(args or {}), **fields)
    write_job_log(store, record)
    try:
        yield record
    except BaseException as exc:
        record.status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        record.errors.append(f"{type(exc).__name__}: {exc}")
        record.finished_at = now_shanghai().replace(microsecond=0)
        write_job_log(store, record)
        raise
    if record.status == "running":
        record.status = "ok"
    record.finished_at = now_shanghai().replace(microsecond=0)
    write_job_log(store, record)
