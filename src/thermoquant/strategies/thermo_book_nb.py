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

R_NONE, R_BUY_B, R_BUY_C, R_EXIT, R_TP, R_SL = range(6)
REASONS: tuple[str, ...] = ("", "buy_b", "buy_c", "exit", "take_profit", "stop_loss")
GROUP_NAMES: tuple[str, ...] = ("", "B", "C")


@njit(cache=True)
def _in_top(
    score: np.ndarray, events: np.ndarray, eligible: np.ndarray, frac: float, cands: np.ndarray
) -> np.ndarray:
    """Whether each of ``cands`` (row indices of one day) is among the top ``frac`` of the day's eligible rows with
    a finite score (exact count, ceil): the first of a stable sort by key = -(score + 1e-9 * events), i.e. row r is
    in when fewer than that count of rows come before it (a lower key, or an equal key on an earlier row).  One pass
    per candidate, no sort (a day has a few candidates and thousands of rows)."""
    n = score.shape[0]
    key = np.empty(n)
    m = 0
    for i in range(n):
        ok = eligible[i] and score[i] == score[i]
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
def book_nb(
    close: np.ndarray,
    eligible: np.ndarray,
    cand_b: np.ndarray,
    cand_c: np.ndarray,
    exit_flag: np.ndarray,
    score: np.ndarray,
    events: np.ndarray,
    tp: np.ndarray,
    sl: np.ndarray,
    b_top_fraction: float,
    b_slots: int,
    c_slots: int,
    slot_weight: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(weight, reason, group, in_top): weight NaN where the target does not change; reason :data:`REASONS`
    codes; group 1 = B, 2 = C of the holding on each day (0 = not held); in_top the B filter on candidate days."""
    T, n = close.shape
    weight = np.full((T, n), np.nan)
    reason = np.zeros((T, n), dtype=np.int8)
    group = np.zeros((T, n), dtype=np.int8)
    in_top = np.zeros((T, n), dtype=np.bool_)
    held = np.zeros(n, dtype=np.int8)
    entry = np.full(n, np.nan)
    e_tp = np.zeros(n)
    e_sl = np.zeros(n)
    n_b = 0
    n_c = 0
    for t in range(T):
        sold = np.zeros(n, dtype=np.bool_)
        for i in range(n):
            if held[i] == 0 or close[t, i] != close[t, i]:
                continue
            code = R_NONE
            if exit_flag[t, i]:
                code = R_EXIT
            elif close[t, i] >= entry[i] * (1.0 + e_tp[i]):
                code = R_TP
            elif close[t, i] <= entry[i] * (1.0 - e_sl[i]):
                code = R_SL
            if code != R_NONE:
                weight[t, i] = 0.0
                reason[t, i] = code
                if held[i] == 1:
                    n_b -= 1
                else:
                    n_c -= 1
                held[i] = 0
                sold[i] = True
        # B group
        if n_b < b_slots:
            m = 0
            cb = np.empty(n, dtype=np.int64)
            for i in range(n):
                if cand_b[t, i] and eligible[t, i]:
                    cb[m] = i
                    m += 1
            top = _in_top(score[t], events[t], eligible[t], b_top_fraction, cb[:m])
            k = 0
            for j in range(m):
                i = cb[j]
                in_top[t, i] = top[j]
                if top[j] and held[i] == 0 and not sold[i] and close[t, i] == close[t, i]:
                    cb[k] = i
                    k += 1
            m = k
            for i in _take(cb[:m], score[t], b_slots - n_b):
                held[i] = 1
                n_b += 1
                entry[i] = close[t, i]
                e_tp[i] = tp[t, i]
                e_sl[i] = sl[t, i]
                weight[t, i] = slot_weight
                reason[t, i] = R_BUY_B
        # C group
        if n_c < c_slots:
            m = 0
            cc = np.empty(n, dtype=np.int64)
            for i in range(n):
                if (
                    cand_c[t, i]
                    and eligible[t, i]
                    and held[i] == 0
                    and not sold[i]
                    and close[t, i] == close[t, i]
                ):
                    cc[m] = i
                    m += 1
            for i in _take(cc[:m], score[t], c_slots - n_c):
                held[i] = 2
                n_c += 1
                entry[i] = close[t, i]
                e_tp[i] = tp[t, i]
                e_sl[i] = sl[t, i]
                weight[t, i] = slot_weight
                reason[t, i] = R_BUY_C
        for i in range(n):
            group[t, i] = held[i]
    return weight, reason, group, in_top
