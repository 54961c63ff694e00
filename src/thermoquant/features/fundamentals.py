"""Dimension 6 — fundamentals, point in time (seed 003 维度6).

Point in time
-------------
A ``finance_data`` row (symbol, report_period, ann_date, …) is usable from its ``ann_date`` (announcement date),
never from its ``report_period``. On a trade date *t* a stock's "current" fundamentals are those of the LATEST
report period announced on or before *t*, in the latest revision of that period announced on or before *t*
(a revision of an older period, announced later, updates that older period but does not replace a newer period).
``usable_on_ann_day=True`` (default) makes a value usable on the announcement day itself (A-share reports are
published outside trading hours, mostly the evening before or the morning of ann_date); False delays it one day.

Industry
--------
Industry membership comes from ``industry_member`` (symbol, classification, start_date, end_date, industry_name) as
of each trade date, or from the static ``stock_info.industry`` (:func:`industry_of`).

Valuation conventions: PE is the caller's daily PE-TTM (``daily_valuation.pe_ttm`` or Baostock ``peTTM``); PEG =
PE-TTM / net-profit growth (%) and is null when growth ≤ 0 or PE ≤ 0; industry-relative PE = PE / median PE of the
industry that day over members with a positive PE (loss makers excluded, ``positive_only``).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from thermoquant.features.context import ComputeContext
from thermoquant.features.registry import Out, factor_group

__all__ = [
    "FINANCE_COLUMNS",
    "industry_of",
    "industry_relative",
    "pit_finance",
    "valuation_factors",
]

FINANCE_COLUMNS: tuple[str, ...] = (
    "roe",
    "roa",
    "eps",
    "bps",
    "gross_margin",
    "net_margin",
    "revenue",
    "net_profit",
    "revenue_yoy",
    "profit_yoy",
    "debt_ratio",
    "current_ratio",
    "quick_ratio",
    "ocf",
    "ocf_to_profit",
    "dps",
    "payout_ratio",
)


def _knowledge(finance: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """One row per (symbol, known_from): the current period and its latest revision known from that day on."""
    f = finance.select(
        "symbol",
        pl.col("report_period").cast(pl.Date),
        pl.col("ann_date").cast(pl.Date),
        *columns,
    ).sort("symbol", "ann_date", "report_period")
    events = (
        f.group_by("symbol", "ann_date")
        .agg(pl.col("report_period").max().alias("_p"))
        .sort("symbol", "ann_date")
        .with_columns(pl.col("_p").cum_max().over("symbol").alias("report_period"))
        .drop("_p")
    )
    # latest revision (ann_date ≤ event) of the event's current period
    revs = f.rename({"ann_date": "rev_date"}).sort("symbol", "report_period", "rev_date")
    known = events.sort("symbol", "report_period", "ann_date").join_asof(
        revs,
        left_on="ann_date",
        right_on="rev_date",
        by=["symbol", "report_period"],
        strategy="backward",
        check_sortedness=False,
    )
    return known.rename({"ann_date": "known_from"}).sort("symbol", "known_from")


def pit_finance(
    finance: pl.DataFrame,
    dates: pl.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    usable_on_ann_day: bool = True,
) -> pl.DataFrame:
    """Point-in-time fundamentals on each (symbol, trade_date) of ``dates``.

    Args:
        finance: ``finance_data`` rows (symbol, report_period, ann_date, value columns).
        dates: (symbol, trade_date) rows to fill, e.g. a daily quote frame.
        columns: value columns to carry (default: those of :data:`FINANCE_COLUMNS` present in ``finance``).
        usable_on_ann_day: see the module docstring.

    Returns ``dates``' keys plus ``report_period``, ``ann_date`` (of the revision used) and the columns; null before
    a stock's first announcement.
    """
    cols = [c for c in (columns or FINANCE_COLUMNS) if c in finance.columns]
    known = _knowledge(finance, cols)
    if not usable_on_ann_day:
        known = known.with_columns(pl.col("known_from").dt.offset_by("1d"))
    d = dates.select("symbol", pl.col("trade_date").cast(pl.Date)).sort("symbol", "trade_date")
    out = d.join_asof(
        known,
        left_on="trade_date",
        right_on="known_from",
        by="symbol",
        strategy="backward",
        check_sortedness=False,
    )
    return out.select("symbol", "trade_date", "report_period", pl.col("rev_date").alias("ann_date"), *cols)


def _same_period_last_year(finance: pl.DataFrame, column: str) -> pl.DataFrame:
    """Value of ``column`` for the report period one year before, in its latest revision KNOWN by each row's
    ann_date (so a growth computed from it never uses a later revision)."""
    f = finance.select(
        "symbol", pl.col("report_period").cast(pl.Date), pl.col("ann_date").cast(pl.Date), column
    )
    prev = f.rename(
        {"report_period": "_prev_period", "ann_date": "_prev_ann", column: f"{column}_prev"}
    ).sort("symbol", "_prev_period", "_prev_ann")
    cur = f.with_columns(pl.col("report_period").dt.offset_by("-1y").alias("_prev_period")).sort(
        "symbol", "_prev_period", "ann_date"
    )
    return cur.join_asof(
        prev,
        left_on="ann_date",
        right_on="_prev_ann",
        by=["symbol", "_prev_period"],
        strategy="backward",
        check_sortedness=False,
    ).select("symbol", "report_period", "ann_date", f"{column}_prev")


def valuation_factors(
    quotes: pl.DataFrame,
    finance: pl.DataFrame,
    *,
    usable_on_ann_day: bool = True,
) -> pl.DataFrame:
    """Daily PIT fundamental factors: growth, PEG, dividend yield and payout.

    Args:
        quotes: (symbol, trade_date, close CNY unadjusted, pe_ttm) — pe_ttm optional (PEG is then omitted).
        finance: ``finance_data`` rows.

    Returns the quotes' keys plus: ``revenue_yoy``, ``profit_yoy`` (%, as reported), ``eps_yoy`` (%: EPS of the
    current period against the same period a year before, both as known that day; null when the base is ≤ 0),
    ``roe`` (%), ``peg`` (pe_ttm / profit_yoy), ``dividend_yield`` (% = dps of the latest ANNUAL report known / close ×
    100; Chinese firms declare the dividend with the annual report) and ``payout_ratio`` (% of that annual report).
    """
    fin = finance.with_columns(pl.col("report_period").cast(pl.Date), pl.col("ann_date").cast(pl.Date))
    eps_prev = _same_period_last_year(fin, "eps")
    fin_g = fin.join(eps_prev, on=["symbol", "report_period", "ann_date"], how="left").with_columns(
        pl.when(pl.col("eps_prev") > 0)
        .then((pl.col("eps") / pl.col("eps_prev") - 1.0) * 100.0)
        .alias("eps_yoy")
    )
    keys = quotes.select("symbol", pl.col("trade_date").cast(pl.Date))
    cur = pit_finance(
        fin_g, keys, ["revenue_yoy", "profit_yoy", "eps_yoy", "roe"], usable_on_ann_day=usable_on_ann_day
    )
    annual = fin.filter((pl.col("report_period").dt.month() == 12) & (pl.col("report_period").dt.day() == 31))
    ann = pit_finance(annual, keys, ["dps", "payout_ratio"], usable_on_ann_day=usable_on_ann_day).select(
        "symbol", "trade_date", "dps", "payout_ratio"
    )
    q = quotes.with_columns(pl.col("trade_date").cast(pl.Date))
    out = q.join(cur.drop("report_period", "ann_date"), on=["symbol", "trade_date"], how="left").join(
        ann, on=["symbol", "trade_date"], how="left"
    )
    extra = [
        pl.when(pl.col("close") > 0)
        .then(pl.col("dps").fill_null(0.0) / pl.col("close") * 100.0)
        .otherwise(None)
        .alias("dividend_yield")
    ]
    if "pe_ttm" in out.columns:
        extra.append(
            pl.when((pl.col("profit_yoy") > 0) & (pl.col("pe_ttm") > 0))
            .then(pl.col("pe_ttm") / pl.col("profit_yoy"))
            .alias("peg")
        )
    # a stock with no annual report known yet has an unknown, not a zero, dividend yield
    out = out.with_columns(extra).with_columns(
        pl.when(pl.col("payout_ratio").is_null() & pl.col("dps").is_null())
        .then(None)
        .otherwise(pl.col("dividend_yield"))
        .alias("dividend_yield")
    )
    cols = ["revenue_yoy", "profit_yoy", "eps_yoy", "roe", "dps", "dividend_yield", "payout_ratio"]
    if "pe_ttm" in out.columns:
        cols.append("peg")
    return out.select("symbol", "trade_date", *cols).sort("symbol", "trade_date")


def industry_of(
    dates: pl.DataFrame,
    *,
    industry_member: pl.DataFrame | None = None,
    stock_info: pl.DataFrame | None = None,
    classification: str | None = None,
) -> pl.DataFrame:
    """(symbol, trade_date, industry) for each row of ``dates``.

    With ``industry_member`` the membership in force that day (start_date ≤ t and (end_date is null or t ≤
    end_date)) of ``classification`` (default: the first classification in the frame, sorted) — point in time.
    Otherwise the static ``stock_info.industry`` (the current classification; survivorship of industry labels).
    """
    d = dates.select("symbol", pl.col("trade_date").cast(pl.Date))
    if industry_member is not None:
        im = industry_member
        cls = classification or sorted(im.get_column("classification").unique().to_list())[0]
        im = (
            im.filter(pl.col("classification") == cls)
            .select(
                "symbol",
                pl.col("start_date").cast(pl.Date),
                pl.col("end_date").cast(pl.Date),
                pl.col("industry_name").alias("industry"),
            )
            .sort("symbol", "start_date")
        )
        j = d.sort("symbol", "trade_date").join_asof(
            im,
            left_on="trade_date",
            right_on="start_date",
            by="symbol",
            strategy="backward",
            check_sortedness=False,
        )
        return j.select(
            "symbol",
            "trade_date",
            pl.when(pl.col("end_date").is_null() | (pl.col("trade_date") <= pl.col("end_date")))
            .then(pl.col("industry"))
            .alias("industry"),
        )
    if stock_info is not None:
        return d.join(stock_info.select("symbol", "industry"), on="symbol", how="left")
    raise ValueError("industry_of needs industry_member or stock_info")


def industry_relative(
    values: pl.DataFrame,
    industries: pl.DataFrame,
    column: str = "pe_ttm",
    *,
    positive_only: bool = True,
    min_members: int = 3,
) -> pl.DataFrame:
    """``column`` against its industry median that day.

    Args:
        values: (symbol, trade_date, column).
        industries: (symbol, trade_date, industry), e.g. from :func:`industry_of`.
        positive_only: the median runs over members with a positive value (for PE: loss makers excluded), and a
            non-positive own value gets a null relative value.
        min_members: fewer valid members than this → null median (too thin to compare).

    Returns (symbol, trade_date, industry, column, ``{column}_ind_median``, ``{column}_rel_ind`` = value / median,
    ``{column}_ind_pct`` = percentile rank within the industry that day, 0–100, 100 = highest).
    """
    v = values.select("symbol", pl.col("trade_date").cast(pl.Date), pl.col(column).cast(pl.Float64)).join(
        industries.select("symbol", pl.col("trade_date").cast(pl.Date), "industry"),
        on=["symbol", "trade_date"],
        how="left",
    )
    ok = pl.col(column).is_not_null() & pl.col(column).is_not_nan()
    if positive_only:
        ok = ok & (pl.col(column) > 0)
    v = v.with_columns(pl.when(ok).then(pl.col(column)).alias("_v"))
    grp = ["trade_date", "industry"]
    n = pl.col("_v").count().over(grp)
    med = pl.when((n >= min_members) & pl.col("industry").is_not_null()).then(pl.col("_v").median().over(grp))
    return (
        v.with_columns(med.alias(f"{column}_ind_median"))
        .with_columns(
            (pl.col("_v") / pl.col(f"{column}_ind_median")).alias(f"{column}_rel_ind"),
            pl.when(pl.col("_v").is_not_null() & pl.col(f"{column}_ind_median").is_not_null())
            .then(pl.col("_v").rank("average").over(grp) / n * 100.0)
            .alias(f"{column}_ind_pct"),
        )
        .drop("_v")
        .sort("symbol", "trade_date")
    )


_REL_OUTS = (
    Out(
        "pe_ttm_ind_median",
        "行业PE中位数",
        "ratio",
        "median PE-TTM of the stock's industry that day (PE > 0 only)",
    ),
    Out("pe_ttm_rel_ind", "行业相对PE", "ratio", "PE-TTM / industry median PE-TTM (null for PE ≤ 0)"),
    Out(
        "pe_ttm_ind_pct",
        "行业PE分位",
        "%",
        "percentile of PE-TTM within the industry that day, 100 = highest",
    ),
)


@factor_group("industry_relative_pe", 6, ("pe_ttm", "industry"), _REL_OUTS, kind="frame")
def industry_relative_pe_frame(df: pl.DataFrame, ctx: ComputeContext) -> pl.DataFrame:
    """Engine adapter: the daily frame must carry ``pe_ttm`` and ``industry`` (join daily_valuation and
    :func:`industry_of` first); the cross-section is the frame's stocks of each day."""
    lack = [c for c in ("pe_ttm", "industry") if c not in df.columns]
    if lack:
        raise ValueError(
            f"factor group 'industry_relative_pe' needs columns {lack} (daily_valuation, industry_of)"
        )
    rel = industry_relative(
        df.select("symbol", "trade_date", "pe_ttm"), df.select("symbol", "trade_date", "industry")
    )
    return rel.select("symbol", "trade_date", *[o.name for o in _REL_OUTS])
