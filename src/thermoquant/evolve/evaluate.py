"""Out-of-sample comparison of three arms on one fold's test segment, per chunk of stocks.

Arms (seed 000 §四 "does it help?"): ``defaults`` (the strategy's fixed defaults), ``calibrated`` (the first pack
fitted on bars before the segment), ``nightly`` (the calibrated pack, then each day's regression: the pack in
force on a day comes from the regression of the previous day). Every arm starts the segment flat and closes at
its end, so each segment is out of sample for all three.

Features are computed once per chunk on the bars before the segment's end; the physics is causal (each bar from
past bars only) and forward adjustment only rescales prices, so a day's features equal those of a cut at that
day up to rounding. The calibration of the fold itself is cut at the segment's start (:mod:`.task`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thermoquant.evolve import space
from thermoquant.evolve.config import EvolveConfig
from thermoquant.evolve.features import Features
from thermoquant.evolve.kernels import STATS, TRADE, simulate
from thermoquant.evolve.model import nightly_step, window_stats, windows

ARMS: tuple[str, ...] = ("defaults", "calibrated", "nightly")


@dataclass
class ArmTotals:
    """Per arm: trade statistics summed over stocks on the segment (OOS) and on the training windows (IS), and
    the sum over stocks of each segment day's sleeve return (flat = 0), with the number of stocks."""

    oos: np.ndarray  # (len(ARMS), len(STATS))
    is_: np.ndarray  # (len(ARMS), len(STATS))
    day: np.ndarray  # day numbers of the segment
    daily: np.ndarray  # (len(ARMS), n_days) summed sleeve returns
    stocks: int
    changes: int  # nightly pack changes accepted in the segment


def evaluate_stocks(feats: Features, packs: list[np.ndarray], seg_from: int, cfg: EvolveConfig,
                    consts: np.ndarray) -> ArmTotals:  # fmt: skip
    """The three arms for every stock of ``feats`` on its rows from day ``seg_from`` on; ``packs``: each stock's
    calibrated pack (feats order)."""
    F, off = feats.F, feats.offsets
    seg_days = np.unique(feats.day[feats.day >= seg_from])
    totals = ArmTotals(np.zeros((3, len(STATS))), np.zeros((3, len(STATS))), seg_days,
                       np.zeros((3, seg_days.shape[0])), 0, 0)  # fmt: skip
    default = space.default_vector()
    no_trades = np.empty((0, len(TRADE)))
    for i in range(len(feats.stocks)):
        s0, e = int(off[i]), int(off[i + 1])
        a = s0 + int(np.searchsorted(feats.day[s0:e], seg_from, side="left"))
        if e - a < 2:
            continue
        totals.stocks += 1
        cal = packs[i]
        rows = np.empty((e - a, len(space.NAMES)))
        current = cal
        for r in range(a, e):
            rows[r - a] = current
            step = nightly_step(F, s0, r + 1, current, cfg, consts)
            if step.changed:
                current = step.vector
                totals.changes += 1
        pos = np.searchsorted(seg_days, feats.day[a:e])
        for k, (prm, per_row) in enumerate(((default[None, :], False), (cal[None, :], False), (rows, True))):
            daily = np.zeros(e - a)
            simulate(F, s0, a, e, np.ascontiguousarray(prm), per_row, consts, totals.oos[k], no_trades, daily)
            totals.daily[k, pos] += daily
        win = windows(s0, a, cfg)
        if win is not None:
            is_stats = window_stats(F, s0, win[0], np.vstack([default, cal]), cfg, consts)
            totals.is_[0] += is_stats[0]
            totals.is_[1] += is_stats[1]
            totals.is_[2] += is_stats[1]
    return totals
