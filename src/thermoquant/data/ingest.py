"""Ingestion jobs: backfill and daily update of any dataset from one source or a fallback chain of sources.

A run is split into WORK ITEMS (one per symbol, per month of a date range, or one for the whole dataset, per the
first source's capability). For each item the sources are tried in order; the first non-empty answer is checked
(`thermoquant.data.quality.validate`: error rows are rejected and reported, warnings reported). Fetched items are
written in batches (`BATCH_ITEMS` / `FLUSH_SECONDS`): one upsert of their rows, then their checkpoints in
`ingest_checkpoint`. Therefore:

* **idempotent** — upserts on the primary key; a re-run changes nothing;
* **resumable** — a run killed or interrupted at any point (even between the upsert and the checkpoint) continues
  with the items not yet checkpointed when re-run with the same arguments (same job key);
* **incremental** — without `start`, each symbol starts the day after its last stored date (else
  `DEFAULT_HISTORY_START`); without `end`, today (Asia/Shanghai);
* **the calendar** — `trade_calendar` (whole market) is fetched as far ahead as the vendor publishes (no default
  end; default start :func:`thermoquant.data.trade_calendar.default_fetch_start`) and stored through
  :func:`thermoquant.data.trade_calendar.write_calendar` (source priority, no hole), not a plain upsert;
* **logged** — one `job_log` row per run with counts, gaps and errors; no secret appears (errors are masked by
  :func:`thermoquant.secrets.mask`, `args` holds only dataset, sources, dates and symbols).

The seed-004 CSI500 pipeline (:func:`ingest_csi500`, :func:`csi500_sentiment`) and the constituent refresh
schedule (:func:`constituent_refresh_times`, :func:`is_refresh_due`) live here too.
"""

from __future__ import annotations

import hashlib
import time as _time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from thermoquant.data import trade_calendar
from thermoquant.data.job_log import JobRecord, write_job_log
from thermoquant.data.merge import MergeConfig, merge_upsert
from thermoquant.data.sources.adapter import VendorSource
from thermoquant.data.sources.akshare_src import AkshareSinaSource, AkshareSource
from thermoquant.data.sources.baostock_src import BaostockSource
from thermoquant.data.sources.base import (
    DATASET_TABLES,
    Capability,
    Source,
    SourceError,
    UnsupportedDatasetError,
    today_shanghai,
)
from thermoquant.data.sources.tushare_src import TushareSource, configured_token
from thermoquant.data.sources.xtquant_src import XtquantSource, xtquant_importable
from thermoquant.market.symbols import normalize_symbol
from thermoquant.secrets import mask

DEFAULT_HISTORY_START = date(2005, 1, 1)
"""First day a backfill asks for when neither `start` nor stored rows say otherwise (CSI500 data starts 2005)."""

# Adapter of each source name (the vendor libraries themselves are imported on first use).
SOURCE_CLASSES: dict[str, type[VendorSource]] = {
    "akshare": AkshareSource,
    "akshare_sina": AkshareSinaSource,
    "tushare": TushareSource,
    "baostock": BaostockSource,
    "xtquant": XtquantSource,
}
SOURCE_NAMES: tuple[str, ...] = tuple(SOURCE_CLASSES)

# Fallback order per dataset when no --source is given (free sources first; Tushare is put first when a token is
# configured, see `default_sources`).
FALLBACK_ORDER: dict[str, tuple[str, ...]] = {
    "stock_info": ("akshare", "baostock"),
    "daily_quote": ("akshare", "akshare_sina", "baostock"),
    "adj_factor": ("akshare", "baostock"),
    "minute_quote": ("akshare", "baostock"),
    "index_daily": ("akshare", "akshare_sina", "baostock"),
    "index_weight": ("akshare", "baostock"),
    "etf_daily": ("akshare", "akshare_sina"),
    "fund_share": ("akshare",),
    "funds_flow": ("akshare",),
    "industry_flow": ("akshare", "tushare"),
    "north_flow": ("akshare", "tushare"),
    "margin_detail": ("akshare", "tushare"),
    "industry_member": ("akshare", "tushare"),
    "st_history": ("akshare",),
    "finance_data": ("akshare", "tushare"),
    "dragon_tiger": ("akshare",),
    "block_trade": ("akshare", "tushare"),
    "share_unlock": ("akshare",),
    "macro": ("akshare",),
    # miniQMT where it runs (local, with the client's future days), else Sina's list via AKShare
    "trade_calendar": ("xtquant", "akshare"),
}
# Sources left out of a default order where they cannot run (`default_sources`).
RUNS_HERE: dict[str, Callable[[], bool]] = {"xtquant": xtquant_importable}


def _write_trade_calendar(store: Any, rows: pl.DataFrame) -> int:
    return trade_calendar.write_calendar(store, rows)["written"]


# Datasets stored through their own writer instead of a plain upsert: the calendar's source priority and no-gap
# rule (`trade_calendar.write_calendar`, which raises and writes nothing when the rows would leave a hole).
WRITERS: dict[str, Callable[[Any, pl.DataFrame], int]] = {"trade_calendar": _write_trade_calendar}
# Datasets the vendors publish ahead of today: without `end`, as far as the vendor publishes (the run's key still
# uses today), and without `start`, from the day the function gives for today.
PUBLISHED_AHEAD: dict[str, Callable[[date], date]] = {"trade_calendar": trade_calendar.default_fetch_start}

# Column naming the series in each table (for "last stored date per symbol").
SERIES_KEY: dict[str, str] = {
    "index_daily": "index_code",
    "index_weight": "index_code",
    "funds_flow": "code",
    "industry_flow": "code",
    "north_flow": "channel",
}

# Rows of a shared table that belong to a dataset (funds_flow holds per-stock and per-industry flows).
SERIES_SCOPE: dict[str, tuple[str, str]] = {
    "funds_flow": ("scope", "stock"),
    "industry_flow": ("scope", "industry"),
}

# Datasets whose --symbols are series names, not security codes (left as given): macro series, industry names,
# north-bound channels.
NAMED_SERIES: frozenset[str] = frozenset({"macro", "industry_flow", "north_flow"})

MAX_LOGGED_CONFLICTS = 50
"""Source conflicts described one by one in job_log (all are counted)."""

BATCH_ITEMS = 50
FLUSH_SECONDS = 2.0
"""Fetched items are written in batches (one upsert and one checkpoint write per batch) every BATCH_ITEMS items or
FLUSH_SECONDS seconds: few database transactions (DuckDB admits one writer process; others get in between
batches), while a crash loses at most one batch of fetching."""

CSI500 = "000905.SH"
CSI500_ETF = "510500.SH"


# ---------------------------------------------------------------------------------------------------------------
# Sources by name
# ---------------------------------------------------------------------------------------------------------------


def make_source(spec: str, **options: Any) -> Source:
    """A source from its name: akshare, akshare_sina, tushare, baostock, xtquant, or `fixture:<dir>`.

    `fixture:<dir>` replays vendor-shaped files (see `thermoquant.data.sources.recorded`) through the real
    AKShare, Tushare or xtquant adapter named in `<dir>/VENDOR`. Options are passed to the adapter (e.g. `tier=`
    for Tushare).
    """
    if spec.startswith("fixture:"):
        from thermoquant.data.sources.recorded import RecordedClient

        client = RecordedClient(Path(spec.split(":", 1)[1]))
        vendor = client.vendor
        if vendor not in ("akshare", "tushare", "xtquant"):
            raise ValueError(f"fixture vendor {vendor!r} not supported (akshare, tushare or xtquant)")
        if vendor == "tushare":
            options.setdefault("per_minute", 1e9)  # replayed files: no vendor quota to respect
        inner = make_source(vendor, client=client, **options)
        inner.name = "fixture"
        return inner
    cls = SOURCE_CLASSES.get(spec)
    if cls is not None:
        return cls(**options)
    raise ValueError(f"unknown source {spec!r}; known: {', '.join(SOURCE_NAMES)} or fixture:<dir>")


def default_sources(
    dataset: str, *, has_tushare_token: bool | None = None, runs_here: Sequence[str] | None = None
) -> list[str]:
    """The fallback order for `dataset`; Tushare first when a token is configured and it offers the dataset.

    A source of :data:`RUNS_HERE` (xtquant) stays in the order only where it can run (`runs_here`: the names
    that can; default: asked of :data:`RUNS_HERE`).
    """
    order = list(FALLBACK_ORDER.get(dataset, ("akshare",)))
    able = set(runs_here) if runs_here is not None else {n for n, check in RUNS_HERE.items() if check()}
    order = [n for n in order if n not in RUNS_HERE or n in able]
    if has_tushare_token is None:
        has_tushare_token = configured_token() is not None
    if has_tushare_token and dataset in TushareSource.capabilities and "tushare" not in order:
        order.insert(0, "tushare")
    return order


# ---------------------------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkItem:
    """One resumable unit: a key (checkpoint item), the symbols and the date range to fetch."""

    key: str
    symbols: tuple[str, ...] | None
    start: date | None
    end: date | None


@dataclass
class ItemResult:
    """What happened to one work item: status done / empty / failed / skipped (checkpointed earlier).

    `rows_written` is the item's rows that passed the quality rules and were upserted (changed or not).
    """

    item: str
    status: str
    rows_in: int = 0
    rows_written: int = 0
    source: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: int = 0
    rejected: int = 0


@dataclass
class IngestReport:
    """The end-of-run report (also written to job_log)."""

    job_id: str
    job_key: str
    dataset: str
    sources: list[str]
    items: list[ItemResult] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    status: str = "running"
    rows_written: int = 0
    """rows inserted or changed in the target table (0 on an idempotent re-run)"""
    conflicts: list[str] = field(default_factory=list)
    """cells where this run's source and the stored one disagreed (:class:`thermoquant.data.merge.Conflict`)"""

    def count(self, status: str) -> int:
        return sum(1 for r in self.items if r.status == status)

    @property
    def rows_in(self) -> int:
        return sum(r.rows_in for r in self.items)

    @property
    def missing(self) -> list[str]:
        """Items that got no data: failed or empty from every source."""
        return [r.item for r in self.items if r.status in ("failed", "empty")]

    def gaps(self) -> dict[str, Any]:
        return {
            "failed": [r.item for r in self.items if r.status == "failed"],
            "empty": [r.item for r in self.items if r.status == "empty"],
            "rejected_rows": {r.item: r.rejected for r in self.items if r.rejected},
            "fallback_used": {
                r.item: r.source for r in self.items if r.source and r.source != self.sources[0]
            },
            "source_conflicts": {
                "count": len(self.conflicts),
                "first": self.conflicts[:MAX_LOGGED_CONFLICTS],
            },
        }

    def errors(self) -> list[dict[str, str]]:
        return [{"item": r.item, "error": e} for r in self.items for e in r.errors]


# ---------------------------------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------------------------------


def job_key(
    dataset: str, sources: Sequence[str], start: date | None, end: date, symbols: Sequence[str] | None
) -> str:
    """Stable key of a run: the same arguments (and the same resolved end day) resume the same job."""
    sym = ",".join(sorted(symbols)) if symbols else "*"
    digest = hashlib.sha1(sym.encode()).hexdigest()[:12]
    begin = start.isoformat() if start else "incr"
    return f"{dataset}|{'>'.join(sources)}|{begin}|{end.isoformat()}|{digest}"


def month_chunks(start: date, end: date) -> list[tuple[date, date]]:
    """[start, end] cut at month boundaries: [(start, end of its month), (1st of next, …), …]."""
    out: list[tuple[date, date]] = []
    cur = start
    while cur <= end:
        nxt = date(cur.year + (cur.month == 12), cur.month % 12 + 1, 1)
        out.append((cur, min(end, nxt - timedelta(days=1))))
        cur = nxt
    return out


def last_stored_dates(store: Any, dataset: str) -> dict[str, date]:
    """Series key → last stored date of `dataset` (empty when the table is empty)."""
    from thermoquant.data.schema import get_table
    from thermoquant.data.store import date_column

    table_name = DATASET_TABLES.get(dataset)
    if table_name is None:
        return {}
    table = get_table(table_name)
    dcol = date_column(table)
    key = SERIES_KEY.get(dataset, "symbol")
    if dcol is None or key not in table.column_names:
        return {}
    where = ""
    if dataset in SERIES_SCOPE:
        col, value = SERIES_SCOPE[dataset]
        where = f""" WHERE "{col}" = '{value}'"""
    frame = store.query(
        f'SELECT "{key}" AS k, max("{dcol.name}") AS d FROM "{table_name}"{where} GROUP BY "{key}"'
    )
    out: dict[str, date] = {}
    for k, d in frame.iter_rows():
        if d is not None:
            out[k] = d.date() if isinstance(d, datetime) else d
    return out


def symbols_from_store(store: Any) -> list[str]:
    """Listed symbols of `stock_info` (delist_date null), for runs without --symbols."""
    frame = store.read("stock_info", columns=["symbol", "delist_date"])
    return frame.filter(pl.col("delist_date").is_null())["symbol"].to_list()


def plan_items(
    store: Any,
    dataset: str,
    cap: Capability,
    symbols: Sequence[str] | None,
    start: date | None,
    end: date,
    *,
    history_start: date = DEFAULT_HISTORY_START,
) -> tuple[list[WorkItem], list[str]]:
    """(work items, series already up to date) for a run."""
    up_to_date: list[str] = []
    if cap.split == "whole":
        return [WorkItem("all", tuple(symbols) if symbols else None, start, end)], up_to_date
    last = last_stored_dates(store, dataset) if start is None else {}
    if cap.split == "range":
        begin = start
        if begin is None:
            begin = max(last.values()) + timedelta(days=1) if last else history_start
        if begin > end:
            return [], ["all"]
        items = [
            WorkItem(f"{a.isoformat()}..{b.isoformat()}", tuple(symbols) if symbols else None, a, b)
            for a, b in month_chunks(begin, end)
        ]
        return items, up_to_date
    if not symbols:
        raise SourceError(
            "ingest", dataset, "needs --symbols (or ingest stock_info first for the whole market)"
        )
    items = []
    for sym in symbols:
        begin = start or (last[sym] + timedelta(days=1) if sym in last else history_start)
        if begin > end:
            up_to_date.append(sym)
            continue
        items.append(WorkItem(sym, (sym,), begin, end))
    return items, up_to_date


# ---------------------------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------------------------


def checked_rows(frame: pl.DataFrame, table: str) -> tuple[pl.DataFrame, int, int, list[str]]:
    """(clean frame, warnings, rejected rows, messages) after the shared quality rules."""
    from thermoquant.data.quality import ROW, Severity, split_rejected, validate, with_row_numbers

    if frame.height == 0:
        return frame, 0, 0, []
    numbered = with_row_numbers(frame)
    issues = validate(numbered, table)
    clean, rejected = split_rejected(numbered, issues)
    warnings = sum(1 for i in issues if i.severity is Severity.WARNING)
    errors = [i for i in issues if i.severity is Severity.ERROR][:5]
    keys = _row_keys(numbered, table, [i.row for i in errors if i.row is not None])
    messages = [f"rejected row {i.row}{keys.get(i.row, '')}: {i.message}" for i in errors]
    return clean.drop(ROW), warnings, rejected.height, messages


def _row_keys(frame: pl.DataFrame, table: str, rows: Sequence[int]) -> dict[int, str]:
    """Row number → `` (key values)`` of the table's primary key, e.g. `` (600000.SH 2021-06-12)``."""
    from thermoquant.data.quality import ROW
    from thermoquant.data.schema import get_table

    key = [c for c in get_table(table).primary_key if c in frame.columns]
    if not rows or not key:
        return {}
    text = pl.concat_str([pl.col(c).cast(pl.Utf8) for c in key], separator=" ", ignore_nulls=True)
    hits = frame.filter(pl.col(ROW).is_in(list(rows))).select(ROW, text.alias("_k"))
    return {int(r): f" ({k})" for r, k in hits.iter_rows() if k}


def _write_job_log(
    store: Any, report: IngestReport, args: dict[str, Any], started: datetime, *, final: bool
) -> None:
    """The run's ``job_log`` row through the one writer (:mod:`thermoquant.data.job_log`)."""
    record = JobRecord(
        "ingest", args, dataset=report.dataset, source=">".join(report.sources), job_id=report.job_id,
        status=report.status, started_at=started, finished_at=datetime.now() if final else None,
        rows_in=report.rows_in, rows_written=report.rows_written, gaps=report.gaps(), errors=report.errors(),
    )  # fmt: skip
    write_job_log(store, record)


def _done_items(store: Any, key: str) -> set[str]:
    frame = store.read("ingest_checkpoint", where={"job_key": key, "status": "done"}, columns=["item"])
    return set(frame["item"].to_list())


def _checkpoint(store: Any, key: str, results: Sequence[ItemResult]) -> None:
    now = datetime.now()
    rows = [
        {
            "job_key": key,
            "item": r.item,
            "status": "failed" if r.status == "failed" else "done",
            "rows": r.rows_written,
            "updated_at": now,
        }
        for r in results
    ]
    if rows:
        store.upsert("ingest_checkpoint", pl.DataFrame(rows))


def run_item(
    sources: Sequence[Source], dataset: str, item: WorkItem, **fetch_kw: Any
) -> tuple[ItemResult, pl.DataFrame]:
    """Fetch one item, trying each source in order; the first non-empty frame wins."""
    result = ItemResult(item=item.key, status="empty")
    for src in sources:
        if dataset not in src.capabilities:
            continue
        try:
            frame = src.fetch(dataset, symbols=item.symbols, start=item.start, end=item.end, **fetch_kw)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            result.errors.append(mask(f"{src.name}: {type(exc).__name__}: {exc}"))
            result.status = "failed"
            continue
        if frame.height == 0:
            if result.status != "failed":
                result.status = "empty"
            continue
        result.status = "done"
        result.source = src.name
        result.rows_in = frame.height
        return result, frame
    if result.status == "empty":
        result.errors = []
    return result, pl.DataFrame()


def run_ingest(
    store: Any,
    dataset: str,
    sources: Sequence[Source],
    *,
    symbols: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    history_start: date = DEFAULT_HISTORY_START,
    on_plan: Callable[[int], None] | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
    batch_items: int = BATCH_ITEMS,
    flush_seconds: float = FLUSH_SECONDS,
    merge: MergeConfig | None = None,
    **fetch_kw: Any,
) -> IngestReport:
    """Ingest `dataset` into `store` from `sources` (tried in order per item); see the module docstring.

    Args:
        store: an open `thermoquant.data.store.Store`.
        dataset: a key of `DATASET_TABLES` with a table (spot is not stored).
        sources: adapters in fallback order; the first one that offers `dataset` decides how work is split.
        symbols: codes in any spelling; None = listed stocks of `stock_info` for per-symbol datasets.
        start, end: inclusive range; None = incremental / today (Asia/Shanghai).
        history_start: first day of a backfill without `start` and without stored rows.
        on_plan: called once with the number of items to run; on_item: after each item (progress).
        batch_items, flush_seconds: fetched items are written (one upsert, then their checkpoints) every
            `batch_items` items or `flush_seconds` seconds, whichever comes first (see `BATCH_ITEMS`).
        merge: source priority and tolerances for tables several sources fill (:mod:`thermoquant.data.merge`):
            nothing stored is erased by a null, and a worse-ranked source only fills what is missing.
        fetch_kw: passed to every `fetch` (e.g. `freq='5m'` for minute bars).
    """
    table = DATASET_TABLES.get(dataset)
    if dataset not in DATASET_TABLES:
        raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASET_TABLES)}")
    if table is None:
        raise ValueError(
            f"dataset {dataset!r} is a live snapshot and is not stored; fetch it with the source"
        )
    offering = [s for s in sources if dataset in s.capabilities]
    if not offering:
        names = ", ".join(s.name for s in sources)
        raise UnsupportedDatasetError(names, dataset, f"none of the sources ({names}) provides {dataset}")
    cap = offering[0].capabilities[dataset]
    today = today_shanghai()
    end_day = end or today
    open_end = dataset in PUBLISHED_AHEAD and end is None
    if dataset in PUBLISHED_AHEAD and start is None:
        start = PUBLISHED_AHEAD[dataset](today)
    if symbols and dataset in NAMED_SERIES:
        syms: list[str] | None = list(symbols)
    else:
        syms = [normalize_symbol(s) for s in symbols] if symbols else None
    if syms is None and cap.needs_symbols and cap.split == "symbol":
        syms = symbols_from_store(store) or None
    key = job_key(dataset, [s.name for s in offering], start, end_day, syms)
    report = IngestReport(
        job_id=uuid.uuid4().hex, job_key=key, dataset=dataset, sources=[s.name for s in offering]
    )
    args = {
        "dataset": dataset,
        "sources": report.sources,
        "start": start,
        "end": None if open_end else end_day,
        "symbols": [*syms[:20], "…"] if syms and len(syms) > 20 else syms,
        "n_symbols": len(syms) if syms else None,
        **{k: v for k, v in fetch_kw.items() if isinstance(v, str | int | float)},
    }
    started = datetime.now()
    _write_job_log(store, report, args, started, final=False)
    try:
        items, report.up_to_date = plan_items(
            store, dataset, cap, syms, start, end_day, history_start=history_start
        )
        if open_end:
            items = [replace(it, end=None) for it in items]
        done = _done_items(store, key)
        todo = [it for it in items if it.key not in done]
        report.items.extend(ItemResult(item=it.key, status="skipped") for it in items if it.key in done)
        if on_plan is not None:
            on_plan(len(todo))
        pending: list[tuple[ItemResult, pl.DataFrame]] = []

        def flush() -> None:
            """Write the pending items' rows in one upsert, then their checkpoints (data first: a crash in
            between re-fetches them, and the upsert makes that harmless)."""
            frames = [f for _, f in pending if f.height]
            if frames:
                rows = pl.concat(frames, how="vertical_relaxed")
                if dataset in WRITERS:
                    report.rows_written += WRITERS[dataset](store, rows)
                else:
                    merged = merge_upsert(store, table, rows, merge)
                    report.rows_written += merged.written
                    report.conflicts += [str(c) for c in merged.conflicts]
            _checkpoint(store, key, [r for r, _ in pending])
            for r, _ in pending:
                report.items.append(r)
                if on_item is not None:
                    on_item(r)
            pending.clear()

        batch_started = _time.monotonic()
        try:
            for it in todo:
                result, frame = run_item(offering, dataset, it, **fetch_kw)
                if frame.height:
                    frame, result.warnings, result.rejected, messages = checked_rows(frame, table)
                    result.errors.extend(messages)
                    result.rows_written = frame.height
                pending.append((result, frame))
                if len(pending) >= batch_items or _time.monotonic() - batch_started >= flush_seconds:
                    flush()
                    batch_started = _time.monotonic()
        finally:
            if pending:
                flush()  # also on Ctrl-C: what was fetched is kept
        failed = report.count("failed")
        report.status = "ok" if failed == 0 else ("failed" if failed == len(todo) else "partial")
    except KeyboardInterrupt:
        report.status = "interrupted"
        _write_job_log(store, report, args, started, final=True)
        raise
    except Exception as exc:
        report.status = "failed"
        report.items.append(ItemResult(item="<plan>", status="failed", errors=[mask(exc)]))
        _write_job_log(store, report, args, started, final=True)
        raise
    _write_job_log(store, report, args, started, final=True)
    return report


# ---------------------------------------------------------------------------------------------------------------
# Seed 004: the CSI500 pipeline
# ---------------------------------------------------------------------------------------------------------------


def constituents_in_range(store: Any, index_code: str, start: date, end: date) -> list[str]:
    """Symbols of every membership set of `index_code` in force at some day of [start, end]."""
    weights = store.read(
        "index_weight", where={"index_code": index_code}, columns=["effective_date", "symbol"]
    )
    if weights.height == 0:
        return []
    dates = weights["effective_date"].unique().sort()
    first = dates.filter(dates <= start)
    lo = first.max() if first.len() else dates.min()
    inside = weights.filter((pl.col("effective_date") >= lo) & (pl.col("effective_date") <= end))
    return sorted(inside["symbol"].unique().to_list())


def ingest_csi500(
    store: Any,
    sources: Sequence[Source],
    start: date,
    end: date,
    *,
    on_item: Callable[[ItemResult], None] | None = None,
) -> dict[str, IngestReport]:
    """Seed 004's data: 000905.SH bars, 510500.SH bars and fund shares, CSI500 weights, constituents' bars.

    Weights are fetched from 40 days before `start` so the membership in force on `start` is known; the
    constituents' daily bars and adjustment factors start 40 days early too (the 20-day MA needs history).
    """
    warm = start - timedelta(days=40)

    def run(dataset: str, symbols: Sequence[str], begin: date) -> IngestReport:
        usable = [s for s in sources if dataset in s.capabilities]
        return run_ingest(store, dataset, usable, symbols=symbols, start=begin, end=end, on_item=on_item)

    reports = {
        "index_daily": run("index_daily", [CSI500], warm),
        "etf_daily": run("etf_daily", [CSI500_ETF], warm),
        "fund_share": run("fund_share", [CSI500_ETF], warm),
        "index_weight": run("index_weight", [CSI500], warm),
    }
    members = constituents_in_range(store, CSI500, start, end)
    if members:
        reports["daily_quote"] = run("daily_quote", members, warm)
        if any("adj_factor" in s.capabilities for s in sources):
            reports["adj_factor"] = run("adj_factor", members, date(1990, 1, 1))
    return reports


# ---------------------------------------------------------------------------------------------------------------
# Seed 004: constituent refresh schedule
# ---------------------------------------------------------------------------------------------------------------

MONTHLY_REFRESH_AT = time(0, 0)
"""Time of the monthly refresh on the 1st (seed: "每个月的第一天", no time given; chosen: start of the day)."""
SEMIANNUAL_REFRESH_AT = time(22, 0)
"""Time of the June/December refresh (seed: "6月、12月第二个周6的晚上10点")."""
SEMIANNUAL_MONTHS: tuple[int, ...] = (6, 12)


def second_saturday(year: int, month: int) -> date:
    """The second Saturday of a month."""
    first = date(year, month, 1)
    first_sat = first + timedelta(days=(5 - first.weekday()) % 7)
    return first_sat + timedelta(days=7)


def constituent_refresh_times(
    year: int, *, monthly_at: time = MONTHLY_REFRESH_AT, semiannual_at: time = SEMIANNUAL_REFRESH_AT
) -> list[datetime]:
    """Every constituent refresh of `year` (naive Asia/Shanghai wall clock), sorted.

    The first day of each month at `monthly_at`, and the second Saturday of June and December at `semiannual_at`
    (CSIndex's semi-annual review takes effect after the second Friday of June and December).
    """
    times = [datetime.combine(date(year, m, 1), monthly_at) for m in range(1, 13)]
    times += [datetime.combine(second_saturday(year, m), semiannual_at) for m in SEMIANNUAL_MONTHS]
    return sorted(times)


def is_refresh_due(
    now: datetime,
    last_run: datetime | None = None,
    *,
    window: timedelta = timedelta(hours=24),
    monthly_at: time = MONTHLY_REFRESH_AT,
    semiannual_at: time = SEMIANNUAL_REFRESH_AT,
) -> bool:
    """True when a scheduled refresh time falls after the last run and at or before `now`.

    Without `last_run`, a refresh is due when one was scheduled within the last `window` (default 24 h), so a
    daily cron that runs once a day catches every refresh exactly once.
    """
    since = last_run if last_run is not None else now - window
    times = constituent_refresh_times(now.year, monthly_at=monthly_at, semiannual_at=semiannual_at)
    if since.year < now.year:
        times = (
            constituent_refresh_times(since.year, monthly_at=monthly_at, semiannual_at=semiannual_at) + times
        )
    return any(since < t <= now for t in times)
