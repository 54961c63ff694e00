"""Numba kernels of the thermodynamic quantities and the A/B/C/D state machine.

Batch drivers work on the house long layout (rows of stock ``s`` are ``[offsets[s], offsets[s+1])``, sorted by
time) and run in parallel over stocks.  The per-bar decisions (:func:`k_norm_of`, :func:`classify`) are shared
with the incremental minute driver in :mod:`thermoquant.physics.market_state`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from thermoquant.physics.params import P

_TIM = P["ti_mode"]
_TIW = P["ti_window"]
_KW = P["k_window"]
_KCAP = P["k_cap"]
_VW = P["vol_window"]
_IDT = P["ignition_dt"]
_IK = P["ignition_k"]
_VRMIN = P["vol_ratio_min"]
_VRMAX = P["vol_ratio_max"]
_SW = P["slope_window"]
_PB = P["pullback_band"]
_SHR = P["shrink_ratio"]
_BT = P["burnout_turnover"]
_THIN = P["thin_fuel"]
_BG = P["bottom_gone"]
_TH = P["top_heavy"]
_KD = P["k_dist"]
_STOP = P["stop_bars"]
_MW = P["migration_window"]

STATE_A, STATE_B, STATE_C, STATE_D = 0, 1, 2, 3
#: The quantities of a bar (T in CNY; dt, r, tau fractions; k and vol_ratio dimensionless).
Q_COLUMNS: tuple[str, ...] = ("t_f", "t_i", "dt", "ret", "tau", "k", "vol_ratio")
#: The rows :func:`quantities_batch` computes; T_f is the bar's close and tau its turnover, used as they are.
Q_KERNEL_COLUMNS: tuple[str, ...] = ("t_i", "dt", "ret", "k", "vol_ratio")
#: Minimum number of past bars before K and the volume ratio are defined.
MIN_HISTORY = 5


@njit(cache=True)
def k_norm_of(r: float, tau: float, mean_abs_r: float, mean_tau: float, cap: float) -> float:
    """Conductivity K = (r / mean|r|) / (tau / mean tau) over the stock's own past; NaN when undefined."""
    if not (tau > 0.0) or not (mean_abs_r > 0.0) or not (mean_tau > 0.0) or r != r:
        return np.nan
    k = (r / mean_abs_r) / (tau / mean_tau)
    return min(max(k, -cap), cap)


@njit(cache=True)
def classify(
    dt: float,
    dt_prev: float,
    k: float,
    vr: float,
    tau: float,
    q_below: float,
    bottom_mass: float,
    top_mass: float,
    ti_up: bool,
    cost_up: bool,
    prm: np.ndarray,
) -> int:
    """One bar's state: D burnout > B ignition > C steady combustion > A cold storage (the default)."""
    if dt != dt:
        return STATE_A
    burn_fast = tau >= prm[_BT]
    hollow = dt < 0.0 and q_below < prm[_THIN]
    k_bad = k != k or k < prm[_KD]
    exhausted = bottom_mass < prm[_BG] and top_mass >= prm[_TH] and k_bad
    if burn_fast or hollow or exhausted:
        return STATE_D
    jump = dt > prm[_IDT] and (dt_prev != dt_prev or dt_prev <= prm[_IDT])
    if jump and k >= prm[_IK] and vr >= prm[_VRMIN] and vr <= prm[_VRMAX]:
        return STATE_B
    if dt > 0.0 and ti_up and cost_up:
        return STATE_C
    return STATE_A


@njit(cache=True)
def is_buy_point(state: int, dt: float, vr: float, prm: np.ndarray) -> bool:
    """Steady-combustion buy point: T_f back within pullback_band of T_i on shrinking volume."""
    return state == STATE_C and abs(dt) <= prm[_PB] and vr <= prm[_SHR]


@njit(cache=True)
def _quantities_stock(
    a: int,
    e: int,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    prev_close: np.ndarray,
    volume: np.ndarray,
    amount: np.ndarray,
    tau: np.ndarray,
    session: np.ndarray,
    prm: np.ndarray,
    out: tuple,
) -> None:
    ti_out, dt_out, ret_out, k_out, vr_out = out
    mode = int(prm[_TIM])
    wi = int(prm[_TIW])
    wk = int(prm[_KW])
    wv = int(prm[_VW])
    s_amt = 0.0
    s_vol = 0.0
    s_cls = 0.0
    s_abs = 0.0
    s_tau = 0.0
    n_k = 0
    s_v = 0.0
    n_v = 0
    sess_amt = 0.0
    sess_vol = 0.0
    rets = np.empty(e - a)
    for t in range(a, e):
        i = t - a
        pc = prev_close[t]
        if not (pc > 0.0) and t > a:
            pc = close[t - 1]
        r = close[t] / pc - 1.0 if pc > 0.0 else np.nan
        rets[i] = r
        # T_i
        vwap_t = amount[t] / volume[t] if volume[t] > 0 else close[t]
        s_amt += amount[t] if volume[t] > 0 else 0.0
        s_vol += volume[t] if volume[t] > 0 else 0.0
        s_cls += close[t]
        if i >= wi:
            j = t - wi
            s_amt -= amount[j] if volume[j] > 0 else 0.0
            s_vol -= volume[j] if volume[j] > 0 else 0.0
            s_cls -= close[j]
        if t == a or session[t] != session[t - 1]:
            sess_amt = 0.0
            sess_vol = 0.0
        if volume[t] > 0:
            sess_amt += amount[t]
            sess_vol += volume[t]
        if mode == 1:
            ti = s_cls / min(i + 1, wi)
        elif mode == 2:
            ti = sess_amt / sess_vol if sess_vol > 0 else vwap_t
        else:
            ti = s_amt / s_vol if s_vol > 0 else close[t]
        # K from past bars only
        k = np.nan
        if n_k >= MIN_HISTORY:
            k = k_norm_of(r, tau[t], s_abs / n_k, s_tau / n_k, prm[_KCAP])
        vr = s_v / n_v if n_v >= MIN_HISTORY else np.nan
        vr = volume[t] / vr if vr > 0 else np.nan
        ti_out[t] = ti
        dt_out[t] = close[t] / ti - 1.0
        ret_out[t] = r
        k_out[t] = k
        vr_out[t] = vr
        # push bar t into the K and volume windows (used from bar t+1 on)
        if r == r and tau[t] == tau[t]:
            s_abs += abs(r)
            s_tau += tau[t]
            n_k += 1
        if i >= wk:
            j = t - wk
            rj = rets[j - a]
            if rj == rj and tau[j] == tau[j]:
                s_abs -= abs(rj)
                s_tau -= tau[j]
                n_k -= 1
        s_v += volume[t]
        n_v += 1
        if i >= wv:
            s_v -= volume[t - wv]
            n_v -= 1


@njit(cache=True, parallel=True)
def quantities_batch(
    offsets: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    prev_close: np.ndarray,
    volume: np.ndarray,
    amount: np.ndarray,
    tau: np.ndarray,
    session: np.ndarray,
    prm: np.ndarray,
    into: tuple | None = None,
) -> tuple:
    """Q_KERNEL_COLUMNS: T_i, ΔT, return, K, volume ratio per stock-bar, one array each; written into the five
    arrays ``into`` when given (float64, one value per row each: e.g. views of whole-market columns, or NumPy
    allocations: see :func:`thermoquant.physics.chips_nb.chips_batch`)."""
    if into is None:  # numba prunes an `is None` branch on an argument
        n = close.shape[0]
        out = (np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n))
    else:
        out = into
    for s in prange(offsets.shape[0] - 1):
        _quantities_stock(
            offsets[s],
            offsets[s + 1],
            high,
            low,
            close,
            prev_close,
            volume,
            amount,
            tau,
            session,
            prm[s],
            out,
        )
    return out


@njit(cache=True, parallel=True)
def states_batch(
    offsets: np.ndarray,
    t_i: np.ndarray,
    dts: np.ndarray,
    tau: np.ndarray,
    k: np.ndarray,
    vol_ratio: np.ndarray,
    q_below: np.ndarray,
    bottom_mass: np.ndarray,
    top_mass: np.ndarray,
    avg_cost: np.ndarray,
    prm: np.ndarray,
    with_migration: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """States (int8 0..3 = A..D), buy points, physical stops and chip migration per stock-bar (migration empty
    when ``with_migration`` is False: nothing reads it), from the quantities (T_i, ΔT, tau, K, volume ratio) and
    chip metrics of each bar."""
    n = dts.shape[0]
    state = np.empty(n, dtype=np.int8)
    buy = np.zeros(n, dtype=np.bool_)
    stop = np.zeros(n, dtype=np.bool_)
    migration = np.empty(n if with_migration else 0)
    for s in prange(offsets.shape[0] - 1):
        a = offsets[s]
        p = prm[s]
        sw = int(p[_SW])
        mw = int(p[_MW])
        below = 0
        for t in range(a, offsets[s + 1]):
            dt = dts[t]
            dt_prev = dts[t - 1] if t > a else np.nan
            ti_up = t - sw >= a and t_i[t] > t_i[t - sw]
            cost_up = t - sw >= a and avg_cost[t] > avg_cost[t - sw]
            st = classify(dt, dt_prev, k[t], vol_ratio[t], tau[t], q_below[t], bottom_mass[t], top_mass[t],
                          ti_up, cost_up, p)  # fmt: skip
            state[t] = st
            buy[t] = is_buy_point(st, dt, vol_ratio[t], p)
            below = below + 1 if dt < 0.0 else 0
            stop[t] = below > p[_STOP]
            if with_migration:
                migration[t] = bottom_mass[t - mw] - bottom_mass[t] if t - mw >= a else np.nan
    return state, buy, stop, migration
