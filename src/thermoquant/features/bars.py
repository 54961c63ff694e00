"""Bar preparation: forward adjustment (qfq), suspension filtering and weekly/monthly OHLCV aggregation.

Seed 003's data-quality rules: indicators run on forward-adjusted (前复权) prices anchored at the computation date;
suspended days are skipped (no row), never counted as zero-return days.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import polars as pl

PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "pre_close", "up_limit", "down_limit")
"""Columns :func:`qfq` scales: every price in CNY per share of the day, limit prices included (so a vendor limit
stays comparable with the adjusted close)."""


#: A step previous close / pre_close outside this range is taken for a data error (e.g. a pre_close in other
#: units) and ignored (step 1): the largest A-share bonus issues halve or third the price, none moves it 20-fold.
#: The range is symmetric under inversion (1/20 = 0.05), so it bounds pre_close / previous close the same way.
EX_RIGHTS_RANGE = (0.05, 20.0)


def adj_factor_from_pre_close(df: pl.DataFrame) -> pl.DataFrame:
    """Cumulative adjustment factor (Tushare convention, hfq = raw × factor) built from the exchange ``pre_close``.

    On an ex-rights day the exchange reference ``pre_close`` is below the previous raw close; the factor steps up by
    previous close / pre_close (steps outside :data:`EX_RIGHTS_RANGE` are ignored). The first row of each symbol has
    factor 1. Returns ``symbol``, ``trade_date``, ``adj_factor`` in the input's row order. Input: long frame with
    ``close`` and ``pre_close``, sorted by symbol and date.
    """
    lo, hi = EX_RIGHTS_RANGE
    raw = pl.col("close").shift(1).over("symbol") / pl.col("pre_close")
    step = pl.when(raw.is_between(lo, hi, closed="none")).then(raw).otherwise(1.0)
    return df.select(
        "symbol",
        "trade_date",
        step.cum_prod().over("symbol").alias("adj_factor"),
    )


def qfq(
    df: pl.DataFrame, adj_factor: pl.DataFrame | None = None, anchor: str = "last", volume: bool = False
) -> pl.DataFrame:
    """Forward-adjust prices: price × factor / factor(anchor date), per symbol.

    ``adj_factor``: frame with ``symbol``, ``trade_date``, ``adj_factor`` (Tushare convention), joined on both keys;
    when ``None``, ``df`` must already carry an ``adj_factor`` column. ``anchor="last"`` anchors each symbol at its
    last row in ``df`` (the computation date), so the latest prices equal the raw ones (bit for bit, as do all rows
    after the last ex-rights day). Amount is left as traded (CNY); volume too (shares) unless ``volume``, which
    divides it by the same ratio (shares in the anchor date's terms, so amount / volume is the adjusted VWAP).
    Missing factors are forward-filled within the symbol.
    """
    if anchor != "last":
        raise ValueError("only anchor='last' (the computation date) is supported")
    out = df if adj_factor is None else df.join(adj_factor, on=["symbol", "trade_date"], how="left")
    if "adj_factor" not in out.columns:
        raise ValueError("qfq needs an adj_factor column or frame")
    out = out.sort("symbol", "trade_date").with_columns(pl.col("adj_factor").forward_fill().over("symbol"))
    ratio = pl.col("adj_factor") / pl.col("adj_factor").last().over("symbol")
    cols = [c for c in PRICE_COLUMNS if c in out.columns]
    scaled = [(pl.col(c) * ratio).alias(c) for c in cols]
    if volume:
        scaled.append((pl.col("volume").cast(pl.Float64) / ratio).alias("volume"))
    out = out.with_columns(scaled)
    return out if adj_factor is None else out.drop("adj_factor")


def drop_suspended(df: pl.DataFrame) -> pl.DataFrame:
    """Remove rows that are not real trading days: null/NaN close, volume ≤ 0 or null, or ``is_suspended``."""
    cond = pl.col("close").is_not_null() & pl.col("close").is_not_nan()
    if "volume" in df.columns:
        cond = cond & (pl.col("volume").fill_null(0) > 0)
    if "is_suspended" in df.columns:
        cond = cond & ~pl.col("is_suspended").fill_null(False)
    return df.filter(cond)


def resample_ohlcv(df: pl.DataFrame, every: Literal["week", "month"] = "week") -> pl.DataFrame:
    """Weekly or monthly bars (seed 003 周线/月线 OHLCK) from daily bars of each symbol.

    open = first open, high = max, low = min, close = last close, volume/amount = sums (and turnover summed when
    present). Weeks are ISO weeks (Monday start), months calendar months. Each bar is labelled ``trade_date`` = its
    last trading day (so a bar is known only once that day has closed — no look-ahead); ``period_start`` is the
    first trading day; ``days`` counts trading days. A running (incomplete) last period is included as is.
    """
    trunc = "1w" if every == "week" else "1mo"
    aggs = [
        pl.col("trade_date").first().alias("period_start"),
        pl.col("trade_date").last().alias("trade_date"),
        pl.col("open").first(),
        pl.col("high").max(),
        pl.col("low").min(),
        pl.col("close").last(),
        pl.col("volume").sum(),
        pl.len().alias("days"),
    ]
    for extra in ("amount", "turnover"):
        if extra in df.columns:
            aggs.append(pl.col(extra).sum())
    return (
        drop_suspended(df)
        .sort("symbol", "trade_date")
        .with_columns(pl.col("trade_date").dt.truncate(trunc).alias("_period"))
        .group_by("symbol", "_period", maintain_order=True)
        .agg(aggs)
        .drop("_period")
        .sort("symbol", "trade_date")
    )


def qfq_closes_at(quotes: pl.DataFrame, factors: pl.DataFrame, anchor: dt.date) -> pl.DataFrame:
    """Forward-adjusted closes anchored at `anchor`: close × factor(t) / factor(anchor), no future leak past anchor.

    `factors` may be daily (Tushare) or only on change dates (Sina, Baostock): the factor in force on a day is the
    latest one dated on or before it; a symbol without factors is left unadjusted. This is :func:`qfq` for a
    point-in-time anchor and sparse factors (the CSI500 breadth as of a past day), closes only.
    """
    q = quotes.select("symbol", "trade_date", "close").sort("symbol", "trade_date")
    if factors.height == 0:
        return q
    f = factors.select("symbol", "trade_date", "adj_factor").drop_nulls().sort("symbol", "trade_date")
    joined = q.join_asof(f, on="trade_date", by="symbol", strategy="backward", check_sortedness=False)
    at_anchor = (
        f.filter(pl.col("trade_date") <= anchor)
        .group_by("symbol")
        .agg(pl.col("adj_factor").sort_by("trade_date").last().alias("_anchor"))
    )
    return (
        joined.join(at_anchor, on="symbol", how="left")
        .with_columns(
            pl.when(pl.col("adj_factor").is_not_null() & pl.col("_anchor").is_not_null())
            .then(pl.col("close") * pl.col("adj_factor") / pl.col("_anchor"))
            .otherwise(pl.col("close"))
            .alias("close")
        )
        .select("symbol", "trade_date", "close")
    )
