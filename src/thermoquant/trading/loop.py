"""The intraday loop: one trading session, tick by tick, through any broker, with an injectable clock.

Every ``interval`` minutes of the XSHG sessions (bar ends 09:31 … 11:30, 13:01 … 15:00):

1. the clock advances to the tick (:class:`SimClock` jumps, :class:`WallClock` sleeps);
2. the snapshot — each symbol's minute bar ending at the tick — updates the incremental market state
   (:class:`thermoquant.physics.market_state.MarketState`; the update time is measured);
3. on the first tick with bars, the day's targets (decided by the strategy's own ``targets`` at the previous close,
   the backtest's ``next_open`` convention) are turned into orders by the backtest's planning
   (:func:`thermoquant.trading.replay.plan_and_send`: risk gate, intent, query before send);
4. resting orders are matched (paper) and open orders synced from the broker (the truth is its query); in
   ``confirm`` mode orders wait until ``tq trade confirm`` releases them and are sent on the next tick;
5. after each batch of fills and at the close: reconciliation; at the close a positions / cash / equity snapshot,
   and the drawdown limit (REDUCING, then HALTED) applied to the kill switch (the job writes the day's signals).

Reconciliation also runs at the start: a mismatch closes the gate (every order refused, reason logged) until
``tq trade reconcile --accept``.

Minute paths for stocks (no real stock minute bars exist here): :func:`bridge_minutes` builds a documented path
through each day's open, high, low and close from the daily bar.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from thermoquant.backtest import engine_nb as nb
from thermoquant.backtest.engine import EngineConfig, MarketArrays
from thermoquant.backtest.fill import BarRules, kernel_inputs
from thermoquant.physics.market_state import MarketState
from thermoquant.trading.book import OrderBook
from thermoquant.trading.broker import Broker
from thermoquant.trading.orders import OrderRequest, client_order_id
from thermoquant.trading.reconcile import Reconciliation, reconcile
from thermoquant.trading.replay import CLOSE_TIME, plan_and_send, write_snapshot
from thermoquant.trading.risk import (
    KillSwitch,
    RiskGate,
    RiskLimits,
    TradingState,
    drawdown_state,
    exit_orders,
)
from thermoquant.trading.router import Hook, OrderRouter, no_hook

MORNING = (dt.time(9, 30), dt.time(11, 30))
AFTERNOON = (dt.time(13, 0), dt.time(15, 0))


def tick_times(day: dt.date, interval: int = 1) -> list[dt.datetime]:
    """Bar-end times of the day's continuous sessions every ``interval`` minutes (09:31 …, 13:01 … 15:00)."""
    out = []
    for start, end in (MORNING, AFTERNOON):
        t = dt.datetime.combine(day, start) + dt.timedelta(minutes=interval)
        stop = dt.datetime.combine(day, end)
        while t <= stop:
            out.append(t)
            t += dt.timedelta(minutes=interval)
        if out[-1] != stop:
            out.append(stop)
    return out


class SimClock:
    """A clock that jumps to each tick (tests and replays of past sessions: no waiting)."""

    def __init__(self, start: dt.datetime) -> None:
        self.t = start

    def now(self) -> dt.datetime:
        return self.t

    def advance_to(self, t: dt.datetime) -> None:
        self.t = max(self.t, t)


class WallClock:
    """Asia/Shanghai wall clock; :meth:`advance_to` sleeps until the tick."""

    def now(self) -> dt.datetime:
        from thermoquant.clock import now_shanghai

        return now_shanghai()

    def advance_to(self, t: dt.datetime) -> None:
        wait = (t - self.now()).total_seconds()
        if wait > 0:
            time.sleep(wait)


class MinuteMarket:
    """The paper venue's market during a session: the minute bar ending at ``t`` with the day's rules (limits,
    lots, dated fees) of the daily :class:`MarketArrays` column ``t_day``."""

    def __init__(self, m: MarketArrays, t_day: int, minutes: pl.DataFrame) -> None:
        self.m = m
        self.t_day = t_day
        self.day = m.dates[t_day].astype("datetime64[D]").astype(object)
        self.t = dt.datetime.combine(self.day, dt.time(9, 25))
        self.rules = {s: BarRules.from_arrays(m, i, t_day) for i, s in enumerate(m.symbols)}
        self.bars = {
            (r["symbol"], r["bar_time"]): r
            for r in minutes.select(
                "symbol", "bar_time", "open", "high", "low", "close", "volume", "amount"
            ).to_dicts()
        }

    def add(self, bars: pl.DataFrame) -> None:
        """Add bars (symbol, bar_time, OHLC, volume, amount), e.g. :func:`bars_from_spot` of a live snapshot."""
        for r in bars.to_dicts():
            self.bars[(r["symbol"], r["bar_time"])] = r

    def minute(self, symbol: str) -> dict[str, Any] | None:
        return self.bars.get((symbol, self.t))

    def bar(self, symbol: str) -> BarRules | None:
        b = self.minute(symbol)
        rules = self.rules.get(symbol)
        if b is None or rules is None:
            return None
        return dataclasses.replace(
            rules, **{k: float(b[k]) for k in ("open", "high", "low", "close", "volume", "amount")}
        )

    def now(self) -> dt.datetime:
        return self.t

    def trade_date(self) -> dt.date:
        return self.day


SPOT_COLUMNS = ("symbol", "last", "open", "high", "low", "volume", "amount")
"""What a snapshot must carry: the ``spot`` dataset of the AKShare (``stock_zh_a_spot_em``) and xtquant
(``xtdata.get_full_tick``) sources, day-cumulative volume in shares and amount in CNY."""


def bars_from_spot(prev: pl.DataFrame | None, spot: pl.DataFrame, bar_time: dt.datetime) -> pl.DataFrame:
    """The bar ending at ``bar_time`` of each symbol from two day-cumulative snapshots (``prev`` None = the first of
    the day): open = the previous last (the day's open at first), close = last, volume and amount = the
    cumulative increase (shares, CNY); high / low = the day's new high / low when the snapshot moved it, else the
    max / min of open and close.  Symbols without a trade since ``prev`` get volume 0; symbols that are not
    trading (null or non-positive ``last``: suspended, halted) get no bar."""
    cur = (
        spot.select(*SPOT_COLUMNS)
        .with_columns(pl.col(c).cast(pl.Float64) for c in SPOT_COLUMNS[1:])
        .filter(pl.col("last") > 0.0)
    )
    if prev is None:
        base = cur.select(
            "symbol",
            pl.col("open").alias("p_last"),
            pl.lit(None, pl.Float64).alias("p_high"),
            pl.lit(None, pl.Float64).alias("p_low"),
            pl.lit(0.0).alias("p_vol"),
            pl.lit(0.0).alias("p_amt"),
        )
    else:
        base = prev.select(
            "symbol",
            pl.col("last").alias("p_last"),
            pl.col("high").alias("p_high"),
            pl.col("low").alias("p_low"),
            pl.col("volume").alias("p_vol"),
            pl.col("amount").alias("p_amt"),
        ).with_columns(pl.exclude("symbol").cast(pl.Float64))
    j = cur.join(base, on="symbol", how="left")
    op = pl.col("p_last").fill_null(pl.col("open"))
    new_high = pl.col("p_high").is_null() | (pl.col("high") > pl.col("p_high"))
    new_low = pl.col("p_low").is_null() | (pl.col("low") < pl.col("p_low"))
    return j.select(
        "symbol",
        pl.lit(bar_time).cast(pl.Datetime("us")).alias("bar_time"),
        op.alias("open"),
        pl.when(new_high).then(pl.col("high")).otherwise(pl.max_horizontal(op, pl.col("last"))).alias("high"),
        pl.when(new_low).then(pl.col("low")).otherwise(pl.min_horizontal(op, pl.col("last"))).alias("low"),
        pl.col("last").alias("close"),
        (pl.col("volume") - pl.col("p_vol").fill_null(0.0)).clip(lower_bound=0.0).alias("volume"),
        (pl.col("amount") - pl.col("p_amt").fill_null(0.0)).clip(lower_bound=0.0).alias("amount"),
    )


@dataclass(frozen=True)
class SessionEvent:
    """Something the session did that a person must hear of at once (the jobs layer turns it into an alert).

    ``kind``: ``take_profit``, ``stop_loss`` or ``physical_stop`` (an exit order was placed: ``symbol``, ``price`` =
    the tick's close, ``cost`` = the position's cost, ``trigger`` = the price level the rule compares with — cost ×
    (1 − stop_loss) / cost × (1 + take_profit), the cost for a physical stop; all CNY per share), or
    ``kill_switch`` (the drawdown limit moved the switch to ``state``, ``reason`` says why). ``at``: the switch's
    ``updated_at`` or the tick's time."""

    kind: str
    at: dt.datetime
    symbol: str | None = None
    price: float | None = None
    cost: float | None = None
    trigger: float | None = None
    state: str | None = None
    reason: str = ""


@dataclass
class SessionResult:
    """What a session did: ticks run, orders by state, the state-update time (ms, max and mean), reconciliations."""

    ticks: int
    orders: pl.DataFrame
    update_ms_max: float
    update_ms_mean: float
    start_check: Reconciliation | None
    close_check: Reconciliation | None
    states: dict[str, int] = field(default_factory=dict)
    fill_checks: list[Reconciliation] = field(default_factory=list)
    events: list[SessionEvent] = field(default_factory=list)


def run_session(
    store: Any,
    strategy: str,
    broker: Broker,
    market: MinuteMarket,
    targets: dict[str, float],
    config: EngineConfig,
    *,
    clock: SimClock | WallClock,
    interval: int = 1,
    confirm: bool = False,
    limits: RiskLimits | None = None,
    hook: Hook = no_hook,
    on_tick: Callable[[dt.datetime], None] | None = None,
    feed: Callable[[dt.datetime], pl.DataFrame] | None = None,
    on_event: Callable[[SessionEvent], None] | None = None,
) -> SessionResult:
    """Run the day's session of ``market`` (module doc). ``targets``: symbol → weight decided at the previous close
    (symbols absent are left alone).  ``feed(t)``: a live snapshot (:data:`SPOT_COLUMNS`) taken at each tick and
    turned into that tick's bars (:func:`bars_from_spot`); None = the bars already in ``market``.  ``on_event``: called
    at once with each :class:`SessionEvent` (stop exits, drawdown kill-switch changes), also kept in ``events``."""
    m, t_day, day = market.m, market.t_day, market.day
    account = broker.account
    book = OrderBook(store, account, broker.name, clock=clock.now)
    switch = KillSwitch(store, account, clock=clock.now)
    pos_now = {p.symbol: p.quantity for p in broker.positions()}
    lim = limits or RiskLimits()
    gate = RiskGate(book, lim, switch, lambda s: pos_now.get(s, 0.0))
    router = OrderRouter(
        book,
        broker,
        mode=broker.name if broker.name == "paper" else "live",
        gate=gate,
        hook=hook,
        confirm=confirm,
    )
    with store.session():
        router.recover()
        start_check = reconcile(store, broker, clock.now(), switch)
    symbols = m.symbols
    n = len(symbols)
    target_col = np.array([targets.get(s, np.nan) for s in symbols], dtype=np.float64)
    state = MarketState(symbols)
    MarketState(symbols[:1]).update(*(np.ones(1) for _ in range(6)))  # compile outside the timed updates
    last_px = np.array([m.close[i, t_day - 1] if t_day > 0 else np.nan for i in range(n)])
    px, delta, buy_q = np.empty(n), np.zeros(n), np.zeros(n)
    planned = np.isnan(target_col).all()
    times_ms: list[float] = []
    seen_fills = len(broker.fills())
    last_spot: pl.DataFrame | None = None
    checks: list[Reconciliation] = []
    exited: set[str] = set()
    events: list[SessionEvent] = []

    def emit(event: SessionEvent) -> None:
        events.append(event)
        if on_event is not None:
            on_event(event)

    ticks = tick_times(day, interval)
    for t in ticks:
        clock.advance_to(t)
        market.t = t
        if feed is not None:
            spot = feed(t)
            market.add(bars_from_spot(last_spot, spot, t))
            last_spot = spot
        with (
            store.session()
        ):  # one connection per tick; other processes (tq trade confirm/halt) get in between
            snap = [market.minute(s) for s in symbols]
            arr = {
                k: np.array([b[k] if b else np.nan for b in snap], dtype=np.float64)
                for k in ("open", "high", "low", "close", "volume", "amount")
            }
            t0 = time.perf_counter()
            physics = state.update(
                arr["open"],
                arr["high"],
                arr["low"],
                arr["close"],
                arr["volume"],
                np.full(n, np.nan),
                arr["amount"],
            )
            times_ms.append((time.perf_counter() - t0) * 1e3)
            if not planned and not np.isnan(arr["open"]).all():
                market_nb = _minute_kernel_market(m, t_day, arr, config)
                plan_and_send(
                    store,
                    strategy,
                    account,
                    day,
                    market_nb,
                    kernel_inputs(m, config)[1],
                    t_day,
                    target_col,
                    nb.PRICE_OPEN,
                    symbols,
                    broker,
                    router,
                    last_px,
                    px,
                    delta,
                    buy_q,
                    pos_now,
                )
                planned = True
            if planned and hasattr(broker, "next_bar"):
                broker.next_bar = True  # later decisions (exits, confirmed orders) fill from the next bar
            if confirm:
                for row in (
                    book.orders(day, open_only=True).filter(pl.col("confirmed_at").is_not_null()).to_dicts()
                ):
                    if row["status"] == "new":
                        router.place(_request(row))
            match = getattr(broker, "match", None)
            if match is not None:
                match()
            for cid in book.orders(day, open_only=True).filter(pl.col("status") != "new")["client_order_id"]:
                router.sync(cid)
            for ev in _exits(
                strategy, day, book, broker, router, lim, symbols, arr["close"], physics["stop"], exited, t
            ):
                emit(ev)
            n_fills = len(broker.fills())
            if n_fills != seen_fills:  # after each batch of fills: the broker against our book
                seen_fills = n_fills
                checks.append(reconcile(store, broker, t, switch))
        if on_tick is not None:
            on_tick(t)
    close_time = dt.datetime.combine(day, CLOSE_TIME)
    close_check = reconcile(store, broker, close_time, switch)
    held = {p.symbol: p.quantity for p in broker.positions()}
    closes = {s: float(m.close[i, t_day]) for i, s in enumerate(symbols)}
    cash = broker.cash()
    equity = cash + sum(q * closes.get(s, np.nan) for s, q in held.items())
    write_snapshot(store, account, close_time, held, cash, equity, hook)
    wanted, dd = drawdown_state(equity, switch.update_peak(equity), lim)
    order = [TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED]
    if order.index(wanted) > order.index(switch.state):  # the drawdown limit only ever tightens the switch
        switch.set(wanted, f"drawdown {dd:.1%} of the equity peak", actor="risk")
        row = switch.row()
        emit(
            SessionEvent(
                "kill_switch", row["updated_at"] or close_time, state=wanted.value, reason=row["reason"]
            )
        )
    orders = book.orders(day)
    states = orders.group_by("status").len().to_dicts()
    return SessionResult(
        len(ticks),
        orders,
        max(times_ms, default=0.0),
        float(np.mean(times_ms)) if times_ms else 0.0,
        start_check,
        close_check,
        {r["status"]: r["len"] for r in states},
        checks,
        events,
    )


def _exits(
    strategy: str,
    day: dt.date,
    book: OrderBook,
    broker: Broker,
    router: OrderRouter,
    lim: RiskLimits,
    symbols: list[str],
    close: np.ndarray,
    stop: np.ndarray,
    exited: set[str],
    t: dt.datetime,
) -> list[SessionEvent]:
    """Take-profit, stop-loss and (opt-in) physical-stop sells of sellable shares at this tick (:func:`exit_orders`);
    one exit order per symbol and day (its leg follows the day's other orders of the symbol).  Returns one event
    per exit placed."""
    if lim.take_profit is None and lim.stop_loss is None and not lim.physical_stop:
        return []
    idx = {s: i for i, s in enumerate(symbols)}
    held = [p for p in broker.positions() if p.symbol in idx and p.sellable > 0]
    if not held:
        return []
    frame = pl.DataFrame(
        {
            "symbol": [p.symbol for p in held],
            "quantity": [p.sellable for p in held],
            "cost": [p.price for p in held],
            "price": [float(close[idx[p.symbol]]) for p in held],
            "physical_stop": [bool(lim.physical_stop and stop[idx[p.symbol]]) for p in held],
        }
    )
    today = book.orders(day)
    figures = {r["symbol"]: r for r in frame.iter_rows(named=True)}
    events = []
    for r in exit_orders(frame.filter(pl.col("price") > 0), lim).iter_rows(named=True):
        if r["symbol"] in exited:
            continue
        exited.add(r["symbol"])
        fig = figures[r["symbol"]]
        events.append(
            SessionEvent(
                r["reason"],
                t,
                r["symbol"],
                fig["price"],
                fig["cost"],
                _trigger(r["reason"], fig["cost"], lim),
            )
        )
        mine = today.filter((pl.col("symbol") == r["symbol"]) & (pl.col("strategy") == strategy))
        cid = client_order_id(day, strategy, r["symbol"], mine.height)
        router.place(
            OrderRequest(
                cid,
                day,
                strategy,
                r["symbol"],
                mine.height,
                "sell",
                r["quantity"],
                reason=f"exit: {r['reason']}",
            )
        )
    return events


def _trigger(reason: str, cost: float, lim: RiskLimits) -> float:
    """The price level (CNY) a stop rule compares the price with: cost × (1 − stop_loss), cost × (1 + take_profit);
    the cost for a physical stop (it fires on the physics, not on a price)."""
    if reason == "stop_loss" and lim.stop_loss is not None:
        return cost * (1.0 - lim.stop_loss)
    if reason == "take_profit" and lim.take_profit is not None:
        return cost * (1.0 + lim.take_profit)
    return cost


def _request(row: dict[str, Any]) -> OrderRequest:
    return OrderRequest(
        row["client_order_id"],
        row["trade_date"],
        row["strategy"],
        row["symbol"],
        row["leg"],
        row["side"],
        row["quantity"],
        row["price_type"] or "market",
        row["limit_price"],
        row["reason"] or "",
    )


def _minute_kernel_market(
    m: MarketArrays, t_day: int, bar: dict[str, np.ndarray], config: EngineConfig
) -> nb.Market:
    """The day's kernel market with the session's first minute bar in place of the daily OHLCV (planning prices)."""
    market, _, _ = kernel_inputs(m, config)
    arrays = market._asdict()
    for k in ("open", "high", "low", "close", "volume", "amount"):
        a = arrays[k].copy()
        a[:, t_day] = bar[k]
        arrays[k] = a
    return nb.Market(**arrays)


def bridge_minutes(daily: pl.DataFrame, minutes_per_day: int = 240) -> pl.DataFrame:
    """Minute paths from daily bars (symbol, trade_date, open, high, low, close, volume, amount), for the
    whole-market scan where no real stock minute bars exist.

    The path is piecewise linear open → first extreme → second extreme → close, the extreme nearer the open
    first (the high when ``high − open < open − low``); legs get minutes in proportion to their price distance
    (at least one minute each); each minute bar's open is the previous minute's close, its high/low the max/min of
    its open and close, and volume and amount are spread evenly.  So the day's open, high, low, close, volume and
    amount are reproduced exactly; nothing about the intraday order of trades is claimed.
    """
    rows: list[dict[str, Any]] = []
    ticks_cache: dict[dt.date, list[dt.datetime]] = {}
    for r in daily.sort("symbol", "trade_date").iter_rows(named=True):
        o, h, lo, c = r["open"], r["high"], r["low"], r["close"]
        first, second = (h, lo) if h - o < o - lo else (lo, h)
        knots = [o, first, second, c]
        dist = np.abs(np.diff(knots)) + 1e-12
        n_leg = np.maximum(1, np.floor(dist / dist.sum() * (minutes_per_day - 3))).astype(int)
        n_leg[-1] += minutes_per_day - n_leg.sum()
        path = np.concatenate([np.linspace(knots[i], knots[i + 1], n_leg[i] + 1)[1:] for i in range(3)])
        day = r["trade_date"]
        times = ticks_cache.setdefault(day, tick_times(day, 1))
        prev = o
        for k, (t, p) in enumerate(zip(times, path, strict=True)):
            op = o if k == 0 else prev
            rows.append(
                {
                    "symbol": r["symbol"],
                    "bar_time": t,
                    "open": op,
                    "high": max(op, p),
                    "low": min(op, p),
                    "close": float(p),
                    "volume": r["volume"] / minutes_per_day,
                    "amount": r["amount"] / minutes_per_day,
                }
            )
            prev = float(p)
    return pl.DataFrame(rows)
