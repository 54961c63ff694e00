"""The ``index_nav`` fill model: trade an index (or any one series) itself, frictionless but for a switch cost.

This is the upstream convention of seed 004's CSI500 project, kept as a fill model so a strategy's code never
holds its own simulator. A target decided at day i's close is executed at day i+1's open, on fractional units:

* a day the weight changes from w₀ to w₁ earns ``w₀·(open/prev close − 1) + w₁·(close/open − 1)`` minus
  ``cost · |w₁ − w₀|`` (so a 0 → 1 buy day earns open → close, a 1 → 0 sell day previous close → open);
* a day the weight stays w earns ``w·(close/prev close − 1)``.

``cost`` is a fraction of NAV per unit of weight switched (0.001 = 0.1 % per switch, the upstream figure). Round
trips are flat-to-flat episodes: a trade's return compounds its daily returns from the entry fill day to the exit
fill day; a trade still open at the end is listed with ``closed = False`` and left out of the win rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from thermoquant.backtest import metrics

#: Default switch cost of the index_nav fill model (fraction of NAV per unit of weight traded).
DEFAULT_SWITCH_COST = 0.001

TRADE_SCHEMA = {
    "entry_signal": pl.Date,
    "entry_fill": pl.Date,
    "exit_signal": pl.Date,
    "exit_fill": pl.Date,
    "logic": pl.Utf8,
    "return": pl.Float64,
    "holding_days": pl.Int64,
    "closed": pl.Boolean,
}


@dataclass
class NavResult:
    """``daily`` (trade_date, target, position, strat_ret, bench_ret, nav, bench_nav) and ``trades`` (signal and
    fill dates of entry and exit, entry reason as ``logic``, compounded return, holding days, closed flag)."""

    daily: pl.DataFrame
    trades: pl.DataFrame

    def summary(self) -> dict[str, float]:
        """:func:`metrics.summary` against the traded series itself (buy and hold), trades = all entries."""
        closed = self.trades.filter(pl.col("closed"))
        out = metrics.summary(
            self.daily["strat_ret"].to_numpy(),
            benchmark=self.daily["bench_ret"].to_numpy(),
            trade_pnl=closed["return"].to_numpy(),
            holding_days=closed["holding_days"].to_numpy(),
            exposure=float(self.daily["position"].mean()),
        )
        out["trades"] = float(self.trades.height)
        return out


def run_nav(bars: pl.DataFrame, targets: pl.DataFrame, cost: float = DEFAULT_SWITCH_COST) -> NavResult:
    """Execute ``targets`` (trade_date, weight [, reason]; days without a row keep the target) on ``bars``
    (trade_date, open, close; the days of the run, sorted)."""
    days = bars.select("trade_date", "open", "close").sort("trade_date")
    t = days.join(targets.select("trade_date", "weight", *(["reason"] if "reason" in targets.columns else [])),
                  on="trade_date", how="left")  # fmt: skip
    n = t.height
    decided = t["weight"].fill_null(np.nan).to_numpy().astype(np.float64)
    target = pl.Series(decided).fill_nan(None).forward_fill().fill_null(0.0).to_numpy()
    o = t["open"].to_numpy().astype(np.float64)
    c = t["close"].to_numpy().astype(np.float64)
    pos = np.zeros(n)
    pos[1:] = target[:-1]
    ret = np.zeros(n)
    bench = np.zeros(n)
    for i in range(1, n):
        bench[i] = c[i] / c[i - 1] - 1.0
        w0, w1 = pos[i - 1], pos[i]
        if w1 != w0:
            ret[i] = _switch_return(w0, w1, o[i], c[i], c[i - 1]) - cost * abs(w1 - w0)
        elif w1:
            ret[i] = w1 * bench[i] if w1 != 1.0 else bench[i]
    daily = t.select("trade_date").with_columns(
        pl.Series("target", target),
        pl.Series("position", pos),
        pl.Series("strat_ret", ret),
        pl.Series("bench_ret", bench),
        pl.Series("nav", np.cumprod(1.0 + ret)),
        pl.Series("bench_nav", np.cumprod(1.0 + bench)),
    )
    reasons = t["reason"].to_list() if "reason" in t.columns else [None] * n
    return NavResult(daily, _round_trips(t["trade_date"].to_list(), target, ret, reasons))


def _switch_return(w0: float, w1: float, o: float, c: float, prev_c: float) -> float:
    """Return of a day the weight moves from w0 to w1 at the open (before cost)."""
    if w0 == 0.0:
        return c / o - 1.0 if w1 == 1.0 else w1 * (c / o - 1.0)
    if w1 == 0.0:
        return o / prev_c - 1.0 if w0 == 1.0 else w0 * (o / prev_c - 1.0)
    return w0 * (o / prev_c - 1.0) + w1 * (c / o - 1.0)


def _round_trips(dates: list, target: np.ndarray, ret: np.ndarray, reasons: list) -> pl.DataFrame:
    n = len(dates)
    held = target > 0
    entries = [i for i in range(n) if held[i] and (i == 0 or not held[i - 1])]
    exits = [i for i in range(1, n) if not held[i] and held[i - 1]]
    rows = []
    for k, bi in enumerate(entries):
        si = exits[k] if k < len(exits) else None
        fill_in = min(bi + 1, n - 1)
        fill_out = min(si + 1, n - 1) if si is not None else n - 1
        rows.append(
            {
                "entry_signal": dates[bi],
                "entry_fill": dates[fill_in] if bi + 1 < n else None,
                "exit_signal": dates[si] if si is not None else None,
                "exit_fill": dates[fill_out] if si is not None and si + 1 < n else None,
                "logic": reasons[bi],
                "return": float(np.prod(1.0 + ret[fill_in : fill_out + 1]) - 1.0) if bi + 1 < n else 0.0,
                "holding_days": fill_out - fill_in,
                "closed": si is not None and si + 1 < n,
            }
        )
    return pl.DataFrame(rows, schema=TRADE_SCHEMA)
