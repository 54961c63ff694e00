"""The one task function both executors run: a chunk of stocks, NumPy arrays in, packs out.

``run_task(task, bundle)`` is pure (no store, no clock, no randomness beyond the seeds in the config): the same
task on the same bundle gives the same result bit for bit, in any process on any machine with the same package
versions. Kinds:

* ``pool`` — training-window statistics of the run's candidate set summed over the chunk's stocks (for the
  market-wide pack; summed by the parent in chunk order);
* ``calibrate`` — each stock's first pack (:func:`.model.calibrate_stock`);
* ``nightly`` — each stock's regression of the last day before ``valid_from`` (:func:`.model.nightly_step`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from thermoquant.evolve import space
from thermoquant.evolve.config import EvolveConfig
from thermoquant.evolve.evaluate import ArmTotals, evaluate_stocks
from thermoquant.evolve.features import BarBundle, Features, day_of, features
from thermoquant.evolve.kernels import STATS
from thermoquant.evolve.model import (
    Decision,
    calibrate_stock,
    candidates,
    nightly_step,
    window_stats,
    windows,
)

KINDS: tuple[str, ...] = ("pool", "calibrate", "nightly", "evaluate")
_CACHE: OrderedDict[tuple[int, int, int, int], Features] = OrderedDict()
_CACHE_SIZE = 4


@dataclass(frozen=True)
class Task:
    """Work on bundle stocks [lo, hi) for packs valid from day ``valid_from`` (day number, bars before it only).
    ``market``: the market-wide pack; ``incumbents``: (nightly) the pack in force per stock of the chunk."""

    kind: str
    chunk: int
    lo: int
    hi: int
    valid_from: int
    cfg: EvolveConfig
    market: tuple[float, ...] = ()
    incumbents: tuple[tuple[float, ...], ...] = ()
    seg_from: int = 0  # evaluate: first day of the out-of-sample segment (valid_from is its end, exclusive)


@dataclass
class StockPack:
    """A decision for one stock (bundle index, symbol, last bar day used)."""

    stock: int
    symbol: str
    data_end: int
    decision: Decision


@dataclass
class TaskResult:
    chunk: int
    kind: str
    packs: list[StockPack] = field(default_factory=list)
    pooled: np.ndarray | None = None
    arms: ArmTotals | None = None


def chunk_features(bundle: BarBundle, task: Task) -> Features:
    """Features of the task's stocks, cached per process (the pool and calibrate passes share them)."""
    history = task.cfg.history_days if task.kind == "nightly" else task.cfg.calibration_history
    if task.kind == "evaluate":
        history += task.valid_from - task.seg_from  # calendar days >= the segment's trading days
    key = (task.lo, task.hi, task.valid_from, history)
    if key not in _CACHE:
        _CACHE[key] = features(bundle, range(task.lo, task.hi), task.valid_from, history)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return _CACHE[key]


def run_task(task: Task, bundle: BarBundle) -> TaskResult:
    """Run one task (see the module docstring)."""
    if task.kind not in KINDS:
        raise ValueError(f"unknown evolve task kind {task.kind!r}")
    feats = chunk_features(bundle, task)
    cfg = task.cfg
    consts = cfg.consts()
    F, off = feats.F, feats.offsets
    result = TaskResult(task.chunk, task.kind)
    if task.kind == "pool":
        cands = np.vstack([space.default_vector()[None, :], candidates(cfg, cfg.seed)])
        total = np.zeros((cands.shape[0], len(STATS) + 1))
        for i in range(len(feats.stocks)):
            win = windows(int(off[i]), int(off[i + 1]), cfg)
            if win is not None:
                total[:, :-1] += window_stats(F, int(off[i]), win[0], cands, cfg, consts)
                total[:, -1] += 1.0
        result.pooled = total  # last column: stocks with a training window
        return result
    market = np.array(task.market, dtype=np.float64)
    if task.kind == "evaluate":
        packs = [np.array(task.incumbents[int(s) - task.lo], dtype=np.float64) for s in feats.stocks]
        result.arms = evaluate_stocks(feats, packs, task.seg_from, cfg, consts)
        return result
    for i, s in enumerate(feats.stocks):
        s0, end = int(off[i]), int(off[i + 1])
        symbol = bundle.symbols[int(s)]
        if task.kind == "calibrate":
            decision = calibrate_stock(F, s0, end, market, symbol, cfg, consts)
        else:
            inc = np.array(task.incumbents[int(s) - task.lo], dtype=np.float64)
            decision = nightly_step(F, s0, end, inc, cfg, consts)
        result.packs.append(StockPack(int(s), symbol, int(feats.day[end - 1]), decision))
    return result


def describe(pack: StockPack) -> dict[str, Any]:
    """Plain fields of a stock's decision (for rows and logs)."""
    d = pack.decision
    return {"symbol": pack.symbol, "data_end": day_of(pack.data_end), "params": space.to_pack(d.vector),
            "changed": d.changed, "reason": d.reason, "figures": d.figures, "is_score": d.is_score,
            "oos_score": d.oos_score, "n_trades": d.n_trades}  # fmt: skip
