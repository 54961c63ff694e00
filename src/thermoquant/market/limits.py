"""Daily price limits (涨跌停) of A-shares: dated rule tables, limit percentages and limit prices.

Rule of the exchanges: limit price = previous close × (1 ± limit ratio), rounded half-up to the price tick
(0.01 CNY for stocks, 0.001 CNY for ETFs). The previous close is the exchange's reference close (前收盘, adjusted on
ex-rights days); on a listing day it is the issue price.

Two tables, both dated (a rule applies from its `start` until the next row of the same board):

* :data:`PRICE_LIMIT_RULES` — the ordinary limit by board and date, for normal and risk-warning (ST/*ST) stocks.
* :data:`LISTING_RULES` — the first days after listing, keyed by the stock's *listing date*: either a number of
  sessions without any limit, or an asymmetric first-day band (+44 % / −36 % of the issue price, 2014-2023 main board).

Percentages are fractions (0.1 = 10 %). "No limit" is NaN in arrays and None in the scalar API.
Sessions without limit that no table can know (relisting / resumed listing, listing by share-swap merger, the first
day of a delisting-consolidation period) are passed in as a `no_limit` mask. Not modelled: B-shares, ST buy caps.
The ETF tick (0.001) applies to the ETF board; every other board uses 0.01.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import polars as pl
from numba import njit, prange

from thermoquant.market.calendar import session_index
from thermoquant.market.symbols import Board, board_codes, board_of

__all__ = [
    "LISTING_RULES",
    "PRICE_LIMIT_RULES",
    "ListingRule",
    "PriceLimitRule",
    "limit_pct",
    "limit_pcts",
    "limit_price",
    "limit_prices",
    "price_limits",
    "tick_sizes",
    "with_limit_prices",
]

NO_LIMIT = math.nan


@dataclass(frozen=True)
class PriceLimitRule:
    """Ordinary daily limit of one board from `start` (inclusive) until the board's next rule.

    `pct` applies to normal stocks, `st_pct` to risk-warning (ST, *ST) stocks; fractions, NaN = no limit.
    """

    board: Board
    start: dt.date
    pct: float
    st_pct: float
    note: str


@dataclass(frozen=True)
class ListingRule:
    """Limits of the first sessions after listing, for stocks listed on or after `listed_from` (until the board's
    next listing rule).

    `free_days`: number of sessions, counting the listing day as 1, with no price limit at all.
    `first_day_up` / `first_day_down`: the listing-day band as fractions of the issue price, when the listing day is
    not free (NaN otherwise). Later sessions follow :data:`PRICE_LIMIT_RULES`.
    """

    board: Board
    listed_from: dt.date
    free_days: int
    first_day_up: float
    first_day_down: float
    note: str


_D = dt.date
PRICE_LIMIT_RULES: tuple[PriceLimitRule, ...] = (
    PriceLimitRule(
        Board.SH_MAIN, _D(1996, 12, 16), 0.10, 0.05, "10% limit from 1996-12-16; ST 5% since ST began"
    ),
    PriceLimitRule(
        Board.SH_MAIN, _D(2025, 7, 7), 0.10, 0.10, "SSE: main-board risk-warning stocks 5% -> 10%"
    ),
    PriceLimitRule(
        Board.SZ_MAIN, _D(1996, 12, 16), 0.10, 0.05, "10% limit from 1996-12-16; ST 5% since ST began"
    ),
    PriceLimitRule(
        Board.SZ_MAIN, _D(2025, 7, 7), 0.10, 0.10, "SZSE: main-board risk-warning stocks 5% -> 10%"
    ),
    PriceLimitRule(Board.CHINEXT, _D(2009, 10, 30), 0.10, 0.05, "ChiNext launch, as the main board"),
    PriceLimitRule(Board.CHINEXT, _D(2020, 8, 24), 0.20, 0.20, "ChiNext registration reform: 20%, ST too"),
    PriceLimitRule(Board.STAR, _D(2019, 7, 22), 0.20, 0.20, "STAR market launch: 20%"),
    PriceLimitRule(Board.BSE, _D(2020, 7, 27), 0.30, 0.30, "NEEQ select tier (BSE from 2021-11-15): 30%"),
    PriceLimitRule(Board.ETF, _D(1996, 12, 16), 0.10, 0.10, "exchange funds: 10%"),
)
"""Ordinary limits. Before a board's first row there is no limit (NaN); indices never have one.

The 2025 main-board change was proposed by SSE and SZSE on 2025-06-27 and took effect on 2025-07-07 (to our best
reading of the exchanges' notice; the date is this one table entry)."""

LISTING_RULES: tuple[ListingRule, ...] = (
    ListingRule(
        Board.SH_MAIN, _D(1996, 12, 16), 1, NO_LIMIT, NO_LIMIT, "listing day free (intraday halts only)"
    ),
    ListingRule(Board.SH_MAIN, _D(2014, 1, 1), 0, 0.44, 0.36, "listing day +44%/-36% of issue price"),
    ListingRule(
        Board.SH_MAIN, _D(2023, 4, 10), 5, NO_LIMIT, NO_LIMIT, "registration reform: first 5 days free"
    ),
    ListingRule(
        Board.SZ_MAIN, _D(1996, 12, 16), 1, NO_LIMIT, NO_LIMIT, "listing day free (intraday halts only)"
    ),
    ListingRule(Board.SZ_MAIN, _D(2014, 1, 1), 0, 0.44, 0.36, "listing day +44%/-36% of issue price"),
    ListingRule(
        Board.SZ_MAIN, _D(2023, 4, 10), 5, NO_LIMIT, NO_LIMIT, "registration reform: first 5 days free"
    ),
    ListingRule(
        Board.CHINEXT, _D(2009, 10, 30), 1, NO_LIMIT, NO_LIMIT, "listing day free (intraday halts only)"
    ),
    ListingRule(Board.CHINEXT, _D(2014, 1, 1), 0, 0.44, 0.36, "listing day +44%/-36% of issue price"),
    ListingRule(
        Board.CHINEXT, _D(2020, 8, 24), 5, NO_LIMIT, NO_LIMIT, "registration reform: first 5 days free"
    ),
    ListingRule(Board.STAR, _D(2019, 7, 22), 5, NO_LIMIT, NO_LIMIT, "STAR: first 5 days free"),
    ListingRule(Board.BSE, _D(2020, 7, 27), 1, NO_LIMIT, NO_LIMIT, "select tier / BSE: listing day free"),
)
"""Listing-day rules keyed by listing date. The 2014-01-01 start of the +44 %/−36 % band is the date the exchanges'
December-2013 notices on new-listing trading took effect (approximate to the first listings of 2014)."""


def _rules_of(board: Board) -> list[PriceLimitRule]:
    return [rule for rule in PRICE_LIMIT_RULES if rule.board == board]


def _listing_rules_of(board: Board) -> list[ListingRule]:
    return [rule for rule in LISTING_RULES if rule.board == board]


def _as_days(values: np.ndarray | dt.date | None, shape: tuple[int, ...]) -> np.ndarray:
    if values is None:
        return np.full(shape, np.datetime64("NaT"), dtype="datetime64[D]")
    return np.broadcast_to(np.asarray(values, dtype="datetime64[D]"), shape)


def limit_pcts(
    boards: np.ndarray,
    dates: np.ndarray,
    is_st: np.ndarray | bool | None = None,
    listing_dates: np.ndarray | None = None,
    no_limit: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised limit ratios (up, down) as float64 fractions; NaN = no limit that day.

    Args:
        boards: `Board` int8 codes (see `symbols.board_codes`).
        dates: trading dates (`datetime64[D]` or convertible).
        is_st: risk-warning flag per element (ST/*ST); None = no stock is ST.
        listing_dates: listing date per element; NaT or None = listed long ago (no listing rule applies).
        no_limit: True where a session has no limit for a reason the tables do not model — the first day of a
            relisting (恢复上市 / 重新上市), a listing by share-swap merger, the first day of a delisting-
            consolidation period. None = no such sessions.

    All inputs broadcast together (e.g. boards of shape (n, 1) against dates of shape (1, t) for a panel).
    """
    boards_arr = np.asarray(boards)
    dates_arr = np.asarray(dates, dtype="datetime64[D]")
    st_arr = np.zeros((), dtype=bool) if is_st is None else np.asarray(is_st, dtype=bool)
    boards_arr, dates_arr, st_arr = np.broadcast_arrays(boards_arr, dates_arr, st_arr)
    shape = boards_arr.shape
    up = np.full(shape, np.nan)
    for board in {rule.board for rule in PRICE_LIMIT_RULES}:
        on_board = boards_arr == int(board)
        if not on_board.any():
            continue
        rules = _rules_of(board)
        for rule, nxt in zip(rules, [*rules[1:], None], strict=True):
            in_force = on_board & (dates_arr >= np.datetime64(rule.start, "D"))
            if nxt is not None:
                in_force &= dates_arr < np.datetime64(nxt.start, "D")
            up[in_force & ~st_arr] = rule.pct
            up[in_force & st_arr] = rule.st_pct
    down = up.copy()
    if listing_dates is not None:
        listed = _as_days(listing_dates, shape)
        known = ~np.isnat(listed)
        if known.any():
            _apply_listing_rules(up, down, boards_arr, dates_arr, listed, known)
    if no_limit is not None:
        free = np.broadcast_to(np.asarray(no_limit, dtype=bool), shape)
        up[free] = np.nan
        down[free] = np.nan
    return up, down


def _apply_listing_rules(
    up: np.ndarray,
    down: np.ndarray,
    boards: np.ndarray,
    dates: np.ndarray,
    listed: np.ndarray,
    known: np.ndarray,
) -> None:
    """Overwrite `up`/`down` in place for the first sessions after listing (see `LISTING_RULES`)."""
    day_number = np.zeros(up.shape, dtype=np.int64)
    day_number[known] = session_index(dates[known]) - session_index(listed[known]) + 1
    for board in {rule.board for rule in LISTING_RULES}:
        on_board = known & (boards == int(board))
        if not on_board.any():
            continue
        rules = _listing_rules_of(board)
        for rule, nxt in zip(rules, [*rules[1:], None], strict=True):
            applies = on_board & (listed >= np.datetime64(rule.listed_from, "D"))
            if nxt is not None:
                applies &= listed < np.datetime64(nxt.listed_from, "D")
            free = applies & (day_number >= 1) & (day_number <= rule.free_days)
            up[free] = np.nan
            down[free] = np.nan
            if rule.free_days == 0:
                first_day = applies & (day_number == 1)
                up[first_day] = rule.first_day_up
                down[first_day] = rule.first_day_down


def _nan_to_none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def limit_pct(
    board: Board | int,
    date: dt.date,
    *,
    is_st: bool = False,
    listing_date: dt.date | None = None,
) -> tuple[float | None, float | None]:
    """Scalar limit ratios (up, down) for one stock on one date; None = no limit. See :func:`limit_pcts`."""
    up, down = limit_pcts(
        np.array([int(board)], dtype=np.int8),
        np.array([date], dtype="datetime64[D]"),
        np.array([is_st]),
        None if listing_date is None else np.array([listing_date], dtype="datetime64[D]"),
    )
    return _nan_to_none(up[0]), _nan_to_none(down[0])


@njit(inline="always")
def _limit_pair(pc: float, pu: float, pd: float, scale: float) -> tuple[float, float]:  # pragma: no cover
    """Integer-tick arithmetic: ticks = round(prev_close × scale); limit = round_half_up(ticks × (1 ± bp/1e4)),
    the down limit at least one tick; NaN for a NaN ratio or a prev_close not > 0. ``scale``: ticks per CNY."""
    if not (pc > 0.0):
        return np.nan, np.nan
    ticks = np.int64(np.floor(pc * scale + 0.5))
    up = np.nan
    down = np.nan
    if not np.isnan(pu):
        bp = np.int64(np.floor(pu * 10000.0 + 0.5))
        up = ((ticks * (10000 + bp) + 5000) // 10000) / scale
    if not np.isnan(pd):
        bp = np.int64(np.floor(pd * 10000.0 + 0.5))
        down = max((ticks * (10000 - bp) + 5000) // 10000, np.int64(1)) / scale
    return up, down


@njit(cache=True, parallel=True)
def _limit_prices_kernel(
    prev_close: np.ndarray, up_pct: np.ndarray, down_pct: np.ndarray, scales: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """:func:`_limit_pair` element by element; ``scales`` one per element or a single value."""
    n = prev_close.size
    up = np.empty(n)
    down = np.empty(n)
    per_element = scales.size == n
    for i in prange(n):  # element by element: the order changes nothing
        up[i], down[i] = _limit_pair(
            prev_close[i], up_pct[i], down_pct[i], scales[i] if per_element else scales[0]
        )
    return up, down


@njit(cache=True, parallel=True)
def _limit_prices_rows_kernel(
    prev_close: np.ndarray, up_rows: np.ndarray, down_rows: np.ndarray, row_of: np.ndarray, scale: float
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """:func:`_limit_pair` of (n, T) ``prev_close`` with the ratios of row ``row_of[s]`` of (G, T) tables."""
    n, T = prev_close.shape
    up = np.empty((n, T))
    down = np.empty((n, T))
    for s in prange(n):
        g = row_of[s]
        for t in range(T):
            up[s, t], down[s, t] = _limit_pair(prev_close[s, t], up_rows[g, t], down_rows[g, t], scale)
    return up, down


def _ticks_per_cny(tick: float | np.ndarray) -> np.ndarray:
    """Ticks per CNY (int64, the shape of ``tick``): 100 for a 0.01 CNY tick, 1000 for 0.001; a tick that is not
    1/integer CNY is refused."""
    ticks = np.asarray(tick, dtype=np.float64)
    scales = np.rint(1.0 / ticks).astype(np.int64)
    if not np.allclose(scales * ticks, 1.0, rtol=1e-9, atol=0.0):
        raise ValueError(f"tick must be 1/integer CNY (0.01, 0.001), got {tick}")
    return scales


def limit_prices_by_row(
    prev_close: np.ndarray,
    up_rows: np.ndarray,
    down_rows: np.ndarray,
    row_of: np.ndarray,
    *,
    tick: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`limit_prices` of an (n, T) panel whose ratios repeat by group (e.g. board: every stock of a board has
    the same ratios each day): ``up_rows`` / ``down_rows`` (G, T) tables, ``row_of`` (n,) each stock's row in them.
    The same values as ``limit_prices(prev_close, up_rows[row_of], down_rows[row_of], tick=tick)``, without the
    two (n, T) ratio arrays."""
    scale = float(_ticks_per_cny(tick))
    return _limit_prices_rows_kernel(
        np.ascontiguousarray(prev_close, dtype=np.float64), np.ascontiguousarray(up_rows, dtype=np.float64),
        np.ascontiguousarray(down_rows, dtype=np.float64), np.ascontiguousarray(row_of, dtype=np.int64), scale,
    )  # fmt: skip


def limit_prices(
    prev_close: np.ndarray,
    pct: np.ndarray | float,
    down_pct: np.ndarray | float | None = None,
    *,
    tick: float | np.ndarray = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised limit prices (up, down) in CNY, any array shape.

    `up = round_half_up(prev_close × (1 + pct))` and `down = round_half_up(prev_close × (1 − down_pct))` on the
    `tick` grid, computed in integer ticks so that float artefacts (10.05 × 1.1 = 11.055000000000001,
    1.005 × 100 = 100.49999) never flip a rounding. `down_pct` defaults to `pct`. NaN ratio or non-positive or NaN
    prev_close → NaN. Ratios are taken to 0.01 % (basis points). The down limit is at least one tick.

    Args:
        prev_close: previous (reference) close in CNY, on the tick grid.
        pct: up ratio as a fraction (0.1 = 10 %).
        down_pct: down ratio as a fraction; defaults to `pct`.
        tick: price tick in CNY: 0.01 for stocks, 0.001 for ETFs; a scalar or an array broadcast with the rest.
    """
    pc = np.asarray(prev_close, dtype=np.float64)
    pu = np.asarray(pct, dtype=np.float64)
    pd = pu if down_pct is None else np.asarray(down_pct, dtype=np.float64)
    scales = _ticks_per_cny(tick)
    if scales.size == 1:
        pc, pu, pd = np.broadcast_arrays(pc, pu, pd)
        scales = scales.reshape(1)
    else:
        pc, pu, pd, scales = np.broadcast_arrays(pc, pu, pd, scales)
    up, down = _limit_prices_kernel(
        np.ascontiguousarray(pc).ravel(),
        np.ascontiguousarray(pu).ravel(),
        np.ascontiguousarray(pd).ravel(),
        np.ascontiguousarray(scales).ravel(),
    )
    return up.reshape(pc.shape), down.reshape(pc.shape)


def tick_sizes(boards: np.ndarray) -> np.ndarray:
    """Price tick in CNY per `Board` code: 0.001 for ETFs, 0.01 otherwise."""
    return np.where(np.asarray(boards) == int(Board.ETF), 0.001, 0.01)


def with_limit_prices(
    frame: pl.DataFrame,
    *,
    prev_close_col: str = "prev_close",
    symbol_col: str = "symbol",
    date_col: str = "date",
    st_col: str | None = None,
    listing_date_col: str | None = None,
    no_limit_col: str | None = None,
) -> pl.DataFrame:
    """Add `up_limit` and `down_limit` (CNY, Float64, null = no limit that day) to a long (symbol, date) frame.

    Symbols must be normalised (`600000.SH`). `st_col` names a boolean risk-warning column and `listing_date_col`
    a Date column of listing dates (null = listed long ago), `no_limit_col` a boolean column of sessions without
    limit for reasons the tables do not model (see :func:`limit_pcts`); all optional. Row order is preserved.
    """
    boards = board_codes(frame[symbol_col], normalized=True)
    dates = frame[date_col].cast(pl.Date).to_numpy()
    is_st = None if st_col is None else frame[st_col].fill_null(False).to_numpy()
    listed = None
    if listing_date_col is not None:
        listed = frame[listing_date_col].cast(pl.Date).to_numpy().astype("datetime64[D]")
    free = None if no_limit_col is None else frame[no_limit_col].fill_null(False).to_numpy()
    up_pct, down_pct = limit_pcts(boards, dates, is_st, listed, free)
    up, down = limit_prices(frame[prev_close_col].to_numpy(), up_pct, down_pct, tick=tick_sizes(boards))
    return frame.with_columns(
        pl.Series("up_limit", up).fill_nan(None),
        pl.Series("down_limit", down).fill_nan(None),
    )


def limit_price(
    prev_close: float, pct: float, down_pct: float | None = None, *, tick: float = 0.01
) -> tuple[float, float]:
    """Scalar limit prices (up, down) in CNY; see :func:`limit_prices`."""
    up, down = limit_prices(
        np.array([prev_close]), np.array([pct]), None if down_pct is None else [down_pct], tick=tick
    )
    return float(up[0]), float(down[0])


def price_limits(
    symbol: str,
    prev_close: float,
    date: dt.date,
    *,
    is_st: bool = False,
    listing_date: dt.date | None = None,
) -> tuple[float | None, float | None]:
    """Limit prices (up, down) in CNY of one symbol on one date; None where there is no limit.

    Combines :func:`board_of`, :func:`limit_pct` and :func:`limit_prices` (ETF tick 0.001, stocks 0.01).
    """
    board = board_of(symbol)
    up_pct, down_pct = limit_pct(board, date, is_st=is_st, listing_date=listing_date)
    up, down = limit_prices(
        np.array([prev_close]),
        np.array([math.nan if up_pct is None else up_pct]),
        np.array([math.nan if down_pct is None else down_pct]),
        tick=tick_sizes(np.array([int(board)])),
    )
    return _nan_to_none(up[0]), _nan_to_none(down[0])
