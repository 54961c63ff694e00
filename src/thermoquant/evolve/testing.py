"""One calibration and one nightly pass on an executor, as comparable values (for tests and benchmarks that
check two executors give the same packs bit for bit)."""

from __future__ import annotations

from thermoquant.evolve import runner
from thermoquant.evolve.config import EvolveConfig
from thermoquant.evolve.executors import Executor
from thermoquant.evolve.features import BarBundle
from thermoquant.evolve.task import TaskResult


def decisions(results: list[TaskResult]) -> dict[str, tuple]:
    """Everything a stock's decision says (pack vectors as bytes: bit for bit)."""
    return {p.symbol: (p.decision.vector.tobytes(), p.decision.changed, p.decision.reason, repr(p.decision.figures),
                       p.decision.is_score, p.decision.oos_score, p.data_end)
            for r in results for p in r.packs}  # fmt: skip


def run_passes(ex: Executor, bundle: BarBundle, valid_from: int, cfg: EvolveConfig) -> dict[str, dict]:
    """Market pack, calibration, then a nightly pass from the calibrated packs, all valid from ``valid_from``."""
    market, figures = runner.market_pack(ex, bundle, valid_from, cfg)
    cal = runner.calibrate(ex, bundle, valid_from, cfg, market)
    incumbents = {p.symbol: p.decision.vector for r in cal for p in r.packs}
    night = runner.nightly(ex, bundle, valid_from, cfg, incumbents, market)
    return {"market": {"m": (market.tobytes(), repr(figures))}, "calibrate": decisions(cal),
            "nightly": decisions(night)}  # fmt: skip
