"""Every strategy the product knows, by name: what `tq strategies list`, `tq backtest NAME` and `tq scan
--strategy NAME` look up. A new strategy is one module of :mod:`thermoquant.strategies` and one line here."""

from __future__ import annotations

from thermoquant.strategies.attack_score import AttackScore
from thermoquant.strategies.base import Strategy
from thermoquant.strategies.csi500_timing import Csi500Timing
from thermoquant.strategies.rotation import Rotation
from thermoquant.strategies.thermo import Thermo
from thermoquant.strategies.thermo_scan import ThermoScan

_STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls for cls in (AttackScore, Csi500Timing, Rotation, Thermo, ThermoScan)
}


def strategy_names() -> list[str]:
    """Registered names, sorted."""
    return sorted(_STRATEGIES)


def get_strategy(name: str) -> Strategy:
    """A fresh instance of the strategy ``name``; KeyError naming the known ones otherwise."""
    try:
        return _STRATEGIES[name]()
    except KeyError:
        raise KeyError(f"unknown strategy {name!r}; known: {', '.join(strategy_names())}") from None


def all_strategies() -> list[Strategy]:
    """One instance of every registered strategy, by name."""
    return [get_strategy(n) for n in strategy_names()]
