"""CSI500 (000905) index timing — seed 004 / issue 6, on the strategy contract (:mod:`.base`).

Panel frame ``csi500``: one row per trading day, sorted by ``trade_date``, with ``trade_date`` (Date), ``open,
high, low, close`` (index points), ``breadth`` (percent 0-100 of constituents above their MA20), ``heat_z``
(20-day Z-score of amount) and ``etf_turnover`` (510500 volume / previous day's fund shares, percent; null where
the fund shares are unknown). MA5 / MA10 / MA30 of close are computed here over the frame's rows, so rows before
the panel's ``start`` serve as warm-up.

Signals at day i's close (state machine, one position at a time):

* flat, ``breadth < breadth_low`` -> enter "Composite" (checked first);
* flat, FirstNeg: close > MA10, the run of consecutive up closes ending yesterday >= ``min_up_run``, close <
  yesterday's close, etf_turnover > ``turnover_min``, close > MA5, close > MA30 -> enter "FirstNeg" and record
  ``entry_high`` = that day's high (never updated while holding);
* holding FirstNeg with ``breadth < breadth_low`` -> upgrade to Composite (before the exit checks);
* exit for both: ``breadth > breadth_high`` and ``heat_z < heat_exit``;
* exit for FirstNeg only: close < MA30 and (close < yesterday's close, or ``i - entry_i >= time_stop_days`` with
  no close from the entry day to today above entry_high).

A rule whose input is missing that day (null breadth, heat_z or etf_turnover) does not fire, and the day's
``unavailable`` column names it, so a report can say "FirstNeg unavailable: etf_turnover missing" instead of a
silent "no".

Seed 004's dual check (``dual_check=True``): a FirstNeg entry also needs heat_z > ``heat_strong`` ("BUY strong");
a FirstNeg candidate with heat_z <= heat_strong is only labelled "OBSERVE weak" and not traded.

Targets: weight ``weight`` of the strategy's capital in ``trade_symbol`` after a buy signal, 0 after a sell; rows
only on signal days (the engine keeps the target in between). The upstream convention — trade the index itself
at the next open with a proportional switch cost — is the engine's ``index_nav`` fill model
(:mod:`thermoquant.backtest.nav`); ``trade_symbol=510500.SH`` trades the ETF through the A-share engine.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
import polars as pl

from thermoquant.strategies.base import InputSpec, Panel, Strategy, StrategyParams, param, signal_frame

INDEX_SYMBOL = "000905.SH"
ETF_SYMBOL = "510500.SH"
FLAT, COMPOSITE, FIRST_NEG = 0, 1, 2
LOGIC_NAMES = {FLAT: "", COMPOSITE: "Composite", FIRST_NEG: "FirstNeg"}
REQUIRED_COLUMNS = ("trade_date", "open", "high", "low", "close", "breadth", "heat_z", "etf_turnover")


@dataclass(frozen=True)
class Csi500TimingParams(StrategyParams):
    """Every threshold of the strategy. Percent values as in the data (breadth 0-100, turnover in %)."""

    strategy_name = "csi500_timing"

    breadth_low: float = param(16.0, "Composite 入场/升级：广度低于此值 entry below", unit="%", ge=0, le=100)
    breadth_high: float = param(79.0, "共同离场：广度高于此值 exit above", unit="%", ge=0, le=100)
    heat_exit: float = param(1.5, "……且热度 Z 值低于此值 and heat_z below", unit="z")
    turnover_min: float = param(1.0, "FirstNeg：ETF 换手率高于此值 ETF turnover above", unit="%", ge=0)
    min_up_run: int = param(3, "FirstNeg：截至昨日的连涨天数 up closes ending yesterday", unit="days", ge=1)
    time_stop_days: int = param(5, "FirstNeg 时间止损：持有天数 days held", unit="days", ge=1)
    ma_support: int = param(5, "支撑均线 support MA", unit="days", ge=1)
    ma_trend: int = param(10, "趋势均线 trend MA", unit="days", ge=1)
    ma_filter: int = param(30, "过滤均线 filter MA", unit="days", ge=1)
    dual_check: bool = param(False, "种子004 双重校验：FirstNeg 还需热度 > heat_strong / seed 004 dual check")
    heat_strong: float = param(1.5, "双重校验的热度阈值 heat_z for BUY strong", unit="z")
    weight: float = param(1.0, "持仓时的目标权重 target weight when holding", unit="fraction", gt=0, le=1)
    trade_symbol: str = param(INDEX_SYMBOL, "交易标的 traded symbol: 000905.SH (指数) or 510500.SH (ETF)")

    def validate(self) -> None:
        from thermoquant.strategies.base import ParamError

        if self.breadth_low >= self.breadth_high:
            raise ParamError(self.strategy_name, "breadth_low", f"{self.breadth_low} must be < breadth_high")


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


def _unavailable(breadth: np.ndarray, heat: np.ndarray, turn: np.ndarray) -> list[str | None]:
    """Per day, the rules that could not be evaluated for a missing input (None when all could)."""
    out: list[str | None] = []
    for b, h, t in zip(np.isnan(breadth), np.isnan(heat), np.isnan(turn), strict=True):
        parts = []
        if b:
            parts.append("Composite/exit: breadth missing")
        if t:
            parts.append("FirstNeg: etf_turnover missing")
        if h:
            parts.append("exit: heat_z missing")
        out.append("; ".join(parts) or None)
    return out


def timing_signals(
    frame: pl.DataFrame, params: Csi500TimingParams | None = None, start: dt.date | None = None
) -> pl.DataFrame:
    """Run the state machine. Rows before ``start`` only warm up the MAs (their signals are 0).

    Returns the frame from ``start`` on with added columns ``ma_support, ma_trend, ma_filter``, ``signal`` (+1 buy,
    -1 sell, 0 none, at that day's close), ``logic`` (state after the day: "", "Composite", "FirstNeg"),
    ``entry_high``, ``momentum`` ("BUY strong" / "OBSERVE weak" on FirstNeg candidate days, else null) and
    ``unavailable`` (rules that could not be evaluated that day).
    """
    p = params or Csi500TimingParams()
    _check(frame)
    f = with_moving_averages(frame, p)
    if start is not None:
        f = f.filter(pl.col("trade_date") >= start)
    n = f.height

    def arr(name: str) -> np.ndarray:
        return f[name].cast(pl.Float64).fill_null(np.nan).to_numpy()

    close, high, breadth, heat, turn = (
        arr(c) for c in ("close", "high", "breadth", "heat_z", "etf_turnover")
    )
    ma_s, ma_t, ma_f = arr("ma_support"), arr("ma_trend"), arr("ma_filter")
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
        pl.Series("unavailable", _unavailable(breadth, heat, turn), dtype=pl.Utf8),
    )


class Csi500Timing(Strategy):
    """Seed 004's CSI500 timing strategy (see the module docstring)."""

    name = "csi500_timing"
    title = "中证500 择时 / CSI500 timing (seed 004)"
    Params = Csi500TimingParams
    inputs = InputSpec(
        tables=("index_daily", "etf_daily", "fund_share", "index_weight", "daily_quote"),
        factors=("csi500_breadth", "heat_z", "etf_turnover"),
        lookback=30,
    )

    def _signals(self, panel: Panel, params: Csi500TimingParams) -> pl.DataFrame:
        return timing_signals(panel["csi500"], params, panel.start).filter(pl.col("trade_date") <= panel.end)

    def targets(self, panel: Panel, params: Csi500TimingParams) -> pl.DataFrame:
        sig = self._signals(panel, params).filter(pl.col("signal") != 0)
        return sig.select(
            pl.lit(params.trade_symbol).alias("symbol"),
            "trade_date",
            pl.when(pl.col("signal") > 0).then(pl.lit(params.weight)).otherwise(0.0).alias("weight"),
            pl.when(pl.col("signal") > 0).then(pl.col("logic")).otherwise(pl.lit("exit")).alias("reason"),
        )

    def signals(self, panel: Panel, params: Csi500TimingParams, day: dt.date) -> pl.DataFrame:
        sig = self._signals(panel, params).filter(pl.col("trade_date") == day)
        if sig.is_empty():
            return signal_frame([])
        r = sig.row(0, named=True)
        action = {1: "BUY", -1: "SELL"}.get(r["signal"], "HOLD" if r["logic"] else "WATCH")
        reason = r["logic"] if r["signal"] == 1 else "exit" if r["signal"] == -1 else (r["momentum"] or "")
        details = {k: r[k] for k in ("breadth", "heat_z", "etf_turnover", "momentum", "unavailable")}
        return signal_frame(
            [
                {
                    "strategy": self.name,
                    "symbol": params.trade_symbol,
                    "signal_time": dt.datetime.combine(day, dt.time(15, 0)),
                    "signal": action,
                    "state": r["logic"] or None,
                    "score": r["heat_z"],
                    "reason": reason or None,
                    "details": json.dumps(details, ensure_ascii=False, default=float),
                }
            ]
        )
