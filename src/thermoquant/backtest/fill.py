"""One order against one bar: the fill decision the backtest engine and the paper broker share.

The engine's numba rule kernel (:func:`engine_nb._fill_one`: suspension, one-price limit bars, T+1 at fill time,
lots including STAR 200 + 1, the volume participation cap, commission with its minimum, transfer fee, dated stamp
duty, cash never negative) is called here on a one-instrument, one-day slice, so a paper fill and a backtest fill of
the same order on the same bar are the same floating-point numbers.  The fill price comes from the same
:func:`engine_nb._fill_price` (open, close or VWAP of the bar, slippage against the trader).

Units: prices CNY per share, quantities shares (signed: + buy, − sell), cash and fees CNY.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thermoquant.backtest import engine_nb as nb
from thermoquant.backtest.engine import EngineConfig, MarketArrays, _commission, _kernel_inputs

PRICE_MODES: dict[str, int] = {"open": nb.PRICE_OPEN, "close": nb.PRICE_CLOSE, "vwap": nb.PRICE_VWAP}
"""Which price of the bar a market order fills at."""


@dataclass(frozen=True)
class BarRules:
    """One instrument's bar of one day with the market rules in force (units as :class:`MarketArrays`).

    ``limit_up``/``limit_down`` NaN disable the limit check; ``stamp_*``/``transfer_rate`` are fractions of value.
    """

    open: float
    high: float
    low: float
    close: float
    volume: float
    amount: float
    limit_up: float
    limit_down: float
    lot_min: float
    lot_step: float
    stamp_buy: float
    stamp_sell: float
    transfer_rate: float

    @classmethod
    def from_arrays(cls, m: MarketArrays, s: int, t: int) -> BarRules:
        """The bar of symbol row ``s`` on day column ``t`` of the engine's arrays."""
        g = int(m.fee_group[s])
        return cls(
            *(float(getattr(m, f)[s, t]) for f in ("open", "high", "low", "close", "volume", "amount")),
            float(m.limit_up[s, t]),
            float(m.limit_down[s, t]),
            float(m.lot_min[s]),
            float(m.lot_step[s]),
            float(m.stamp_buy[g, t]),
            float(m.stamp_sell[g, t]),
            float(m.transfer_rate[g, t]),
        )

    def market(self) -> nb.Market:
        """The bar as the kernels' one-instrument, one-day :class:`engine_nb.Market`."""

        def one(x: float) -> np.ndarray:
            return np.full((1, 1), x, dtype=np.float64)

        return nb.Market(
            one(self.open),
            one(self.high),
            one(self.low),
            one(self.close),
            one(self.volume),
            one(self.amount),
            one(self.limit_up),
            one(self.limit_down),
            np.array([self.lot_min]),
            np.array([self.lot_step]),
            np.zeros(1, dtype=np.int64),
            one(self.stamp_buy),
            one(self.stamp_sell),
            one(self.transfer_rate),
        )


@dataclass(frozen=True)
class FillDecision:
    """What the rules let an order do: ``filled`` signed shares (0 = blocked), the price and the fees (CNY),
    ``status`` (:data:`engine_nb.STATUS_NAMES`), and the position, T+1-locked shares and cash after it."""

    requested: float
    filled: float
    price: float
    commission: float
    transfer_fee: float
    stamp_duty: float
    status: str
    position_after: float
    locked_after: float
    cash_after: float


def costs_of(config: EngineConfig) -> nb.Costs:
    """The engine's :class:`engine_nb.Costs` of a config (participation, commission, minimum, slippage)."""
    return nb.Costs(config.participation, *_commission(config), config.slippage_bps * 1e-4)


def kernel_inputs(m: MarketArrays, config: EngineConfig) -> tuple[nb.Market, nb.Costs, nb.Events]:
    """The run's arrays, costs and corporate actions exactly as the engine's kernels take them."""
    return _kernel_inputs(m, config)


def fill_price(bar: BarRules, price_mode: int, slippage: float, side: int) -> float:
    """Fill price of a market order on ``bar`` (NaN when the bar has no trade): the engine's rule, slippage as a
    fraction against the trader (``side`` +1 buy, −1 sell)."""
    p = nb._fill_price(bar.market(), 0, 0, price_mode, 0.0, 1)
    if not (p > 0.0):
        return float("nan")
    return float(p * (1.0 + slippage) if side > 0 else p * (1.0 - slippage))


def decide_fill(
    bar: BarRules,
    costs: nb.Costs,
    position: float,
    locked: float,
    cash: float,
    quantity: float,
    price: float,
) -> FillDecision:
    """Apply every A-share rule to one order of ``quantity`` signed shares at ``price`` (NaN = no trade) given the
    holder's ``position``, ``locked`` (bought today) shares and ``cash``; nothing is stored."""
    book = nb.Book(
        np.array([float(position)]),
        np.array([float(locked)]),
        np.full(1, np.nan),
        np.array([float(cash)]),
        np.empty(1),
        np.empty(1),
        np.empty(1),
        np.zeros((0, 0)),
    )
    rec, _ = nb._fill_one(
        bar.market(), costs, book, 0, 0, float(quantity), float(price), np.empty((1, 10)), 0
    )
    r = rec[0]
    return FillDecision(
        float(quantity),
        float(r[3]),
        float(r[4]),
        float(r[5]),
        float(r[6]),
        float(r[7]),
        nb.STATUS_NAMES[int(r[8])],
        float(book.pos[0]),
        float(book.locked[0]),
        float(book.cash[0]),
    )
