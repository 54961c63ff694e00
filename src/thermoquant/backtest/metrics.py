"""Performance metrics of a daily return series (fractions, not percent).

Conventions (the same as empyrical, against which the tests check them): 252 periods a year; volatility and
Sharpe use the sample standard deviation (ddof=1); Sortino's downside risk is the root mean square of the negative
returns; annual return is the CAGR ``(1 + total) ** (252 / n) - 1``; alpha is annualised as
``(1 + mean daily alpha) ** 252 - 1``; the information ratio is the annualised mean/std of the active return
(empyrical ``excess_sharpe`` times sqrt(252)).  Risk-free rate 0.

Trade metrics (win rate, profit factor, average holding days) take per-trade P&L or returns and holding lengths
from the caller (engine round trips or the reference strategy's trade list).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from thermoquant.backtest.engine import BacktestResult

PERIODS_PER_YEAR = 252


def total_return(returns: np.ndarray) -> float:
    """Compounded return over the whole series."""
    return float(np.prod(1.0 + returns) - 1.0)


def annual_return(returns: np.ndarray, periods: int = PERIODS_PER_YEAR) -> float:
    """CAGR."""
    if len(returns) == 0:
        return float("nan")
    return float((1.0 + total_return(returns)) ** (periods / len(returns)) - 1.0)


def annual_volatility(returns: np.ndarray, periods: int = PERIODS_PER_YEAR) -> float:
    """Sample std of daily returns times sqrt(periods)."""
    if len(returns) < 2:
        return float("nan")
    return float(np.std(returns, ddof=1) * np.sqrt(periods))


def drawdown(returns: np.ndarray) -> np.ndarray:
    """Drawdown series (<= 0) of the compounded wealth, relative to its running peak (start at 1)."""
    wealth = np.cumprod(1.0 + returns)
    peak = np.maximum.accumulate(np.concatenate([[1.0], wealth]))[1:]
    return wealth / peak - 1.0


def max_drawdown(returns: np.ndarray) -> float:
    """Most negative drawdown (a fraction <= 0)."""
    return float(drawdown(returns).min()) if len(returns) else float("nan")


def max_drawdown_duration(returns: np.ndarray) -> int:
    """Longest run of periods spent below a previous peak (peak to recovery, or to the end if not recovered)."""
    under = drawdown(returns) < 0.0
    best = run = 0
    for u in under:
        run = run + 1 if u else 0
        best = max(best, run)
    return best


def sharpe_ratio(returns: np.ndarray, periods: int = PERIODS_PER_YEAR) -> float:
    """mean / sample std of daily returns times sqrt(periods)."""
    sd = np.std(returns, ddof=1) if len(returns) > 1 else np.nan
    return float(np.mean(returns) / sd * np.sqrt(periods)) if sd > 0 else float("nan")


def sortino_ratio(returns: np.ndarray, periods: int = PERIODS_PER_YEAR) -> float:
    """Annualised mean over annualised downside risk (RMS of min(r, 0))."""
    dr = np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2)) * np.sqrt(periods)
    return float(np.mean(returns) * periods / dr) if dr > 0 else float("nan")


def calmar_ratio(returns: np.ndarray, periods: int = PERIODS_PER_YEAR) -> float:
    """CAGR over |max drawdown| (NaN without a drawdown)."""
    mdd = max_drawdown(returns)
    return float(annual_return(returns, periods) / abs(mdd)) if mdd < 0 else float("nan")


def alpha_beta(
    returns: np.ndarray, benchmark: np.ndarray, periods: int = PERIODS_PER_YEAR
) -> tuple[float, float]:
    """(annualised alpha, beta) of ``returns`` on ``benchmark`` (population covariance / variance)."""
    b_dev = benchmark - benchmark.mean()
    var = np.mean(b_dev**2)
    if var < 1e-30:
        return float("nan"), float("nan")
    beta = float(np.mean(b_dev * returns) / var)
    alpha = float((1.0 + np.mean(returns - beta * benchmark)) ** periods - 1.0)
    return alpha, beta


def information_ratio(returns: np.ndarray, benchmark: np.ndarray, periods: int = PERIODS_PER_YEAR) -> float:
    """Annualised mean / sample std of the active return ``returns - benchmark``."""
    active = returns - benchmark
    sd = np.std(active, ddof=1) if len(active) > 1 else np.nan
    return float(np.mean(active) / sd * np.sqrt(periods)) if sd > 0 else float("nan")


def win_rate(trade_pnl: np.ndarray) -> float:
    """Share of trades with a positive result (NaN without trades)."""
    return float(np.mean(trade_pnl > 0)) if len(trade_pnl) else float("nan")


def profit_factor(trade_pnl: np.ndarray) -> float:
    """Sum of gains over |sum of losses| (inf when no loss, NaN without trades)."""
    if len(trade_pnl) == 0:
        return float("nan")
    loss = -trade_pnl[trade_pnl < 0].sum()
    gain = trade_pnl[trade_pnl > 0].sum()
    return float(gain / loss) if loss > 0 else float("inf")


def summary(
    returns: np.ndarray,
    *,
    benchmark: np.ndarray | None = None,
    trade_pnl: np.ndarray | None = None,
    holding_days: np.ndarray | None = None,
    turnover: float | None = None,
    exposure: float | None = None,
    periods: int = PERIODS_PER_YEAR,
) -> dict[str, float]:
    """Every metric in one flat dict (fractions; durations in periods).  Optional parts are left out when absent.

    ``turnover`` is the caller's annualised one-way turnover (traded value / 2 / mean equity per year) and
    ``exposure`` the mean fraction of equity held in positions.
    """
    r = np.asarray(returns, dtype=np.float64)
    out: dict[str, float] = {
        "total_return": total_return(r),
        "annual_return": annual_return(r, periods),
        "annual_volatility": annual_volatility(r, periods),
        "max_drawdown": max_drawdown(r),
        "max_drawdown_duration": float(max_drawdown_duration(r)),
        "sharpe": sharpe_ratio(r, periods),
        "sortino": sortino_ratio(r, periods),
        "calmar": calmar_ratio(r, periods),
    }
    if trade_pnl is not None:
        pnl = np.asarray(trade_pnl, dtype=np.float64)
        out["trades"] = float(len(pnl))
        out["win_rate"] = win_rate(pnl)
        out["profit_factor"] = profit_factor(pnl)
    if holding_days is not None:
        out["avg_holding_days"] = float(np.mean(holding_days)) if len(holding_days) else float("nan")
    if turnover is not None:
        out["turnover"] = float(turnover)
    if exposure is not None:
        out["exposure"] = float(exposure)
    if benchmark is not None:
        b = np.asarray(benchmark, dtype=np.float64)
        out["alpha"], out["beta"] = alpha_beta(r, b, periods)
        out["information_ratio"] = information_ratio(r, b, periods)
        out["benchmark_total_return"] = total_return(b)
        out["benchmark_max_drawdown"] = max_drawdown(b)
    return out


def result_summary(result: BacktestResult, benchmark: np.ndarray | None = None) -> dict[str, float]:
    """:func:`summary` of an engine :class:`~thermoquant.backtest.engine.BacktestResult`."""
    r = result.returns()
    rt = result.round_trips()
    rec = result.records
    traded = float(np.sum(np.abs(rec[:, 3]) * rec[:, 4])) if len(rec) else 0.0
    mean_eq = float(np.mean(result.equity))
    years = len(r) / PERIODS_PER_YEAR
    turnover = traded / 2.0 / mean_eq / years if years > 0 and mean_eq > 0 else float("nan")
    exposure = float(np.mean(result.gross / result.equity))
    return summary(
        r,
        benchmark=benchmark,
        trade_pnl=rt["pnl"].to_numpy(),
        holding_days=rt["holding_days"].to_numpy(),
        turnover=turnover,
        exposure=exposure,
    )
