"""Engine driven by a long bar frame with every rule taken from `thermoquant.market` (limits, lots, dated fees)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from thermoquant.backtest.engine import EngineConfig, run_orders, run_targets
from thermoquant.backtest.rules import market_arrays

D = dt.date
CFG = EngineConfig(init_cash=1_000_000.0, commission_rate=0.00025, min_commission=5.0)


def bars(symbol: str, rows: list[tuple[dt.date, float, float, float, float, float]]) -> pl.DataFrame:
    """(date, open, high, low, close, volume shares) -> bar frame (amount = volume x close)."""
    f = pl.DataFrame(rows, schema=["trade_date", "open", "high", "low", "close", "volume"], orient="row")
    return f.with_columns(
        pl.lit(symbol).alias("symbol"), (pl.col("volume") * pl.col("close")).alias("amount")
    )


def _orders(rows: list[tuple[str, dt.date, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["symbol", "trade_date", "quantity"], orient="row")


def test_stamp_duty_2023_08_25_vs_2023_08_28() -> None:
    days = [D(2023, 8, 24), D(2023, 8, 25), D(2023, 8, 28)]
    m = market_arrays(bars("600000.SH", [(d, 10.0, 10.2, 9.9, 10.0, 1e7) for d in days]))
    res = run_orders(
        m,
        _orders(
            [("600000.SH", days[0], 20000), ("600000.SH", days[1], -10000), ("600000.SH", days[2], -10000)]
        ),
        config=CFG,
    )
    o = res.orders()
    assert o["stamp_duty"].to_list() == pytest.approx([0.0, 100.0, 50.0])  # 0.1 % then 0.05 % of 100,000 CNY
    assert o["transfer_fee"].to_list() == pytest.approx([2.0, 1.0, 1.0])  # 0.001 % both sides
    assert o["commission"].to_list() == pytest.approx([50.0, 25.0, 25.0])


def test_etf_pays_commission_only() -> None:
    days = [D(2023, 8, 24), D(2023, 8, 25)]
    m = market_arrays(bars("510500.SH", [(d, 6.0, 6.1, 5.9, 6.0, 1e8) for d in days]))
    res = run_orders(
        m, _orders([("510500.SH", days[0], 100000), ("510500.SH", days[1], -100000)]), config=CFG
    )
    o = res.orders()
    assert o["stamp_duty"].to_list() == [0.0, 0.0]
    assert o["transfer_fee"].to_list() == [0.0, 0.0]


def test_limit_up_from_market_rules_blocks_one_price_bar_only() -> None:
    days = [D(2024, 3, 4), D(2024, 3, 5), D(2024, 3, 6), D(2024, 3, 7)]
    # 10.00 -> one-price limit-up 11.00 -> touched 12.10 and reopened -> normal
    rows = [
        (days[0], 10.0, 10.0, 10.0, 10.0, 1e6),
        (days[1], 11.0, 11.0, 11.0, 11.0, 3e6),
        (days[2], 11.5, 12.1, 11.4, 11.9, 3e6),
        (days[3], 11.9, 12.0, 11.8, 11.9, 3e6),
    ]
    m = market_arrays(bars("600000.SH", rows))
    assert m.limit_up[0, 1] == pytest.approx(11.0)
    assert m.limit_up[0, 2] == pytest.approx(12.1)
    res = run_orders(m, _orders([("600000.SH", days[1], 1000), ("600000.SH", days[2], 1000)]), config=CFG)
    assert res.orders()["status"].to_list() == ["limit", "filled"]


def test_chinext_20pct_limit_and_star_lots_from_market() -> None:
    days = [D(2024, 3, 4), D(2024, 3, 5)]
    f = pl.concat(
        [
            bars(
                "300750.SZ",
                [(days[0], 100.0, 100.0, 100.0, 100.0, 1e6), (days[1], 110.0, 110.0, 110.0, 110.0, 1e6)],
            ),
            bars(
                "688981.SH", [(days[0], 50.0, 51.0, 49.0, 50.0, 1e6), (days[1], 50.0, 51.0, 49.0, 50.0, 1e6)]
            ),
        ]
    )
    m = market_arrays(f)
    assert m.limit_up[0, 1] == pytest.approx(120.0)  # a one-price +10 % bar is no limit on ChiNext
    res = run_orders(m, _orders([("300750.SZ", days[1], 100), ("688981.SH", days[1], 199)]), config=CFG)
    o = res.orders()
    assert o["status"].to_list() == ["filled", "lot"]
    assert m.lot_min.tolist() == [100.0, 200.0] and m.lot_step.tolist() == [100.0, 1.0]


def test_missing_bar_is_a_suspension_in_target_mode() -> None:
    days = [D(2024, 3, 4), D(2024, 3, 5), D(2024, 3, 6)]
    a = bars("600000.SH", [(d, 10.0, 10.2, 9.8, 10.0, 1e6) for d in days])
    b = bars("000001.SZ", [(d, 10.0, 10.2, 9.8, 10.0, 1e6) for d in (days[0], days[2])])
    m = market_arrays(pl.concat([a, b]))
    target = np.full(m.shape, 0.4)
    res = run_targets(m, target, config=CFG)
    o = res.orders()
    assert o.filter(pl.col("symbol") == "000001.SZ")["status"].to_list() == ["suspended", "filled"]
    assert (res.cash >= 0).all()
