"""Numba core of the backtest engine: plain NumPy arrays in, arrays out.

Layout: every market array is ``(n_stocks, n_days)`` float64, C-contiguous, one row per instrument.
Units: prices CNY per share, ``volume`` shares, cash and fees CNY, quantities whole shares (held as float64).

A-share rules applied at fill time (all in :func:`_fill_one`):

* suspension: no fill when the fill price is NaN or the bar's volume is 0 / NaN; holdings are valued at the last
  valid close;
* price limits: no buy on a one-price bar (open == high == low == close) sitting at ``limit_up``, no sell on a
  one-price bar at ``limit_down``; a bar that touched the limit and traded away from it is tradeable.  NaN limits
  disable the check (instruments without limits);
* T+1: shares bought on day t are locked until day t+1.  With daily bars every lot bought before today is free, so
  the per-lot FIFO collapses to "shares bought today" (``locked``), checked on every sell;
* lots: buy quantity ``q`` is valid when ``q >= lot_min`` and ``(q - lot_min) % lot_step == 0`` (main board 100/100,
  STAR 200/1, BSE 100/1); a sell may be any valid lot quantity, or the whole sellable remainder (odd lots);
* volume participation cap: ``|q| <= participation * volume`` of the bar (<= 0 disables);
* fees: commission ``max(rate * value, min_commission)`` per order; transfer fee and stamp duty as fractions of the
  value from per-(fee group, day) tables ``transfer_rate``, ``stamp_buy``, ``stamp_sell`` of shape (G, T), where
  ``fee_group[s]`` picks stock s's row (e.g. its board) — dated rates, so the 2023-08-28 stamp cut is a date;
* cash never negative: a buy is cut to what cash (after fees) pays for, in whole lots.

The kernels take the run's arrays bundled in named tuples: :class:`Market` (prices, limits, lots, fee tables),
:class:`Costs` (volume cap, commission, slippage) and :class:`Events` (corporate actions); the mutable per-run
book is a :class:`Book`.  Order records (one per order that reached the market, blocked ones included) go to
growable arrays, see :data:`REC_FIELDS` and the ``STATUS_*`` codes.
"""

from __future__ import annotations

from collections import namedtuple
from typing import NamedTuple

import numpy as np
from numba import njit

from thermoquant.layout import day_major

PRICE_OPEN = 0
PRICE_CLOSE = 1
PRICE_VWAP = 2

STATUS_FILLED = 0
STATUS_PARTIAL = 1  # filled less than asked: cut by volume cap, cash or T+1
STATUS_SUSPENDED = 2
STATUS_LIMIT = 3  # one-price bar at the limit in the order's direction
STATUS_T1 = 4  # nothing sellable: every share was bought today
STATUS_CASH = 5  # not even one lot affordable
STATUS_LOT = 6  # rounds to zero shares (below the minimum quantity or the volume cap)

STATUS_NAMES = ("filled", "partial", "suspended", "limit", "t+1", "cash", "lot")

# columns of the float64 record matrix returned by the kernels
REC_FIELDS = (
    "stock",
    "day",
    "requested",
    "filled",
    "price",
    "commission",
    "transfer_fee",
    "stamp_duty",
    "status",
    "position_after",
)
_NREC = len(REC_FIELDS)
_EPS = 1e-9


Market = namedtuple(
    "Market",
    "open high low close volume amount limit_up limit_down lot_min lot_step fee_group stamp_buy stamp_sell "
    "transfer_rate",
)
"""The arrays of :class:`thermoquant.backtest.engine.MarketArrays` the kernels read: same names, layout and units
(``fee_group`` int64, the rest float64)."""
MARKET_FIELDS: tuple[str, ...] = Market._fields


class Costs(NamedTuple):
    """Trading costs that are not market rules."""

    participation: float  # max fraction of a bar's volume per order (<= 0 disables)
    commission_rate: float  # fraction of the order value
    min_commission: float  # CNY per order
    slippage: float  # fraction of the price, against the trader


class Events(NamedTuple):
    """Corporate actions sorted by day: day index, stock index, new shares per old share, cash per old share CNY."""

    day: np.ndarray
    stock: np.ndarray
    ratio: np.ndarray
    cash: np.ndarray


class Book(NamedTuple):
    """Mutable state of a run (arrays updated in place) and its daily outputs."""

    pos: np.ndarray  # (n,) shares held
    locked: np.ndarray  # (n,) shares bought today (T+1)
    last_px: np.ndarray  # (n,) last valid close, CNY
    cash: np.ndarray  # (1,) CNY
    out_cash: np.ndarray  # (T,)
    out_equity: np.ndarray  # (T,)
    out_gross: np.ndarray  # (T,)
    out_pos: np.ndarray  # (n, T), or (0, 0) when positions are not kept


@njit(cache=True)
def _grow(rec: np.ndarray, n_rec: int) -> np.ndarray:
    """Return ``rec`` or a copy twice as large when it is full."""
    if n_rec < rec.shape[0]:
        return rec
    out = np.empty((max(16, rec.shape[0] * 2), _NREC))
    out[:n_rec] = rec[:n_rec]
    return out


@njit(cache=True)
def _floor_lot(q: float, lot_min: float, lot_step: float) -> float:
    """Largest valid order quantity <= q (0 when q < lot_min)."""
    if q < lot_min - _EPS:
        return 0.0
    return lot_min + np.floor((q - lot_min) / lot_step + _EPS) * lot_step


@njit(cache=True)
def _fill_price(m, s, t, price_mode, slip, side):
    """Fill price of day t for stock s (NaN when no trade is possible), slippage against the trader."""
    vol = m.volume[s, t]
    if not (vol > 0.0):
        return np.nan
    if price_mode == PRICE_OPEN:
        p = m.open[s, t]
    elif price_mode == PRICE_CLOSE:
        p = m.close[s, t]
    else:
        p = m.amount[s, t] / vol
    if not (p > 0.0):
        return np.nan
    return p * (1.0 + slip) if side > 0 else p * (1.0 - slip)


@njit(cache=True)
def _locked_at(m, limit, s, t):
    """True when day t is a one-price bar sitting at ``limit`` (NaN limit: never)."""
    lim = limit[s, t]
    if np.isnan(lim):
        return False
    o = m.open[s, t]
    if not (o == m.high[s, t] and o == m.low[s, t] and o == m.close[s, t]):
        return False
    return abs(o - lim) <= 1e-6 * max(1.0, abs(lim))


@njit(cache=True)
def _order_fees(m, c, value, is_sell, s, t):
    """(commission, transfer fee, stamp duty) in CNY of one order of ``value`` CNY."""
    g = m.fee_group[s]
    comm = max(c.commission_rate * value, c.min_commission)
    transfer = m.transfer_rate[g, t] * value
    stamp = (m.stamp_sell[g, t] if is_sell else m.stamp_buy[g, t]) * value
    return comm, transfer, stamp


@njit(cache=True)
def _fill_one(m, c, book, s, t, q, price, rec, n_rec):
    """Apply every rule to one order of ``q`` shares (signed) at ``price`` and book it.  Returns (rec, n_rec)."""
    pos = book.pos
    cash = book.cash
    lot_min = m.lot_min[s]
    lot_step = m.lot_step[s]
    filled = 0.0
    comm = 0.0
    transfer = 0.0
    stamp = 0.0
    status = STATUS_FILLED
    if np.isnan(price):
        status = STATUS_SUSPENDED
    elif q > 0.0:
        if _locked_at(m, m.limit_up, s, t):
            status = STATUS_LIMIT
        else:
            want = _floor_lot(q, lot_min, lot_step)
            qty = want
            if c.participation > 0.0:
                qty = min(qty, _floor_lot(c.participation * m.volume[s, t], lot_min, lot_step))
            # cash: the largest lot quantity whose value plus fees fits
            g = m.fee_group[s]
            rate_all = 1.0 + c.commission_rate + m.transfer_rate[g, t] + m.stamp_buy[g, t]
            qty = min(qty, _floor_lot(cash[0] / (price * rate_all), lot_min, lot_step))
            while qty > 0.0:
                cm, x, st = _order_fees(m, c, qty * price, False, s, t)
                if qty * price + cm + x + st <= cash[0] + _EPS:
                    comm = cm
                    transfer = x
                    stamp = st
                    break
                qty = _floor_lot(qty - lot_step, lot_min, lot_step)
            if want <= 0.0:
                status = STATUS_LOT
            elif qty <= 0.0:
                status = STATUS_CASH if cash[0] < want * price else STATUS_LOT
            else:
                filled = qty
                if qty < q - _EPS:
                    status = STATUS_PARTIAL
                pos[s] += qty
                book.locked[s] += qty
                cash[0] -= qty * price + comm + transfer + stamp
    elif q < 0.0:
        if _locked_at(m, m.limit_down, s, t):
            status = STATUS_LIMIT
        else:
            avail = pos[s] - book.locked[s]
            want = -q
            if avail <= _EPS:
                status = STATUS_T1
            else:
                qty = min(want, avail)
                cap = c.participation * m.volume[s, t] if c.participation > 0.0 else np.inf
                if qty > cap:
                    qty = _floor_lot(cap, lot_min, lot_step)
                elif qty < avail - _EPS:  # partial sell: whole lots only; selling all that is free may be odd
                    qty = _floor_lot(qty, lot_min, lot_step)
                if qty <= 0.0:
                    status = STATUS_LOT
                else:
                    comm, transfer, stamp = _order_fees(m, c, qty * price, True, s, t)
                    filled = -qty
                    if qty < want - _EPS:
                        status = STATUS_PARTIAL
                    pos[s] -= qty
                    cash[0] += qty * price - comm - transfer - stamp
    rec = _grow(rec, n_rec)
    rec[n_rec, 0] = s
    rec[n_rec, 1] = t
    rec[n_rec, 2] = q
    rec[n_rec, 3] = filled
    rec[n_rec, 4] = price
    rec[n_rec, 5] = comm
    rec[n_rec, 6] = transfer
    rec[n_rec, 7] = stamp
    rec[n_rec, 8] = status
    rec[n_rec, 9] = pos[s]
    return rec, n_rec + 1


@njit(cache=True)
def _new_book(n, T, init_cash, out_pos):
    """Flat book with ``init_cash`` CNY for n stocks over T days; ``out_pos``: the (n, T) zeros the end-of-day
    positions are written into (only where held), or (0, 0) not to keep them.  The caller allocates it with NumPy:
    a large ``np.zeros`` maps its pages on first write, so the pages of never-held stretches cost nothing."""
    return Book(
        np.zeros(n),
        np.zeros(n),
        np.full(n, np.nan),
        np.array([init_cash]),
        np.empty(T),
        np.empty(T),
        np.empty(T),
        out_pos,
    )


@njit(cache=True)
def _start_day(t, ev, ev_ptr, book):
    """Clear T+1 locks and apply the corporate actions of day t, before any order of the day.

    Cash dividend: ``cash`` CNY per old share. Split / unit conversion with ``ratio`` new shares per old share: the
    holding becomes ``floor(pos × ratio)`` whole shares and the fractional remainder is paid in cash at the
    reference price of the day, the previous valid close on the new basis (``last close / ratio``, the exchange's
    ex-split reference price; the value the fraction had at that close), so a split moves no value.
    """
    book.locked[:] = 0.0
    pos = book.pos
    while ev_ptr < ev.day.shape[0] and ev.day[ev_ptr] <= t:
        if ev.day[ev_ptr] == t:
            s = ev.stock[ev_ptr]
            ratio = ev.ratio[ev_ptr]
            book.cash[0] += pos[s] * ev.cash[ev_ptr]
            if ratio > 0.0 and ratio != 1.0:
                new_shares = pos[s] * ratio
                whole = np.floor(new_shares + _EPS)
                book.last_px[s] = book.last_px[s] / ratio
                fraction = new_shares - whole
                if fraction > _EPS and book.last_px[s] > 0.0:
                    book.cash[0] += fraction * book.last_px[s]
                pos[s] = whole
        ev_ptr += 1
    return ev_ptr


@njit(cache=True)
def _end_day(t, close_day, book):
    """Mark to the day's close ``close_day`` (n,) (last valid close for suspended stocks) and store day t's
    outputs."""
    gross = 0.0
    pos = book.pos
    last_px = book.last_px
    out_pos = book.out_pos
    keep_positions = out_pos.shape[0] > 0
    for s in range(pos.shape[0]):
        px = close_day[s]
        if px > 0.0:
            last_px[s] = px
        if pos[s] != 0.0:
            gross += pos[s] * last_px[s]
            # out_pos starts as zeros: only held stocks are written (a strided column store)
            if keep_positions:
                out_pos[s, t] = pos[s]
    book.out_cash[t] = book.cash[0]
    book.out_gross[t] = gross
    book.out_equity[t] = book.cash[0] + gross


@njit(cache=True)
def plan_day_nb(
    m, c, t, pos, last_px, cash, target_col, target_is_weight, price_mode, reserve, hold, px, delta
):
    """Orders of day t towards ``target_col`` (weights of equity or shares; NaN = leave alone): fills ``px`` with
    the day's unslipped fill prices of the stocks held or targeted (NaN for the others, whose bars are not read:
    in a whole-market run each such read is a cache and TLB miss, as the arrays are stock-major) and ``delta``
    with the signed share changes (0 = no order).

    Weight targets are turned into shares with the day's equity valued at the fill prices (last close where
    suspended) minus ``reserve`` CNY (cash the book owes elsewhere, e.g. a sleeve's declared profit transfer); an
    increase is a whole number of lots, a trim keeps whole lots. ``hold``: never trim a position whose target is
    above 0 (buy and hold; only a 0 target sells). Returns
    ``(n_buy, buy_cost)``: the number of buys and their cost at the slipped prices, CNY, before fees.
    Shared by the backtest driver and the paper broker (:mod:`thermoquant.backtest.fill`).
    """
    n = pos.shape[0]
    slippage = c.slippage
    equity = cash - reserve
    active = np.empty(n, dtype=np.int64)  # held or targeted, in stock order (no call in the loop over all)
    k = 0
    for s in range(n):
        px[s] = np.nan
        if pos[s] != 0.0 or not np.isnan(target_col[s]):
            active[k] = s
            k += 1
    for j in range(k):
        s = active[j]
        px[s] = _fill_price(m, s, t, price_mode, 0.0, 1)
        if pos[s] != 0.0:
            equity += pos[s] * (px[s] if px[s] > 0.0 else last_px[s])
    n_buy = 0
    buy_cost = 0.0
    for s in range(n):
        tg = target_col[s]
        delta[s] = 0.0
        if np.isnan(tg):
            continue
        ref = px[s] if px[s] > 0.0 else last_px[s]
        if target_is_weight:
            if not (ref > 0.0):
                continue
            want = tg * equity / (ref * (1.0 + slippage))
            want = max(want, 0.0)
            if want > pos[s]:
                want = pos[s] + _floor_lot(want - pos[s], m.lot_min[s], m.lot_step[s])
            elif want > 0.0:  # keep whole lots when trimming
                want = pos[s] - _floor_lot(pos[s] - want, m.lot_min[s], m.lot_step[s])
        else:
            want = max(tg, 0.0)
        d = want - pos[s]
        if abs(d) < 0.5 or (hold and d < 0.0 and tg > 0.0):
            continue
        delta[s] = d
        if d > 0.0:
            n_buy += 1
            if ref > 0.0:
                buy_cost += d * ref * (1.0 + slippage)
    return n_buy, buy_cost


@njit(cache=True)
def scale_buys_nb(m, c, cash, delta, n_buy, buy_cost, buy_q):
    """Buy quantities of the day once the sells are done: ``delta``'s buys scaled down together when their cost
    (with a rough fee bound and one minimum commission each) exceeds ``cash`` (CNY), in whole lots, at least one
    minimum lot each so the fill reports the shortfall.  Writes ``buy_q`` where ``delta > 0``."""
    fee_rate = 1.0 + c.commission_rate + 2e-4  # rough bound of transfer fee / buy-side stamp
    scale = 1.0
    if buy_cost * fee_rate + n_buy * c.min_commission > cash:
        scale = max(cash - n_buy * c.min_commission, 0.0) / (buy_cost * fee_rate)
    for s in range(delta.shape[0]):
        if delta[s] > 0.0:
            q = delta[s]
            if scale < 1.0:
                q = _floor_lot(q * scale, m.lot_min[s], m.lot_step[s])
                if q <= 0.0:
                    q = m.lot_min[s]  # let the fill report the cash shortfall
            buy_q[s] = q


@njit(cache=True)
def rebalance_day(
    m, c, book, tg_col, t, target_is_weight, price_mode, reserve, hold, px, delta, buy_q, rec, n_rec
):
    """Rebalance one book on day t towards ``tg_col`` (n,) (weights of equity or shares; NaN = leave alone).

    Sells first (their cash is usable the same day), then buys scaled down together when their cost exceeds the
    cash left after the sells, then each buy cut to its own cash (:func:`plan_day_nb`, :func:`scale_buys_nb`,
    :func:`_fill_one`). ``reserve`` and ``hold`` as in :func:`plan_day_nb`. ``px``, ``delta``, ``buy_q`` are (n,)
    scratch arrays. Returns ``(rec, n_rec)``.
    """
    n = book.pos.shape[0]
    slippage = c.slippage
    n_buy, buy_cost = plan_day_nb(
        m, c, t, book.pos, book.last_px, book.cash[0], tg_col, target_is_weight, price_mode, reserve, hold, px,
        delta,
    )  # fmt: skip
    # the stocks to fill are listed first: a loop over every stock with a call inside it pays numba's reference
    # counting of the call's arrays on every iteration
    orders = np.empty(n, dtype=np.int64)
    n_sell = 0
    for s in range(n):
        if delta[s] < 0.0:
            orders[n_sell] = s
            n_sell += 1
    for j in range(n_sell):
        s = orders[j]
        p = px[s] * (1.0 - slippage) if px[s] > 0.0 else np.nan
        rec, n_rec = _fill_one(m, c, book, s, t, delta[s], p, rec, n_rec)
    if n_buy > 0:
        scale_buys_nb(m, c, book.cash[0], delta, n_buy, buy_cost, buy_q)
        k = 0
        for s in range(n):
            if delta[s] > 0.0:
                orders[k] = s
                k += 1
        for j in range(k):
            s = orders[j]
            p = px[s] * (1.0 + slippage) if px[s] > 0.0 else np.nan
            rec, n_rec = _fill_one(m, c, book, s, t, buy_q[s], p, rec, n_rec)
    return rec, n_rec


@njit(cache=True)
def simulate_targets_nb(m, c, ev, target_t, target_is_weight, lag, price_mode, init_cash, out_pos):
    """Rebalance to ``target_t[k]`` (day-major (T, n): weights of equity or shares; NaN = leave alone) on day
    ``k + lag``, per :func:`rebalance_day`, after the day's corporate actions.

    The days' targets and closes are read as contiguous rows (``target_t``, and a day-major copy of the closes):
    every stock is visited every day, and a column of a stock-major array costs a cache and TLB miss per stock.
    Returns ``(cash[T], equity[T], gross[T], positions[n, T] or (0, 0), records[n_rec, 10])``.
    """
    n, T = m.close.shape
    close_t = np.empty((T, n))
    day_major(m.close, close_t)
    book = _new_book(n, T, init_cash, out_pos)
    rec = np.empty((1024, _NREC))
    n_rec = 0
    ev_ptr = 0
    px = np.empty(n)
    delta = np.zeros(n)
    buy_q = np.zeros(n)
    for t in range(T):
        ev_ptr = _start_day(t, ev, ev_ptr, book)
        k = t - lag
        if k >= 0:
            rec, n_rec = rebalance_day(
                m,
                c,
                book,
                target_t[k],
                t,
                target_is_weight,
                price_mode,
                0.0,
                False,
                px,
                delta,
                buy_q,
                rec,
                n_rec,
            )
        _end_day(t, close_t[t], book)
    return book.out_cash, book.out_equity, book.out_gross, book.out_pos, rec[:n_rec].copy()


@njit(cache=True)
def simulate_orders_nb(m, c, ev, order_day, order_stock, order_qty, order_price_mode, init_cash, out_pos):
    """Execute explicit orders (sorted by day; within a day in the given sequence) of signed share quantities.

    ``order_day`` is the day the order fills, ``order_price_mode`` its price (``PRICE_*``).  Unlike the target
    driver, nothing is reordered, so a buy followed by a sell of the same stock on one day meets T+1.
    Returns the same tuple as :func:`simulate_targets_nb`.
    """
    n, T = m.close.shape
    book = _new_book(n, T, init_cash, out_pos)
    rec = np.empty((1024, _NREC))
    n_rec = 0
    ev_ptr = 0
    o = 0
    n_ord = order_day.shape[0]
    for t in range(T):
        ev_ptr = _start_day(t, ev, ev_ptr, book)
        while o < n_ord and order_day[o] < t:
            o += 1
        while o < n_ord and order_day[o] == t:
            s = order_stock[o]
            q = order_qty[o]
            p = _fill_price(m, s, t, order_price_mode[o], c.slippage, 1 if q > 0 else -1)
            rec, n_rec = _fill_one(m, c, book, s, t, q, p, rec, n_rec)
            o += 1
        _end_day(t, m.close[:, t], book)
    return book.out_cash, book.out_equity, book.out_gross, book.out_pos, rec[:n_rec].copy()


@njit(cache=True)
def round_trips_nb(rec: np.ndarray, n_stocks: int) -> np.ndarray:
    """Position episodes (flat -> flat) per stock from day-ordered records.

    Returns rows ``(stock, entry_day, exit_day, cost, proceeds, pnl)``: ``cost`` = CNY paid for buys including
    fees, ``proceeds`` = CNY received for sells net of fees, ``pnl = proceeds - cost``.  Open episodes at the end
    are not returned.
    """
    entry = np.full(n_stocks, -1.0)
    cost = np.zeros(n_stocks)
    proceeds = np.zeros(n_stocks)
    out = np.empty((max(rec.shape[0], 1), 6))
    k = 0
    for i in range(rec.shape[0]):
        f = rec[i, 3]
        if f == 0.0:
            continue
        s = int(rec[i, 0])
        value = abs(f) * rec[i, 4]
        fees = rec[i, 5] + rec[i, 6] + rec[i, 7]
        if f > 0.0:
            if entry[s] < 0.0:
                entry[s] = rec[i, 1]
                cost[s] = 0.0
                proceeds[s] = 0.0
            cost[s] += value + fees
        else:
            proceeds[s] += value - fees
            if rec[i, 9] <= 0.0 and entry[s] >= 0.0:
                out[k, 0] = s
                out[k, 1] = entry[s]
                out[k, 2] = rec[i, 1]
                out[k, 3] = cost[s]
                out[k, 4] = proceeds[s]
                out[k, 5] = proceeds[s] - cost[s]
                k += 1
                entry[s] = -1.0
    return out[:k].copy()
