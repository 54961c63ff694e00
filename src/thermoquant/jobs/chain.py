"""A chain of jobs run once per key (``daily|2022-01-14``): a declarative step table, each step recorded in
``job_step`` (what a re-run may skip) and ``job_log`` (the run's record).

* **Resumable, idempotent** — a step recorded ``ok`` for the run key is not run again (unless ``force``); a step
  that was ``running`` when the process died, ``failed`` or ``skipped`` is run again. Each step's own work is
  idempotent (upserts, checkpointed ingest, files replaced by rename), so redoing one is harmless.
* **Failures stay local** — a step whose dependency did not end ``ok`` is ``skipped``; steps that do not depend
  on the failed one still run; a step marked ``always`` (the alert digest) runs whatever happened before it.
* **Alerts** — a failed step raises an urgent ``job_failed`` alert at once (:mod:`thermoquant.alerts`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from thermoquant.alerts.ratelimit import Clock, SystemClock
from thermoquant.alerts.rules import job_failed
from thermoquant.clock import now_shanghai
from thermoquant.data.job_log import JobRecord, write_job_log
from thermoquant.jobs.context import JobContext
from thermoquant.secrets import mask

TABLE = "job_step"


@dataclass
class RunContext:
    """What a step gets: the job context, the day, the run key, the clock (alerts)."""

    ctx: JobContext
    day: dt.date
    run_key: str
    clock: Clock = field(default_factory=SystemClock)
    notes: dict[str, str] = field(default_factory=dict)
    store: Any = None
    """the store the chain keeps open while it runs (steps use it instead of opening their own)"""


@dataclass(frozen=True)
class Step:
    """One step: its name, the steps it needs, and the function doing it (returns rows written, or None).
    ``always``: runs even when a dependency failed (it only has to run after them)."""

    name: str
    depends_on: tuple[str, ...]
    run: Callable[[RunContext], int | None]
    always: bool = False


@dataclass
class StepOutcome:
    """``status``: ok, failed, skipped (a dependency did not succeed) or done (ok in an earlier run, not redone)."""

    step: str
    status: str
    rows: int | None = None
    seconds: float = 0.0
    error: str | None = None
    note: str | None = None


@dataclass
class ChainReport:
    run_key: str
    outcomes: list[StepOutcome] = field(default_factory=list)
    stale_lock: dict[str, object] | None = None
    """the record of a dead run whose lock this run took over (:mod:`thermoquant.jobs.lock`), else None"""

    @property
    def failed(self) -> list[str]:
        return [o.step for o in self.outcomes if o.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and not any(o.status == "skipped" for o in self.outcomes)


class ChainDefinitionError(ValueError):
    """A step table that cannot run: an unknown dependency, a duplicate name or a cycle."""


def ordered(steps: Sequence[Step]) -> list[Step]:
    """The steps in an order that runs every dependency first (table order where free)."""
    names = [s.name for s in steps]
    if len(set(names)) != len(names):
        raise ChainDefinitionError(f"duplicate step names in {names}")
    by_name = {s.name: s for s in steps}
    for s in steps:
        unknown = [d for d in s.depends_on if d not in by_name]
        if unknown:
            raise ChainDefinitionError(f"step {s.name} depends on unknown step(s) {unknown}")
    out: list[Step] = []
    placed: set[str] = set()
    while len(out) < len(steps):
        ready = [s for s in steps if s.name not in placed and set(s.depends_on) <= placed]
        if not ready:
            raise ChainDefinitionError(f"dependency cycle among {sorted(set(names) - placed)}")
        out.append(ready[0])
        placed.add(ready[0].name)
    return out


def step_status(store: Any, run_key: str) -> dict[str, str]:
    """Step → last recorded status of ``run_key``."""
    rows = store.read(TABLE, where={"run_key": run_key}, columns=["step", "status"])
    return dict(zip(rows["step"].to_list(), rows["status"].to_list(), strict=True))


def _record(rc: RunContext, out: StepOutcome, started: dt.datetime, *, final: bool, job_id: str = "") -> str:
    """Write the step's ``job_step`` row and its ``job_log`` row; ``job_id``: the id of the step's "running" row,
    so the final status replaces it (one ``job_log`` row per step run). Returns the job id."""
    run_key = rc.run_key
    finished = now_shanghai().replace(microsecond=0) if final else None
    row = {"run_key": run_key, "step": out.step, "status": out.status if final else "running",
           "job_id": None, "started_at": started, "finished_at": finished, "rows_written": out.rows,
           "error": mask(out.error) if out.error else None}  # fmt: skip
    record = JobRecord(f"{run_key.split('|')[0]}:{out.step}", {"run_key": run_key}, status=row["status"],
                       started_at=started, finished_at=finished, rows_written=out.rows,
                       errors=[out.error] if out.error else [], job_id=job_id)  # fmt: skip
    row["job_id"] = record.job_id
    schema = {"finished_at": pl.Datetime("us"), "rows_written": pl.Int64, "error": pl.Utf8}
    rc.store.upsert(TABLE, pl.DataFrame([row], schema_overrides=schema), replace_nulls=True)
    write_job_log(rc.store, record)
    return record.job_id


def run_chain(
    rc: RunContext,
    steps: Sequence[Step],
    *,
    force: bool = False,
    on_step: Callable[[StepOutcome | str], None] | None = None,
) -> ChainReport:
    """Run ``steps`` for ``rc.run_key`` (see the module docstring). ``on_step`` gets a step's name when it starts
    and its :class:`StepOutcome` when it ends (progress for the CLI)."""
    with rc.ctx.open_store() as store:
        rc.store = store
        try:
            return _run_all(rc, steps, step_status(store, rc.run_key), force, on_step)
        finally:
            rc.store = None


def _run_all(
    rc: RunContext,
    steps: Sequence[Step],
    before: dict[str, str],
    force: bool,
    on_step: Callable[[StepOutcome | str], None] | None,
) -> ChainReport:
    report = ChainReport(rc.run_key)
    status: dict[str, str] = {}
    for step in ordered(steps):
        if before.get(step.name) == "ok" and not force:
            out = StepOutcome(step.name, "done")
        else:
            blocked = [d for d in step.depends_on if status.get(d) not in ("ok", "done")]
            if blocked and not step.always:
                out = StepOutcome(
                    step.name, "skipped", error=f"依赖未完成 dependency not done: {', '.join(blocked)}"
                )
                _record(rc, out, now_shanghai().replace(microsecond=0), final=True)
            else:
                out = _run(rc, step, on_step)
        status[step.name] = out.status
        report.outcomes.append(out)
        if on_step is not None:
            on_step(out)
    return report


def _run(rc: RunContext, step: Step, on_step: Callable[[StepOutcome | str], None] | None) -> StepOutcome:
    started = now_shanghai().replace(microsecond=0)
    out = StepOutcome(step.name, "running")
    job_id = _record(rc, out, started, final=False)
    if on_step is not None:
        on_step(step.name)
    t0 = time.perf_counter()
    try:
        rows = step.run(rc)
    except Exception as exc:
        out.status, out.error = "failed", mask(f"{type(exc).__name__}: {exc}")
    else:
        out.status, out.rows = "ok", rows
    out.seconds = time.perf_counter() - t0
    out.note = rc.notes.pop(step.name, None)
    _record(rc, out, started, final=True, job_id=job_id)
    if out.status == "failed":
        _alert_failure(rc, step.name, out.error or "")
    return out


def _alert_failure(rc: RunContext, step: str, error: str) -> None:
    """The urgent alert of a failed step, written and sent at once (a failure to send stays in alerts_log)."""
    from thermoquant.jobs.alerts import raise_and_send

    try:
        raise_and_send(rc.ctx, rc.store, [job_failed(f"{rc.run_key}:{step}", rc.day, error)], clock=rc.clock)
    except Exception as exc:  # a broken alert channel must not hide the step's own failure
        rc.notes[f"{step}:alert"] = mask(f"告警未发出 alert not sent: {type(exc).__name__}: {exc}")
