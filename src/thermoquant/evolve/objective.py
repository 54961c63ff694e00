"""Named objectives over a window's trade statistics (:data:`thermoquant.evolve.kernels.STATS`).

Each maps a (n, len(STATS)) matrix to n scores, higher is better; a window with fewer than ``min_trades`` trades
scores ``-inf`` (the trade-count floor), so a candidate that barely trades cannot win on luck.

* ``winrate_payoff`` — trade win rate × payoff (mean winning return / mean |losing return|; 10 when there is
  no loss): seed 001's "win rate with odds";
* ``log_return`` — sum of log(1 + trade return): the compounded return of the stock's trade sequence;
* ``expectancy`` — mean return per trade (after cost).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from thermoquant.evolve.kernels import S_LOG, S_LOSS, S_N, S_RET, S_WIN, S_WINS

PAYOFF_CAP = 10.0
"""Payoff used when a window has winners and no loser (dimensionless)."""


def _winrate_payoff(s: np.ndarray) -> np.ndarray:
    n, wins = s[:, S_N], s[:, S_WINS]
    losses = n - wins
    with np.errstate(divide="ignore", invalid="ignore"):
        avg_win = np.where(wins > 0, s[:, S_WIN] / wins, 0.0)
        avg_loss = np.where(losses > 0, s[:, S_LOSS] / losses, 0.0)
        payoff = np.where(avg_loss > 0, avg_win / avg_loss, np.where(wins > 0, PAYOFF_CAP, 0.0))
        return np.where(n > 0, wins / n * np.minimum(payoff, PAYOFF_CAP), 0.0)


def _log_return(s: np.ndarray) -> np.ndarray:
    return s[:, S_LOG].copy()


def _expectancy(s: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s[:, S_N] > 0, s[:, S_RET] / s[:, S_N], 0.0)


OBJECTIVES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "winrate_payoff": _winrate_payoff,
    "log_return": _log_return,
    "expectancy": _expectancy,
}


def score(name: str, stats: np.ndarray, min_trades: float = 0) -> np.ndarray:
    """Scores of each row of ``stats`` under objective ``name`` with a trade-count floor of ``min_trades``."""
    try:
        fn = OBJECTIVES[name]
    except KeyError:
        raise ValueError(f"unknown objective {name!r}; known: {', '.join(OBJECTIVES)}") from None
    s = np.atleast_2d(stats)
    return np.where(s[:, S_N] >= min_trades, fn(s), -np.inf)
