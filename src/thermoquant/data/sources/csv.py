"""File import: vendor CSV/Parquet layouts → frames in our schema, validated by `data.quality`.

    results = import_paths(["sh.000905.csv", "510500_eastmoney.csv"], store)   # what `tq import PATH…` calls
    console.print(render_report(results))

What happens to one file (:func:`read_file`):

1. **Read as text.** CSV (optionally ``.gz``) is decoded as UTF-8 (with or without BOM), else GBK/GB18030, and
   read with every column as text, so that scientific-notation amounts (``6.92105E+11``) can be seen before
   they become floats. Parquet is read as is. Each row gets ``_row``: the **1-based data row as the user sees
   it in the file, header not counted** (data row *n* is on line *n + 1*); rows keep that number even when the
   file is newest first (NetEase) and gets sorted.
2. **Detect the layout** from the header (:data:`LAYOUTS`, first match wins) and rename to our column names.
3. **Units.** Layouts with known units convert directly (Tushare: vol 手, amount 千元). Where the layout does not
   fix them, 手 vs shares and 元 vs 千元 are detected from ``amount / volume`` against the close (stocks, funds)
   or against a plausible average share price (indices); see `csv_layouts`. Everything leaves in shares and
   CNY.
4. **Validate** with `data.quality` (OHLC, VWAP/units, duplicates, NaN, negatives, suspended days, scientific
   notation, warm-up zeros, series breaks). Errors reject the row, warnings are stored and reported.

Where each layout goes (``ImportResult.table``): stock bars → ``daily_quote``; index bars → ``index_daily``;
ETF bars → ``etf_daily``; constituent schedules/weights → ``index_weight``; the implied ``fd_share`` file →
``fund_share`` (its value belongs to the *previous* trading day, seed 004); Baostock valuations also go to
``daily_valuation`` (``extra_tables``). Series that are not facts of a table — the breadth file, the JerryZ
strategy reference (MAs, breadth, heat_z, etf_turnover), the ETF ``close, turnover`` files (backward-adjusted
close), forward-adjusted bars (Baostock ``adjustflag`` 1/2, the qfq constituent closes) — are returned in
``ImportResult.reference`` (name → frame) for the CLI to report and for features to use; they are **not
stored** (``daily_quote`` holds unadjusted prices only).

Nothing is written unless every check ran: :func:`import_paths` validates every file first and then writes
each table with one ``store.upsert`` (one transaction). With ``strict=True`` a file with any error is refused
whole (``ImportResult.refused``; none of its rows is written); a file that cannot be read at all is always
refused.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import polars as pl
from rich.progress import Progress

from thermoquant.data.quality import (
    ROW,
    Issue,
    QualityConfig,
    Severity,
    check_leading_zeros,
    check_negative,
    check_price_jumps,
    check_range,
    check_scientific_notation,
    mark_suspended,
    split_rejected,
    validate,
)
from thermoquant.data.schema import get_table
from thermoquant.data.sources.csv_layouts import (
    LAYOUTS,
    OHLC_COLUMNS,
    Layout,
    UnknownLayoutError,
    convert_units,
    detect_layout,
)
from thermoquant.data.sources.csv_report import render_report
from thermoquant.market.symbols import Board, board_codes, normalize_symbol

__all__ = [
    "LAYOUTS",
    "FileIssue",
    "ImportResult",
    "Layout",
    "Rejection",
    "UnknownLayoutError",
    "detect_layout",
    "import_paths",
    "read_file",
    "read_raw",
    "render_report",
    "write_results",
]

FILE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".txt")

_NULL_TOKENS = ("", "None", "none", "NULL", "null", "nan", "NaN", "NA", "-", "--")
_NUMERIC = (
    "open",
    "high",
    "low",
    "close",
    "pre_close",
    "volume",
    "amount",
    "turnover",
    "tradestatus",
    "is_st",
    "float_shares",
    "total_shares",
    "float_mcap",
    "total_mcap",
    "adjustflag",
    "weight",
    "fd_share_10k",
    "breadth",
    "pe_ttm",
    "pb",
    "ps_ttm",
    "pcf_ttm",
    "turnover_vendor",
    "etf_turnover_pct",
    "new_high_pct",
)
_DATES = ("trade_date", "effective_date", "snapshot_date")
_NAME_ALIASES = {"csi500": "000905.SH", "zz500": "000905.SH", "csi300": "000300.SH", "hs300": "000300.SH"}


class StoreLike(Protocol):
    """What the import needs of a store (`thermoquant.data.store.Store`)."""

    def upsert(self, table: str, df: pl.DataFrame) -> int: ...


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
        where = f"row {self.row} (line {self.line})" if self.row is not None else "whole file"
        col = f", column {self.column}" if self.column else ""
        key = f" [{self.key}]" if self.key else ""
        return f"{self.file}: {where}{key}{col}: {self.reason}"


Rejection = FileIssue
"""An error that rejected a row (or the whole file when ``row`` is None)."""


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

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return not self.rejected

    def tables(self) -> dict[str, pl.DataFrame]:
        """Every table frame this file fills (main table first)."""
        out = {self.table: self.frame} if self.table else {}
        out.update(self.extra_tables)
        return out


# ----------------------------------------------------------------------------------------------- reading
def _decode(data: bytes, path: Path) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (BOM stripped) first, then GB18030 (a superset of GBK)."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc), "utf-8" if enc == "utf-8-sig" else "gbk"
        except UnicodeDecodeError:
            continue
    raise UnknownLayoutError(f"{path}: neither UTF-8 nor GBK text")


def read_raw(path: str | Path) -> tuple[pl.DataFrame, str]:
    """The file as a frame (CSV: every column as text) with ``_row``, and the encoding found ('utf-8', 'gbk',
    'parquet')."""
    path = Path(path)
    if path.suffix == ".parquet":
        df, enc = pl.read_parquet(path), "parquet"
    else:
        data = path.read_bytes()
        if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        text, enc = _decode(data, path)
        payload = data.removeprefix(b"\xef\xbb\xbf") if enc == "utf-8" else text.encode("utf-8")
        sep = (
            "\t"
            if path.suffix == ".txt" or ("\t" in text.split("\n", 1)[0] and "," not in text.split("\n", 1)[0])
            else ","
        )
        df = pl.read_csv(io.BytesIO(payload), infer_schema=False, separator=sep)
        df = df.rename({c: c.strip() for c in df.columns})
    return df.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64)), enc


# ----------------------------------------------------------------------------------------------- parsing
def _parse_numbers(df: pl.DataFrame, columns: Iterable[str]) -> tuple[pl.DataFrame, list[Issue]]:
    """Text columns → Float64; a non-empty value that is not a number is an error naming the row.

    One parallel pass casts every column; only columns where that fails somewhere take the slow path (blanks
    stripped, thousands separators and null tokens such as 'None' handled).
    """
    cols = [c for c in columns if c in df.columns]
    fast = df.select([pl.col(c).cast(pl.Float64, strict=False) for c in cols])
    text_cols = [c for c in cols if df.schema[c] == pl.Utf8]
    checks = [(pl.col(c).is_not_null() & fast[c].is_null()).any().alias(c) for c in text_cols]
    failed = df.select(checks).row(0) if checks else ()
    issues: list[Issue] = []
    exprs: list[pl.Expr | pl.Series] = [fast[c] for c in cols if c not in text_cols]
    for col, slow in zip(text_cols, failed, strict=True):
        if not slow:
            exprs.append(fast[col])
            continue
        text = pl.col(col).str.strip_chars().str.replace_all(",", "")
        text = pl.when(text.is_in(list(_NULL_TOKENS))).then(None).otherwise(text)
        parsed = df.select(
            ROW, pl.col(col).alias("_raw"), text.cast(pl.Float64, strict=False).alias(col), text.alias("_t")
        )
        bad = parsed.filter(pl.col("_t").is_not_null() & pl.col(col).is_null())
        issues += [
            Issue("not_a_number", Severity.ERROR, int(r), col, f"{col} is not a number: {v!r}", v)
            for r, v in bad.select(ROW, "_raw").iter_rows()
        ]
        exprs.append(parsed[col])
    return df.with_columns(exprs), issues


def _parse_dates(df: pl.DataFrame, columns: Iterable[str]) -> tuple[pl.DataFrame, list[Issue]]:
    """Text dates in YYYY-MM-DD, YYYY/M/D or YYYYMMDD (time part ignored) → Date; unparsable → error."""
    issues: list[Issue] = []
    for col in columns:
        if col not in df.columns:
            continue
        dtype = df.schema[col]
        if dtype == pl.Utf8:
            fast = df[col].str.strptime(pl.Date, "%Y-%m-%d", strict=False)
            if fast.null_count() == df[col].null_count() == 0:
                df = df.with_columns(fast)
                continue
            text = pl.col(col).str.strip_chars().str.split(" ").list.first().str.split("T").list.first()
            parsed = pl.coalesce(
                [text.str.strptime(pl.Date, fmt, strict=False) for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")]
            )
            out = df.with_columns(parsed.alias("_d"))
            bad = out.filter(pl.col("_d").is_null()).select(ROW, col)
            issues += [
                Issue("bad_date", Severity.ERROR, int(r), col, f"{col} is not a date: {v!r}", v)
                for r, v in bad.iter_rows()
            ]
            df = out.with_columns(pl.col("_d").alias(col)).drop("_d")
        elif dtype.is_integer():
            df = df.with_columns(pl.col(col).cast(pl.Utf8).str.strptime(pl.Date, "%Y%m%d", strict=False))
        else:
            df = df.with_columns(pl.col(col).cast(pl.Date))
    return df, issues


def _index_symbol(code: str) -> str:
    """Bare index code → house symbol: 399xxx → SZ, else SH (000905 → 000905.SH)."""
    digits = code.zfill(6)
    return f"{digits}.SZ" if digits.startswith("399") else f"{digits}.SH"


def _normalize(code: str, index_codes: bool) -> str:
    text = code.strip().lstrip("'")
    if index_codes and text.isdigit():
        return _index_symbol(text)
    return normalize_symbol(text)


def symbol_from_filename(path: Path, index_codes: bool = False) -> str | None:
    """A symbol read from a file name: 'sh.000905.csv' → 000905.SH, 'stock_603083_x.csv' → 603083.SH,
    'csi500_index_daily.csv' → 000905.SH; None when the name has no code."""
    stem = path.name.split(".csv")[0].split(".parquet")[0].lower()
    match = re.search(r"(?<![a-z])(sh|sz|bj)[._]?(\d{6})(?!\d)", stem)
    if match:
        return normalize_symbol(f"{match.group(2)}.{match.group(1)}")
    match = re.search(r"(?<!\d)(\d{6})(?!\d)", stem)
    if match:
        return _normalize(match.group(1), index_codes)
    for alias, symbol in _NAME_ALIASES.items():
        if alias in stem:
            return symbol
    return None


def _resolve_symbols(
    df: pl.DataFrame, path: Path, layout: Layout, override: str | None
) -> tuple[pl.DataFrame, list[Issue], list[str]]:
    """Fill ``symbol`` (override > column > file name); unrecognisable codes are row errors."""
    notes: list[str] = []
    if override is not None:
        return (
            df.with_columns(pl.lit(normalize_symbol(override)).alias("symbol")),
            [],
            [f"symbol {override} given"],
        )
    if "symbol" not in df.columns:
        sym = symbol_from_filename(path, layout.index_codes)
        if sym is None:
            raise UnknownLayoutError(f"{path}: no code column and no code in the file name; pass symbol=")
        notes.append(f"symbol {sym} taken from the file name")
        return df.with_columns(pl.lit(sym).alias("symbol")), [], notes
    raw = df["symbol"].cast(pl.Utf8)
    mapping: dict[str, str | None] = {}
    for code in raw.drop_nulls().unique().to_list():
        try:
            mapping[code] = _normalize(code, layout.index_codes)
        except ValueError:
            mapping[code] = None
    df = df.with_columns(raw.replace_strict(mapping, default=None, return_dtype=pl.Utf8).alias("symbol"))
    bad = df.with_columns(raw.alias("_raw")).filter(pl.col("symbol").is_null()).select(ROW, "_raw")
    issues = [
        Issue("bad_symbol", Severity.ERROR, int(r), "symbol", f"not a security code: {v!r}", v)
        for r, v in bad.iter_rows()
    ]
    return df, issues, notes


# ----------------------------------------------------------------------------------------------- frames
def _conform(df: pl.DataFrame, table: str, source: str) -> pl.DataFrame:
    """Columns of `table` in order (absent ones null), cast to its dtypes, plus ``_row``; sorted by key."""
    spec = get_table(table)
    exprs = [
        (pl.col(name) if name in df.columns else pl.lit(None)).cast(dtype, strict=False).alias(name)
        for name, dtype in spec.polars_schema().items()
        if name != "source"
    ]
    if "source" in spec.column_names:
        exprs.append(pl.lit(source).alias("source"))
    return df.select([*exprs, pl.col(ROW)]).sort([*spec.primary_key, ROW])


def _table_column(symbols: pl.Series) -> pl.Series:
    """Target table of each row from the board of its symbol (indices, ETFs, else stocks), once per distinct
    symbol."""
    uniq = symbols.drop_nulls().unique()
    boards = board_codes(uniq, normalized=True)
    names = {int(Board.INDEX): "index_daily", int(Board.ETF): "etf_daily"}
    mapping = {sym: names.get(int(b), "daily_quote") for sym, b in zip(uniq.to_list(), boards, strict=True)}
    return symbols.replace_strict(mapping, default="daily_quote", return_dtype=pl.Utf8).alias("_table")


def _bars(
    df: pl.DataFrame, layout: Layout, source: str, repair_units: bool
) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame], list[str], list[Issue]]:
    """Bars → {table: frame} (+ reference frames, notes, issues)."""
    tables: dict[str, pl.DataFrame] = {}
    reference: dict[str, pl.DataFrame] = {}
    notes: list[str] = []
    issues: list[Issue] = []
    if "adjustflag" in df.columns and df["adjustflag"].drop_nulls().ne(3).any():
        flag = int(df["adjustflag"].drop_nulls()[0])
        notes.append(
            f"adjustflag={flag}: {'forward' if flag == 2 else 'backward'}-adjusted prices are not stored in "
            "daily_quote (unadjusted); kept as reference 'bars_adjusted'"
        )
        reference["bars_adjusted"] = df.sort("symbol", "trade_date")
        return tables, reference, notes, issues
    if layout.name == "netease":
        empty_mv = "total_mcap" not in df.columns or df["total_mcap"].null_count() == df.height
        if empty_mv and "symbol" in df.columns:
            code = pl.col("symbol").str.slice(0, 6)
            df = df.with_columns(
                pl.when(code.str.starts_with("399"))
                .then(code + ".SZ")
                .otherwise(code + ".SH")
                .alias("symbol")
            )
            notes.append("NetEase file without market values: an index (000xxx → .SH, 399xxx → .SZ)")
    if "float_mcap" in df.columns and "float_shares" not in df.columns:
        df = df.with_columns(
            (pl.col("float_mcap") / pl.col("close")).round(0).alias("float_shares"),
            (pl.col("total_mcap") / pl.col("close")).round(0).alias("total_shares"),
        )
        notes.append("float/total shares = market value / close")
    if layout.reference is not None:
        name, cols = layout.reference
        keep = [c for c in cols if c in df.columns]
        reference[name] = df.select("symbol", "trade_date", *keep, ROW).sort("symbol", "trade_date")
        notes.append(f"{', '.join(keep)}: reference '{name}', not stored")
    df = df.with_columns(_table_column(df["symbol"]))
    for (table,), part in df.group_by("_table", maintain_order=True):
        is_index = table == "index_daily"
        part, unit_notes, unit_issues = convert_units(part, layout, is_index, repair_units)
        notes += [n for n in unit_notes if n not in notes]
        issues += unit_issues
        if "is_st" in part.columns:
            part = part.with_columns((pl.col("is_st") == 1).alias("is_st"))
        if table == "daily_quote":
            part = mark_suspended(part, "tradestatus")
            if "turnover" not in part.columns and "float_shares" in part.columns:
                part = part.with_columns((pl.col("volume") / pl.col("float_shares") * 100).alias("turnover"))
                notes.append("turnover = volume / float_shares × 100")
        if is_index:
            part = part.rename({"symbol": "index_code"})
        tables[str(table)] = _conform(part, str(table), source)
        if table == "daily_quote" and {"pe_ttm", "pb"} <= set(part.columns):
            tables["daily_valuation"] = _conform(part, "daily_valuation", source)
    return tables, reference, notes, issues


def _previous_sessions(dates: pl.Series) -> pl.Series:
    """The XSHG trading day strictly before each date (`market.calendar`); the file's previous row if the
    calendar cannot answer."""
    try:
        import numpy as np

        from thermoquant.market.calendar import sessions

        days = sessions()
        values = dates.to_numpy().astype("datetime64[D]")
        pos = np.searchsorted(days, values, side="left") - 1
        if (pos < 0).any() or (values > days[-1]).any():
            raise ValueError("dates outside the calendar")
        return pl.Series(dates.name, days[pos]).cast(pl.Date)
    except (ImportError, ValueError):
        return dates.shift(1)


def _build(
    df: pl.DataFrame, layout: Layout, source: str, repair_units: bool
) -> tuple[str | None, dict[str, pl.DataFrame], dict[str, pl.DataFrame], list[str], list[Issue]]:
    """Dispatch on the layout kind → (main table, tables, reference, notes, issues)."""
    kind = layout.kind
    if kind == "bars":
        tables, reference, notes, issues = _bars(df, layout, source, repair_units)
        return (next(iter(tables)) if tables else None), tables, reference, notes, issues
    if kind == "strategy_reference":
        df = df.with_columns(pl.lit("000905.SH").alias("symbol"))
        tables, _, notes, issues = _bars(df, layout, source, repair_units)
        feats = [c for c in df.columns if c not in (*OHLC_COLUMNS, "volume", "amount", "symbol", ROW)]
        ref = df.select([*feats, ROW]).sort("trade_date")
        return (
            "index_daily",
            tables,
            {"strategy_reference": ref},
            [*notes, "000905.SH (CSI500) by layout"],
            issues,
        )
    if kind == "index_weight":
        if "effective_date" not in df.columns:
            df = df.with_columns(pl.col("snapshot_date").alias("effective_date"))
        df = df.with_columns(
            pl.col("index_code").map_elements(lambda c: _normalize(c, True), return_dtype=pl.Utf8)
        )
        return "index_weight", {"index_weight": _conform(df, "index_weight", source)}, {}, [], []
    if kind == "fund_share_implied":
        notes = ["fd_share 万份 × 10⁴ → shares"]
        if layout.name == "implied_fd_share":
            df = df.sort("trade_date").with_columns(
                _previous_sessions(df.sort("trade_date")["trade_date"]).alias("trade_date")
            )
            notes.append("value is the previous trading day's fd_share (seed 004: turnover uses T-1 shares)")
        df = df.with_columns((pl.col("fd_share_10k") * 1e4).alias("fd_share"))
        return "fund_share", {"fund_share": _conform(df, "fund_share", source)}, {}, notes, []
    if kind == "breadth":
        df = df.with_columns(pl.lit("000905.SH").alias("index_code"))
        return (
            None,
            {},
            {"breadth": df.select("index_code", "trade_date", "breadth", ROW).sort("trade_date")},
            ["breadth % of CSI500 constituents above MA20: a reference series, not stored"],
            [],
        )
    if kind == "etf_close_turnover":
        ref = df.select(
            "symbol",
            "trade_date",
            pl.col("close").alias("close_adj"),
            pl.col("turnover").alias("turnover_pct"),
            ROW,
        )
        return (
            None,
            {},
            {"etf_close_turnover": ref.sort("symbol", "trade_date")},
            ["close is backward-adjusted and turnover is the vendor's: reference only, not stored"],
            [],
        )
    # close_qfq
    conv, notes, _ = convert_units(df, layout, False, False) if "volume" in df.columns else (df, [], [])
    keep = [c for c in ("symbol", "trade_date", "close", "volume", "amount") if c in conv.columns]
    ref = conv.select([*keep, ROW]).sort("symbol", "trade_date")
    return (
        None,
        {},
        {"close_qfq": ref},
        [*notes, "forward-adjusted closes: reference 'close_qfq', not stored"],
        [],
    )


# ----------------------------------------------------------------------------------------------- public API
def read_file(
    path: str | Path,
    *,
    symbol: str | None = None,
    repair_units: bool = False,
    config: QualityConfig | None = None,
) -> ImportResult:
    """Read, normalise and validate one file; nothing is written.

    Args:
        path: a CSV (``.csv``, ``.csv.gz``, UTF-8/GBK) or Parquet file in one of :data:`LAYOUTS`.
        symbol: force the security code (otherwise from the code column or the file name).
        repair_units: rows whose volume is in 手 inside a file in shares get × 100 and a warning instead of
            being rejected (default False: such rows are errors).
        config: thresholds of the quality rules.

    Returns:
        The :class:`ImportResult`; rows with errors are in ``rejected``, not in ``frame``.

    Raises:
        UnknownLayoutError: the header matches no layout, or the file has no code anywhere.
    """
    path = Path(path)
    cfg = config or QualityConfig()
    raw, encoding = read_raw(path)
    layout = detect_layout(raw.columns)
    rename: dict[str, str] = {}
    for src, dst in layout.rename.items():  # first present source wins (AKShare: 股票代码 or 代码)
        if src in raw.columns and dst not in rename.values():
            rename[src] = dst
    df = raw.select(
        [pl.col(src).alias(dst) for src, dst in rename.items()]
        + [c for c in raw.columns if c not in rename and c not in rename.values()]
    )
    issues: list[Issue] = check_scientific_notation(
        df, ["amount", "volume"], cfg.sci_notation_severity, cfg.sci_notation_min_lost_digits
    )
    numeric = [
        c
        for c in df.columns
        if c in _NUMERIC or (layout.kind == "strategy_reference" and c not in (*_DATES, ROW, "symbol"))
    ]
    df, num_issues = _parse_numbers(df, numeric)
    df, date_issues = _parse_dates(df, [c for c in _DATES if c in df.columns])
    issues += num_issues + date_issues
    notes = [f"layout {layout.name}: {layout.doc}", f"encoding {encoding}"]
    if raw.height == 0:
        notes.append("the file has no data rows")
    if layout.kind not in ("breadth", "strategy_reference"):
        df, sym_issues, sym_notes = _resolve_symbols(df, path, layout, symbol)
        issues += sym_issues
        notes += sym_notes
    source = f"csv:{path.name}"
    table, tables, reference, build_notes, build_issues = _build(df, layout, source, repair_units)
    notes += build_notes
    issues += build_issues
    for name, frame in tables.items():
        issues += validate(frame, name, config=cfg)
    for name, frame in reference.items():
        issues += _validate_reference(name, frame, cfg)
    bad_rows = {i.row for i in issues if i.severity is Severity.ERROR and i.row is not None}
    errors = [i for i in issues if i.severity is Severity.ERROR]
    clean_tables = {n: split_rejected(f, errors)[0].drop(ROW) for n, f in tables.items()}
    clean_ref = {n: split_rejected(f, errors)[0].drop(ROW) for n, f in reference.items()}
    main = clean_tables.pop(table) if table in clean_tables else pl.DataFrame()
    if bad_rows:
        notes.append(f"{len(bad_rows)} row(s) rejected")
    keys = _row_keys(df, {i.row for i in issues if i.row is not None})
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
    )


def _validate_reference(name: str, frame: pl.DataFrame, cfg: QualityConfig) -> list[Issue]:
    if name == "breadth":
        return validate(frame, "breadth", key=("index_code", "trade_date"), config=cfg)
    if name == "strategy_reference":
        return check_range(frame, "breadth", 0.0, 100.0) + check_leading_zeros(frame, "breadth")
    if name == "etf_close_turnover":
        return validate(frame, name, key=("symbol", "trade_date"), config=cfg) + check_price_jumps(
            frame, "close_adj", cfg.jump_factor, by="symbol"
        )
    if name == "etf_turnover":
        return check_negative(frame, ["etf_turnover_pct"])
    if name in ("close_qfq", "bars_adjusted"):
        return validate(frame, name, key=("symbol", "trade_date"), config=cfg)
    return []


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
    parts = [c for c in ("symbol", "trade_date", "effective_date") if c in df.columns]
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
    progress: bool = True,
    *,
    repair_units: bool = False,
    config: QualityConfig | None = None,
) -> list[ImportResult]:
    """Import files (and folders of files) into `store`: what `tq import PATH…` runs.

    Every file is read and validated before anything is written. Then each table of each file is written with
    one ``store.upsert`` (one transaction per table; re-running changes nothing). ``strict``: a file with any
    error is refused whole (``refused=True``, nothing of it written). Default: clean rows are written, every
    rejected row is in the results (print them with :func:`render_report`). A file that cannot be read is
    refused either way. ``store=None`` validates only (a dry run).
    """
    files = expand_paths(paths)
    results: list[ImportResult] = []
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("读取与校验 reading", total=len(files))
        for path in files:
            bar.update(task, description=f"读取 {path.name}")
            try:
                results.append(read_file(path, repair_units=repair_units, config=config))
            except (UnknownLayoutError, OSError, pl.exceptions.PolarsError) as exc:
                results.append(_failed(path, exc))
            bar.advance(task)
    for result in results:
        if strict and result.rejected:
            result.refused = True
    if store is not None:
        write_results(results, store, progress)
    return results


def write_results(results: Sequence[ImportResult], store: StoreLike, progress: bool = True) -> None:
    """Write every table frame of the results not refused (one ``store.upsert`` per table and file); fills
    ``written``."""
    writes = [(r, t, f) for r in results if not r.refused for t, f in r.tables().items() if f.height]
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("写入 writing", total=len(writes))
        for result, table, frame in writes:
            bar.update(task, description=f"写入 {table} ← {result.path.name}")
            result.written[table] = store.upsert(table, frame)
            bar.advance(task)


# ----------------------------------------------------------------------------------------------- report
