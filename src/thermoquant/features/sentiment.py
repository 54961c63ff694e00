"""Dimension 5 — market sentiment: seed-004 index breadth, amount heat z-score, ETF turnover, and the daily
cross-section of the whole market (up/down/limit counts, advance/decline ratio, strong/neutral/weak label).

The three seed-004 computations reproduce the upstream CSI500 pipeline exactly (golden test against
``jerryz_csi500/strategy_data.csv``):

* **breadth** (%, 0–100) = 100 × (constituents in force that day whose close is above their own 20-row rolling
  mean of close) / (constituents in force with a valid close that day). The membership in force on day *t* is the
  schedule's latest ``effective_date`` ≤ *t*. Like the reference, every stock's closes are laid out on the full
  trading calendar (a missing or NaN row is a NaN), and the rolling mean needs 20 valid values in the last 20
  calendar rows — so a stock suspended in the last 20 days counts in the denominator (if it trades today) but not
  above its MA. ``skip_suspended=True`` instead windows over the stock's own valid rows only. A day on which fewer
  than :data:`BREADTH_MIN_MA_COVERAGE` of those constituents have data reaching back a whole window (data that
  starts late: the warm-up of the first ``window − 1`` days) has a null breadth, not 0 %: "nobody above the MA"
  and "nobody has an MA yet" are not the same reading, and the first one fires the seed's breadth < 16 entry.
  Suspensions inside the window do not make a day null (the mass halts of July 2015 are a reading of the market,
  and the breadth < 16 entry is meant to fire there).
* **heat_z** = (amount − rolling-20 mean of amount) / rolling-20 standard deviation of amount, ``ddof=1`` (pandas'
  default, which the reference uses; ``ddof=0`` is off by up to 0.09).
* **etf_turnover** (%) = volume / fd_share × 100 where fd_share is the fund's shares outstanding published for the
  PREVIOUS trading day (shares are published after the close). In the vendor units of seed 004 this is
  vol(手)·100 / (fd_share(万份)·10⁴) × 100; in the house units (both in shares) it is volume / fd_share × 100.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import polars as pl

from thermoquant.features.context import ComputeContext
from thermoquant.features.registry import Out, factor_group

__all__ = [
    "AD_STRONG",
    "AD_WEAK",
    "BREADTH_MIN_MA_COVERAGE",
    "breadth",
    "etf_turnover",
    "heat_z",
    "heat_z_expr",
    "market_sentiment",
    "members_in_force",
]

AD_STRONG: float = 1.5
"""Advance/decline ratio above which the market is labelled strong (seed 003: 涨跌比 >1.5 强势)."""
AD_WEAK: float = 0.67
"""Advance/decline ratio below which the market is labelled weak (seed 003: 涨跌比 <0.67 弱势)."""
BREADTH_MIN_MA_COVERAGE: float = 0.9
"""Least fraction (0–1) of the day's constituents with a valid close that must also have a full MA window for the
day's breadth to be reported; below it breadth is null. 0.9 lets a few suspended or newly listed members through
(on the upstream CSI500 data 2019–2026 it is 1 on every day, so the golden series is unchanged) and
stops the warm-up: a series that starts with ``window − 1`` days of history has no MA at all."""


def heat_z_expr(column: str = "amount", window: int = 20, ddof: int = 1) -> pl.Expr:
    """Rolling z-score of ``column``: (x − rolling mean) / rolling std over ``window`` rows (all must be valid).

    Unitless. ``ddof=1`` (sample std) matches the seed-004 reference. Use ``.over(...)`` for several series.
    """
    x = pl.col(column)
    mean = x.rolling_mean(window, min_samples=window)
    std = x.rolling_std(window, min_samples=window, ddof=ddof)
    return ((x - mean) / std).alias("heat_z")


def heat_z(df: pl.DataFrame, column: str = "amount", window: int = 20, ddof: int = 1) -> pl.DataFrame:
    """``df`` (one series, sorted by ``trade_date``) with a ``heat_z`` column added; see :func:`heat_z_expr`."""
    return df.sort("trade_date").with_columns(heat_z_expr(column, window, ddof))


def members_in_force(schedule: pl.DataFrame, dates: pl.Series | Sequence[dt.date]) -> pl.DataFrame:
    """(trade_date, symbol) pairs: on each date, the membership set with the latest ``effective_date`` ≤ date.

    ``schedule`` has ``effective_date`` (Date) and ``symbol`` (the ``index_weight`` table's columns; other columns
    are ignored). Dates before the first effective date have no members.
    """
    days = pl.DataFrame({"trade_date": pl.Series(list(dates), dtype=pl.Date)}).unique().sort("trade_date")
    eff = schedule.select(pl.col("effective_date").cast(pl.Date)).unique().sort("effective_date")
    picked = days.join_asof(eff, left_on="trade_date", right_on="effective_date", strategy="backward")
    return (
        picked.drop_nulls("effective_date")
        .join(schedule.select(pl.col("effective_date").cast(pl.Date), "symbol"), on="effective_date")
        .select("trade_date", "symbol")
        .sort("trade_date", "symbol")
    )


def _calendar_grid(closes: pl.DataFrame, calendar: pl.Series) -> pl.DataFrame:
    """Each stock's closes on every calendar day between its first and last row (missing days → null), sorted by
    symbol then date. Built by scattering the rows into their calendar slots (no join on the long keys)."""
    cal = calendar.unique().sort()
    c = closes.filter(pl.col("trade_date").is_in(cal.implode())).sort("symbol", "trade_date")
    slot = np.searchsorted(cal.to_numpy(), c.get_column("trade_date").to_numpy())
    run = c.get_column("symbol").rle_id().to_numpy()
    nrun = int(run[-1]) + 1 if run.size else 0
    first = np.full(nrun, np.iinfo(np.int64).max)
    last = np.full(nrun, -1)
    np.minimum.at(first, run, slot)
    np.maximum.at(last, run, slot)
    lens = last - first + 1
    offs = np.cumsum(lens) - lens
    total = int(lens.sum())
    close = np.full(total, np.nan)
    close[offs[run] + slot - first[run]] = c.get_column("close").fill_null(np.nan).to_numpy()
    owner = np.repeat(np.arange(nrun), lens)
    day_slot = np.arange(total) - offs[owner] + first[owner]
    symbols = c.get_column("symbol").gather(np.searchsorted(run, np.arange(nrun)))
    return pl.DataFrame(
        {
            "symbol": symbols.gather(owner),
            "trade_date": cal.gather(day_slot),
            "close": pl.Series(close).fill_nan(None),
        }
    )


def breadth(
    closes: pl.DataFrame,
    schedule: pl.DataFrame,
    *,
    window: int = 20,
    dates: pl.Series | Sequence[dt.date] | None = None,
    skip_suspended: bool = False,
    min_ma_coverage: float = BREADTH_MIN_MA_COVERAGE,
) -> pl.DataFrame:
    """Index breadth per day (seed 004): % of constituents in force whose close is above their own MA(window).

    Args:
        closes: long frame (symbol, trade_date, close); close should be adjusted (qfq) so the MA is not broken by
            ex-rights gaps. NaN or null closes are suspension/placeholder rows.
        schedule: membership by ``effective_date`` (columns ``effective_date``, ``symbol``).
        window: MA length in rows (20 in seed 004).
        dates: days to report; default: every date present in ``closes``. The trading calendar used to lay out
            each stock's history is the union of ``closes``' dates and ``dates``.
        skip_suspended: False (default, the reference): the window runs over calendar rows and needs ``window``
            valid closes in the last ``window`` rows. True: NaN/missing rows are dropped first, so the window
            counts the stock's own trading days.
        min_ma_coverage: breadth is null on a day where fewer than this fraction (0–1) of the ``n_valid`` members
            have data reaching back ``window`` rows (``n_ma``; suspended rows inside count); 0 reports every day
            with a valid close (the old warm-up zeros).

    Returns:
        (trade_date, breadth %, n_above, n_valid, n_ma, n_members): ``n_valid`` members with a valid close that day
        (the denominator), ``n_ma`` of them with data reaching back a whole window, ``n_members`` in force per the schedule. breadth
        is null where ``n_valid`` is 0 or ``n_ma < min_ma_coverage × n_valid``.
    """
    if not 0.0 <= min_ma_coverage <= 1.0:
        raise ValueError(f"min_ma_coverage is a fraction in [0, 1], got {min_ma_coverage}")
    c = closes.select(
        pl.col("symbol").cast(pl.Utf8), pl.col("trade_date").cast(pl.Date), pl.col("close").cast(pl.Float64)
    ).with_columns(pl.col("close").fill_nan(None))
    report = (
        c.get_column("trade_date").unique().sort()
        if dates is None
        else pl.Series("trade_date", list(dates), dtype=pl.Date)
    )
    if skip_suspended:
        grid = c.drop_nulls("close").sort("symbol", "trade_date")
    else:
        calendar = pl.concat([c.get_column("trade_date"), report]).unique().sort()
        grid = _calendar_grid(c, calendar)
    # A window of identical closes has MA == close exactly (pandas special-cases it; a running sum would leave
    # rounding noise of either sign), so a flat stretch is never "above".
    roll = {"window_size": window, "min_samples": window}
    grid = grid.with_columns(
        pl.col("close").rolling_mean(**roll).over("symbol").alias("_ma"),
        (pl.col("close").rolling_min(**roll) == pl.col("close").rolling_max(**roll))
        .over("symbol")
        .alias("_flat"),
    ).select(
        "symbol",
        "trade_date",
        pl.col("close").is_not_null().alias("_valid"),
        # warmed up: the stock's rows reach back a whole window (suspended days inside it still count: a halt is
        # a reading of the market, missing history is not)
        (pl.col("close").is_not_null() & (pl.int_range(pl.len()).over("symbol") >= window - 1)).alias(
            "_has_ma"
        ),
        ((pl.col("close") > pl.col("_ma")) & ~pl.col("_flat")).fill_null(False).alias("_above"),
    )
    members = members_in_force(schedule, report)
    out = (
        members.join(grid, on=["trade_date", "symbol"], how="left")
        .group_by("trade_date")
        .agg(
            pl.col("_above").fill_null(False).sum().cast(pl.Int64).alias("n_above"),
            pl.col("_valid").fill_null(False).sum().cast(pl.Int64).alias("n_valid"),
            pl.col("_has_ma").fill_null(False).sum().cast(pl.Int64).alias("n_ma"),
            pl.len().cast(pl.Int64).alias("n_members"),
        )
    )
    out = pl.DataFrame({"trade_date": report}).join(out, on="trade_date", how="left").sort("trade_date")
    return out.select(
        "trade_date",
        pl.when((pl.col("n_valid") > 0) & (pl.col("n_ma") >= min_ma_coverage * pl.col("n_valid")))
        .then(100.0 * pl.col("n_above") / pl.col("n_valid"))
        .otherwise(None)
        .alias("breadth"),
        pl.col("n_above").fill_null(0),
        pl.col("n_valid").fill_null(0),
        pl.col("n_ma").fill_null(0),
        pl.col("n_members").fill_null(0),
    )


def etf_turnover(bars: pl.DataFrame, fund_share: pl.DataFrame) -> pl.DataFrame:
    """ETF turnover % = volume / fd_share of the previous trading day × 100 (seed 004).

    Args:
        bars: (trade_date, volume) — volume in SHARES (vendor 手 × 100). One ETF, or several with a ``symbol``
            column in both frames.
        fund_share: (trade_date, fd_share) — shares outstanding in SHARES (Tushare 万份 × 10⁴), as published for
            that trading day.

    The denominator is the latest fd_share dated strictly before the bar's trade_date (the previous trading
    day's, which is published after that day's close; an older one only if that day's is missing).
    Returns (trade_date[, symbol], etf_turnover %, fd_share_prev).
    """
    keys = ["symbol"] if "symbol" in bars.columns and "symbol" in fund_share.columns else []
    b = bars.select(*keys, pl.col("trade_date").cast(pl.Date), pl.col("volume").cast(pl.Float64)).sort(
        *keys, "trade_date"
    )
    fs = (
        fund_share.select(*keys, pl.col("trade_date").cast(pl.Date), pl.col("fd_share").cast(pl.Float64))
        .drop_nulls("fd_share")
        .rename({"trade_date": "share_date"})
        .sort(*keys, "share_date")
    )
    joined = b.join_asof(
        fs,
        left_on="trade_date",
        right_on="share_date",
        by=keys or None,
        strategy="backward",
        allow_exact_matches=False,
    )
    return joined.select(
        "trade_date",
        *keys,
        (pl.col("volume") / pl.col("fd_share") * 100.0).alias("etf_turnover"),
        pl.col("fd_share").alias("fd_share_prev"),
    )


def _limit_columns(df: pl.DataFrame) -> pl.DataFrame:
    """Set ``up_limit``/``down_limit`` (CNY, null = no limit) on every row.

    A vendor limit price in the frame is kept where it is a number; where it is null or NaN, or the frame has no
    such column (the bundled 2021 market, Baostock, AKShare), the price comes from each board's dated rule
    (:func:`thermoquant.market.limits.with_limit_prices`: board, ST status, listing-day rules, 0.01 CNY tick).
    Uses ``is_st`` and ``list_date`` columns when present (a null ``is_st``, or no column, is taken for "not ST":
    the stock gets its board's ordinary limit). NaN limits become null: Polars orders NaN above every number, a
    null never compares true."""
    from thermoquant.market.limits import with_limit_prices

    vendor = [c for c in ("up_limit", "down_limit") if c in df.columns]
    base = df.with_columns(pl.col(c).cast(pl.Float64).fill_nan(None).alias(f"_vendor_{c}") for c in vendor)
    ruled = with_limit_prices(
        base.drop(vendor),
        prev_close_col="pre_close",
        date_col="trade_date",
        st_col="is_st" if "is_st" in df.columns else None,
        listing_date_col="list_date" if "list_date" in df.columns else None,
    )
    return ruled.with_columns(pl.coalesce(f"_vendor_{c}", c).alias(c) for c in vendor).drop(
        [f"_vendor_{c}" for c in vendor]
    )


def market_sentiment(
    quotes: pl.DataFrame,
    *,
    ad_strong: float = AD_STRONG,
    ad_weak: float = AD_WEAK,
    heat_window: int = 20,
) -> pl.DataFrame:
    """Daily cross-section of the whole market (seed 003 市场情绪指标).

    Args:
        quotes: long frame (symbol, trade_date, close, pre_close, amount[, up_limit, down_limit, is_suspended])
            of UNADJUSTED bars; ``pre_close`` is the exchange reference previous close. Limit prices come from the
            frame when present (vendor values), else from each board's real rule in :mod:`thermoquant.market`.
        ad_strong, ad_weak: advance/decline ratio thresholds of the strong / weak labels (seed: 1.5 / 0.67).
        heat_window: window of the amount heat z-score (rows = trading days).

    Returns per trade_date: ``n_stocks`` (stocks with a valid close and pre_close, not suspended), ``n_up``,
    ``n_down``, ``n_flat`` (close vs pre_close), ``n_limit_up`` / ``n_limit_down`` (close at or beyond the day's
    limit price, rounded to the 0.01 CNY tick), ``up_ratio`` (% of n_stocks), ``ad_ratio`` (n_up / n_down; null
    when n_down is 0), ``sentiment`` ("strong" when ad_ratio > ad_strong, "weak" when < ad_weak, else "neutral";
    a day with no decliner and at least one riser is strong), ``total_amount`` (CNY) and ``amount_heat_z``.
    """
    df = quotes
    if "is_suspended" in df.columns:
        df = df.filter(~pl.col("is_suspended").fill_null(False))
    df = df.filter(
        pl.col("close").is_not_null()
        & pl.col("pre_close").is_not_null()
        & ~pl.col("close").is_nan()
        & (pl.col("pre_close") > 0)
    )
    df = _limit_columns(df)
    tick = 0.005  # half a 0.01 CNY tick: limit prices are rounded to the tick
    per_day = (
        df.group_by("trade_date")
        .agg(
            pl.len().cast(pl.Int64).alias("n_stocks"),
            (pl.col("close") > pl.col("pre_close")).sum().cast(pl.Int64).alias("n_up"),
            (pl.col("close") < pl.col("pre_close")).sum().cast(pl.Int64).alias("n_down"),
            (pl.col("close") == pl.col("pre_close")).sum().cast(pl.Int64).alias("n_flat"),
            (pl.col("close") >= pl.col("up_limit") - tick)
            .fill_null(False)
            .sum()
            .cast(pl.Int64)
            .alias("n_limit_up"),
            (pl.col("close") <= pl.col("down_limit") + tick)
            .fill_null(False)
            .sum()
            .cast(pl.Int64)
            .alias("n_limit_down"),
            pl.col("amount").sum().alias("total_amount"),
        )
        .sort("trade_date")
    )
    ad = pl.when(pl.col("n_down") > 0).then(pl.col("n_up") / pl.col("n_down")).otherwise(None)
    label = (
        pl.when((pl.col("ad_ratio") > ad_strong) | ((pl.col("n_down") == 0) & (pl.col("n_up") > 0)))
        .then(pl.lit("strong"))
        .when(pl.col("ad_ratio") < ad_weak)
        .then(pl.lit("weak"))
        .otherwise(pl.lit("neutral"))
    )
    return (
        per_day.with_columns(
            (100.0 * pl.col("n_up") / pl.col("n_stocks")).alias("up_ratio"),
            ad.alias("ad_ratio"),
        )
        .with_columns(label.alias("sentiment"))
        .with_columns(heat_z_expr("total_amount", heat_window).alias("amount_heat_z"))
    )


_MKT_OUTS = (
    Out(
        "mkt_up_count",
        "上涨家数",
        "stocks",
        "stocks in the frame closing above their previous close that day",
    ),
    Out("mkt_down_count", "下跌家数", "stocks", "stocks closing below their previous close that day"),
    Out("mkt_limit_up_count", "涨停家数", "stocks", "stocks closing at their board's limit-up price"),
    Out("mkt_limit_down_count", "跌停家数", "stocks", "stocks closing at their board's limit-down price"),
    Out("mkt_up_ratio", "上涨比例", "%", "up count / stocks traded × 100"),
    Out("mkt_ad_ratio", "涨跌比", "ratio", "up count / down count (NaN when no stock fell)"),
    Out(
        "mkt_sentiment",
        "市场情绪",
        "",
        "1 strong (涨跌比 > 1.5), −1 weak (< 0.67), 0 neutral",
        {"ad_strong": AD_STRONG, "ad_weak": AD_WEAK},
    ),
    Out(
        "mkt_amount_heat_z",
        "成交额热度Z",
        "",
        "z-score of the day's total amount over 20 days",
        {"window": 20},
    ),
)


@factor_group(
    "market_sentiment", 5, ("close",), _MKT_OUTS, kind="frame", lookback=21, optional_inputs=("pre_close",)
)
def market_sentiment_frame(df: pl.DataFrame, ctx: ComputeContext) -> pl.DataFrame:
    """Engine adapter: the day's cross-section of the frame, broadcast to each (symbol, trade_date) row.

    Uses the frame's ``pre_close`` when present (exchange reference close; limit prices are then exact on
    unadjusted bars), else each stock's previous close in the frame. On forward-adjusted prices the limit counts are
    approximate (the tick rounding of limit prices applies to unadjusted prices).
    """
    data = df
    if "pre_close" not in data.columns:
        data = data.with_columns(pl.col("close").shift(1).over("symbol").alias("pre_close"))
    if "amount" not in data.columns:
        data = data.with_columns(pl.lit(None, dtype=pl.Float64).alias("amount"))
    day = market_sentiment(data.select(*[c for c in _SENTIMENT_INPUTS if c in data.columns]))
    score = pl.when(pl.col("sentiment") == "strong").then(1.0).when(pl.col("sentiment") == "weak").then(-1.0)
    day = day.select(
        "trade_date",
        pl.col("n_up").cast(pl.Float64).alias("mkt_up_count"),
        pl.col("n_down").cast(pl.Float64).alias("mkt_down_count"),
        pl.col("n_limit_up").cast(pl.Float64).alias("mkt_limit_up_count"),
        pl.col("n_limit_down").cast(pl.Float64).alias("mkt_limit_down_count"),
        pl.col("up_ratio").alias("mkt_up_ratio"),
        pl.col("ad_ratio").alias("mkt_ad_ratio"),
        score.otherwise(0.0).alias("mkt_sentiment"),
        pl.col("amount_heat_z").alias("mkt_amount_heat_z"),
    )
    return df.select("symbol", "trade_date").join(day, on="trade_date", how="left")


_SENTIMENT_INPUTS = (
    "symbol",
    "trade_date",
    "close",
    "pre_close",
    "amount",
    "up_limit",
    "down_limit",
    "is_suspended",
    "is_st",
    "list_date",
)
