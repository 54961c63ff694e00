"""Trading costs of A-shares: commission, stamp duty and transfer fee, from dated tables.

All amounts are CNY; rates are fractions of the traded amount (0.0005 = 0.05 %).

* Commission (佣金): `max(commission_rate × amount, min_commission)` per order, both sides. Defaults 0.025 % and
  5 CNY (a common retail rate; it stands for the broker's fee including exchange handling fees).
* Stamp duty (印花税): :data:`STAMP_DUTY_RATES`, by date; sells only since 2008-09-19, 0.05 % since 2023-08-28.
* Transfer fee (过户费, CSDC): :data:`TRANSFER_FEE_RATES`, by exchange and date; 0.001 % of amount on SH, SZ and
  BJ since 2022-04-29. Before 2015-08-01 Shanghai charged it on par value, i.e. per share, so costs on those dates
  need the number of shares.
* ETFs pay commission only (no stamp duty, no transfer fee). Indices cannot be traded.

Overrides come from `thermoquant.config.get_settings().fees` (commission_rate, min_commission, stamp_duty_rate,
transfer_fee_rate; None = the dated table) through :meth:`FeeModel.from_settings`.
Each fee component is rounded half-up to the cent, as on broker statements (`round_to_cent=False` to keep exact).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np

from thermoquant.market.symbols import Board, board_of

__all__ = [
    "STAMP_DUTY_RATES",
    "TRANSFER_FEE_RATES",
    "FeeBreakdown",
    "FeeModel",
    "Side",
    "StampDutyRate",
    "TransferFeeRate",
]


class Side(IntEnum):
    """Order side; the int value is used in vectorised arrays."""

    BUY = 1
    SELL = -1

    @classmethod
    def parse(cls, value: Side | str | int) -> Side:
        """Accept Side, 'buy'/'sell' (any case, also 'b'/'s', '买'/'卖') or +1/-1."""
        if isinstance(value, str):
            key = value.strip().lower()
            if key in {"buy", "b", "买", "买入"}:
                return cls.BUY
            if key in {"sell", "s", "卖", "卖出"}:
                return cls.SELL
            raise ValueError(f"unknown order side {value!r} (expected 'buy' or 'sell')")
        return cls(int(value))


@dataclass(frozen=True)
class StampDutyRate:
    """Stamp duty from `start` (inclusive) until the next row: fractions of amount per side."""

    start: dt.date
    buy: float
    sell: float
    note: str


@dataclass(frozen=True)
class TransferFeeRate:
    """Transfer fee of one exchange from `start` until the exchange's next row.

    `of_amount`: fraction of traded amount; `per_share`: CNY per share (par-value based fees, par = 1 CNY).
    """

    exchange: str
    start: dt.date
    of_amount: float
    per_share: float
    note: str


_D = dt.date
STAMP_DUTY_RATES: tuple[StampDutyRate, ...] = (
    StampDutyRate(_D(1997, 5, 12), 0.005, 0.005, "0.3% -> 0.5% both sides"),
    StampDutyRate(_D(1998, 6, 12), 0.004, 0.004, "0.4% both sides"),
    StampDutyRate(_D(2001, 11, 16), 0.002, 0.002, "0.2% both sides"),
    StampDutyRate(_D(2005, 1, 24), 0.001, 0.001, "0.1% both sides"),
    StampDutyRate(_D(2007, 5, 30), 0.003, 0.003, "0.3% both sides"),
    StampDutyRate(_D(2008, 4, 24), 0.001, 0.001, "0.1% both sides"),
    StampDutyRate(_D(2008, 9, 19), 0.0, 0.001, "sells only, 0.1%"),
    StampDutyRate(_D(2023, 8, 28), 0.0, 0.0005, "sells only, halved to 0.05%"),
)
"""Stamp duty on A-share trades. Dates before 1997-05-12 are not covered (a clear error)."""

TRANSFER_FEE_RATES: tuple[TransferFeeRate, ...] = (
    TransferFeeRate(
        "SH", _D(1990, 12, 19), 0.0, 0.0003, "0.3 per mille of par value (start date not verified)"
    ),
    TransferFeeRate("SH", _D(2015, 8, 1), 0.00002, 0.0, "CSDC: 0.02 per mille of amount"),
    TransferFeeRate("SH", _D(2022, 4, 29), 0.00001, 0.0, "CSDC: halved to 0.01 per mille"),
    TransferFeeRate("SZ", _D(1990, 12, 19), 0.0000255, 0.0, "0.0255 per mille of amount (CSDC 2015 notice)"),
    TransferFeeRate("SZ", _D(2015, 8, 1), 0.00002, 0.0, "CSDC: 0.02 per mille of amount"),
    TransferFeeRate("SZ", _D(2022, 4, 29), 0.00001, 0.0, "CSDC: halved to 0.01 per mille"),
    TransferFeeRate("BJ", _D(2020, 7, 27), 0.000025, 0.0, "NEEQ select tier / BSE: 0.025 per mille"),
    TransferFeeRate("BJ", _D(2022, 4, 29), 0.00001, 0.0, "CSDC: halved to 0.01 per mille"),
)
"""CSDC transfer fee, both sides. The pre-2015-08-01 rows are the rates the 2015 CSDC notice replaced; their start
dates are not verified (earlier regimes, e.g. 1 per mille of par with a 1 CNY minimum on SH, are not modelled)."""

_STOCK_EXCHANGE: dict[Board, str] = {
    Board.SH_MAIN: "SH",
    Board.STAR: "SH",
    Board.SZ_MAIN: "SZ",
    Board.CHINEXT: "SZ",
    Board.BSE: "BJ",
}
_TRANSFER_BY_EXCHANGE: dict[str, tuple[TransferFeeRate, ...]] = {
    exchange: tuple(row for row in TRANSFER_FEE_RATES if row.exchange == exchange)
    for exchange in ("SH", "SZ", "BJ")
}


@dataclass(frozen=True)
class FeeBreakdown:
    """Costs of one order in CNY."""

    commission: float
    stamp_duty: float
    transfer_fee: float

    @property
    def total(self) -> float:
        """Sum of the components, CNY."""
        return self.commission + self.stamp_duty + self.transfer_fee


def _days(values: Any, shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(np.asarray(values, dtype="datetime64[D]"), shape)


def _dated_lookup(starts: list[dt.date], dates: np.ndarray, what: str) -> np.ndarray:
    """Index of the row in force on each date (rows sorted by start)."""
    starts_arr = np.array(starts, dtype="datetime64[D]")
    idx = np.searchsorted(starts_arr, dates, side="right") - 1
    if (idx < 0).any():
        first_bad = dates[idx < 0].ravel()[0]
        raise ValueError(f"no {what} rate known for {first_bad} (table starts {starts_arr[0]})")
    return idx


def _transfer_rows(exchange: str) -> tuple[TransferFeeRate, ...]:
    """Rows of one exchange from :data:`TRANSFER_FEE_RATES`, in date order."""
    return _TRANSFER_BY_EXCHANGE[exchange]


def _dated_row(rows: tuple[Any, ...], date: dt.date, what: str) -> Any:
    """The row in force on `date` (rows sorted by `start`), by binary search."""
    pos = bisect.bisect_right([row.start for row in rows], date) - 1
    if pos < 0:
        raise ValueError(f"no {what} rate known for {date} (table starts {rows[0].start})")
    return rows[pos]


def _round_cent(values: np.ndarray) -> np.ndarray:
    return np.floor(values * 100.0 + 0.5 + 1e-7) / 100.0


@dataclass(frozen=True)
class FeeModel:
    """Cost model of A-share orders.

    Attributes:
        commission_rate: fraction of amount per order, both sides (default 0.025 %).
        min_commission: CNY minimum per order (default 5).
        stamp_duty_rate: sell-side stamp duty override (fraction); None = :data:`STAMP_DUTY_RATES` by date.
        transfer_fee_rate: transfer fee override (fraction of amount, both sides); None = the dated table.
        round_to_cent: round each component half-up to 0.01 CNY.
    """

    commission_rate: float = 0.00025
    min_commission: float = 5.0
    stamp_duty_rate: float | None = None
    transfer_fee_rate: float | None = None
    round_to_cent: bool = True

    @classmethod
    def from_settings(cls, settings: Any = None) -> FeeModel:
        """Build from `get_settings().fees` (or from an explicit settings object with a `fees` attribute, or the
        fees section itself). Missing fields keep the defaults."""
        if settings is None:
            from thermoquant.config import get_settings

            settings = get_settings()
        fees = getattr(settings, "fees", settings)
        defaults = cls()
        return cls(
            commission_rate=float(getattr(fees, "commission_rate", defaults.commission_rate)),
            min_commission=float(getattr(fees, "min_commission", defaults.min_commission)),
            stamp_duty_rate=getattr(fees, "stamp_duty_rate", None),
            transfer_fee_rate=getattr(fees, "transfer_fee_rate", None),
        )

    def _combine(
        self,
        amount: Any,
        traded: Any,
        duty_rate: Any,
        of_amount: Any,
        per_share: Any,
        shares: Any,
    ) -> tuple[Any, Any, Any]:
        """The one fee formula, for NumPy arrays and plain floats alike (rates already resolved by date)."""
        commission = np.where(traded, np.maximum(amount * self.commission_rate, self.min_commission), 0.0)
        stamp_duty = np.where(traded, amount * duty_rate, 0.0)
        transfer = np.where(traded, amount * of_amount + shares * per_share, 0.0)
        if self.round_to_cent:
            return _round_cent(commission), _round_cent(stamp_duty), _round_cent(transfer)
        return commission, stamp_duty, transfer

    def components(
        self,
        sides: np.ndarray,
        amounts: np.ndarray,
        dates: np.ndarray,
        boards: np.ndarray,
        shares: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vectorised (commission, stamp_duty, transfer_fee) in CNY, arrays broadcast together.

        Args:
            sides: +1 buy / −1 sell (`Side` values).
            amounts: traded amount in CNY (price × shares), ≥ 0; a zero amount costs nothing.
            dates: trade dates (`datetime64[D]` or convertible).
            boards: `Board` int8 codes (see `symbols.board_codes`).
            shares: traded shares; needed only where a per-share fee applies (SH before 2015-08-01).
        """
        side_arr, amount_arr, board_arr = np.broadcast_arrays(
            np.asarray(sides, dtype=np.int8), np.asarray(amounts, dtype=np.float64), np.asarray(boards)
        )
        shape = amount_arr.shape
        date_arr = _days(dates, shape)
        if (amount_arr < 0).any() or np.isnan(amount_arr).any():
            raise ValueError("order amounts must be non-negative numbers (CNY)")
        if not np.isin(side_arr, (int(Side.BUY), int(Side.SELL))).all():
            raise ValueError("sides must be +1 (buy) or -1 (sell)")
        traded = amount_arr > 0
        is_sell = side_arr == int(Side.SELL)
        stock = np.isin(board_arr, [int(b) for b in _STOCK_EXCHANGE])
        if (traded & ~(stock | (board_arr == int(Board.ETF)))).any():
            raise ValueError("cannot price an order on an index or an unknown board")
        stock_trades = traded & stock

        duty_rate = np.zeros(shape)
        if self.stamp_duty_rate is not None:
            duty_rate[stock_trades & is_sell] = self.stamp_duty_rate
        elif stock_trades.any():
            rows = STAMP_DUTY_RATES
            idx = _dated_lookup([r.start for r in rows], date_arr[stock_trades], "stamp duty")
            buy, sell = np.array([r.buy for r in rows])[idx], np.array([r.sell for r in rows])[idx]
            duty_rate[stock_trades] = np.where(is_sell[stock_trades], sell, buy)

        of_amount = np.zeros(shape)
        per_share = np.zeros(shape)
        if self.transfer_fee_rate is not None:
            of_amount[stock_trades] = self.transfer_fee_rate
        else:
            for board, exchange in _STOCK_EXCHANGE.items():
                mask = traded & (board_arr == int(board))
                if mask.any():
                    rows_x = _transfer_rows(exchange)
                    idx = _dated_lookup([r.start for r in rows_x], date_arr[mask], f"{exchange} transfer fee")
                    of_amount[mask] = np.array([r.of_amount for r in rows_x])[idx]
                    per_share[mask] = np.array([r.per_share for r in rows_x])[idx]
        needs_shares = per_share > 0
        if needs_shares.any() and shares is None:
            raise ValueError(
                f"transfer fee on {date_arr[needs_shares].ravel()[0]} is charged per share (par value): pass shares"
            )
        shares_arr = (
            np.zeros(shape) if shares is None else np.broadcast_to(np.asarray(shares, np.float64), shape)
        )
        return self._combine(amount_arr, traded, duty_rate, of_amount, per_share, shares_arr)

    def costs(
        self,
        sides: np.ndarray,
        amounts: np.ndarray,
        dates: np.ndarray,
        boards: np.ndarray,
        shares: np.ndarray | None = None,
    ) -> np.ndarray:
        """Vectorised total cost in CNY per order; see :meth:`components`."""
        commission, stamp_duty, transfer = self.components(sides, amounts, dates, boards, shares)
        return commission + stamp_duty + transfer

    def breakdown(
        self,
        side: Side | str | int,
        amount: float,
        date: dt.date,
        symbol: str | Board,
        shares: float | None = None,
    ) -> FeeBreakdown:
        """Cost components of one order (amount in CNY) of `symbol` (or a `Board`) on `date`.

        The scalar path (about 20 µs) resolves the rates with a binary search in the same tables and applies the
        same formula as :meth:`components`.
        """
        is_sell = Side.parse(side) == Side.SELL
        board = symbol if isinstance(symbol, Board) else board_of(symbol)
        if not amount >= 0:
            raise ValueError("order amounts must be non-negative numbers (CNY)")
        if amount > 0 and board not in _STOCK_EXCHANGE and board != Board.ETF:
            raise ValueError(f"cannot price an order on an index or an unknown board: {symbol!r}")
        duty_rate = of_amount = per_share = 0.0
        if amount > 0 and board in _STOCK_EXCHANGE:
            if self.stamp_duty_rate is not None:
                duty_rate = self.stamp_duty_rate if is_sell else 0.0
            else:
                row = _dated_row(STAMP_DUTY_RATES, date, "stamp duty")
                duty_rate = row.sell if is_sell else row.buy
            if self.transfer_fee_rate is not None:
                of_amount = self.transfer_fee_rate
            else:
                exchange = _STOCK_EXCHANGE[board]
                fee_row = _dated_row(_transfer_rows(exchange), date, f"{exchange} transfer fee")
                of_amount, per_share = fee_row.of_amount, fee_row.per_share
                if per_share > 0 and shares is None:
                    raise ValueError(f"transfer fee on {date} is charged per share (par value): pass shares")
        parts = self._combine(amount, amount > 0, duty_rate, of_amount, per_share, shares or 0.0)
        return FeeBreakdown(float(parts[0]), float(parts[1]), float(parts[2]))

    def cost(
        self,
        side: Side | str | int,
        amount: float,
        date: dt.date,
        symbol: str | Board,
        shares: float | None = None,
    ) -> float:
        """Total cost in CNY of one order: commission + stamp duty + transfer fee."""
        return self.breakdown(side, amount, date, symbol, shares).total
