"""Sector rotation (seed 002 §五.5): every week or month, the top N industries, within them the top M stocks by
the attack score, weights capped per industry and per stock.

On each rebalance day (the last session of each week or month in the panel):

1. **Rank industries** (Shenwan 2021 level 1, membership in force that day) by ``rank_by``:
   ``flow`` — the industry's net inflow over ``flow_days`` / its amount (:func:`signals.scores.industry_flows`,
   from ``funds_flow``); or the name of any registered factor — the industry median of that factor that day.
   When ``rank_by = flow`` and the panel holds no ``funds_flow`` rows (vendors keep ~100 days; the store has flow
   only from the day the daily ingest started), the industries are ranked by the median of ``fallback_factor``
   instead, and every target row's ``reason`` says so.
2. **Pick stocks**: the ``top_stocks`` best composites (:mod:`thermoquant.signals.scores`) among the top
   ``top_industries`` industries' stocks that pass the blacklist and score at least ``min_score``.
3. **Weights**: 1 / ``top_stocks`` each, capped at ``stock_cap``; an industry above ``industry_cap`` is scaled down
   to it. What the caps cut stays in cash (no re-spreading, so a cap is never exceeded).

Stocks that leave the selection get weight 0 on the rebalance day. Fills, lots, T+1 and price limits are the
engine's (a limit-up stock can still be sold; a limit-up buy is refused by the engine).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from thermoquant.signals.scores import base_frame, decide, industry_flows, score_frame
from thermoquant.strategies.attack_score import AttackScore, excluded, params_class, score_inputs
from thermoquant.strategies.base import Panel, ParamError, Strategy, param, signal_frame

STRATEGY = "rotation"
REBALANCE = ("weekly", "monthly")

_RotationBase = params_class(
    "RotationParams",
    STRATEGY,
    [
        ("rebalance", str, param("weekly", "调仓频率 weekly（每周最后交易日）或 monthly rebalance frequency")),
        ("top_industries", int, param(3, "保留行业数 N top industries", unit="industries", ge=1)),
        ("top_stocks", int, param(10, "入选个股数 M（在前 N 行业中按综合分）top stocks", unit="stocks", ge=1)),
        ("stock_cap", float, param(0.15, "单只股票权重上限 per-stock weight cap", unit="fraction", gt=0, le=1)),
        ("industry_cap", float, param(0.4, "单一行业权重上限 per-industry weight cap", unit="fraction", gt=0, le=1)),
        ("rank_by", str, param("flow", "行业排名依据：flow（资金净流入/成交额）或任一已注册因子的行业中位数 "
                                       "industry ranking: flow or a registered factor")),
        ("fallback_factor", str, param("mom_20_pct", "无资金流数据时改用的因子 factor used when flow is missing")),
        ("min_score", float, param(0.0, "入选个股综合分下限 composite floor", unit="points")),
        ("min_amount", float, param(20_000_000.0, "黑名单：当日成交额低于此值 blacklist amount below",
                                    unit="CNY", ge=0)),
        ("exclude_st", bool, param(True, "黑名单：ST / *ST 股票 blacklist ST stocks")),
    ],
)  # fmt: skip


def _validate(self: Any) -> None:
    if self.rebalance not in REBALANCE:
        raise ParamError(STRATEGY, "rebalance", f"{self.rebalance!r} is not one of {', '.join(REBALANCE)}")


_RotationBase.validate = _validate  # type: ignore[method-assign]
RotationParams = _RotationBase


def rebalance_days(days: list[dt.date], every: str) -> list[dt.date]:
    """The last session of each ISO week (``weekly``) or calendar month (``monthly``) among ``days``."""
    key = (lambda d: d.isocalendar()[:2]) if every == "weekly" else (lambda d: (d.year, d.month))
    last: dict[Any, dt.date] = {}
    for d in sorted(days):
        last[key(d)] = d
    return sorted(last.values())


def industry_ranking(panel: Panel, base: pl.DataFrame, params: Any) -> tuple[pl.DataFrame, str]:
    """(industry_name, trade_date, value) — higher ranks first — and how it was ranked (for the reason)."""
    flows = panel.frames.get("funds_flow")
    by = params.rank_by
    if by == "flow":
        if flows is not None and flows.height:
            ind, source = industry_flows(base, flows, params.score_params())
            return ind.select(
                "industry_name", "trade_date", pl.col("flow_ratio").alias("value")
            ), f"资金流 {source}"
        by = params.fallback_factor
        how = f"资金流缺失，按因子 {by} 行业中位数 (no funds_flow rows: industry median of {by})"
    else:
        how = f"按因子 {by} 行业中位数 (industry median of {by})"
    from thermoquant.features.engine import compute

    adj = pl.col("t_f") / pl.col("close")
    bars = base.select(
        "symbol", "trade_date", *((pl.col(c) * adj).alias(c) for c in ("open", "high", "low", "close")),
        "volume", "amount",
    )  # fmt: skip
    values = compute(bars, names=[by]).join(base.select("symbol", "trade_date", "industry_name"),
                                            on=["symbol", "trade_date"])  # fmt: skip
    agg = (
        values.filter(pl.col("industry_name").is_not_null() & pl.col(by).is_not_nan())
        .group_by("industry_name", "trade_date")
        .agg(pl.col(by).median().alias("value"))
    )
    return agg, how


def cap_weights(picks: pl.DataFrame, params: Any) -> pl.DataFrame:
    """``picks`` (symbol, industry_name) with ``weight``: 1/M capped per stock, then scaled per industry."""
    w = min(1.0 / params.top_stocks, params.stock_cap)
    out = picks.with_columns(pl.lit(w).alias("weight"))
    total = pl.col("weight").sum().over("industry_name")
    scale = pl.when(total > params.industry_cap).then(params.industry_cap / total).otherwise(1.0)
    return out.with_columns((pl.col("weight") * scale).alias("weight"))


class Rotation(Strategy):
    """Seed 002's sector rotation: top N industries → top M stocks by composite score, capped weights."""

    name = STRATEGY
    title = "行业轮动 / sector rotation (seed 002 §五.5)"
    Params = RotationParams
    inputs = AttackScore.inputs  # the same scores, so the same inputs

    def targets(self, panel: Panel, params: Any) -> pl.DataFrame:
        sp = params.score_params()
        frame, _ = score_frame(score_inputs(panel), sp)
        base, _ = base_frame(score_inputs(panel))
        ranking, how = industry_ranking(panel, base, params)
        days = [d for d in frame["trade_date"].unique().to_list() if panel.start <= d <= panel.end]
        held: set[str] = set()
        parts: list[pl.DataFrame] = []
        for day in rebalance_days(days, params.rebalance):
            top = (
                ranking.filter((pl.col("trade_date") == day) & pl.col("value").is_not_null())
                .sort(["value", "industry_name"], descending=[True, False])
                .head(params.top_industries)["industry_name"]
                .to_list()
            )
            out = excluded(panel, params, day)
            cand = frame.filter(
                (pl.col("trade_date") == day) & pl.col("industry_name").is_in(top) & ~pl.col("symbol").is_in(list(out))
                & (pl.col("composite") >= params.min_score)
            ).sort(["composite", "symbol"], descending=[True, False])  # fmt: skip
            picks = cap_weights(cand.head(params.top_stocks).select("symbol", "industry_name"), params)
            reason = f"轮动 rotation {', '.join(top)}；{how}"
            chosen = set(picks["symbol"].to_list())
            gone = sorted(held - chosen)
            parts.append(
                pl.concat([
                    picks.select("symbol", pl.lit(day).alias("trade_date"), "weight",
                                 pl.format("{}；行业 {}", pl.lit(reason), pl.col("industry_name")).alias("reason")),
                    pl.DataFrame({"symbol": gone, "trade_date": [day] * len(gone), "weight": [0.0] * len(gone),
                                  "reason": ["exit " + reason] * len(gone)},
                                 schema={"symbol": pl.Utf8, "trade_date": pl.Date, "weight": pl.Float64,
                                         "reason": pl.Utf8}),
                ])
            )  # fmt: skip
            held = chosen
        schema = {"symbol": pl.Utf8, "trade_date": pl.Date, "weight": pl.Float64, "reason": pl.Utf8}
        return pl.concat(parts) if parts else pl.DataFrame(schema=schema)

    def signals(self, panel: Panel, params: Any, day: dt.date) -> pl.DataFrame:
        """The selection of ``day`` as BUY rows (weight in ``details``), whether or not ``day`` is a rebalance day."""
        one = Panel(panel.frames, day, day, panel.notes)
        weekly = params.replace({"rebalance": "weekly"})
        rows = self.targets(one, weekly).filter(pl.col("weight") > 0)
        scores = decide(score_frame(score_inputs(panel), params.score_params())[0], params.score_params())
        scores = scores.filter(pl.col("trade_date") == day).select(
            "symbol", "composite", "take_profit", "stop_loss"
        )
        rows = rows.join(scores, on="symbol", how="left")
        return signal_frame(
            rows.select(
                pl.lit(STRATEGY).alias("strategy"),
                "symbol",
                pl.col("trade_date").cast(pl.Datetime("us")).dt.offset_by("15h").alias("signal_time"),
                pl.lit("BUY").alias("signal"),
                pl.col("composite").alias("score"),
                "reason",
                "take_profit",
                "stop_loss",
                pl.format('{"weight": {}}', pl.col("weight")).alias("details"),
            )
        )
