"""Core selection (seed 001 §4.1): high-dividend, low-volatility, high-ROE blue chips, point-in-time.

:func:`select_core` ranks the candidates of one day ``as_of`` with data known at that day's close only:

* **candidates**: stocks with at least ``min_history`` traded days in the ``vol_window`` before ``as_of``, a bar
  in the 10 calendar days up to ``as_of``, not ST on their last bar (when ``is_st`` is given), mean daily amount
  ≥ ``min_amount`` CNY, and the ``bluechip_top`` largest by total market value (close × ``total_shares``);
* **dividend yield** (%): cash per share paid in the ``dividend_window`` calendar days up to ``as_of`` (derived
  from ex-rights prices, :mod:`.dividends`) / close. A stock with no ex-date in the window has yield 0 — but
  only when the bars cover the whole window; otherwise the field is *missing*;
* **volatility**: annualised standard deviation (√250) of daily returns ``close / pre_close − 1`` (the exchange
  reference price removes ex-rights gaps; the previous close where ``pre_close`` is absent) over ``vol_window``;
* **ROE** (%): the latest ``finance_data.roe`` with ``ann_date ≤ as_of`` and a report period at most 550 days
  old (lag report periods to their announcement before calling, :func:`announcement_date`);
* **PB**: the latest ``daily_valuation.pb`` in the 10 calendar days up to ``as_of`` (fallback only).

Score = mean of the percentile ranks of the rule's fields (1 = best). The primary rule ``dividend_vol_roe`` uses
dividend yield ↑, volatility ↓, ROE ↑. A field known for fewer than ``min_coverage`` of the candidates is
*missing*: the selection says so (``reasons``) and falls back to a named rule in which the field is replaced by
low PB (``low_pb``); when PB is missing too the field is dropped. The rule actually used is in ``rule``
(e.g. ``fallback:high_dividend+low_vol+low_pb``). Candidates lacking a field the rule uses are left out and
counted in ``reasons``; nothing is filled with a default.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from thermoquant.market.disclosure import report_deadline
from thermoquant.portfolio.dividends import trailing_dividends
from thermoquant.portfolio.params import CoreSatelliteParams

ANNUALISE = 250**0.5
STALE_REPORT_DAYS = 550
"""A report period older than this (calendar days) is too old to stand for the current ROE."""
FRESH_DAYS = 10
"""Calendar days a bar or a valuation may lag ``as_of`` and still count as the day's."""

# field -> (column, higher is better, name in a rule)
FIELDS: dict[str, tuple[str, bool, str]] = {
    "dividend_yield": ("dividend_yield", True, "high_dividend"),
    "volatility": ("volatility", False, "low_vol"),
    "roe": ("roe", True, "high_roe"),
    "pb": ("pb", False, "low_pb"),
}
PRIMARY = ("dividend_yield", "volatility", "roe")
PICK_SCHEMA = {"symbol": pl.Utf8(), "rank": pl.Int64(), "score": pl.Float64(), "dividend_yield": pl.Float64(),
               "volatility": pl.Float64(), "roe": pl.Float64(), "pb": pl.Float64()}  # fmt: skip


@dataclass(frozen=True)
class CoreSelection:
    """One day's core: ``picks`` (:data:`PICK_SCHEMA`, best first), the rule used, and why (missing fields,
    exclusions), in plain sentences."""

    as_of: dt.date
    picks: pl.DataFrame
    rule: str
    reasons: tuple[str, ...]
    candidates: int

    @property
    def symbols(self) -> list[str]:
        return self.picks["symbol"].to_list()


def announcement_date(report_period: pl.Expr) -> pl.Expr:
    """The disclosure deadline of each report period (:func:`thermoquant.market.disclosure.report_deadline`): use
    it as ``ann_date`` when a file gives only the period, so nothing is known before it could have been."""
    return report_deadline(report_period)


def _metrics(bars: pl.DataFrame, as_of: dt.date, p: CoreSatelliteParams) -> tuple[pl.DataFrame, list[str]]:
    """Per-candidate volatility, close, size and liquidity on ``as_of``; reasons for the filters."""
    reasons: list[str] = []
    b = bars.filter(pl.col("trade_date") <= as_of).sort("symbol", "trade_date")
    prev = pl.col("close").shift(1).over("symbol")
    ref = pl.coalesce(pl.col("pre_close"), prev) if "pre_close" in b.columns else prev
    b = b.with_columns((pl.col("close") / ref - 1.0).alias("_ret")).group_by("symbol").tail(p.vol_window)
    aggs = [
        pl.len().alias("_n"),
        pl.col("trade_date").last().alias("_last"),
        pl.col("close").last().alias("close"),
        (pl.col("_ret").std() * ANNUALISE).alias("volatility"),
        pl.col("amount").mean().alias("_amount"),
    ]
    if "total_shares" in b.columns:
        aggs.append((pl.col("close").last() * pl.col("total_shares").last()).alias("_mv"))
    if "is_st" in b.columns:
        aggs.append(pl.col("is_st").last().fill_null(False).alias("_st"))
    m = b.group_by("symbol").agg(aggs)
    n0 = m.height
    m = m.filter((pl.col("_n") >= p.min_history) & (pl.col("_last") >= as_of - dt.timedelta(days=FRESH_DAYS)))
    reasons.append(f"{n0 - m.height} of {n0} stocks left out: fewer than {p.min_history} traded days or no bar "
                   f"in the {FRESH_DAYS} days up to {as_of}")  # fmt: skip
    if "_st" in m.columns:
        st = m.filter(pl.col("_st")).height
        m = m.filter(~pl.col("_st"))
        reasons.append(f"{st} ST stocks left out")
    low = m.filter(pl.col("_amount") < p.min_amount).height
    m = m.filter(pl.col("_amount") >= p.min_amount)
    reasons.append(f"{low} stocks left out: mean daily amount < {p.min_amount:,.0f} CNY")
    known_mv = m.height - m["_mv"].null_count() if "_mv" in m.columns else 0
    if m.height and known_mv >= p.min_coverage * m.height:
        unknown = m.height - known_mv
        m = m.filter(pl.col("_mv").is_not_null()).sort("_mv", descending=True).head(p.bluechip_top)
        reasons.append(f"blue chips: the {m.height} largest by total market value ({unknown} without total_shares "
                       "left out)")  # fmt: skip
    else:
        reasons.append(f"total_shares missing (known for {known_mv} of {m.height}): no market-value filter, "
                       "blue chips by liquidity only")  # fmt: skip
    return m, reasons


def _latest(
    frame: pl.DataFrame | None, date_col: str, value: str, lo: dt.date, as_of: dt.date
) -> pl.DataFrame:
    """(symbol, value): the latest non-null ``value`` per symbol with ``lo <= date_col <= as_of``."""
    if frame is None or frame.is_empty() or value not in frame.columns:
        return pl.DataFrame(schema={"symbol": pl.Utf8(), value: pl.Float64()})
    return (
        frame.filter(pl.col(date_col).is_between(lo, as_of) & pl.col(value).is_not_null())
        .sort("symbol", date_col)
        .group_by("symbol")
        .agg(pl.col(value).last().cast(pl.Float64))
    )


def select_core(
    bars: pl.DataFrame,
    as_of: dt.date,
    params: CoreSatelliteParams | None = None,
    *,
    events: pl.DataFrame | None = None,
    finance: pl.DataFrame | None = None,
    valuation: pl.DataFrame | None = None,
) -> CoreSelection:
    """The core on ``as_of`` (module docstring). ``bars``: (symbol, trade_date, close, amount [, pre_close,
    total_shares, is_st]); ``events``: :func:`~.dividends.derive_events` rows; ``finance``: (symbol, ann_date,
    report_period, roe); ``valuation``: (symbol, trade_date, pb)."""
    p = params or CoreSatelliteParams()
    m, reasons = _metrics(bars, as_of, p)
    n = m.height
    # dividend yield: known only when the bars cover the whole trailing window
    first_bar = bars["trade_date"].min() if bars.height else None
    window_start = as_of - dt.timedelta(days=p.dividend_window)
    computed: set[str] = set()  # dividend_yield is computed only when the bars cover its window
    if events is None:
        reasons.append("dividend_yield missing: no ex-rights events given (bars lack pre_close)")
    elif first_bar is None or first_bar > window_start + dt.timedelta(days=FRESH_DAYS):
        reasons.append(f"dividend_yield missing: bars start {first_bar}, the {p.dividend_window}-day dividend window "
                       f"needs them from {window_start}")  # fmt: skip
    else:
        computed.add("dividend_yield")
        dps = trailing_dividends(events, as_of, p.dividend_window)
        m = m.join(dps, on="symbol", how="left").with_columns(
            (pl.col("dps").fill_null(0.0) / pl.col("close") * 100.0).alias("dividend_yield")
        )
    roe = _latest(finance, "ann_date", "roe", dt.date.min, as_of)
    if finance is not None and "report_period" in finance.columns and roe.height:
        fresh = finance.filter(
            (pl.col("ann_date") <= as_of)
            & (pl.col("report_period") >= as_of - dt.timedelta(days=STALE_REPORT_DAYS))
        )
        roe = _latest(fresh, "ann_date", "roe", dt.date.min, as_of)
    m = m.join(roe, on="symbol", how="left")
    m = m.join(_latest(valuation, "trade_date", "pb", as_of - dt.timedelta(days=FRESH_DAYS), as_of),
               on="symbol", how="left")  # fmt: skip
    m = m.with_columns(pl.when(pl.col("pb") > 0).then(pl.col("pb")).otherwise(None).alias("pb"))

    for f in FIELDS:  # a field never computed (no events, no finance) is known for no candidate
        if f not in m.columns:
            m = m.with_columns(pl.lit(None, pl.Float64).alias(f))
    known = {f: n - m[f].null_count() for f in FIELDS}
    present = {f: n > 0 and known[f] >= p.min_coverage * n for f in FIELDS}
    used: list[str] = []
    for f in PRIMARY:
        if present[f]:
            used.append(f)
            continue
        if known[f] or f != "dividend_yield" or "dividend_yield" in computed:
            reasons.append(
                f"{f} missing: known for {known[f]} of {n} candidates on {as_of} (< {p.min_coverage:.0%})"
            )
        if present["pb"] and "pb" not in used:
            used.append("pb")
            reasons.append(f"{f} replaced by low PB (daily_valuation.pb)")
        elif present["pb"]:
            reasons.append(f"{f} dropped from the rule: low PB already stands in for another field")
        else:
            reasons.append(f"{f} dropped from the rule: PB missing too (known for {known['pb']} of {n})")
    rule = "dividend_vol_roe" if used == list(PRIMARY) else "fallback:" + "+".join(FIELDS[f][2] for f in used)
    if not used:
        raise ValueError(
            f"core selection on {as_of}: no field usable among {n} candidates ({'; '.join(reasons)})"
        )
    before = m.height
    m = m.drop_nulls(used)
    if m.height < before:
        reasons.append(f"{before - m.height} candidates left out: a field of rule {rule} unknown for them")
    ranks = [pl.col(FIELDS[f][0]).rank("average", descending=not FIELDS[f][1]) / pl.len() for f in used]
    picks = (
        m.with_columns(pl.mean_horizontal(ranks).alias("score"))
        .sort(["score", "symbol"], descending=[True, False])
        .head(p.core_size)
        .with_columns(pl.int_range(1, pl.len() + 1).cast(pl.Int64).alias("rank"))
        .select([pl.col(c).cast(t) for c, t in PICK_SCHEMA.items()])
    )
    if picks.height < p.core_size:
        reasons.append(f"only {picks.height} stocks qualify for {p.core_size} core slots")
    return CoreSelection(as_of, picks, rule, tuple(reasons), n)
