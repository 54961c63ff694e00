"""Hand-made scenarios, one per A-share rule, each with its expected fills (engine kernels, explicit arrays)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from thermoquant.backtest.engine import EngineConfig, MarketArrays, run_orders, run_targets
from thermoquant.market.lots import lot_rule

START = dt.date(2024, 3, 4)  # a Monday; scenario days are consecutive weekdays (the engine only sees indices)


def _days(n: int) -> np.ndarray:
    out, d = [], START
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += dt.timedelta(days=1)
    return np.array(out, dtype="datetime64[D]")


def market(
    bars: list[list[tuple[float, float, float, float, float]]],
    *,
    symbols: list[str] | None = None,
    limit_up: list[list[float]] | None = None,
    limit_down: list[list[float]] | None = None,
    stamp: float = 0.0005,
    transfer: float = 0.0,
) -> MarketArrays:
    """One row of (open, high, low, close, volume shares) bars per stock; volume 0 = suspended (prices NaN)."""
    a = np.array(bars, dtype=np.float64)  # (n, T, 5)
    n, T, _ = a.shape
    susp = a[:, :, 4] <= 0
    px = a[:, :, :4].copy()
    px[susp] = np.nan
    syms = symbols or [f"60000{i}.SH" for i in range(n)]
    rules = [lot_rule(s) for s in syms]
    nan = np.full((n, T), np.nan)
    return MarketArrays(
        symbols=syms,
        dates=_days(T),
        open=px[:, :, 0].copy(),
        high=px[:, :, 1].copy(),
        low=px[:, :, 2].copy(),
        close=px[:, :, 3].copy(),
        volume=a[:, :, 4].copy(),
        amount=a[:, :, 4] * px[:, :, 3],
        limit_up=np.array(limit_up, dtype=np.float64) if limit_up is not None else nan.copy(),
        limit_down=np.array(limit_down, dtype=np.float64) if limit_down is not None else nan.copy(),
        lot_min=np.array([r.minimum for r in rules], dtype=np.float64),
        lot_step=np.array([r.step for r in rules], dtype=np.float64),
        fee_group=np.zeros(n, dtype=np.int64),
        stamp_buy=np.zeros((1, T)),
        stamp_sell=np.full((1, T), stamp),
        transfer_rate=np.full((1, T), transfer),
    )


def orders(m: MarketArrays, rows: list[tuple[int, int, float, str]]) -> pl.DataFrame:
    """(stock index, day index, signed shares, price mode) -> order frame."""
    d = m.dates.astype(object)
    return pl.DataFrame(
        {
            "symbol": [m.symbols[s] for s, _, _, _ in rows],
            "trade_date": [d[t] for _, t, _, _ in rows],
            "quantity": [float(q) for _, _, q, _ in rows],
            "price": [p for _, _, _, p in rows],
        }
    )


FLAT = (10.0, 10.5, 9.5, 10.0, 1e7)
CFG = EngineConfig(init_cash=1_000_000.0, commission_rate=0.00025, min_commission=5.0)


def test_t_plus_one_blocks_same_day_sell_and_frees_next_day() -> None:
    m = market([[FLAT, FLAT, FLAT]])
    res = run_orders(
        m, orders(m, [(0, 0, 1000, "open"), (0, 0, -1000, "close"), (0, 1, -1000, "open")]), config=CFG
    )
    o = res.orders()
    assert o["status"].to_list() == ["filled", "t+1", "filled"]
    assert o["filled"].to_list() == [1000.0, 0.0, -1000.0]
    assert res.positions[0].tolist() == [1000.0, 0.0, 0.0]


def test_t_plus_one_only_old_shares_sellable() -> None:
    m = market([[FLAT, FLAT]])
    res = run_orders(
        m, orders(m, [(0, 0, 500, "open"), (0, 1, 300, "open"), (0, 1, -800, "close")]), config=CFG
    )
    o = res.orders()
    assert o["filled"].to_list() == [500.0, 300.0, -500.0]
    assert o["status"][2] == "partial"


def test_one_price_limit_up_blocks_buy_touched_and_reopened_fills() -> None:
    locked = (11.0, 11.0, 11.0, 11.0, 5e6)  # one-price bar at the limit, with heavy volume
    reopened = (10.6, 11.0, 10.5, 10.9, 5e6)  # touched 11.0, traded away from it
    m = market([[FLAT, locked, reopened]], limit_up=[[np.nan, 11.0, 11.0]])
    res = run_orders(m, orders(m, [(0, 1, 1000, "open"), (0, 2, 1000, "open")]), config=CFG)
    o = res.orders()
    assert o["status"].to_list() == ["limit", "filled"]
    assert o["filled"].to_list() == [0.0, 1000.0]
    assert o["price"][1] == pytest.approx(10.6)


def test_one_price_limit_down_blocks_sell_but_not_a_buy() -> None:
    locked = (9.0, 9.0, 9.0, 9.0, 5e6)
    m = market([[FLAT, locked, locked]], limit_down=[[np.nan, 9.0, 9.0]])
    res = run_orders(
        m, orders(m, [(0, 0, 1000, "open"), (0, 1, -1000, "open"), (0, 2, 100, "open")]), config=CFG
    )
    assert res.orders()["status"].to_list() == ["filled", "limit", "filled"]


def test_one_price_bar_away_from_the_limit_is_tradeable() -> None:
    flat_bar = (10.2, 10.2, 10.2, 10.2, 1e4)
    m = market([[FLAT, flat_bar]], limit_up=[[np.nan, 11.0]])
    res = run_orders(m, orders(m, [(0, 1, 1000, "open")]), config=CFG)
    assert res.orders()["status"].to_list() == ["filled"]


def test_suspension_no_fill_and_carry_last_price() -> None:
    susp = (0.0, 0.0, 0.0, 0.0, 0.0)
    up = (10.0, 12.5, 10.0, 12.0, 1e7)
    m = market([[FLAT, susp, up]])
    res = run_orders(
        m, orders(m, [(0, 0, 1000, "open"), (0, 1, -1000, "open"), (0, 1, 100, "open")]), config=CFG
    )
    assert res.orders()["status"].to_list() == ["filled", "suspended", "suspended"]
    gross = res.gross.tolist()
    assert gross[1] == pytest.approx(1000 * 10.0)  # carried at day 0's close
    assert gross[2] == pytest.approx(1000 * 12.0)


def test_lot_rounding_main_board() -> None:
    m = market([[FLAT, FLAT]])
    res = run_orders(
        m, orders(m, [(0, 0, 1050, "open"), (0, 0, 99, "open"), (0, 1, -1050, "open")]), config=CFG
    )
    o = res.orders()
    assert o["filled"].to_list() == [1000.0, 0.0, -1000.0]
    assert o["status"].to_list() == ["partial", "lot", "partial"]


def test_lot_rounding_star_200_minimum_then_one_share_steps() -> None:
    m = market([[FLAT, FLAT], [FLAT, FLAT]], symbols=["688001.SH", "600000.SH"])
    rows = [(0, 0, 150, "open"), (0, 0, 201, "open"), (0, 0, 255, "open"), (1, 0, 201, "open")]
    rows += [
        (0, 1, -130, "open"),
        (0, 1, -326, "open"),
    ]  # partial STAR sell below 200: lot; then the remainder
    res = run_orders(m, orders(m, rows), config=CFG)
    o = res.orders()
    assert o["filled"].to_list() == [0.0, 201.0, 255.0, 200.0, 0.0, -326.0]
    assert o["status"].to_list() == ["lot", "filled", "filled", "partial", "lot", "filled"]
    assert res.positions[0, 1] == 456 - 326


def test_selling_whole_odd_position_is_allowed() -> None:
    m = market([[FLAT, FLAT]], symbols=["688001.SH"])
    res = run_orders(m, orders(m, [(0, 0, 201, "open"), (0, 1, -201, "open")]), config=CFG)
    assert res.orders()["filled"].to_list() == [201.0, -201.0]


def test_minimum_commission_5_cny() -> None:
    m = market([[FLAT, FLAT]], stamp=0.0)
    res = run_orders(m, orders(m, [(0, 0, 100, "open"), (0, 1, -100, "open")]), config=CFG)
    o = res.orders()
    assert o["commission"].to_list() == pytest.approx([5.0, 5.0])  # 1,000 CNY x 0.025 % = 0.25 -> 5
    assert res.cash[-1] == pytest.approx(1_000_000 - 10.0)


def test_commission_above_minimum_and_stamp_only_on_sells() -> None:
    m = market([[FLAT, FLAT]], stamp=0.0005, transfer=0.00001)
    res = run_orders(m, orders(m, [(0, 0, 50000, "open"), (0, 1, -50000, "open")]), config=CFG)
    o = res.orders()
    assert o["commission"].to_list() == pytest.approx([125.0, 125.0])
    assert o["stamp_duty"].to_list() == pytest.approx([0.0, 250.0])
    assert o["transfer_fee"].to_list() == pytest.approx([5.0, 5.0])
    assert res.cash[-1] == pytest.approx(1_000_000 - 2 * 125 - 250 - 10)


def test_participation_cap_25_percent_of_bar_volume() -> None:
    thin = (10.0, 10.5, 9.5, 10.0, 1000.0)
    m = market([[thin, thin]])
    res = run_orders(m, orders(m, [(0, 0, 1000, "open"), (0, 1, -1000, "open")]), config=CFG)
    o = res.orders()
    assert o["filled"].to_list() == [200.0, -200.0]  # 25 % of 1,000 = 250 -> 200 in round lots
    assert o["status"].to_list() == ["partial", "partial"]
    res2 = run_orders(m, orders(m, [(0, 0, 1000, "open")]), config=EngineConfig(participation=0.0))
    assert res2.orders()["filled"].to_list() == [1000.0]


def test_cash_never_negative_buy_cut_to_cash() -> None:
    m = market([[FLAT]])
    res = run_orders(
        m,
        orders(m, [(0, 0, 2000, "open")]),
        config=EngineConfig(init_cash=10_000.0, commission_rate=0.00025, min_commission=5.0),
    )
    o = res.orders()
    assert o["filled"].to_list() == [900.0]  # 1,000 shares need 10,000 + 5 CNY commission
    assert res.cash[0] == pytest.approx(10_000 - 9_000 - 5)
    res2 = run_orders(m, orders(m, [(0, 0, 100, "open")]), config=EngineConfig(init_cash=500.0))
    assert res2.orders()["status"].to_list() == ["cash"]
    assert res2.cash[0] == 500.0


def test_targets_sell_first_and_cash_usable_same_day_scaled_buys() -> None:
    rng = np.random.default_rng(7)
    T = 30
    bars = []
    for _ in range(3):
        c = 10 * np.cumprod(1 + rng.normal(0, 0.02, T))
        bars.append([(c[t] * 0.99, c[t] * 1.02, c[t] * 0.98, c[t], 1e7) for t in range(T)])
    m = market(bars)
    target = np.zeros((3, T))
    target[0, :10] = 1.0  # all in stock 0, then all in stock 1, then overweight 2 and 1 (sum 1.4: scaled)
    target[1, 10:20] = 1.0
    target[2, 20:] = 0.7
    target[1, 20:] = 0.7
    res = run_targets(m, target, config=CFG)
    assert (res.cash >= -1e-9).all()
    o = res.orders()
    switch = o.filter(pl.col("trade_date") == pl.lit(m.dates[11].astype(object)))
    assert switch["side"].to_list() == ["sell", "buy"]  # sells first; the buy is paid with the sale's cash
    assert switch["status"].to_list() == ["filled", "filled"]
    assert res.gross[12] / res.equity[12] > 0.98


def test_fill_modes_next_open_close_vwap() -> None:
    d0 = (10.0, 10.5, 9.5, 10.2, 1e6)
    d1 = (10.4, 10.9, 10.1, 10.8, 1e6)
    m = market([[d0, d1]])
    m.amount[0, 1] = 1e6 * 10.5  # VWAP 10.5
    target = np.array([[1000.0, np.nan]])
    for fill, day, price in (("next_open", 1, 10.4), ("close", 0, 10.2), ("vwap", 1, 10.5)):
        o = run_targets(m, target, is_weight=False, config=EngineConfig(fill=fill)).orders()
        assert o["filled"].to_list() == [1000.0]
        assert o["trade_date"][0] == m.dates[day].astype(object)
        assert o["price"][0] == pytest.approx(price)


def test_split_event_scales_position_and_keeps_value() -> None:
    d0 = (10.0, 10.0, 10.0, 10.0, 1e6)
    d1 = (5.0, 5.0, 5.0, 5.0, 1e6)
    m = market([[d0, d1]])
    m.events = np.array([[1, 0, 2.0, 0.0]])
    res = run_orders(m, orders(m, [(0, 0, 1000, "open")]), config=CFG)
    assert res.positions[0].tolist() == [1000.0, 2000.0]
    assert res.gross[1] == pytest.approx(res.gross[0])


def test_split_pays_the_fractional_share_in_cash() -> None:
    """1,000 shares through a 1:1.1454 split: 1,145 whole shares and 0.4 share paid at the previous close on the
    new basis (10 / 1.1454 CNY); value is kept to the cent."""
    ratio = 1.1454
    d0 = (10.0, 10.0, 10.0, 10.0, 1e6)
    d1 = (8.73, 8.73, 8.73, 8.73, 1e6)
    m = market([[d0, d1]], stamp=0.0)
    m.events = np.array([[1, 0, ratio, 0.0]])
    res = run_orders(m, orders(m, [(0, 0, 1000, "open")]), config=CFG)
    assert res.positions[0].tolist() == [1000.0, 1145.0]
    fraction = 1000 * ratio - 1145
    assert res.cash[1] - res.cash[0] == pytest.approx(fraction * 10.0 / ratio, abs=1e-9)
    # the split itself moves no value: at the reference price the day starts with the previous close's equity
    assert res.cash[1] + 1145 * 10.0 / ratio == pytest.approx(res.equity[0], abs=1e-6)


def test_round_trips_pnl_and_holding_days() -> None:
    d = [(10.0, 10.0, 10.0, 10.0 + t, 1e7) for t in range(5)]
    d = [(c, c, c, c, v) for _, _, _, c, v in d]
    m = market([d], stamp=0.0)
    res = run_orders(m, orders(m, [(0, 1, 1000, "open"), (0, 3, -1000, "open")]), config=CFG)
    rt = res.round_trips()
    assert rt["holding_days"].to_list() == [2]
    assert rt["pnl"][0] == pytest.approx(1000 * (13 - 11) - 10.0)


def test_unknown_order_symbol_is_a_clear_error() -> None:
    m = market([[FLAT]])
    bad = pl.DataFrame(
        {"symbol": ["999999.SH"], "trade_date": [m.dates[0].astype(object)], "quantity": [100.0]}
    )
    with pytest.raises(ValueError, match="order row 0"):
        run_orders(m, bad, config=CFG)
