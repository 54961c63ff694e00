"""Forward adjustment and weekly/monthly aggregation on real bars."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from thermoquant.features.bars import adj_factor_from_pre_close, qfq, resample_ohlcv


@pytest.fixture(scope="module")
def raw(real_data) -> pl.DataFrame:
    from _load import load_000025

    return load_000025(real_data, adjust=False).filter(~pl.col("is_suspended"))


def test_qfq_anchored_at_last_day_and_continuous(real_data) -> None:
    from _load import load_xbx

    raw = load_xbx(real_data, n_stocks=40, adjust=False)
    adj = qfq(raw, adj_factor_from_pre_close(raw))
    # ex-rights days exist in the sample: the raw close jumps away from the exchange reference price there
    ex = raw.filter((pl.col("close").shift(1).over("symbol") - pl.col("pre_close")).abs() > 1e-6)
    assert ex.height >= 10
    # anchored at the computation date: each stock's last bar is unchanged
    last = adj.group_by("symbol").agg(pl.col("close").last()).sort("symbol")
    assert last.equals(raw.group_by("symbol").agg(pl.col("close").last()).sort("symbol"))
    # the qfq day-over-day ratio equals the exchange's close / pre_close on every day, ex-rights days included
    both = adj.with_columns(
        (pl.col("close") / pl.col("close").shift(1).over("symbol")).alias("r_adj"),
        (raw["close"] / raw["pre_close"]).alias("r_ex"),
    ).drop_nulls("r_adj")
    np.testing.assert_allclose(both["r_adj"].to_numpy(), both["r_ex"].to_numpy(), rtol=1e-9)


def test_weekly_and_monthly_bars(raw: pl.DataFrame) -> None:
    wk = resample_ohlcv(raw, "week")
    mo = resample_ohlcv(raw, "month")
    assert wk["volume"].sum() == pytest.approx(raw["volume"].sum())
    assert mo["amount"].sum() == pytest.approx(raw["amount"].sum())
    # one hand-checked week: Monday 2015-01-05 .. Friday 2015-01-09
    days = raw.filter(pl.col("trade_date").is_between(dt.date(2015, 1, 5), dt.date(2015, 1, 9)))
    row = wk.filter(pl.col("trade_date") == days["trade_date"][-1]).row(0, named=True)
    assert row["period_start"] == days["trade_date"][0]
    assert row["open"] == days["open"][0] and row["close"] == days["close"][-1]
    assert row["high"] == days["high"].max() and row["low"] == days["low"].min()
    assert row["days"] == days.height
    # bars are labelled with their last trading day: never later than the data they summarise
    assert (wk["trade_date"] >= wk["period_start"]).all()
    assert mo.filter(pl.col("trade_date").dt.year() == 2014).height == 12


def test_qfq_scales_vendor_limit_prices_with_the_close() -> None:
    """A limit-up close stays at its (vendor) limit price after forward adjustment: both are prices of the day."""
    days = [dt.date(2024, 6, 3), dt.date(2024, 6, 4)]
    bars = pl.DataFrame(
        {
            "symbol": ["600000.SH"] * 2,
            "trade_date": days,
            "close": [11.0, 5.5],
            "pre_close": [10.0, 5.0],
            "up_limit": [11.0, 5.5],
            "down_limit": [9.0, 4.5],
            "adj_factor": [1.0, 2.0],  # a 1:1 bonus issue on the second day
        }
    )
    out = qfq(bars)
    assert out["close"].to_list() == [5.5, 5.5]
    assert out["up_limit"].to_list() == out["close"].to_list()
    assert out["down_limit"].to_list() == [4.5, 4.5]
