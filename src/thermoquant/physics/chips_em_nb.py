"""Numba kernel of the Eastmoney CYQ (筹码分布) algorithm, reimplemented from its published facts.

Facts of the algorithm (as shipped in AKShare's ``stock_cyq_em``): for the bar at ``index`` it takes the bars of
a window ending there; 150 equally spaced price levels from the window's min low, step
``max(0.01, (max high - min low)/149)``; for each bar in order, every level decays by ``(1 - turnover)`` (turnover
capped at 1) and the bar adds a triangle over the levels in [low, high] with apex at (O+H+L+C)/4 and height
``2/(high-low)*turnover`` (a one-price bar adds ``149*turnover/2`` at its level).  Levels are read with 12
significant digits.  获利比例 = share of chips at levels <= close; 平均成本 = level where the cumulative chips first
exceed half (a median, not a mean); the 90/70 % bands are the levels at (1∓p)/2 of the chips, and the concentration
is (high-low)/(high+low).  Floating-point operations are kept in the same order so results match bit for bit up to
the 12-digit reading.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

FACTOR = 150
#: Output columns (CNY for prices; profit_ratio and concentrations are fractions).
EM_COLUMNS: tuple[str, ...] = (
    "profit_ratio",  # 获利比例
    "avg_cost",  # 平均成本 (Eastmoney's: the chip median)
    "cost_90_low",  # 90成本-低
    "cost_90_high",  # 90成本-高
    "conc_90",  # 90集中度
    "cost_70_low",  # 70成本-低
    "cost_70_high",  # 70成本-高
    "conc_70",  # 70集中度
)


@njit(cache=True)
def _sig12(x: float) -> float:
    """Round to 12 significant digits (JavaScript ``toPrecision(12)`` read back as a number)."""
    if x == 0.0 or not math.isfinite(x):
        return x
    e = math.floor(math.log10(abs(x)))
    scale = 10.0 ** (11 - e)
    return round(x * scale) / scale


@njit(cache=True)
def em_distribution(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    turnover_pct: np.ndarray,
    start: int,
    index: int,
    xdata: np.ndarray,
) -> tuple[float, float]:
    """Fill ``xdata`` (150 levels) for the bar ``index`` from bars [start, index]; returns (minprice, accuracy)."""
    maxprice = 0.0
    minprice = 0.0
    for i in range(start, index + 1):
        maxprice = high[i] if maxprice == 0.0 else max(maxprice, high[i])
        minprice = low[i] if minprice == 0.0 else min(minprice, low[i])
    accuracy = max(0.01, (maxprice - minprice) / (FACTOR - 1))
    xdata[:] = 0.0
    for i in range(start, index + 1):
        o = open_[i]
        c = close[i]
        h = high[i]
        lo = low[i]
        avg = (o + c + h + lo) / 4
        tr = turnover_pct[i] / 100
        if tr != tr or tr == 0.0:
            tr = 0.0
        tr = min(1.0, tr)
        hi_j = math.floor((h - minprice) / accuracy)
        lo_j = math.ceil((lo - minprice) / accuracy)
        g0 = (FACTOR - 1.0) if h == lo else 2 / (h - lo)
        g1 = math.floor((avg - minprice) / accuracy)
        for n in range(FACTOR):
            xdata[n] *= 1 - tr
        if h == lo:
            xdata[g1] += g0 * tr / 2
        else:
            for j in range(lo_j, hi_j + 1):
                cur = minprice + accuracy * j
                if cur <= avg:
                    if abs(avg - lo) < 1e-8:
                        xdata[j] += g0 * tr
                    else:
                        xdata[j] += (cur - lo) / (avg - lo) * g0 * tr
                else:
                    if abs(h - avg) < 1e-8:
                        xdata[j] += g0 * tr
                    else:
                        xdata[j] += (h - cur) / (h - avg) * g0 * tr
    return minprice, accuracy


@njit(cache=True)
def _cost_by_chip(xr: np.ndarray, chip: float, minprice: float, accuracy: float) -> float:
    s = 0.0
    for i in range(FACTOR):
        if s + xr[i] > chip:
            return minprice + i * accuracy
        s += xr[i]
    return 0.0


@njit(cache=True)
def em_metrics_at(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    turnover_pct: np.ndarray,
    start: int,
    index: int,
    out: np.ndarray,
) -> None:
    """EM_COLUMNS for the bar ``index`` using bars [start, index]."""
    xdata = np.zeros(FACTOR)
    minprice, accuracy = em_distribution(open_, high, low, close, turnover_pct, start, index, xdata)
    xr = np.empty(FACTOR)
    total = 0.0
    for i in range(FACTOR):
        xr[i] = _sig12(xdata[i])
        total += xr[i]
    price = close[index]
    below = 0.0
    for i in range(FACTOR):
        if price >= minprice + i * accuracy:
            below += xr[i]
    out[0] = 0.0 if total == 0 else below / total
    out[1] = _cost_by_chip(xr, total * 0.5, minprice, accuracy)
    for k, pct in enumerate((0.9, 0.7)):
        lo = _cost_by_chip(xr, total * ((1 - pct) / 2), minprice, accuracy)
        hi = _cost_by_chip(xr, total * ((1 + pct) / 2), minprice, accuracy)
        out[2 + 3 * k] = lo
        out[3 + 3 * k] = hi
        out[4 + 3 * k] = 0.0 if lo + hi == 0 else (hi - lo) / (lo + hi)


@njit(cache=True, parallel=True)
def em_batch(
    offsets: np.ndarray,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    turnover_pct: np.ndarray,
    window: int,
) -> np.ndarray:
    """Every stock-bar (parallel over stocks); ``window`` <= 0 means all bars from the stock's first row."""
    out = np.empty((close.shape[0], len(EM_COLUMNS)))
    for s in prange(offsets.shape[0] - 1):
        a = offsets[s]
        for t in range(a, offsets[s + 1]):
            st = a if window <= 0 else max(a, t - window + 1)
            em_metrics_at(open_, high, low, close, turnover_pct, st, t, out[t])
    return out
