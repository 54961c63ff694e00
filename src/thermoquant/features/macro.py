"""Dimension 7 — macro series and industry aggregates (seed 003 维度7).

Macro alignment (point in time)
-------------------------------
A ``macro`` row (series, period_date, value, release_date) is usable on trading day *t* when its release date ≤ *t*
(``usable_on_release_day=True``: Chinese statistics are released before the 09:30 open or at lunch; False delays one
trading day). Where ``release_date`` is null the row is assumed released ``release_lag_days`` calendar days after
``period_date`` (per series, :data:`DEFAULT_RELEASE_LAG_DAYS`; 0 for daily market series such as Shibor, the 10-year
CGB yield and USD/CNY). The period date is NEVER used as the availability date when a later release is known.

Changes and trends are computed on each series' own observations (not on the daily forward-filled values, which are
mostly unchanged): ``{series}_chg`` = value − previous observation, ``{series}_trend`` = sign of the change over the
last ``trend_obs`` observations (+1 rising, −1 falling, 0 flat), both aligned to trading days like the value.

Industry aggregates
-------------------
From member stocks and an industry label per (symbol, trade_date) (:func:`thermoquant.features.fundamentals.industry_of`):

* industry daily return, ``weighting="cap"`` (default): float-market-value weights of the PREVIOUS trading day
  (Σ wᵢ rᵢ with wᵢ ∝ float_mv of t−1, known before the open — no look-ahead), ``"equal"``: the plain mean of
  member returns; stock returns are close / pre_close − 1 (exchange reference close, ex-rights safe). Industry
  index = cumulative product of (1 + return), base 1000 on the first day.
* PE / PB / ROE medians per industry and day (PE and PB over positive values only).
* ranks: industry return rank (1 = best that day) and flow rank (1 = largest main net inflow).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import polars as pl

__all__ = [
    "DEFAULT_RELEASE_LAG_DAYS",
    "align_macro",
    "industry_flows",
    "industry_returns",
    "industry_valuation",
]

DEFAULT_RELEASE_LAG_DAYS: Mapping[str, int] = {
    "cpi_yoy": 15,
    "ppi_yoy": 15,
    "core_cpi_yoy": 15,
    "pmi": 1,
    "m0_yoy": 15,
    "m1_yoy": 15,
    "m2_yoy": 15,
    "tsf": 15,
    "gdp_yoy": 20,
    "lpr_1y": 0,
    "lpr_5y": 0,
}
"""Calendar days from period_date to the (assumed) release where ``release_date`` is unknown; others: 0.
Conservative for monthly series: NBS CPI/PPI come out around the 9th–15th of the next month, PBoC money and credit
around the 10th–15th, the official PMI on the last day of the month or the next day."""


def align_macro(
    macro: pl.DataFrame,
    trading_days: Sequence | pl.Series,
    series: Sequence[str] | None = None,
    *,
    release_lag_days: Mapping[str, int] | None = None,
    usable_on_release_day: bool = True,
    trend_obs: int = 3,
) -> pl.DataFrame:
    """Wide daily frame: trade_date, and per series ``{series}``, ``{series}_chg``, ``{series}_trend``.

    Args:
        macro: rows of the ``macro`` table (series, period_date, value, release_date).
        trading_days: the days to align to (sorted or not).
        series: which series (default: all in ``macro``).
        release_lag_days: overrides of :data:`DEFAULT_RELEASE_LAG_DAYS`.
        usable_on_release_day: see the module docstring.
        trend_obs: observations spanned by the trend sign.
    """
    lags = {**DEFAULT_RELEASE_LAG_DAYS, **(release_lag_days or {})}
    days = (
        pl.DataFrame({"trade_date": pl.Series(list(trading_days), dtype=pl.Date)}).unique().sort("trade_date")
    )
    m = macro.with_columns(pl.col("period_date").cast(pl.Date), pl.col("release_date").cast(pl.Date))
    names = list(series) if series is not None else sorted(m.get_column("series").unique().to_list())
    out = days
    for name in names:
        s = m.filter(pl.col("series") == name).sort("period_date")
        if s.is_empty():
            out = out.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in (name, f"{name}_chg"))
            out = out.with_columns(pl.lit(None, dtype=pl.Int8).alias(f"{name}_trend"))
            continue
        lag = lags.get(name, 0)
        s = s.with_columns(
            pl.coalesce(pl.col("release_date"), pl.col("period_date").dt.offset_by(f"{lag}d")).alias(
                "_avail"
            ),
            (pl.col("value") - pl.col("value").shift(1)).alias(f"{name}_chg"),
            (pl.col("value") - pl.col("value").shift(trend_obs)).sign().cast(pl.Int8).alias(f"{name}_trend"),
        )
        if not usable_on_release_day:
            s = s.with_columns(pl.col("_avail").dt.offset_by("1d"))
        # a later-released observation of an earlier period must not replace a newer one: keep, per availability
        # day, the observation with the latest period known by then
        s = (
            s.sort("_avail", "period_date")
            .with_columns(pl.col("period_date").cum_max().alias("_latest"))
            .filter(pl.col("period_date") == pl.col("_latest"))
            .unique("_avail", keep="last", maintain_order=True)
        )
        s = s.select("_avail", pl.col("value").alias(name), f"{name}_chg", f"{name}_trend")
        out = out.join_asof(s, left_on="trade_date", right_on="_avail", strategy="backward").drop("_avail")
    return out


def industry_returns(
    quotes: pl.DataFrame,
    industries: pl.DataFrame,
    *,
    weighting: Literal["cap", "equal"] = "cap",
    base: float = 1000.0,
) -> pl.DataFrame:
    """Daily industry returns, index levels and ranks.

    Args:
        quotes: (symbol, trade_date, close, pre_close[, float_mv]) unadjusted; ``float_mv`` (CNY) needed for
            ``weighting="cap"`` (else ``float_shares`` × close is used when present).
        industries: (symbol, trade_date, industry).
        weighting: "cap" (previous day's float market value) or "equal".
        base: index level before the first day.

    Returns (industry, trade_date, ret % , n_members, index_level, ret_rank): ``ret_rank`` 1 = best industry that
    day. On the first day of a stock in the frame its cap weight is unknown (no previous day) and it is left out of
    the cap-weighted mean.
    """
    q = quotes.with_columns(pl.col("trade_date").cast(pl.Date)).sort("symbol", "trade_date")
    if weighting == "cap":
        if "float_mv" not in q.columns:
            if "float_shares" not in q.columns:
                raise ValueError("weighting='cap' needs float_mv or float_shares in quotes")
            q = q.with_columns((pl.col("float_shares") * pl.col("close")).alias("float_mv"))
        q = q.with_columns(pl.col("float_mv").shift(1).over("symbol").alias("_w"))
    elif weighting == "equal":
        q = q.with_columns(pl.lit(1.0).alias("_w"))
    else:
        raise ValueError(f"weighting must be 'cap' or 'equal', got {weighting!r}")
    q = q.with_columns(
        pl.when(pl.col("pre_close") > 0).then(pl.col("close") / pl.col("pre_close") - 1.0).alias("_r")
    ).join(
        industries.select("symbol", pl.col("trade_date").cast(pl.Date), "industry"),
        on=["symbol", "trade_date"],
        how="inner",
    )
    q = q.filter(pl.col("_r").is_not_null() & pl.col("_w").is_not_null() & pl.col("industry").is_not_null())
    agg = (
        q.group_by("industry", "trade_date")
        .agg(
            ((pl.col("_r") * pl.col("_w")).sum() / pl.col("_w").sum() * 100.0).alias("ret"),
            pl.len().cast(pl.Int64).alias("n_members"),
        )
        .sort("industry", "trade_date")
    )
    return agg.with_columns(
        (base * (1.0 + pl.col("ret") / 100.0).cum_prod().over("industry")).alias("index_level"),
        (-pl.col("ret")).rank("min").over("trade_date").cast(pl.Int64).alias("ret_rank"),
    ).sort("trade_date", "ret_rank")


def industry_valuation(
    valuation: pl.DataFrame,
    industries: pl.DataFrame,
    roe: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Industry medians per day: (industry, trade_date, pe_median, pb_median[, roe_median], n_members).

    ``valuation``: (symbol, trade_date, pe_ttm, pb) — e.g. ``daily_valuation``; PE and PB medians over positive
    values. ``roe``: (symbol, trade_date, roe %) point in time, e.g. from
    :func:`thermoquant.features.fundamentals.pit_finance`.
    """
    v = valuation.select("symbol", pl.col("trade_date").cast(pl.Date), "pe_ttm", "pb").join(
        industries.select("symbol", pl.col("trade_date").cast(pl.Date), "industry"),
        on=["symbol", "trade_date"],
        how="inner",
    )
    if roe is not None:
        v = v.join(
            roe.select("symbol", pl.col("trade_date").cast(pl.Date), "roe"),
            on=["symbol", "trade_date"],
            how="left",
        )
    aggs = [
        pl.col("pe_ttm").filter(pl.col("pe_ttm") > 0).median().alias("pe_median"),
        pl.col("pb").filter(pl.col("pb") > 0).median().alias("pb_median"),
        pl.len().cast(pl.Int64).alias("n_members"),
    ]
    if roe is not None:
        aggs.insert(2, pl.col("roe").median().alias("roe_median"))
    return (
        v.filter(pl.col("industry").is_not_null())
        .group_by("industry", "trade_date")
        .agg(aggs)
        .sort("industry", "trade_date")
    )


def industry_flows(flow: pl.DataFrame, industries: pl.DataFrame) -> pl.DataFrame:
    """Industry main net inflow aggregated from member stocks' ``funds_flow`` rows (scope "stock") and its daily rank.

    Returns (industry, trade_date, main_net CNY, n_members, flow_rank): ``flow_rank`` 1 = largest inflow that day.
    Use :func:`thermoquant.features.flows.industry_flow_rank` for vendor industry-scope rows instead.
    """
    f = flow.filter(pl.col("scope") == "stock").select(
        pl.col("code").alias("symbol"), pl.col("trade_date").cast(pl.Date), "main_net"
    )
    j = f.join(
        industries.select("symbol", pl.col("trade_date").cast(pl.Date), "industry"),
        on=["symbol", "trade_date"],
        how="inner",
    ).filter(pl.col("industry").is_not_null())
    agg = j.group_by("industry", "trade_date").agg(
        pl.col("main_net").sum(), pl.len().cast(pl.Int64).alias("n_members")
    )
    return agg.with_columns(
        (-pl.col("main_net")).rank("min").over("trade_date").cast(pl.Int64).alias("flow_rank")
    ).sort("trade_date", "flow_rank")
