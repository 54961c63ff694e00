"""Security codes: normalisation to `600000.SH` style and classification into boards.

Conventions
-----------
* The house symbol is six digits, a dot and an exchange suffix: `SH` (Shanghai), `SZ` (Shenzhen), `BJ` (Beijing).
* A bare six-digit code is assigned to its exchange by its first digits (6/5/9xx → SH, 0/1/2/3 → SZ,
  4/8/920 → BJ). A bare `000001` is therefore the stock 平安银行 `000001.SZ`; the SSE Composite index needs its
  suffix (`000001.SH`, `sh000001`, `000001.XSHG`).
* Boards follow the code ranges of the exchanges (see :func:`board_of`). `board_codes` is the vectorised form and
  returns `int8` codes equal to `Board` values, suitable for NumPy/numba kernels.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import IntEnum

import numpy as np
import polars as pl

__all__ = [
    "BOARD_RULES",
    "Board",
    "SymbolError",
    "board_codes",
    "board_expr",
    "board_of",
    "exchange_of",
    "is_stock_board",
    "normalize_symbol",
    "normalize_symbols",
]


class Board(IntEnum):
    """Trading board of a security; the int value is the code used in vectorised arrays (`int8`)."""

    UNKNOWN = 0
    SH_MAIN = 1  # Shanghai main board: 600/601/603/605
    SZ_MAIN = 2  # Shenzhen main board: 000/001/002/003 (002 = former SME board, merged 2021-04-06)
    CHINEXT = 3  # Shenzhen ChiNext (创业板): 300/301
    STAR = 4  # Shanghai STAR market (科创板): 688/689
    BSE = 5  # Beijing Stock Exchange (北交所): 4xxxxx, 8xxxxx, 920xxx
    INDEX = 6  # indices: 000xxx.SH, 399xxx.SZ
    ETF = 7  # exchange-traded funds: 51/56/58xxxx.SH, 15xxxx.SZ

    @property
    def label_zh(self) -> str:
        """Chinese display name."""
        return _BOARD_LABELS_ZH[self]


_BOARD_LABELS_ZH: dict[Board, str] = {
    Board.UNKNOWN: "未知",
    Board.SH_MAIN: "沪市主板",
    Board.SZ_MAIN: "深市主板",
    Board.CHINEXT: "创业板",
    Board.STAR: "科创板",
    Board.BSE: "北交所",
    Board.INDEX: "指数",
    Board.ETF: "ETF",
}

STOCK_BOARDS: frozenset[Board] = frozenset(
    {Board.SH_MAIN, Board.SZ_MAIN, Board.CHINEXT, Board.STAR, Board.BSE}
)

# Suffix spellings accepted on input (upper-cased) → house suffix.
_SUFFIX_ALIASES: dict[str, str] = {
    "SH": "SH",
    "SS": "SH",
    "SHA": "SH",
    "SHSE": "SH",
    "XSHG": "SH",
    "SZ": "SZ",
    "SZA": "SZ",
    "SZSE": "SZ",
    "XSHE": "SZ",
    "BJ": "BJ",
    "BSE": "BJ",
    "XBSE": "BJ",
    "BJSE": "BJ",
}

# prefix form: "sh600000", "SH.600000", "sz_000001" ; suffix form: "600000.SH", "600000.XSHG", "600000 SH"
_PREFIX_RE = re.compile(r"^([A-Z]{2,4})[._\s-]?(\d{6})$")
_SUFFIX_RE = re.compile(r"^(\d{6})[._\s-]?([A-Z]{2,4})$")
_BARE_RE = re.compile(r"^\d{1,6}$")


def _exchange_of_bare_code(code: str) -> str | None:
    """House suffix implied by a bare six-digit code, or None where the code alone is not enough."""
    if code.startswith("920") or code[0] in "48":
        return "BJ"
    if code[0] in "569":
        return "SH"
    if code[0] in "0123":
        return "SZ"
    return None


class SymbolError(ValueError):
    """A value that is not a recognisable A-share security code (the message names it)."""


def normalize_symbol(raw: str | int) -> str:
    """Return the house symbol (`600000.SH`) for one raw code.

    Accepts '600000', 600000, 'sh600000', 'sh.600000', 'SH600000', '600000.SH', '600000.XSHG', '000001.XSHE',
    '600000.SS', 'bj830799', '830799.BJ', 'SZ000001', 'sz.000001' and the like (case-insensitive, surrounding
    blanks ignored). Integers are zero-padded to six digits.

    Raises:
        SymbolError (a ValueError): naming the input, when it is not a recognisable A-share code.
    """
    if isinstance(raw, bool) or not isinstance(raw, str | int | np.integer):
        raise SymbolError(f"not a security code: {raw!r} (expected a string such as '600000.SH')")
    text = str(raw).strip().upper()
    if isinstance(raw, int | np.integer) or _BARE_RE.match(text):
        if not _BARE_RE.match(text):
            raise SymbolError(f"not a security code: {raw!r} (negative or too long)")
        code = text.zfill(6)
        suffix = _exchange_of_bare_code(code)
        if suffix is None:
            raise SymbolError(f"cannot tell the exchange of bare code {raw!r}; add a suffix such as '.SH'")
        return f"{code}.{suffix}"
    match = _SUFFIX_RE.match(text)
    if match:
        code, alias = match.group(1), match.group(2)
    else:
        match = _PREFIX_RE.match(text)
        if not match:
            raise SymbolError(
                f"not a security code: {raw!r} (expected forms like '600000', 'sh600000', '600000.SH', "
                "'600000.XSHG')"
            )
        alias, code = match.group(1), match.group(2)
    suffix = _SUFFIX_ALIASES.get(alias)
    if suffix is None:
        raise SymbolError(f"unknown exchange {alias!r} in security code {raw!r} (expected SH, SZ or BJ)")
    return f"{code}.{suffix}"


def normalize_symbols(raw: Iterable[str] | pl.Series) -> pl.Series:
    """Normalise many raw codes; returns a Utf8 Series named `symbol`.

    Already-normalised symbols take a vectorised fast path; the other spellings are normalised once per distinct
    value (the full market has ~5,000 distinct codes), so a 10-million-row column costs one pass plus the
    distinct values.

    Raises:
        ValueError: naming the first offending input.
    """
    series = raw if isinstance(raw, pl.Series) else pl.Series("symbol", list(raw), dtype=pl.Utf8)
    series = series.cast(pl.Utf8)
    if series.null_count():
        first = series.is_null().arg_true()[0]
        raise ValueError(f"missing security code at position {first}")
    uniques = series.unique()
    done = uniques.str.contains(r"^\d{6}\.(SH|SZ|BJ)$")
    todo = uniques.filter(~done).to_list()
    if not todo:
        return series.alias("symbol")
    mapping = {value: normalize_symbol(value) for value in todo}
    return series.replace(mapping).alias("symbol")


def exchange_of(symbol: str) -> str:
    """Exchange suffix ('SH', 'SZ' or 'BJ') of a symbol in any accepted spelling."""
    return normalize_symbol(symbol)[-2:]


# One table drives both the scalar and the vectorised classification: (exchange, code prefixes, board).
# The first matching row wins.
BOARD_RULES: tuple[tuple[str, tuple[str, ...], Board], ...] = (
    ("SH", ("600", "601", "603", "605"), Board.SH_MAIN),
    ("SH", ("688", "689"), Board.STAR),
    ("SH", ("000",), Board.INDEX),
    ("SH", ("51", "56", "58"), Board.ETF),
    ("SZ", ("000", "001", "002", "003"), Board.SZ_MAIN),
    ("SZ", ("300", "301"), Board.CHINEXT),
    ("SZ", ("399",), Board.INDEX),
    ("SZ", ("15",), Board.ETF),
    ("BJ", ("4", "8", "920"), Board.BSE),
)


def _board_expr(symbol: pl.Expr) -> pl.Expr:
    """Polars expression mapping a normalised symbol column to `Board` int8 codes (see `BOARD_RULES`)."""
    code = symbol.str.slice(0, 6)
    exchange = symbol.str.slice(7, 2)
    chain: pl.Expr = pl.lit(int(Board.UNKNOWN))
    for suffix, prefixes, board in reversed(BOARD_RULES):
        matches = pl.any_horizontal([code.str.starts_with(prefix) for prefix in prefixes])
        chain = pl.when((exchange == suffix) & matches).then(pl.lit(int(board))).otherwise(chain)
    return chain.cast(pl.Int8)


def board_codes(symbols: pl.Series | np.ndarray | Iterable[str], *, normalized: bool = False) -> np.ndarray:
    """Board of each symbol as an `int8` array of `Board` values (0 = unknown), vectorised.

    Args:
        symbols: codes in any accepted spelling (normalised first unless `normalized=True`).
        normalized: skip normalisation when the input is already in `600000.SH` form.
    """
    series = symbols if isinstance(symbols, pl.Series) else pl.Series("symbol", np.asarray(list(symbols)))
    if not normalized:
        series = normalize_symbols(series)
    frame = pl.DataFrame({"symbol": series.cast(pl.Utf8)})
    return frame.select(_board_expr(pl.col("symbol"))).to_series().to_numpy().astype(np.int8, copy=False)


def board_expr(symbol_column: str = "symbol") -> pl.Expr:
    """Polars expression giving the `Board` int8 code of a column of normalised symbols."""
    return _board_expr(pl.col(symbol_column)).alias("board")


def board_of(symbol: str) -> Board:
    """Board of one symbol (any accepted spelling); `Board.UNKNOWN` for codes outside the known ranges.

    Ranges: SH main 600/601/603/605; STAR 688/689; SH index 000xxx.SH; SH ETF 51/56/58xxxx;
    SZ main 000/001/002/003; ChiNext 300/301; SZ index 399xxx; SZ ETF 15xxxx; BSE 4xxxxx/8xxxxx/920xxx.
    """
    normalized = normalize_symbol(symbol)
    code, exchange = normalized[:6], normalized[7:]
    for suffix, prefixes, board in BOARD_RULES:
        if exchange == suffix and code.startswith(prefixes):
            return board
    return Board.UNKNOWN


def is_stock_board(board: Board | int) -> bool:
    """True for the five stock boards (main SH/SZ, ChiNext, STAR, BSE)."""
    return Board(int(board)) in STOCK_BOARDS
