"""Benchmark: limit prices and fees over a full-market panel (5,000 symbols × 2,500 sessions).

Prints each thermoquant figure beside its peer measured in the same run, with the ratio:

* `limit_prices` (numba, integer ticks, exact half-up) vs NumPy `np.round(prev_close * (1 + pct), 2)` — the usual
  one-liner, which is also *wrong* on some half-cent cases (banker's rounding and float error); the count of prices
  it gets wrong is printed too.
* `limit_pcts` (dated rule tables, vectorised) vs a per-row Python loop over the scalar `limit_pct` (timed on a
  sample and scaled).
* `FeeModel.costs` (vectorised) vs a per-order loop over `FeeModel.cost` (sample, scaled).

Prev closes come from the real xbx 2021 whole-market window when present (tiled to the panel size), otherwise
from a seeded lognormal draw on the 0.01 grid.
Run: `.venv/bin/python benchmarks/bench_market_limits.py`
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from thermoquant.market.fees import FeeModel
from thermoquant.market.limits import limit_pct, limit_pcts, limit_prices
from thermoquant.market.symbols import Board

N_SYMBOLS, N_DAYS = 5000, 2500
REAL = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "real"
    / "xbx_market"
    / "market_2021-01_2022-01.parquet"
)


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time in seconds of `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def prev_closes() -> tuple[np.ndarray, str]:
    size = N_SYMBOLS * N_DAYS
    if REAL.exists():
        import polars as pl

        real = pl.read_parquet(REAL, columns=["preclose"])["preclose"].to_numpy()
        return np.resize(real, size).reshape(
            N_SYMBOLS, N_DAYS
        ), f"real xbx 2021 preclose ({len(real):,} tiled)"
    rng = np.random.default_rng(7)
    draw = np.round(np.exp(rng.normal(2.5, 0.9, size)), 2).clip(0.5)
    return draw.reshape(N_SYMBOLS, N_DAYS), "seeded lognormal draw"


def line(label: str, ours: float, peer_label: str, peer: float) -> None:
    print(
        f"{label:<46} {ours * 1e3:10.1f} ms | {peer_label:<44} {peer * 1e3:10.1f} ms | ratio {peer / ours:8.1f}x"
    )


def main() -> None:
    prev, source = prev_closes()
    print(
        f"panel {N_SYMBOLS:,} symbols × {N_DAYS:,} sessions = {prev.size:,} cells; prev_close from {source}"
    )
    rng = np.random.default_rng(11)
    boards = rng.choice(
        np.array([Board.SH_MAIN, Board.SZ_MAIN, Board.CHINEXT, Board.STAR, Board.BSE], dtype=np.int8),
        size=(N_SYMBOLS, 1),
        p=[0.35, 0.3, 0.2, 0.1, 0.05],
    )
    dates = (np.datetime64("2015-01-05") + np.arange(N_DAYS)).astype("datetime64[D]")[None, :]
    is_st = rng.random((N_SYMBOLS, 1)) < 0.03

    limit_prices(prev[:2, :2], 0.1)  # compile / load the numba cache before timing
    pct = np.where(np.isin(boards, [Board.CHINEXT, Board.STAR]), 0.2, 0.1) * np.ones((1, N_DAYS))
    ours = best_of(lambda: limit_prices(prev, pct))
    peer = best_of(lambda: (np.round(prev * (1 + pct), 2), np.round(prev * (1 - pct), 2)))
    line("limit_prices (numba, exact half-up)", ours, "np.round(prev*(1±pct), 2)", peer)
    up, down = limit_prices(prev, pct)
    wrong = int((np.round(prev * (1 + pct), 2) != up).sum() + (np.round(prev * (1 - pct), 2) != down).sum())
    print(f"{'':<46} np.round gets {wrong:,} of {2 * prev.size:,} limit prices wrong (half-cent cases)")

    ours = best_of(lambda: limit_pcts(boards, dates, is_st))
    sample = 2000
    flat_boards = np.broadcast_to(boards, prev.shape).ravel()[:sample]
    flat_dates = np.broadcast_to(dates, prev.shape).ravel()[:sample].astype(dt.date)
    flat_st = np.broadcast_to(is_st, prev.shape).ravel()[:sample]
    loop = best_of(
        lambda: [
            limit_pct(int(b), d, is_st=bool(s))
            for b, d, s in zip(flat_boards, flat_dates, flat_st, strict=True)
        ],
        repeat=1,
    )
    line(
        "limit_pcts (dated tables, vectorised)",
        ours,
        f"loop of scalar limit_pct (scaled from {sample:,})",
        loop * prev.size / sample,
    )

    n_orders = 1_000_000
    model = FeeModel()
    sides = rng.choice(np.array([1, -1], dtype=np.int8), n_orders)
    amounts = rng.uniform(1_000, 500_000, n_orders).round(2)
    order_dates = (np.datetime64("2021-11-15") + rng.integers(0, 1500, n_orders)).astype("datetime64[D]")
    order_boards = rng.choice(np.array([1, 2, 3, 4, 5], dtype=np.int8), n_orders)
    ours = best_of(lambda: model.costs(sides, amounts, order_dates, order_boards))
    sample = 2000
    symbols = {1: "600000.SH", 2: "000001.SZ", 3: "300750.SZ", 4: "688981.SH", 5: "830799.BJ"}
    rows = list(
        zip(
            sides[:sample],
            amounts[:sample],
            order_dates[:sample].astype(dt.date),
            order_boards[:sample],
            strict=True,
        )
    )
    loop = best_of(
        lambda: [model.cost(int(s), float(a), d, symbols[int(b)]) for s, a, d, b in rows], repeat=1
    )
    line(
        f"FeeModel.costs ({n_orders:,} orders)",
        ours,
        f"loop of FeeModel.cost (scaled from {sample:,})",
        loop * n_orders / sample,
    )


if __name__ == "__main__":
    main()
