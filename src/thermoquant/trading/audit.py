"""The daily audit (seed 002 §六.3): signals against bars against fills against refusals.

For a day D, :func:`audit_frame` lists every BUY/SELL signal of the previous session (a signal at the close is acted
on at the next open) and every order of D:

* was the signal acted on: the order of the same strategy, symbol and side on D, its state, filled shares, average
  price — or "no order";
* at what price against the bar: the day's open, low and high (``daily_quote``, ``etf_daily`` or the day's minute
  bars), the fill's distance from the open in basis points, and whether it lies inside [low, high];
* what was refused and why: rejected orders with their reason (risk refusals start with ``risk:``).
"""

from __future__ import annotations

import polars as pl

AUDIT_COLUMNS = ["strategy", "symbol", "signal", "signal_time", "client_order_id", "side", "status", "quantity",
                 "filled_qty", "avg_price", "open", "low", "high", "vs_open_bps", "in_bar", "acted", "reason"]  # fmt: skip


def audit_frame(signals: pl.DataFrame, orders: pl.DataFrame, bars: pl.DataFrame) -> pl.DataFrame:
    """``signals`` (strategy, symbol, signal, signal_time) of the previous session, ``orders`` (the ``orders``
    table's rows of the day) and ``bars`` (symbol, open, low, high of the day) → one row per signal or order."""
    sig = signals.filter(pl.col("signal").is_in(["BUY", "SELL"])).select(
        "strategy", "symbol", "signal", "signal_time",
        pl.when(pl.col("signal") == "BUY").then(pl.lit("buy")).otherwise(pl.lit("sell")).alias("side"),
    )  # fmt: skip
    o = orders.select("strategy", "symbol", "side", "client_order_id", "status", "quantity", "filled_qty",
                      "avg_price", "reason")  # fmt: skip
    j = sig.join(o, on=["strategy", "symbol", "side"], how="full", coalesce=True)
    j = j.join(bars.select("symbol", "open", "low", "high"), on="symbol", how="left")
    px = pl.col("avg_price")
    return (
        j.with_columns(
            ((px / pl.col("open") - 1.0) * 1e4).alias("vs_open_bps"),
            ((px >= pl.col("low") - 1e-9) & (px <= pl.col("high") + 1e-9)).alias("in_bar"),
            pl.when(pl.col("client_order_id").is_null())
            .then(pl.lit("no order"))
            .when(pl.col("status") == "rejected")
            .then(pl.lit("refused"))
            .when(pl.col("filled_qty") > 0)
            .then(pl.lit("filled"))
            .otherwise(pl.col("status"))
            .alias("acted"),
        )
        .select(AUDIT_COLUMNS)
        .sort("strategy", "symbol", "side")
    )
