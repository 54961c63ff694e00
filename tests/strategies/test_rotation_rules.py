"""Rotation's calendar, caps and parameter checks (hand-built inputs)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from thermoquant.strategies.base import ParamError
from thermoquant.strategies.rotation import RotationParams, cap_weights, rebalance_days


def test_rebalance_days_last_session_of_each_week_and_month() -> None:
    days = [dt.date(2021, 12, d) for d in (27, 28, 29, 30, 31)] + [
        dt.date(2022, 1, d) for d in (4, 5, 6, 7, 10)
    ]
    assert rebalance_days(days, "weekly") == [
        dt.date(2021, 12, 31),
        dt.date(2022, 1, 7),
        dt.date(2022, 1, 10),
    ]
    assert rebalance_days(days, "monthly") == [dt.date(2021, 12, 31), dt.date(2022, 1, 10)]


def test_caps_per_stock_then_per_industry() -> None:
    picks = pl.DataFrame({"symbol": ["a", "b", "c", "d"], "industry_name": ["银行", "银行", "银行", "电子"]})
    p = RotationParams().replace({"top_stocks": 4, "stock_cap": 0.2, "industry_cap": 0.5})
    w = dict(cap_weights(picks, p).select("symbol", "weight").iter_rows())
    assert w["d"] == pytest.approx(0.2)  # 1/4 capped at 20 %
    assert sum(w[s] for s in "abc") == pytest.approx(0.5) and w["a"] == pytest.approx(0.5 / 3)  # 60 % → 50 %


def test_rebalance_must_be_weekly_or_monthly() -> None:
    with pytest.raises(ParamError, match="rebalance"):
        RotationParams().replace({"rebalance": "daily"})
    with pytest.raises(ParamError, match="industry_cap"):
        RotationParams().with_pairs(["industry_cap=1.5"])
