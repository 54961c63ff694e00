"""Settings of a calibration or a nightly run, each a named value with its unit; recorded in every pack row."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from thermoquant.evolve.objective import OBJECTIVES
from thermoquant.strategies.thermo_params import ThermoStrategyParams

SEARCHES: tuple[str, ...] = ("grid", "random", "tpe")
"""Search methods: full factorial ``grid``, seeded uniform ``random``, Optuna ``tpe`` (in-memory study per stock,
seeded; the market-wide pack always uses the grid or random candidates, pooled over stocks)."""


class EvolveConfigError(ValueError):
    """A setting of the evolution that cannot be used (names the field)."""


@dataclass(frozen=True)
class EvolveConfig:
    """Walk-forward windows (trading days), search, objective, gates and nightly steps."""

    train_days: int = 120  # training window (trading days)
    gap_days: int = 20  # embargo between training and test windows; >= max_hold, the label horizon (days)
    test_days: int = 40  # out-of-sample test window (trading days)
    warmup_days: int = 60  # physics warm-up before the training window (days; K and volume windows)
    max_hold: int = 20  # longest holding of one simulated trade: the label horizon (trading days)
    objective: str = "winrate_payoff"  # see thermoquant.evolve.objective
    min_trades: int = (
        5  # trades in the training window before a stock gets its own pack (and objective floor)
    )
    market_trades_per_stock: float = 1.0  # market pack floor: pooled training trades per stock at least
    shrink_trades: float = 10.0  # own pack weight n / (n + shrink_trades) against the market pack (trades)
    search: str = "grid"  # grid | random | tpe
    grid_points: int = 3  # grid values per dimension (3^7 = 2187 candidates)
    trials: int = 200  # random / TPE trials per stock
    seed: int = 15  # base seed (per stock: seed XOR crc32(symbol))
    cost: float = 0.0015  # round-trip fees and slippage per trade (fraction)
    # --- nightly regression ---
    history_days: int = 260  # bars read before the night's cut (warm-up + accept window) (days)
    diag_days: int = 20  # look-back for the events diagnosed tonight (days)
    accept_days: int = 60  # the recent out-of-sample record a change must not worsen (days)
    accept_objective: str = "log_return"  # objective of the acceptance gate (no trade floor)
    chunk_size: int = 250  # stocks per task

    def __post_init__(self) -> None:
        def bad(name: str, why: str) -> EvolveConfigError:
            return EvolveConfigError(f"evolve setting {name}={getattr(self, name)!r}: {why}")

        for name in ("train_days", "test_days", "max_hold", "grid_points", "trials", "chunk_size", "history_days",
                     "diag_days", "accept_days"):  # fmt: skip
            if int(getattr(self, name)) < 1:
                raise bad(name, "must be >= 1")
        if self.gap_days < self.max_hold:
            raise bad("gap_days", f"must be >= max_hold ({self.max_hold}), the label horizon")
        if self.objective not in OBJECTIVES:
            raise bad("objective", f"known: {', '.join(OBJECTIVES)}")
        if self.accept_objective not in OBJECTIVES:
            raise bad("accept_objective", f"known: {', '.join(OBJECTIVES)}")
        if self.search not in SEARCHES:
            raise bad("search", f"known: {', '.join(SEARCHES)}")
        if self.history_days < self.accept_days + 60:
            raise bad("history_days", "must cover accept_days + 60 bars of physics warm-up")

    @property
    def calibration_history(self) -> int:
        """Rows a calibration reads per stock: warm-up + train + gap + test."""
        return self.warmup_days + self.train_days + self.gap_days + self.test_days

    def consts(self, params: ThermoStrategyParams | None = None) -> np.ndarray:
        """The kernels' fixed rule constants (:data:`thermoquant.evolve.kernels.CONSTS`)."""
        p = params or ThermoStrategyParams()
        return np.array([p.vol_ratio_min, p.vol_ratio_max, p.take_profit, p.stop_loss, self.cost,
                         float(self.max_hold)])  # fmt: skip

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
