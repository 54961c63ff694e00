"""The paper broker: a simulated venue persistent in ``paper_ledger``, filling by the backtest's rules.

Every venue event is ONE appended ledger row (one transaction) that carries the account's cash and the symbol's
position and T+1-locked shares after it, so the venue's state after a crash is exactly its last row: an order is
either in the ledger or not, a fill either booked with its cash or not.

Fills: a market order fills on the current bar of :class:`PaperMarket` at the price of ``price_mode`` (open, close
or VWAP; slippage against the trader), through :func:`thermoquant.backtest.fill.decide_fill` — the engine's own rule
kernel (T+1 at fill time, one-price limit bars, lots incl. STAR 200 + 1, participation cap, commission with the
5 CNY minimum, dated stamp duty, cash never negative).  A partial fill cancels the remainder (like the engine, which
drops it); a blocked order is rejected with the rule's name.  A limit order fills when the bar's price is at or
better than its limit, else it rests until :meth:`PaperBroker.match` finds a bar that crosses, or it is cancelled.
With ``next_bar`` (the intraday loop, after the opening orders) an order placed on a bar fills from the next bar
on, so a decision taken on a bar's close never fills at that bar's open.

Like a real venue, the paper broker does not deduplicate: a second submit with the same client order id is a second
order.  Not sending twice is the router's job (:mod:`.router`), and the conformance suite checks it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import polars as pl

from thermoquant.backtest import engine_nb as nb
from thermoquant.backtest.fill import BarRules, decide_fill, fill_price
from thermoquant.trading.broker import Broker
from thermoquant.trading.orders import BrokerOrder, Fill, OrderRequest, OrderStatus, Position, SubmitResult

_NAN_BAR = BarRules(*([math.nan] * 8), 100.0, 100.0, 0.0, 0.0, 0.0)


class PaperMarket(Protocol):
    """What the paper venue sees of the market: the current bar of a symbol (None = no bar: suspended or unknown),
    the simulated time and trading day."""

    def bar(self, symbol: str) -> BarRules | None: ...

    def now(self) -> dt.datetime: ...

    def trade_date(self) -> dt.date: ...


@dataclass
class _VenueOrder:
    seq: int
    cid: str
    symbol: str
    side: str
    quantity: float
    limit: float | None
    trade_date: dt.date
    placed_at: dt.datetime | None = None
    status: OrderStatus = OrderStatus.SUBMITTED
    filled: float = 0.0
    price: float = math.nan
    message: str = ""


class PaperBroker(Broker):
    """Paper account ``account`` in ``store``; ``init_cash`` CNY is deposited when the account has no ledger yet.

    ``costs``: the engine's :class:`engine_nb.Costs`; ``price_mode``: ``engine_nb.PRICE_*`` of market orders."""

    name = "paper"

    def __init__(
        self,
        store: Any,
        account: str,
        market: PaperMarket,
        costs: nb.Costs,
        price_mode: int = nb.PRICE_OPEN,
        init_cash: float | None = None,
    ) -> None:
        self.store = store
        self.account = account
        self.market = market
        self.costs = costs
        self.price_mode = price_mode
        self.next_bar = (
            False  # True: an order fills from the next bar on (decided on a bar's close, intraday)
        )
        self._rows: list[dict[str, Any]] = []
        self._load()
        if not self._rows and init_cash is not None:
            self._append(kind="deposit", cash_after=float(init_cash), trade_date=market.trade_date())

    # ------------------------------------------------------------------ ledger
    def _load(self) -> None:
        frame = self.store.read("paper_ledger", where={"account": self.account})
        self._rows = frame.sort("seq").to_dicts()
        self._cash = 0.0
        self._pos: dict[str, float] = {}
        self._cost: dict[str, float] = {}
        self._locked: dict[str, tuple[dt.date, float]] = {}
        self._orders: dict[int, _VenueOrder] = {}
        for r in self._rows:
            self._apply(r)

    def _apply(self, r: dict[str, Any]) -> None:
        if r["cash_after"] is not None:
            self._cash = r["cash_after"]
        sym = r["symbol"]
        if sym is not None and r["position_after"] is not None:
            before = self._pos.get(sym, 0.0)
            after = r["position_after"]
            if r["kind"] == "fill" and r["qty_delta"] > 0 and after > 0:  # average cost, CNY per share
                self._cost[sym] = (self._cost.get(sym, 0.0) * before + r["qty_delta"] * r["price"]) / after
            elif r["kind"] == "split" and after > 0:
                self._cost[sym] = self._cost.get(sym, 0.0) * before / after
            self._pos[sym] = after
        if sym is not None and r["locked_after"] is not None:
            self._locked[sym] = (r["trade_date"], r["locked_after"])
        kind = r["kind"]
        if kind == "order":
            self._orders[r["seq"]] = _VenueOrder(
                r["seq"],
                r["client_order_id"],
                sym,
                r["side"],
                abs(r["requested"]),
                r["price"],
                r["trade_date"],
                r["event_time"],
            )
            return
        if kind in ("fill", "reject", "cancel"):
            o = self._order_of(r)
            if o is None:
                return
            if kind == "fill":
                o.filled += abs(r["qty_delta"])
                o.price = r["price"]
                o.status = OrderStatus.FILLED if r["status"] == "filled" else OrderStatus.CANCELLED
                o.message = r["status"]
            elif kind == "reject":
                o.status, o.message = OrderStatus.REJECTED, r["status"]
            else:
                o.status, o.message = OrderStatus.CANCELLED, r["status"] or "cancelled"

    def _order_of(self, r: dict[str, Any]) -> _VenueOrder | None:
        """The venue order a fill/reject/cancel row belongs to: ``requested`` carries the order row's seq."""
        return self._orders.get(int(r["requested"])) if r["requested"] is not None else None

    def _append(self, **row: Any) -> dict[str, Any]:
        full = {c: None for c in _LEDGER_COLUMNS}
        full.update(row, account=self.account, seq=len(self._rows) + 1, event_time=self.market.now())
        self.store.upsert("paper_ledger", pl.DataFrame([full], schema=_LEDGER_SCHEMA))
        self._rows.append(full)
        self._apply(full)
        return full

    # ------------------------------------------------------------------ state
    def _locked_today(self, symbol: str) -> float:
        day, q = self._locked.get(symbol, (None, 0.0))
        return q if day == self.market.trade_date() else 0.0

    def cash(self) -> float:
        return float(self._cash)

    def positions(self) -> list[Position]:
        out = []
        for sym, q in sorted(self._pos.items()):
            if q > 0:
                out.append(Position(sym, q, q - self._locked_today(sym), self._cost.get(sym, math.nan)))
        return out

    # ------------------------------------------------------------------ day start
    def start_day(self, events: Iterable[tuple[str, float, float]], last_px: dict[str, float]) -> None:
        """Apply the corporate actions of the current day before any order, as the engine's day start does:
        ``(symbol, new shares per old share, cash per old share CNY)``; ``last_px`` = each symbol's last valid
        close, CNY.  Idempotent per (day, symbol, kind): a restart does not apply an event twice."""
        day = self.market.trade_date()
        done = {(r["symbol"], r["kind"]) for r in self._rows if r["trade_date"] == day}
        for sym, ratio, cash in events:
            pos = self._pos.get(sym, 0.0)
            if cash and pos and (sym, "dividend") not in done:
                self._append(
                    kind="dividend",
                    trade_date=day,
                    symbol=sym,
                    price=cash,
                    cash_after=self._cash + pos * cash,
                )
            if ratio > 0.0 and ratio != 1.0 and pos and (sym, "split") not in done:
                new_shares = pos * ratio
                whole = float(np.floor(new_shares + 1e-9))
                ref = last_px.get(sym, math.nan) / ratio
                fraction = new_shares - whole
                cash_after = self._cash
                if fraction > 1e-9 and ref > 0.0:
                    cash_after = cash_after + fraction * ref
                self._append(
                    kind="split",
                    trade_date=day,
                    symbol=sym,
                    price=ratio,
                    qty_delta=whole - pos,
                    position_after=whole,
                    cash_after=cash_after,
                )

    # ------------------------------------------------------------------ orders
    def submit(self, request: OrderRequest) -> SubmitResult:
        row = self._append(
            kind="order",
            trade_date=self.market.trade_date(),
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            side=request.side,
            requested=request.signed_quantity,
            price=request.limit_price if request.price_type == "limit" else None,
        )
        order = self._orders[row["seq"]]
        self._try_fill(order)
        return SubmitResult(True, f"P{order.seq}", order.message)

    def match(self) -> int:
        """Try every resting order against the current bars; returns how many filled or were rejected."""
        n = 0
        for o in list(self._orders.values()):
            if o.status == OrderStatus.SUBMITTED and o.trade_date == self.market.trade_date():
                n += self._try_fill(o)
        return n

    def _try_fill(self, o: _VenueOrder) -> int:
        if self.next_bar and o.placed_at is not None and self.market.now() <= o.placed_at:
            return 0  # placed on this bar: rests until the next one
        bar = self.market.bar(o.symbol)
        side = 1 if o.side == "buy" else -1
        price = fill_price(bar, self.price_mode, self.costs.slippage, side) if bar is not None else math.nan
        if o.limit is not None and price > 0 and (price - o.limit) * side > 1e-9:
            return 0  # not marketable: rests
        decision = decide_fill(
            bar or _NAN_BAR,
            self.costs,
            self._pos.get(o.symbol, 0.0),
            self._locked_today(o.symbol),
            self._cash,
            side * o.quantity,
            price,
        )
        kind = "fill" if decision.filled != 0.0 else "reject"
        self._append(
            kind=kind,
            trade_date=self.market.trade_date(),
            client_order_id=o.cid,
            symbol=o.symbol,
            side=o.side,
            requested=float(o.seq),
            qty_delta=decision.filled,
            price=decision.price,
            commission=decision.commission,
            transfer_fee=decision.transfer_fee,
            stamp_duty=decision.stamp_duty,
            cash_after=decision.cash_after,
            position_after=decision.position_after,
            locked_after=decision.locked_after if kind == "fill" else None,
            status=decision.status,
        )
        return 1

    def cancel(self, client_order_id: str) -> bool:
        open_ = [
            o for o in self._orders.values() if o.cid == client_order_id and o.status == OrderStatus.SUBMITTED
        ]
        if not open_:
            return False
        for o in open_:
            self._append(
                kind="cancel",
                trade_date=self.market.trade_date(),
                client_order_id=o.cid,
                symbol=o.symbol,
                side=o.side,
                requested=float(o.seq),
                status="cancelled",
            )
        return True

    def _broker_order(self, o: _VenueOrder) -> BrokerOrder:
        return BrokerOrder(
            o.cid,
            f"P{o.seq}",
            o.symbol,
            o.side,
            o.quantity,
            o.filled,  # type: ignore[arg-type]
            o.price if o.filled else math.nan,
            o.status,
            o.message,
        )

    def query_order(self, client_order_id: str) -> BrokerOrder | None:
        found = [o for o in self._orders.values() if o.cid == client_order_id]
        return self._broker_order(found[-1]) if found else None

    def query_orders(self) -> list[BrokerOrder]:
        day = self.market.trade_date()
        return [self._broker_order(o) for o in self._orders.values() if o.trade_date == day]

    def venue_orders(self, client_order_id: str) -> int:
        """How many orders the venue holds with this client id (a duplicate send shows as 2)."""
        return sum(1 for o in self._orders.values() if o.cid == client_order_id)

    def fills(self) -> list[Fill]:
        day = self.market.trade_date()
        return [
            Fill(
                f"P{r['seq']}",
                r["client_order_id"],
                f"P{int(r['requested'])}",
                r["symbol"],
                r["side"],
                abs(r["qty_delta"]),
                r["price"],
                r["commission"],
                r["transfer_fee"],
                r["stamp_duty"],
                r["event_time"],
            )
            for r in self._rows
            if r["kind"] == "fill" and r["trade_date"] == day
        ]

    def records(self) -> pl.DataFrame:
        """Every fill and rejection in the shape of :meth:`BacktestResult.orders` (for replay comparisons)."""
        rows = [r for r in self._rows if r["kind"] in ("fill", "reject")]
        out = []
        for r in rows:
            order = self._orders.get(int(r["requested"]))
            requested = (order.quantity if order else math.nan) * (1 if r["side"] == "buy" else -1)
            out.append(
                {
                    "symbol": r["symbol"],
                    "trade_date": r["trade_date"],
                    "side": r["side"],
                    "requested": requested,
                    "filled": r["qty_delta"],
                    "price": r["price"],
                    "commission": r["commission"],
                    "transfer_fee": r["transfer_fee"],
                    "stamp_duty": r["stamp_duty"],
                    "status": r["status"],
                    "position_after": r["position_after"],
                }
            )
        schema = {
            "symbol": pl.Utf8,
            "trade_date": pl.Date,
            "side": pl.Utf8,
            "requested": pl.Float64,
            "filled": pl.Float64,
            "price": pl.Float64,
            "commission": pl.Float64,
            "transfer_fee": pl.Float64,
            "stamp_duty": pl.Float64,
            "status": pl.Utf8,
            "position_after": pl.Float64,
        }
        return pl.DataFrame(out, schema=schema)


def _ledger_schema() -> dict[str, pl.DataType]:
    from thermoquant.data.schema import get_table

    return get_table("paper_ledger").polars_schema()


_LEDGER_SCHEMA = _ledger_schema()
_LEDGER_COLUMNS = tuple(_LEDGER_SCHEMA)
