"""Forward excess returns, grouped means with t-statistics and rank IC on hand-made frames."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from thermoquant.signals.evaluation import forward_excess, mean_t, rank_ic

D = [dt.date(2021, 1, 4) + dt.timedelta(days=i) for i in range(4)]


def test_forward_excess_is_over_the_days_mean_and_reads_later_bars_of_the_same_stock() -> None:
    rows = pl.DataFrame({"symbol": ["A"] * 4 + ["B"] * 4, "trade_date": D * 2,
                         "close_adj": [10.0, 11.0, 12.1, 12.1, 10.0, 10.0, 9.0, 9.0]})  # fmt: skip
    out = forward_excess(rows, horizons=(1, 2))
    a = out.filter(pl.col("symbol") == "A")
    assert a["fwd_1"].to_list()[:3] == pytest.approx([0.1, 0.1, 0.0])
    assert a["fwd_1"][3] is None and a["fwd_2"][2] is None  # no bar after the last: no outcome
    day0 = out.filter(pl.col("trade_date") == D[0])
    assert day0["xs_1"].to_list() == pytest.approx([0.05, -0.05])  # (0.1 - 0.0) about their mean 0.05
    assert day0["xs_2"].to_list() == pytest.approx([(0.21 - (-0.1)) / 2, -(0.21 - (-0.1)) / 2])


def test_mean_t_by_group() -> None:
    rows = pl.DataFrame({"g": ["x", "x", "x", "y", "y"], "v": [1.0, 2.0, 3.0, -1.0, None]})
    out = mean_t(rows, "g", "v")
    x = out.filter(pl.col("g") == "x").row(0, named=True)
    assert (
        x["n"] == 3
        and x["mean"] == pytest.approx(2.0)
        and x["t"] == pytest.approx(2.0 / (1.0 / math.sqrt(3)))
    )
    assert out.filter(pl.col("g") == "y")["n"].item() == 1  # null dropped


def test_rank_ic_sign_and_t() -> None:
    rng = np.random.default_rng(0)
    n, days = 50, 30
    score = rng.normal(size=(days, n))
    fwd = score + rng.normal(scale=0.5, size=(days, n))
    rows = pl.DataFrame(
        {"trade_date": np.repeat(np.arange(days), n), "score": score.ravel(), "y": fwd.ravel()}
    )
    good = rank_ic(rows, "score", "y")
    bad = rank_ic(rows.with_columns(-pl.col("y")), "score", "y")
    assert good["ic"] > 0.7 and good["t"] > 10 and good["days"] == days
    assert bad["ic"] == pytest.approx(-good["ic"])
    assert math.isnan(rank_ic(rows, "score", "y", min_names=n + 1)["ic"])  # too few names a day
