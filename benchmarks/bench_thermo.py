"""Full thermo backtest speed (issue 14, Performance): physics + the strategy's targets + the A-share engine on a
5000 × 2500 panel, beside vectorbt ``Portfolio.from_signals`` on the same entry/exit matrices in the same run.

Run: ``.venv/bin/python benchmarks/bench_thermo.py [--stocks 5000 --days 2500 --repeat 2]`` (``--repeat N``: N
rounds of thermo then vectorbt; every round's totals are printed, then the thermo round with the fastest total and
the fastest vectorbt).  Two rounds by default because thermo touches GB of fresh memory, whose cost (system time,
printed per round) varies from round to round on a virtual machine whose host backs guest memory on first touch.

Panel: :func:`bench_physics.panel` — real HS300 bars 2020-01 → 2025-04 chained with rescaled copies of themselves,
so every stock has real-shaped prices, volumes and turnover. Steps timed (each after a warm-up on 20 stocks, JIT
excluded): ``compute_physics`` of the columns the strategy asks for with the run's parameters
(``Thermo().physics_columns(params)``, what ``tq backtest thermo`` computes: quantities and behavioral chips; with
the default life cycle, no per-bar state labels), ``Thermo.targets`` (the rows ``tq backtest``
reads: :func:`run_book`'s life cycle, point-in-time success rate, B/C book), the engine (T+1, limits, lots, fees) on
the target matrix. vectorbt gets the same entries (target > 0) and exits (target = 0), shifted one day and filled
at the next open, with cash sharing and no A-share rules. Goal: total ≤ 6 s on 2 cores and ≤ 1.5× vectorbt.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path

import numba
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_backtest import COMMISSION, INIT_CASH, _import_vectorbt, _symbol, time_vectorbt, vectorbt_inputs
from bench_physics import REAL, panel
from thermoquant.backtest.engine import EngineConfig, run_targets
from thermoquant.backtest.rules import from_arrays
from thermoquant.physics.thermo import compute_physics
from thermoquant.strategies.base import Panel
from thermoquant.strategies.thermo import Thermo
from thermoquant.strategies.thermo_params import ThermoStrategyParams

STEPS = ("physics", "targets", "market", "engine")


def long_frame(n: int, T: int) -> pl.DataFrame:
    """The bench panel as house daily_quote rows (symbol, trade_date, OHLC, pre_close, volume, amount, turnover %),
    sorted by (symbol, trade_date): what ``traded_bars`` hands the physics in ``tq backtest``."""
    _, c = panel(n, T)
    names = np.array([_symbol(i) for i in range(n)])
    order = np.argsort(names, kind="stable")

    def rows(a: np.ndarray) -> np.ndarray:  # stock blocks in symbol order
        return a.reshape(n, T)[order].ravel()

    dates = np.busday_offset(np.datetime64("2015-01-05"), np.arange(T), roll="forward")
    close = rows(c["close"]).reshape(n, T)
    prev = np.concatenate([close[:, :1], close[:, :-1]], axis=1).ravel()
    return pl.DataFrame({
        "symbol": np.repeat(names[order], T), "trade_date": np.tile(dates, n), "open": rows(c["open"]),
        "high": rows(c["high"]), "low": rows(c["low"]), "close": close.ravel(), "pre_close": prev,
        "volume": rows(c["volume"]), "amount": rows(c["amount"]), "turnover": rows(c["tau"]) * 100.0,
    }).with_columns(pl.col("trade_date").cast(pl.Date))  # fmt: skip


def run_thermo(bars: pl.DataFrame, params: ThermoStrategyParams) -> dict[str, float | object]:
    """Physics, targets, engine on ``bars``; wall time of each step."""
    out: dict[str, float | object] = {}
    t0 = time.perf_counter()
    phys = compute_physics(bars, columns=Thermo().physics_columns(params))  # as jobs.panels does
    out["physics"] = time.perf_counter() - t0
    days = bars["trade_date"].unique().sort()
    pnl = Panel({"physics": phys, "quotes": bars}, days[0], days[-1])
    t0 = time.perf_counter()
    rows = Thermo().targets(pnl, params)  # what `tq backtest thermo` asks the strategy for
    out["targets"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    symbols = bars["symbol"].unique(maintain_order=True).to_list()
    n, T = len(symbols), days.len()
    si = rows["symbol"].cast(pl.Enum(symbols)).to_physical().to_numpy().astype(np.int64)
    di = np.searchsorted(days.to_numpy(), rows["trade_date"].to_numpy())
    target = np.full((n, T), np.nan)
    target[si, di] = rows["weight"].to_numpy()

    def dense(col: str) -> np.ndarray:
        return bars[col].to_numpy().reshape(n, T)

    m = from_arrays(symbols, days.to_numpy().astype("datetime64[D]"), open=dense("open"), high=dense("high"),
                    low=dense("low"), close=dense("close"), volume=dense("volume"), amount=dense("amount"),
                    prev_close=dense("pre_close"))  # fmt: skip
    out["market"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = run_targets(m, target, config=EngineConfig(init_cash=INIT_CASH, commission_rate=COMMISSION,
                                                     min_commission=5.0))  # fmt: skip
    out["engine"] = time.perf_counter() - t0
    out["result"], out["target"], out["m"] = res, target, m
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stocks", type=int, default=5000)
    ap.add_argument("--days", type=int, default=2500)
    ap.add_argument(
        "--repeat", type=int, default=2, help="timed rounds of each side; the fastest of each is printed"
    )
    args = ap.parse_args()
    if not (REAL / "MANIFEST.md").exists():
        sys.exit(f"real data not found at {REAL}")
    n, T = args.stocks, args.days
    print(
        f"bench_thermo  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC  panel {n} stocks x {T} days (real HS300 bars chained)"
    )
    print(f"  {os.cpu_count()} cores, {numba.get_num_threads()} numba threads, {pl.thread_pool_size()} polars threads; "
          f"1-min load average {os.getloadavg()[0]:.1f} before the run (other jobs on the machine inflate all times)")  # fmt: skip
    params = ThermoStrategyParams(capital_cny=INIT_CASH)
    vbt = _import_vectorbt()
    warm = run_thermo(long_frame(20, T), params)  # JIT compile / cache load
    time_vectorbt(vbt, vectorbt_inputs(warm["m"], warm["target"]))  # type: ignore[arg-type]
    bars = long_frame(n, T)
    r: dict[str, float] = {}
    total, vbt_s, value, fills = np.inf, np.inf, 0.0, 0
    # thermo then vectorbt in each round, so both see the same machine load
    for rnd in range(max(args.repeat, 1)):
        sys0 = resource.getrusage(resource.RUSAGE_SELF).ru_stime
        run = run_thermo(bars, params)
        run_total = sum(float(run[k]) for k in STEPS)  # type: ignore[arg-type]
        sys1 = resource.getrusage(resource.RUSAGE_SELF).ru_stime
        if run_total < total:
            r, total = {k: float(run[k]) for k in STEPS}, run_total  # type: ignore[arg-type]
            fills = int((run["result"].records[:, 3] != 0).sum())  # type: ignore[union-attr]
        inputs = vectorbt_inputs(run["m"], run["target"])  # type: ignore[arg-type]
        del run  # nothing of a round outlives it: each round starts from the same memory
        v_s, v_value = time_vectorbt(vbt, inputs)
        del inputs
        sys2 = resource.getrusage(resource.RUSAGE_SELF).ru_stime
        if v_s < vbt_s:
            vbt_s, value = v_s, float(np.asarray(v_value)[-1])
        print(f"  round {rnd + 1}: thermo {run_total:.2f} s (system time {sys1 - sys0:.2f} s), vectorbt {v_s:.2f} s "
              f"(system time {sys2 - sys1:.2f} s), ratio {run_total / v_s:.2f}x")  # fmt: skip
    if args.repeat > 1:
        print(f"  fastest of {args.repeat} rounds of each side:")
    for k, label in (("physics", "physics (quantities, chips)"), ("targets", "thermo targets (life cycle, "
                     "success rate, book)"), ("market", "market arrays (limits, lots, fees)"),
                     ("engine", "engine, all A-share rules")):  # fmt: skip
        print(f"  {label:<48} {r[k]:8.2f} s")
    print(f"  {'total thermo backtest':<48} {total:8.2f} s   ({fills:,} fills; goal <= 6 s)")
    print(f"  {'vectorbt from_signals, same entries/exits':<48} {vbt_s:8.2f} s   (no A-share rules, final value "
          f"{value:,.0f})")  # fmt: skip
    print(f"  ratio total / vectorbt                           {total / vbt_s:8.2f}x  (goal <= 1.5x)")
    print(f"  ratio engine only / vectorbt                     {r['engine'] / vbt_s:8.2f}x")
    print(f"  1-min load average after the run: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
