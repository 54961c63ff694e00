"""Full-market daily backtest speed: thermoquant's engine (every A-share rule on) beside vectorbt's
``Portfolio.from_signals`` (no A-share rules) on the same arrays, and the per-stock-day cost against backtrader.

Run: ``.venv/bin/python benchmarks/bench_backtest.py [--stocks 5000 --days 2500 --bt-stocks 50]``.

The market is a synthetic random walk (no real source holds 5,000 stocks x 2,500 days): daily returns clipped to
the +-10 % limit, about 1 % suspended cells, a few one-price limit bars, 10 % STAR symbols (200/1 lots).  Limit
prices, lots and dated fees come from :func:`thermoquant.backtest.rules.from_arrays` (the product's rules: STAR
has no limit before its board opened, so its one-price bars start in 2019).  Targets: each stock flips between held (equal weight ~ 1 / expected holdings)
and flat with probability 2 % a day; the target is set on flip days only.  Both engines fill at the next open, with
commission 0.025 %, cash shared across all stocks, and are timed after a warm-up run (JIT compile excluded).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import time

import numpy as np

from thermoquant.backtest.engine import EngineConfig, MarketArrays, run_targets
from thermoquant.backtest.rules import from_arrays, limit_arrays
from thermoquant.market.symbols import board_codes

INIT_CASH = 100_000_000.0
COMMISSION = 0.00025


def _import_vectorbt():
    """vectorbt 1.0 registers plotly templates with keys plotly 6+ dropped; filter them before the import."""
    import plotly.graph_objects as go

    base = go.layout.Template

    class _Template(base):  # type: ignore[misc, valid-type]
        def __init__(self, arg: object = None, **kw: object) -> None:
            if isinstance(arg, dict):
                arg = dict(arg)
                if isinstance(arg.get("data"), dict):
                    valid = go.layout.template.Data()._valid_props
                    arg["data"] = {k: v for k, v in arg["data"].items() if k in valid}
                if isinstance(arg.get("layout"), dict):
                    valid = go.Layout()._valid_props
                    arg["layout"] = {k: v for k, v in arg["layout"].items() if k in valid}
            super().__init__(arg, **kw)

    go.layout.Template = _Template
    import vectorbt as vbt

    go.layout.Template = base
    return vbt


def _symbol(i: int) -> str:
    """Distinct codes: every 10th a STAR stock (688xxx), the rest Shenzhen (000-003xxx) and Shanghai (600/601/603xxx)."""
    if i % 10 == 0:
        return f"{688000 + i // 10:06d}.SH"
    k = i // 2
    return f"{k + 1:06d}.SZ" if i % 2 else f"{(600000 + k) if k < 2000 else (603000 + k - 2000):06d}.SH"


def synthetic_market(n: int, T: int, seed: int = 0) -> MarketArrays:
    """(n x T) random-walk market with limits, suspensions and one-price bars (see the module docstring)."""
    rng = np.random.default_rng(seed)
    symbols = [_symbol(i) for i in range(n)]
    ret = np.clip(rng.normal(0.0003, 0.025, (n, T)), -0.0999, 0.0999)
    close = np.round(10.0 * np.exp(rng.normal(0, 0.5, (n, 1))) * np.cumprod(1 + ret, axis=1), 2)
    prev = np.empty_like(close)
    prev[:, 0] = close[:, 0]
    prev[:, 1:] = close[:, :-1]
    open_ = np.round(prev * (1 + rng.normal(0, 0.01, (n, T))), 2)
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.01, (n, T))))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.01, (n, T))))
    dates = np.busday_offset(np.datetime64("2015-01-05"), np.arange(T), roll="forward")
    limit_up, limit_down = limit_arrays(prev, board_codes(np.array(symbols, dtype=object)), dates)
    locked = (rng.random((n, T)) < 0.003) & np.isfinite(limit_up)  # one-price bars at the limit
    up = locked & (rng.random((n, T)) < 0.5)
    down = locked & ~up
    for mask, lim in ((up, limit_up), (down, limit_down)):
        open_[mask] = high[mask] = low[mask] = close[mask] = lim[mask]
    volume = np.round(rng.lognormal(13, 1, (n, T)), -2)
    susp = rng.random((n, T)) < 0.01
    for a in (open_, high, low, close):
        a[susp] = np.nan
    volume[susp] = 0.0
    return from_arrays(
        symbols,
        dates,
        open=open_,
        high=high,
        low=low,
        close=close,
        volume=volume,
        amount=volume * close,
        prev_close=prev,
    )


def random_targets(n: int, T: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(target weights with NaN on non-flip days, held state 0/1) — both (n x T)."""
    rng = np.random.default_rng(seed)
    flips = rng.random((n, T)) < 0.02
    state = (np.cumsum(flips, axis=1) % 2).astype(np.float64)
    weight = 1.0 / max(1.0, 0.5 * n)
    target = np.where(flips, state * weight, np.nan)
    return target, state


def slice_market(m: MarketArrays, n: int) -> MarketArrays:
    """The first n stocks."""
    per_stock = {
        f.name: np.ascontiguousarray(getattr(m, f.name)[:n])
        for f in dataclasses.fields(m)
        if f.name not in ("symbols", "dates", "stamp_buy", "stamp_sell", "transfer_rate", "events")
    }
    return dataclasses.replace(m, symbols=m.symbols[:n], **per_stock)


def time_tq(m: MarketArrays, target: np.ndarray) -> tuple[float, object]:
    cfg = EngineConfig(init_cash=INIT_CASH, commission_rate=COMMISSION, min_commission=5.0)
    t0 = time.perf_counter()
    res = run_targets(m, target, config=cfg)
    return time.perf_counter() - t0, res


def vectorbt_inputs(m: MarketArrays, target: np.ndarray) -> dict[str, np.ndarray]:
    """Same arrays in vectorbt's (time x columns) layout; a target decided on day k fills at day k+1's open."""
    exec_t = np.full_like(target, np.nan)
    exec_t[:, 1:] = target[:, :-1]
    entries = (exec_t > 0).T.copy()
    exits = (exec_t == 0).T.copy()
    close = np.where(np.isnan(m.close), np.nan, m.close).T.copy()
    return {
        "close": close,
        "price": m.open.T.copy(),
        "entries": entries,
        "exits": exits,
        "size": np.nan_to_num(exec_t.T * INIT_CASH),
    }


def time_vectorbt(vbt, a: dict[str, np.ndarray]) -> tuple[float, object]:
    t0 = time.perf_counter()
    pf = vbt.Portfolio.from_signals(
        a["close"],
        a["entries"],
        a["exits"],
        size=a["size"],
        size_type="value",
        price=a["price"],
        fees=COMMISSION,
        init_cash=INIT_CASH,
        cash_sharing=True,
        group_by=True,
        ffill_val_price=True,
        freq="1D",
    )
    value = pf.value()  # force the equity curve, as the tq run produces it
    return time.perf_counter() - t0, value


def time_backtrader(m: MarketArrays, target: np.ndarray) -> float:
    """backtrader: one PandasData feed per stock, order_target_percent on flip days (next-open fills)."""
    import backtrader as bt
    import pandas as pd

    idx = pd.DatetimeIndex(m.dates.astype("datetime64[ns]"))

    class Flip(bt.Strategy):
        def __init__(self) -> None:
            self.k = 0

        def next(self) -> None:
            k = self.k
            for i, d in enumerate(self.datas):
                w = target[i, k]
                if not np.isnan(w):
                    self.order_target_percent(data=d, target=float(w) * len(self.datas) / 2.0)
            self.k += 1

    cerebro = bt.Cerebro(stdstats=False)
    for i, sym in enumerate(m.symbols):
        df = pd.DataFrame(
            {
                "open": pd.Series(m.open[i], index=idx).ffill().bfill(),
                "high": pd.Series(m.high[i], index=idx).ffill().bfill(),
                "low": pd.Series(m.low[i], index=idx).ffill().bfill(),
                "close": pd.Series(m.close[i], index=idx).ffill().bfill(),
                "volume": m.volume[i],
                "openinterest": 0.0,
            },
            index=idx,
        )
        cerebro.adddata(bt.feeds.PandasData(dataname=df), name=sym)
    cerebro.broker.setcash(INIT_CASH)
    cerebro.broker.setcommission(commission=COMMISSION)
    cerebro.addstrategy(Flip)
    t0 = time.perf_counter()
    cerebro.run(runonce=False, preload=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stocks", type=int, default=5000)
    ap.add_argument("--days", type=int, default=2500)
    ap.add_argument("--bt-stocks", type=int, default=50)
    args = ap.parse_args()
    n, T = args.stocks, args.days
    print(
        f"bench_backtest  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC  market {n} stocks x {T} days (synthetic)"
    )
    m = synthetic_market(n, T)
    target, _ = random_targets(n, T)
    vbt = _import_vectorbt()
    small = slice_market(m, 20)
    time_tq(small, target[:20])  # warm-up: JIT compile / cache load
    time_vectorbt(vbt, vectorbt_inputs(small, target[:20]))
    a = vectorbt_inputs(m, target)

    tq_s, res = time_tq(m, target)
    vbt_s, value = time_vectorbt(vbt, a)
    rec = res.records
    print(
        f"  tq engine, all A-share rules      {tq_s:8.2f} s   "
        f"({len(rec):,} orders, {int((rec[:, 3] != 0).sum()):,} fills, final equity {res.equity[-1]:,.0f} CNY)"
    )
    print(
        f"  vectorbt from_signals, no rules   {vbt_s:8.2f} s   (final value {float(np.asarray(value)[-1]):,.0f})"
    )
    print(f"  ratio tq / vectorbt               {tq_s / vbt_s:8.2f}x  (target <= 1.5x)")

    k = args.bt_stocks
    sub = slice_market(m, k)
    bt_s = time_backtrader(sub, target[:k])
    tq_k, _ = time_tq(sub, target[:k])
    per = 1e9 / (k * T)
    print(f"  backtrader {k} stocks x {T} days   {bt_s:8.2f} s   {bt_s * per:10.0f} ns per stock-day")
    print(f"  tq engine {k} stocks x {T} days    {tq_k:8.3f} s   {tq_k * per:10.0f} ns per stock-day")
    print(
        f"  tq engine full market             {tq_s:8.2f} s   {tq_s * 1e9 / (n * T):10.0f} ns per stock-day"
    )
    print(f"  ratio backtrader / tq per stock-day ({k} stocks)   {bt_s / tq_k:8.0f}x")
    print(
        f"  ratio backtrader ({k}) / tq (full market) per stock-day   {bt_s * per / (tq_s * 1e9 / (n * T)):8.0f}x"
    )


if __name__ == "__main__":
    main()
