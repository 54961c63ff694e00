"""The read layer's helpers that need no database."""

from __future__ import annotations

import numba
import polars as pl

from thermoquant.jobs.dashboard import drawdown, find_stocks, single_threaded_kernels


def test_single_threaded_kernels_restores_the_thread_count() -> None:
    before = numba.get_num_threads()
    with single_threaded_kernels():
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before


def test_find_stocks_by_code_or_name() -> None:
    stocks = pl.DataFrame(
        {"symbol": ["000001.SZ", "600000.SH", "601318.SH"], "name": ["平安银行", "浦发银行", "中国平安"]}
    )
    assert find_stocks(stocks, "平安")["symbol"].to_list() == ["000001.SZ", "601318.SH"]
    assert find_stocks(stocks, "6000")["symbol"].to_list() == ["600000.SH"]
    assert find_stocks(stocks, "sh")["symbol"].to_list() == ["600000.SH", "601318.SH"]
    assert find_stocks(stocks, "").height == 3


def test_drawdown_from_the_running_peak() -> None:
    dd = drawdown(pl.Series([100.0, 120.0, 90.0, 130.0]))
    assert dd.to_list() == [0.0, 0.0, -0.25, 0.0]
