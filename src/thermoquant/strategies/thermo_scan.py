"""The full-market thermodynamic scan as a strategy (seed 000 §三, seed 001 §3.1), on the contract of :mod:`.base`.

Signals of a day are :func:`thermoquant.signals.scan.scan`: blacklist, cold furnaces out, ignition top fraction
and steady-combustion buy points as BUY, burnout or the physical stop as SELL, the rest WATCH.

Targets (the scan's own trading rule, until the thermo strategy of seeds 000/001 replaces it): a stock enters at a
BUY and leaves at a SELL or when it drops out of the eligible set; each holding gets ``1 / max_positions`` of the
strategy's capital (the rest stays in cash), and at most ``max_positions`` are held, the best scores first.
Rows are written only on the days a target changes.

Panel frames: ``physics`` (:func:`thermoquant.physics.thermo.compute_physics` over the bars, with the warm-up),
``quotes`` (``daily_quote`` rows: ``amount``, ``is_st``), optional ``unlocks`` (``share_unlock``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from thermoquant.signals.scan import STRATEGY, ScanParams, scan
from thermoquant.strategies.base import InputSpec, Panel, Strategy, StrategyParams, param, signal_frame


@dataclass(frozen=True)
class ThermoScanParams(StrategyParams):
    """The scan's thresholds (:class:`ScanParams`) and the holding rule's size."""

    strategy_name = STRATEGY

    min_amount: float = param(
        20_000_000.0, "黑名单：当日成交额低于此值 blacklist amount below", unit="CNY", ge=0
    )
    exclude_st: bool = param(True, "黑名单：ST / *ST 股票 blacklist ST stocks")
    unlock_days: int = param(
        30, "黑名单：此天数内有限售解禁 lock-up expiry within", unit="calendar days", ge=0
    )
    min_fuel: float = param(0.05, "冷炉过滤：价下燃料 q_below 低于此值 cold furnace below", unit="float share",
                            ge=0, le=1)  # fmt: skip
    top_fraction: float = param(0.005, "引燃买入：合格股票的前此比例 ignition top share", unit="fraction",
                                gt=0, le=1)  # fmt: skip
    rank_by: str = param("k", "引燃排序所用的物理量（高者优先）physics column ranking ignition")
    max_positions: int = param(50, "最多持仓数；每只 1/max_positions 资金 max holdings", unit="stocks", ge=1)

    def scan_params(self) -> ScanParams:
        return ScanParams(
            min_amount=self.min_amount, exclude_st=self.exclude_st, unlock_days=self.unlock_days,
            min_fuel=self.min_fuel, top_fraction=self.top_fraction, rank_by=self.rank_by,
        )  # fmt: skip


class ThermoScan(Strategy):
    """Seed 000's scan: BUY/SELL/WATCH per stock and day; equal-slot holdings from BUY to SELL."""

    name = STRATEGY
    title = "全市场热力学扫描 / full-market thermodynamic scan (seed 000)"
    Params = ThermoScanParams
    inputs = InputSpec(
        tables=("daily_quote", "share_unlock", "st_history"),
        physics=("state", "k", "dt", "q_below", "buy_point", "stop", "profit_ratio", "vol_ratio"),
        lookback=250,
    )

    def signals(self, panel: Panel, params: ThermoScanParams, day: dt.date) -> pl.DataFrame:
        rows = scan(panel["physics"], panel["quotes"], day, params.scan_params(), panel.frames.get("unlocks"))
        reason = (
            pl.when(pl.col("rank").is_not_null())
            .then(pl.format("引燃 ignition #{}", pl.col("rank")))
            .when(pl.col("signal") == "BUY")
            .then(pl.lit("稳燃买点 steady buy point"))
            .when((pl.col("signal") == "SELL") & (pl.col("state") == "D"))
            .then(pl.lit("灰烬 burnout"))
            .when(pl.col("signal") == "SELL")
            .then(pl.lit("物理止损 physical stop"))
            .otherwise(pl.lit(None, dtype=pl.Utf8))
        )
        return signal_frame(rows.with_columns(reason.alias("reason")))

    def targets(self, panel: Panel, params: ThermoScanParams) -> pl.DataFrame:
        physics = panel["physics"].filter(pl.col("trade_date").is_between(panel.start, panel.end))
        by_day = physics.partition_by("trade_date", as_dict=True, maintain_order=True)
        quotes = panel["quotes"].filter(pl.col("trade_date").is_between(panel.start, panel.end))
        quotes_by_day = quotes.partition_by("trade_date", as_dict=True)
        unlocks = panel.frames.get("unlocks")
        slot = 1.0 / params.max_positions
        held: set[str] = set()
        rows: list[tuple[str, dt.date, float, str]] = []
        for (day,), today in sorted(by_day.items()):
            day_quotes = quotes_by_day.get((day,), quotes.head(0))
            sig = scan(today, day_quotes, day, params.scan_params(), unlocks)
            action = dict(zip(sig["symbol"].to_list(), sig["signal"].to_list(), strict=True))
            leave = sorted(s for s in held if action.get(s, "SELL") == "SELL")
            room = params.max_positions - (len(held) - len(leave))
            buys = sig.filter((pl.col("signal") == "BUY") & ~pl.col("symbol").is_in(list(held)))
            enter = buys.sort("score", descending=True, nulls_last=True, maintain_order=True).head(
                max(room, 0)
            )
            rows += [(s, day, 0.0, "exit") for s in leave]
            rows += [(s, day, slot, "BUY") for s in enter["symbol"].to_list()]
            held = (held - set(leave)) | set(enter["symbol"].to_list())
        return pl.DataFrame(
            rows, schema={"symbol": pl.Utf8, "trade_date": pl.Date, "weight": pl.Float64, "reason": pl.Utf8},
            orient="row",
        )  # fmt: skip
