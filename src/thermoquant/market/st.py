"""Risk-warning (ST, *ST) status of A-shares by date.

Two sources of truth, both vectorised:

* an ST-history frame of intervals `(symbol, start_date, end_date, kind)`: the stock is under risk warning from
  `start_date` to `end_date`, both inclusive; a null `end_date` means "still ST"; `kind` is free text such as
  'ST' or '*ST'. :func:`st_flags` turns it into a boolean per (symbol, date) row with an as-of join.
* security names: :func:`is_st_name` / :func:`st_name_flags` detect names starting 'ST', '*ST', 'SST', 'S*ST'
  (full-width '＊' accepted, leading blanks ignored).

:func:`st_history_from_flags` goes the other way, collapsing daily flags (e.g. Baostock's `isST`, or daily names via
:func:`st_name_kinds`) into intervals.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

__all__ = [
    "ST_NAME_PREFIXES",
    "is_st_name",
    "st_flags",
    "st_history_from_flags",
    "st_name_flags",
    "st_name_kinds",
]

#: Name prefixes that mark a risk-warning stock (S = not yet through the 2005-2006 split-share reform).
ST_NAME_PREFIXES: tuple[str, ...] = ("S*ST", "SST", "*ST", "ST")

_FAR_FUTURE = dt.date(9999, 12, 31)


def _clean_names(names: pl.Expr) -> pl.Expr:
    return names.str.strip_chars_start().str.replace_all("＊", "*", literal=True).str.to_uppercase()


def is_st_name(name: str | None) -> bool:
    """True if a security name marks a risk-warning stock ('ST康美', '*ST海航', 'SST前锋', 'S*ST聚友')."""
    if not name:
        return False
    cleaned = name.lstrip().replace("＊", "*").upper()
    return cleaned.startswith(ST_NAME_PREFIXES)


def st_name_flags(names: pl.Series) -> pl.Series:
    """Vectorised :func:`is_st_name` over a Series of names; null names give False. Named `is_st`."""
    frame = pl.DataFrame({"name": names.cast(pl.Utf8)})
    cleaned = _clean_names(pl.col("name"))
    flag = pl.any_horizontal([cleaned.str.starts_with(prefix) for prefix in ST_NAME_PREFIXES])
    return frame.select(flag.fill_null(False).alias("is_st")).to_series()


def st_name_kinds(names: pl.Series) -> pl.Series:
    """The risk-warning prefix of each name ('S*ST', 'SST', '*ST', 'ST'), null when the name is not ST.

    Named `st_kind`; the longest matching prefix wins.
    """
    frame = pl.DataFrame({"name": names.cast(pl.Utf8)})
    cleaned = _clean_names(pl.col("name"))
    kind: pl.Expr = pl.lit(None, dtype=pl.Utf8)
    for prefix in reversed(ST_NAME_PREFIXES):  # ST_NAME_PREFIXES is longest first; build so that it wins
        kind = pl.when(cleaned.str.starts_with(prefix)).then(pl.lit(prefix)).otherwise(kind)
    return frame.select(kind.alias("st_kind")).to_series()


def _check_columns(frame: pl.DataFrame, needed: tuple[str, ...], what: str) -> None:
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {missing}; it has {frame.columns}")


def st_flags(
    frame: pl.DataFrame,
    history: pl.DataFrame,
    *,
    symbol_col: str = "symbol",
    date_col: str = "date",
) -> pl.DataFrame:
    """Add `is_st` (bool) and `st_kind` (str, null when not ST) to a long (symbol, date) frame.

    Overlapping or nested intervals of one symbol are honoured (a date is ST if any interval covers it); `st_kind`
    is the kind of the latest-starting interval that began on or before the date and still covers it.
    Row order of `frame` is preserved.

    Args:
        frame: rows with `symbol_col` (str) and `date_col` (Date).
        history: intervals with columns symbol, start_date, end_date (nullable), kind.
    """
    _check_columns(frame, (symbol_col, date_col), "frame")
    _check_columns(history, ("symbol", "start_date", "end_date", "kind"), "ST history")
    intervals = (
        history.select(
            pl.col("symbol").cast(pl.Utf8).alias("_sym"),
            pl.col("start_date").cast(pl.Date).alias("_start"),
            pl.col("end_date").cast(pl.Date).fill_null(_FAR_FUTURE).alias("_end"),
            pl.col("kind").cast(pl.Utf8).alias("_kind"),
        )
        .sort("_sym", "_start")
        .with_columns(pl.col("_end").cum_max().over("_sym").alias("_covered_until"))
    )
    bad = intervals.filter(pl.col("_end") < pl.col("_start"))
    if bad.height:
        row = bad.row(0, named=True)
        raise ValueError(f"ST interval ends before it starts: {row['_sym']} {row['_start']} .. {row['_end']}")
    left = frame.with_row_index("_row").with_columns(
        pl.col(symbol_col).cast(pl.Utf8).alias("_sym"), pl.col(date_col).cast(pl.Date).alias("_date")
    )
    joined = left.sort("_sym", "_date").join_asof(
        intervals,
        left_on="_date",
        right_on="_start",
        by="_sym",
        strategy="backward",
        check_sortedness=False,  # both sides are sorted by (_sym, date) just above
    )
    covered = pl.col("_covered_until").is_not_null() & (pl.col("_date") <= pl.col("_covered_until"))
    latest_covers = pl.col("_end").is_not_null() & (pl.col("_date") <= pl.col("_end"))
    return (
        joined.with_columns(
            covered.alias("is_st"),
            pl.when(latest_covers)
            .then(pl.col("_kind"))
            .otherwise(pl.lit(None, dtype=pl.Utf8))
            .alias("st_kind"),
        )
        .sort("_row")
        .drop("_row", "_sym", "_date", "_start", "_end", "_kind", "_covered_until")
    )


def st_history_from_flags(
    flags: pl.DataFrame,
    *,
    symbol_col: str = "symbol",
    date_col: str = "date",
    flag_col: str = "is_st",
    kind: str = "ST",
    kind_col: str | None = None,
) -> pl.DataFrame:
    """Collapse daily flags into intervals (symbol, start_date, end_date, kind) — the `st_history` table's shape.

    A run of consecutive flagged rows of one symbol (in date order) becomes one interval from its first to its last
    flagged date. A run still open at the symbol's last row keeps its last flagged date as `end_date` (the data
    does not say more). With `kind_col` (e.g. from :func:`st_name_kinds`), a change of kind ('ST' → '*ST') starts
    a new interval and each interval carries its kind; otherwise every interval gets `kind`.
    """
    needed = (
        (symbol_col, date_col, flag_col) if kind_col is None else (symbol_col, date_col, flag_col, kind_col)
    )
    _check_columns(flags, needed, "flags frame")
    kind_expr = pl.lit(kind) if kind_col is None else pl.col(kind_col).cast(pl.Utf8).fill_null(kind)
    ordered = flags.select(
        pl.col(symbol_col).cast(pl.Utf8).alias("symbol"),
        pl.col(date_col).cast(pl.Date).alias("date"),
        pl.col(flag_col).cast(pl.Boolean).fill_null(False).alias("flag"),
        kind_expr.alias("kind"),
    ).sort("symbol", "date")
    changed = (pl.col("flag") != pl.col("flag").shift(1).over("symbol")) | (
        pl.col("kind") != pl.col("kind").shift(1).over("symbol")
    )
    runs = ordered.with_columns(changed.fill_null(True).cum_sum().alias("run"))
    return (
        runs.filter(pl.col("flag"))
        .group_by("symbol", "run")
        .agg(
            pl.col("date").min().alias("start_date"),
            pl.col("date").max().alias("end_date"),
            pl.col("kind").first(),
        )
        .sort("symbol", "start_date")
        .select("symbol", "start_date", "end_date", "kind")
    )
