"""Replay history day by day through a broker with the backtest's own order planning.

Each day ``t`` of the run, as the live loop would at the session's open:

1. the broker's day start (corporate actions of ``t``: splits pay the fractional share in cash, dividends);
2. the start-of-day book (positions, cash) is read from the broker once and stored as a snapshot
   (``position_snapshot`` / ``cash_snapshot``, source ``book``); after a restart the stored snapshot is used, so
   the day is planned from the same numbers it was planned from before the crash;
3. :func:`engine_nb.plan_day_nb` — the engine's own sizing — turns the target decided at the close of day
   ``t − lag`` into share changes; sells go first through the :class:`~.router.OrderRouter` (risk gate, intent,
   query before send);
4. the buys are scaled to the cash the sells left (:func:`engine_nb.scale_buys_nb`, cash recomputed from the sell
   fills in the engine's order of operations) and sent;
5. at the close: reconciliation of the broker against our book (a mismatch closes the gate), then a positions /
   cash / equity snapshot.

The paper broker fills with the engine's rule kernel, so the replay's fills equal the backtest's fill for fill
(``tests/trading/test_replay.py`` checks it on the CSI500 strategy in ETF mode).  Client order ids are
deterministic (date, strategy, symbol, leg 0), so a replay restarted after a kill resumes without duplicates; a day
whose close snapshot is stored is complete and is skipped on resume (the broker's numbers are already past it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from thermoquant.backtest import engine_nb as nb
from thermoquant.backtest.engine import _FILL, EngineConfig, MarketArrays
from thermoquant.backtest.fill import BarRules, kernel_inputs
from thermoquant.trading.book import OrderBook
from thermoquant.trading.orders import OrderRequest, client_order_id
from thermoquant.trading.paper import PaperBroker
from thermoquant.trading.reconcile import reconcile
from thermoquant.trading.risk import KillSwitch, RiskGate, RiskLimits
from thermoquant.trading.router import Hook, OrderRouter, no_hook

OPEN_TIME = dt.time(9, 25)
"""Time stamped on the start-of-day snapshot (after the call auction, before the continuous session)."""
CLOSE_TIME = dt.time(15, 0)
"""Time stamped on the close snapshot."""
FILL_TIMES = {nb.PRICE_OPEN: dt.time(9, 30), nb.PRICE_CLOSE: dt.time(14, 57), nb.PRICE_VWAP: dt.time(15, 0)}
"""Simulated time of a daily fill by fill price."""


class ArraysMarket:
    """The paper venue's market: day column ``t`` of the engine's arrays (set ``t`` to move the day)."""

    def __init__(self, m: MarketArrays, price_mode: int) -> None:
        self.m = m
        self.t = 0
        self.price_mode = price_mode
        self._idx = {s: i for i, s in enumerate(m.symbols)}
        self._dates = [d.astype("datetime64[D]").astype(object) for d in m.dates]

    def bar(self, symbol: str) -> BarRules | None:
        s = self._idx.get(symbol)
        return None if s is None else BarRules.from_arrays(self.m, s, self.t)

    def trade_date(self) -> dt.date:
        return self._dates[self.t]

    def now(self) -> dt.datetime:
        return dt.datetime.combine(self.trade_date(), FILL_TIMES[self.price_mode])


@dataclass
class ReplayResult:
    """The broker (its ledger holds every fill), how many orders were sent in this process, days replayed."""

    broker: PaperBroker
    sent: int
    days: int

    def records(self) -> pl.DataFrame:
        return self.broker.records()


def write_snapshot(
    store: Any,
    account: str,
    when: dt.datetime,
    positions: dict[str, float],
    cash: float,
    equity: float | None = None,
    hook: Hook = no_hook,
) -> None:
    if positions:
        store.upsert(
            "position_snapshot",
            pl.DataFrame(
                {
                    "account": account,
                    "snap_time": [when] * len(positions),
                    "source": "book",
                    "symbol": list(positions),
                    "quantity": list(positions.values()),
                }
            ),
        )
    hook("snapshot_write", when.isoformat())
    store.upsert(
        "cash_snapshot",
        pl.DataFrame(
            [{"account": account, "snap_time": when, "source": "book", "cash": cash, "equity": equity}]
        ),
    )


def _load_snapshot(store: Any, account: str, when: dt.datetime) -> tuple[dict[str, float], float] | None:
    cash = store.read("cash_snapshot", where={"account": account, "snap_time": when, "source": "book"})
    if not cash.height:
        return None
    pos = store.read("position_snapshot", where={"account": account, "snap_time": when, "source": "book"})
    return dict(zip(pos["symbol"].to_list(), pos["quantity"].to_list(), strict=True)), float(cash["cash"][0])


def replay(
    store: Any,
    strategy: str,
    m: MarketArrays,
    target: np.ndarray,
    config: EngineConfig,
    account: str,
    *,
    limits: RiskLimits | None = None,
    hook: Hook = no_hook,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayResult:
    """Replay ``target`` (n, T weights decided at each day's close, NaN = none) on ``m`` through a paper account
    (``init_cash`` of ``config`` deposited when new; resumed when it exists)."""
    price_mode, lag = _FILL[config.fill]
    market_nb, costs, events = kernel_inputs(m, config)
    market = ArraysMarket(m, price_mode)
    broker = PaperBroker(store, account, market, costs, price_mode, init_cash=config.init_cash)
    book = OrderBook(store, account, "paper", clock=market.now)
    switch = KillSwitch(store, account, clock=market.now)
    pos_now = {}

    def position_of(sym: str) -> float:
        return pos_now.get(sym, 0.0)

    gate = RiskGate(book, limits or RiskLimits(), switch, position_of)
    router = OrderRouter(book, broker, mode="paper", gate=gate, hook=hook)
    n, T = m.shape
    last_px = np.full(n, np.nan)
    px = np.empty(n)
    delta = np.zeros(n)
    buy_q = np.zeros(n)
    ev_ptr = 0
    for t in range(T):
        market.t = t
        day = market.trade_date()
        todays = []
        while ev_ptr < events.day.shape[0] and events.day[ev_ptr] <= t:
            if events.day[ev_ptr] == t:
                todays.append(
                    (int(events.stock[ev_ptr]), float(events.ratio[ev_ptr]), float(events.cash[ev_ptr]))
                )
            ev_ptr += 1
        before = {m.symbols[s]: float(last_px[s]) for s, _, _ in todays}
        broker.start_day([(m.symbols[s], r, c) for s, r, c in todays], before)
        for s, ratio, _ in todays:
            if ratio > 0.0 and ratio != 1.0:
                last_px[s] = last_px[s] / ratio
        k = t - lag
        traded = False
        done = _load_snapshot(store, account, dt.datetime.combine(day, CLOSE_TIME)) is not None
        if k >= 0 and not done and not np.isnan(target[:, k]).all():
            traded = plan_and_send(
                store,
                strategy,
                account,
                day,
                market_nb,
                costs,
                t,
                target[:, k],
                price_mode,
                m.symbols,
                broker,
                router,
                last_px,
                px,
                delta,
                buy_q,
                pos_now,
            )
        close = m.close[:, t]
        ok = close > 0.0
        last_px[ok] = close[ok]
        if traded:
            close_time = dt.datetime.combine(day, CLOSE_TIME)
            reconcile(store, broker, close_time, switch)
            held = {p.symbol: p.quantity for p in broker.positions()}
            gross = sum(q * last_px[m.symbols.index(sym)] for sym, q in held.items())
            cash = broker.cash()
            write_snapshot(store, account, close_time, held, cash, cash + gross, hook)
        if progress is not None:
            progress(t + 1, T)
    return ReplayResult(broker, router.sent, T)


def plan_and_send(
    store: Any,
    strategy: str,
    account: str,
    day: dt.date,
    market_nb: nb.Market,
    costs: nb.Costs,
    t: int,
    target_col: np.ndarray,
    price_mode: int,
    symbols: list[str],
    broker: PaperBroker,
    router: OrderRouter,
    last_px: np.ndarray,
    px: np.ndarray,
    delta: np.ndarray,
    buy_q: np.ndarray,
    pos_now: dict[str, float],
) -> bool:
    """Plan and send day t's orders; False when the plan has none."""
    when = dt.datetime.combine(day, OPEN_TIME)
    snap = _load_snapshot(store, account, when)
    live = snap is None
    if live:
        snap = ({p.symbol: p.quantity for p in broker.positions()}, broker.cash())
    held, cash = snap
    pos_now.clear()
    pos_now.update(held)
    pos = np.array([held.get(s, 0.0) for s in symbols], dtype=np.float64)
    n_buy, buy_cost = nb.plan_day_nb(
        market_nb,
        costs,
        t,
        pos,
        last_px,
        cash,
        np.ascontiguousarray(target_col),
        True,
        price_mode,
        0.0,
        False,
        px,
        delta,
    )
    if not delta.any():
        return False
    if live:
        write_snapshot(store, account, when, held, cash)
    for s in np.flatnonzero(delta < 0.0):
        cid = client_order_id(day, strategy, symbols[s], 0)
        router.place(
            OrderRequest(cid, day, strategy, symbols[s], 0, "sell", float(-delta[s]), reason="target")
        )
    if n_buy == 0:
        return True
    fills = {f.client_order_id: f for f in broker.fills()}
    for s in np.flatnonzero(
        delta < 0.0
    ):  # the engine's order of operations: one sell at a time, symbol order
        f = fills.get(client_order_id(day, strategy, symbols[s], 0))
        if f is not None:
            cash += f.quantity * f.price - f.commission - f.transfer_fee - f.stamp_duty
    nb.scale_buys_nb(market_nb, costs, cash, delta, n_buy, buy_cost, buy_q)
    for s in np.flatnonzero(delta > 0.0):
        cid = client_order_id(day, strategy, symbols[s], 0)
        router.place(OrderRequest(cid, day, strategy, symbols[s], 0, "buy", float(buy_q[s]), reason="target"))
    return True
