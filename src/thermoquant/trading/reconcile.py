"""Reconciliation: the broker's positions and cash against our book; a mismatch closes the trading gate.

Our book at a moment = the last ``book`` snapshot (``position_snapshot`` / ``cash_snapshot``) plus the fills our
``trades`` table holds for the account after it (buys add shares and cost amount plus fees; sells the reverse).
The broker's numbers are the reference.  A difference in any symbol's shares, or in cash beyond ``cash_tolerance``
CNY, stores ``reconcile_ok = false`` with the differences (:class:`~.risk.KillSwitch`), and the risk gate refuses
every order until a person runs ``tq trade reconcile --accept``; accepting writes the broker's numbers as the new
book snapshot.  Checks run at the start, after each batch of fills and at the close (the loop and replay call
:func:`reconcile`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from thermoquant.trading.broker import Broker
from thermoquant.trading.risk import KillSwitch

CASH_TOLERANCE = 0.01
"""Largest cash difference (CNY) that is not a mismatch (rounding of fees to the cent)."""


@dataclass
class Reconciliation:
    """``ok``; ``positions`` (symbol, book, broker) rows that differ; cash of both sides, CNY."""

    ok: bool
    book_cash: float | None
    broker_cash: float
    positions: pl.DataFrame = field(default_factory=pl.DataFrame)

    def note(self) -> str:
        parts = [
            f"{r['symbol']}: book {r['book']:g} vs broker {r['broker']:g}"
            for r in self.positions.iter_rows(named=True)
        ]
        if self.book_cash is not None and abs(self.book_cash - self.broker_cash) > CASH_TOLERANCE:
            parts.append(f"cash: book {self.book_cash:.2f} vs broker {self.broker_cash:.2f}")
        return "; ".join(parts) or "ok"


def book_state(store: Any, account: str, at: dt.datetime) -> tuple[dict[str, float], float] | None:
    """(positions, cash) of our book at ``at``; None when no snapshot precedes it (nothing to compare yet)."""
    snaps = store.query(
        "SELECT max(snap_time) AS t FROM cash_snapshot WHERE account = ? AND source = 'book' AND snap_time <= ?",
        [account, at],
    )
    t0 = snaps["t"][0] if snaps.height else None
    if t0 is None:
        return None
    cash = float(
        store.read("cash_snapshot", where={"account": account, "snap_time": t0, "source": "book"})["cash"][0]
    )
    pos_rows = store.read("position_snapshot", where={"account": account, "snap_time": t0, "source": "book"})
    pos = dict(zip(pos_rows["symbol"].to_list(), pos_rows["quantity"].to_list(), strict=True))
    fills = store.query(
        "SELECT symbol, side, quantity, amount, commission, stamp_duty, transfer_fee FROM trades "
        "WHERE account = ? AND trade_time > ? AND trade_time <= ? ORDER BY trade_time, trade_id",
        [account, t0, at],
    )
    for r in fills.iter_rows(named=True):
        fees = (r["commission"] or 0.0) + (r["stamp_duty"] or 0.0) + (r["transfer_fee"] or 0.0)
        sign = 1.0 if r["side"] == "buy" else -1.0
        pos[r["symbol"]] = pos.get(r["symbol"], 0.0) + sign * r["quantity"]
        cash -= sign * r["amount"] + fees
    return {s: q for s, q in pos.items() if abs(q) > 1e-9}, cash


def reconcile(
    store: Any, broker: Broker, at: dt.datetime, switch: KillSwitch | None = None
) -> Reconciliation:
    """Compare the broker with our book at ``at``; on a mismatch close the gate (audit row included)."""
    broker_pos = {p.symbol: p.quantity for p in broker.positions()}
    broker_cash = broker.cash()
    book = book_state(store, broker.account, at)
    if book is None:
        return Reconciliation(True, None, broker_cash)
    pos, cash = book
    rows = [
        {"symbol": s, "book": pos.get(s, 0.0), "broker": broker_pos.get(s, 0.0)}
        for s in sorted(set(pos) | set(broker_pos))
        if abs(pos.get(s, 0.0) - broker_pos.get(s, 0.0)) > 1e-9
    ]
    diff = pl.DataFrame(rows, schema={"symbol": pl.Utf8, "book": pl.Float64, "broker": pl.Float64})
    result = Reconciliation(
        diff.is_empty() and abs(cash - broker_cash) <= CASH_TOLERANCE, cash, broker_cash, diff
    )
    if not result.ok and switch is not None:
        switch.set_reconcile(False, result.note())
    return result


def accept_broker(
    store: Any, broker: Broker, at: dt.datetime, switch: KillSwitch, actor: str = "cli"
) -> None:
    """A person accepts the broker's numbers: they become the book snapshot at ``at`` and the gate opens."""
    positions = broker.positions()
    if positions:
        store.upsert(
            "position_snapshot",
            pl.DataFrame(
                {
                    "account": broker.account,
                    "snap_time": [at] * len(positions),
                    "source": "book",
                    "symbol": [p.symbol for p in positions],
                    "quantity": [p.quantity for p in positions],
                    "sellable": [p.sellable for p in positions],
                }
            ),
        )
    store.upsert(
        "cash_snapshot",
        pl.DataFrame([{"account": broker.account, "snap_time": at, "source": "book", "cash": broker.cash()}]),
    )
    switch.set_reconcile(True, "accepted the broker's positions and cash", actor=actor)
