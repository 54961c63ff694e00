"""Send an order safely: intent before send, the broker's query as the truth, never a blind resend.

:meth:`OrderRouter.place`:

1. an intent left ``new`` by an earlier life is first looked up at the broker (sent before a crash: synced, never
   resent); then the risk gate (:mod:`.risk`), before every send — a refusal is stored as a rejected order with its
   reason, nothing is sent (a kill switch set while the process was down holds);
2. the intent is written (``orders`` row, status ``new``) unless it exists; if it exists and is past ``new``, the
   order was sent in an earlier life: only :meth:`sync` runs;
3. the broker is queried by client order id; an order it already holds (sent before a crash) is synced, not sent;
   In ``confirm`` mode (seed 001 §6 stage two) the order stops here until a person confirms it (``tq trade
   confirm``); the next :meth:`place` of the same request sends it;
4. send; a clear refusal → ``rejected``; an accepted or unclear answer (QMT's −1, an exception) → the broker is
   queried; an order still missing after ``requery_wait`` and one targeted re-query is ``rejected`` ("not found
   after send": QMT's insufficient-funds rejection comes without any callback or order record).

:meth:`sync` maps the broker's view onto our state machine (every step stored) and stores the order's fills in
``trades`` (idempotent by trade id).  :meth:`recover` syncs every open order after a restart.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from thermoquant.trading.book import OrderBook
from thermoquant.trading.broker import Broker
from thermoquant.trading.orders import BrokerOrder, OrderRequest, OrderStatus

Hook = Callable[[str, str], None]
"""``hook(point, client_order_id)`` called at ``before_send`` and ``after_send`` (tests kill the process there)."""


def no_hook(point: str, cid: str) -> None:
    return None


class OrderRouter:
    """Places orders of ``book``'s account through ``broker``; ``gate`` (optional) is the risk check
    ``gate(request) -> (allowed, reason)``; ``wait(seconds)`` sleeps before the targeted re-query (injected)."""

    def __init__(
        self,
        book: OrderBook,
        broker: Broker,
        *,
        mode: str,
        gate: Callable[[OrderRequest], tuple[bool, str]] | None = None,
        requery_wait: float = 2.0,
        wait: Callable[[float], None] | None = None,
        hook: Hook = no_hook,
        confirm: bool = False,
    ) -> None:
        self.book = book
        self.broker = broker
        self.mode = mode
        self.gate = gate
        self.requery_wait = requery_wait
        self.wait = wait or (lambda s: None)
        self.hook = hook
        self.confirm = confirm
        self.sent = 0

    def place(self, req: OrderRequest) -> OrderStatus:
        """Steps 1–4 of the module doc; returns the order's state afterwards."""
        existing = self.book.get(req.client_order_id)
        if existing is not None and existing["status"] != OrderStatus.NEW.value:
            return self.sync(req.client_order_id)
        if (
            existing is not None
        ):  # an intent of an earlier life: it may have reached the broker before a crash
            held = self.broker.query_order(req.client_order_id)
            if held is not None:
                self.book.audit("order.found_at_broker", req.client_order_id, {"status": held.status.value})
                return self.sync(req.client_order_id, held)
        if self.gate is not None and not (
            self.confirm and existing is not None and not existing["confirmed_at"]
        ):
            allowed, reason = self.gate(req)
            if not allowed:
                self.book.write_intent(req)
                self.book.audit(
                    "risk.refused",
                    req.client_order_id,
                    {"reason": reason, "symbol": req.symbol, "side": req.side, "quantity": req.quantity},
                )
                return self.book.transition(
                    req.client_order_id, OrderStatus.REJECTED, {"risk": reason}, reason=f"risk: {reason}"
                )
        self.book.write_intent(req)
        if self.confirm:
            row = self.book.get(req.client_order_id)
            if not row["confirmed_at"]:
                if not row["needs_confirm"]:
                    self.book.mark_needs_confirm(req.client_order_id)
                return OrderStatus.NEW  # waits for `tq trade confirm`
        held = self.broker.query_order(req.client_order_id)
        if held is not None:
            self.book.audit("order.found_at_broker", req.client_order_id, {"status": held.status.value})
            return self.sync(req.client_order_id, held)
        self.hook("before_send", req.client_order_id)
        try:
            result = self.broker.submit(req)
        except Exception as exc:  # an unclear answer: only a query can tell
            self.book.audit("order.send_error", req.client_order_id, {"error": repr(exc)})
            result = None
        self.sent += 1
        self.hook("after_send", req.client_order_id)
        if result is not None and result.accepted is False:
            return self.book.transition(
                req.client_order_id,
                OrderStatus.REJECTED,
                {"message": result.message},
                reason=result.message or "rejected by the broker",
            )
        held = self.broker.query_order(req.client_order_id)
        if held is None:
            self.wait(self.requery_wait)
            held = self.broker.query_order(req.client_order_id)
        if held is None:
            if result is not None and result.accepted:
                return self.book.transition(
                    req.client_order_id,
                    OrderStatus.SUBMITTED,
                    {"broker_order_id": result.broker_order_id},
                    broker_order_id=result.broker_order_id,
                )
            return self.book.transition(
                req.client_order_id,
                OrderStatus.REJECTED,
                {"message": "not found after send"},
                reason="not found after send",
            )
        return self.sync(req.client_order_id, held)

    def sync(self, cid: str, held: BrokerOrder | None = None) -> OrderStatus:
        """Bring our row of ``cid`` to the broker's view and store its fills."""
        held = held or self.broker.query_order(cid)
        row = self.book.get(cid)
        if row is None:
            raise KeyError(f"order {cid} has no intent in the orders table")
        if held is None:
            return OrderStatus(row["status"])
        fills = [f for f in self.broker.fills() if f.client_order_id == cid]
        self.book.record_fills(fills, self.mode)
        fields: dict[str, Any] = {
            "broker_order_id": held.broker_order_id,
            "filled_qty": float(held.filled_qty),
        }
        if held.filled_qty > 0 and not math.isnan(held.avg_price):
            fields["avg_price"] = float(held.avg_price)
        if held.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED) and held.message:
            fields["reason"] = held.message
        details = {
            "broker_status": held.status.value,
            "filled_qty": held.filled_qty,
            "fills": [f.trade_id for f in fills],
        }
        status = OrderStatus(row["status"])
        if (
            held.status == OrderStatus.CANCELLED
            and held.filled_qty > 0
            and status in (OrderStatus.NEW, OrderStatus.SUBMITTED)
        ):
            status = self.book.transition(cid, OrderStatus.PARTIALLY_FILLED, details)
        if status in (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED):
            return status
        return self.book.transition(cid, held.status, details, **fields)

    def cancel(self, cid: str) -> OrderStatus:
        """Ask the broker to cancel, then trust its query."""
        ok = self.broker.cancel(cid)
        self.book.audit("order.cancel_request", cid, {"accepted": ok})
        return self.sync(cid)

    def recover(self) -> dict[str, str]:
        """Sync every open order of the account (after a restart); returns client id → state."""
        out = {}
        for cid in self.book.orders(open_only=True)["client_order_id"].to_list():
            out[cid] = self.sync(cid).value
        return out
