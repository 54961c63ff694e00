"""Parameters of the core-satellite allocation (seed 001 §4); ``-p key=value`` on `tq backtest core_satellite`."""

from __future__ import annotations

from dataclasses import dataclass

from thermoquant.portfolio.transfer import FREQUENCIES
from thermoquant.strategies.base import ParamError, StrategyParams, param

CORE_RULES: tuple[str, ...] = ("dividend_vol_roe",)
"""The primary core rule: high trailing dividend yield, low volatility, high ROE (seed 001 §4.1)."""


@dataclass(frozen=True)
class CoreSatelliteParams(StrategyParams):
    """Every threshold of the allocation; fractions are of the account's initial equity unless stated."""

    strategy_name = "core_satellite"

    core_weight: float = param(0.65, "核心仓位占初始资金 core share of initial capital (seed: 60–70 %)",
                               unit="fraction", gt=0, lt=1)  # fmt: skip
    transfer_fraction: float = param(0.5, "卫星盈利划转核心的比例 share of satellite profit moved to core",
                                     unit="fraction", ge=0, le=1)  # fmt: skip
    transfer_frequency: str = param("quarterly", "划转检查频率 check frequency: monthly / quarterly / yearly")
    core_size: int = param(10, "核心持股数 number of core stocks (equal weight)", unit="stocks", ge=1)
    core_reselect: str = param("never", "核心重选 re-selection: never (buy and hold) / yearly")
    core_cash_trigger: float = param(0.02, "核心现金超过核心权益此比例时再投资 reinvest dividends/transfers when "
                                     "core cash exceeds this share of core equity", unit="fraction", ge=0, le=1)  # fmt: skip
    vol_window: int = param(250, "波动率窗口 volatility window", unit="trading days", ge=20)
    min_history: int = param(
        60, "入选最少交易日 minimum traded days before selection", unit="trading days", ge=2
    )
    dividend_window: int = param(365, "股息率回看 trailing dividend window", unit="calendar days", ge=30)
    bluechip_top: int = param(300, "蓝筹：总市值前 N blue chips: top N by total market value", unit="stocks",
                              ge=1)  # fmt: skip
    min_amount: float = param(
        1e8, "日均成交额下限 minimum mean daily amount over the window", unit="CNY", ge=0
    )
    min_coverage: float = param(0.5, "字段覆盖率低于此值视为缺失 a field covering fewer of the candidates is "
                                "missing", unit="fraction", ge=0, le=1)  # fmt: skip

    def validate(self) -> None:
        if self.transfer_frequency not in FREQUENCIES:
            raise ParamError(self.strategy_name, "transfer_frequency",
                             f"{self.transfer_frequency!r} is not one of {', '.join(FREQUENCIES)}")  # fmt: skip
        if self.core_reselect not in ("never", "yearly"):
            raise ParamError(self.strategy_name, "core_reselect", f"{self.core_reselect!r}: never or yearly")
