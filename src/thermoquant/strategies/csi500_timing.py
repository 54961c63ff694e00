"""CSI500 (000905) index timing — seed 004 / issue 6.

Input: one row per trading day, sorted by ``trade_date``, with columns ``trade_date`` (Date), ``open, high, low,
close`` (index points), ``amount`` (any unit; only used by the caller's heat_z), ``breadth`` (percent 0-100 of
constituents above their MA20), ``heat_z`` (20-day Z-score of amount) and ``etf_turnover`` (510500 volume /
previous day's fund shares, percent).  MA5 / MA10 / MA30 of close are computed here (simple rolling means over the
frame's rows, so rows before ``start`` serve as warm-up).

Signals at day i's close (state machine, one position at a time):

* flat, ``breadth < breadth_low`` -> enter "Composite" (checked first);
* flat, FirstNeg: close > MA10, the run of consecutive up closes ending yesterday >= ``min_up_run``, close <
  yesterday's close, etf_turnover > ``turnover_min``, close > MA5, close > MA30 -> enter "FirstNeg" and record
  ``entry_high`` = that day's high (never updated while holding);
* holding FirstNeg with ``breadth < breadth_low`` -> upgrade to Composite (before the exit checks);
* exit for both: ``breadth > breadth_high`` and ``heat_z < heat_exit``;
* exit for FirstNeg only: close < MA30 and (close < yesterday's close, or ``i - entry_i >= time_stop_days`` with
  no close from the entry day to today above entry_high).

Reference execution (on the index itself): a signal at day i's close fills at day i+1's open; the buy day earns
open -> close, the sell day previous close -> open, each minus ``cost`` (additive, 0.1 % per switch); held days
earn close -> close.  A trade's return compounds its daily returns from the buy fill day to the sell fill day;
trades still open at the end are listed but left out of the win rate.

Seed 004's dual check (``dual_check=True``): a FirstNeg entry also needs heat_z > ``heat_strong`` ("BUY strong");
a FirstNeg candidate with heat_z <= heat_strong is only labelled "OBSERVE weak" and not traded.

ETF mode (:func:`run_etf`) trades 510500 through the backtest engine with its raw prices, lots, fees and T+1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from thermoquant.backtest import metrics

if TYPE_CHECKING:
    from thermoquant.backtest.engine import BacktestResult, EngineConfig

FLAT, COMPOSITE, FIRST_NEG = 0, 1, 2
LOGIC_NAMES = {FLAT: "", COMPOSITE: "Composite", FIRST_NEG: "FirstNeg"}
REQUIRED_COLUMNS = ("trade_date", "open", "high", "low", "close", "breadth", "heat_z", "etf_turnover")


@dataclass(frozen=True)
class Csi500TimingParams:
    """Every threshold of the strategy.  Percent values as in the data (breadth 0-100, turnover in %)."""

    breadth_low: float = 16.0  # Composite entry / upgrade: breadth below this
    breadth_high: float = 79.0  # common exit: breadth above this ...
    heat_exit: float = 1.5  # ... and heat_z below this
    turnover_min: float = 1.0  # FirstNeg: ETF turnover above this (%)
    min_up_run: int = 3  # FirstNeg: consecutive up closes ending yesterday
    time_stop_days: int = 5  # FirstNeg time stop: days held since the entry signal
    ma_support: int = 5
    ma_trend: int = 10
    ma_filter: int = 30
    cost: float = 0.001  # reference mode: cost per switch, fraction of NAV
    dual_check: bool = False  # seed 004: FirstNeg needs heat_z > heat_strong
    heat_strong: float = 1.5


def with_moving_averages(frame: pl.DataFrame, p: Csi500TimingParams) -> pl.DataFrame:
    """Add ``ma_support``/``ma_trend``/``ma_filter`` columns (simple means of close; null during warm-up)."""
    return frame.sort("trade_date").with_columns(
        pl.col("close").rolling_mean(p.ma_support).alias("ma_support"),
        pl.col("close").rolling_mean(p.ma_trend).alias("ma_trend"),
        pl.col("close").rolling_mean(p.ma_filter).alias("ma_filter"),
    )


def _check(frame: pl.DataFrame) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"csi500_timing: input frame lacks columns {missing} (has {frame.columns})")


def _up_runs(close: np.ndarray) -> np.ndarray:
    """run[i] = number of consecutive up closes (close > previous close) ending at day i."""
    run = np.zeros(len(close), dtype=np.int64)
    for i in range(1, len(close)):
        run[i] = run[i - 1] + 1 if close[i] > close[i - 1] else 0
    return run


def signals(
    frame: pl.DataFrame, params: Csi500TimingParams | None = None, start: dt.date | None = None
) -> pl.DataFrame:
    """Run the state machine.  Rows before ``start`` only warm up the MAs (their signals are 0).

    Returns the frame from ``start`` on with added columns ``ma_support, ma_trend, ma_filter``, ``signal`` (+1 buy,
    -1 sell, 0 none, at that day's close), ``logic`` (state after the day: "", "Composite", "FirstNeg"),
    ``entry_high`` and ``momentum`` ("BUY strong" / "OBSERVE weak" on FirstNeg candidate days, else null).
    """
    p = params or Csi500TimingParams()
    _check(frame)
    f = with_moving_averages(frame, p)
    if start is not None:
        f = f.filter(pl.col("trade_date") >= start)
    n = f.height
    close = f["close"].to_numpy().astype(np.float64)
    high = f["high"].to_numpy().astype(np.float64)
    breadth = f["breadth"].to_numpy().astype(np.float64)
    heat = f["heat_z"].to_numpy().astype(np.float64)
    turn = f["etf_turnover"].to_numpy().astype(np.float64)
    ma_s = f["ma_support"].fill_null(np.nan).to_numpy().astype(np.float64)
    ma_t = f["ma_trend"].fill_null(np.nan).to_numpy().astype(np.float64)
    ma_f = f["ma_filter"].fill_null(np.nan).to_numpy().astype(np.float64)
    runs = _up_runs(close)
    sig = np.zeros(n, dtype=np.int64)
    logic = np.zeros(n, dtype=np.int64)
    entry_highs = np.full(n, np.nan)
    momentum: list[str | None] = [None] * n
    state, entry_i, entry_high = FLAT, -1, np.nan
    for i in range(1, n):
        down = close[i] < close[i - 1]
        if state == FLAT:
            first_neg = (
                close[i] > ma_t[i]
                and runs[i - 1] >= p.min_up_run
                and down
                and turn[i] > p.turnover_min
                and close[i] > ma_s[i]
                and close[i] > ma_f[i]
            )
            if first_neg:
                momentum[i] = "BUY strong" if heat[i] > p.heat_strong else "OBSERVE weak"
            if breadth[i] < p.breadth_low:
                state, sig[i], entry_i, entry_high = COMPOSITE, 1, i, high[i]
            elif first_neg and (not p.dual_check or heat[i] > p.heat_strong):
                state, sig[i], entry_i, entry_high = FIRST_NEG, 1, i, high[i]
        else:
            if state == FIRST_NEG and breadth[i] < p.breadth_low:
                state = COMPOSITE
            exit_now = breadth[i] > p.breadth_high and heat[i] < p.heat_exit
            if not exit_now and state == FIRST_NEG and close[i] < ma_f[i]:
                stalled = i - entry_i >= p.time_stop_days and not np.any(close[entry_i : i + 1] > entry_high)
                exit_now = down or stalled
            if exit_now:
                state, sig[i] = FLAT, -1
        logic[i] = state
        entry_highs[i] = entry_high if state != FLAT else np.nan
    return f.with_columns(
        pl.Series("signal", sig),
        pl.Series("logic", [LOGIC_NAMES[int(s)] for s in logic], dtype=pl.Utf8),
        pl.Series("entry_high", entry_highs),
        pl.Series("momentum", momentum, dtype=pl.Utf8),
    )


@dataclass
class ReferenceResult:
    """Reference-mode outcome: ``daily`` (trade_date, signal, position, strat_ret, bench_ret, nav, bench_nav) and
    ``trades`` (signal/fill dates of entry and exit, logic at entry, compounded return, closed flag)."""

    daily: pl.DataFrame
    trades: pl.DataFrame
    params: Csi500TimingParams

    def summary(self) -> dict[str, float]:
        """Trades, win rate (closed trades), total return and max drawdown of strategy and buy-and-hold, plus the
        full metric set of :func:`metrics.summary` against the index."""
        r = self.daily["strat_ret"].to_numpy()
        b = self.daily["bench_ret"].to_numpy()
        closed = self.trades.filter(pl.col("closed"))
        out = metrics.summary(
            r,
            benchmark=b,
            trade_pnl=closed["return"].to_numpy(),
            holding_days=closed["holding_days"].to_numpy(),
            exposure=float(self.daily["position"].mean()),
        )
        out["trades"] = float(self.trades.height)
        return out


def reference_backtest(
    frame: pl.DataFrame, params: Csi500TimingParams | None = None, start: dt.date | None = None
) -> ReferenceResult:
    """Signals plus the reference execution on the index itself (see the module docstring)."""
    p = params or Csi500TimingParams()
    f = signals(frame, p, start)
    n = f.height
    sig = f["signal"].to_numpy()
    o = f["open"].to_numpy().astype(np.float64)
    c = f["close"].to_numpy().astype(np.float64)
    pos = np.zeros(n, dtype=np.int64)
    for i in range(1, n):
        pos[i] = 1 if sig[i - 1] == 1 else 0 if sig[i - 1] == -1 else pos[i - 1]
    ret = np.zeros(n)
    bench = np.zeros(n)
    for i in range(1, n):
        bench[i] = c[i] / c[i - 1] - 1.0
        if pos[i] and not pos[i - 1]:
            ret[i] = c[i] / o[i] - 1.0 - p.cost
        elif pos[i - 1] and not pos[i]:
            ret[i] = o[i] / c[i - 1] - 1.0 - p.cost
        elif pos[i]:
            ret[i] = bench[i]
    daily = f.select("trade_date", "signal", "logic").with_columns(
        pl.Series("position", pos),
        pl.Series("strat_ret", ret),
        pl.Series("bench_ret", bench),
        pl.Series("nav", np.cumprod(1.0 + ret)),
        pl.Series("bench_nav", np.cumprod(1.0 + bench)),
    )
    dates = f["trade_date"].to_list()
    logic = f["logic"].to_list()
    rows = []
    buys = [i for i in range(n) if sig[i] == 1]
    sells = [i for i in range(n) if sig[i] == -1]
    for k, bi in enumerate(buys):
        si = sells[k] if k < len(sells) else None
        fill_in = min(bi + 1, n - 1)
        fill_out = min(si + 1, n - 1) if si is not None else n - 1
        rows.append(
            {
                "entry_signal": dates[bi],
                "entry_fill": dates[fill_in] if bi + 1 < n else None,
                "exit_signal": dates[si] if si is not None else None,
                "exit_fill": dates[fill_out] if si is not None and si + 1 < n else None,
                "logic": logic[bi],
                "return": float(np.prod(1.0 + ret[fill_in : fill_out + 1]) - 1.0) if bi + 1 < n else 0.0,
                "holding_days": fill_out - fill_in,
                "closed": si is not None and si + 1 < n,
            }
        )
    schema = {
        "entry_signal": pl.Date,
        "entry_fill": pl.Date,
        "exit_signal": pl.Date,
        "exit_fill": pl.Date,
        "logic": pl.Utf8,
        "return": pl.Float64,
        "holding_days": pl.Int64,
        "closed": pl.Boolean,
    }
    return ReferenceResult(daily, pl.DataFrame(rows, schema=schema), p)


def format_summary(title: str, s: dict[str, float]) -> str:
    """One block of text: trades, win rate, total return and max drawdown of the strategy and buy-and-hold."""
    return (
        f"{title}\n"
        f"  交易次数 trades        {int(s['trades'])}\n"
        f"  胜率 win rate          {s['win_rate'] * 100:.1f}%\n"
        f"  策略总收益 total       {s['total_return'] * 100:+.2f}%   最大回撤 max DD {s['max_drawdown'] * 100:.2f}%\n"
        f"  买入持有 buy & hold    {s['benchmark_total_return'] * 100:+.2f}%   "
        f"最大回撤 max DD {s['benchmark_max_drawdown'] * 100:.2f}%"
    )


def params_dict(p: Csi500TimingParams) -> dict[str, float | int | bool]:
    """Parameters as a plain dict (for backtest_log)."""
    return asdict(p)


def demo_summary(frame: pl.DataFrame, start: dt.date | None = None) -> str:
    """Reference mode (base rules and seed 004's dual check) on ``frame`` from ``start``, as summary text."""
    base = reference_backtest(frame, Csi500TimingParams(), start)
    dual = reference_backtest(frame, Csi500TimingParams(dual_check=True), start)
    d = base.daily["trade_date"]
    head = f"CSI500 择时策略（参考模式，指数本身）{d.min()} → {d.max()}"
    return "\n".join(
        [
            head,
            format_summary("基础规则 base rules", base.summary()),
            format_summary("双重校验 dual check", dual.summary()),
        ]
    )


# --------------------------------------------------------------------------------------------- ETF mode
ETF_SYMBOL = "510500.SH"
ETF_510500_SHARE_EVENTS: tuple[tuple[dt.date, float], ...] = (
    (dt.date(2015, 4, 15), 0.2803),
    (dt.date(2022, 8, 29), 1.1454),
)
"""510500 share events as (first bar on the new basis, new shares per old share): the 2015-04-14 unit conversion
1:0.2803 and the 2022-08-26 split 1:1.1454 (MorphKyan ``etf_splits.csv``); the raw bars jump on these days."""


@dataclass
class EtfResult:
    """ETF-mode outcome: the engine result, the index signals and the index returns used as benchmark."""

    result: BacktestResult
    signals: pl.DataFrame
    benchmark: np.ndarray

    def summary(self) -> dict[str, float]:
        """:func:`metrics.result_summary` against the index (trades = closed round trips)."""
        return metrics.result_summary(self.result, self.benchmark)


def run_etf(
    frame: pl.DataFrame,
    etf_bars: pl.DataFrame,
    params: Csi500TimingParams | None = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    weight: float = 1.0,
    config: EngineConfig | None = None,
) -> EtfResult:
    """Trade 510500 on the index signals through the engine (raw prices, lots, fees, T+1, limits, splits).

    A buy signal at day i's close sets the target weight ``weight`` of equity, a sell signal 0; other days place
    no order.  Fills follow ``config.fill`` (default next open).  The ETF's days are the engine's calendar.
    """
    from thermoquant.backtest.engine import EngineConfig, run_targets
    from thermoquant.backtest.rules import market_arrays

    p = params or Csi500TimingParams()
    sig = signals(frame, p, start)
    if end is not None:
        sig = sig.filter(pl.col("trade_date") <= end)
    lo, hi = sig["trade_date"].min(), sig["trade_date"].max()
    bars = etf_bars.filter(pl.col("date").is_between(lo, hi))
    splits = [(ETF_SYMBOL, d, r, 0.0) for d, r in ETF_510500_SHARE_EVENTS]
    m = market_arrays(bars, splits=splits)
    day_pos = {d: j for j, d in enumerate(m.dates.astype(object))}
    target = np.full(m.shape, np.nan)
    for d, s in sig.filter(pl.col("signal") != 0).select("trade_date", "signal").iter_rows():
        if d in day_pos:
            target[0, day_pos[d]] = weight if s > 0 else 0.0
    res = run_targets(m, target, config=config or EngineConfig())
    bench_close = sig.select("trade_date", "close").join(
        pl.DataFrame({"trade_date": pl.Series(m.dates).cast(pl.Date)}), on="trade_date", how="right"
    )["close"]
    bench = bench_close.pct_change().fill_null(0.0).to_numpy()
    return EtfResult(res, sig, bench)
