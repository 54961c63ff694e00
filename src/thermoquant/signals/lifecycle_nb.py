"""Numba kernels of the thermo life cycle (seed 000 §二, seed 001 §2.3): A cold storage → B ignition → C steady
combustion → D burnout, per stock and bar, and the point-in-time ignition success rate.

Inputs are the house long layout (rows of stock ``s`` are ``[offsets[s], offsets[s+1])``, sorted by date) and a
per-row parameter matrix ``prm`` (n_rows × len(:data:`LIFECYCLE_PARAMS`)), so a parameter pack can change a
stock's thresholds from one date on. Every decision at bar t reads bars <= t only.

States (int8): ``NONE`` -1 (not in the cycle: before any A rule, after a stop or a failed ignition), A 0, B 1,
C 2, D 3. Events (int8, the reason of the bar's transition): see :data:`EVENT_NAMES`.

Rules at bar t (ΔT = T_f / T_i − 1; K conductivity; vr volume ratio; τ turnover; w = cold_window):

* **cold** (A, "有量无价"): over the last w bars mean |ΔT| <= cold_dt_band, mean |K| <= cold_k_max, mean vr >=
  cold_vol_ratio, and q_below(t) − q_below(t−w+1) > cold_fuel_gain;
* **ignite** (B trigger): ΔT jumps across ignition_dt (previous bar <= it, this bar > it), K >= ignition_k and
  vol_ratio_min <= vr <= vol_ratio_max;
* **steady** (B → C): ΔT > 0 and T_i(t) > T_i(t − slope_window);
* **exhaustion** (D, seed 001): bottom_mass < bottom_gone, top_mass >= top_heavy and mean K over k_trend_days <
  k_dist; **turnover** (D, seed 000): τ >= burnout_turnover; **drawdown** (C → D): close below the highest close
  since entering C by more than steady_drawdown;
* **stop** (physical stop, B/C → NONE): ΔT < 0 on more than stop_days consecutive bars;
* B lasting ignition_max_days without reaching C → NONE (failed ignition).

From NONE, A or D: ignite → B (from A only when ``from_cold``); else cold → A. A stays A while mean |ΔT| over w
bars stays within cold_dt_band, else NONE. D stays D until cold or ignition.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

LIFECYCLE_PARAMS: tuple[str, ...] = (
    "cold_window", "cold_dt_band", "cold_k_max", "cold_vol_ratio", "cold_fuel_gain",
    "ignition_dt", "ignition_k", "vol_ratio_min", "vol_ratio_max", "ignition_max_days",
    "slope_window", "pullback_band", "shrink_ratio", "steady_drawdown",
    "bottom_gone", "top_heavy", "k_dist", "k_trend_days", "burnout_turnover",
    "stop_days", "take_profit", "stop_loss", "success_horizon", "success_gain",
)  # fmt: skip
"""Columns of the per-row parameter matrix, in order (the strategy's per-stock parameters)."""
_I = {n: i for i, n in enumerate(LIFECYCLE_PARAMS)}
_CW, _CDT, _CK, _CVR, _CFG = (_I[n] for n in LIFECYCLE_PARAMS[:5])
_IDT, _IK, _VMIN, _VMAX, _IMAX = (_I[n] for n in LIFECYCLE_PARAMS[5:10])
_SW, _PB, _SHR, _SDD = (_I[n] for n in LIFECYCLE_PARAMS[10:14])
_BG, _TH, _KD, _KTD, _BT = (_I[n] for n in LIFECYCLE_PARAMS[14:19])
_STOP, _TP, _SL, _SH, _SG = (_I[n] for n in LIFECYCLE_PARAMS[19:24])

NONE, A, B, C, D = -1, 0, 1, 2, 3
EV_NONE, EV_COLD, EV_IGNITE, EV_STEADY, EV_EXHAUST, EV_TURNOVER, EV_DRAWDOWN, EV_STOP, EV_FAILED, EV_DROP = (
    range(10)
)
EVENT_NAMES: tuple[str, ...] = (
    "", "cold", "ignite", "steady", "exhaustion", "turnover", "drawdown", "stop", "ignition_failed", "cold_lost",
)  # fmt: skip
"""Event code → name: entering A (cold), B (ignite), C (steady); D by seed 001's exhaustion rule, by the turnover
rule or by the steady-phase drawdown; the physical stop; a B that never reached C; an A whose price moved."""


@njit(cache=True)
def _window_means(
    dt: np.ndarray, k: np.ndarray, vr: np.ndarray, t: int, a: int, w: int, band: float
) -> tuple[float, float, float]:
    """Mean |ΔT|, mean |K|, mean vr over bars (t−w, t] of the stock starting at row a (all NaN when any is missing).
    Mean |K| and mean vr are summed only when mean |ΔT| <= ``band`` (else NaN): the A rules read them only then, and
    a missing K or vr then makes all three NaN as it would have; sums run in bar order either way."""
    if t - w + 1 < a:
        return np.nan, np.nan, np.nan
    sd = 0.0
    for j in range(t - w + 1, t + 1):
        if dt[j] != dt[j]:
            return np.nan, np.nan, np.nan
        sd += abs(dt[j])
    if not (sd / w <= band):
        return sd / w, np.nan, np.nan
    sk = 0.0
    sv = 0.0
    for j in range(t - w + 1, t + 1):
        if k[j] != k[j] or vr[j] != vr[j]:
            return np.nan, np.nan, np.nan
        sk += abs(k[j])
        sv += vr[j]
    return sd / w, sk / w, sv / w


@njit(cache=True)
def _mean_k(k: np.ndarray, t: int, a: int, w: int) -> float:
    if t - w + 1 < a:
        return np.nan
    s = 0.0
    for j in range(t - w + 1, t + 1):
        if k[j] != k[j]:
            return np.nan
        s += k[j]
    return s / w


@njit(cache=True, parallel=True)
def lifecycle_batch(
    offsets: np.ndarray,
    close: np.ndarray,
    t_i: np.ndarray,
    dt: np.ndarray,
    k: np.ndarray,
    vr: np.ndarray,
    tau: np.ndarray,
    q_below: np.ndarray,
    bottom_mass: np.ndarray,
    top_mass: np.ndarray,
    prm: np.ndarray,
    from_cold: bool,
    use_exhaustion: bool,
    use_turnover: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(state int8, days_in_state int32, event int8, ignite bool, buy_point bool, stop bool) per row.

    ``days_in_state`` counts bars since the state was entered (1 on the entry bar); ``ignite`` is the raw B trigger
    (whatever the state), ``buy_point`` the C buy point (state C, |ΔT| <= pullback_band, vr <= shrink_ratio),
    ``stop`` the physical-stop condition (whatever the state)."""
    n = close.shape[0]
    state = np.empty(n, dtype=np.int8)
    days = np.empty(n, dtype=np.int32)
    event = np.zeros(n, dtype=np.int8)
    ignite = np.zeros(n, dtype=np.bool_)
    buy = np.zeros(n, dtype=np.bool_)
    stop = np.zeros(n, dtype=np.bool_)
    for s in prange(offsets.shape[0] - 1):
        a = offsets[s]
        cur = NONE
        held = 0
        below = 0
        peak = 0.0
        for t in range(a, offsets[s + 1]):
            d = dt[t]
            below = below + 1 if d < 0.0 else 0
            stop[t] = below > prm[t, _STOP]
            d_prev = dt[t - 1] if t > a else np.nan
            jump = d > prm[t, _IDT] and (d_prev != d_prev or d_prev <= prm[t, _IDT])
            ign = jump and k[t] >= prm[t, _IK] and vr[t] >= prm[t, _VMIN] and vr[t] <= prm[t, _VMAX]
            ignite[t] = ign
            w = int(prm[t, _CW])
            fuel_gain = q_below[t] - q_below[t - w + 1] if t - w + 1 >= a else np.nan
            sw = int(prm[t, _SW])
            ti_up = t - sw >= a and t_i[t] > t_i[t - sw]
            new = cur
            ev = EV_NONE
            if B <= cur <= C:
                mkd = _mean_k(k, t, a, int(prm[t, _KTD]))
                exhausted = (
                    bottom_mass[t] < prm[t, _BG]
                    and top_mass[t] >= prm[t, _TH]
                    and (mkd != mkd or mkd < prm[t, _KD])
                )
                if use_exhaustion and exhausted:
                    new, ev = D, EV_EXHAUST
                elif use_turnover and tau[t] >= prm[t, _BT]:
                    new, ev = D, EV_TURNOVER
                elif stop[t]:
                    new, ev = NONE, EV_STOP
                elif cur == C and close[t] < peak * (1.0 - prm[t, _SDD]):
                    new, ev = D, EV_DRAWDOWN
                elif cur == B and d > 0.0 and ti_up and held >= 1:
                    new, ev = C, EV_STEADY
                elif cur == B and held >= prm[t, _IMAX]:
                    new, ev = NONE, EV_FAILED
            elif ign and (cur == A or not from_cold):
                new, ev = B, EV_IGNITE
            elif cur == A or fuel_gain > prm[t, _CFG]:  # else the window means decide nothing (no A)
                md, mk, mv = _window_means(dt, k, vr, t, a, w, prm[t, _CDT])
                cold = (
                    md <= prm[t, _CDT]
                    and mk <= prm[t, _CK]
                    and mv >= prm[t, _CVR]
                    and fuel_gain > prm[t, _CFG]
                )
                if cold and cur != A:
                    new, ev = A, EV_COLD
                elif cur == A and not (md <= prm[t, _CDT]):
                    new, ev = NONE, EV_DROP
            if new != cur:
                held = 1
                peak = close[t]
            else:
                held += 1
                peak = max(peak, close[t])
            cur = new
            state[t] = cur
            days[t] = held
            event[t] = ev
            buy[t] = cur == C and ev == EV_NONE and abs(d) <= prm[t, _PB] and vr[t] <= prm[t, _SHR]
    return state, days, event, ignite, buy, stop


@njit(cache=True, parallel=True)
def success_rate_batch(
    offsets: np.ndarray, close: np.ndarray, ignite: np.ndarray, prm: np.ndarray, prior: float, prior_n: float
) -> tuple[np.ndarray, np.ndarray]:
    """(rate, events) per row: the stock's ignition success rate known at bar t's close, and how many resolved
    ignitions it rests on.

    An ignition at bar e succeeds when the highest close of bars (e, e + h] reaches close(e) × (1 + g) (h =
    success_horizon, g = success_gain of bar e); its outcome is known at bar e + h and counted from that bar on,
    never before. rate = (successes + prior × prior_n) / (events + prior_n) (NaN with prior_n = 0 and no event)."""
    n = close.shape[0]
    rate = np.empty(n)
    events = np.zeros(n, dtype=np.int32)
    for s in prange(offsets.shape[0] - 1):
        a = offsets[s]
        e = offsets[s + 1]
        add_n = np.zeros(e - a)
        add_s = np.zeros(e - a)
        for t in range(a, e):
            if not ignite[t]:
                continue
            h = int(prm[t, _SH])
            r = t + h
            if r >= e:
                continue  # outcome unknown inside the data
            best = -np.inf
            for j in range(t + 1, r + 1):
                best = max(best, close[j])
            add_n[r - a] += 1.0
            if best >= close[t] * (1.0 + prm[t, _SG]):
                add_s[r - a] += 1.0
        cn = 0.0
        cs = 0.0
        for t in range(a, e):
            cn += add_n[t - a]
            cs += add_s[t - a]
            den = cn + prior_n
            rate[t] = (cs + prior * prior_n) / den if den > 0 else np.nan
            events[t] = int(cn)
    return rate, events


@njit(cache=True, parallel=True)
def burnout_rule_batch(offsets: np.ndarray, state: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Per row in D: the event code that put the stock in D (its latest D row with an event; 0 when none),
    0 on rows outside D."""
    out = np.zeros(state.shape[0], dtype=np.int8)
    for s in prange(offsets.shape[0] - 1):
        last = 0
        for t in range(offsets[s], offsets[s + 1]):
            if state[t] == D:
                if event[t] != EV_NONE:
                    last = event[t]
                out[t] = last
    return out
