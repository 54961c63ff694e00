"""Run any strategy of the contract (:mod:`thermoquant.strategies.base`) through the one engine.

``run_backtest(strategy, panel, params, config)`` asks the strategy for its targets and executes them with the
fill model of ``config.fill``:

* ``next_open`` / ``close`` / ``vwap`` — the numba A-share engine (:mod:`.engine`: lots, T+1, one-price limit bars,
  suspensions, fees with the 5 CNY minimum, dated stamp duty, participation cap, splits);
* ``index_nav`` — the upstream index convention (:mod:`.nav`: the series itself at the next open, fractional
  units, a proportional switch cost).

Panel frames it reads: ``bars`` (symbol, trade_date, open, high, low, close, volume, amount [, pre_close, is_st,
limit_up, limit_down]) for the traded symbols; optional ``events`` (symbol, trade_date = first day on the new
basis, ratio = new shares per old share, cash = CNY per old share) and ``benchmark`` (trade_date, close).

``target_filter`` (a :data:`TargetFilter`, default None) sits between the strategy's targets and either fill
model: the risk caps of the trading layer are passed in by the jobs layer (``jobs/backtest.py``), so the backtest
executes exactly the weights ``tq trade replay`` and the live loop send; its refusals are kept in
``RunResult.refusals``.

:class:`BacktestConfig` holds everything about execution a replay needs — the fee model included, resolved when
the config is built, so a run does not silently follow a later ``tq.toml``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from thermoquant.backtest import metrics
from thermoquant.backtest.engine import BacktestResult, EngineConfig, MarketArrays, run_targets
from thermoquant.backtest.nav import DEFAULT_SWITCH_COST, run_nav
from thermoquant.backtest.rules import market_arrays
from thermoquant.market.fees import FeeModel
from thermoquant.strategies.base import TARGET_COLUMNS, Panel, Strategy, StrategyParams

FillModel = Literal["next_open", "close", "vwap", "index_nav"]
FILL_MODELS: tuple[str, ...] = ("next_open", "close", "vwap", "index_nav")

TargetFilter = Callable[[pl.DataFrame], tuple[pl.DataFrame, pl.DataFrame]]
"""A targets hook: (symbol, trade_date, weight) in, ``(targets to execute, refusals)`` out; refusals has one row
per weight that was cut (symbol, trade_date, weight, capped, reason), e.g.
:func:`thermoquant.trading.risk.target_filter`."""


@dataclass(frozen=True)
class BacktestConfig:
    """Execution settings of one run.

    Attributes:
        fill: fill model (module docstring).
        init_cash: starting cash, CNY (engine fill models).
        participation: max fraction of a bar's volume one order may take.
        slippage_bps: price concession per fill, basis points.
        switch_cost: index_nav only: fraction of NAV per unit of weight switched.
        fees: the fee model (commission, minimum, stamp duty and transfer-fee overrides; dated tables otherwise).
    """

    fill: FillModel = "next_open"
    init_cash: float = 1_000_000.0
    participation: float = 0.25
    slippage_bps: float = 0.0
    switch_cost: float = DEFAULT_SWITCH_COST
    fees: FeeModel = field(default_factory=FeeModel.from_settings)

    def __post_init__(self) -> None:
        if self.fill not in FILL_MODELS:
            raise ValueError(f"fill must be one of {', '.join(FILL_MODELS)}, not {self.fill!r}")
        if self.init_cash <= 0:
            raise ValueError(f"init_cash must be > 0 CNY, not {self.init_cash}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; the fee model as its fields."""
        out = dataclasses.asdict(self)
        out["fees"] = dataclasses.asdict(self.fees)
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> BacktestConfig:
        """Inverse of :meth:`to_dict` (a replay reads the recorded config back)."""
        v = dict(values)
        v["fees"] = FeeModel(**v.get("fees", {}))
        return cls(**v)

    def engine_config(self) -> EngineConfig:
        return EngineConfig(
            init_cash=self.init_cash,
            fill=self.fill if self.fill != "index_nav" else "next_open",
            participation=self.participation,
            commission_rate=self.fees.commission_rate,
            min_commission=self.fees.min_commission,
            slippage_bps=self.slippage_bps,
        )


@dataclass
class RunResult:
    """What a run produced, in the shape the report, the recorder and the CLI read.

    ``trades``: index_nav round trips, or the engine's orders (blocked ones included); ``orders``: the engine's
    orders (None for index_nav); ``buys``/``sells``: fill days for the report's marks; ``refusals``: the weights a
    target filter cut (None when the run had no filter).
    """

    strategy: str
    params: StrategyParams
    config: BacktestConfig
    dates: list[dt.date]
    returns: np.ndarray
    benchmark: np.ndarray
    summary: dict[str, float]
    trades: pl.DataFrame
    orders: pl.DataFrame | None
    bars: pl.DataFrame
    buys: list[dt.date]
    sells: list[dt.date]
    notes: tuple[str, ...] = ()
    engine: BacktestResult | None = None
    refusals: pl.DataFrame | None = None


def check_targets(name: str, targets: pl.DataFrame) -> pl.DataFrame:
    """The targets frame with the contract's columns and types; a clear error naming the strategy otherwise."""
    missing = [c for c in TARGET_COLUMNS if c not in targets.columns]
    if missing:
        raise ValueError(f"strategy {name}: targets lack columns {missing} (have {targets.columns})")
    out = targets.with_columns(pl.col("trade_date").cast(pl.Date), pl.col("weight").cast(pl.Float64))
    bad = out.filter(pl.col("weight").is_nan() | (pl.col("weight") < 0) | (pl.col("weight") > 1))
    if bad.height:
        r = bad.row(0, named=True)
        raise ValueError(
            f"strategy {name}: weight {r['weight']} for {r['symbol']} on {r['trade_date']} ∉ [0, 1]"
        )
    return out


def run_backtest(
    strategy: Strategy,
    panel: Panel,
    params: StrategyParams | None = None,
    config: BacktestConfig | None = None,
    *,
    target_filter: TargetFilter | None = None,
) -> RunResult:
    """Targets of ``strategy`` on ``panel``, passed through ``target_filter`` when given, executed by ``config.fill``
    (see the module docstring)."""
    p = params or strategy.default_params()
    cfg = config or BacktestConfig()
    targets = check_targets(strategy.name, strategy.targets(panel, p))
    refusals = None
    if target_filter is not None:
        targets, refusals = target_filter(targets)
        targets = check_targets(strategy.name, targets)
    bars = (
        panel["bars"]
        .filter(pl.col("trade_date").is_between(panel.start, panel.end))
        .sort("symbol", "trade_date")
    )
    run = (_run_nav if cfg.fill == "index_nav" else _run_engine)(strategy, panel, p, cfg, targets, bars)
    run.refusals = refusals
    return run


def _run_nav(
    strategy: Strategy, panel: Panel, p: StrategyParams, cfg: BacktestConfig, targets: pl.DataFrame,
    bars: pl.DataFrame,
) -> RunResult:  # fmt: skip
    symbols = targets["symbol"].unique().to_list() or bars["symbol"].unique().head(1).to_list()
    if len(symbols) != 1:
        raise ValueError(f"index_nav trades one series; {strategy.name} targets {len(symbols)} symbols")
    series = bars.filter(pl.col("symbol") == symbols[0])
    if series.is_empty():
        raise ValueError(f"index_nav: no bars of {symbols[0]} between {panel.start} and {panel.end}")
    res = run_nav(series, targets.filter(pl.col("symbol") == symbols[0]), cfg.switch_cost)
    trades = res.trades
    return RunResult(
        strategy.name, p, cfg, res.daily["trade_date"].to_list(), res.daily["strat_ret"].to_numpy(),
        res.daily["bench_ret"].to_numpy(), res.summary(), trades, None,
        series.select("trade_date", "open", "high", "low", "close"),
        trades["entry_fill"].drop_nulls().to_list(), trades["exit_fill"].drop_nulls().to_list(), panel.notes,
    )  # fmt: skip


def _run_engine(
    strategy: Strategy, panel: Panel, p: StrategyParams, cfg: BacktestConfig, targets: pl.DataFrame,
    bars: pl.DataFrame,
) -> RunResult:  # fmt: skip
    if bars.is_empty():
        raise ValueError(f"{strategy.name}: no bars between {panel.start} and {panel.end}")
    m = engine_inputs(panel, cfg)
    res = run_targets(m, target_array(m, targets), config=cfg.engine_config())
    dates = [d.astype(object) for d in res.dates.astype("datetime64[D]")]
    bench = _benchmark(panel.frames.get("benchmark"), dates)
    orders = res.orders()
    fills = res.fills()
    return RunResult(
        strategy.name, p, cfg, dates, res.returns(), bench, metrics.result_summary(res, bench), orders, orders,
        bars.select("trade_date", "open", "high", "low", "close") if len(m.symbols) == 1 else bars.head(0),
        fills.filter(pl.col("side") == "buy")["trade_date"].to_list(),
        fills.filter(pl.col("side") == "sell")["trade_date"].to_list(), panel.notes, res,
    )  # fmt: skip


def engine_inputs(panel: Panel, cfg: BacktestConfig) -> MarketArrays:
    """The market arrays the engine fill models run on: the panel's bars of [start, end] with its events."""
    bars = (
        panel["bars"]
        .filter(pl.col("trade_date").is_between(panel.start, panel.end))
        .sort("symbol", "trade_date")
    )
    events = panel.frames.get("events")
    splits = [] if events is None else [
        (r["symbol"], r["trade_date"], float(r["ratio"]), float(r["cash"])) for r in events.iter_rows(named=True)
    ]  # fmt: skip
    return market_arrays(bars, splits=splits, fees=cfg.fees)


def target_array(m: MarketArrays, targets: pl.DataFrame) -> np.ndarray:
    """(symbol, trade_date, weight) rows as the engine's (n, T) target array; NaN where no row."""
    day_pos = {d: j for j, d in enumerate(m.dates.astype(object))}
    sym_pos = {s: i for i, s in enumerate(m.symbols)}
    target = np.full(m.shape, np.nan)
    for sym, day, weight in targets.select("symbol", "trade_date", "weight").iter_rows():
        if sym in sym_pos and day in day_pos:
            target[sym_pos[sym], day_pos[day]] = weight
    return target


def _benchmark(frame: pl.DataFrame | None, dates: list[dt.date]) -> np.ndarray:
    """Daily returns of the benchmark close on the run's days (0 on the first day and where it is missing)."""
    if frame is None:
        return np.zeros(len(dates))
    close = frame.select("trade_date", "close").join(
        pl.DataFrame({"trade_date": pl.Series(dates, dtype=pl.Date)}), on="trade_date", how="right"
    )["close"]
    return close.pct_change().fill_null(0.0).to_numpy()
