"""Order-quantity rules."""

from __future__ import annotations

import numpy as np
import pytest

from thermoquant.market.lots import round_buy_qty, round_buy_qtys, valid_buy_qty, valid_sell_qty
from thermoquant.market.symbols import Board, board_codes

BUY_CASES = [
    ("600000.SH", 1999, 1900),
    ("600000.SH", 99, 0),
    ("600000.SH", 100, 100),
    ("000001.SZ", 250.9, 200),
    ("300750.SZ", 350, 300),
    ("510500.SH", 12345, 12300),
    ("688981.SH", 199, 0),  # STAR minimum 200
    ("688981.SH", 200, 200),
    ("688981.SH", 201, 201),  # then 1-share steps
    ("688981.SH", 250.7, 250),
    ("830799.BJ", 99, 0),  # BSE minimum 100
    ("830799.BJ", 151, 151),
    ("600000.SH", -5, 0),
]


@pytest.mark.parametrize(("symbol", "qty", "expected"), BUY_CASES)
def test_round_buy_qty(symbol: str, qty: float, expected: int) -> None:
    assert round_buy_qty(symbol, qty) == expected
    assert round_buy_qty(symbol, qty) == round_buy_qtys(board_codes([symbol]), np.array([qty]))[0]


def test_round_buy_qtys_vectorised_and_index_untradable() -> None:
    boards = np.array([Board.SH_MAIN, Board.STAR, Board.BSE, Board.INDEX], dtype=np.int8)
    assert round_buy_qtys(boards, np.array([1234, 1234, 1234, 1234])).tolist() == [1200, 1234, 1234, 0]
    with pytest.raises(ValueError, match="not tradable"):
        round_buy_qty("000905.SH", 100)


def test_valid_buy_qty() -> None:
    assert valid_buy_qty("600000.SH", 300)
    assert not valid_buy_qty("600000.SH", 350)
    assert valid_buy_qty(Board.STAR, 201)
    assert not valid_buy_qty(Board.STAR, 100)


SELL_CASES = [
    # (board, qty, position, valid)
    (Board.SH_MAIN, 100, 150, True),  # whole lots
    (Board.SH_MAIN, 150, 150, True),  # everything, odd part included
    (Board.SH_MAIN, 50, 150, True),  # just the odd remainder, in one order
    (Board.SH_MAIN, 120, 150, False),  # odd part split
    (Board.SH_MAIN, 30, 150, False),
    (Board.SH_MAIN, 250, 350, True),  # lots + the full odd part
    (Board.SH_MAIN, 200, 150, False),  # more than held
    (Board.SZ_MAIN, 37, 37, True),  # odd-lot position sold at once
    (Board.STAR, 250, 250, True),
    (Board.STAR, 201, 250, True),  # >= 200 in 1-share steps
    (Board.STAR, 100, 250, False),  # below 200 and not the whole balance
    (Board.STAR, 150, 150, True),  # balance below 200 sold at once
    (Board.STAR, 100, 150, False),
    (Board.BSE, 101, 300, True),
    (Board.BSE, 50, 80, False),
    (Board.BSE, 80, 80, True),
    (Board.SH_MAIN, 0, 100, False),
]


@pytest.mark.parametrize(("board", "qty", "position", "valid"), SELL_CASES)
def test_valid_sell_qty(board: Board, qty: int, position: int, valid: bool) -> None:
    assert valid_sell_qty(board, qty, position) is valid
