"""Commission, stamp duty and transfer fee by date."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from thermoquant.config import get_settings, load_settings
from thermoquant.market.fees import FeeModel, Side
from thermoquant.market.symbols import Board, board_codes

D = dt.date

# (side, amount CNY, date, symbol, shares, (commission, stamp duty, transfer fee))
FEE_CASES = [
    # the stamp-duty halving: a sell on Friday 2023-08-25 and on Monday 2023-08-28
    ("sell", 100_000.0, D(2023, 8, 25), "600000.SH", None, (25.0, 100.0, 1.0)),
    ("sell", 100_000.0, D(2023, 8, 28), "600000.SH", None, (25.0, 50.0, 1.0)),
    ("buy", 100_000.0, D(2023, 8, 28), "000001.SZ", None, (25.0, 0.0, 1.0)),
    ("sell", 100_000.0, D(2023, 8, 28), "300750.SZ", None, (25.0, 50.0, 1.0)),
    ("sell", 100_000.0, D(2023, 8, 28), "830799.BJ", None, (25.0, 50.0, 1.0)),
    # the 5 CNY minimum commission
    ("buy", 10_000.0, D(2024, 1, 2), "600000.SH", None, (5.0, 0.0, 0.1)),
    ("sell", 1_000.0, D(2024, 1, 2), "600000.SH", None, (5.0, 0.5, 0.01)),
    # transfer fee 0.02 per mille before 2022-04-29, BSE 0.025 per mille
    ("buy", 100_000.0, D(2022, 4, 28), "600000.SH", None, (25.0, 0.0, 2.0)),
    ("buy", 100_000.0, D(2022, 4, 28), "830799.BJ", None, (25.0, 0.0, 2.5)),
    ("buy", 100_000.0, D(2022, 4, 29), "830799.BJ", None, (25.0, 0.0, 1.0)),
    # 2008: stamp duty on both sides until 2008-09-18, sells only from 2008-09-19
    ("buy", 100_000.0, D(2008, 9, 18), "000001.SZ", None, (25.0, 100.0, 2.55)),
    ("buy", 100_000.0, D(2008, 9, 19), "000001.SZ", None, (25.0, 0.0, 2.55)),
    ("sell", 100_000.0, D(2008, 4, 23), "000001.SZ", None, (25.0, 300.0, 2.55)),
    # Shanghai before 2015-08-01: 0.3 per mille of par value, i.e. per share
    ("sell", 100_000.0, D(2014, 12, 1), "600000.SH", 10_000, (25.0, 100.0, 3.0)),
    ("buy", 100_000.0, D(2015, 8, 3), "600000.SH", 10_000, (25.0, 0.0, 2.0)),
    # ETFs: commission only
    ("sell", 100_000.0, D(2021, 6, 1), "510500.SH", None, (25.0, 0.0, 0.0)),
    ("buy", 0.0, D(2021, 6, 1), "600000.SH", None, (0.0, 0.0, 0.0)),
]


@pytest.mark.parametrize(("side", "amount", "date", "symbol", "shares", "expected"), FEE_CASES)
def test_fee_components(
    side: str, amount: float, date: dt.date, symbol: str, shares: int | None, expected: tuple
) -> None:
    model = FeeModel()
    parts = model.breakdown(side, amount, date, symbol, shares)
    assert (parts.commission, parts.stamp_duty, parts.transfer_fee) == pytest.approx(expected, abs=1e-9)
    assert model.cost(side, amount, date, symbol, shares) == pytest.approx(sum(expected))


def test_vectorised_costs_equal_scalar() -> None:
    cases = [c for c in FEE_CASES if c[4] is None]
    sides = np.array([int(Side.parse(c[0])) for c in cases])
    amounts = np.array([c[1] for c in cases])
    dates = np.array([c[2] for c in cases], dtype="datetime64[D]")
    boards = board_codes([c[3] for c in cases])
    vector = FeeModel().costs(sides, amounts, dates, boards)
    assert vector == pytest.approx([sum(c[5]) for c in cases])


def test_clear_errors() -> None:
    model = FeeModel()
    with pytest.raises(ValueError, match="per share"):
        model.cost("sell", 1000.0, D(2014, 12, 1), "600000.SH")
    with pytest.raises(ValueError, match="1996-01-02"):
        model.cost("sell", 1000.0, D(1996, 1, 2), "000001.SZ")
    with pytest.raises(ValueError, match="index"):
        model.cost("buy", 1000.0, D(2021, 1, 4), "000905.SH")
    with pytest.raises(ValueError, match="side"):
        model.cost("hold", 1000.0, D(2021, 1, 4), "600000.SH")
    with pytest.raises(ValueError, match="non-negative"):
        model.cost("buy", -1.0, D(2021, 1, 4), "600000.SH")


def test_overrides() -> None:
    model = FeeModel(commission_rate=0.0003, min_commission=0.0, stamp_duty_rate=0.001, transfer_fee_rate=0.0)
    parts = model.breakdown(Side.SELL, 100_000.0, D(2023, 8, 28), Board.SH_MAIN)
    assert (parts.commission, parts.stamp_duty, parts.transfer_fee) == (30.0, 100.0, 0.0)
    assert model.breakdown(Side.BUY, 100_000.0, D(2023, 8, 28), Board.SH_MAIN).stamp_duty == 0.0
    exact = FeeModel(round_to_cent=False).breakdown("sell", 12_345.67, D(2024, 1, 2), "600000.SH")
    assert exact.stamp_duty == pytest.approx(6.172835)


def test_from_settings_reads_config(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(
        fees={"commission_rate": 0.0001, "min_commission": 0.0, "stamp_duty_rate": 0.002}
    )
    model = FeeModel.from_settings(settings)
    assert (model.commission_rate, model.min_commission, model.stamp_duty_rate, model.transfer_fee_rate) == (
        0.0001,
        0.0,
        0.002,
        None,
    )
    monkeypatch.setenv("TQ_FEES__COMMISSION_RATE", "0.0002")
    get_settings.cache_clear()
    try:
        assert FeeModel.from_settings().commission_rate == 0.0002
    finally:
        get_settings.cache_clear()


def test_scalar_and_vectorised_paths_agree_on_random_orders() -> None:
    rng = np.random.default_rng(3)
    n = 600
    symbols = ["600000.SH", "000001.SZ", "300750.SZ", "688981.SH", "830799.BJ", "510500.SH"]
    picks = rng.integers(0, len(symbols), n)
    sides = rng.choice([1, -1], n)
    amounts = rng.uniform(0, 300_000, n).round(2)
    amounts[::50] = 0.0
    shares = rng.integers(100, 50_000, n)
    dates = (np.datetime64("1998-01-05") + rng.integers(0, 10_000, n)).astype("datetime64[D]")
    bj = np.array([symbols[i] == "830799.BJ" for i in picks])
    dates[bj] = np.maximum(dates[bj], np.datetime64("2020-07-27"))
    for model in (
        FeeModel(),
        FeeModel(stamp_duty_rate=0.0007, transfer_fee_rate=0.00003, round_to_cent=False),
    ):
        vector = model.costs(sides, amounts, dates, board_codes([symbols[i] for i in picks]), shares)
        scalar = [
            model.cost(int(s), float(a), d, symbols[i], float(q))
            for s, a, d, i, q in zip(sides, amounts, dates.astype(dt.date), picks, shares, strict=True)
        ]
        assert vector == pytest.approx(scalar, abs=1e-9)
