"""Factor evaluation and attack-score speed.

1. Evaluation: every registered factor's daily IC, rank IC, quantile returns, spread and top turnover over a
   (stocks × days) panel with thermoquant's kernels (:class:`thermoquant.features.evaluate.Evaluator`), beside the Polars
   group-by formulation (:func:`thermoquant.features.evaluate.evaluate_reference`: join, rank per date,
   correlate per date) on the same frames for ``--peer-factors`` of them, and the pandas group-by formulation
   (alphalens' way: rank per date, ``corr`` per date, quantile means) on one, whose mean rank IC is printed
   beside ours as a check. The panel is synthetic (no real source
   holds 5,000 stocks × 2,500 days): factor values with a weak link to the forward return, 3 % missing cells.
   The forward-return grid is laid out once (timed apart); each factor's values are put on the grid and evaluated
   (timed; making the synthetic values is not); JIT compile is excluded by a warm-up. The IC-decay curve's cost
   (one more rank-IC pass per horizon) is printed on its own line.
2. Scoring: :func:`thermoquant.signals.scores.score_day` on the bundled real 2021 market (~4,700 stocks, the
   score's history window), physics computed beforehand (not timed).

Run: ``.venv/bin/python benchmarks/bench_factor_eval.py [--stocks 5000 --days 2500 --factors 0 --peer-factors 3]
[--skip-score] [--skip-eval]`` (``--factors 0`` = as many as the registry holds).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import polars as pl

from thermoquant.features import evaluate_nb as nb
from thermoquant.features.evaluate import Evaluator, evaluate_reference
from thermoquant.features.registry import list_factors


def synthetic(stocks: int, days: int, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    """(forward-return frame with fwd_1 in long (trade_date, symbol) form, the returns as an array)."""
    rng = np.random.default_rng(seed)
    dates = np.arange(np.datetime64("2015-01-05"), np.datetime64("2015-01-05") + days).astype("datetime64[D]")
    symbols = pl.Series([f"{i:06d}.SZ" for i in range(stocks)], dtype=pl.Categorical)
    ret = rng.normal(0, 0.02, stocks * days)
    ret[rng.random(ret.size) < 0.03] = np.nan
    keys = pl.DataFrame(
        {"trade_date": np.repeat(dates, stocks), "symbol": symbols.gather(np.tile(np.arange(stocks), days))}
    )
    return keys.with_columns(pl.Series("fwd_1", ret).fill_nan(None), pl.col("symbol").cast(pl.Utf8)), ret


def factor_values(ret: np.ndarray, k: int) -> np.ndarray:
    """Factor ``k``: a weak link to the forward return plus noise, 3 % missing."""
    rng = np.random.default_rng(100 + k)
    v = 0.05 * np.nan_to_num(ret) + rng.normal(0, 0.02, ret.size)
    v[rng.random(v.size) < 0.03] = np.nan
    return v


def bench_eval(stocks: int, days: int, factors: int, peer: int) -> None:
    n = factors or len(list_factors())
    print(f"== 因子评估 factor evaluation: {n} factors × {stocks} stocks × {days} days (synthetic) ==")
    t = time.perf_counter()
    fwd, ret = synthetic(stocks, days)
    print(f"frames built in {time.perf_counter() - t:.1f} s ({fwd.height:,} rows)")
    warm, warm_ret = synthetic(50, 30, seed=1)
    warm_ev = Evaluator(warm, horizon=1, horizons=[1])
    warm_grid = warm_ev.factor_grid(warm.with_columns(pl.Series("f0", factor_values(warm_ret, 0))), "f0")
    warm_ev.evaluate_grid(warm_grid, "f0")
    nb.ic_rows(warm_grid, nb.argsort_rows(warm_grid), warm_ev.returns[1], warm_ev.orders[1], 1)
    t = time.perf_counter()
    ev = Evaluator(fwd, horizon=1, horizons=[1])
    where = ev.grid.index(fwd)
    setup = time.perf_counter() - t
    ours = made = 0.0
    for k in range(n):
        t = time.perf_counter()
        values = factor_values(ret, k)
        made += time.perf_counter() - t
        t = time.perf_counter()
        ev.evaluate_grid(ev.grid.scatter_values(values, where), f"f{k}", decay=False)
        ours += time.perf_counter() - t
    total = setup + ours
    verdict = f" → target ≤ 60 s: {'met' if total <= 60 else 'MISSED'}" if n == len(list_factors()) else ""
    print(
        f"thermoquant: layout {setup:.1f} s + {n} factors {ours:.1f} s = {total:.1f} s "
        f"({ours / n:.2f} s per factor: values onto the grid, IC, rank IC, quantiles, spread, top turnover; "
        f"making the synthetic values, {made:.1f} s, not counted){verdict}"
    )
    f = ev.grid.scatter_values(factor_values(ret, 0), where)
    r = ev.returns[1]
    order, r_order = nb.argsort_rows(f), ev.orders[1]
    t = time.perf_counter()
    nb.ic_rows(f, order, r, r_order, ev.min_obs)
    extra = time.perf_counter() - t
    print(
        f"IC decay: each further horizon adds {extra:.2f} s per factor (`tq factors evaluate` 1–20 days: "
        f"{19 * extra:.1f} s per factor more; `--no-decay` skips it)"
    )
    m = min(peer, n)
    inputs = [fwd.with_columns(pl.Series("f", factor_values(ret, k))) for k in range(m)]
    t = time.perf_counter()
    for frame in inputs:
        evaluate_reference(frame, "f", fwd, 1, 5)
    polars_s = (time.perf_counter() - t) / max(m, 1)
    del inputs
    values = factor_values(ret, 0)
    t = time.perf_counter()
    pandas_ric = pandas_rank_ic(fwd["trade_date"].to_numpy(), values, ret)
    pandas_s = time.perf_counter() - t
    ours_ric = ev.evaluate_grid(ev.grid.scatter_values(values, where), "f0", decay=False).summary[
        "rank_ic_mean"
    ]
    per = ours / n
    print(
        f"Polars group-by peer: {polars_s:.2f} s per factor (measured on {m}) → thermoquant is "
        f"{polars_s / per:.1f}× faster per factor"
    )
    print(
        f"pandas group-by peer (alphalens' formulation: rank per date, corr per date, quantile means): "
        f"{pandas_s:.2f} s per factor (measured on 1) → thermoquant is {pandas_s / per:.1f}× faster; mean rank IC "
        f"{pandas_ric:.6f} vs ours {ours_ric:.6f} (|Δ| {abs(pandas_ric - ours_ric):.1e})"
    )


def pandas_rank_ic(dates: np.ndarray, factor: np.ndarray, ret: np.ndarray, quantiles: int = 5) -> float:
    """The pandas formulation of the same figures (daily IC, rank IC, quantile mean returns) over long arrays;
    returns the mean daily rank IC (dates with at least 10 pairs) as the cross-check."""
    import pandas as pd

    df = pd.DataFrame({"trade_date": dates, "f": factor, "r": ret}).dropna()
    by_date = df.groupby("trade_date", sort=True)
    df[["fr", "rr"]] = by_date[["f", "r"]].rank().to_numpy()
    size = by_date["f"].transform("size")
    df["q"] = np.floor((df["fr"] - 1) * quantiles / size).astype(int) + 1
    regrouped = df[size >= 10].groupby("trade_date", sort=True)
    ic = regrouped[["f", "r"]].corr().xs("f", level=1)["r"]
    rank_ic = regrouped[["fr", "rr"]].corr().xs("fr", level=1)["rr"]
    df.groupby(["trade_date", "q"])["r"].mean().groupby(level="q").mean()
    assert len(ic) == len(rank_ic)
    return float(rank_ic.mean())


def bench_score() -> None:
    from thermoquant.data.sources.csv import read_file
    from thermoquant.data.sources.sample import sample_path
    from thermoquant.physics.bars import traded_bars
    from thermoquant.physics.thermo import compute_physics
    from thermoquant.signals.scores import ScoreInputs, ScoreParams, score_day

    p = ScoreParams()
    quotes = read_file(sample_path("market_2021.parquet")).frame
    day = dt.date(2021, 12, 31)
    days = quotes.filter(pl.col("trade_date") <= day)["trade_date"].unique().sort()
    first = days[-(p.history + p.memory_days)]
    quotes = quotes.filter(pl.col("trade_date").is_between(first, day))
    physics = compute_physics(traded_bars(quotes))
    members = pl.concat(
        [
            read_file(sample_path(f)).frame
            for f in ("sw2014_l1_l3_stock_industry_2019.csv", "sw2021_l1_stock_industry_2024.csv")
        ]
    )
    inputs = ScoreInputs(physics, quotes, members)
    score_day(inputs, day, p)  # warm-up
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        rows, _ = score_day(inputs, day, p)
        runs.append(time.perf_counter() - t)
    print(
        f"== 评分 attack score: {rows.height:,} stocks on {day}, {quotes['trade_date'].n_unique()} sessions of "
        f"history: best {min(runs):.2f} s, median {sorted(runs)[2]:.2f} s (target ≤ 1 s) =="
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--stocks", type=int, default=5000)
    ap.add_argument("--days", type=int, default=2500)
    ap.add_argument("--factors", type=int, default=0)
    ap.add_argument("--peer-factors", type=int, default=3)
    ap.add_argument("--skip-score", action="store_true")
    ap.add_argument("--skip-eval", action="store_true")
    a = ap.parse_args()
    if not a.skip_score:
        bench_score()
    if not a.skip_eval:
        bench_eval(a.stocks, a.days, a.factors, a.peer_factors)


if __name__ == "__main__":
    main()
