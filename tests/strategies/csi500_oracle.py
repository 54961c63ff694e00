"""Test oracle: seed 004's upstream execution convention (the index NAV, fills at the open after the signal day's
close, 0.1 % per switch) written out as the upstream project does it, one position at a time. The product runs the
same convention as the engine's ``index_nav`` fill model; tests compare the two row by row."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from thermoquant.strategies import csi500_timing as csi


def reference_backtest(
    frame: pl.DataFrame, params: csi.Csi500TimingParams, start: dt.date, cost: float = 0.001
):
    """The upstream execution, written out for one position at a time: (daily frame, trades frame)."""
    f = csi.timing_signals(frame, params, start)
    n = f.height
    sig = f["signal"].to_numpy()
    o = f["open"].to_numpy().astype(np.float64)
    c = f["close"].to_numpy().astype(np.float64)
    pos = np.zeros(n, dtype=np.int64)
    for i in range(1, n):
        pos[i] = 1 if sig[i - 1] == 1 else 0 if sig[i - 1] == -1 else pos[i - 1]
    ret = np.zeros(n)
    bench = np.zeros(n)
    for i in range(1, n):
        bench[i] = c[i] / c[i - 1] - 1.0
        if pos[i] and not pos[i - 1]:
            ret[i] = c[i] / o[i] - 1.0 - cost
        elif pos[i - 1] and not pos[i]:
            ret[i] = o[i] / c[i - 1] - 1.0 - cost
        elif pos[i]:
            ret[i] = bench[i]
    daily = f.select("trade_date", "signal", "logic").with_columns(
        pl.Series("position", pos),
        pl.Series("strat_ret", ret),
        pl.Series("bench_ret", bench),
        pl.Series("nav", np.cumprod(1.0 + ret)),
        pl.Series("bench_nav", np.cumprod(1.0 + bench)),
    )
    dates = f["trade_date"].to_list()
    logic = f["logic"].to_list()
    rows = []
    buys = [i for i in range(n) if sig[i] == 1]
    sells = [i for i in range(n) if sig[i] == -1]
    for k, bi in enumerate(buys):
        si = sells[k] if k < len(sells) else None
        fill_in = min(bi + 1, n - 1)
        fill_out = min(si + 1, n - 1) if si is not None else n - 1
        rows.append(
            {
                "entry_signal": dates[bi],
                "entry_fill": dates[fill_in] if bi + 1 < n else None,
                "exit_signal": dates[si] if si is not None else None,
                "exit_fill": dates[fill_out] if si is not None and si + 1 < n else None,
                "logic": logic[bi],
                "return": float(np.prod(1.0 + ret[fill_in : fill_out + 1]) - 1.0) if bi + 1 < n else 0.0,
                "holding_days": fill_out - fill_in,
                "closed": si is not None and si + 1 < n,
            }
        )
    schema = {
        "entry_signal": pl.Date,
        "entry_fill": pl.Date,
        "exit_signal": pl.Date,
        "exit_fill": pl.Date,
        "logic": pl.Utf8,
        "return": pl.Float64,
        "holding_days": pl.Int64,
        "closed": pl.Boolean,
    }
    return daily, pl.DataFrame(rows, schema=schema)
