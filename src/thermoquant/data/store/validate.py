"""Check and cast a Polars frame against its table before it reaches a database.

`prepare_frame` enforces, in this order, with errors naming the table and the column:
unknown columns; missing key columns; per-column casting to the schema's Polars dtype; null keys; duplicate keys
(naming the first duplicate). Casting rules beyond Polars' strict cast:

- float → int/bigint only when every value is whole (no silent truncation);
- datetime → date only when every value is at midnight;
- time-zone-aware datetimes are converted to Asia/Shanghai and made naive (the schema's convention);
- categorical/enum → text; ISO text → date/timestamp (parsed, format inferred).
"""

from __future__ import annotations

import polars as pl

from thermoquant.data.schema import Table

from .errors import ValidationError

EXCHANGE_TZ = "Asia/Shanghai"


def _cast_column(table: Table, series: pl.Series) -> pl.Series:
    col = table.column(series.name)
    target = table.polars_schema()[series.name]
    src = series.dtype
    where = f"{table.name}.{series.name} ({col.type})"
    if src == target:
        return series
    if isinstance(src, pl.Datetime) and src.time_zone is not None:
        series = series.dt.convert_time_zone(EXCHANGE_TZ).dt.replace_time_zone(None)
        src = series.dtype
    if src.is_float() and target.is_integer():
        finite = series.drop_nulls()
        if not bool((finite == finite.round(0)).all()):
            bad = finite.filter(finite != finite.round(0))[0]
            raise ValidationError(
                f"{where}: value {bad!r} is not a whole number; cannot store it as {col.type}"
            )
    if isinstance(src, pl.Datetime) and target == pl.Date():
        values = series.drop_nulls()
        off = values.filter(values.dt.truncate("1d") != values)
        if len(off):
            raise ValidationError(
                f"{where}: timestamp {off[0]} has a time of day; a date column needs midnight"
            )
    if isinstance(src, pl.Categorical | pl.Enum):
        series = series.cast(pl.Utf8)
        src = series.dtype
    try:
        if src == pl.Utf8() and target == pl.Date():
            return series.str.to_date(strict=True)
        if src == pl.Utf8() and isinstance(target, pl.Datetime):
            return series.str.to_datetime(time_unit="us", strict=True)
        return series.cast(target, strict=True)
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError) as exc:
        detail = str(exc).splitlines()[0]
        row = _first_bad_row(series, target)
        at = "" if row is None else f" at row {row + 1} of the batch (value {series[row]!r})"
        raise ValidationError(f"{where}: cannot cast {src} to {target}{at}: {detail}", row=row) from None


def _first_bad_row(series: pl.Series, target: pl.DataType) -> int | None:
    """0-based index of the first value a lenient cast turns into null, or None."""
    if series.dtype == pl.Utf8() and target == pl.Date():
        lenient = series.str.to_date(strict=False)
    elif series.dtype == pl.Utf8() and isinstance(target, pl.Datetime):
        lenient = series.str.to_datetime(time_unit="us", strict=False)
    else:
        lenient = series.cast(target, strict=False)
    lost = series.is_not_null() & lenient.is_null()
    return int(lost.arg_true()[0]) if lost.any() else None


def prepare_frame(table: Table, df: pl.DataFrame) -> pl.DataFrame:
    """Validate `df` for `table` and return it cast to the schema dtypes, columns in table order.

    Columns absent from `df` stay absent (the store leaves them untouched on update, null on insert).
    Raises :class:`ValidationError` on any mismatch.
    """
    names = table.column_names
    unknown = [c for c in df.columns if c not in names]
    if unknown:
        raise ValidationError(
            f"table {table.name} has no column {unknown[0]!r}"
            + (f" (and {len(unknown) - 1} more unknown: {unknown[1:]})" if len(unknown) > 1 else "")
            + f"; its columns are: {', '.join(names)}"
        )
    missing = [k for k in table.primary_key if k not in df.columns]
    if missing:
        raise ValidationError(
            f"table {table.name}: key column(s) {missing} missing from the frame; the key is {list(table.primary_key)}"
        )
    ordered = [c for c in names if c in df.columns]
    try:
        out = pl.DataFrame([_cast_column(table, df.get_column(c)) for c in ordered])
    except ValidationError as exc:
        row = exc.row
        if row is None or any(k not in df.columns for k in table.primary_key):
            raise
        key = {k: df.get_column(k)[row] for k in table.primary_key}
        raise ValidationError(f"{exc}; key {key}") from None
    for key in table.primary_key:
        nulls = out.get_column(key).is_null()
        if nulls.any():
            first = int(nulls.arg_true()[0])
            raise ValidationError(
                f"table {table.name}: key column {key!r} is null in {int(nulls.sum())} row(s), "
                f"first at row {first + 1} of the batch"
            )
    keys = list(table.primary_key)
    dup = out.select(keys).is_duplicated()
    if dup.any():
        first = out.select(keys).row(int(dup.arg_true()[0]), named=True)
        raise ValidationError(
            f"table {table.name}: duplicate key within the batch, first duplicate {first} "
            f"({int(dup.sum())} rows share a key with another row)"
        )
    return out
