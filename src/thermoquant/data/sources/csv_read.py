"""Reading a vendor file: bytes → text frame with row numbers → our column names → typed columns.

Every step that can fail on a value names the file's data row (``_row``, 1-based, header not counted) and the
column, so the import report can point at it:

* :func:`read_raw` — CSV (optionally ``.gz``; UTF-8 with or without BOM, else GBK/GB18030) read with every
  column as text, so scientific-notation amounts (``6.92105E+11``) can still be seen; Parquet as is;
* :func:`to_layout_columns` — the layout's renaming (first present source column wins);
* :func:`parse_columns` — scientific-notation check on the raw text, then numbers (:func:`parse_numbers`) and
  dates (:func:`parse_dates`, the vendor adapters' `frames.ensure_date`); values that are not numbers or dates
  are ``not_a_number`` / ``bad_date`` errors.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from thermoquant.data.quality import ROW, Issue, QualityConfig, Severity, check_scientific_notation
from thermoquant.data.sources.csv_layouts import Layout, UnknownLayoutError
from thermoquant.data.sources.csv_text import rewrite_vendor_text
from thermoquant.data.sources.frames import ensure_date

FILE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".txt", ".txt.gz")
"""File names the import reads (a folder is searched for these)."""

NULL_TOKENS = ("", "None", "none", "NULL", "null", "nan", "NaN", "NA", "-", "--")
"""Cells that mean "no value" in vendor files."""
NUMERIC_COLUMNS = (  # our columns parsed as Float64
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
    "roe",
)
DATE_COLUMNS = (
    "trade_date",
    "effective_date",
    "snapshot_date",
    "list_date",
    "last_date",
    "in_date",
    "out_date",
    "report_period",
)
DATETIME_COLUMNS = ("bar_time",)
"""Our columns parsed as wall-clock timestamps (``YYYY-MM-DD HH:MM[:SS]``, Asia/Shanghai, no zone)."""


class DamagedFileError(ValueError):
    """The file's bytes cannot be read as what its name says (a truncated or damaged ``.gz``); names the file."""


def _gunzip(data: bytes, path: Path) -> bytes:
    """Decompress a gzip file; a truncated or damaged one raises :class:`DamagedFileError` naming it."""
    try:
        return gzip.decompress(data)
    except EOFError as exc:  # the stream ends before its end marker: the download or copy was cut short
        raise DamagedFileError(
            f"{path.name}: 压缩文件不完整 / truncated gzip file ({len(data):,} bytes; {exc})"
        ) from exc
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise DamagedFileError(f"{path.name}: 压缩文件已损坏 / damaged gzip file ({exc})") from exc


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
            data = _gunzip(data, path)
        text, enc = _decode(data, path)
        payload = data.removeprefix(b"\xef\xbb\xbf") if enc == "utf-8" else text.encode("utf-8")
        sep = (
            "\t"
            if path.suffix == ".txt" or ("\t" in text.split("\n", 1)[0] and "," not in text.split("\n", 1)[0])
            else ","
        )
        vendor = rewrite_vendor_text(text, path)  # Tongdaxin exports, qlib instruments (`csv_text`)
        if vendor is not None:
            payload, sep, enc = vendor.text.encode("utf-8"), ",", f"{enc}; {vendor.note}"
        df = pl.read_csv(io.BytesIO(payload), infer_schema=False, separator=sep)
        df = df.rename({c: c.strip() for c in df.columns})
    return df.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64)), enc


def parse_numbers(df: pl.DataFrame, columns: Iterable[str]) -> tuple[pl.DataFrame, list[Issue]]:
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
        text = pl.when(text.is_in(list(NULL_TOKENS))).then(None).otherwise(text)
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


def parse_dates(df: pl.DataFrame, columns: Iterable[str]) -> tuple[pl.DataFrame, list[Issue]]:
    """Date columns → Date (`frames.ensure_date`: YYYY-MM-DD, YYYY/M/D, YYYYMMDD, 20240105, time part
    ignored); a row whose date is empty or unparsable is an error naming the row and the raw value."""
    issues: list[Issue] = []
    for col in columns:
        if col not in df.columns:
            continue
        raw = df.select(ROW, pl.col(col).cast(pl.Utf8).alias("_raw"))
        df = ensure_date(df, col)
        bad = raw.filter(df[col].is_null())
        issues += [
            Issue("bad_date", Severity.ERROR, int(r), col, f"{col} is not a date: {v!r}", v)
            for r, v in bad.iter_rows()
        ]
    return df, issues


def parse_datetimes(df: pl.DataFrame, columns: Iterable[str]) -> tuple[pl.DataFrame, list[Issue]]:
    """Timestamp columns → Datetime(us) (text ``YYYY-MM-DD HH:MM[:SS]`` or ``YYYY/MM/DD HH:MM``; a Parquet
    timestamp as is); an empty or unparsable value is a ``bad_date`` error naming the row and the raw value."""
    issues: list[Issue] = []
    for col in columns:
        if col not in df.columns:
            continue
        if isinstance(df.schema[col], pl.Datetime):
            df = df.with_columns(pl.col(col).dt.replace_time_zone(None).dt.cast_time_unit("us"))
            parsed = df[col]
        else:
            text = pl.col(col).cast(pl.Utf8).str.strip_chars().str.replace_all("/", "-")
            parsed = df.select(
                pl.coalesce(
                    text.str.to_datetime(f, time_unit="us", strict=False)
                    for f in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
                ).alias(col)
            )[col]
        bad = df.select(ROW, pl.col(col).cast(pl.Utf8).alias("_raw")).filter(parsed.is_null())
        issues += [
            Issue("bad_date", Severity.ERROR, int(r), col, f"{col} is not a date and time: {v!r}", v)
            for r, v in bad.iter_rows()
        ]
        df = df.with_columns(parsed.alias(col))
    return df, issues


def to_layout_columns(raw: pl.DataFrame, layout: Layout) -> pl.DataFrame:
    """`raw` with the layout's columns renamed to ours (the first present source of a column wins: AKShare's
    股票代码 or 代码); other columns are kept as they are."""
    rename: dict[str, str] = {}
    for src, dst in layout.rename.items():
        if src in raw.columns and dst not in rename.values():
            rename[src] = dst
    return raw.select(
        [pl.col(src).alias(dst) for src, dst in rename.items()]
        + [c for c in raw.columns if c not in rename and c not in rename.values()]
    )


def parse_columns(df: pl.DataFrame, layout: Layout, cfg: QualityConfig) -> tuple[pl.DataFrame, list[Issue]]:
    """Text columns of a renamed frame → numbers and dates, with the scientific-notation check on the raw text
    first (``6.92105E+11`` and ``692105000000`` are the same float). A strategy-reference file's feature
    columns are all numbers."""
    issues = check_scientific_notation(
        df, ["amount", "volume"], cfg.sci_notation_severity, cfg.sci_notation_min_lost_digits
    )
    numeric = [
        c
        for c in df.columns
        if c in NUMERIC_COLUMNS
        or (layout.kind == "strategy_reference" and c not in (*DATE_COLUMNS, ROW, "symbol"))
    ]
    df, num_issues = parse_numbers(df, numeric)
    df, date_issues = parse_dates(df, [c for c in DATE_COLUMNS if c in df.columns])
    df, time_issues = parse_datetimes(df, DATETIME_COLUMNS)
    return df, issues + num_issues + date_issues + time_issues
