"""Cash dividends and splits derived from the exchange's ex-rights reference price (no dividend table needed).

On an ex-date the exchange publishes a reference previous close (``pre_close``) below the last close:
``pre_close = (prev_close − cash + rights) / (1 + bonus + rights_ratio)``. Where the share count does not change
(no bonus shares, no rights issue) this gives the cash dividend per share directly::

    cash = prev_close − pre_close            (CNY per share, pre-tax)

Where ``total_shares`` changes on the ex-date (bonus / conversion shares, a rights issue) the event is booked as a
value-conserving split: ``ratio = prev_close / pre_close`` new shares per old share and no cash — any cash paid
on the same day is folded into the ratio, and a rights issue counts as if the holder kept the value of the rights
without subscribing (the reference price alone cannot tell the parts apart; the share counts' own ratio would
hand out rights shares for free). Both are rows ``(symbol, trade_date, ratio, cash, kind)`` in the shape of the
engine's ``events`` (trade_date = ex-date, the first day on the new basis).

Precision: ``pre_close`` is rounded to the fen, so a derived cash dividend is exact to ±0.005 CNY (601398's
2021 dividend of 0.2660 shows as 0.27). ``prev_close`` is the symbol's previous traded row (a suspended day has
no row, and the reference price refers to the last traded close).
"""

from __future__ import annotations

import polars as pl

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "symbol": pl.Utf8(),
    "trade_date": pl.Date(),
    "ratio": pl.Float64(),
    "cash": pl.Float64(),
    "kind": pl.Utf8(),
    "basis": pl.Utf8(),
}
"""``basis``: the share count that told a dividend from a split — ``total_shares``, ``float_shares``,
``turnover`` (float shares implied by volume / turnover % × 100, Baostock files) or ``none`` (no count: read as a
dividend)."""

MIN_GAP = 0.005
"""CNY: a previous close and a reference price closer than half a fen are the same price (no event)."""
SHARE_CHANGE = 0.005
"""Relative change of the share count above which an ex-date is a split. The xbx counts (market value / close)
move by far less than 0.1 % between days, Baostock's turnover-implied float by < 0.1 % on 99 % of days; the
smallest bonus issue (10 送 0.5) adds 5 %. A float count can also jump on a lock-up expiry that falls on an
ex-date: use total shares where the file has them."""


def _shares(columns: list[str]) -> tuple[pl.Expr, pl.Expr]:
    """(share count, basis name) from the best column present (``EVENT_SCHEMA`` docstring)."""
    options: list[tuple[str, pl.Expr]] = []
    if "total_shares" in columns:
        options.append(("total_shares", pl.col("total_shares").cast(pl.Float64)))
    if "float_shares" in columns:
        options.append(("float_shares", pl.col("float_shares").cast(pl.Float64)))
    if {"turnover", "volume"} <= set(columns):
        implied = pl.col("volume") / pl.col("turnover") * 100.0
        options.append(("turnover", pl.when(pl.col("turnover") > 0).then(implied).otherwise(None)))
    count: pl.Expr = pl.lit(None, pl.Float64)
    basis: pl.Expr = pl.lit("none")
    for name, expr in reversed(options):
        count = pl.when(expr.is_not_null() & (expr > 0)).then(expr).otherwise(count)
        basis = pl.when(expr.is_not_null() & (expr > 0)).then(pl.lit(name)).otherwise(basis)
    return count, basis


def derive_events(
    bars: pl.DataFrame, *, min_gap: float = MIN_GAP, share_change: float = SHARE_CHANGE
) -> pl.DataFrame:
    """Dividend and split events of ``bars`` (symbol, trade_date, close, pre_close [, total_shares, float_shares,
    volume + turnover]).

    Returns :data:`EVENT_SCHEMA` rows: ``kind`` = ``dividend`` (ratio 1, cash > 0) or ``split`` (ratio ≠ 1, no
    cash). The share count of the ex-date and of the previous row must come from the same basis; without any
    count an ex-date is read as a dividend (``basis`` = ``none`` says so). Rows without ``pre_close`` are skipped.
    """
    if "pre_close" not in bars.columns or bars.is_empty():
        return pl.DataFrame(schema=EVENT_SCHEMA)
    count, basis = _shares(bars.columns)
    b = (
        bars.sort("symbol", "trade_date")
        .with_columns(count.alias("_shares"), basis.alias("basis"))
        .with_columns(
            pl.col("close").shift(1).over("symbol").alias("_prev"),
            pl.col("_shares").shift(1).over("symbol").alias("_prev_shares"),
            pl.col("basis").shift(1).over("symbol").alias("_prev_basis"),
        )
    )
    ex = b.filter(
        pl.col("pre_close").is_not_null() & ((pl.col("_prev") - pl.col("pre_close")).abs() > min_gap)
    )
    changed = (
        (pl.col("basis") == pl.col("_prev_basis"))
        & pl.col("_prev_shares").is_not_null()
        & ((pl.col("_shares") / pl.col("_prev_shares") - 1.0).abs() > share_change)
    )
    ex = ex.with_columns(
        pl.when(changed).then(pl.col("_prev") / pl.col("pre_close")).otherwise(1.0).alias("ratio"),
        pl.when(pl.col("basis") != pl.col("_prev_basis"))
        .then(pl.lit("none"))
        .otherwise(pl.col("basis"))
        .alias("basis"),
    )
    cash = (pl.col("_prev") - pl.col("pre_close")).round(4)
    ex = ex.with_columns(
        pl.when(pl.col("ratio") == 1.0).then(cash).otherwise(0.0).alias("cash"),
        pl.when(pl.col("ratio") != 1.0).then(pl.lit("split")).otherwise(pl.lit("dividend")).alias("kind"),
    )
    ex = ex.filter((pl.col("kind") == "split") | (pl.col("cash") > 0))
    return ex.select(
        pl.col("symbol").cast(pl.Utf8), pl.col("trade_date").cast(pl.Date), "ratio", "cash", "kind", "basis"
    )


def trailing_dividends(events: pl.DataFrame, as_of: object, window_days: int) -> pl.DataFrame:
    """Cash per share paid in the ``window_days`` calendar days up to ``as_of`` (inclusive): (symbol, dps)."""
    import datetime as dt

    day = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))
    lo = day - dt.timedelta(days=window_days)
    return (
        events.filter(pl.col("trade_date").is_between(lo, day, closed="right") & (pl.col("cash") > 0))
        .group_by("symbol")
        .agg(pl.col("cash").sum().alias("dps"))
    )
