"""Codes → house symbols and boards."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from thermoquant.market.symbols import (
    Board,
    board_codes,
    board_of,
    exchange_of,
    normalize_symbol,
    normalize_symbols,
)

SPELLINGS = [
    ("600000", "600000.SH"),
    (600000, "600000.SH"),
    ("sh600000", "600000.SH"),
    ("sh.600000", "600000.SH"),
    ("SH600000", "600000.SH"),
    (" 600000.sh ", "600000.SH"),
    ("600000.XSHG", "600000.SH"),
    ("600000.SS", "600000.SH"),
    ("000001.XSHE", "000001.SZ"),
    ("SZ000001", "000001.SZ"),
    ("sz.000001", "000001.SZ"),
    (1, "000001.SZ"),
    ("bj830799", "830799.BJ"),
    ("830799.BJ", "830799.BJ"),
    ("430047", "430047.BJ"),
    ("920001", "920001.BJ"),
    ("688981", "688981.SH"),
    ("300750", "300750.SZ"),
    ("510500", "510500.SH"),
    ("159915", "159915.SZ"),
    ("sh000905", "000905.SH"),
]


@pytest.mark.parametrize(("raw", "expected"), SPELLINGS)
def test_normalize_symbol(raw: str | int, expected: str) -> None:
    assert normalize_symbol(raw) == expected


@pytest.mark.parametrize(
    "bad", ["", "abc", "60000x", "7000000", "700000", "xx600000", "600000.HK", "-1", None, 1.5]
)
def test_normalize_symbol_rejects_with_the_input_named(bad: object) -> None:
    with pytest.raises(ValueError, match=repr(bad).replace("(", r"\(").replace(")", r"\)")):
        normalize_symbol(bad)  # type: ignore[arg-type]


BOARDS = [
    ("600000.SH", Board.SH_MAIN),
    ("601318.SH", Board.SH_MAIN),
    ("603083.SH", Board.SH_MAIN),
    ("605499.SH", Board.SH_MAIN),
    ("000001.SZ", Board.SZ_MAIN),
    ("001267.SZ", Board.SZ_MAIN),
    ("002594.SZ", Board.SZ_MAIN),  # former SME board
    ("003816.SZ", Board.SZ_MAIN),
    ("300750.SZ", Board.CHINEXT),
    ("301026.SZ", Board.CHINEXT),
    ("688981.SH", Board.STAR),
    ("689009.SH", Board.STAR),
    ("830799.BJ", Board.BSE),
    ("430047.BJ", Board.BSE),
    ("920001.BJ", Board.BSE),
    ("000905.SH", Board.INDEX),
    ("000001.SH", Board.INDEX),
    ("399006.SZ", Board.INDEX),
    ("510500.SH", Board.ETF),
    ("560010.SH", Board.ETF),
    ("588000.SH", Board.ETF),
    ("159915.SZ", Board.ETF),
    ("900901.SH", Board.UNKNOWN),  # B share: not modelled
    ("200002.SZ", Board.UNKNOWN),
]


@pytest.mark.parametrize(("symbol", "board"), BOARDS)
def test_board_of(symbol: str, board: Board) -> None:
    assert board_of(symbol) is board


def test_board_codes_vectorised_agrees_with_scalar() -> None:
    symbols = [symbol for symbol, _ in BOARDS]
    codes = board_codes(symbols)
    assert codes.dtype == np.int8
    assert codes.tolist() == [int(board) for _, board in BOARDS]
    assert board_codes(pl.Series(symbols), normalized=True).tolist() == codes.tolist()


def test_normalize_symbols_mixed_spellings() -> None:
    out = normalize_symbols(pl.Series(["sh600000", "600000.SH", "sz.000001", "bj830799", "sh600000"]))
    assert out.to_list() == ["600000.SH", "600000.SH", "000001.SZ", "830799.BJ", "600000.SH"]
    with pytest.raises(ValueError, match="'nope'"):
        normalize_symbols(["600000", "nope"])


def test_exchange_of() -> None:
    assert [exchange_of(s) for s in ("sh600000", "000001.XSHE", "bj830799")] == ["SH", "SZ", "BJ"]


def test_real_market_codes_classify(real_data) -> None:
    """Every code of the real 2021 whole-market list is a stock on a known board."""
    stock_list = pl.read_csv(real_data / "xbx_market" / "stock_list.csv")
    symbols = normalize_symbols(stock_list["code"])
    codes = board_codes(symbols, normalized=True)
    assert len(codes) == stock_list.height > 4000
    counts = {Board(code).name: int((codes == code).sum()) for code in np.unique(codes)}
    assert "UNKNOWN" not in counts, counts
    assert set(counts) == {"SH_MAIN", "SZ_MAIN", "CHINEXT", "STAR", "BSE"}
    prefix = stock_list["code"].str.slice(0, 2).to_list()
    expected_exchange = {"sh": "SH", "sz": "SZ", "bj": "BJ"}
    assert [expected_exchange[p] for p in prefix] == symbols.str.slice(7, 2).to_list()
