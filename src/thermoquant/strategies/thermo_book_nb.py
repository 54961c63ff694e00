"""Numba kernel of the thermo book: which stocks the strategy holds each day, by group, with its exits.

Dense day-major (n_days, n_symbols) inputs, so each day is one contiguous row; a day without a bar has NaN
``close``. Day by day (decisions at the close):

1. each holding leaves on its exit flag (state left B/C, physical stop, burnout …), or when the close reaches the
   take-profit (entry × (1 + tp)) or the stop-loss (entry × (1 − sl)) written with its BUY;
2. B group: stocks with a B entry today, eligible, and among the top ``b_top_fraction`` of the day's eligible
   stocks by ``score`` (ties: more resolved events first, then row order), best score first, into free B slots;
3. C group: eligible C buy points, best score first, into free C slots.

A stock sold today is not bought again the same day. Output codes (:data:`REASONS`) say why each target changed.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

F_ELIGIBLE, F_ENTER_B, F_BUY_C, F_EXIT = 1, 2, 4, 8
"""Bits of the ``flags`` input: in the day's universe, entering B, a C buy point, an exit flag."""
R_NONE, R_BUY_B, R_BUY_C, R_EXIT, R_TP, R_SL = range(6)
REASONS: tuple[str, ...] = ("", "buy_b", "buy_c", "exit", "take_profit", "stop_loss")
GROUP_NAMES: tuple[str, ...] = ("", "B", "C")


@njit(cache=True)
def _in_top(
    score: np.ndarray, events: np.ndarray, flags: np.ndarray, frac: float, cands: np.ndarray
) -> np.ndarray:
    """Whether each of ``cands`` (row indices of one day) is among the top ``frac`` of the day's eligible rows (bit
    F_ELIGIBLE of ``flags``) with a finite score (exact count, ceil): the first of a stable sort by key =
    -(score + 1e-9 * events), i.e. row r is in when fewer than that count of rows come before it (a lower key, or
    an equal key on an earlier row).  One pass per candidate, no sort (a day has a few candidates and thousands of
    rows)."""
    n = score.shape[0]
    key = np.empty(n)
    m = 0
    for i in range(n):
        ok = (flags[i] & F_ELIGIBLE) != 0 and score[i] == score[i]
        m += ok
        key[i] = -(score[i] + 1e-9 * min(events[i], 1e6)) if ok else np.inf  # a finite score's key is finite
    keep = min(math.ceil(frac * m), m)
    out = np.zeros(cands.shape[0], dtype=np.bool_)
    for c in range(cands.shape[0]):
        r = cands[c]
        kr = key[r]
        if kr == np.inf or keep <= 0:
            continue
        before = 0
        for j in range(r):  # branch-free counts: they vectorise
            before += key[j] <= kr
        for j in range(r, n):
            before += key[j] < kr
        out[c] = before < keep
    return out


@njit(cache=True)
def _take(cands: np.ndarray, score: np.ndarray, room: int) -> np.ndarray:
    """Up to ``room`` of ``cands`` (row indices), highest score first (NaN last), stable."""
    if room <= 0 or cands.shape[0] == 0:
        return cands[:0]
    key = np.empty(cands.shape[0])
    for j in range(cands.shape[0]):
        sc = score[cands[j]]
        key[j] = -sc if sc == sc else np.inf
    order = np.argsort(key, kind="mergesort")
    return cands[order[: min(room, cands.shape[0])]]


@njit(cache=True)
def _grow(a: np.ndarray, m: int) -> np.ndarray:
    """``a`` with room for at least ``m`` + 1 entries (doubled when full)."""
    if m < a.shape[0]:
        return a
    out = np.empty(2 * a.shape[0], dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


@njit(cache=True)
def book_nb(
    close: np.ndarray,
    flags: np.ndarray,
    score: np.ndarray,
    events: np.ndarray,
    tp: np.ndarray,
    sl: np.ndarray,
    b_top_fraction: float,
    b_slots: int,
    c_slots: int,
    slot_weight: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The target changes, in the order they were made (day by day; on a day exits, then B buys, then C buys):
    (day, stock, weight, reason) arrays — weight 0 for an exit, ``slot_weight`` for a buy; reason
    :data:`REASONS` codes (:func:`held_groups` turns them into each day's holdings) — and the (day, stock) cells
    of B candidates that passed the top filter (``in_top``).  ``flags``: the bits F_* of each (day, stock)."""
    T, n = close.shape
    ct = np.empty(1024, dtype=np.int32)
    ci = np.empty(1024, dtype=np.int32)
    cr = np.empty(1024, dtype=np.int8)
    n_ch = 0
    tt = np.empty(1024, dtype=np.int32)
    ti = np.empty(1024, dtype=np.int32)
    n_top = 0
    held = np.zeros(n, dtype=np.int8)
    entry = np.full(n, np.nan)
    e_tp = np.zeros(n)
    e_sl = np.zeros(n)
    n_b = 0
    n_c = 0
    sold = np.zeros(n, dtype=np.bool_)
    cb = np.empty(n, dtype=np.int64)
    for t in range(T):
        sold[:] = False
        for i in range(n):
            if held[i] == 0 or close[t, i] != close[t, i]:
                continue
            code = R_NONE
            if flags[t, i] & F_EXIT:
                code = R_EXIT
            elif close[t, i] >= entry[i] * (1.0 + e_tp[i]):
                code = R_TP
            elif close[t, i] <= entry[i] * (1.0 - e_sl[i]):
                code = R_SL
            if code != R_NONE:
                ct, ci, cr = _grow(ct, n_ch), _grow(ci, n_ch), _grow(cr, n_ch)
                ct[n_ch], ci[n_ch], cr[n_ch] = t, i, code
                n_ch += 1
                if held[i] == 1:
                    n_b -= 1
                else:
                    n_c -= 1
                held[i] = 0
                sold[i] = True
        for grp in (1, 2):  # B group, then C group
            room = b_slots - n_b if grp == 1 else c_slots - n_c
            if room <= 0:
                continue
            m = 0
            want = F_ELIGIBLE | (F_ENTER_B if grp == 1 else F_BUY_C)
            for i in range(n):
                if (flags[t, i] & want) == want:
                    cb[m] = i
                    m += 1
            if grp == 1:
                top = _in_top(score[t], events[t], flags[t], b_top_fraction, cb[:m])
                k = 0
                for j in range(m):
                    i = cb[j]
                    if top[j]:
                        tt, ti = _grow(tt, n_top), _grow(ti, n_top)
                        tt[n_top], ti[n_top] = t, i
                        n_top += 1
                        cb[k] = i
                        k += 1
                m = k
            k = 0
            for j in range(m):
                i = cb[j]
                if held[i] == 0 and not sold[i] and close[t, i] == close[t, i]:
                    cb[k] = i
                    k += 1
            for i in _take(cb[:k], score[t], room):
                held[i] = grp
                if grp == 1:
                    n_b += 1
                else:
                    n_c += 1
                entry[i] = close[t, i]
                e_tp[i] = tp[t, i]
                e_sl[i] = sl[t, i]
                ct, ci, cr = _grow(ct, n_ch), _grow(ci, n_ch), _grow(cr, n_ch)
                ct[n_ch], ci[n_ch], cr[n_ch] = t, i, R_BUY_B if grp == 1 else R_BUY_C
                n_ch += 1
    cw = np.where(cr[:n_ch] >= R_EXIT, 0.0, slot_weight)
    return ct[:n_ch], ci[:n_ch], cw, cr[:n_ch], tt[:n_top], ti[:n_top]


@njit(cache=True)
def held_groups(T: int, n: int, ct: np.ndarray, ci: np.ndarray, cr: np.ndarray) -> np.ndarray:
    """(T, n) int8: the group held at each day's close (1 = B, 2 = C, 0 = none), from :func:`book_nb`'s changes
    (in the order made)."""
    out = np.empty((T, n), dtype=np.int8)
    held = np.zeros(n, dtype=np.int8)
    j = 0
    for t in range(T):
        while j < ct.shape[0] and ct[j] == t:
            r = cr[j]
            held[ci[j]] = 1 if r == R_BUY_B else (2 if r == R_BUY_C else 0)
            j += 1
        out[t] = held
    return out
