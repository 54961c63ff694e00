"""Profit transfer (seed 001 §4.3) on scripted satellite paths: 50 % of the profit above the high-water capital
moves to the core at each check, nothing moves in a drawdown, and the core never refills the satellite."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from thermoquant.portfolio.transfer import ProfitTransfer, period_ends, scripted_transfers


def test_scripted_path_transfers_half_of_new_profit_only() -> None:
    # 100 → 110 (check: +10 → 5 moved, base 105) → 84 (drawdown: nothing) → 105 (back at base: nothing)
    # → 126 (check: +21 above 105 → 10.5 moved) → 127.05 (no check day)
    returns = [0.10, -0.20, 0.25, 0.20, 0.10]
    check = [True, True, True, True, False]
    equity, moved = scripted_transfers(returns, check, capital=100.0)
    assert equity == pytest.approx([105.0, 84.0, 105.0, 115.5, 127.05])
    assert moved == pytest.approx([5.0, 5.0, 5.0, 15.5, 15.5])


def test_drawdown_never_refilled_from_core() -> None:
    rng = np.random.default_rng(3)
    returns = rng.normal(0.001, 0.03, 500)
    check = (np.arange(500) % 21) == 20
    equity, moved = scripted_transfers(returns.tolist(), check.tolist(), capital=1e6)
    assert np.all(np.diff(moved) >= 0)  # transfers only ever go to the core
    prev = np.concatenate([[1e6], equity[:-1]])
    assert np.all(equity <= prev * (1 + returns) + 1e-6)  # the satellite never receives anything
    assert moved[-1] > 0 and (np.diff(moved) > 0).sum() < check.sum()  # some checks were in drawdown


def test_owed_cash_is_paid_only_from_free_cash() -> None:
    rule = ProfitTransfer(base=300_000.0)
    day = dt.date(2021, 6, 30)
    assert rule.check(day, 340_000.0) == 20_000.0
    assert rule.pay(day + dt.timedelta(1), 12_345.678, 340_000.0) == 12_345.67  # whole fen, no forced sale
    assert rule.pending == pytest.approx(7_654.33)
    # a second check nets what is owed: equity 335,000 incl. 7,654.33 owed ≤ base 320,000 + ... → profit 7,345.67
    assert rule.check(day + dt.timedelta(30), 335_000.0) == pytest.approx(
        round(0.5 * (335_000 - 7_654.33 - 320_000), 2)
    )
    ledger = rule.ledger()
    assert ledger["event"].to_list() == ["declare", "pay", "declare"]
    assert (ledger["amount"] > 0).all()


def test_period_ends() -> None:
    days = [dt.date(2021, 1, 28), dt.date(2021, 1, 29), dt.date(2021, 2, 1), dt.date(2021, 3, 31),
            dt.date(2021, 4, 1)]  # fmt: skip
    assert period_ends(days, "monthly").tolist() == [False, True, True, True, True]
    assert period_ends(days, "quarterly").tolist() == [False, False, False, True, True]
    with pytest.raises(ValueError, match="weekly"):
        period_ends(days, "weekly")
