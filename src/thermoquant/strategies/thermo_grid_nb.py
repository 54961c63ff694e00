"""Numba kernels placing long (symbol, trade_date) rows on the strategy's (symbols × dates) grid.

Dates are Polars ``Date`` values as int days since 1970-01-01; the grid's dates are the sorted distinct days of the
rows. One pass each over the rows, no sort (the rows are sorted by symbol, then date, or come in per-symbol blocks).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def run_offsets(run: np.ndarray) -> np.ndarray:
    """Start row of every run of equal neighbours in ``run`` (e.g. a symbol column's ``rle_id``), then its length:
    stock s owns rows [offsets[s], offsets[s + 1]). One pass, no temporary."""
    n = run.shape[0]
    count = 1 if n else 0
    for r in range(1, n):
        count += run[r] != run[r - 1]
    out = np.empty(count + 1, dtype=np.int64)
    out[0] = 0
    m = 1
    for r in range(1, n):
        if run[r] != run[r - 1]:
            out[m] = r
            m += 1
    out[count] = n
    return out


@njit(cache=True)
def date_rank(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct days int64, each row's position in them, int32) of ``days`` (int days, any order; not
    empty)."""
    lo = days[0]
    hi = days[0]
    for v in days:
        lo = min(lo, v)
        hi = max(hi, v)
    rank = np.full(hi - lo + 1, -1, dtype=np.int64)  # calendar day -> position among the distinct days
    for v in days:
        rank[v - lo] = 0
    m = 0
    for j in range(rank.shape[0]):
        if rank[j] == 0:
            rank[j] = m
            m += 1
    distinct = np.empty(m, dtype=np.int64)
    pos = np.empty(days.shape[0], dtype=np.int32)
    for i in range(days.shape[0]):
        r = rank[days[i] - lo]
        pos[i] = r
        distinct[r] = days[i]
    return distinct, pos


@njit(cache=True)
def is_full(si: np.ndarray, di: np.ndarray, n: int, T: int) -> bool:
    """Rows are every symbol on every date in (symbol, date) order: row r is symbol r // T on date r % T."""
    if si.shape[0] != n * T:
        return False
    r = 0
    for s in range(n):
        for t in range(T):
            if si[r] != s or di[r] != t:
                return False
            r += 1
    return True


@njit(cache=True)
def _day_slots(grid_days: np.ndarray, days: np.ndarray) -> tuple[int, np.ndarray]:
    """(base, slots): slots[d − base] is the position of day d in ``grid_days`` (sorted int days, not empty), -1
    when d is not a grid date, for every day d of ``days`` and of the grid."""
    base = grid_days[0]
    top = grid_days[-1]
    for d in days:
        base = min(base, d)
        top = max(top, d)
    slots = np.full(top - base + 1, -1, dtype=np.int64)
    for j in range(grid_days.shape[0]):
        slots[grid_days[j] - base] = j
    return base, slots


@njit(inline="always")
def _cell(slot: int, known: bool, sym: int, T: int) -> int:
    """Grid cell (symbol × T + date) of a quote row on grid date ``slot`` (-1: not a grid date) of grid symbol
    ``sym`` (valid when ``known``); -1 off the grid.  Scalars only: an inlined helper taking arrays would pay a
    reference-count update per array per call."""
    return sym * T + slot if slot >= 0 and known else -1


@njit(cache=True)
def at_least(
    run: np.ndarray,
    head_sym: np.ndarray,
    head_known: np.ndarray,
    days: np.ndarray,
    grid_days: np.ndarray,
    values: np.ndarray,
    fill: float,
    threshold: float,
    n: int,
    si: np.ndarray,
    di: np.ndarray,
) -> np.ndarray:
    """Per row (grid symbol ``si`` < ``n``, grid date ``di``): whether the value of the quote row on its cell (the
    last of quote rows on the same cell; ``fill`` where none) is >= ``threshold`` (NaN: False).

    Quote row r belongs to symbol run ``run[r]``, whose grid position is ``head_sym`` (valid where
    ``head_known``), on day ``days[r]`` (int days; ``grid_days`` the grid's sorted dates, not empty).  When the
    quotes (those on the grid) and the rows both come in grid order, one merge walk does it without the (n × T)
    grid (a whole-market grid is ~100 MB of fresh memory); else the quotes are placed on that grid first.  Cells
    are computed on the fly, never stored."""
    T = grid_days.shape[0]
    base, slots = _day_slots(grid_days, days)
    nr = si.shape[0]
    out = np.empty(nr, dtype=np.bool_)
    missing = fill >= threshold
    ordered = True
    for r in range(1, nr):
        if si[r] * T + di[r] <= si[r - 1] * T + di[r - 1]:
            ordered = False
            break
    if ordered:  # walk the quotes; row j waits for the quotes of its cell (the last one wins)
        j = 0
        hit = False
        prev = -1
        for r in range(days.shape[0]):
            h = run[r]
            c = _cell(slots[days[r] - base], head_known[h], head_sym[h], T)
            if c < 0:
                continue
            if c < prev:  # quotes out of grid order: the grid path below
                ordered = False
                break
            prev = c
            while j < nr and si[j] * T + di[j] < c:
                if not hit:
                    out[j] = missing
                hit = False
                j += 1
            if j < nr and si[j] * T + di[j] == c:
                out[j] = np.float64(values[r]) >= threshold
                hit = True
        if ordered:
            while j < nr:
                if not hit:
                    out[j] = missing
                hit = False
                j += 1
            return out
    grid = np.full(n * T, fill)
    for r in range(days.shape[0]):
        h = run[r]
        c = _cell(slots[days[r] - base], head_known[h], head_sym[h], T)
        if c >= 0:
            grid[c] = values[r]
    for r in range(nr):
        out[r] = grid[si[r] * T + di[r]] >= threshold
    return out


@njit(cache=True)
def runs_sorted(run: np.ndarray, days: np.ndarray) -> bool:
    """Days strictly increase inside every run of equal ``run`` ids (rows sorted by date within a symbol)."""
    for r in range(1, run.shape[0]):  # noqa: SIM110 - numba compiles no generator in all()
        if run[r] == run[r - 1] and not days[r] > days[r - 1]:
            return False
    return True
