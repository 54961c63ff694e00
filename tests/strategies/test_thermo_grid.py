"""thermo_grid_nb.at_least: the merge walk (rows and quotes in grid order) and the grid path give the values of the
definition (each quote row placed on its cell of the symbols × dates grid, the last of equal cells winning, read
back at the rows' cells, ``fill`` where no quote sits, compared with the threshold)."""

from __future__ import annotations

import numpy as np
import pytest

from thermoquant.strategies import thermo_grid_nb as gnb


def _quotes(rng: np.random.Generator, n: int, grid_days: np.ndarray, ordered: bool):  # type: ignore[no-untyped-def]
    """Quote rows in symbol blocks: (run, head_sym, head_known, days, cells by the definition)."""
    syms = np.sort(rng.integers(0, n + 2, size=40))  # symbols n, n + 1: not on the grid
    if not ordered:
        syms = rng.permutation(syms)
    # before, after, and inside the grid on a day that is not one of its dates (see grid_days)
    off_grid = np.array([grid_days[0] - 3, grid_days[-1] + 2, grid_days[0] + 1])
    days = np.where(rng.random(40) < 0.15, rng.choice(off_grid, 40), rng.choice(grid_days, 40))
    if ordered:  # within a symbol, dated in order (repeats allowed: the last wins)
        days = np.concatenate([np.sort(days[syms == s]) for s in np.unique(syms)])
    run = np.concatenate([[0], np.cumsum(syms[1:] != syms[:-1])]).astype(np.uint32)
    heads = syms[np.concatenate([[0], np.flatnonzero(syms[1:] != syms[:-1]) + 1])]
    head_known = heads < n
    head_sym = np.where(head_known, heads, 0).astype(np.int64)
    slot = {int(d): j for j, d in enumerate(grid_days)}
    cells = [
        int(s) * len(grid_days) + slot[int(d)] if s < n and int(d) in slot else -1
        for s, d in zip(syms, days, strict=True)
    ]
    return run, head_sym, head_known, days.astype(np.int32), cells


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("rows_ordered", "quotes_ordered"), [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("kind", ["float", "bool"])
def test_at_least_equals_the_definition(
    seed: int, rows_ordered: bool, quotes_ordered: bool, kind: str
) -> None:
    rng = np.random.default_rng(seed)
    n = 7
    grid_days = np.array([d for d in range(18000, 18030) if d != 18001], dtype=np.int64)  # 18001: not a date
    T = grid_days.shape[0]
    # rows: a sorted subset of the grid's cells (suspended days missing), as the physics rows are
    row_cells = np.sort(rng.choice(n * T, size=rng.integers(1, n * T), replace=False))
    if not rows_ordered:
        row_cells = rng.permutation(row_cells)
    si, di = (row_cells // T).astype(np.uint32), (row_cells % T).astype(np.int32)
    run, head_sym, head_known, days, cells = _quotes(rng, n, grid_days, quotes_ordered)
    values = rng.normal(size=40) if kind == "float" else rng.random(40) < 0.5
    values[rng.random(40) < 0.1] = np.nan if kind == "float" else values[0]
    grid = {}
    for c, v in zip(cells, values.tolist(), strict=True):
        if c >= 0:
            grid[c] = v
    fill, threshold = (-0.2, 0.1) if kind == "float" else (0.0, 0.5)
    want = [grid.get(int(c), fill) >= threshold for c in row_cells]
    got = gnb.at_least(run, head_sym, head_known, days, grid_days, values, fill, threshold, n, si, di)
    np.testing.assert_array_equal(got, want)


def test_rows_out_of_grid_order_take_the_grid_path() -> None:
    grid_days = np.arange(100, 105, dtype=np.int64)
    run = np.array([0, 1], dtype=np.uint32)
    head_sym, head_known = np.array([0, 1]), np.array([True, True])
    days = np.array([103, 100], dtype=np.int32)  # cells 3 and 5
    si, di = np.array([1, 0]), np.array([0, 3])  # rows: cell 5, then cell 3
    got = gnb.at_least(run, head_sym, head_known, days, grid_days, np.array([1.5, 2.5]), 0.0, 2.0, 2, si, di)
    np.testing.assert_array_equal(got, [True, False])
