"""Backtest engine with A-share rules, metrics, reports and run recording.

* :mod:`.engine_nb` — numba kernels over (stocks x days) arrays: targets or explicit orders in, cash / equity /
  positions / order records out (T+1, one-price limit bars, suspensions, lots, fees, volume cap, cash >= 0).
* :mod:`.engine` — :class:`EngineConfig`, :class:`MarketArrays`, :func:`run_targets`, :func:`run_orders`,
  :class:`BacktestResult` (orders, fills, round trips as Polars frames).
* :mod:`.rules` — :func:`market_arrays` (long bar frame) / :func:`from_arrays` ((stocks x days) arrays) -> arrays
  with every rule from :mod:`thermoquant.market`.
* :mod:`.run` — any strategy of the contract through the engine or the index_nav fill model (:mod:`.nav`).
* :mod:`.metrics` — return, risk and trade metrics (empyrical conventions).
* :mod:`.report` — self-contained HTML report; :mod:`.record` — backtest_log / trades rows;
  ``tq backtest`` itself lives in :mod:`thermoquant.cli.backtest`.
"""

from thermoquant.backtest.engine import BacktestResult, EngineConfig, MarketArrays, run_orders, run_targets

__all__ = ["BacktestResult", "EngineConfig", "MarketArrays", "run_orders", "run_targets"]
