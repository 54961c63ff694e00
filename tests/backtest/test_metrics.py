"""Metrics checked against empyrical-reloaded on real CSI500 / 510500 daily returns."""

from __future__ import annotations

from pathlib import Path

import empyrical
import numpy as np
import polars as pl
import pytest

from thermoquant.backtest import metrics


@pytest.fixture(scope="module")
def returns(real_data: Path) -> tuple[np.ndarray, np.ndarray]:
    """(510500 ETF close-to-close returns, CSI500 index returns) on their common days of 2019-2021."""
    idx = pl.read_csv(real_data / "sample" / "csi500_index_daily_2005_2026.csv", try_parse_dates=True)
    etf = pl.read_csv(real_data / "sample" / "etf_510500_daily_2013_2026.csv", try_parse_dates=True)
    j = (
        idx.select("date", pl.col("close").alias("ic"))
        .join(etf.select("date", pl.col("close").alias("ec")), on="date")
        .filter(pl.col("date").is_between(pl.date(2019, 1, 1), pl.date(2021, 12, 31)))
        .sort("date")
    )
    r = j.select(pl.col("ec").pct_change().alias("e"), pl.col("ic").pct_change().alias("i")).drop_nulls()
    return r["e"].to_numpy(), r["i"].to_numpy()


def test_single_series_metrics_match_empyrical(returns: tuple[np.ndarray, np.ndarray]) -> None:
    r, _ = returns
    assert metrics.total_return(r) == pytest.approx(empyrical.cum_returns_final(r), rel=1e-10)
    assert metrics.annual_return(r) == pytest.approx(empyrical.annual_return(r), rel=1e-10)
    assert metrics.annual_volatility(r) == pytest.approx(empyrical.annual_volatility(r), rel=1e-10)
    assert metrics.max_drawdown(r) == pytest.approx(empyrical.max_drawdown(r), rel=1e-10)
    assert metrics.sharpe_ratio(r) == pytest.approx(empyrical.sharpe_ratio(r), rel=1e-10)
    assert metrics.sortino_ratio(r) == pytest.approx(empyrical.sortino_ratio(r), rel=1e-10)
    assert metrics.calmar_ratio(r) == pytest.approx(empyrical.calmar_ratio(r), rel=1e-10)


def test_benchmark_metrics_match_empyrical(returns: tuple[np.ndarray, np.ndarray]) -> None:
    r, b = returns
    alpha, beta = metrics.alpha_beta(r, b)
    e_alpha, e_beta = empyrical.alpha_beta(r, b)
    assert beta == pytest.approx(e_beta, rel=1e-10)
    assert alpha == pytest.approx(e_alpha, rel=1e-8)
    assert metrics.information_ratio(r, b) == pytest.approx(
        empyrical.excess_sharpe(r, b) * np.sqrt(252), rel=1e-10
    )


def test_drawdown_duration_and_trade_metrics() -> None:
    r = np.array([0.1, -0.1, -0.05, 0.02, 0.2, -0.01, 0.0])
    # wealth 1.1, .99, .9405, .9593, 1.1512 (new peak), 1.1397, 1.1397
    assert metrics.max_drawdown_duration(r) == 3
    pnl = np.array([10.0, -5.0, 20.0, -5.0, 0.0])
    assert metrics.win_rate(pnl) == pytest.approx(0.4)
    assert metrics.profit_factor(pnl) == pytest.approx(3.0)
    s = metrics.summary(r, benchmark=r, trade_pnl=pnl, holding_days=np.array([1, 3]))
    assert s["beta"] == pytest.approx(1.0)
    assert s["avg_holding_days"] == 2.0
