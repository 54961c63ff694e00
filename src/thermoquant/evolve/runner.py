"""Orchestration over an executor (no store): chunking, the market-wide pack, calibration and nightly passes.

Chunks are fixed by ``chunk_size`` alone (never by the executor), and pooled statistics are summed in chunk
order, so the local pool, Ray and the in-process run give the same packs bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np

from thermoquant.evolve import space
from thermoquant.evolve.config import EvolveConfig
from thermoquant.evolve.executors import Executor
from thermoquant.evolve.features import BarBundle
from thermoquant.evolve.kernels import STATS
from thermoquant.evolve.model import best_of, candidates
from thermoquant.evolve.objective import score
from thermoquant.evolve.task import Task, TaskResult

MARKET = "MARKET"
"""``param_pack.symbol`` of the market-wide pack (the shrinkage target; not a security)."""

OnResult = Callable[[TaskResult], None]


def chunks(n_stocks: int, size: int) -> list[tuple[int, int]]:
    return [(lo, min(lo + size, n_stocks)) for lo in range(0, n_stocks, size)]


def market_pack(
    executor: Executor, bundle: BarBundle, valid_from: int, cfg: EvolveConfig
) -> tuple[np.ndarray, dict]:
    """The market-wide pack: the run's grid/random candidates (plus the defaults) scored on every stock's
    training window pooled; (vector, figures)."""
    parts = chunks(bundle.n_stocks, cfg.chunk_size)
    tasks = [Task("pool", i, lo, hi, valid_from, cfg) for i, (lo, hi) in enumerate(parts)]
    pooled: dict[int, np.ndarray] = {r.chunk: r.pooled for r in executor.run(tasks) if r.pooled is not None}
    cands = np.vstack([space.default_vector()[None, :], candidates(cfg, cfg.seed)])
    total = np.zeros((cands.shape[0], len(STATS) + 1))
    for i in sorted(pooled):
        total = total + pooled[i]
    stocks = float(total[0, -1])
    i = best_of(total[:, :-1], cfg, cfg.market_trades_per_stock * stocks)
    figures = {"candidates": int(cands.shape[0]), "stocks": int(stocks), "trades": int(total[i, 0]),
               "is_score": float(score(cfg.objective, total[i : i + 1], 0)[0]),
               "default_score": float(score(cfg.objective, total[:1], 0)[0])}  # fmt: skip
    return cands[i], figures


def calibrate(
    executor: Executor,
    bundle: BarBundle,
    valid_from: int,
    cfg: EvolveConfig,
    market: np.ndarray,
    skip: Iterable[int] = (),
    on_result: OnResult | None = None,
) -> list[TaskResult]:
    """Each stock's first pack valid from ``valid_from``; chunks in ``skip`` (done before) are not rerun."""
    done = set(skip)
    parts = chunks(bundle.n_stocks, cfg.chunk_size)
    tasks = [Task("calibrate", i, lo, hi, valid_from, cfg, tuple(market)) for i, (lo, hi) in enumerate(parts)
             if i not in done]  # fmt: skip
    return _collect(executor.run(tasks), on_result)


def nightly(
    executor: Executor,
    bundle: BarBundle,
    valid_from: int,
    cfg: EvolveConfig,
    incumbents: Mapping[str, np.ndarray],
    fallback: np.ndarray,
    skip: Iterable[int] = (),
    on_result: OnResult | None = None,
) -> list[TaskResult]:
    """Every stock's regression of its last day before ``valid_from``, from the pack in force (``incumbents`` by
    symbol, else ``fallback``)."""
    done = set(skip)
    tasks = []
    for i, (lo, hi) in enumerate(chunks(bundle.n_stocks, cfg.chunk_size)):
        if i in done:
            continue
        inc = tuple(tuple(incumbents.get(bundle.symbols[s], fallback)) for s in range(lo, hi))
        tasks.append(Task("nightly", i, lo, hi, valid_from, cfg, tuple(fallback), inc))
    return _collect(executor.run(tasks), on_result)


def _collect(results: Iterable[TaskResult], on_result: OnResult | None) -> list[TaskResult]:
    out = []
    for r in results:
        if on_result is not None:
            on_result(r)
        out.append(r)
    return sorted(out, key=lambda r: r.chunk)
