"""`tq evaluate evolve`: fixed defaults vs calibrated packs vs calibrated + nightly, walk-forward and out of
sample only, on whole-market windows (xbx ``market_*.parquet`` files).

Per window: folds start once a stock can have a full calibration history (warm-up + train + gap + test); fold k
calibrates on bars before day T_k and is scored on [T_k, T_k+1) (``step_days`` sessions), where every arm starts
flat (:mod:`thermoquant.evolve.evaluate`). Figures over all folds:

* trades, trade win rate, mean trade return (after ``cost``);
* return and maximum drawdown of the equal-sleeve portfolio: each stock owns 1/N of the capital, invested when
  its arm holds it, in cash otherwise; daily return = mean sleeve return;
* turnover: trades × 2 / (stocks × days) — the share of sleeves bought or sold per day;
* in-sample (the training windows) and out-of-sample (the segments) objective on pooled trade statistics, and
  their gap (the overfitting measure).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from thermoquant.data.store.errors import NoDataError
from thermoquant.evolve import runner
from thermoquant.evolve.config import EvolveConfig
from thermoquant.evolve.evaluate import ARMS
from thermoquant.evolve.executors import make_executor
from thermoquant.evolve.features import BarBundle, day_of
from thermoquant.evolve.kernels import S_N, S_RET, S_WINS, STATS
from thermoquant.evolve.objective import score
from thermoquant.evolve.task import Task
from thermoquant.jobs.inputs import read_bars
from thermoquant.progress import ProgressFn, tick

EVAL_CONFIG = EvolveConfig(train_days=100, test_days=30, warmup_days=40)
"""Windows sized for one-year files (a fold needs 190 sessions of history)."""


@dataclass
class ArmReport:
    name: str
    trades: int
    win_rate: float
    mean_return: float
    total_return: float
    max_drawdown: float
    turnover: float
    is_score: float
    oos_score: float

    @property
    def gap(self) -> float:
        return self.is_score - self.oos_score


@dataclass
class EvalReport:
    window: str
    stocks: int
    start: dt.date
    end: dt.date
    folds: int
    changes: int
    arms: list[ArmReport] = field(default_factory=list)
    verdict: str = ""


def evaluate_windows(
    real_dir: Path,
    *,
    max_stocks: int = 0,
    workers: int | None = None,
    progress: ProgressFn | None = None,
    cfg: EvolveConfig = EVAL_CONFIG,
    step_days: int = 40,
    executor: str = "local",
    address: str = "auto",
) -> list[EvalReport]:
    """One report per ``market_*.parquet`` file of ``real_dir``; ``max_stocks`` > 0 keeps that many stocks,
    evenly spread over the sorted codes."""
    files = sorted(Path(real_dir).glob("market_*.parquet"))
    if not files:
        raise NoDataError(f"no market_*.parquet whole-market window in {real_dir}")
    return [
        evaluate_window(f, max_stocks, workers, progress, cfg, step_days, executor, address) for f in files
    ]


def evaluate_window(path: Path, max_stocks: int, workers: int | None, progress: ProgressFn | None,
                    cfg: EvolveConfig, step_days: int, executor: str, address: str) -> EvalReport:  # fmt: skip
    bars = read_bars(path)
    if max_stocks > 0:
        codes = bars["symbol"].unique().sort()
        keep = codes.gather_every(max(codes.len() // max_stocks, 1))[:max_stocks]
        bars = bars.filter(pl.col("symbol").is_in(keep.implode()))
    bundle = BarBundle.from_frame(bars)
    days = np.unique(bundle.arrays["day"])
    first = cfg.calibration_history
    if first >= days.shape[0]:
        raise NoDataError(f"{path.name}: {days.shape[0]} sessions, a fold needs {first + 1}")
    starts = list(range(first, days.shape[0], step_days))
    oos = np.zeros((len(ARMS), len(STATS)))
    is_ = np.zeros((len(ARMS), len(STATS)))
    daily: list[np.ndarray] = []
    stock_days = 0.0
    changes = 0
    ex = make_executor(executor, bundle, workers=workers, address=address)
    try:
        for k, i0 in enumerate(starts):
            tick(progress, f"{path.stem} 折 fold {k + 1}/{len(starts)}", k, len(starts))
            t0 = int(days[i0])
            t1 = int(days[i0 + step_days]) if i0 + step_days < days.shape[0] else int(days[-1]) + 1
            market, _ = runner.market_pack(ex, bundle, t0, cfg)
            cal = runner.calibrate(ex, bundle, t0, cfg, market)
            packs = {p.symbol: tuple(p.decision.vector) for r in cal for p in r.packs}
            tasks = []
            for c, (lo, hi) in enumerate(runner.chunks(bundle.n_stocks, cfg.chunk_size)):
                inc = tuple(packs.get(bundle.symbols[s], tuple(market)) for s in range(lo, hi))
                tasks.append(Task("evaluate", c, lo, hi, t1, cfg, tuple(market), inc, seg_from=t0))
            results = sorted(ex.run(tasks), key=lambda r: r.chunk)
            seg = days[(days >= t0) & (days < t1)]
            sums = np.zeros((len(ARMS), seg.shape[0]))
            stocks = 0
            for r in results:
                assert r.arms is not None
                oos += r.arms.oos
                is_ += r.arms.is_
                sums[:, np.searchsorted(seg, r.arms.day)] += r.arms.daily
                stocks += r.arms.stocks
                changes += r.arms.changes
            daily.append(sums / max(stocks, 1))
            stock_days += stocks * seg.shape[0]
        tick(progress, path.stem, len(starts), len(starts))
    finally:
        ex.close()
    curve = np.concatenate(daily, axis=1)
    arms = [_arm(name, oos[k], is_[k], curve[k], stock_days, cfg) for k, name in enumerate(ARMS)]
    report = EvalReport(path.stem, bundle.n_stocks, day_of(int(days[first])), day_of(int(days[-1])), len(starts),
                        changes, arms)  # fmt: skip
    report.verdict = _verdict(report, cfg)
    return report


def _arm(name: str, oos: np.ndarray, is_: np.ndarray, daily: np.ndarray, stock_days: float,
         cfg: EvolveConfig) -> ArmReport:  # fmt: skip
    n = oos[S_N]
    equity = np.cumprod(1.0 + daily)
    drawdown = float(np.max(1.0 - equity / np.maximum.accumulate(equity))) if equity.size else 0.0
    return ArmReport(
        name, int(n), float(oos[S_WINS] / n) if n else 0.0, float(oos[S_RET] / n) if n else 0.0,
        float(equity[-1] - 1.0) if equity.size else 0.0, drawdown, float(2.0 * n / stock_days) if stock_days else 0.0,
        float(score(cfg.objective, is_[None, :], 0)[0]), float(score(cfg.objective, oos[None, :], 0)[0]),
    )  # fmt: skip


def _verdict(rep: EvalReport, cfg: EvolveConfig) -> str:
    by = {a.name: a for a in rep.arms}
    best = max(rep.arms, key=lambda a: a.total_return)
    d, c, n = by["defaults"], by["calibrated"], by["nightly"]
    return (
        f"样本外总收益最高 best OOS return: {best.name} ({best.total_return:+.2%})。"
        f"校准 vs 默认 calibrated vs defaults: 收益 {c.total_return - d.total_return:+.2%}，"
        f"胜率 {c.win_rate - d.win_rate:+.2%}；每日进化 vs 校准 nightly vs calibrated: "
        f"收益 {n.total_return - c.total_return:+.2%}（{rep.changes} 次参数变化 changes）。"
        f"目标 {cfg.objective}：样本内−样本外差 IS−OOS gap 默认 {d.gap:+.3f} / 校准 {c.gap:+.3f}"
        f"{'（校准过拟合更重 calibration overfits more）' if c.gap > d.gap else ''}。"
    )
