"""A-share trading sessions: when a bar can end (wall-clock times, Asia/Shanghai; SSE, SZSE and BSE alike).

* opening call auction 09:15–09:25 (orders; the one match is at 09:25), continuous auction 09:30–11:30 and
  13:00–15:00 (the closing call auction 14:57–15:00 lies inside the afternoon session);
* after-hours fixed-price trading (盘后固定价格交易) 15:05–15:30 on the STAR market (from its first day,
  2019-07-22), ChiNext (from the registration reform, 2020-08-24) and the Beijing Stock Exchange (from its first
  day, 2021-11-15); other boards, indices and funds have none.

Minute bars are labelled by their END time (``minute_quote.bar_time``), as Chinese vendors label them: the first
5-minute bar of a day ends 09:35, the last 15:00; a 1-minute series runs 09:31 … 11:30, 13:01 … 15:00. A bar can
therefore end in ``(09:30, 11:30]`` or ``(13:00, 15:00]``. Two further labels are real and configurable:

* the **opening call-auction bar** (:data:`OPENING_AUCTION_BAR_ENDS`, default 09:25 and 09:30): vendors that give
  the auction's single print a bar of its own label it with the match time (09:25) or with the session open
  (09:30: Eastmoney's and miniQMT's 241 one-minute bars a day);
* the **after-hours fixed-price bars** ending in ``(15:05, 15:30]`` (:data:`AFTER_HOURS_SESSION`), real trades at
  the close on the boards of :data:`AFTER_HOURS_START` from their start date.

A bar ending at 13:00 (or 09:35 … 11:30 labelled by START time, which puts a bar at 13:00 and none at 15:00) is
outside every session: a series labelled by bar start is caught that way.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from thermoquant.market.symbols import Board

__all__ = [
    "AFTER_HOURS_SESSION",
    "AFTER_HOURS_START",
    "CONTINUOUS_SESSIONS",
    "OPENING_AUCTION_BAR_ENDS",
    "BarEnd",
    "bar_end_kinds",
    "describe_sessions",
]

CONTINUOUS_SESSIONS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(9, 30), dt.time(11, 30)),
    (dt.time(13, 0), dt.time(15, 0)),
)
"""Continuous-auction sessions (open, close): a bar may end after the open and up to the close inclusive."""

OPENING_AUCTION_BAR_ENDS: tuple[dt.time, ...] = (dt.time(9, 25), dt.time(9, 30))
"""Labels of the opening call-auction bar accepted by default (the match time, or the session open)."""

AFTER_HOURS_SESSION: tuple[dt.time, dt.time] = (dt.time(15, 5), dt.time(15, 30))
"""After-hours fixed-price trading (盘后固定价格交易): bars end after 15:05 and up to 15:30."""

AFTER_HOURS_START: dict[Board, dt.date] = {
    Board.STAR: dt.date(2019, 7, 22),
    Board.CHINEXT: dt.date(2020, 8, 24),
    Board.BSE: dt.date(2021, 11, 15),
}
"""Boards with after-hours fixed-price trading, and its first day on each."""


class BarEnd:
    """Kinds of bar-end time returned by :func:`bar_end_kinds` (int8 codes)."""

    CONTINUOUS = 0
    AUCTION = 1
    AFTER_HOURS = 2
    OUTSIDE = 3


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def bar_end_kinds(
    seconds_of_day: np.ndarray, auction_bar_ends: tuple[dt.time, ...] = OPENING_AUCTION_BAR_ENDS
) -> np.ndarray:
    """Vectorised: the :class:`BarEnd` kind of each bar-end time, given in seconds after midnight.

    Whether an ``AFTER_HOURS`` bar is allowed depends on the security's board and the date
    (:data:`AFTER_HOURS_START`); the caller decides.
    """
    s = np.asarray(seconds_of_day, dtype=np.int64)
    out = np.full(s.shape, BarEnd.OUTSIDE, dtype=np.int8)
    lo, hi = (_seconds(t) for t in AFTER_HOURS_SESSION)
    out[(s > lo) & (s <= hi)] = BarEnd.AFTER_HOURS
    out[np.isin(s, [_seconds(t) for t in auction_bar_ends])] = BarEnd.AUCTION
    for open_, close in CONTINUOUS_SESSIONS:
        out[(s > _seconds(open_)) & (s <= _seconds(close))] = BarEnd.CONTINUOUS
    return out


def describe_sessions(auction_bar_ends: tuple[dt.time, ...] = OPENING_AUCTION_BAR_ENDS) -> str:
    """The allowed bar ends in words, e.g. for an error message."""
    hm = "%H:%M"
    parts = [f"{a.strftime(hm)}–{b.strftime(hm)}" for a, b in CONTINUOUS_SESSIONS]
    if auction_bar_ends:
        parts.append("auction bar " + "/".join(t.strftime(hm) for t in auction_bar_ends))
    a, b = AFTER_HOURS_SESSION
    boards = ", ".join(board.label_zh for board in AFTER_HOURS_START)
    parts.append(f"{a.strftime(hm)}–{b.strftime(hm)} after hours ({boards})")
    return ", ".join(parts)
