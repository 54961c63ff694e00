"""Evolution speed (issue 15, Performance): the nightly regression of 5000 stocks for one new day on the local
pool; calibration trials per second (vectorised random search in the Numba kernel) beside Optuna's TPE on the
same objective in the same run; the overhead of Ray against the local pool on the same work.

Run: ``.venv/bin/python benchmarks/bench_evolve.py [--stocks 5000] [--cal-stocks 500 --trials 200]
[--tpe-stocks 10 --tpe-trials 100] [--ray-stocks 1000 | --no-ray]``.

Panel: :func:`bench_thermo.long_frame` — real HS300 bars chained with rescaled copies (real-shaped prices,
volumes, turnover). The nightly run reads ``history_days`` + 10 sessions per stock (what ``tq evolve run``
reads), the calibration its calibration history. Times are wall-clock and include what a run pays: building
the bar bundle, starting the pool (spawn + shared memory) or connecting Ray and ``ray.put``. Goal: nightly ≤ 60 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_thermo import long_frame
from thermoquant.evolve import runner, space
from thermoquant.evolve.config import EvolveConfig
from thermoquant.evolve.executors import LocalExecutor, RayExecutor
from thermoquant.evolve.features import BarBundle, day_number
from thermoquant.evolve.model import _fit_tpe, windows
from thermoquant.evolve.task import chunk_features
from thermoquant.evolve.testing import decisions


def _valid_from(bars: pl.DataFrame) -> int:
    return day_number(bars["trade_date"].max()) + 1


def nightly(bars: pl.DataFrame, cfg: EvolveConfig, executor: str, workers: int) -> tuple[float, dict, dict]:
    """Wall time of bundle + executor start + one nightly pass, the per-step times, and the decisions."""
    t0 = time.perf_counter()
    bundle = BarBundle.from_frame(bars)
    t1 = time.perf_counter()
    ex = LocalExecutor(bundle, workers) if executor == "local" else RayExecutor(bundle, address="local")
    t2 = time.perf_counter()
    try:
        res = runner.nightly(ex, bundle, _valid_from(bars), cfg, {}, space.default_vector())
    finally:
        t3 = time.perf_counter()
        ex.close()
    steps = {"bundle": t1 - t0, "start": t2 - t1, "run": t3 - t2,
             "mb": (bundle.offsets.nbytes + sum(a.nbytes for a in bundle.arrays.values())) / 2**20}  # fmt: skip
    return t3 - t0, steps, decisions(res)


def calibration_trials(bars: pl.DataFrame, cfg: EvolveConfig, workers: int) -> tuple[float, int]:
    """(seconds, trials) of a random-search calibration of every stock (market pack + own fits) on the pool."""
    bundle = BarBundle.from_frame(bars)
    vf = _valid_from(bars)
    ex = LocalExecutor(bundle, workers)
    try:
        t0 = time.perf_counter()
        market, _ = runner.market_pack(ex, bundle, vf, cfg)
        res = runner.calibrate(ex, bundle, vf, cfg, market)
        dt_ = time.perf_counter() - t0
    finally:
        ex.close()
    stocks = sum(len(r.packs) for r in res)
    return dt_, stocks * (cfg.trials + 1) * 2  # pool pass + own pass, each evaluates trials + the start pack


KERNEL_REPEAT = 100
"""The kernel scores this many times TPE's trial count (timed together, divided back)."""


def tpe_trials(bars: pl.DataFrame, cfg: EvolveConfig, n: int) -> tuple[float, int, float]:
    """Optuna TPE (in-memory, seeded) on the same kernel objective, one stock after another in this process; and
    the kernel's time for the same number of random candidates on the same windows (no Optuna)."""
    from thermoquant.evolve.kernels import candidate_stats
    from thermoquant.evolve.task import Task

    bundle = BarBundle.from_frame(bars)
    feats = chunk_features(bundle, Task("calibrate", 0, 0, n, _valid_from(bars), cfg))
    consts = cfg.consts()
    start = space.default_vector()
    spans = [(int(feats.offsets[i]), windows(int(feats.offsets[i]), int(feats.offsets[i + 1]), cfg))
             for i in range(len(feats.stocks))]  # fmt: skip
    spans = [(s0, w) for s0, w in spans if w is not None]
    t0 = time.perf_counter()
    for s0, w in spans:
        _fit_tpe(feats.F, s0, w[0], start, "bench", cfg, consts)
    tpe = time.perf_counter() - t0
    cands = space.random(cfg.trials * KERNEL_REPEAT, cfg.seed)  # enough candidates for a measurable time
    t0 = time.perf_counter()
    for s0, w in spans:
        candidate_stats(feats.F, s0, w[0][0], w[0][1], cands, consts)
    kernel = (time.perf_counter() - t0) / KERNEL_REPEAT
    return tpe, len(spans) * cfg.trials, kernel


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stocks", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--cal-stocks", type=int, default=500)
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--tpe-stocks", type=int, default=10)
    ap.add_argument("--tpe-trials", type=int, default=100)
    ap.add_argument("--ray-stocks", type=int, default=1000)
    ap.add_argument("--no-ray", action="store_true")
    a = ap.parse_args()
    cfg = EvolveConfig()
    print(f"cores {os.cpu_count()}, workers {a.workers}")

    bars = long_frame(a.stocks, cfg.history_days + 10)
    total, steps, _ = nightly(bars, cfg, "local", a.workers)
    print(f"nightly regression, {a.stocks} stocks x {cfg.history_days + 10} days, one new day, local pool: "
          f"{total:.2f} s (bundle {steps['bundle']:.2f}, pool start {steps['start']:.2f}, run {steps['run']:.2f}); "
          f"bars shipped once: {steps['mb']:.1f} MB; "
          f"goal <= 60 s: {'met' if total <= 60 else 'NOT met'}")  # fmt: skip

    rcfg = EvolveConfig(search="random", trials=a.trials)
    cal_bars = long_frame(a.cal_stocks, rcfg.calibration_history + 10)
    secs, trials = calibration_trials(cal_bars, rcfg, a.workers)
    print(f"calibration, random search {a.trials} trials/stock, {a.cal_stocks} stocks, local pool: {secs:.2f} s, "
          f"{trials / secs:,.0f} trials/s")  # fmt: skip
    tcfg = EvolveConfig(search="tpe", trials=a.tpe_trials)
    tpe, n_tpe, kernel = tpe_trials(
        long_frame(a.tpe_stocks, tcfg.calibration_history + 10), tcfg, a.tpe_stocks
    )
    print(f"same objective, one process: Optuna TPE {n_tpe / tpe:,.0f} trials/s ({n_tpe} trials, {tpe:.2f} s); "
          f"kernel random candidates {n_tpe / kernel:,.0f} trials/s ({n_tpe * KERNEL_REPEAT} in "
          f"{kernel * KERNEL_REPEAT:.3f} s); "
          f"ratio kernel/TPE {tpe / kernel:,.0f}x")  # fmt: skip

    if a.no_ray:
        return
    try:
        import ray
    except ImportError:
        print("ray not installed: Ray overhead not measured")
        return
    small = long_frame(a.ray_stocks, cfg.history_days + 10)
    lt, ls, local = nightly(small, cfg, "local", a.workers)
    # a private temp dir and no token auth: the benchmark leaves no Ray session or ~/.ray/auth_token behind
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    temp = tempfile.mkdtemp(prefix="tqray")
    t0 = time.perf_counter()
    ray.init(
        num_cpus=a.workers,
        include_dashboard=False,
        logging_level="ERROR",
        log_to_driver=False,
        _temp_dir=temp,
    )
    init = time.perf_counter() - t0
    try:
        rt, rs, remote = nightly(small, cfg, "ray", a.workers)
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
    same = "identical" if remote == local else "DIFFERENT"
    print(f"nightly, {a.ray_stocks} stocks: local pool {lt:.2f} s (start {ls['start']:.2f}, run {ls['run']:.2f}); "
          f"Ray {rt + init:.2f} s (ray.init {init:.2f}, put {rs['start']:.2f}, run {rs['run']:.2f}); "
          f"bundle {rs['mb']:.1f} MB; "
          f"Ray / local {(rt + init) / lt:.2f}x; packs {same}")  # fmt: skip


if __name__ == "__main__":
    main()
