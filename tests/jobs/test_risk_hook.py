"""The jobs' risk hook: the industry cap groups each target by the ``industry_member`` rows in force on its date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from thermoquant.jobs.context import JobContext
from thermoquant.jobs.risk import risk_hook
from thermoquant.trading.risk import RiskLimits

DAY = dt.date(2024, 3, 15)


def test_the_industry_cap_uses_the_membership_in_force_on_each_date(tmp_path: Path) -> None:
    ctx = JobContext(db_url=f"duckdb:///{tmp_path / 'tq.duckdb'}")
    members = pl.DataFrame(
        {
            "symbol": ["600000.SH", "600036.SH", "600036.SH", "000001.SZ"],
            "classification": "sw2021_l1",
            "start_date": [
                dt.date(2021, 7, 1),
                dt.date(2021, 7, 1),
                dt.date(2023, 1, 1),
                dt.date(2021, 7, 1),
            ],
            "end_date": [None, dt.date(2022, 12, 31), None, None],
            "industry_name": ["银行", "非银金融", "银行", "银行"],
        }
    )
    targets = pl.DataFrame(
        {"symbol": ["600000.SH", "600036.SH", "000001.SZ"], "trade_date": DAY, "weight": [0.3, 0.3, 0.2]}
    )
    with ctx.open_store() as store:
        assert risk_hook(ctx, store, RiskLimits(max_industry_weight=0.4)).notes  # no membership yet: said so
        store.upsert("industry_member", members)
        hook = risk_hook(ctx, store, RiskLimits(max_industry_weight=0.4))
    assert hook.filter is not None and not hook.notes
    capped, refused = hook.filter(targets)
    assert abs(capped["weight"].sum() - 0.4) < 1e-12  # 600036 is a bank now: one industry of three stocks
    assert set(refused["reason"]) == {"industry cap"} and refused.height == 3
    # in 2022 600036 was in 非银金融: a backtest then groups only the other two banks (no look-ahead)
    earlier = targets.with_columns(pl.lit(dt.date(2022, 6, 1)).alias("trade_date"))
    capped, refused = hook.filter(earlier)
    assert capped.filter(pl.col("symbol") == "600036.SH")["weight"].item() == 0.3
    assert abs(capped.filter(pl.col("symbol") != "600036.SH")["weight"].sum() - 0.4) < 1e-12
    assert sorted(refused["symbol"]) == ["000001.SZ", "600000.SH"]
    both, _ = hook.filter(pl.concat([targets, earlier]))  # each date by its own membership
    assert both.sort("trade_date", "symbol")["weight"].to_list() == pytest.approx(
        [*capped.sort("symbol")["weight"], *hook.filter(targets)[0].sort("symbol")["weight"]]
    )
    assert risk_hook(ctx, None, RiskLimits()).filter is None  # no cap: the run is the uncapped one
