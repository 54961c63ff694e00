"""File import: vendor CSV/Parquet layouts → frames in our schema, validated by `data.quality`.

    results = import_paths(["sh.000905.csv", "510500_eastmoney.csv"], store)   # what `tq import PATH…` calls
    # the CLI prints them: thermoquant.cli.import_report.render_report(results)

What happens to one file (:func:`read_file`), module by module:

1. **Read as text** (`csv_read`). CSV (optionally ``.gz``) is decoded as UTF-8 (with or without BOM), else
   GBK/GB18030, and read with every column as text, so that scientific-notation amounts (``6.92105E+11``) can
   be seen before they become floats. Parquet is read as is. Each row gets ``_row``: the **1-based data row
   as the user sees it in the file, header not counted** (data row *n* is on line *n + 1*); rows keep that
   number even when the file is newest first (NetEase) and gets sorted.
2. **Detect the layout** from the header (`csv_layouts`: :data:`LAYOUTS`, first match wins), rename to our
   column names and parse numbers and dates (`csv_read`); codes → symbols (`csv_symbols`).
3. **Tables and units** (`csv_tables`, `csv_layouts`). Layouts with known units convert directly (Tushare:
   vol 手, amount 千元). Where the layout does not fix them, 手 vs shares and 元 vs 千元 are detected from
   ``amount / volume`` against the close (stocks, funds) or against a plausible average share price
   (indices). Everything leaves in shares and CNY.
4. **Validate** with `data.quality` (OHLC, VWAP/units, duplicates, NaN, negatives, suspended days, scientific
   notation, warm-up zeros, series breaks). Errors reject the row, warnings are stored and reported.

Where each layout goes (``ImportResult.table``, see `csv_tables`): stock bars → ``daily_quote``; index bars →
``index_daily``; ETF bars → ``etf_daily``; constituent schedules/weights → ``index_weight``; the implied
``fd_share`` file → ``fund_share``; Baostock valuations also go to ``daily_valuation`` (``extra_tables``).
Reference series (breadth, strategy reference, adjusted closes …) are returned in ``ImportResult.reference``
(name → frame) for the CLI to report and for features to use; they are **not stored**.

Nothing is written unless every check ran: :func:`import_paths` validates every file first and then writes
each table with one ``store.upsert`` (one transaction). With ``strict=True`` a file with any error is refused
whole (``ImportResult.refused``; none of its rows is written); a file that cannot be read at all is always
refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from thermoquant.data.merge import LOSSY, MergeConfig, merge_upsert
from thermoquant.data.quality import ROW, Issue, QualityConfig, Severity, split_rejected, validate
from thermoquant.data.schema import get_table
from thermoquant.data.sources.csv_layouts import LAYOUTS, Layout, UnknownLayoutError, detect_layout
from thermoquant.data.sources.csv_read import (
    FILE_SUFFIXES,
    DamagedFileError,
    parse_columns,
    read_raw,
    to_layout_columns,
)
from thermoquant.data.sources.csv_symbols import resolve_symbols, symbol_from_filename
from thermoquant.data.sources.csv_tables import build_tables, validate_reference
from thermoquant.progress import ProgressFn, tick

__all__ = [
    "FAILED_OUTCOMES",
    "FILE_SUFFIXES",
    "LAYOUTS",
    "DamagedFileError",
    "FileIssue",
    "ImportResult",
    "Layout",
    "Outcome",
    "Rejection",
    "RowFilter",
    "UnknownLayoutError",
    "detect_layout",
    "expand_paths",
    "import_paths",
    "read_file",
    "read_raw",
    "symbol_from_filename",
    "write_results",
]


@dataclass(frozen=True)
class RowFilter:
    """Rows to keep from a file: symbols (house form, e.g. ``510300.SH``) and an inclusive date range (on
    ``trade_date``, or on the date of ``bar_time`` for minute bars). None = no limit."""

    symbols: tuple[str, ...] | None = None
    start: dt.date | None = None
    end: dt.date | None = None

    def apply(self, df: pl.DataFrame, issues: list[Issue]) -> tuple[pl.DataFrame, list[Issue]]:
        """`df` restricted to the filter, and the issues of the rows kept (and of the whole file)."""
        keep = pl.lit(True)
        if self.symbols is not None and "symbol" in df.columns:
            keep &= pl.col("symbol").is_in(list(self.symbols))
        day = pl.col("trade_date") if "trade_date" in df.columns else pl.col("bar_time").dt.date()
        if self.start is not None and ("trade_date" in df.columns or "bar_time" in df.columns):
            keep &= day >= self.start
        if self.end is not None and ("trade_date" in df.columns or "bar_time" in df.columns):
            keep &= day <= self.end
        df = df.filter(keep.fill_null(False))
        rows = set(df[ROW].to_list())
        return df, [i for i in issues if i.row is None or i.row in rows]

    def __str__(self) -> str:
        parts = [", ".join(self.symbols)] if self.symbols else []
        if self.start or self.end:
            parts.append(f"{self.start or '…'} → {self.end or '…'}")
        return "; ".join(parts) or "all rows"


class StoreLike(Protocol):
    """What the import needs of a store (`thermoquant.data.store.Store`)."""

    def upsert(self, table: str, df: pl.DataFrame) -> int: ...

    def read(self, table: str, **kw: Any) -> pl.DataFrame: ...


@dataclass(frozen=True)
class FileIssue:
    """A finding about one file, row and column.

    ``row`` is the 1-based data row as the user sees it in the file, the header not counted (so it is on line
    ``row + 1``); None for a whole-file finding.
    """

    file: str
    row: int | None
    column: str | None
    reason: str
    rule: str = "error"
    severity: Severity = Severity.ERROR
    value: str | None = None
    key: str | None = None
    """The row's symbol and date as parsed (e.g. ``430489.BJ 2021-12-01``), where they could be read."""

    @property
    def line(self) -> int | None:
        """Line number in a CSV file with one header line."""
        return None if self.row is None else self.row + 1

    def __str__(self) -> str:
        line = "" if self.file.endswith(".parquet") else f" (line {self.line})"  # a Parquet file has no lines
        where = f"row {self.row}{line}" if self.row is not None else "whole file"
        col = f", column {self.column}" if self.column else ""
        key = f" [{self.key}]" if self.key else ""
        return f"{self.file}: {where}{key}{col}: {self.reason}"


Rejection = FileIssue
"""An error that rejected a row (or the whole file when ``row`` is None)."""


class Outcome(StrEnum):
    """What became of one file (:attr:`ImportResult.outcome`)."""

    WRITTEN = "written"  #: rows were inserted or changed
    UNCHANGED = "unchanged"  #: every row was already stored as it is (a re-import)
    REFERENCE = "reference"  #: the file holds reference series only, which are reported, never stored
    NO_ROWS = "no_rows"  #: the file has a header but no data rows
    ALL_REJECTED = "all_rejected"  #: every data row was rejected: nothing to write
    REFUSED = "refused"  #: refused whole: a strict import with errors, or a file that cannot be read
    VALIDATED = "validated"  #: read and validated only (no store given)


FAILED_OUTCOMES = frozenset({Outcome.REFUSED, Outcome.NO_ROWS, Outcome.ALL_REJECTED})
"""Outcomes that make `tq import` exit non-zero: the file contributed nothing although it was meant to."""


@dataclass
class ImportResult:
    """What one file produced.

    Attributes:
        path: the file.
        table: target table of `frame`, or None when the file only holds reference series (or failed).
        frame: clean rows in the table's schema (shares, CNY), sorted by key.
        rejected: every error: rows not imported (and whole-file errors).
        layout: the detected layout name.
        notes: unit conversions and decisions taken, in plain words.
        warnings: stored-but-reported findings (suspended days, scientific notation, series breaks …).
        extra_tables: further tables filled from the same file (e.g. Baostock valuations → daily_valuation).
        reference: named series that are not stored (breadth, strategy reference, adjusted closes …).
        written: rows changed per table by :func:`import_paths` (empty until written).
        refused: the whole file was refused (strict import with errors, or unreadable): nothing of it was
            written.
        rows_read: data rows in the file (header not counted; 0 when it could not be read).
    """

    path: Path
    table: str | None
    frame: pl.DataFrame
    rejected: list[FileIssue]
    layout: str
    notes: list[str] = field(default_factory=list)
    warnings: list[FileIssue] = field(default_factory=list)
    extra_tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    reference: dict[str, pl.DataFrame] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    refused: bool = False
    rows_read: int = 0

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return not self.rejected

    @property
    def rejected_rows(self) -> int:
        """Data rows rejected: a row with several issues counts once; whole-file issues count none."""
        return len({i.row for i in self.rejected if i.row is not None})

    @property
    def outcome(self) -> Outcome:
        """What became of the file (see :class:`Outcome`); decided from the frames, issues and ``written``."""
        if self.refused:
            return Outcome.REFUSED
        if self.rows_read == 0:
            return Outcome.NO_ROWS
        if not any(f.height for f in self.tables().values()):
            if self.table is None and any(f.height for f in self.reference.values()):
                return Outcome.REFERENCE
            return Outcome.ALL_REJECTED if self.rejected_rows else Outcome.NO_ROWS
        if not self.written:
            return Outcome.VALIDATED
        return Outcome.WRITTEN if any(self.written.values()) else Outcome.UNCHANGED

    def tables(self) -> dict[str, pl.DataFrame]:
        """Every table frame this file fills (main table first)."""
        out = {self.table: self.frame} if self.table else {}
        out.update(self.extra_tables)
        return out


# ----------------------------------------------------------------------------------------------- public API
def read_file(
    path: str | Path,
    *,
    symbol: str | None = None,
    repair_units: bool = False,
    config: QualityConfig | None = None,
    only: RowFilter | None = None,
) -> ImportResult:
    """Read, normalise and validate one file; nothing is written.

    Args:
        path: a CSV (``.csv``, ``.csv.gz``, UTF-8/GBK) or Parquet file in one of :data:`LAYOUTS`.
        symbol: force the security code (otherwise from the code column or the file name).
        repair_units: rows whose volume is in 手 inside a file in shares get × 100 and a warning instead of
            being rejected (default False: such rows are errors).
        config: thresholds of the quality rules.
        only: keep only these symbols / dates (:class:`RowFilter`) before the tables are built and checked.

    Returns:
        The :class:`ImportResult`; rows with errors are in ``rejected``, not in ``frame``.

    Raises:
        UnknownLayoutError: the header matches no layout, or the file has no code anywhere.
    """
    path = Path(path)
    cfg = config or QualityConfig()
    raw, encoding = read_raw(path)
    layout = detect_layout(raw.columns)
    df, issues = parse_columns(to_layout_columns(raw, layout), layout, cfg)
    notes = [f"layout {layout.name}: {layout.doc}", f"encoding {encoding}"]
    if raw.height == 0:
        notes.append("the file has no data rows")
    if layout.kind not in ("breadth", "strategy_reference"):
        df, sym_issues, sym_notes = resolve_symbols(df, path, layout, symbol)
        issues += sym_issues
        notes += sym_notes
    if only is not None:
        df, issues = only.apply(df, issues)
        notes.append(f"only {only}")
    source = f"{layout.vendor}:{path.name}"
    table, tables, reference, build_notes, build_issues = build_tables(df, layout, source, repair_units)
    notes += build_notes
    issues += build_issues
    tables = {name: mark_lossy(frame, name, issues) for name, frame in tables.items()}
    for name, frame in tables.items():
        issues += validate(frame, name, config=cfg)
    for name, frame in reference.items():
        issues += validate_reference(name, frame, cfg)
    bad_rows = {i.row for i in issues if i.severity is Severity.ERROR and i.row is not None}
    errors = [i for i in issues if i.severity is Severity.ERROR]
    clean_tables = {n: split_rejected(f, errors)[0].drop(ROW) for n, f in tables.items()}
    clean_ref = {n: split_rejected(f, errors)[0].drop(ROW) for n, f in reference.items()}
    main = clean_tables.pop(table) if table in clean_tables else pl.DataFrame()
    if bad_rows:
        notes.append(f"{len(bad_rows)} row(s) rejected")
    keys = _row_keys(df, {i.row for i in issues if i.row is not None})
    for row, code in {i.row: i.value for i in issues if i.column == "symbol" and i.value and i.row}.items():
        if code not in keys.get(row, ""):  # the code as written, where it could not be read as a symbol
            keys[row] = f"{code} {keys[row]}" if row in keys else code
    warnings = _dedupe([i for i in issues if i.severity is Severity.WARNING])
    return ImportResult(
        path=path,
        table=table,
        frame=main,
        rejected=[_file_issue(path, i, keys) for i in _dedupe(errors)],
        layout=layout.name,
        notes=notes,
        warnings=[_file_issue(path, i, keys) for i in warnings],
        extra_tables=clean_tables,
        reference=clean_ref,
        rows_read=raw.height,
    )


LOSSY_RULES: frozenset[str] = frozenset({"sci_notation"})
"""Warning rules whose value is stored but known imprecise: the cell is listed in the row's ``lossy`` column."""


def mark_lossy(frame: pl.DataFrame, table: str, issues: Sequence[Issue]) -> pl.DataFrame:
    """Fill the ``lossy`` column of a table that has one: the columns named by a :data:`LOSSY_RULES` issue on the
    row (comma-separated), null for a row without any (the merge clears a stored flag when a precise value
    replaces the lossy one)."""
    if LOSSY not in get_table(table).column_names or ROW not in frame.columns:
        return frame
    cells: dict[int, set[str]] = {}
    for i in issues:
        if i.rule in LOSSY_RULES and i.row is not None and i.column:
            cells.setdefault(i.row, set()).add(i.column)
    flagged = pl.DataFrame(
        {ROW: list(cells), "_lossy": [",".join(sorted(c)) for c in cells.values()]},
        schema={ROW: frame.schema[ROW], "_lossy": pl.Utf8},
    )
    return (
        frame.drop(LOSSY, strict=False)
        .join(flagged, on=ROW, how="left")
        .with_columns(pl.col("_lossy").alias(LOSSY))
        .drop("_lossy")
    )


def _dedupe(issues: list[Issue]) -> list[Issue]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for i in sorted(issues, key=lambda i: (i.row is not None, i.row or 0, i.column or "", i.rule)):
        key = (i.rule, i.row, i.column, i.message)
        if key not in seen:
            seen.add(key)
            out.append(i)
    return out


def _row_keys(df: pl.DataFrame, rows: set[int]) -> dict[int, str]:
    """Row number → 'symbol date' (as parsed) for the rows named by issues."""
    if not rows:
        return {}
    dates = [c for c in ("trade_date", "effective_date", "snapshot_date", "in_date") if c in df.columns]
    parts = [c for c in ("symbol", *dates[:1]) if c in df.columns]
    if not parts:
        return {}
    hit = df.filter(pl.col(ROW).is_in(list(rows))).select(
        ROW,
        pl.concat_str([pl.col(c).cast(pl.Utf8) for c in parts], separator=" ", ignore_nulls=True).alias("_k"),
    )
    return {int(r): k for r, k in hit.iter_rows() if k}


def _file_issue(path: Path, issue: Issue, keys: dict[int, str] | None = None) -> FileIssue:
    key = (keys or {}).get(issue.row) if issue.row is not None else None
    return FileIssue(
        path.name, issue.row, issue.column, issue.message, issue.rule, issue.severity, issue.value, key
    )


def _failed(path: Path, exc: Exception) -> ImportResult:
    issue = FileIssue(path.name, None, None, str(exc), "unreadable")
    return ImportResult(path, None, pl.DataFrame(), [issue], layout="unknown", refused=True)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, plus importable files inside named folders (sorted); order kept otherwise."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.name.endswith(FILE_SUFFIXES))
        else:
            out.append(p)
    return out


def import_paths(
    paths: Iterable[str | Path],
    store: StoreLike | None,
    strict: bool = False,
    progress: ProgressFn | None = None,
    *,
    repair_units: bool = False,
    config: QualityConfig | None = None,
    only: RowFilter | None = None,
) -> list[ImportResult]:
    """Import files (and folders of files) into `store`: what `tq import PATH…` runs.

    Every file is read and validated before anything is written. Then each table of each file is written with
    one ``store.upsert`` (one transaction per table; re-running changes nothing). ``strict``: a file with any
    error is refused whole (``refused=True``, nothing of it written). Default: clean rows are written, every
    rejected row is in the results (the CLI prints them). A file that cannot be read is
    refused either way. ``store=None`` validates only (a dry run). ``only``: keep these symbols / dates
    (:class:`RowFilter`).
    """
    files = expand_paths(paths)
    results: list[ImportResult] = []
    for done, path in enumerate(files):
        tick(progress, f"读取与校验 reading {path.name}", done, len(files))
        try:
            results.append(read_file(path, repair_units=repair_units, config=config, only=only))
        except (UnknownLayoutError, DamagedFileError, OSError, pl.exceptions.PolarsError) as exc:
            results.append(_failed(path, exc))
    tick(progress, "读取与校验 reading", len(files), len(files))
    for result in results:
        if strict and result.rejected:
            result.refused = True
    if store is not None:
        write_results(results, store, progress)
    return results


def write_results(
    results: Sequence[ImportResult],
    store: StoreLike,
    progress: ProgressFn | None = None,
    merge: MergeConfig | None = None,
) -> None:
    """Write every table frame of the results not refused (one transaction per table and file) through
    :func:`thermoquant.data.merge.merge_upsert`: nulls and lossy values never replace better stored values, and
    the source priority decides between two good ones. Fills ``written``; a conflict between two sources becomes
    a ``source_conflict`` warning of the file naming both values, and kept or replaced values a note."""
    writes = [(r, t, f) for r in results if not r.refused for t, f in r.tables().items() if f.height]
    for done, (result, table, frame) in enumerate(writes):
        tick(progress, f"写入 writing {table} ← {result.path.name}", done, len(writes))
        merged = merge_upsert(store, table, frame, merge)
        result.written[table] = merged.written
        result.warnings += [
            FileIssue(
                result.path.name, None, c.column, str(c), "source_conflict", Severity.WARNING, key=c.key
            )
            for c in merged.conflicts
        ]
        if merged.kept_stored:
            result.notes.append(
                f"{table}: kept {merged.kept_stored} stored value(s) over this file's (better-ranked source or "
                "precise value over a lossy one)"
            )
        if merged.replaced_lossy:
            result.notes.append(f"{table}: replaced {merged.replaced_lossy} lossy stored value(s)")
    tick(progress, "写入 writing", len(writes), len(writes))
