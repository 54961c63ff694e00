"""Order-quantity rules (申报数量) of A-shares, in SHARES.

* Main boards, ChiNext, ETFs: buys in round lots of 100 shares.
* STAR market (科创板): a buy is at least 200 shares, then any whole number of shares (1-share steps).
* Beijing Stock Exchange (北交所): a buy is at least 100 shares, then 1-share steps.
* Sells: a sell may be any size that the buy rule allows, and the odd remainder of a position (below one lot, or
  below the STAR/BSE minimum) must be sold in a single order together — so "sell everything" is always valid.

Per-order maximums (e.g. 1,000,000 shares on the main board for limit orders) are not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thermoquant.market.symbols import Board, board_of

__all__ = ["LotRule", "lot_rule", "round_buy_qty", "round_buy_qtys", "valid_buy_qty", "valid_sell_qty"]


@dataclass(frozen=True)
class LotRule:
    """Buy quantity rule: at least `minimum` shares, then multiples of `step` above the minimum."""

    minimum: int
    step: int


_ROUND_LOT = LotRule(minimum=100, step=100)
LOT_RULES: dict[Board, LotRule] = {
    Board.SH_MAIN: _ROUND_LOT,
    Board.SZ_MAIN: _ROUND_LOT,
    Board.CHINEXT: _ROUND_LOT,
    Board.ETF: _ROUND_LOT,
    Board.STAR: LotRule(minimum=200, step=1),
    Board.BSE: LotRule(minimum=100, step=1),
}


def lot_rule(symbol_or_board: str | Board | int) -> LotRule:
    """The buy rule of a symbol (any accepted spelling) or a board.

    Raises:
        ValueError: for boards that cannot be traded (indices, unknown codes).
    """
    board = board_of(symbol_or_board) if isinstance(symbol_or_board, str) else Board(int(symbol_or_board))
    try:
        return LOT_RULES[board]
    except KeyError:
        raise ValueError(f"{symbol_or_board!r} ({board.name}) is not tradable: no lot rule") from None


def round_buy_qty(symbol_or_board: str | Board | int, qty: float) -> int:
    """Largest valid buy quantity ≤ `qty` shares (0 when `qty` is below the minimum)."""
    rule = lot_rule(symbol_or_board)
    shares = int(np.floor(qty + 1e-9)) if qty > 0 else 0
    if shares < rule.minimum:
        return 0
    return rule.minimum + (shares - rule.minimum) // rule.step * rule.step


def round_buy_qtys(boards: np.ndarray, qtys: np.ndarray) -> np.ndarray:
    """Vectorised :func:`round_buy_qty` over `Board` codes and desired quantities (shares); int64 result.

    Untradable boards (index, unknown) give 0.
    """
    boards_arr, qty_arr = np.broadcast_arrays(np.asarray(boards), np.asarray(qtys, dtype=np.float64))
    minimum = np.zeros(boards_arr.shape, dtype=np.int64)
    step = np.ones(boards_arr.shape, dtype=np.int64)
    for board, rule in LOT_RULES.items():
        on_board = boards_arr == int(board)
        minimum[on_board] = rule.minimum
        step[on_board] = rule.step
    shares = np.floor(np.where(qty_arr > 0, qty_arr, 0.0) + 1e-9).astype(np.int64)
    rounded = minimum + (shares - minimum) // step * step
    return np.where((minimum > 0) & (shares >= minimum), rounded, 0)


def valid_buy_qty(symbol_or_board: str | Board | int, qty: int) -> bool:
    """True if `qty` shares is a valid buy order size."""
    return qty > 0 and round_buy_qty(symbol_or_board, qty) == qty


def valid_sell_qty(symbol_or_board: str | Board | int, qty: int, position: int) -> bool:
    """True if selling `qty` shares out of a `position` of shares is a valid order.

    Round-lot boards: `qty` is whole lots, optionally plus the whole odd remainder (`position % 100`).
    STAR / BSE: `qty` ≥ the minimum (200 / 100) in 1-share steps, or the whole position when it is below the
    minimum.
    """
    rule = lot_rule(symbol_or_board)
    if qty <= 0 or qty > position:
        return False
    if rule.step == 1:
        return qty >= rule.minimum or qty == position
    odd = position % rule.step
    return qty % rule.step == 0 or (qty % rule.step == odd and qty >= odd)
