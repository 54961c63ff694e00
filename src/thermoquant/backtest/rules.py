"""Build :class:`~thermoquant.backtest.engine.MarketArrays` from a long bar frame, taking every market rule (boards,
limit prices, lot sizes, stamp duty and transfer fee by date) from :mod:`thermoquant.market`.

Bars: ``symbol, trade_date, open, high, low, close`` (CNY), ``volume`` (shares), ``amount`` (CNY); optional
``prev_close`` (the exchange's reference close, CNY — defaults to the previous bar's close, divided by the split
ratio on a split day), ``is_st`` (bool) and ``limit_up``/``limit_down`` (given limits win over computed ones).
A missing (symbol, trade_date) bar is a suspension.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import numpy as np
import polars as pl

from thermoquant.backtest.engine import MarketArrays, dates_of, pivot
from thermoquant.market.fees import FeeModel
from thermoquant.market.limits import limit_pcts, limit_prices, limit_prices_by_row
from thermoquant.market.lots import lot_rule
from thermoquant.market.symbols import Board, board_codes

Split = tuple[str, dt.date, float, float]
"""(symbol, first trading day on the new share basis, shares per old share, cash per old share CNY)."""


def _events(symbols: list[str], dates: np.ndarray, splits: Sequence[Split]) -> np.ndarray:
    sym_idx = {s: i for i, s in enumerate(symbols)}
    rows = []
    for sym, day, ratio, cash in splits:
        if sym not in sym_idx:
            continue
        j = int(np.searchsorted(dates, np.datetime64(day, "D")))
        if j < len(dates):
            rows.append((j, sym_idx[sym], ratio, cash))
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


def fee_tables(
    boards: np.ndarray, days: np.ndarray, fees: FeeModel | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(fee_group per symbol, stamp_buy, stamp_sell, transfer_rate) with one group per distinct board.

    Rates are ``fees`` (default: the configured :meth:`FeeModel.from_settings`, overrides included) evaluated per
    CNY of value, unrounded.  Per-share transfer fees (Shanghai before 2015-08-01) are not rate-based and are left
    out.
    """
    model = dataclasses.replace(
        fees or FeeModel.from_settings(), commission_rate=0.0, min_commission=0.0, round_to_cent=False
    )
    groups, fee_group = np.unique(boards, return_inverse=True)
    T = len(days)
    stamp_buy = np.zeros((len(groups), T))
    stamp_sell = np.zeros((len(groups), T))
    transfer = np.zeros((len(groups), T))
    one = np.ones(T)
    for g, board in enumerate(groups):
        if board not in (int(Board.INDEX), int(Board.UNKNOWN)):
            for side, stamp in ((1, stamp_buy), (-1, stamp_sell)):
                _, duty, fee = model.components(np.full(T, side), one, days, np.full(T, board), np.zeros(T))
                stamp[g] = duty
                transfer[g] = fee
    return fee_group.astype(np.int64), stamp_buy, stamp_sell, transfer


def limit_arrays(
    prev_close: np.ndarray, boards: np.ndarray, days: np.ndarray, is_st: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(limit_up, limit_down) CNY of ``(n, T)`` reference closes: ratio by board, date and ST flag from
    :func:`~thermoquant.market.limits.limit_pcts`, prices on the 0.01 CNY tick (ETFs 0.001); NaN = no limit."""
    etf = boards == int(Board.ETF)
    if is_st is None and boards.size:  # ratios depend on (board, date) only: one row per board
        groups, row_of = np.unique(boards, return_inverse=True)
        up_g, down_g = limit_pcts(groups[:, None], days[None, :])
        if prev_close.dtype == np.float64 and (etf.all() or not etf.any()):  # one tick: no (n, T) ratios
            return limit_prices_by_row(prev_close, up_g, down_g, row_of, tick=0.001 if etf.any() else 0.01)
        up_pct, down_pct = up_g[row_of], down_g[row_of]
    else:
        up_pct, down_pct = limit_pcts(boards[:, None], days[None, :], is_st)
    if boards.size and prev_close.dtype == np.float64 and (etf.all() or not etf.any()):  # one tick, no copies
        return limit_prices(prev_close, up_pct, down_pct, tick=0.001 if etf.any() else 0.01)
    limit_up = np.full_like(prev_close, np.nan)
    limit_down = np.full_like(prev_close, np.nan)
    for tick, rows in ((0.001, etf), (0.01, ~etf)):
        if rows.any():
            limit_up[rows], limit_down[rows] = limit_prices(
                prev_close[rows], up_pct[rows], down_pct[rows], tick=tick
            )
    return limit_up, limit_down


def from_arrays(
    symbols: list[str],
    dates: np.ndarray,
    *,
    open: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    amount: np.ndarray,
    prev_close: np.ndarray | None = None,
    is_st: np.ndarray | None = None,
    limit_up: np.ndarray | None = None,
    limit_down: np.ndarray | None = None,
    events: np.ndarray | None = None,
    fees: FeeModel | None = None,
) -> MarketArrays:
    """Attach the rule arrays of :mod:`thermoquant.market` to ``(n, T)`` bar arrays (units as in the module
    docstring; NaN price = no bar).

    ``prev_close`` defaults to the previous day's close, divided by the split ratio on a split day; ``is_st``
    (bool array) selects the ST limit ratio; given ``limit_up``/``limit_down`` win over computed ones where they
    are not NaN; ``events`` are :attr:`MarketArrays.events` rows; ``fees`` the fee model of the run (default the
    configured one).
    """
    events = np.zeros((0, 4)) if events is None else events
    if prev_close is None:
        prev_close = np.full_like(close, np.nan)
        prev_close[:, 1:] = close[:, :-1]
        for j, s, ratio, _ in events:
            if ratio > 0:
                prev_close[int(s), int(j)] /= ratio
    boards = board_codes(np.array(symbols, dtype=object))
    up, down = limit_arrays(prev_close, boards, dates, is_st)
    if limit_up is not None:
        up = np.where(np.isnan(limit_up), up, limit_up)
    if limit_down is not None:
        down = np.where(np.isnan(limit_down), down, limit_down)
    rules = [lot_rule(s) for s in symbols]
    fee_group, stamp_buy, stamp_sell, transfer_rate = fee_tables(boards, dates, fees)
    return MarketArrays(
        symbols=symbols,
        dates=dates,
        open=open,
        high=high,
        low=low,
        close=close,
        volume=volume,
        amount=amount,
        limit_up=up,
        limit_down=down,
        lot_min=np.array([r.minimum for r in rules], dtype=np.float64),
        lot_step=np.array([r.step for r in rules], dtype=np.float64),
        fee_group=fee_group,
        stamp_buy=stamp_buy,
        stamp_sell=stamp_sell,
        transfer_rate=transfer_rate,
        events=events,
    )


def market_arrays(
    bars: pl.DataFrame,
    *,
    splits: Sequence[Split] = (),
    symbols: list[str] | None = None,
    dates: np.ndarray | None = None,
    fees: FeeModel | None = None,
) -> MarketArrays:
    """Pivot ``bars`` to (symbols x dates) arrays and attach the rule arrays of :mod:`thermoquant.market`."""
    syms = symbols or sorted(bars["symbol"].unique().to_list())
    days = dates if dates is not None else dates_of(bars)

    def column(name: str) -> np.ndarray | None:
        return pivot(bars, name, syms, days) if name in bars.columns else None

    is_st = column("is_st")
    return from_arrays(
        syms,
        days,
        **{c: pivot(bars, c, syms, days) for c in ("open", "high", "low", "close", "volume", "amount")},
        prev_close=column("prev_close"),
        is_st=None if is_st is None else is_st > 0.5,
        limit_up=column("limit_up"),
        limit_down=column("limit_down"),
        events=_events(syms, days, splits),
        fees=fees,
    )
