"""Pure measures of a signal's information (issue 14 §3), on long (symbol, trade_date) frames.

* :func:`forward_excess` — forward h-day returns of each stock-bar (from its own later bars) minus that day's
  market average (the mean over every stock with a forward return that day);
* :func:`mean_t` — mean, naive t-statistic (mean / (sd / √n)) and count of a column by group;
* :func:`rank_ic` — the daily Spearman rank correlation of a score with a forward return, its mean and t-statistic
  over days (mean / (sd / √days)).

Forward returns read later bars by construction: they are the *outcome* being measured, never an input of a
decision.
"""

from __future__ import annotations

import math

import polars as pl

HORIZONS: tuple[int, ...] = (1, 5, 20)
"""Forward horizons, trading days (bars of each stock)."""


def forward_excess(
    rows: pl.DataFrame, price: str = "close_adj", horizons: tuple[int, ...] = HORIZONS
) -> pl.DataFrame:
    """``rows`` sorted by (symbol, trade_date) with ``fwd_h`` and ``xs_h`` (excess over the day's mean) columns."""
    out = rows.sort("symbol", "trade_date").with_columns(
        (pl.col(price).shift(-h).over("symbol") / pl.col(price) - 1.0).alias(f"fwd_{h}") for h in horizons
    )
    return out.with_columns((pl.col(f"fwd_{h}") - pl.col(f"fwd_{h}").mean().over("trade_date")).alias(f"xs_{h}")
                            for h in horizons)  # fmt: skip


def mean_t(rows: pl.DataFrame, by: str, value: str) -> pl.DataFrame:
    """(by, n, mean, t) of ``value`` per group of ``by`` (nulls dropped), sorted by ``by``."""
    return (
        rows.filter(pl.col(value).is_not_null() & pl.col(by).is_not_null())
        .group_by(by)
        .agg(
            pl.len().alias("n"),
            pl.col(value).mean().alias("mean"),
            (pl.col(value).mean() / (pl.col(value).std() / pl.len().sqrt())).alias("t"),
        )
        .sort(by)
    )


def rank_ic(rows: pl.DataFrame, score: str, target: str, min_names: int = 20) -> dict[str, float]:
    """Daily Spearman IC of ``score`` vs ``target`` over days with at least ``min_names`` stocks having both:
    mean, t-statistic, days."""
    daily = (
        rows.filter(pl.col(score).is_not_null() & pl.col(target).is_not_null() & pl.col(score).is_not_nan())
        .group_by("trade_date")
        .agg(pl.len().alias("n"), pl.corr(score, target, method="spearman").alias("ic"))
        .filter((pl.col("n") >= min_names) & pl.col("ic").is_not_nan())
    )
    n = daily.height
    if n < 2:
        return {"ic": float("nan"), "t": float("nan"), "days": float(n)}
    mean, sd = float(daily["ic"].mean()), float(daily["ic"].std())
    return {"ic": mean, "t": mean / (sd / math.sqrt(n)) if sd > 0 else float("nan"), "days": float(n)}
