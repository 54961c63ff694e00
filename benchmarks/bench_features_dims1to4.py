"""Factor library speed on a synthetic 5000-stock × 2500-day daily panel (random-walk OHLCV, fixed seed).

Prints, each beside its peer measured in the same run:
  (a) the reference set (SMA 5/10/20/60, EMA 12/26, MACD ×3, RSI14, STOCH/KDJ ×2, ADX14, ATR14, CCI20, WILLR14),
      TA-Lib convention, numba over the panel vs a TA-Lib per-stock loop filling the same output panels;
  (b) dimensions 1–4 complete (long frame in → long frames out, chunks of 256 stocks, kernels on a thread pool),
      wall time and peak RSS, vs a pandas groupby formulation of the same factors run on a subset, scaled linearly;
  (c) a one-day incremental update for all stocks vs the full recomputation of (b).
Each part runs in its own subprocess so that its peak RSS is its own. Wall time is printed beside the process CPU
time (user + system, all threads): on a shared machine the wall time depends on the other processes' load.

    .venv/bin/python benchmarks/bench_features_dims1to4.py [--stocks 5000] [--days 2500] [--pandas-stocks 100]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import polars as pl

SEED = 20260121
CHUNK = 256  # stocks per chunk in (b), the engine's default
REF_SET = (
    "ma_5", "ma_10", "ma_20", "ma_60", "ema_12", "ema_26", "macd_dif", "macd_dea", "macd_bar", "rsi_14",
    "kdj_k", "kdj_d", "adx", "atr_14", "cci_20", "wr_14",
)  # fmt: skip
# The brief's reference set: SMA×4, EMA×2, MACD×3, RSI, STOCH/KDJ×2, ADX, ATR, CCI, WILLR (16 arrays, 13 TA-Lib calls).


def synthetic_panels(stocks: int, days: int) -> dict[str, np.ndarray]:
    """Random-walk OHLCV (stocks × days), 10 % of stocks listed late (leading NaN)."""
    rng = np.random.default_rng(SEED)
    r = rng.normal(0.0003, 0.022, (stocks, days))
    close = 10.0 * np.exp(np.cumsum(r, axis=1))
    prev = np.concatenate([close[:, :1], close[:, :-1]], axis=1)
    opn = prev * (1 + rng.normal(0, 0.006, (stocks, days)))
    high = np.maximum(opn, close) * (1 + np.abs(rng.normal(0, 0.01, (stocks, days))))
    low = np.minimum(opn, close) * (1 - np.abs(rng.normal(0, 0.01, (stocks, days))))
    vol = np.exp(rng.normal(15, 0.6, (stocks, days))).round(-2)
    amount = vol * (high + low + close) / 3
    float_shares = np.exp(rng.normal(19.5, 0.8, stocks))[:, None]
    turnover = vol / float_shares * 100
    late = rng.random(stocks) < 0.1
    start = np.where(late, rng.integers(1, days - 300, stocks), 0)
    mask = np.arange(days)[None, :] < start[:, None]
    out = {"open": opn, "high": high, "low": low, "close": close, "volume": vol, "amount": amount,
           "turnover": turnover}  # fmt: skip
    for a in out.values():
        a[mask] = np.nan
    return out


def market_close(p: dict[str, np.ndarray]) -> np.ndarray:
    r = np.nanmean(p["close"][:, 1:] / p["close"][:, :-1] - 1, axis=0)
    return 1000 * np.r_[1.0, np.cumprod(1 + r)]


def long_frame(p: dict[str, np.ndarray]) -> tuple[pl.DataFrame, pl.DataFrame]:
    stocks, days = p["close"].shape
    dates = [dt.date(2015, 1, 5) + dt.timedelta(days=int(k * 7 / 5)) for k in range(days)]
    sym = np.repeat(np.array([f"{600000 + i:06d}.SH" for i in range(stocks)]), days)
    df = pl.DataFrame(
        {"symbol": sym, "trade_date": pl.Series(dates * stocks, dtype=pl.Date)}
        | {k: v.ravel() for k, v in p.items()}
    ).filter(pl.col("close").is_not_nan())
    mkt = pl.DataFrame({"trade_date": pl.Series(dates, dtype=pl.Date), "close": market_close(p)})
    return df, mkt


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def cpu_s() -> float:
    """Process CPU time so far (user + system, all threads), seconds."""
    t = os.times()
    return t.user + t.system


# ------------------------------------------------------------------------------------------------------- parts
def part_a(stocks: int, days: int) -> dict[str, float]:
    import talib

    from thermoquant.features import ComputeContext, get_group
    from thermoquant.features.engine import compute_panels, default_threads

    p = synthetic_panels(stocks, days)
    groups = [
        get_group(g)
        for g in ("moving_averages", "macd", "rsi", "kdj", "dmi", "volatility_risk", "oscillators")
    ]
    small = {k: v[:50, :300].copy() for k, v in p.items()}
    compute_panels(small, groups, ComputeContext("talib", wanted=frozenset(REF_SET)))  # JIT warm-up (cached)

    threads = default_threads()

    cpu: dict[str, float] = {}

    def ours(nthreads: int) -> float:
        t, c = time.perf_counter(), cpu_s()
        res = compute_panels(p, groups, ComputeContext("talib", wanted=frozenset(REF_SET)), threads=nthreads)
        assert set(REF_SET) <= set(res)
        cpu[f"ours{nthreads}"] = min(cpu.get(f"ours{nthreads}", np.inf), cpu_s() - c)
        return time.perf_counter() - t

    h, lo, c = p["high"], p["low"], p["close"]

    def peer() -> float:
        t, c0 = time.perf_counter(), cpu_s()
        # the peer fills the same 16 freshly allocated output panels (stocks × days) that thermoquant returns
        outs = {k: np.empty_like(c) for k in REF_SET}
        for i in range(stocks):
            hi, li, ci = h[i], lo[i], c[i]
            for n in (5, 10, 20, 60):
                outs[f"ma_{n}"][i] = talib.SMA(ci, n)
            outs["ema_12"][i] = talib.EMA(ci, 12)
            outs["ema_26"][i] = talib.EMA(ci, 26)
            outs["macd_dif"][i], outs["macd_dea"][i], outs["macd_bar"][i] = talib.MACD(ci, 12, 26, 9)
            outs["rsi_14"][i] = talib.RSI(ci, 14)
            outs["kdj_k"][i], outs["kdj_d"][i] = talib.STOCH(hi, li, ci, 9, 3, 0, 3, 0)
            outs["adx"][i] = talib.ADX(hi, li, ci, 14)
            outs["atr_14"][i] = talib.ATR(hi, li, ci, 14)
            outs["cci_20"][i] = talib.CCI(hi, li, ci, 20)
            outs["wr_14"][i] = talib.WILLR(hi, li, ci, 14)
        cpu["talib"] = min(cpu.get("talib", np.inf), cpu_s() - c0)
        return time.perf_counter() - t

    # interleaved repetitions, best of each: the machine is shared, so load drifts between measurements
    runs = [(ours(threads), ours(1), peer()) for _ in range(3)]
    t_ours = min(r[0] for r in runs)
    t_ours_1 = min(r[1] for r in runs)
    t_talib = min(r[2] for r in runs)
    return {"ours": t_ours, "ours_1thread": t_ours_1, "talib": t_talib, "threads": threads,
            "rss_gb": peak_rss_gb(), "cpu_ours": cpu[f"ours{threads}"], "cpu_ours_1thread": cpu["ours1"],
            "cpu_talib": cpu["talib"]}  # fmt: skip


def part_b(stocks: int, days: int) -> dict[str, float]:
    from thermoquant.features import compute as _warm  # noqa: F401
    from thermoquant.features.engine import iter_compute, resolve

    p = synthetic_panels(stocks, days)
    df, mkt = long_frame(p)
    del p
    _, names = resolve(dims=(1, 2, 3, 4))
    warm = df.filter(pl.col("symbol").is_in(df["symbol"].unique().head(5).implode()))
    for _ in iter_compute(warm, market=mkt):
        pass
    base = peak_rss_gb()
    t, c0 = time.perf_counter(), cpu_s()
    rows = cells = 0
    for part in iter_compute(df, market=mkt, chunk_stocks=CHUNK):
        rows += part.height
        cells += part.height * (part.width - 2)
    elapsed = time.perf_counter() - t
    return {"ours": elapsed, "cpu": cpu_s() - c0, "rows": rows, "factors": len(names), "cells": cells, "rss_gb": peak_rss_gb(),
            "rss_before_gb": base}  # fmt: skip


def part_b_pandas(stocks: int, days: int, subset: int) -> dict[str, float]:
    p = synthetic_panels(stocks, days)
    df, mkt = long_frame({k: v[:subset] for k, v in p.items()})
    del p
    pdf = df.to_pandas().merge(mkt.rename({"close": "mkt_close"}).to_pandas(), on="trade_date", how="left")
    t, c0 = time.perf_counter(), cpu_s()
    out = pdf.groupby("symbol", group_keys=False, sort=False).apply(_pandas_dims_1_4)
    elapsed = time.perf_counter() - t
    return {"pandas": elapsed, "cpu": (cpu_s() - c0) * stocks / subset, "subset": subset, "scaled": elapsed * stocks / subset, "cols": out.shape[1],
            "rss_gb": peak_rss_gb()}  # fmt: skip


def part_c(stocks: int, days: int) -> dict[str, float]:
    from thermoquant.features.engine import IncrementalEngine

    p = synthetic_panels(stocks, days + 1)
    df, mkt = long_frame(p)
    del p
    last = df["trade_date"].max()
    hist = df.filter(pl.col("trade_date") < last)
    today = df.filter(pl.col("trade_date") == last)
    del df
    t = time.perf_counter()
    eng = IncrementalEngine.start(hist, dims=(1, 2, 3, 4), market=mkt)
    t_start = time.perf_counter() - t
    del hist
    today = today.join(mkt.rename({"close": "mkt_close"}), on="trade_date", how="left")
    # warm-up on a copy of the state is not possible without mutating, so time the first and a repeated update
    t = time.perf_counter()
    res = eng.update(today)
    t_update = time.perf_counter() - t
    assert res.height == today.height
    nxt = today.with_columns(pl.col("trade_date") + dt.timedelta(days=1))
    t = time.perf_counter()
    eng.update(nxt)
    t_update2 = time.perf_counter() - t
    return {"update": t_update, "update2": t_update2, "start": t_start, "stocks": today.height,
            "factors": res.width - 2, "rss_gb": peak_rss_gb()}  # fmt: skip


# ----------------------------------------------------------------------------------------- the pandas formulation
def _pandas_dims_1_4(g: pd.DataFrame) -> pd.DataFrame:
    """Dimensions 1–4 for one stock with pandas rolling/ewm (the peer formulation, Tongdaxin convention)."""
    o, h, lo, c, v, a, t = (g[k] for k in ("open", "high", "low", "close", "volume", "amount", "turnover"))
    out: dict[str, pd.Series] = {}
    pc = c.shift(1)
    rng = h - lo
    out["prev_close"] = pc
    out["change"] = c - pc
    out["pct_chg"] = (c / pc - 1) * 100
    out["amplitude"] = rng / pc * 100
    out["avg_price"] = a / v
    out["price_position"] = (c - lo) / rng
    up = h - np.maximum(o, c)
    dn = np.minimum(o, c) - lo
    body = (c - o).abs()
    out.update(upper_shadow=up, upper_shadow_ratio=up / rng, lower_shadow=dn, lower_shadow_ratio=dn / rng, body=body,
               body_ratio=body / rng, candle_state=np.sign(c - o))  # fmt: skip
    out["dist_high_20"] = (h.rolling(20).max() - c) / c * 100
    out["dist_low_20"] = (c - lo.rolling(20).min()) / c * 100
    for n in (5, 10, 20):
        out[f"volume_ma_{n}"] = v.rolling(n).mean()
        out[f"amount_ma_{n}"] = a.rolling(n).mean()
    out["volume_ratio"] = v / out["volume_ma_5"]
    out["amount_ratio"] = a / out["amount_ma_5"]
    out["volume_chg"] = v.pct_change() * 100
    out["amount_chg"] = a.pct_change() * 100
    for n in (5, 10):
        out[f"volume_std_{n}"] = v.rolling(n).std()
        out[f"volume_sum_{n}"] = v.rolling(n).sum()
    vmin, vmax = v.rolling(20).min(), v.rolling(20).max()
    out["volume_rel_strength_20"] = (v - vmin) / (vmax - vmin)
    out["pv_corr_5"] = c.rolling(5).corr(v)
    r = c.pct_change() * 100
    out["volume_energy"] = (r / 100).abs() * v
    out["turnover_ma_5"] = t.rolling(5).mean()
    out["turnover_ma_10"] = t.rolling(10).mean()
    out["turnover_rel"] = t / out["turnover_ma_10"]
    rc = r.clip(-50, 50)
    for n in (5, 10, 20, 60):
        out[f"vol_{n}"] = rc.rolling(n).std() * np.sqrt(252)
    out["downside_vol_20"] = np.sqrt((rc.clip(upper=0) ** 2).rolling(20).mean()) * np.sqrt(252)
    tr = pd.concat([rng, (h - pc).abs(), (lo - pc).abs()], axis=1).max(axis=1, skipna=False)
    for n in (14, 20):
        out[f"atr_{n}"] = tr.rolling(n).mean()
        out[f"atr_{n}_pct"] = out[f"atr_{n}"] / c * 100
    for n in (20, 60):
        out[f"mdd_{n}"] = (
            c.rolling(n).apply(lambda w: np.max(1 - w / np.maximum.accumulate(w)), raw=True) * 100
        )
    cm = c.cummax()
    out["drawdown_cum"] = (cm - c) / cm * 100
    out["ret_1d"] = r
    out["log_ret"] = np.log(c / pc) * 100
    rm = g["mkt_close"].pct_change() * 100
    for n in (20, 60):
        sd = rc.rolling(n).std()
        out[f"ret_std_{n}"] = sd
        out[f"sharpe_{n}"] = rc.rolling(n).mean() / sd * np.sqrt(252)
        out[f"var95_{n}"] = rc.rolling(n).quantile(0.05)
        out[f"beta_{n}"] = rc.rolling(n).cov(rm) / rm.rolling(n).var()
        out[f"mkt_corr_{n}"] = rc.rolling(n).corr(rm)
    out["max_down_20"] = rc.rolling(20).min()
    out["max_up_20"] = rc.rolling(20).max()
    out["hl_range"] = rng / c * 100
    for n in (5, 10, 20, 30, 60, 120, 250):
        out[f"ma_{n}"] = c.rolling(n).mean()
    for n in (5, 10, 12, 20, 26, 30, 60):
        out[f"ema_{n}"] = c.ewm(span=n, adjust=False).mean()
    for n in (10, 20):
        wts = np.arange(1, n + 1, dtype=float)
        out[f"wma_{n}"] = c.rolling(n).apply(lambda w, wts=wts: w @ wts / wts.sum(), raw=True)
    m5, m10, m20, m60 = (out[f"ma_{n}"] for n in (5, 10, 20, 60))
    out["ma_bull"] = ((m5 > m10) & (m10 > m20) & (m20 > m60)).astype(float)
    out["ma_bear"] = ((m5 < m10) & (m10 < m20) & (m20 < m60)).astype(float)
    for n in (5, 20, 60):
        out[f"bias_{n}"] = (c / out[f"ma_{n}"] - 1) * 100
    dif = out["ema_12"] - out["ema_26"]
    dea = dif.ewm(span=9, adjust=False).mean()
    out.update(macd_dif=dif, macd_dea=dea, macd_bar=2 * (dif - dea),
               macd_golden=((dif.shift() <= dea.shift()) & (dif > dea)).astype(float),
               macd_dead=((dif.shift() >= dea.shift()) & (dif < dea)).astype(float))  # fmt: skip
    d = c.diff()
    for n in (6, 14, 24):
        out[f"rsi_{n}"] = (
            d.clip(lower=0).ewm(alpha=1 / n, adjust=False).mean()
            / d.abs().ewm(alpha=1 / n, adjust=False).mean()
            * 100
        )
    out["rsi_overbought"] = (out["rsi_14"] > 70).astype(float)
    out["rsi_oversold"] = (out["rsi_14"] < 30).astype(float)
    ll, hh = lo.rolling(9).min(), h.rolling(9).max()
    rsv = (c - ll) / (hh - ll) * 100
    k = rsv.ewm(alpha=1 / 3, adjust=False).mean()
    dd = k.ewm(alpha=1 / 3, adjust=False).mean()
    out.update(kdj_k=k, kdj_d=dd, kdj_j=3 * k - 2 * dd, kdj_golden=((k.shift() <= dd.shift()) & (k > dd)).astype(float),
               kdj_dead=((k.shift() >= dd.shift()) & (k < dd)).astype(float),
               kdj_overbought=((k > 80) & (dd > 80)).astype(float), kdj_oversold=((k < 20) & (dd < 20)).astype(float))  # fmt: skip
    hd, ld = h.diff(), -lo.diff()
    pdm = hd.where((hd > 0) & (hd > ld), 0.0)
    mdm = ld.where((ld > 0) & (ld > hd), 0.0)
    str14 = tr.rolling(14).sum()
    pdi = pdm.rolling(14).sum() / str14 * 100
    mdi = mdm.rolling(14).sum() / str14 * 100
    adx = ((mdi - pdi).abs() / (mdi + pdi) * 100).rolling(6).mean()
    out.update(
        plus_di=pdi,
        minus_di=mdi,
        adx=adx,
        adx_strong=(adx > 25).astype(float),
        adx_weak=(adx < 20).astype(float),
    )
    for n in (5, 10, 20):
        out[f"mom_{n}"] = c - c.shift(n)
        out[f"mom_{n}_pct"] = (c / c.shift(n) - 1) * 100
        out[f"roc_{n}"] = out[f"mom_{n}_pct"]
    for n in (14, 20):
        hh, ll = h.rolling(n).max(), lo.rolling(n).min()
        out[f"wr_{n}"] = (hh - c) / (hh - ll) * 100
    tp = (h + lo + c) / 3
    for n in (14, 20):
        md = tp.rolling(n).apply(lambda w: np.abs(w - w.mean()).mean(), raw=True)
        out[f"cci_{n}"] = (tp - tp.rolling(n).mean()) / (0.015 * md)
    return pd.DataFrame(out)


# ------------------------------------------------------------------------------------------------------- driver
def _run(part: str, args: argparse.Namespace) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--part", part, "--stocks", str(args.stocks), "--days", str(args.days),
           "--pandas-stocks", str(args.pandas_stocks)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"part {part} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    from thermoquant.features.engine import tune_allocator

    tune_allocator()  # as `tq features compute` does: the engine itself never changes the process allocator
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", default="")
    ap.add_argument("--stocks", type=int, default=5000)
    ap.add_argument("--days", type=int, default=2500)
    ap.add_argument("--pandas-stocks", type=int, default=100)
    args = ap.parse_args()
    if args.part:
        fn = {"a": lambda: part_a(args.stocks, args.days), "b": lambda: part_b(args.stocks, args.days),
              "bp": lambda: part_b_pandas(args.stocks, args.days, args.pandas_stocks),
              "c": lambda: part_c(args.stocks, args.days)}[args.part]  # fmt: skip
        print(json.dumps(fn()))
        return
    s, d = args.stocks, args.days
    print(
        f"synthetic panel: {s} stocks × {d} days, random-walk OHLCV, seed {SEED}; 10 % of stocks listed late"
    )
    a = _run("a", args)
    print(
        f"(a) reference set (SMA×4, EMA×2, MACD×3, RSI, STOCH×2, ADX, ATR, CCI, WILLR), TA-Lib convention ({a['threads']} worker threads)"
    )
    print(f"    thermoquant (numba, panel)     {a['ours']:8.2f} s   CPU {a['cpu_ours']:.2f} s   "
          f"(1 thread: {a['ours_1thread']:.2f} s, CPU {a['cpu_ours_1thread']:.2f} s)")  # fmt: skip
    print(f"    TA-Lib per-stock loop          {a['talib']:8.2f} s   CPU {a['cpu_talib']:.2f} s")
    print(f"    ratio TA-Lib / thermoquant     {a['talib'] / a['ours']:8.2f} x   (>1 = thermoquant faster; "
          f"CPU-time ratio {a['cpu_talib'] / a['cpu_ours']:.2f} x)")  # fmt: skip
    b = _run("b", args)
    bp = _run("bp", args)
    print(
        f"(b) dimensions 1-4 complete: {b['factors']} factors, {b['rows']:,} rows, chunks of {CHUNK} stocks"
    )
    print(f"    thermoquant (long in -> long out) {b['ours']:8.2f} s   CPU {b['cpu']:.2f} s   peak RSS {b['rss_gb']:.2f} GB "
          f"(before compute {b['rss_before_gb']:.2f} GB)   targets: <= 10 s, <= 6 GB")  # fmt: skip
    print(f"    pandas groupby formulation        {bp['scaled']:8.2f} s   CPU {bp['cpu']:.2f} s   (measured {bp['pandas']:.2f} s on "
          f"{bp['subset']} stocks, scaled x{s / bp['subset']:.0f})")  # fmt: skip
    print(f"    ratio pandas / thermoquant        {bp['scaled'] / b['ours']:8.2f} x")
    c = _run("c", args)
    print(f"(c) one-day incremental update, {c['stocks']} stocks, {c['factors']} factors (state seeded in "
          f"{c['start']:.1f} s, not timed)")  # fmt: skip
    print(
        f"    IncrementalEngine.update       {c['update']:8.3f} s   (second day {c['update2']:.3f} s)   target <= 1 s"
    )
    print(f"    full recomputation (b)         {b['ours']:8.3f} s")
    print(f"    ratio full / incremental       {b['ours'] / c['update']:8.1f} x")


if __name__ == "__main__":
    main()
