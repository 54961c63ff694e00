"""One conformance suite for every broker: the paper broker and the miniQMT broker over a fake ``xttrader`` that
reproduces the real API (tests/trading/fake_xtquant). A "restart" builds a new broker object and a new router over
the same database and the same venue, as a new process would."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
import pytest

from thermoquant.backtest import engine_nb as nb
from thermoquant.backtest.fill import BarRules
from thermoquant.trading.book import OrderBook
from thermoquant.trading.broker import Broker
from thermoquant.trading.errors import BrokerUnavailableError
from thermoquant.trading.orders import OrderRequest, OrderStatus, client_order_id
from thermoquant.trading.paper import PaperBroker
from thermoquant.trading.qmt import QmtBroker

from .fake_xtquant import xtconstant, xttrader, xttype

DAY = dt.date(2024, 3, 15)
SYM = "600000.SH"
PRICE = 10.0
COSTS = nb.Costs(0.25, 0.00025, 5.0, 0.0)


class FixedMarket:
    """One day, one bar per symbol (open 10 CNY)."""

    def __init__(self) -> None:
        self.bars = {
            SYM: BarRules(PRICE, 10.5, 9.8, 10.2, 1e7, 1.0e8, 11.0, 9.0, 100.0, 100.0, 0.0, 5e-4, 1e-5)
        }

    def bar(self, symbol: str) -> BarRules | None:
        return self.bars.get(symbol)

    def now(self) -> dt.datetime:
        return dt.datetime.combine(DAY, dt.time(9, 30))

    def trade_date(self) -> dt.date:
        return DAY


@dataclass
class Env:
    name: str
    store: object
    make: Callable[[], Broker]  # a new broker object over the same venue (a restart)
    venue_orders: Callable[[str], int]  # orders the venue holds with this client id

    def router(self, broker: Broker, hook=None, wait=None):
        from thermoquant.trading.router import OrderRouter

        book = OrderBook(self.store, broker.account, broker.name, clock=FixedMarket().now)
        kwargs = {"hook": hook} if hook else {}
        return OrderRouter(book, broker, mode="paper", wait=wait, **kwargs), book


@pytest.fixture(params=["paper", "qmt"])
def env(request, tmp_store, tmp_path) -> Env:
    if request.param == "paper":
        market = FixedMarket()

        def make() -> Broker:
            return PaperBroker(tmp_store, "paper-1", market, COSTS, nb.PRICE_OPEN, init_cash=1_000_000.0)

        def count(cid: str) -> int:
            return PaperBroker(tmp_store, "paper-1", market, COSTS).venue_orders(cid)

        return Env("paper", tmp_store, make, count)
    path = str(tmp_path / f"userdata_mini_{uuid.uuid4().hex[:6]}")
    xttrader.venue(path).prices[SYM] = PRICE

    def make_qmt() -> Broker:
        return QmtBroker(path, "88000001", modules=(xttrader, xttype, xtconstant))

    def count_qmt(cid: str) -> int:
        return sum(1 for o in xttrader.venue(path).orders if o["remark"] == cid)

    return Env("qmt", tmp_store, make_qmt, count_qmt)


def req(side: str = "buy", qty: float = 1000, leg: int = 0, **kw) -> OrderRequest:
    return OrderRequest(client_order_id(DAY, "conf", SYM, leg), DAY, "conf", SYM, leg, side, qty, **kw)


class KilledError(Exception):
    """Stands for the process dying at a hook point."""


def test_buy_fills_and_every_transition_is_stored(env: Env) -> None:
    broker = env.make()
    router, _book = env.router(broker)
    cash0 = broker.cash()
    r = req()
    assert router.place(r) == OrderStatus.FILLED
    held = broker.query_order(r.client_order_id)
    assert held is not None and held.filled_qty == 1000 and held.status == OrderStatus.FILLED
    assert [p.quantity for p in broker.positions() if p.symbol == SYM] == [1000]
    assert broker.cash() < cash0 - 1000 * PRICE + 1e-6  # paid the shares and a commission
    events = env.store.read("order_events", where={"client_order_id": r.client_order_id})
    assert events["to_status"].to_list() == ["new", "submitted", "filled"]
    trades = env.store.read("trades", where={"order_id": r.client_order_id})
    assert trades.height == 1 and trades["quantity"][0] == 1000 and trades["price"][0] == PRICE
    assert env.store.read("audit_log").filter(pl.col("object") == r.client_order_id).height >= 3


def test_placing_twice_sends_once(env: Env) -> None:
    broker = env.make()
    router, _ = env.router(broker)
    r = req()
    router.place(r)
    router.place(r)
    router2, _ = env.router(env.make())
    assert router2.place(r) == OrderStatus.FILLED
    assert env.venue_orders(r.client_order_id) == 1


@pytest.mark.parametrize("point", ["before_send", "after_send"])
def test_killed_around_the_send_resumes_without_duplicate_or_lost_fill(env: Env, point: str) -> None:
    def die(at: str, cid: str) -> None:
        if at == point:
            raise KilledError(at)

    router, book = env.router(env.make(), hook=die)
    r = req()
    with pytest.raises(KilledError):
        router.place(r)
    assert book.get(r.client_order_id)["status"] == "new"  # the intent was written before anything was sent
    assert env.venue_orders(r.client_order_id) == (1 if point == "after_send" else 0)
    router2, _book2 = env.router(env.make())  # restart
    router2.recover()
    assert router2.place(r) == OrderStatus.FILLED
    assert env.venue_orders(r.client_order_id) == 1
    assert env.store.read("trades", where={"order_id": r.client_order_id}).height == 1
    assert router2.sent == (1 if point == "before_send" else 0)


def test_refused_sell_is_rejected_with_a_reason(env: Env) -> None:
    router, book = env.router(env.make())
    r = req("sell", 500)
    assert router.place(r) == OrderStatus.REJECTED
    assert book.get(r.client_order_id)["reason"]


def test_resting_limit_order_cancels(env: Env) -> None:
    broker = env.make()
    router, _book = env.router(broker)
    r = req(price_type="limit", limit_price=9.5)
    assert router.place(r) == OrderStatus.SUBMITTED
    assert router.cancel(r.client_order_id) == OrderStatus.CANCELLED
    assert broker.cancel(r.client_order_id) is False  # nothing left to cancel
    assert broker.cancel("240315-none-600000H-9") is False
    events = env.store.read("order_events", where={"client_order_id": r.client_order_id})
    assert events["to_status"].to_list() == ["new", "submitted", "cancelled"]


# ------------------------------------------------------------------------------------ miniQMT traps (fake xttrader)
@pytest.fixture
def qmt(tmp_path) -> tuple[str, xttrader.Venue]:
    path = str(tmp_path / f"userdata_mini_{uuid.uuid4().hex[:6]}")
    v = xttrader.venue(path)
    v.prices[SYM] = PRICE
    return path, v


def _qmt(path: str) -> QmtBroker:
    return QmtBroker(path, "88000001", modules=(xttrader, xttype, xtconstant))


def test_qmt_minus_one_for_a_live_order_is_found_not_resent(tmp_store, qmt) -> None:
    path, v = qmt
    v.minus_one_but_live = True
    env = Env("qmt", tmp_store, lambda: _qmt(path), lambda c: 0)
    router, book = env.router(_qmt(path))
    r = req()
    assert router.place(r) == OrderStatus.FILLED
    assert len(v.order_calls) == 1
    assert book.get(r.client_order_id)["broker_order_id"] == str(v.orders[0]["id"])


def test_qmt_silent_insufficient_funds_is_rejected_after_one_requery(tmp_store, qmt) -> None:
    path, v = qmt
    v.silent_reject_funds = True
    waits = []
    env = Env("qmt", tmp_store, lambda: _qmt(path), lambda c: 0)
    router, book = env.router(_qmt(path), wait=waits.append)
    r = req(qty=200_000)  # 2 M CNY > 1 M cash
    assert router.place(r) == OrderStatus.REJECTED
    assert book.get(r.client_order_id)["reason"] == "not found after send"
    assert waits == [router.requery_wait] and len(v.order_calls) == 1 and v.orders == []


def test_qmt_arguments_in_the_real_order(qmt) -> None:
    path, v = qmt
    b = _qmt(path)
    b.submit(req())
    b.submit(
        OrderRequest(client_order_id(DAY, "conf", "000001.SZ", 0), DAY, "conf", "000001.SZ", 0, "sell", 100)
    )
    assert v.order_calls[0] == (SYM, 23, 1000, 42, 0.0, "conf", client_order_id(DAY, "conf", SYM, 0))
    assert v.order_calls[1][1:4] == (24, 100, 47)  # Shenzhen market order: 最优五档即时成交剩余撤销 [深交所]
    assert b.submit(req(price_type="limit", limit_price=9.9, leg=2)).accepted is True
    assert v.order_calls[2][3:5] == (11, 9.9)


def test_qmt_cancel_zero_is_success_and_callbacks_only_enqueue(qmt) -> None:
    path, v = qmt
    v.rest_orders = True
    b = _qmt(path)
    r = req()
    assert b.submit(r).accepted is True
    assert b.cancel(r.client_order_id) is True  # cancel_order_stock returned 0
    assert b.query_order(r.client_order_id).status == OrderStatus.CANCELLED
    assert b.cancel(r.client_order_id) is False  # −1: nothing cancelable
    b.trader.executor.shutdown(wait=True)
    kinds = [k for k, _ in b.drain_events()]
    assert kinds == ["order", "order"]


def test_qmt_without_xtquant_says_what_is_missing() -> None:
    with pytest.raises(BrokerUnavailableError, match="Windows"):
        QmtBroker("C:/QMT/userdata_mini", "88000001")
