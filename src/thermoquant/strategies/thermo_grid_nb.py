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
def quote_cells(
    run: np.ndarray, head_sym: np.ndarray, head_known: np.ndarray, days: np.ndarray, grid_days: np.ndarray
) -> np.ndarray:
    """Grid cell (symbol × n_dates + date) of every quote row, -1 when its symbol is not on the grid or its day is
    not one of ``grid_days`` (sorted int days). Quote row r belongs to symbol run ``run[r]``, whose grid position
    is ``head_sym`` (valid where ``head_known``)."""
    T = grid_days.shape[0]
    cell = np.full(days.shape[0], -1, dtype=np.int64)
    if T == 0:
        return cell
    lo = grid_days[0]
    span = grid_days[T - 1] - lo + 1
    at = np.full(span, -1, dtype=np.int64)  # calendar day -> grid date, -1 off the grid
    for j in range(T):
        at[grid_days[j] - lo] = j
    for r in range(days.shape[0]):
        v = days[r] - lo
        h = run[r]
        if v >= 0 and v < span and at[v] >= 0 and head_known[h]:
            cell[r] = head_sym[h] * T + at[v]
    return cell


@njit(cache=True)
def _merge_ready(cell: np.ndarray, si: np.ndarray, di: np.ndarray, T: int) -> bool:
    """The quote cells (ignoring -1) do not decrease and the rows' cells strictly increase: both walk the grid in
    the same order (rows sorted by symbol, date; quotes in the same symbol blocks, dated in order)."""
    prev = -1
    for c in cell:
        if c >= 0:
            if c < prev:
                return False
            prev = c
    prev = -1
    for r in range(si.shape[0]):
        c = si[r] * T + di[r]
        if c <= prev:
            return False
        prev = c
    return True


@njit(cache=True)
def scatter_gather(
    cell: np.ndarray, values: np.ndarray, fill: float, size: int, si: np.ndarray, di: np.ndarray, T: int
) -> np.ndarray:
    """Values of the quote rows placed on the grid (``cell`` -1: skipped; the last of equal cells wins; ``fill``
    elsewhere), read back at the rows' cells (``si`` × ``T`` + ``di``).  When both come in grid order
    (:func:`_merge_ready`) one merge walk does it without the ``size``-cell grid (a whole-market grid is ~100 MB
    of fresh memory); the values are the same."""
    out = np.empty(si.shape[0])
    if _merge_ready(cell, si, di, T):
        j = 0
        m = cell.shape[0]
        for r in range(si.shape[0]):
            key = si[r] * T + di[r]
            v = fill
            while j < m and cell[j] <= key:  # -1 (off the grid) is below every key: skipped
                if cell[j] == key:
                    v = values[j]
                j += 1
            out[r] = v
        return out
    grid = np.full(size, fill)
    for r in range(cell.shape[0]):
        if cell[r] >= 0:
            grid[cell[r]] = values[r]
    for r in range(si.shape[0]):
        out[r] = grid[si[r] * T + di[r]]
    return out


@njit(cache=True)
def runs_sorted(run: np.ndarray, days: np.ndarray) -> bool:
    """Days strictly increase inside every run of equal ``run`` ids (rows sorted by date within a symbol)."""
    for r in range(1, run.shape[0]):  # noqa: SIM110 - numba compiles no generator in all()
        if run[r] == run[r - 1] and not days[r] > days[r - 1]:
            return False
    return True
