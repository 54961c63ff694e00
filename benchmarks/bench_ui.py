"""Dashboard server time per page on the demo database (4,710 stocks, 1.1 M daily bars), beside a naive formulation.

Run: ``.venv/bin/python benchmarks/bench_ui.py [--data-dir DIR] [--repeat 7]``.

Without ``--data-dir`` the script builds the demo database with ``tq demo`` in a temporary directory (~40 s). It
works on a copy, into which it adds one synthetic stock with 2,500 daily bars (``STOCK``: a random walk with
volume and turnover; the demo's longest real history has ~1,000 bars) for the stock page.

Measured, as the median of ``--repeat`` runs after one warm-up run (numba compiled, modules imported):

- **page, cold**: Streamlit's ``AppTest`` rerunning the page script with the data cache cleared first, so the run
  opens the database, reads, computes (physics and chips for the stock page) and builds every element and figure —
  what the server does for a user's first view after the cache expired;
- **page, cached**: the same run with the cache warm (a slider move or a second visitor);
- **data only**: the page's read function (``jobs.dashboard``) alone;
- **naive**: the same data through "read the whole tables with pandas, then filter" (``daily_quote`` and
  ``signals`` read whole into pandas by DuckDB's ``.df()``, the stock's rows selected afterwards).

Goals (issue 19): overview ≤ 1 s, stock page with 2,500 bars and its chips ≤ 300 ms (page, cold).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

STOCK = "688999.SH"
BARS = 2500
VIEWS = Path(__file__).resolve().parents[1] / "src" / "thermoquant" / "ui" / "views"


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def build_demo(path: Path) -> None:
    env = {**os.environ, "TQ_DATA_DIR": str(path)}
    env.pop("TQ_DATABASE_URL", None)
    code = "from thermoquant.cli.main import main; main()"
    subprocess.run([sys.executable, "-c", code, "demo"], env=env, check=True, capture_output=True)


def add_long_stock(url: str) -> None:
    """``STOCK``: ``BARS`` weekday bars ending 2022-01-14, a random walk (seeded), in daily_quote and stock_info."""
    from thermoquant.data.store import open_store

    rng = np.random.default_rng(19)
    days = pl.date_range(dt.date(2012, 1, 2), dt.date(2022, 1, 14), "1d", eager=True)
    days = days.filter(days.dt.weekday() <= 5).tail(BARS)
    close = 20.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.02, BARS)))
    pre = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(close, pre) * (1 + rng.uniform(0, 0.02, BARS))
    low = np.minimum(close, pre) * (1 - rng.uniform(0, 0.02, BARS))
    volume = rng.lognormal(16, 0.5, BARS)
    bars = pl.DataFrame(
        {"symbol": STOCK, "trade_date": days, "open": pre, "high": high, "low": low, "close": close,
         "pre_close": pre, "volume": volume, "amount": volume * close, "turnover": volume / 5e8 * 100}
    )  # fmt: skip
    with open_store(url) as store:
        store.upsert("daily_quote", bars)
        store.upsert("stock_info", pl.DataFrame([{"symbol": STOCK, "name": "基准测试", "exchange": "SH"}]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, help="a data directory filled by `tq demo` (default: build one)")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="tq-bench-ui-"))
    try:
        if args.data_dir is None:
            print("building the demo database (tq demo) …", flush=True)
            build_demo(work / "demo")
            source = work / "demo"
        else:
            source = args.data_dir
        data = work / "data"
        data.mkdir()
        shutil.copy(source / "tq.duckdb", data / "tq.duckdb")
        os.environ["TQ_DATA_DIR"] = str(data)
        os.environ.pop("TQ_DATABASE_URL", None)
        url = f"duckdb:///{data / 'tq.duckdb'}"
        add_long_stock(url)
        run(url, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(url: str, repeat: int) -> None:
    import duckdb
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from thermoquant.data.store import open_store
    from thermoquant.jobs import dashboard

    path = url.removeprefix("duckdb:///")

    def page(name: str, cold: bool, **query: str) -> Callable[[], object]:
        """Rerun one AppTest of the page (what the server does per rerun; a new AppTest costs ~0.5 s of set-up
        that a running server does not pay)."""
        at = AppTest.from_file(str(VIEWS / f"{name}.py"), default_timeout=120)
        for k, v in query.items():
            at.query_params[k] = v

        def go() -> object:
            if cold:
                st.cache_data.clear()
            at.run()
            assert not at.exception, [e.message for e in at.exception]
            return at

        return go

    def with_store(fn: Callable[..., object], *a: object) -> Callable[[], object]:
        def go() -> object:
            with open_store(url, init=False, calendar=False) as store, store.read_session():
                return fn(store, *a)

        return go

    def naive_overview() -> object:
        con = duckdb.connect(path, read_only=True)
        try:
            signals = con.sql("SELECT * FROM signals").df()
            quotes = con.sql("SELECT * FROM daily_quote").df()
        finally:
            con.close()
        scan = signals[signals["strategy"] == "thermo_scan"]
        counts = scan.groupby([scan["signal_time"].dt.date, "state"]).size()
        last = quotes["trade_date"].max()
        day = quotes[quotes["trade_date"] == last]
        return counts, (day["close"] >= day["up_limit"]).sum()

    def naive_stock() -> object:
        from thermoquant.physics.chips import chip_history
        from thermoquant.physics.thermo import compute_physics

        con = duckdb.connect(path, read_only=True)
        try:
            quotes = con.sql("SELECT * FROM daily_quote").df()
        finally:
            con.close()
        one = pl.from_pandas(quotes[quotes["symbol"] == STOCK]).sort("trade_date")
        phys = compute_physics(one)
        return chip_history(one, k=phys["k"].to_numpy())

    with open_store(url, init=False, calendar=False) as store:
        n_stocks = store.read("stock_info", columns=["symbol"]).height
        n_bars = store.query("SELECT count(*) AS n FROM daily_quote").item()
        stock_bars = store.read("daily_quote", symbols=[STOCK], columns=["symbol"]).height
    print(
        f"demo database: {n_stocks:,} stocks, {n_bars:,} daily bars; stock page: {STOCK} with {stock_bars:,} bars"
    )
    load = os.getloadavg()[0]
    print(f"median of {repeat} runs after a warm-up (ms); load average {load:.1f} on {os.cpu_count()} cores")
    rows = [
        ("overview", "page, cold", median_ms(page("overview", True), repeat), 1000.0),
        ("overview", "page, cached", median_ms(page("overview", False), repeat), None),
        ("overview", "data only", median_ms(with_store(dashboard.overview), repeat), None),
        ("overview", "naive: pandas whole tables", median_ms(naive_overview, repeat), None),
        ("stock", "page, cold", median_ms(page("stock", True, symbol=STOCK), repeat), 300.0),
        ("stock", "page, cached", median_ms(page("stock", False, symbol=STOCK), repeat), None),
        ("stock", "data only", median_ms(with_store(dashboard.stock_view, STOCK), repeat), None),
        ("stock", "naive: pandas whole table", median_ms(naive_stock, repeat), None),
    ]
    for name in ("signals", "portfolio", "backtest", "logs"):
        rows.append((name, "page, cold", median_ms(page(name, True), repeat), None))
    print(f"{'page':<10} {'what':<28} {'ms':>9}  goal")
    for name, what, ms, goal in rows:
        mark = "" if goal is None else f"≤ {goal:.0f} ms {'ok' if ms <= goal else 'MISSED'}"
        print(f"{name:<10} {what:<28} {ms:>9.1f}  {mark}")
    for name in ("overview", "stock"):
        cold = next(ms for n, w, ms, _ in rows if n == name and w == "page, cold")
        naive = next(ms for n, w, ms, _ in rows if n == name and w.startswith("naive"))
        print(f"{name}: naive pandas read / page (cold) = {naive / cold:.1f}x")


if __name__ == "__main__":
    main()
