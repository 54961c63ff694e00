"""Our side of trading, in the database: order intents and transitions, fills, audit rows.

* ``orders`` — one row per client order id, written with status ``new`` before the order is sent;
* ``order_events`` — every transition (``seq`` from 0; the intent is ``None → new``);
* ``trades`` — one row per fill, ``trade_id = <account>/<broker trade id>`` so a fill seen twice (callback and
  query, or before and after a restart) is stored once;
* ``audit_log`` — every order, risk decision and kill-switch change.

Each write is one upsert (one transaction); the order of writes makes a crash at any point recoverable: the
intent exists before the send, and the broker's answer is re-read by client id on restart (:mod:`.router`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

import polars as pl

from thermoquant.clock import now_shanghai
from thermoquant.trading.orders import Fill, OrderRequest, OrderStatus, path_to

Clock = Callable[[], dt.datetime]


def _json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)


class OrderBook:
    """Orders, events, fills and audit rows of one ``account`` at one ``broker`` (paper or qmt) in ``store``.

    ``clock`` gives the naive Asia/Shanghai time stamped on rows (simulated in a replay)."""

    def __init__(self, store: Any, account: str, broker: str, clock: Clock = now_shanghai) -> None:
        self.store = store
        self.account = account
        self.broker = broker
        self.clock = clock

    # ------------------------------------------------------------------ audit
    def audit(
        self, action: str, obj: str, details: dict[str, Any] | None = None, actor: str = "trading"
    ) -> None:
        """One ``audit_log`` row."""
        self.store.upsert(
            "audit_log",
            pl.DataFrame(
                {
                    "event_id": [uuid.uuid4().hex],
                    "event_time": [self.clock()],
                    "actor": [actor],
                    "action": [action],
                    "object": [obj],
                    "details": [_json({"account": self.account, **(details or {})})],
                },
                schema_overrides={"event_time": pl.Datetime("us")},
            ),
        )

    # ------------------------------------------------------------------ orders
    def get(self, client_order_id: str) -> dict[str, Any] | None:
        rows = self.store.read("orders", where={"client_order_id": client_order_id})
        return rows.row(0, named=True) if rows.height else None

    def orders(self, day: dt.date | None = None, *, open_only: bool = False) -> pl.DataFrame:
        """This account's orders (of ``day``; only those not in a terminal state with ``open_only``)."""
        where: dict[str, Any] = {"account": self.account}
        if day is not None:
            where["trade_date"] = day
        rows = self.store.read("orders", where=where)
        if open_only:
            rows = rows.filter(~pl.col("status").is_in(["filled", "cancelled", "rejected"]))
        return rows

    def write_intent(self, req: OrderRequest) -> OrderStatus:
        """Store the order as ``new`` unless it is already stored; return its stored status."""
        existing = self.get(req.client_order_id)
        if existing is not None:
            return OrderStatus(existing["status"])
        now = self.clock()
        self.store.upsert(
            "orders",
            pl.DataFrame(
                [
                    {
                        "client_order_id": req.client_order_id,
                        "account": self.account,
                        "broker": self.broker,
                        "trade_date": req.trade_date,
                        "strategy": req.strategy,
                        "symbol": req.symbol,
                        "leg": req.leg,
                        "side": req.side,
                        "quantity": float(req.quantity),
                        "price_type": req.price_type,
                        "limit_price": req.limit_price,
                        "status": OrderStatus.NEW.value,
                        "filled_qty": 0.0,
                        "reason": req.reason,
                        "created_at": now,
                        "updated_at": now,
                    }
                ]
            ),
        )
        self._event(req.client_order_id, None, OrderStatus.NEW, {"quantity": req.quantity, "side": req.side})
        self.audit(
            "order.intent",
            req.client_order_id,
            {"symbol": req.symbol, "side": req.side, "quantity": req.quantity, "reason": req.reason},
        )
        return OrderStatus.NEW

    def mark_needs_confirm(self, cid: str) -> None:
        """--confirm mode: the intent waits for a person (audit row ``order.await_confirm``)."""
        self.store.upsert("orders", pl.DataFrame([{"client_order_id": cid, "needs_confirm": True}]))
        self.audit("order.await_confirm", cid)

    def confirm(self, cids: list[str] | None = None, actor: str = "cli") -> list[str]:
        """Release waiting orders (all of the account's when ``cids`` is None); returns the ids released."""
        waiting = self.orders(open_only=True).filter(
            pl.col("needs_confirm") & pl.col("confirmed_at").is_null()
        )
        ids = [c for c in waiting["client_order_id"].to_list() if cids is None or c in cids]
        if ids:
            now = self.clock()
            self.store.upsert(
                "orders", pl.DataFrame({"client_order_id": ids, "confirmed_at": [now] * len(ids)})
            )
            for cid in ids:
                self.audit("order.confirmed", cid, actor=actor)
        return ids

    def _event(
        self, cid: str, before: OrderStatus | None, after: OrderStatus, details: dict[str, Any]
    ) -> None:
        seq = self.store.query(
            "SELECT count(*) AS n FROM order_events WHERE client_order_id = ?", [cid]
        ).item()
        self.store.upsert(
            "order_events",
            pl.DataFrame(
                [
                    {
                        "client_order_id": cid,
                        "seq": int(seq),
                        "event_time": self.clock(),
                        "from_status": before.value if before else None,
                        "to_status": after.value,
                        "details": _json(details),
                    }
                ]
            ),
        )

    def transition(
        self, cid: str, target: OrderStatus, details: dict[str, Any] | None = None, **fields: Any
    ) -> OrderStatus:
        """Move the order to ``target`` through every allowed intermediate state, storing each step; ``fields``
        (broker_order_id, filled_qty, avg_price, reason) are written with the last step.  Returns the new state."""
        row = self.get(cid)
        if row is None:
            raise KeyError(f"order {cid} has no intent in the orders table")
        current = OrderStatus(row["status"])
        steps = path_to(current, target)
        if not steps:
            changed = {k: v for k, v in fields.items() if v is not None and row.get(k) != v}
            if changed:
                self._update(cid, current, changed)
            return current
        for step in steps:
            self._event(cid, current, step, details or {})
            self._update(cid, step, fields if step == steps[-1] else {})
            self.audit(f"order.{step.value}", cid, {"from": current.value, **(details or {})})
            current = step
        return current

    def _update(self, cid: str, status: OrderStatus, fields: dict[str, Any]) -> None:
        row = {"client_order_id": cid, "status": status.value, "updated_at": self.clock()}
        row.update({k: v for k, v in fields.items() if v is not None})
        self.store.upsert("orders", pl.DataFrame([row]))

    # ------------------------------------------------------------------ fills
    def record_fills(self, fills: list[Fill], mode: str) -> int:
        """Store fills in ``trades`` (idempotent by the broker's trade id); returns rows new or changed."""
        if not fills:
            return 0
        strategies = {}
        for cid in {f.client_order_id for f in fills}:
            row = self.get(cid)
            strategies[cid] = row["strategy"] if row else None
        frame = pl.DataFrame(
            [
                {
                    "trade_id": f"{self.account}/{f.trade_id}",
                    "run_id": None,
                    "account": self.account,
                    "mode": mode,
                    "order_id": f.client_order_id,
                    "symbol": f.symbol,
                    "trade_time": f.time,
                    "side": f.side,
                    "quantity": float(f.quantity),
                    "price": float(f.price),
                    "amount": float(f.quantity * f.price),
                    "commission": float(f.commission),
                    "stamp_duty": float(f.stamp_duty),
                    "transfer_fee": float(f.transfer_fee),
                    "strategy": strategies.get(f.client_order_id),
                    "reason": f.broker_order_id,
                }
                for f in fills
            ],
            schema_overrides={"run_id": pl.Utf8, "strategy": pl.Utf8, "reason": pl.Utf8},
        )
        return self.store.upsert("trades", frame)
