"""Merging a new batch of market data into what is stored: source priority, lossy values, conflicts.

The store never lets a null erase a value (:mod:`thermoquant.data.store.base`). This module decides the harder
case, where the stored row and the incoming row both have a value, before anything reaches the store:

* a value the importer flagged **lossy** (``lossy`` column: the names of the row's columns written with lost
  precision, e.g. an amount printed as ``1.06E+11``) never replaces a value that is not lossy; a value that is not
  lossy always replaces a lossy one, whatever the sources;
* otherwise the **source priority** of the table decides (:class:`MergeConfig`): a source of the same or a better
  rank replaces the stored value, a worse one only fills what is missing;
* two sources that disagree beyond the column's tolerance (:meth:`MergeConfig.tolerance`) are a **conflict**:
  reported with both values and sources, and resolved by the rules above, never silently.

Sources: ``source`` holds ``<family>`` for fetched data (``tushare``, ``akshare``, ``baostock`` …) and
``<family>:<file>`` for an imported file (``baostock:sz.000025.csv``); :func:`source_family` reads the family.
Every stored value is ranked by its own source: the row's ``source`` is the best-ranked source among the row's
values, and ``cell_sources`` lists the values from other families (``turnover=baostock,float_shares=xbx``), so a
cell that a lower-ranked source filled can still be improved by a better one, and the stored result does not
depend on the order in which sources arrived (same-family sources excepted: the newest of one vendor wins).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl

from thermoquant.data.schema import get_table

__all__ = [
    "DEFAULT_PRIORITY",
    "LOSSY",
    "MERGED_TABLES",
    "Conflict",
    "MergeConfig",
    "MergeResult",
    "merge_upsert",
    "source_family",
]

LOSSY = "lossy"
"""Column of the bar tables naming the row's columns whose value is known to be imprecise (comma-separated)."""
CELL_SOURCES = "cell_sources"
"""Column of the multi-column market tables: ``column=family`` for each value that came from another source
family than the row's ``source`` (comma-separated), so that every stored value is ranked by its own source."""

DEFAULT_PRIORITY: tuple[str, ...] = (
    "tushare",
    "xtquant",
    "baostock",
    "akshare",
    "akshare_sina",
    "netease",
    "tdx",
    "xbx",
    "sample",
)
"""Source families, best first, for every merged table without its own list (``[source_priority]`` in tq.toml).

Why this order (vendors mostly disagree on volume, amount and turnover): Tushare publishes the exchange's figures
with full precision (vol 手 to 0.01, amount 千元 to 0.001) and a pre_close; miniQMT is the broker's own feed;
Baostock gives shares and yuan exactly; AKShare's Eastmoney history rounds volume to whole 手 and turnover to two
decimals; Sina, NetEase and Tongdaxin exports and redistributed files come after. Families not listed (``file``,
``derived``, ``jerryz`` …) rank after every listed one, equal among themselves. A user who trusts another vendor
more says so in tq.toml."""

MERGED_TABLES: frozenset[str] = frozenset(
    {"daily_quote", "index_daily", "etf_daily", "adj_factor", "daily_valuation", "fund_share"}
)
"""Tables written through :func:`merge_upsert` by imports and ingestion (market data several sources provide)."""

_PRICE_COLUMNS = frozenset({"open", "high", "low", "close", "pre_close", "up_limit", "down_limit"})
_NOT_COMPARED = frozenset({"source", LOSSY, CELL_SOURCES, "updated_at"})


def source_family(source: str | None) -> str:
    """``tushare`` for ``tushare`` and ``tushare:daily.csv``; ``""`` for None."""
    return "" if not source else source.split(":", 1)[0]


@dataclass(frozen=True)
class MergeConfig:
    """How two sources' values are weighed (named parameters with documented defaults).

    Attributes:
        priority: table → source families, best first; a table not listed uses ``default``.
        default: the order for every other merged table (:data:`DEFAULT_PRIORITY`).
        rel_tolerance: two values closer than this fraction of the larger are the same figure (1e-4: vendors'
            unit conversions and rounding stay inside it; a different trade count does not).
        abs_tolerance: per column, differences up to this are the same figure whatever the relative size:
            prices 0.005 CNY (half a fen: rounding to the fen), volume 100 shares (one lot: vendors that publish
            in 手 round to it), turnover 0.005 percentage points (two-decimal vendors).
    """

    priority: Mapping[str, Sequence[str]] = field(default_factory=dict)
    default: Sequence[str] = DEFAULT_PRIORITY
    rel_tolerance: float = 1e-4
    abs_tolerance: Mapping[str, float] = field(
        default_factory=lambda: {**dict.fromkeys(_PRICE_COLUMNS, 0.005), "volume": 100.0, "turnover": 0.005}
    )

    @classmethod
    def from_settings(cls) -> MergeConfig:
        """The priorities of ``[source_priority]`` in tq.toml (``default = [...]`` and one list per table)."""
        from thermoquant.config import get_settings

        lists = dict(get_settings().source_priority)
        default = lists.pop("default", None)
        return cls(priority=lists, default=tuple(default) if default else DEFAULT_PRIORITY)

    def order(self, table: str) -> Sequence[str]:
        """The families of `table`, best first."""
        return self.priority.get(table, self.default)

    def tolerance(self, column: str) -> float:
        """Absolute part of the tolerance of `column` (0 where none is set)."""
        return float(self.abs_tolerance.get(column, 0.0))


@dataclass(frozen=True)
class Conflict:
    """Two sources with different values for one cell; ``kept`` says which one the store holds now."""

    table: str
    key: str
    """The row's key as text, e.g. ``000905.SH 2019-02-19``."""
    column: str
    stored: Any
    stored_source: str | None
    incoming: Any
    incoming_source: str | None
    kept: str
    """``stored`` or ``incoming``."""

    def __str__(self) -> str:
        return (
            f"{self.table} {self.key} {self.column}: stored {_show(self.stored)} ({self.stored_source}) vs "
            f"{_show(self.incoming)} ({self.incoming_source}); kept the {self.kept} value"
        )


def _show(value: Any) -> str:
    """A value as a person reads it: floats without binary noise (10.28, not 10.280000000000001)."""
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


@dataclass
class MergeResult:
    """What one :func:`merge_upsert` did.

    Attributes:
        written: rows changed in the store (the store's count).
        conflicts: cells where two good sources disagreed beyond tolerance.
        kept_stored: cells where the stored value was kept over an incoming value that differs beyond tolerance
            (lower-ranked source or lossy value), conflicts included.
        replaced_lossy: stored lossy cells replaced by a value that is not lossy.
    """

    written: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    kept_stored: int = 0
    replaced_lossy: int = 0


class _Store(Protocol):
    def read(self, table: str, **kw: Any) -> pl.DataFrame: ...

    def upsert(self, table: str, df: pl.DataFrame) -> int: ...


def _lossy_has(column: str, side: str) -> pl.Expr:
    """Whether the ``lossy`` list of `side` (``""`` incoming, ``"_st"`` stored) names `column`."""
    lossy = pl.col(LOSSY + side).fill_null("")
    return ("," + lossy + ",").str.contains("," + column + ",", literal=True)


def _stored_overlap(store: _Store, table: str, frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The stored rows of `table` with a key in `frame`: every column suffixed ``_st`` (keys as they are), plus
    ``_stored`` = true."""
    spec = get_table(table)
    kw: dict[str, Any] = {}
    if "symbol" in keys:
        kw["symbols"] = frame["symbol"].unique().to_list()
    date_key = next((k for k in keys if spec.column(k).type == "date"), None)
    if date_key is not None:
        kw["start"], kw["end"] = frame[date_key].min(), frame[date_key].max()
    stored = store.read(table, **kw)
    if stored.height:
        stored = stored.join(frame.select(keys), on=keys, how="semi")
    return stored.rename({c: c + "_st" for c in stored.columns if c not in keys}).with_columns(
        pl.lit(True).alias("_stored")
    )


def merge_upsert(
    store: _Store, table: str, frame: pl.DataFrame, config: MergeConfig | None = None
) -> MergeResult:
    """Write `frame` into `table` so that no better stored value is lost (module doc); return what happened.

    `frame` holds columns of the table's schema with a ``source`` column (and ``lossy`` where the table has one).
    Tables outside :data:`MERGED_TABLES` and frames without a source go straight to the store, as do frames
    none of whose keys is stored yet.
    """
    cfg = config or MergeConfig.from_settings()
    spec = get_table(table)
    result = MergeResult()
    if frame.height == 0:
        return result
    if table not in MERGED_TABLES or "source" not in frame.columns:
        result.written = store.upsert(table, frame)
        return result
    schema = spec.polars_schema()
    frame = frame.with_columns(pl.col(c).cast(schema[c]) for c in frame.columns if c in schema)
    keys = list(spec.primary_key)
    stored = _stored_overlap(store, table, frame, keys)
    if stored.height == 0:
        result.written = store.upsert(table, frame)
        return result
    for column in (LOSSY, CELL_SOURCES):
        if column in schema and column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.Utf8).alias(column))
    compared = [c for c in frame.columns if c not in keys and c not in _NOT_COMPARED]
    cells = [_Cell(col, schema, cfg, table) for col in compared]
    joined = (
        frame.with_row_index("_i")
        .join(stored, on=keys, how="left")
        .with_columns(pl.col("_stored").fill_null(False), _family("source").alias("_fam_new"))
        .with_columns(
            [cell.stored_family(CELL_SOURCES in schema) for cell in cells]
            + [cell.stored_lossy(LOSSY in schema) for cell in cells]
            + [cell.new_lossy(LOSSY in schema) for cell in cells]
        )
        .with_columns(cell.takes_new() for cell in cells)
    )
    for cell in cells:
        result.conflicts += cell.conflicts(joined, keys, table)
    if cells:
        tallies = joined.select(
            pl.sum_horizontal(cell.kept_stored() for cell in cells).sum().alias("kept"),
            pl.sum_horizontal(cell.replaced_lossy() for cell in cells).sum().alias("fixed"),
        )
        result.kept_stored, result.replaced_lossy = (int(v) for v in tallies.row(0))
    out = joined.with_columns(cell.family_after() for cell in cells).with_columns(
        _row_family(cells, table, cfg).alias("_fam_row")
    )
    out = out.with_columns(
        [cell.value_after() for cell in cells]
        + [
            pl.when(pl.col("_fam_row") == pl.col("_fam_new"))
            .then(pl.col("source"))
            .when(pl.col("_fam_row") == _family("source_st"))
            .then(None)  # the stored source stays (a null never replaces it)
            .otherwise(pl.col("_fam_row"))
            .alias("source")
        ]
    )
    if LOSSY in schema:
        out = out.with_columns(_listed([cell.lossy_after() for cell in cells], LOSSY))
    if CELL_SOURCES in schema:
        outliers = [
            pl.when(pl.col(cell.fam_after) != pl.col("_fam_row")).then(
                pl.lit(f"{cell.col}=") + pl.col(cell.fam_after)
            )
            for cell in cells
        ]
        out = out.with_columns(_listed(outliers, CELL_SOURCES))
    result.written = store.upsert(table, out.sort("_i").select(frame.columns))
    return result


def _family(column: str) -> pl.Expr:
    return pl.col(column).str.split(":").list.first()


class _Cell:
    """The decision expressions for one compared column (names of helper columns derive from it)."""

    def __init__(self, col: str, schema: Mapping[str, pl.DataType], cfg: MergeConfig, table: str) -> None:
        self.col, self.cfg, self.table = col, cfg, table
        self.numeric = schema[col].is_numeric()
        self.new, self.old = pl.col(col), pl.col(col + "_st")
        self.fam_old, self.fam_after = f"_fam_old_{col}", f"_fam_after_{col}"
        self.lossy_old, self.lossy_new, self.take = f"_lossy_old_{col}", f"_lossy_new_{col}", f"_take_{col}"

    def stored_family(self, has_cell_sources: bool) -> pl.Expr:
        """The family of the stored value: its entry in ``cell_sources``, else the row's source."""
        row = _family("source_st")
        if not has_cell_sources:
            return row.alias(self.fam_old)
        listed = pl.col(CELL_SOURCES + "_st").str.extract(rf"(?:^|,){self.col}=([^,]*)", 1)
        return pl.coalesce(listed, row).alias(self.fam_old)

    def stored_lossy(self, has_lossy: bool) -> pl.Expr:
        return (_lossy_has(self.col, "_st") if has_lossy else pl.lit(False)).alias(self.lossy_old)

    def new_lossy(self, has_lossy: bool) -> pl.Expr:
        return (_lossy_has(self.col, "") if has_lossy else pl.lit(False)).alias(self.lossy_new)

    def _both(self) -> pl.Expr:
        return pl.col("_stored") & self.new.is_not_null() & self.old.is_not_null()

    def takes_new(self) -> pl.Expr:
        """Whether the incoming value is the one to hold where both sides have one (lossy first, then rank)."""
        ln, lo = pl.col(self.lossy_new), pl.col(self.lossy_old)
        rank_new = _rank_of(pl.col("_fam_new"), self.table, self.cfg)
        rank_old = _rank_of(pl.col(self.fam_old), self.table, self.cfg)
        return (
            pl.when(lo & ~ln)
            .then(True)
            .when(ln & ~lo)
            .then(False)
            .otherwise(rank_new <= rank_old)
            .alias(self.take)
        )

    def differs(self) -> pl.Expr:
        """The two values are different figures (beyond :meth:`MergeConfig.tolerance` for numbers)."""
        if not self.numeric:
            return self.new != self.old
        bound = pl.max_horizontal(
            pl.lit(self.cfg.tolerance(self.col)),
            self.cfg.rel_tolerance * pl.max_horizontal(self.new.abs(), self.old.abs()),
        )
        return (self.new - self.old).abs() > bound

    def kept_stored(self) -> pl.Expr:
        return (self._both() & ~pl.col(self.take) & self.differs()).cast(pl.Int64)

    def replaced_lossy(self) -> pl.Expr:
        return (self._both() & pl.col(self.lossy_old) & ~pl.col(self.lossy_new)).cast(pl.Int64)

    def conflicts(self, joined: pl.DataFrame, keys: list[str], table: str) -> list[Conflict]:
        """Both values good (not lossy), from different families, different beyond tolerance."""
        good = ~pl.col(self.lossy_new) & ~pl.col(self.lossy_old)
        hits = joined.filter(
            self._both() & good & self.differs() & (pl.col("_fam_new") != pl.col(self.fam_old))
        )
        if hits.height == 0:
            return []
        described = hits.select(
            pl.concat_str([pl.col(k).cast(pl.Utf8) for k in keys], separator=" ").alias("key"),
            self.old.alias("stored"),
            pl.when(pl.col(self.fam_old) == _family("source_st"))
            .then(pl.col("source_st"))
            .otherwise(pl.col(self.fam_old))
            .alias("stored_source"),
            self.new.alias("incoming"),
            pl.col("source").alias("incoming_source"),
            pl.when(pl.col(self.take)).then(pl.lit("incoming")).otherwise(pl.lit("stored")).alias("kept"),
        )
        return [Conflict(table=table, column=self.col, **row) for row in described.iter_rows(named=True)]

    def _incoming_wins(self) -> pl.Expr:
        """The cell will hold the incoming value."""
        return self.new.is_not_null() & (~pl.col("_stored") | self.old.is_null() | pl.col(self.take))

    def family_after(self) -> pl.Expr:
        """The family of the value the store will hold (null where it holds none)."""
        return (
            pl.when(self._incoming_wins())
            .then(pl.col("_fam_new"))
            .when(self.old.is_not_null())
            .then(pl.col(self.fam_old))
            .alias(self.fam_after)
        )

    def value_after(self) -> pl.Expr:
        """The value to write: the incoming one where it wins, else null (the store keeps what it has)."""
        return pl.when(self._incoming_wins()).then(self.new).alias(self.col)

    def lossy_after(self) -> pl.Expr:
        """The column's name where the value the store will hold is lossy."""
        lossy = pl.when(self._incoming_wins()).then(pl.col(self.lossy_new)).otherwise(pl.col(self.lossy_old))
        return pl.when(lossy).then(pl.lit(self.col))


def _rank_of(family: pl.Expr, table: str, cfg: MergeConfig) -> pl.Expr:
    """Rank of a family expression in the table's order (0 = best); an unlisted family ranks just after the listed
    ones, a null family (no value) after every other."""
    order = list(cfg.order(table))
    ranks = family.replace_strict(order, list(range(len(order))), default=len(order), return_dtype=pl.Int64)
    return ranks.fill_null(len(order) + 1)


def _row_family(cells: list[_Cell], table: str, cfg: MergeConfig) -> pl.Expr:
    """The best-ranked family among the values the row will hold; the incoming family wins a tie."""
    ranks = [_rank_of(pl.col(c.fam_after), table, cfg) for c in cells]
    best = pl.min_horizontal(ranks) if ranks else pl.lit(0)
    new_rank = _rank_of(pl.col("_fam_new"), table, cfg)
    candidates = [pl.when(new_rank == best).then(pl.col("_fam_new"))] + [
        pl.when(r == best).then(pl.col(c.fam_after)) for r, c in zip(ranks, cells, strict=True)
    ]
    return pl.coalesce(candidates)


def _listed(parts: list[pl.Expr], name: str) -> pl.Expr:
    """Comma-joined non-null parts; where there are none, ``""`` if the stored list has entries (to clear it: a
    null would keep it), else null (nothing to write)."""
    stored = pl.col(name + "_st")
    clear = pl.when(stored.is_not_null() & (stored != "")).then(pl.lit(""))
    if not parts:
        return clear.alias(name)
    joined = pl.concat_str(parts, separator=",", ignore_nulls=True)
    return pl.when(joined.is_not_null() & (joined != "")).then(joined).otherwise(clear).alias(name)
