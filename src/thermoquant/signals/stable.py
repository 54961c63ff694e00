"""The stable layer's alerts (seed 002 §四): fundamentals and valuation watched for a person to decide; nothing
trades on them.

Pure: ``finance_data`` and ``daily_valuation`` rows in, alert events out. Point in time: an event on day ``t`` uses
only rows announced on or before ``t`` (``ann_date`` for financials, ``trade_date`` for valuations); of a period
announced more than once (a restatement), the version in force is the one with the latest ``ann_date`` ≤ ``t``.

Rules (thresholds in :class:`StableParams`):

* ``payout_low`` — the payout ratio (``payout_ratio`` %) of the newly announced annual period and of the annual
  period before it are both below ``payout_min``. Event on the new period's announcement date.
* ``profit_drop`` — net profit year on year below −``profit_drop`` % in the newly announced quarter and in the
  quarter before it (two consecutive quarters). Year on year = ``profit_yoy`` where the row has it, else
  ``net_profit`` against the same period a year earlier as known on the announcement date (previous > 0).
* ``dividend_cut`` / ``dividend_suspended`` — the newly announced annual dividend per share (``dps``) is lower than
  the year before by more than ``dividend_cut`` (fraction), or 0 after a positive one. A period with ``dps`` null is
  unknown, never a cut.
* ``pe_spike`` / ``pb_spike`` — on a trading day, PE-TTM (PB) above the ``spike_pct`` percentile of its own last
  ``spike_years`` × 250 sessions (at least ``spike_min_history`` rows; percentile = (values strictly below + 1) /
  window, so a flat series at its own top is not a spike), or up more than ``spike_rise`` within
  ``spike_days`` sessions. An event on the day the condition starts (it did not hold the session before), so a
  long expensive stretch raises one alert, not one a day. Only positive values count.

Each event: ``symbol``, ``trigger_date``, ``rule``, ``level``, ``message`` (Chinese, with the figures that fired)
and ``figures`` (a dict), plus a deterministic ``alert_id`` = ``stable:<rule>:<symbol>:<key>`` where the key is the
report period for financial rules and the day for valuation rules, so running the check again never duplicates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

STRATEGY = "stable_alert"
LAYER = "stable"

LEVELS: dict[str, str] = {
    "payout_low": "info",
    "profit_drop": "warning",
    "dividend_cut": "warning",
    "dividend_suspended": "critical",
    "pe_spike": "warning",
    "pb_spike": "warning",
}
"""Alert level of each rule (alerts_log.level: info, warning, critical)."""

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "alert_id": pl.Utf8(),
    "symbol": pl.Utf8(),
    "trigger_date": pl.Date(),
    "rule": pl.Utf8(),
    "level": pl.Utf8(),
    "message": pl.Utf8(),
    "figures": pl.Object(),
}


def _p(default: float, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class StableParams:
    """Thresholds of the stable-layer rules (units in each doc)."""

    payout_min: float = _p(30.0, "payout ratio below this for two annual periods running [%]")
    profit_drop: float = _p(30.0, "net profit YoY below minus this for two quarters running [%]")
    dividend_cut: float = _p(0.0, "annual DPS down by more than this fraction of last year's [fraction]")
    spike_pct: float = _p(0.9, "PE/PB above this percentile of its own history [fraction]")
    spike_years: int = _p(3, "own history length for the percentile [years of 250 sessions]")
    spike_min_history: int = _p(250, "fewest own history rows for the percentile rule [rows]")
    spike_rise: float = _p(0.30, "PE/PB up more than this within spike_days [fraction]")
    spike_days: int = _p(20, "window of the rise rule [sessions]")


def known_at(finance: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    """Finance rows announced on or before ``day``, one per (symbol, report_period): the latest version."""
    return (
        finance.filter(pl.col("ann_date") <= day)
        .sort("symbol", "report_period", "ann_date")
        .group_by("symbol", "report_period", maintain_order=True)
        .last()
    )


def _shift_period(col: str, *, months: int) -> pl.Expr:
    """A report-period date moved back by ``months`` to the period's month end."""
    return pl.col(col).dt.offset_by(f"-{months}mo").dt.month_end()


def _prior(
    rows: pl.DataFrame, source: pl.DataFrame, months: int, cols: list[str], suffix: str
) -> pl.DataFrame:
    """``rows`` with ``cols`` of the period ``months`` earlier, as known on each row's ``ann_date`` (as-of join on
    the announcement date; the latest version announced on or before it)."""
    left = rows.with_columns(_shift_period("report_period", months=months).alias("_prev_period")).sort(
        "ann_date"
    )
    right = source.select(
        "symbol", pl.col("report_period").alias("_prev_period"), pl.col("ann_date").alias("_prev_ann"),
        *[pl.col(c).alias(c + suffix) for c in cols],
    ).sort("_prev_ann")  # fmt: skip
    return left.join_asof(
        right, left_on="ann_date", right_on="_prev_ann", by=["symbol", "_prev_period"], strategy="backward",
        check_sortedness=False,
    ).drop("_prev_period", "_prev_ann")  # fmt: skip


def _yoy(finance: pl.DataFrame) -> pl.DataFrame:
    """Finance rows with ``yoy`` (%): profit_yoy, else net_profit against the period a year earlier known then."""
    rows = _prior(finance, finance, 12, ["net_profit"], "_ly")
    computed = pl.when(pl.col("net_profit_ly") > 0).then(
        (pl.col("net_profit") / pl.col("net_profit_ly") - 1) * 100
    )
    return rows.with_columns(pl.coalesce(pl.col("profit_yoy"), computed).alias("yoy")).drop("net_profit_ly")


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


def finance_events(
    finance: pl.DataFrame, start: dt.date, end: dt.date, p: StableParams
) -> list[dict[str, Any]]:
    """Events of the financial rules announced in [start, end] (module docstring)."""
    if finance.is_empty():
        return []
    cols = ["symbol", "report_period", "ann_date", "net_profit", "profit_yoy", "dps", "payout_ratio"]
    fin = finance.select(cols).filter(pl.col("ann_date") <= end)
    events: list[dict[str, Any]] = []
    fresh = pl.col("ann_date").is_between(start, end)

    q = _yoy(fin)
    q = _prior(q, q, 3, ["yoy"], "_prev").filter(fresh)
    drop = q.filter((pl.col("yoy") < -p.profit_drop) & (pl.col("yoy_prev") < -p.profit_drop))
    for r in drop.iter_rows(named=True):
        msg = (f"净利润同比连续两个季度下滑超过 {p.profit_drop:g}%：{r['report_period']} {_fmt(r['yoy'])}%，"
               f"上一季度 {_fmt(r['yoy_prev'])}% / net profit YoY below −{p.profit_drop:g}% two quarters running")  # fmt: skip
        events.append(_event(r, "profit_drop", msg, {"yoy": r["yoy"], "yoy_prev_quarter": r["yoy_prev"]}))

    annual = fin.filter(pl.col("report_period").dt.month() == 12)
    a = _prior(annual, annual, 12, ["payout_ratio", "dps"], "_ly").filter(fresh)
    low = a.filter((pl.col("payout_ratio") < p.payout_min) & (pl.col("payout_ratio_ly") < p.payout_min))
    for r in low.iter_rows(named=True):
        msg = (f"分红率连续两年低于 {p.payout_min:g}%：{r['report_period'].year} 年 {_fmt(r['payout_ratio'])}%，"
               f"上年 {_fmt(r['payout_ratio_ly'])}% / payout ratio below {p.payout_min:g}% two years running")  # fmt: skip
        events.append(_event(r, "payout_low", msg, {"payout_ratio": r["payout_ratio"],
                                                    "payout_ratio_last_year": r["payout_ratio_ly"]}))  # fmt: skip
    known = a.filter(pl.col("dps").is_not_null() & (pl.col("dps_ly") > 0))
    suspended = known.filter(pl.col("dps") == 0)
    cut = known.filter((pl.col("dps") > 0) & (pl.col("dps") < pl.col("dps_ly") * (1 - p.dividend_cut)))
    for rule, frame in (("dividend_suspended", suspended), ("dividend_cut", cut)):
        for r in frame.iter_rows(named=True):
            what = "暂停分红" if rule == "dividend_suspended" else "分红减少"
            msg = (f"{what}：{r['report_period'].year} 年每股派息 {_fmt(r['dps'])} 元，上年 {_fmt(r['dps_ly'])} 元 / "
                   f"{'dividend suspended' if rule == 'dividend_suspended' else 'dividend cut'}")  # fmt: skip
            events.append(_event(r, rule, msg, {"dps": r["dps"], "dps_last_year": r["dps_ly"]}))
    return events


def _event(row: dict[str, Any], rule: str, message: str, figures: dict[str, Any]) -> dict[str, Any]:
    period = row["report_period"]
    return {
        "alert_id": f"stable:{rule}:{row['symbol']}:{period.isoformat()}",
        "symbol": row["symbol"],
        "trigger_date": row["ann_date"],
        "rule": rule,
        "level": LEVELS[rule],
        "message": message,
        "figures": {"report_period": period.isoformat(), "ann_date": row["ann_date"].isoformat(), **figures},
    }


def valuation_events(
    valuation: pl.DataFrame, start: dt.date, end: dt.date, p: StableParams
) -> list[dict[str, Any]]:
    """Events of the PE / PB spike rules on trading days in [start, end] (module docstring)."""
    if valuation.is_empty():
        return []
    n = p.spike_years * 250
    v = (
        valuation.filter(pl.col("trade_date") <= end)
        .select("symbol", "trade_date", "pe_ttm", "pb")
        .sort("symbol", "trade_date")
    )
    events: list[dict[str, Any]] = []
    for col, rule in (("pe_ttm", "pe_spike"), ("pb", "pb_spike")):
        x = pl.col(col)
        s = v.filter(x > 0).with_columns(
            (
                x.rolling_rank(n, method="min", min_samples=1).over("symbol")
                / pl.int_range(1, pl.len() + 1).over("symbol").clip(upper_bound=n)
            ).alias("pct"),
            pl.int_range(1, pl.len() + 1).over("symbol").alias("rows"),
            (x / x.shift(p.spike_days).over("symbol") - 1).alias("rise"),
        )
        high = (pl.col("pct") > p.spike_pct) & (pl.col("rows") >= p.spike_min_history)
        fast = pl.col("rise") > p.spike_rise
        cond = (high | fast).fill_null(False)
        s = s.with_columns(cond.alias("on"), cond.shift(1).over("symbol").fill_null(False).alias("was"))
        fired = s.filter(pl.col("on") & ~pl.col("was") & pl.col("trade_date").is_between(start, end))
        for r in fired.iter_rows(named=True):
            name = "市盈率 PE-TTM" if col == "pe_ttm" else "市净率 PB"
            parts = []
            if r["rows"] >= p.spike_min_history and r["pct"] > p.spike_pct:
                parts.append(f"处于自身 {p.spike_years} 年 {r['pct']:.1%} 分位（阈值 {p.spike_pct:.0%}）")
            if r["rise"] is not None and r["rise"] > p.spike_rise:
                parts.append(f"{p.spike_days} 日内上涨 {r['rise']:.0%}（阈值 {p.spike_rise:.0%}）")
            msg = f"{name} {r[col]:.2f} 偏高：{'；'.join(parts)} / valuation spike"
            day = r["trade_date"]
            events.append({
                "alert_id": f"stable:{rule}:{r['symbol']}:{day.isoformat()}", "symbol": r["symbol"],
                "trigger_date": day, "rule": rule, "level": LEVELS[rule], "message": msg,
                "figures": {col: r[col], "percentile": r["pct"], "history_rows": r["rows"], "rise": r["rise"],
                            "trade_date": day.isoformat()},
            })  # fmt: skip
    return events


def stable_alerts(
    finance: pl.DataFrame | None,
    valuation: pl.DataFrame | None,
    start: dt.date,
    end: dt.date,
    params: StableParams | None = None,
) -> pl.DataFrame:
    """Every event with ``trigger_date`` in [start, end], sorted by date, symbol and rule (:data:`EVENT_SCHEMA`)."""
    p = params or StableParams()
    events = []
    if finance is not None:
        events += finance_events(finance, start, end, p)
    if valuation is not None:
        events += valuation_events(valuation, start, end, p)
    events.sort(key=lambda e: (e["trigger_date"], e["symbol"], e["rule"]))
    seen: set[str] = set()
    unique = [
        e for e in events if not (e["alert_id"] in seen or seen.add(e["alert_id"]))
    ]  # first version wins
    return pl.DataFrame(unique, schema=EVENT_SCHEMA) if unique else pl.DataFrame(schema=EVENT_SCHEMA)


def signal_rows(events: pl.DataFrame) -> pl.DataFrame:
    """One ``signals`` row per (symbol, trigger day): signal ALERT, reason = the messages, details = the events'
    rule, level, alert_id and figures (JSON), layer = stable."""
    import json

    if events.is_empty():
        return pl.DataFrame()
    rows = []
    for (symbol, day), grp in events.group_by(["symbol", "trigger_date"], maintain_order=True):
        items = grp.to_dicts()
        details = [{k: it[k] for k in ("alert_id", "rule", "level", "figures")} for it in items]
        rows.append({
            "strategy": STRATEGY, "symbol": symbol,
            "signal_time": dt.datetime.combine(day, dt.time(15, 0)), "signal": "ALERT",
            "reason": "；".join(it["message"] for it in items),
            "details": json.dumps(details, ensure_ascii=False, sort_keys=True, default=str), "layer": LAYER,
        })  # fmt: skip
    return pl.DataFrame(rows)


def alert_log_rows(events: pl.DataFrame) -> pl.DataFrame:
    """``alerts_log`` rows: deterministic alert_id, alert_time = trigger day 15:00, level, rule
    (``stable.<rule>``), symbol, message; ``delivered`` left null = pending for the sender."""
    if events.is_empty():
        return pl.DataFrame()
    return events.select(
        "alert_id",
        pl.col("trigger_date").cast(pl.Datetime("us")).dt.offset_by("15h").alias("alert_time"),
        "level",
        pl.format("stable.{}", pl.col("rule")).alias("rule"),
        "symbol",
        "message",
    )
