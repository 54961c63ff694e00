"""Order states, their transitions, deterministic client order ids and the types a broker speaks.

States: ``new`` (intent written, not yet sent) → ``submitted`` (the broker has it) → ``partially_filled`` →
``filled``; ``cancelled`` and ``rejected`` are terminal too.  :func:`path_to` lists the transitions that lead from one
state to another (a restart may find an order the broker already filled: new → submitted → filled), so every step
is stored.

A client order id is ``YYMMDD-<strategy tag>-<6-digit code><exchange letter>-<leg>``, e.g. ``231009-csi5-510500H-0``:
short ASCII (it travels as QMT's ``order_remark``), unique per (date, strategy, symbol, leg), the same after any
restart.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from thermoquant.trading.errors import OrderStateError

Side = Literal["buy", "sell"]


class OrderStatus(StrEnum):
    NEW = "new"
    SUBMITTED = "submitted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


TERMINAL: frozenset[OrderStatus] = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED}
)

ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.NEW: frozenset({OrderStatus.SUBMITTED, OrderStatus.REJECTED, OrderStatus.CANCELLED}),
    OrderStatus.SUBMITTED: frozenset(
        {OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED}
    ),
    OrderStatus.PARTIALLY_FILLED: frozenset(
        {OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.CANCELLED}
    ),
    OrderStatus.FILLED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REJECTED: frozenset(),
}
"""The transitions the state machine allows (partially_filled → partially_filled: another fill)."""


def path_to(current: OrderStatus, target: OrderStatus) -> list[OrderStatus]:
    """The states to pass through, in order, from ``current`` to ``target`` (empty when equal and not a repeatable
    state).  Raises :class:`OrderStateError` when ``target`` cannot be reached (e.g. out of a terminal state)."""
    if current == target and current != OrderStatus.PARTIALLY_FILLED:
        return []
    if target in ALLOWED[current]:
        return [target]
    if current == OrderStatus.NEW and target in ALLOWED[OrderStatus.SUBMITTED]:
        return [OrderStatus.SUBMITTED, target]
    raise OrderStateError(f"order state {current} cannot become {target}")


_EXCHANGE_LETTER = {"SH": "H", "SZ": "Z", "BJ": "B"}
_TAG = re.compile(r"[^a-z0-9]")

MAX_CLIENT_ID_LEN = 24
"""Longest client order id, characters (QMT's remark limit is not documented; we stay short, ASCII)."""


def strategy_tag(strategy: str) -> str:
    """Four ASCII characters naming the strategy: its first letters and a 2-hex checksum of the full name (two
    strategies sharing a prefix still differ)."""
    letters = _TAG.sub("", strategy.lower())[:2] or "st"
    return f"{letters}{zlib.crc32(strategy.encode()) & 0xFF:02x}"


def client_order_id(day: dt.date, strategy: str, symbol: str, leg: int) -> str:
    """Deterministic id of the ``leg``-th order (from 0) of ``strategy`` in ``symbol`` on ``day`` (module doc)."""
    code, _, exch = symbol.partition(".")
    if not (code.isdigit() and len(code) == 6 and exch in _EXCHANGE_LETTER):
        raise ValueError(f"symbol {symbol!r}: expected 6 digits and .SH/.SZ/.BJ")
    if not 0 <= leg < 1000:
        raise ValueError(f"leg {leg} ∉ [0, 999]")
    cid = f"{day:%y%m%d}-{strategy_tag(strategy)}-{code}{_EXCHANGE_LETTER[exch]}-{leg}"
    assert len(cid) <= MAX_CLIENT_ID_LEN and cid.isascii()
    return cid


@dataclass(frozen=True)
class OrderRequest:
    """An order we want: ``quantity`` shares (> 0), ``price_type`` market (the bar's fill price) or limit."""

    client_order_id: str
    trade_date: dt.date
    strategy: str
    symbol: str
    leg: int
    side: Side
    quantity: float
    price_type: Literal["market", "limit"] = "market"
    limit_price: float | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.side not in ("buy", "sell"):
            raise ValueError(f"side must be buy or sell, not {self.side!r}")
        if not self.quantity > 0:
            raise ValueError(
                f"order {self.client_order_id}: quantity must be > 0 shares, not {self.quantity}"
            )
        if self.price_type == "limit" and not (self.limit_price and self.limit_price > 0):
            raise ValueError(f"order {self.client_order_id}: a limit order needs a limit price > 0 CNY")

    @property
    def signed_quantity(self) -> float:
        return self.quantity if self.side == "buy" else -self.quantity


@dataclass(frozen=True)
class SubmitResult:
    """What a send returned: ``accepted`` True/False, or None when the answer is unclear (an error, QMT's −1) and
    only a query can tell; ``broker_order_id`` when given; ``message`` the broker's words."""

    accepted: bool | None
    broker_order_id: str | None = None
    message: str = ""


@dataclass(frozen=True)
class BrokerOrder:
    """The broker's view of one order."""

    client_order_id: str
    broker_order_id: str | None
    symbol: str
    side: Side
    quantity: float
    filled_qty: float
    avg_price: float
    status: OrderStatus
    message: str = ""


@dataclass(frozen=True)
class Fill:
    """One execution: ``trade_id`` is the broker's (unique per account and day), quantity > 0 shares, CNY."""

    trade_id: str
    client_order_id: str
    broker_order_id: str | None
    symbol: str
    side: Side
    quantity: float
    price: float
    commission: float
    transfer_fee: float
    stamp_duty: float
    time: dt.datetime


@dataclass(frozen=True)
class Position:
    """Shares held, of which ``sellable`` may be sold now (T+1), and the average cost price, CNY per share (QMT's
    ``avg_price`` 成本价; the paper broker's average buy price, adjusted on splits)."""

    symbol: str
    quantity: float
    sellable: float
    price: float
