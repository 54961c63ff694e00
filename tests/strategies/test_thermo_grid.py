"""thermo_grid_nb.scatter_gather: the merge walk (rows and quotes in grid order) and the grid path give the values
of the definition (quotes placed on the grid, the last of equal cells winning, read back at the rows' cells)."""

from __future__ import annotations

import numpy as np
import pytest

from thermoquant.strategies import thermo_grid_nb as gnb


def _reference(cell, values, fill, size, si, di, T) -> np.ndarray:  # type: ignore[no-untyped-def]
    grid = [fill] * size
    for c, v in zip(cell.tolist(), values.tolist(), strict=True):
        if c >= 0:
            grid[c] = v
    return np.array([grid[s * T + d] for s, d in zip(si.tolist(), di.tolist(), strict=True)])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("ordered", [True, False])
def test_scatter_gather_equals_the_definition(seed: int, ordered: bool) -> None:
    rng = np.random.default_rng(seed)
    n, T = 7, 23
    size = n * T
    # rows: a sorted subset of the grid's cells (suspended days missing), as the physics rows are
    row_cells = np.sort(rng.choice(size, size=rng.integers(1, size), replace=False))
    si, di = row_cells // T, row_cells % T
    # quotes: a superset-ish sample with cells off the grid (-1) and repeated cells (the last wins)
    cell = np.sort(rng.choice(size, size=size // 2, replace=True))
    cell[rng.random(cell.shape[0]) < 0.1] = -1
    if not ordered:
        cell = rng.permutation(cell)
    values = rng.normal(size=cell.shape[0])
    got = gnb.scatter_gather(cell, values, -7.0, size, si, di, T)
    assert gnb._merge_ready(cell, si, di, T) == ordered
    np.testing.assert_array_equal(got, _reference(cell, values, -7.0, size, si, di, T))


def test_rows_out_of_grid_order_take_the_grid_path() -> None:
    T = 5
    si, di = np.array([1, 0]), np.array([0, 3])
    cell = np.array([3, 5])
    values = np.array([1.5, 2.5])
    assert not gnb._merge_ready(cell, si, di, T)
    np.testing.assert_array_equal(gnb.scatter_gather(cell, values, 0.0, 10, si, di, T), [2.5, 1.5])
