"""Parameters of the thermo strategy (seed 000 §二–三, seed 001 §2.3, §3): every threshold named, with its unit.

Two kinds:

* **per-stock** (:data:`PER_STOCK`): thresholds of the life-cycle state machine, the exits and the ignition
  success test. A ``param_pack`` frame (symbol, effective_date, + these names as columns or a ``params`` mapping)
  overrides them per stock, as of each date (the latest pack with ``effective_date <= day``; never a later one);
* **book-wide**: universe filters, capital split, book size, score ranking — one value for the whole run.

Fractions are plain ratios (0.015 = 1.5 %); durations are trading days (bars of the daily panel); amounts CNY.
"""

from __future__ import annotations

from dataclasses import dataclass

from thermoquant.signals.lifecycle_nb import LIFECYCLE_PARAMS
from thermoquant.strategies.base import ParamError, StrategyParams, param

STRATEGY = "thermo"

LABEL_MODES = ("lifecycle", "per_bar")
"""``lifecycle``: the A→B→C→D state machine of this strategy; ``per_bar``: today's per-bar physics labels
(:func:`thermoquant.physics.thermo_nb.classify`, the scan's ``state``) — kept to measure both."""


@dataclass(frozen=True)
class ThermoStrategyParams(StrategyParams):
    """Every threshold of the thermo strategy (defaults chosen a priori, not fitted on a reported window)."""

    strategy_name = STRATEGY

    # --- labels ---
    labels: str = param(
        "lifecycle", "状态来源 state labels: lifecycle（生命周期状态机）| per_bar（逐根物理标签）"
    )
    # --- universe (book-wide) ---
    min_amount: float = param(
        20_000_000.0, "黑名单：当日成交额低于此值 blacklist amount below", unit="CNY", ge=0
    )
    exclude_st: bool = param(True, "黑名单：ST / *ST 股票（按日期）blacklist ST by date")
    unlock_days: int = param(30, "黑名单：此天数内限售解禁 lock-up expiry within", unit="calendar days", ge=0)
    min_fuel: float = param(0.05, "冷炉过滤：价下燃料 Q 低于此值 cold furnace: q_below below", unit="float share",
                            ge=0, le=1)  # fmt: skip
    # --- A cold storage (seed 000 "有量无价") ---
    cold_window: int = param(10, "A 蓄能：滚动窗口 rolling window of the A rule", unit="days", ge=2)
    cold_dt_band: float = param(0.02, "A：窗口内 |ΔT| 均值不超过此值（ΔT≈0）mean |ΔT| at most", unit="fraction",
                                ge=0)  # fmt: skip
    cold_k_max: float = param(0.8, "A：窗口内 |K| 均值不超过此值（K 被压制）mean |K| at most", unit="K", ge=0)
    cold_vol_ratio: float = param(1.0, "A：窗口内量比均值至少此值（有量）mean volume ratio at least", unit="ratio",
                                  ge=0)  # fmt: skip
    cold_fuel_gain: float = param(0.0, "A：价下燃料 Q 在窗口内增加超过此值（燃料堆积）q_below gain over window above",
                                  unit="float share")  # fmt: skip
    # --- B ignition ---
    ignition_dt: float = param(
        0.015, "B 点火：ΔT 由 ≤ 此值跳升到 > 此值 ΔT jump across", unit="fraction", ge=0
    )
    ignition_k: float = param(1.5, "B 点火：K 至少此值（热阻消失）conductivity at least", unit="K")
    vol_ratio_min: float = param(1.2, "B 点火：量比下限（适度放大）volume ratio at least", unit="ratio", ge=0)
    vol_ratio_max: float = param(4.0, "B 点火：量比上限（未失控）volume ratio at most", unit="ratio", ge=0)
    ignition_from_cold: bool = param(
        True, "B 仅由 A 进入（生命周期）ignition only from A; false: from A, D or none"
    )
    ignition_max_days: int = param(
        10, "B 最长停留天数，未转入 C 则回到 A max days in B before C", unit="days", ge=1
    )
    # --- C steady combustion ---
    slope_window: int = param(5, "C 稳燃：T_i 高于此天数前 T_i rising over", unit="days", ge=1)
    pullback_band: float = param(
        0.01, "C 买点：|ΔT| 不超过此值（回踩 T_i）pullback band", unit="fraction", ge=0
    )
    shrink_ratio: float = param(0.8, "C 买点：量比不超过此值（缩量）volume shrink ratio at most", unit="ratio",
                                ge=0)  # fmt: skip
    steady_drawdown: float = param(0.15, "C 稳燃期容忍回撤：自进入 C 后最高收盘回撤超过此值转 D steady-phase "
                                   "drawdown tolerance", unit="fraction", gt=0, le=1)  # fmt: skip
    # --- D burnout ---
    burnout_exhaustion: bool = param(
        True, "D 燃尽（种子001）：底部筹码峰消失 + 顶部重筹 + K 恶化 seed 001 rule on"
    )
    bottom_gone: float = param(0.05, "D 燃尽：底部区筹码占比低于此值 bottom-zone mass below", unit="float share",
                               ge=0, le=1)  # fmt: skip
    top_heavy: float = param(0.30, "D 燃尽：顶部区筹码占比至少此值 top-zone mass at least", unit="float share",
                             ge=0, le=1)  # fmt: skip
    k_dist: float = param(0.5, "D 燃尽：K 的 k_trend_days 日均值低于此值（K 恶化）mean K below", unit="K")
    k_trend_days: int = param(5, "D 燃尽：K 均值窗口 K mean window", unit="days", ge=1)
    burnout_turnover_rule: bool = param(True, "D 换手燃尽（种子000）：单日换手一次烧光燃料 turnover rule on")
    burnout_turnover: float = param(0.25, "D 换手燃尽：单日换手率至少此值 turnover at least", unit="float share",
                                    gt=0)  # fmt: skip
    # --- exits ---
    stop_days: int = param(3, "物理止损 Δt：T_f < T_i 连续超过此天数 physical stop after", unit="days", ge=1)
    take_profit: float = param(0.30, "止盈：买入价上方此比例 take-profit above entry", unit="fraction", gt=0)
    stop_loss: float = param(
        0.08, "止损：买入价下方此比例 stop-loss below entry", unit="fraction", gt=0, lt=1
    )
    # --- B group: ignition success rate (point in time) ---
    success_horizon: int = param(20, "点火成功判定：之后此天数内 success horizon", unit="days", ge=1)
    success_gain: float = param(0.10, "点火成功：期间最高收盘较点火收盘涨幅至少此值 gain to call success",
                                unit="fraction", gt=0)  # fmt: skip
    success_prior: float = param(0.3, "成功率先验（收缩估计）prior success rate", unit="fraction", ge=0, le=1)
    success_prior_n: float = param(3.0, "先验的等效样本数 prior weight", unit="events", ge=0)
    b_top_fraction: float = param(0.05, "B 组：仅历史点火成功率前此比例的股票 top share by success rate",
                                  unit="fraction", gt=0, le=1)  # fmt: skip
    # --- book ---
    b_share: float = param(0.25, "B 组资金占比（种子000：20–30%）B group capital share", unit="fraction",
                           ge=0, le=1)  # fmt: skip
    min_holdings: int = param(50, "持仓数下限（决定每只仓位）min holdings", unit="stocks", ge=1)
    max_holdings: int = param(100, "持仓数上限 max holdings", unit="stocks", ge=1)
    slice_cny: float = param(200_000.0, "每只股票资金切片（10万–100万）per-stock slice", unit="CNY", gt=0)
    capital_cny: float = param(10_000_000.0, "策略资金，用于换算切片 strategy capital for the slice", unit="CNY",
                               gt=0)  # fmt: skip

    def validate(self) -> None:
        if self.labels not in LABEL_MODES:
            raise ParamError(self.strategy_name, "labels", f"{self.labels!r} is not one of {LABEL_MODES}")
        if self.min_holdings > self.max_holdings:
            raise ParamError(self.strategy_name, "min_holdings", f"{self.min_holdings} > max_holdings")
        if self.vol_ratio_min > self.vol_ratio_max:
            raise ParamError(self.strategy_name, "vol_ratio_min", f"{self.vol_ratio_min} > vol_ratio_max")

    @property
    def slots(self) -> int:
        """Holdings the book is sized for: capital / slice, clipped to [min_holdings, max_holdings]."""
        return int(min(max(round(self.capital_cny / self.slice_cny), self.min_holdings), self.max_holdings))

    @property
    def slot_weight(self) -> float:
        """Weight of one holding as a fraction of the strategy's capital (1 / slots)."""
        return 1.0 / self.slots

    @property
    def b_slots(self) -> int:
        """Slots of the B group (b_share of the book); the rest belong to the C group."""
        return round(self.slots * self.b_share)


PER_STOCK: tuple[str, ...] = LIFECYCLE_PARAMS
"""Parameters a ``param_pack`` may set per stock and date (columns of the kernel's per-row parameter matrix)."""
