"""Vendor response → our frame: the mapping steps every adapter shares.

An adapter describes a vendor endpoint as a column mapping (`vendor → ours`) plus unit factors, and calls
:func:`map_columns`; :func:`conform` then gives exactly the target table's columns and dtypes. Conventions: prices
CNY, volume shares, amount CNY, dates `pl.Date`, symbols `600000.SH` (normalised with
`thermoquant.market.symbols`), boards from `thermoquant.market.symbols.board_expr`.

* :func:`to_polars` — pandas frame / list of dicts / None → Polars.
* :func:`rename_checked` — checked rename: a missing column raises :class:`SchemaMismatchError` naming the source,
  the dataset and the column (renamed-column defence).
* :func:`map_columns` — rename, parse dates, cast and scale numbers, add constants and derived columns.
* :func:`conform` — cast to the table's schema (:func:`cast_to_schema`: absent columns null, `source`
  stamped), drop blank keys, clip and sort. The file import (`csv`) uses :func:`cast_to_schema` and
  :func:`ensure_date` too.
* :func:`concat_parts` — per-symbol / per-day answers stacked, empty ones skipped;
  :func:`block_trade_sequence` — the `seq` key of block trades.
* symbol helpers: :func:`normalize_symbol_column`, :func:`keep_symbols`, :func:`with_board_columns`,
  :func:`stock_info_rows`; vendor spellings :func:`bare_code`, :func:`prefixed_code`; :func:`yyyymmdd` for the
  vendors' date arguments; :func:`same_names` for columns the vendor names as we do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import polars as pl

from thermoquant.data.schema import get_table
from thermoquant.data.sources.base import DATASET_TABLES, SPOT_SCHEMA, SchemaMismatchError, SourceError
from thermoquant.market.symbols import Board, board_expr, exchange_of, normalize_symbol, normalize_symbols

# Column a fetch's [start, end] applies to, per dataset (default `trade_date`; None = not clipped).
CLIP_COLUMNS: dict[str, str | None] = {
    "stock_info": None,
    "industry_member": None,
    "st_history": None,
    "spot": None,
    "minute_quote": None,
    "index_weight": "effective_date",
    "finance_data": "ann_date",
    "share_unlock": "unlock_date",
    "macro": "period_date",
    "trade_calendar": "cal_date",
}

OHLC: tuple[str, ...] = ("open", "high", "low", "close")

# `stock_info.board` text of each stock board (other boards → null).
BOARD_NAMES: dict[Board, str] = {
    Board.SH_MAIN: "sh_main",
    Board.SZ_MAIN: "sz_main",
    Board.CHINEXT: "chinext",
    Board.STAR: "star",
    Board.BSE: "bse",
}


def same_names(*names: str) -> dict[str, str]:
    """A `vendor → ours` mapping for columns the vendor already names as we do."""
    return {n: n for n in names}


def target_schema(dataset: str) -> tuple[dict[str, pl.DataType], tuple[str, ...]]:
    """(Polars schema, primary key) of the frame `dataset` is delivered as (`spot`: :data:`SPOT_SCHEMA`)."""
    table_name = DATASET_TABLES[dataset]
    if table_name is None:
        return SPOT_SCHEMA, ("symbol",)
    table = get_table(table_name)
    return table.polars_schema(), table.primary_key


def to_polars(raw: Any, source: str, dataset: str) -> pl.DataFrame:
    """A vendor response (pandas frame, list of dicts, Polars frame, None) as a Polars frame.

    Object columns holding `datetime.date` values (AKShare converts with `.dt.date`) become `pl.Date`.
    """
    if raw is None:
        return pl.DataFrame()
    if isinstance(raw, pl.DataFrame):
        return raw
    import pandas as pd

    if isinstance(raw, pd.DataFrame):
        if raw.empty and len(raw.columns) == 0:
            return pl.DataFrame()
        frame = raw.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        return pl.from_pandas(frame)
    if isinstance(raw, list):
        return pl.DataFrame(raw) if raw else pl.DataFrame()
    raise SourceError(source, dataset, f"unexpected response type {type(raw).__name__}")


def rename_checked(
    frame: pl.DataFrame,
    mapping: Mapping[str, str],
    source: str,
    dataset: str,
    *,
    optional: Iterable[str] = (),
) -> pl.DataFrame:
    """Select and rename vendor columns (`vendor → ours`); a missing required column raises `SchemaMismatchError`.

    Columns listed in `optional` (vendor names) may be absent; they come out as null.
    """
    optional_set = set(optional)
    exprs: list[pl.Expr] = []
    for vendor_col, ours in mapping.items():
        if vendor_col in frame.columns:
            exprs.append(pl.col(vendor_col).alias(ours))
        elif vendor_col in optional_set:
            exprs.append(pl.lit(None).alias(ours))
        else:
            raise SchemaMismatchError(source, dataset, vendor_col, frame.columns)
    return frame.select(exprs)


def parse_date_expr(col: str) -> pl.Expr:
    """A date column given as `date`, 'YYYYMMDD', 'YYYY-MM-DD', 'YYYY/M/D' or int 20240105 → pl.Date.

    A time part after a blank or 'T' is ignored ('2024-01-05 00:00:00', '2024/1/5 0:00'); anything else that
    is not a date (text, impossible dates like '2024-13-01') → null.
    """
    text = pl.col(col).cast(pl.Utf8).str.strip_chars().str.split(" ").list.first().str.split("T").list.first()
    dashed = text.str.replace_all("/", "-")
    return pl.coalesce(
        dashed.str.to_date("%Y-%m-%d", strict=False), text.str.to_date("%Y%m%d", strict=False)
    ).alias(col)


def ensure_date(frame: pl.DataFrame, col: str) -> pl.DataFrame:
    """Make `col` a `pl.Date` column whatever the vendor or file gave (:func:`parse_date_expr`; else null).

    Text that is all clean 'YYYY-MM-DD' takes one fast pass.
    """
    dtype = frame.schema[col]
    if dtype == pl.Date:
        return frame
    if isinstance(dtype, pl.Datetime):
        return frame.with_columns(pl.col(col).dt.date())
    if dtype == pl.Utf8:
        fast = frame[col].str.to_date("%Y-%m-%d", strict=False)
        if fast.null_count() == frame[col].null_count():
            return frame.with_columns(fast)
    return frame.with_columns(parse_date_expr(col))


def normalize_symbol_column(frame: pl.DataFrame, col: str = "symbol") -> pl.DataFrame:
    """Normalise a code column to `600000.SH` style (`normalize_symbols`; nulls stay null, conform drops them)."""
    codes = frame[col].cast(pl.Utf8)
    present = codes.drop_nulls().unique()
    mapping = dict(zip(present.to_list(), normalize_symbols(present).to_list(), strict=True))
    return frame.with_columns(codes.replace(mapping).alias(col))


def keep_symbols(frame: pl.DataFrame, symbols: Sequence[str] | None, col: str = "symbol") -> pl.DataFrame:
    """Rows whose `col` is one of `symbols` (any spelling); all rows when `symbols` is empty or None."""
    if not symbols or col not in frame.columns:
        return frame
    return frame.filter(pl.col(col).is_in([normalize_symbol(s) for s in symbols]))


def with_board_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Add `exchange` ('SH', 'SZ', 'BJ') and `board` (:data:`BOARD_NAMES`, null off the stock boards) by `symbol`."""
    names = {int(board): name for board, name in BOARD_NAMES.items()}
    return frame.with_columns(
        pl.col("symbol").str.slice(7, 2).alias("exchange"),
        board_expr("symbol").replace_strict(names, default=None, return_dtype=pl.Utf8).alias("board"),
    )


def stock_info_rows(frame: pl.DataFrame, symbols: Sequence[str] | None) -> pl.DataFrame:
    """`stock_info` rows: only `symbols` (when given), `exchange` and `board` added, `updated_at` = now."""
    out = with_board_columns(keep_symbols(frame, symbols))
    return out.with_columns(pl.lit(datetime.now()).alias("updated_at"))


def map_columns(
    raw: pl.DataFrame,
    mapping: Mapping[str, str],
    source: str,
    dataset: str,
    *,
    optional: Iterable[str] = (),
    units: Mapping[str, float] | None = None,
    constants: Mapping[str, Any] | None = None,
    derived: Sequence[pl.Expr] = (),
) -> pl.DataFrame:
    """A vendor frame in our columns and units, in these steps:

    1. :func:`rename_checked` (`mapping` is vendor → ours; `optional` vendor columns may be absent → null);
    2. every mapped column the target table types as a date is parsed (:func:`ensure_date`);
    3. every mapped column the table types as Float64, and every column of `units`, is cast to Float64 (text that
       is no number, like Baostock's '' on suspended days, → null) and multiplied by its `units` factor (vendor
       unit → ours, e.g. 100 shares per 手, 1000 CNY per 千元);
    4. a mapped `symbol` column is normalised to `600000.SH`;
    5. `constants` (our column → one value, e.g. the requested symbol) are added, then each `derived`
       expression in turn (later ones may use earlier ones).

    An empty response (vendors answer empty frames without columns) gives an empty frame with the mapped columns,
    so `derived` and later steps still apply.
    """
    schema, _ = target_schema(dataset)
    if raw.height == 0:
        out = pl.DataFrame(schema={ours: schema.get(ours, pl.Utf8()) for ours in mapping.values()})
    else:
        out = rename_checked(raw, mapping, source, dataset, optional=optional)
    for col in out.columns:
        if schema.get(col) == pl.Date:
            out = ensure_date(out, col)
    factors = {c: 1.0 for c in out.columns if schema.get(c) == pl.Float64} | dict(units or {})
    out = out.with_columns(
        (pl.col(c).cast(pl.Float64, strict=False) * f).alias(c)
        for c, f in factors.items()
        if c in out.columns
    )
    if "symbol" in out.columns:
        out = normalize_symbol_column(out)
    if constants:
        out = out.with_columns(pl.lit(v).alias(k) for k, v in constants.items())
    for expr in derived:
        out = out.with_columns(expr)
    return out


def block_trade_sequence(frame: pl.DataFrame) -> pl.DataFrame:
    """`seq`: 1, 2, … for the block trades of one stock-day, in the vendor's order (the table's key)."""
    return frame.with_columns(
        (pl.int_range(pl.len()).over("symbol", "trade_date") + 1).cast(pl.Int64).alias("seq")
    )


def concat_parts(parts: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """The non-empty `parts` stacked (columns matched by name, dtypes relaxed), or an empty frame."""
    frames = [p for p in parts if p.height]
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()


def cast_to_schema(
    frame: pl.DataFrame, schema: Mapping[str, pl.DataType], source: str, *, keep: Sequence[str] = ()
) -> pl.DataFrame:
    """Exactly `schema`'s columns in its order, then the `keep` columns; no row dropped, deduplicated or sorted.

    Present columns are cast non-strictly (text that is no number → null), absent ones are null, and a
    `source` column of the schema is filled with `source` where the frame has none.
    """
    if "source" in schema and "source" not in frame.columns:
        frame = frame.with_columns(pl.lit(source).alias("source"))
    exprs = [
        pl.col(name).cast(dtype, strict=False)
        if name in frame.columns
        else pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in schema.items()
    ]
    return frame.select([*exprs, *keep])


def conform(
    frame: pl.DataFrame,
    dataset: str,
    source: str,
    *,
    start: date | None = None,
    end: date | None = None,
    date_col: str | None = None,
) -> pl.DataFrame:
    """Cast to the target table's schema, add absent columns as null, stamp `source`, clip and sort.

    Rows with a null key are dropped (vendors pad with blank rows); the sort is by the primary key.
    """
    schema, key = target_schema(dataset)
    out = cast_to_schema(frame, schema, source)
    out = out.drop_nulls(subset=list(key))
    if date_col is not None and out.height:
        if start is not None:
            out = out.filter(pl.col(date_col).cast(pl.Date) >= start)
        if end is not None:
            out = out.filter(pl.col(date_col).cast(pl.Date) <= end)
    return out.unique(subset=list(key), keep="last").sort(list(key))


def yyyymmdd(d: date | None, default: str) -> str:
    """A date as the vendors' 'YYYYMMDD' string, or `default` when None."""
    return d.strftime("%Y%m%d") if d is not None else default


def bare_code(symbol: str) -> str:
    """'600000.SH' → '600000'."""
    return normalize_symbol(symbol)[:6]


def prefixed_code(symbol: str, sep: str = "") -> str:
    """'600000.SH' → 'sh600000' (Sina), or 'sh.600000' with `sep='.'` (Baostock)."""
    return f"{exchange_of(symbol).lower()}{sep}{bare_code(symbol)}"
