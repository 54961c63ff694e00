"""miniQMT through ``xtquant.xttrader`` (Windows, a QMT client logged in in 极简模式 / independent trading mode).

``xtquant`` is imported lazily, when a :class:`QmtBroker` is built: anywhere else the rest of thermoquant works and
this module only raises :class:`BrokerUnavailableError` saying what is missing.

The API as xtquant's own ``xttrader.py`` / ``xttype.py`` / ``xtconstant.py`` define it:

* ``XtQuantTrader(path, session)``; ``register_callback(cb)``; ``start()``; ``connect()`` → 0 on success;
  ``subscribe(account)`` → 0 on success.  A fresh session id on every connect.
* ``order_stock(account, stock_code, order_type, order_volume, price_type, price, strategy_name, order_remark)`` →
  order id > 0, or −1 on failure — and −1 has been seen for orders that did go live, so −1 is an *unclear* answer:
  the router queries by remark and never resends on it;
* ``cancel_order_stock(account, order_id)`` → 0 on success, −1 on failure (the order's state is what a query says);
* ``query_stock_orders(account, cancelable_only=False)`` → ``XtOrder`` list (``order_id``, ``stock_code``,
  ``order_type`` 23 buy / 24 sell, ``order_volume``, ``traded_volume``, ``traded_price``, ``order_status``,
  ``status_msg``, ``order_remark``…); ``query_stock_trades(account)`` → ``XtTrade`` list (``traded_id``,
  ``traded_time``, ``traded_price``, ``traded_volume``, ``traded_amount``, ``order_id``, ``order_remark``,
  ``commission``…); ``query_stock_positions(account)`` → ``XtPosition`` list (``volume``, ``can_use_volume``,
  ``avg_price``…); ``query_stock_asset(account)`` → ``XtAsset`` (``cash``, ``frozen_cash``, ``market_value``,
  ``total_asset``);
* callbacks ``on_stock_order(XtOrder)``, ``on_stock_trade(XtTrade)``, ``on_order_error(XtOrderError: order_id,
  error_id, error_msg, order_remark)``, ``on_cancel_error``, ``on_disconnected`` arrive on xttrader's thread: ours
  only enqueue (:meth:`QmtBroker.drain_events`); the truth is always what a query says.  An insufficient-funds
  rejection may come with no order record and no callback at all: the router treats "not found after send and one
  targeted re-query" as rejected.
* ``order_remark`` carries our client order id (short ASCII; ``strategy_name`` comes back empty on some versions).
"""

from __future__ import annotations

import datetime as dt
import math
import queue
import time
from types import ModuleType
from typing import Any

from thermoquant.clock import SHANGHAI
from thermoquant.trading.broker import Broker
from thermoquant.trading.errors import BrokerUnavailableError
from thermoquant.trading.orders import BrokerOrder, Fill, OrderRequest, OrderStatus, Position, SubmitResult

STOCK_BUY = 23
STOCK_SELL = 24
FIX_PRICE = 11
MARKET_SH_CONVERT_5_CANCEL = 42
MARKET_SZ_CONVERT_5_CANCEL = 47

#: xtconstant order_status → our state (52 部成待撤 and 55 部成 are partially filled; 53 部撤 is cancelled with a
#: partial fill; 51 已报待撤 is still open; 255 unknown stays submitted until a query says more).
STATUS_MAP: dict[int, OrderStatus] = {
    48: OrderStatus.SUBMITTED,
    49: OrderStatus.SUBMITTED,
    50: OrderStatus.SUBMITTED,
    51: OrderStatus.SUBMITTED,
    52: OrderStatus.PARTIALLY_FILLED,
    53: OrderStatus.CANCELLED,
    54: OrderStatus.CANCELLED,
    55: OrderStatus.PARTIALLY_FILLED,
    56: OrderStatus.FILLED,
    57: OrderStatus.REJECTED,
    255: OrderStatus.SUBMITTED,
}

UNAVAILABLE = (
    "miniQMT 需要 Windows 和已登录（极简模式）的 QMT 客户端，以及 xtquant 包 / miniQMT needs Windows, a QMT client "
    "logged in (极简模式) and the xtquant package"
)


def load_xtquant() -> tuple[ModuleType, ModuleType, ModuleType]:
    """(xttrader, xttype, xtconstant), or :class:`BrokerUnavailableError` naming what is missing."""
    try:
        from xtquant import xtconstant, xttrader, xttype  # type: ignore[import-not-found]
    except Exception as exc:  # ImportError, or the DLL load failing off Windows
        raise BrokerUnavailableError(f"{UNAVAILABLE}: {type(exc).__name__}: {exc}") from exc
    return xttrader, xttype, xtconstant


def _ts(value: Any) -> dt.datetime:
    """xtquant's ``traded_time`` / ``order_time`` (seconds since the epoch) as naive Asia/Shanghai time."""
    try:
        return dt.datetime.fromtimestamp(float(value), SHANGHAI).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, OSError):
        return dt.datetime(1970, 1, 1)


class QmtBroker(Broker):
    """One QMT fund account. ``path``: the client's ``userdata_mini`` directory; ``modules``: (xttrader, xttype,
    xtconstant) to use instead of importing xtquant (tests pass a fake that reproduces the real API)."""

    name = "qmt"

    def __init__(
        self,
        path: str,
        account_id: str,
        *,
        session_id: int | None = None,
        modules: tuple[ModuleType, ModuleType, ModuleType] | None = None,
    ) -> None:
        xttrader, xttype, _ = modules or load_xtquant()
        self.account = account_id
        self.events: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self.session_id = session_id if session_id is not None else int(time.time() * 1000) % 2_000_000_000
        self.trader = xttrader.XtQuantTrader(path, self.session_id)
        self.acc = xttype.StockAccount(account_id)
        self.trader.register_callback(_make_callback(xttrader, self.events))
        self.trader.start()
        rc = self.trader.connect()
        if rc != 0:
            raise BrokerUnavailableError(
                f"QMT connect() returned {rc} (path {path}, session {self.session_id})"
            )
        rc = self.trader.subscribe(self.acc)
        if rc != 0:
            raise BrokerUnavailableError(f"QMT subscribe({account_id}) returned {rc}")

    def drain_events(self) -> list[tuple[str, Any]]:
        """Callback events received since the last call: (kind, object); kinds order, trade, order_error,
        cancel_error, disconnected."""
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out

    # ------------------------------------------------------------------ orders
    def submit(self, request: OrderRequest) -> SubmitResult:
        order_type = STOCK_BUY if request.side == "buy" else STOCK_SELL
        if request.price_type == "limit":
            price_type, price = FIX_PRICE, float(request.limit_price or 0.0)
        elif request.symbol.endswith(".SH"):
            price_type, price = MARKET_SH_CONVERT_5_CANCEL, 0.0
        elif request.symbol.endswith(".SZ"):
            price_type, price = MARKET_SZ_CONVERT_5_CANCEL, 0.0
        else:
            return SubmitResult(
                False, None, f"{request.symbol}: market orders only on SH/SZ; send a limit order"
            )
        order_id = self.trader.order_stock(
            self.acc,
            request.symbol,
            order_type,
            int(request.quantity),
            price_type,
            price,
            request.strategy[:16],
            request.client_order_id,
        )
        if isinstance(order_id, int) and order_id > 0:
            return SubmitResult(True, str(order_id))
        return SubmitResult(None, None, f"order_stock returned {order_id}")

    def cancel(self, client_order_id: str) -> bool:
        order = self._find(client_order_id)
        if order is None:
            return False
        return self.trader.cancel_order_stock(self.acc, int(order.order_id)) == 0

    def _find(self, client_order_id: str) -> Any | None:
        orders = [
            o
            for o in self.trader.query_stock_orders(self.acc, False) or []
            if o.order_remark == client_order_id
        ]
        return max(orders, key=lambda o: o.order_id) if orders else None

    def _order(self, o: Any) -> BrokerOrder:
        traded = float(o.traded_volume or 0)
        return BrokerOrder(
            o.order_remark or "",
            str(o.order_id),
            o.stock_code,
            "buy" if o.order_type == STOCK_BUY else "sell",
            float(o.order_volume),
            traded,
            float(o.traded_price) if traded else math.nan,
            STATUS_MAP.get(int(o.order_status), OrderStatus.SUBMITTED),
            o.status_msg or "",
        )

    def query_order(self, client_order_id: str) -> BrokerOrder | None:
        o = self._find(client_order_id)
        return None if o is None else self._order(o)

    def query_orders(self) -> list[BrokerOrder]:
        return [self._order(o) for o in self.trader.query_stock_orders(self.acc, False) or []]

    def fills(self) -> list[Fill]:
        return [
            Fill(
                str(t.traded_id),
                t.order_remark or "",
                str(t.order_id),
                t.stock_code,
                "buy" if t.order_type == STOCK_BUY else "sell",
                float(t.traded_volume),
                float(t.traded_price),
                float(getattr(t, "commission", 0.0) or 0.0),
                0.0,
                0.0,
                _ts(t.traded_time),
            )
            for t in self.trader.query_stock_trades(self.acc) or []
        ]

    def positions(self) -> list[Position]:
        return [
            Position(p.stock_code, float(p.volume), float(p.can_use_volume), float(p.avg_price))
            for p in self.trader.query_stock_positions(self.acc) or []
            if p.volume
        ]

    def cash(self) -> float:
        asset = self.trader.query_stock_asset(self.acc)
        if asset is None:
            raise BrokerUnavailableError(f"QMT query_stock_asset({self.account}) returned nothing")
        return float(asset.cash)


def _make_callback(xttrader: ModuleType, events: queue.SimpleQueue[tuple[str, Any]]) -> Any:
    """An ``XtQuantTraderCallback`` whose methods only enqueue (they run on xttrader's thread)."""

    class _Callback(xttrader.XtQuantTraderCallback):  # type: ignore[name-defined,misc]
        def on_disconnected(self) -> None:
            events.put(("disconnected", None))

        def on_stock_order(self, order: Any) -> None:
            events.put(("order", order))

        def on_stock_trade(self, trade: Any) -> None:
            events.put(("trade", trade))

        def on_order_error(self, order_error: Any) -> None:
            events.put(("order_error", order_error))

        def on_cancel_error(self, cancel_error: Any) -> None:
            events.put(("cancel_error", cancel_error))

    return _Callback()
