"""Dimension 5 — fund flows: per-stock and per-industry money flow, north-bound (Stock Connect) flow, margin trading.

Inputs are frames in the schema of the tables of :mod:`thermoquant.data.schema`:

* ``funds_flow`` (scope, code, trade_date, main_net, xl_net, l_net, m_net, s_net, main_net_pct) — CNY, %;
* ``north_flow`` (trade_date, channel ∈ {sh, sz, total}, net_buy, buy_amount, sell_amount) — CNY;
* ``margin_detail`` (symbol, trade_date, fin_balance, fin_buy, sec_balance, sec_sell_volume) — CNY, shares.

Conventions: moving averages and sums run over the ROWS of each series (its own trading days), need a full window
(``min_samples = window``) and are labelled by trading days (``_ma5`` = 5 rows). Amounts stay in CNY.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from thermoquant.features.context import ComputeContext
from thermoquant.features.registry import Out, factor_group

__all__ = [
    "FLOW_WINDOWS",
    "NORTH_WINDOWS",
    "industry_flow_rank",
    "margin_factors",
    "margin_market",
    "north_flow_factors",
    "stock_flow_factors",
]

FLOW_WINDOWS: tuple[int, ...] = (5, 10, 20)
NORTH_WINDOWS: tuple[int, ...] = (5, 10, 20)


def _ma(col: str, w: int, by: str | None) -> pl.Expr:
    e = pl.col(col).rolling_mean(w, min_samples=w)
    return (e.over(by) if by else e).alias(f"{col}_ma{w}")


def _sum(col: str, w: int, by: str | None) -> pl.Expr:
    e = pl.col(col).rolling_sum(w, min_samples=w)
    return (e.over(by) if by else e).alias(f"{col}_sum{w}")


def stock_flow_factors(
    flow: pl.DataFrame,
    amount: pl.DataFrame | None = None,
    windows: Sequence[int] = FLOW_WINDOWS,
) -> pl.DataFrame:
    """Per-stock money-flow factors (seed 003 个股资金流向).

    Args:
        flow: ``funds_flow`` rows; only ``scope == "stock"`` is used (``code`` is the symbol).
        amount: optional (symbol, trade_date, amount CNY) to compute ``main_net_pct`` where the vendor left it null.
        windows: MA / rolling-sum lengths in trading days.

    Returns (symbol, trade_date, main_net, xl_net, l_net, m_net, s_net, main_net_pct, and per window w:
    ``main_net_ma{w}``, ``main_net_sum{w}``, ``main_net_pct_ma{w}``), sorted by symbol then date.
    ``main_net_pct`` = main_net / amount × 100 (%).
    """
    f = (
        flow.filter(pl.col("scope") == "stock")
        .rename({"code": "symbol"})
        .with_columns(pl.col("trade_date").cast(pl.Date))
        .sort("symbol", "trade_date")
    )
    if amount is not None:
        a = amount.select("symbol", pl.col("trade_date").cast(pl.Date), pl.col("amount").alias("_amount"))
        f = f.join(a, on=["symbol", "trade_date"], how="left").with_columns(
            pl.coalesce(
                pl.col("main_net_pct"),
                pl.when(pl.col("_amount") > 0).then(pl.col("main_net") / pl.col("_amount") * 100.0),
            ).alias("main_net_pct")
        )
    f = f.select("symbol", "trade_date", "main_net", "xl_net", "l_net", "m_net", "s_net", "main_net_pct")
    exprs: list[pl.Expr] = []
    for w in windows:
        exprs += [
            _ma("main_net", w, "symbol"),
            _sum("main_net", w, "symbol"),
            _ma("main_net_pct", w, "symbol"),
        ]
    return f.with_columns(exprs)


def industry_flow_rank(flow: pl.DataFrame, scope: str = "industry") -> pl.DataFrame:
    """Daily rank of industries by main net inflow (seed 003 板块资金流向 / 行业主力净流入).

    Returns (code, trade_date, main_net, main_net_pct, flow_rank, flow_rank_pct): ``flow_rank`` 1 = largest net
    inflow that day (ties share the best rank, "min" method); ``flow_rank_pct`` = percentile in (0, 100], 100 = the
    largest inflow. Rows with a null main_net get no rank.
    """
    f = flow.filter(pl.col("scope") == scope).with_columns(pl.col("trade_date").cast(pl.Date))
    n = pl.col("main_net").count().over("trade_date")
    return (
        f.select("code", "trade_date", "main_net", "main_net_pct")
        .with_columns(
            (-pl.col("main_net")).rank("min").over("trade_date").cast(pl.Int64).alias("flow_rank"),
            (pl.col("main_net").rank("max").over("trade_date") / n * 100.0).alias("flow_rank_pct"),
        )
        .sort("trade_date", "flow_rank")
    )


def north_flow_factors(north: pl.DataFrame, windows: Sequence[int] = NORTH_WINDOWS) -> pl.DataFrame:
    """Daily north-bound factors (seed 003 北向资金).

    ``north_net`` is the ``total`` channel where present, else the sum of ``sh`` and ``sz`` that day.
    Returns (trade_date, north_sh_net, north_sz_net, north_net, north_cum = running sum of north_net from the first
    row of the frame, north_net_ma{w} for each window), in CNY.
    """
    n = north.with_columns(pl.col("trade_date").cast(pl.Date))
    wide = (
        n.group_by("trade_date")
        .agg(
            pl.col("net_buy").filter(pl.col("channel") == "sh").sum().alias("north_sh_net"),
            pl.col("net_buy").filter(pl.col("channel") == "sz").sum().alias("north_sz_net"),
            pl.col("net_buy").filter(pl.col("channel") == "total").first().alias("_total"),
            (pl.col("channel") == "sh").any().alias("_has_sh"),
            (pl.col("channel") == "sz").any().alias("_has_sz"),
        )
        .sort("trade_date")
    )
    wide = wide.with_columns(
        pl.when(pl.col("_has_sh")).then(pl.col("north_sh_net")).alias("north_sh_net"),
        pl.when(pl.col("_has_sz")).then(pl.col("north_sz_net")).alias("north_sz_net"),
    ).with_columns(
        pl.coalesce(
            pl.col("_total"),
            pl.when(pl.col("_has_sh") & pl.col("_has_sz")).then(
                pl.col("north_sh_net") + pl.col("north_sz_net")
            ),
        ).alias("north_net")
    )
    return wide.select(
        "trade_date",
        "north_sh_net",
        "north_sz_net",
        "north_net",
        pl.col("north_net").cum_sum().alias("north_cum"),
        *[_ma("north_net", w, None) for w in windows],
    )


def margin_factors(margin: pl.DataFrame, amount: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per-stock margin factors (seed 003 融资融券).

    Returns (symbol, trade_date, fin_balance, sec_balance, margin_balance = fin + sec, fin_buy, sec_sell_volume,
    fin_balance_chg = change from the stock's previous row (CNY), fin_balance_chg_pct (%), sec_balance_chg,
    margin_balance_chg, and with ``amount`` (symbol, trade_date, amount CNY): fin_buy_ratio = fin_buy / amount × 100).
    """
    m = margin.with_columns(pl.col("trade_date").cast(pl.Date)).sort("symbol", "trade_date")
    m = m.with_columns((pl.col("fin_balance") + pl.col("sec_balance")).alias("margin_balance"))
    diff = {c: pl.col(c).diff().over("symbol") for c in ("fin_balance", "sec_balance", "margin_balance")}
    out = m.select(
        "symbol",
        "trade_date",
        "fin_balance",
        "sec_balance",
        "margin_balance",
        "fin_buy",
        "sec_sell_volume",
        diff["fin_balance"].alias("fin_balance_chg"),
        (diff["fin_balance"] / pl.col("fin_balance").shift(1).over("symbol") * 100.0).alias(
            "fin_balance_chg_pct"
        ),
        diff["sec_balance"].alias("sec_balance_chg"),
        diff["margin_balance"].alias("margin_balance_chg"),
    )
    if amount is not None:
        a = amount.select("symbol", pl.col("trade_date").cast(pl.Date), "amount")
        out = out.join(a, on=["symbol", "trade_date"], how="left").with_columns(
            pl.when(pl.col("amount") > 0)
            .then(pl.col("fin_buy") / pl.col("amount") * 100.0)
            .alias("fin_buy_ratio")
        )
        out = out.drop("amount")
    return out


def margin_market(margin: pl.DataFrame) -> pl.DataFrame:
    """Market-wide margin totals per day: (trade_date, fin_balance, sec_balance, margin_balance, fin_buy, n_stocks,
    margin_balance_chg) — sums over the stocks reported that day (CNY)."""
    m = margin.with_columns(pl.col("trade_date").cast(pl.Date))
    day = (
        m.group_by("trade_date")
        .agg(
            pl.col("fin_balance").sum(),
            pl.col("sec_balance").sum(),
            (pl.col("fin_balance") + pl.col("sec_balance")).sum().alias("margin_balance"),
            pl.col("fin_buy").sum(),
            pl.len().cast(pl.Int64).alias("n_stocks"),
        )
        .sort("trade_date")
    )
    return day.with_columns(pl.col("margin_balance").diff().alias("margin_balance_chg"))


_FLOW_OUTS = (
    Out(
        "main_net_pct_ma5",
        "主力净流入占比_MA5",
        "%",
        "5-day mean of main net inflow / amount × 100",
        {"window": 5},
    ),
    Out("main_net_sum5", "主力净流入_5日累计", "CNY", "5-day sum of main net inflow", {"window": 5}),
    Out("main_net_sum20", "主力净流入_20日累计", "CNY", "20-day sum of main net inflow", {"window": 20}),
)


@factor_group("fund_flow", 5, ("main_net", "amount"), _FLOW_OUTS, kind="frame", lookback=20)
def fund_flow_frame(df: pl.DataFrame, ctx: ComputeContext) -> pl.DataFrame:
    """Engine adapter: the daily frame must carry ``main_net`` (CNY; join ``funds_flow`` rows of scope "stock")."""
    lack = [c for c in ("main_net", "amount") if c not in df.columns]
    if lack:
        raise ValueError(
            f"factor group 'fund_flow' needs columns {lack}: join funds_flow (scope 'stock') first"
        )
    pct = pl.when(pl.col("amount") > 0).then(pl.col("main_net") / pl.col("amount") * 100.0)
    return (
        df.sort("symbol", "trade_date")
        .with_columns(pct.alias("_pct"))
        .select(
            "symbol",
            "trade_date",
            pl.col("_pct").rolling_mean(5, min_samples=5).over("symbol").alias("main_net_pct_ma5"),
            pl.col("main_net").rolling_sum(5, min_samples=5).over("symbol").alias("main_net_sum5"),
            pl.col("main_net").rolling_sum(20, min_samples=20).over("symbol").alias("main_net_sum20"),
        )
    )
