"""Profit transfer between the satellite and the core (seed 001 §4.3), as a rule on the satellite's equity.

Convention (a high-water mark on the satellite's *capital*):

* ``base`` starts at the satellite's initial capital, CNY;
* on each check day (the last trading day of every period of ``frequency``) the satellite's equity net of what
  it already owes the core is compared with ``base``: a profit ``P = equity − base > 0`` declares a transfer of
  ``fraction × P`` CNY to the core, and ``base`` becomes the equity left after it (the retained half is capital
  from then on, so the same profit is never transferred twice);
* ``P <= 0`` (drawdown): nothing moves, in either direction — the core never refills the satellite.

A declared amount is *owed* (``pending``) until the satellite has the cash: it is paid out of the satellite's
free cash, which its own rebalancer frees with ordinary A-share sells (its equity base excludes what it owes),
never with a forced sale. :class:`ProfitTransfer` keeps that state and writes one ledger row per declaration and
per payment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl

Frequency = Literal["monthly", "quarterly", "yearly"]
FREQUENCIES: tuple[str, ...] = ("monthly", "quarterly", "yearly")

LEDGER_SCHEMA: dict[str, pl.DataType] = {
    "trade_date": pl.Date(),
    "event": pl.Utf8(),
    "amount": pl.Float64(),
    "satellite_equity": pl.Float64(),
    "satellite_base": pl.Float64(),
    "pending_after": pl.Float64(),
}
"""Ledger columns: ``event`` is ``declare`` (a check day's transfer) or ``pay`` (cash moved to the core); amounts
and equities in CNY; ``satellite_equity`` is the sleeve's book equity before the event (what it owes included)."""


def period_ends(dates: Sequence[dt.date], frequency: str) -> np.ndarray:
    """Bool mask: True on the last of ``dates`` in each month / quarter / year (``frequency``)."""
    if frequency not in FREQUENCIES:
        raise ValueError(f"transfer frequency must be one of {', '.join(FREQUENCIES)}, not {frequency!r}")
    keys = [
        (d.year, d.month if frequency == "monthly" else (d.month - 1) // 3 if frequency == "quarterly" else 0)
        for d in dates
    ]
    return np.array([i == len(keys) - 1 or keys[i] != keys[i + 1] for i in range(len(keys))], dtype=bool)


@dataclass
class ProfitTransfer:
    """State of the transfer rule for one run (module docstring).

    Attributes:
        base: the satellite's capital high-water mark, CNY.
        fraction: share of a period's profit moved to the core (0.5 = 50 %).
        pending: declared and not yet paid, CNY.
        rows: ledger rows (:data:`LEDGER_SCHEMA`).
    """

    base: float
    fraction: float = 0.5
    pending: float = 0.0
    rows: list[dict[str, object]] = field(default_factory=list)

    def check(self, day: dt.date, satellite_equity: float) -> float:
        """A check day's close: declare ``fraction`` of the profit above ``base`` (0 in drawdown). Returns the
        amount declared, CNY. ``satellite_equity`` is the sleeve's equity including what it still owes."""
        own = satellite_equity - self.pending
        profit = own - self.base
        if profit <= 0.0:
            return 0.0
        amount = round(self.fraction * profit, 2)
        if amount <= 0.0:
            return 0.0
        self.pending += amount
        self.rows.append(self._row(day, "declare", amount, satellite_equity))
        self.base = own - amount
        return amount

    def pay(self, day: dt.date, satellite_cash: float, satellite_equity: float) -> float:
        """Pay what is owed out of the satellite's free cash (never more than it has). Returns the amount paid,
        CNY, whole fen."""
        if self.pending <= 0.0:
            return 0.0
        paid = min(self.pending, np.floor(max(satellite_cash, 0.0) * 100.0) / 100.0)
        if paid <= 0.0:
            return 0.0
        self.pending = round(self.pending - paid, 2)
        self.rows.append(self._row(day, "pay", paid, satellite_equity))
        return paid

    def _row(self, day: dt.date, event: str, amount: float, equity: float) -> dict[str, object]:
        return {"trade_date": day, "event": event, "amount": amount, "satellite_equity": equity,
                "satellite_base": self.base, "pending_after": self.pending}  # fmt: skip

    def ledger(self) -> pl.DataFrame:
        """The ledger as a frame (:data:`LEDGER_SCHEMA`)."""
        return pl.DataFrame(self.rows, schema=LEDGER_SCHEMA)


def scripted_transfers(
    returns: Sequence[float], check: Sequence[bool], capital: float, fraction: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """The rule on a scripted path of the satellite's daily returns, paid at once (an all-cash satellite).

    Returns ``(equity, transferred)``: the satellite's equity after each day's transfer and the cumulative amount
    moved to the core, CNY. What the core holds never flows back.
    """
    rule = ProfitTransfer(base=capital, fraction=fraction)
    equity = capital
    out_e, out_t = np.empty(len(returns)), np.empty(len(returns))
    moved = 0.0
    start = dt.date(2000, 1, 1)
    for i, (r, c) in enumerate(zip(returns, check, strict=True)):
        day = start + dt.timedelta(days=i)
        equity *= 1.0 + r
        if c:
            rule.check(day, equity)
        paid = rule.pay(day, equity, equity)
        equity -= paid
        moved += paid
        out_e[i], out_t[i] = equity, moved
    return out_e, out_t
