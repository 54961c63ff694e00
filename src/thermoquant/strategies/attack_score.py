"""The attack layer's multi-factor score as a strategy (seed 002 §五), on the contract of :mod:`.base`.

Signals of a day: every stock that passes the scan's blacklist (ST, amount below ``min_amount``) gets one row:
``score`` = the composite, BUY / SELL / WATCH with the reason and priority, take-profit and stop-loss prices for a
BUY, and every component with the figures behind it in ``details`` (:mod:`thermoquant.signals.scores`).

Targets: a stock enters at a BUY (best composites first, at most ``max_positions``, ``1 / max_positions`` of the
capital each) and leaves at a SELL (falling score, stop-loss or take-profit) or when it is blacklisted. Orders go
through the engine's A-share rules (lots, T+1, limits), so backtest and live agree.

Panel frames: ``physics``, ``quotes`` (as for ``thermo_scan``); optional ``industry_member``,
``daily_valuation``, ``funds_flow``, ``margin_detail``, ``st_history`` — what is missing scores 0 and is named in
the details.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import polars as pl

from thermoquant.signals.scan import ScanParams, blacklist
from thermoquant.signals.scores import (
    STRATEGY,
    ScoreInputs,
    ScoreParams,
    decide,
    score_day,
    score_frame,
    signal_rows,
)
from thermoquant.strategies.base import InputSpec, Panel, Strategy, StrategyParams, param, signal_frame

_TYPES = {"int": int, "float": float, "bool": bool, "str": str}


def params_class(name: str, strategy: str, extra: list[tuple[str, type, Any]]) -> type[StrategyParams]:
    """A frozen :class:`StrategyParams` with every :class:`ScoreParams` field (same defaults, docs, units and
    bounds) plus ``extra`` fields: the score's parameters are declared once, in ``signals.scores``."""
    fields = [(f.name, _TYPES.get(str(f.type), f.type), f) for f in dataclasses.fields(ScoreParams)]
    cls = dataclasses.make_dataclass(name, [*fields, *extra], bases=(StrategyParams,), frozen=True)
    cls.strategy_name = strategy  # type: ignore[attr-defined]
    cls.__module__ = __name__

    def score_params(self: Any) -> ScoreParams:
        return ScoreParams(**{f.name: getattr(self, f.name) for f in dataclasses.fields(ScoreParams)})

    cls.score_params = score_params  # type: ignore[attr-defined]
    return cls


AttackScoreParams = params_class(
    "AttackScoreParams",
    STRATEGY,
    [
        ("min_amount", float, param(20_000_000.0, "黑名单：当日成交额低于此值 blacklist amount below",
                                    unit="CNY", ge=0)),
        ("exclude_st", bool, param(True, "黑名单：ST / *ST 股票 blacklist ST stocks")),
        ("max_positions", int, param(20, "最多持仓数；每只 1/max_positions 资金 max holdings", unit="stocks", ge=1)),
    ],
)  # fmt: skip


def score_inputs(panel: Panel) -> ScoreInputs:
    """The score's frames from a panel (optional ones may be absent)."""
    f = panel.frames
    return ScoreInputs(
        physics=panel["physics"], quotes=panel["quotes"], industry=f.get("industry_member"),
        valuation=f.get("daily_valuation"), flows=f.get("funds_flow"), margin=f.get("margin_detail"),
    )  # fmt: skip


def excluded(panel: Panel, params: Any, day: dt.date) -> set[str]:
    """Symbols blacklisted on ``day`` (ST, low amount)."""
    sp = ScanParams(min_amount=params.min_amount, exclude_st=params.exclude_st)
    return set(blacklist(panel["quotes"], day, sp, None, panel.frames.get("st_history"))["symbol"].to_list())


class AttackScore(Strategy):
    """Seed 002's attack layer: composite score ≥ buy_score → BUY with TP/SL; falling score or a stop → SELL."""

    name = STRATEGY
    title = "进攻层多因子评分 / attack-layer multi-factor score (seed 002 §五)"
    Params = AttackScoreParams
    inputs = InputSpec(
        tables=(
            "daily_quote",
            "industry_member",
            "daily_valuation",
            "funds_flow",
            "margin_detail",
            "st_history",
        ),
        physics=("t_f", "conc_90", "bottom_peak_mass", "bottom_mass"),
        lookback=ScoreParams().history + ScoreParams().memory_days,
    )

    def signals(self, panel: Panel, params: Any, day: dt.date) -> pl.DataFrame:
        decided, notes = score_day(score_inputs(panel), day, params.score_params())
        decided = decided.filter(~pl.col("symbol").is_in(list(excluded(panel, params, day))))
        if panel.notes:
            notes = {**notes, "panel": "; ".join(panel.notes)}
        return signal_frame(signal_rows(decided, day, notes))

    def targets(self, panel: Panel, params: Any) -> pl.DataFrame:
        frame, _ = score_frame(score_inputs(panel), params.score_params())
        decided = decide(frame, params.score_params()).filter(
            pl.col("trade_date").is_between(panel.start, panel.end)
        )
        slot = 1.0 / params.max_positions
        held: set[str] = set()
        rows: list[tuple[str, dt.date, float, str]] = []
        for (day,), today in sorted(decided.partition_by("trade_date", as_dict=True).items()):
            out = excluded(panel, params, day)
            action = dict(zip(today["symbol"].to_list(), today["signal"].to_list(), strict=True))
            leave = sorted(s for s in held if s in out or action.get(s) == "SELL")
            room = params.max_positions - (len(held) - len(leave))
            buys = today.filter((pl.col("signal") == "BUY") & ~pl.col("symbol").is_in([*held, *out])).sort(
                ["composite", "symbol"], descending=[True, False]
            )
            enter = buys["symbol"].head(max(room, 0)).to_list()
            rows += [(s, day, 0.0, "exit") for s in leave]
            rows += [(s, day, slot, "BUY") for s in enter]
            held = (held - set(leave)) | set(enter)
        return pl.DataFrame(
            rows, schema={"symbol": pl.Utf8, "trade_date": pl.Date, "weight": pl.Float64, "reason": pl.Utf8},
            orient="row",
        )  # fmt: skip
