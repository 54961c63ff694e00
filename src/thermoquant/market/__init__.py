"""A-share market rules: codes and boards, price limits, lot sizes, fees and taxes, trading calendar, ST status.

Every rule that changed over time lives in a dated table (see `limits.PRICE_LIMIT_RULES`, `limits.LISTING_RULES`,
`fees.STAMP_DUTY_RATES`, `fees.TRANSFER_FEE_RATES`); scalar helpers and vectorised (NumPy / Polars) forms share
those tables.
"""

from __future__ import annotations

from thermoquant.market.calendar import (
    CalendarRangeError,
    calendar_bounds,
    is_trading_day,
    next_trading_day,
    prev_trading_day,
    trading_days,
)
from thermoquant.market.fees import FeeBreakdown, FeeModel, Side
from thermoquant.market.limits import (
    limit_pct,
    limit_pcts,
    limit_price,
    limit_prices,
    price_limits,
    with_limit_prices,
)
from thermoquant.market.lots import round_buy_qty, round_buy_qtys, valid_buy_qty, valid_sell_qty
from thermoquant.market.st import is_st_name, st_flags, st_history_from_flags, st_name_flags, st_name_kinds
from thermoquant.market.symbols import (
    Board,
    board_codes,
    board_expr,
    board_of,
    exchange_of,
    normalize_symbol,
    normalize_symbols,
)

__all__ = [
    "Board",
    "CalendarRangeError",
    "FeeBreakdown",
    "FeeModel",
    "Side",
    "board_codes",
    "board_expr",
    "board_of",
    "calendar_bounds",
    "exchange_of",
    "is_st_name",
    "is_trading_day",
    "limit_pct",
    "limit_pcts",
    "limit_price",
    "limit_prices",
    "next_trading_day",
    "normalize_symbol",
    "normalize_symbols",
    "prev_trading_day",
    "price_limits",
    "round_buy_qty",
    "round_buy_qtys",
    "st_flags",
    "st_history_from_flags",
    "st_name_flags",
    "st_name_kinds",
    "trading_days",
    "valid_buy_qty",
    "valid_sell_qty",
    "with_limit_prices",
]
