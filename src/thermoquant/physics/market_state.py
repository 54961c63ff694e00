"""Incremental (bar-by-bar, e.g. every minute) update of ChipStacks, quantities and states for a whole market.

:class:`MarketState` keeps, per stock, its chip stack and a ring of its last bars, and :meth:`MarketState.update`
advances every stock by one bar in one parallel numba call.  It applies the same per-bar rules as the batch
path (:func:`thermoquant.physics.thermo.compute_physics`) and gives the same numbers on the same bars.  On an
ex-rights gap (``prev_close`` given and different from the last close) it re-prices the stock's history in the new
terms, so it always works in the terms of the latest bar, as the batch path does at its last bar.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from thermoquant.features.bars import EX_RIGHTS_RANGE
from thermoquant.physics.bars import reference_price
from thermoquant.physics.chips_nb import (
    METRIC_COLUMNS,
    N_METRICS,
    chip_step,
    fit_grid,
    grid_ratios,
    init_stack,
    stack_metrics,
)
from thermoquant.physics.params import GRID_MODES, GridSpec, P, ThermoParams, param_matrix
from thermoquant.physics.thermo_nb import MIN_HISTORY, Q_COLUMNS, classify, is_buy_point, k_norm_of

# ring fields
_AMT, _VOL, _CLS, _RET, _TAU, _LOW, _HIGH, _TI, _COST, _BOT = range(10)
_N_FIELDS = 10
_K_CAP = P["k_cap"]
_K_WINDOW = P["k_window"]
_MIGRATION_WINDOW = P["migration_window"]
_SLOPE_WINDOW = P["slope_window"]
_STOP_BARS = P["stop_bars"]
_TI_MODE = P["ti_mode"]
_TI_WINDOW = P["ti_window"]
_VOL_WINDOW = P["vol_window"]
_ZONE_WINDOW = P["zone_window"]
EX_LO, EX_HI = EX_RIGHTS_RANGE
_WINDOWS = ("ti_window", "k_window", "vol_window", "zone_window", "slope_window", "migration_window")


@njit(cache=True)
def _rebase(s: int, ratio: float, filled: int, g0: np.ndarray, ring: np.ndarray, last: np.ndarray) -> None:
    """Ex-rights gap (ratio = exchange pre_close / last close, != 1): re-price stock ``s``'s history in the new
    terms, as the batch path's forward adjustment does (:func:`thermoquant.physics.bars.forward_adjust`): the chip
    grid moves by log(ratio) (every chip keeps its bin, bin prices scale exactly), past prices scale by the ratio
    and past volumes by its inverse (amounts and turnover are unchanged).  Ratios outside EX_RIGHTS_RANGE or equal
    to 1 change nothing."""
    if not (ratio > EX_LO and ratio < EX_HI) or ratio == 1.0:
        return
    g0[s] += math.log(ratio)
    for k in range(filled):
        for f in (_CLS, _LOW, _HIGH, _TI, _COST):
            ring[s, k, f] *= ratio
        ring[s, k, _VOL] /= ratio
    last[s, 0] *= ratio
    last[s, 3] /= ratio


@njit(cache=True)
def _step_one(
    s: int,
    o: float,
    h: float,
    lo: float,
    c: float,
    vol: float,
    amt: float,
    tau: float,
    ref: float,
    pc_in: float,
    sess_id: int,
    prm: np.ndarray,
    mode: int,
    step: float,
    anchor: float,
    margin: int,
    ratios: np.ndarray,
    stack: np.ndarray,
    g0: np.ndarray,
    ring: np.ndarray,
    nseen: np.ndarray,
    last: np.ndarray,
    below: np.ndarray,
    sess: np.ndarray,
    q_out: np.ndarray,
    m_out: np.ndarray,
) -> tuple[int, bool, bool, float]:
    r_len = ring.shape[1]
    n = nseen[s]
    if n > 0 and pc_in > 0.0 and last[s, 0] > 0.0:
        _rebase(s, pc_in / last[s, 0], min(n, r_len), g0, ring, last)
    pc = pc_in if pc_in > 0.0 else (last[s, 0] if n > 0 else np.nan)
    r = c / pc - 1.0 if pc > 0.0 else np.nan
    wi = int(prm[_TI_WINDOW])
    mode_ti = int(prm[_TI_MODE])
    # T_i
    if n == 0 or sess[s] != sess_id:
        last[s, 2] = 0.0
        last[s, 3] = 0.0
        sess[s] = sess_id
    last[s, 2] += amt
    last[s, 3] += vol
    sa = amt
    sv = vol
    sc = c
    m = min(n, wi - 1)
    for j in range(1, m + 1):
        k = (n - j) % r_len
        sa += ring[s, k, _AMT]
        sv += ring[s, k, _VOL]
        sc += ring[s, k, _CLS]
    if mode_ti == 1:
        ti = sc / (m + 1)
    elif mode_ti == 2:
        ti = last[s, 2] / last[s, 3] if last[s, 3] > 0 else c
    else:
        ti = sa / sv if sv > 0 else c
    dt = c / ti - 1.0
    # K and volume ratio from past bars
    sr = 0.0
    st = 0.0
    nk = 0
    for j in range(1, min(n, int(prm[_K_WINDOW])) + 1):
        k = (n - j) % r_len
        rj = ring[s, k, _RET]
        tj = ring[s, k, _TAU]
        if rj == rj and tj == tj:
            sr += abs(rj)
            st += tj
            nk += 1
    kn = k_norm_of(r, tau, sr / nk, st / nk, prm[_K_CAP]) if nk >= MIN_HISTORY else np.nan
    nv = min(n, int(prm[_VOL_WINDOW]))
    svol = 0.0
    for j in range(1, nv + 1):
        svol += ring[s, (n - j) % r_len, _VOL]
    vr = np.nan
    if nv >= MIN_HISTORY and svol > 0:
        vr = vol / (svol / nv)
    # chips
    if n == 0:
        g0[s] = init_stack(stack[s], step, anchor, lo, h, ref)
        g0[s] = fit_grid(stack[s], g0[s], step, lo, h, margin)
    else:
        g0[s] = chip_step(stack[s], g0[s], step, margin, lo, h, ref, tau, kn, prm, mode)
    zl = lo
    zh = h
    for j in range(1, min(n, int(prm[_ZONE_WINDOW]) - 1) + 1):
        k = (n - j) % r_len
        zl = min(zl, ring[s, k, _LOW])
        zh = max(zh, ring[s, k, _HIGH])
    stack_metrics(stack[s], g0[s], step, c, zl, zh, prm, m_out, ratios)
    # state
    sw = int(prm[_SLOPE_WINDOW])
    ti_up = n >= sw and ti > ring[s, (n - sw) % r_len, _TI]
    cost_up = n >= sw and m_out[1] > ring[s, (n - sw) % r_len, _COST]
    dt_prev = last[s, 1] if n > 0 else np.nan
    state = classify(dt, dt_prev, kn, vr, tau, m_out[9], m_out[16], m_out[17], ti_up, cost_up, prm)
    buy = is_buy_point(state, dt, vr, prm)
    below[s] = below[s] + 1 if dt < 0.0 else 0
    stop = below[s] > prm[_STOP_BARS]
    mw = int(prm[_MIGRATION_WINDOW])
    mig = ring[s, (n - mw) % r_len, _BOT] - m_out[16] if n >= mw else np.nan
    # remember this bar
    k = n % r_len
    ring[s, k, _AMT] = amt
    ring[s, k, _VOL] = vol
    ring[s, k, _CLS] = c
    ring[s, k, _RET] = r
    ring[s, k, _TAU] = tau
    ring[s, k, _LOW] = lo
    ring[s, k, _HIGH] = h
    ring[s, k, _TI] = ti
    ring[s, k, _COST] = m_out[1]
    ring[s, k, _BOT] = m_out[16]
    last[s, 0] = c
    last[s, 1] = dt
    nseen[s] = n + 1
    q_out[0] = c
    q_out[1] = ti
    q_out[2] = dt
    q_out[3] = r
    q_out[4] = tau
    q_out[5] = kn
    q_out[6] = vr
    return state, buy, stop, mig


@njit(cache=True, parallel=True)
def market_step(
    o: np.ndarray,
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    vol: np.ndarray,
    amt: np.ndarray,
    tau: np.ndarray,
    ref: np.ndarray,
    pc: np.ndarray,
    sess_id: np.ndarray,
    prm: np.ndarray,
    mode: int,
    step: float,
    anchor: float,
    margin: int,
    ratios: np.ndarray,
    stack: np.ndarray,
    g0: np.ndarray,
    ring: np.ndarray,
    nseen: np.ndarray,
    last: np.ndarray,
    below: np.ndarray,
    sess: np.ndarray,
    q_out: np.ndarray,
    m_out: np.ndarray,
    state: np.ndarray,
    buy: np.ndarray,
    stop: np.ndarray,
    mig: np.ndarray,
) -> None:
    """Advance every stock with a traded bar (volume > 0 and close > 0); others keep their state (outputs NaN)."""
    for s in prange(c.shape[0]):
        if not (vol[s] > 0.0 and c[s] > 0.0 and lo[s] > 0.0):
            q_out[s, :] = np.nan
            m_out[s, :] = np.nan
            state[s] = -1
            buy[s] = False
            stop[s] = False
            mig[s] = np.nan
            continue
        st, b, sp, mg = _step_one(
            s, o[s], h[s], lo[s], c[s], vol[s], amt[s], tau[s], ref[s], pc[s], sess_id[s], prm[s], mode,
            step, anchor, margin, ratios, stack, g0, ring, nseen, last, below, sess, q_out[s], m_out[s],
        )  # fmt: skip
        state[s] = st
        buy[s] = b
        stop[s] = sp
        mig[s] = mg


class MarketState:
    """Chip stacks and state carry for ``symbols``; :meth:`update` takes one bar per stock (arrays aligned with
    ``symbols``; NaN or zero volume = no trade this bar)."""

    def __init__(
        self,
        symbols: list[str],
        params: dict[str, ThermoParams] | ThermoParams | None = None,
        mode: str = "behavioral",
        grid: GridSpec | None = None,
    ) -> None:
        self.symbols = list(symbols)
        self.grid = grid or GridSpec()
        self.mode = GRID_MODES[mode]
        self.prm = param_matrix(self.symbols, params)
        n = len(self.symbols)
        win = max(int(self.prm[:, P[w]].max()) for w in _WINDOWS) + 1 if n else 2
        self.stack = np.zeros((n, self.grid.n_bins))
        self.ratios = grid_ratios(self.grid.n_bins, self.grid.log_step)
        self.g0 = np.zeros(n)
        self.ring = np.full((n, win, _N_FIELDS), np.nan)
        self.nseen = np.zeros(n, dtype=np.int64)
        self.last = np.zeros((n, 4))  # prev close, prev ΔT, session amount, session volume
        self.below = np.zeros(n, dtype=np.int64)
        self.sess = np.zeros(n, dtype=np.int64)

    def update(
        self,
        open: np.ndarray,
        high: np.ndarray,
        low: np.ndarray,
        close: np.ndarray,
        volume: np.ndarray,
        turnover: np.ndarray,
        amount: np.ndarray | None = None,
        prev_close: np.ndarray | None = None,
        session: int | np.ndarray = 0,
    ) -> dict[str, np.ndarray]:
        """One bar for every stock (prices CNY, volume shares, amount CNY, turnover fraction of float).

        Returns arrays aligned with ``symbols``: Q_COLUMNS, METRIC_COLUMNS, ``state`` (-1 = no trade),
        ``buy_point``, ``stop``, ``migration``.
        """
        f = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
        n = len(self.symbols)
        o, h, lo, c, vol, tau = (f(a) for a in (open, high, low, close, volume, turnover))
        amt = f(amount) if amount is not None else np.full(n, np.nan)
        ref, amt = reference_price(o, h, lo, c, vol, amt)
        pc = f(prev_close) if prev_close is not None else np.full(n, np.nan)
        sess_id = np.broadcast_to(np.asarray(session, dtype=np.int64), (n,)).copy()
        q_out = np.empty((n, len(Q_COLUMNS)))
        m_out = np.empty((n, N_METRICS))
        state = np.empty(n, dtype=np.int8)
        buy = np.empty(n, dtype=np.bool_)
        stop = np.empty(n, dtype=np.bool_)
        mig = np.empty(n)
        g = self.grid
        market_step(
            o, h, lo, c, vol, amt, np.nan_to_num(tau), ref, pc, sess_id, self.prm, self.mode, g.log_step,
            g.anchor, g.margin_bins, self.ratios, self.stack, self.g0, self.ring, self.nseen, self.last,
            self.below, self.sess, q_out, m_out, state, buy, stop, mig,
        )  # fmt: skip
        out: dict[str, np.ndarray] = {name: q_out[:, i] for i, name in enumerate(Q_COLUMNS)}
        out.update({name: m_out[:, i] for i, name in enumerate(METRIC_COLUMNS)})
        out.update(state=state, buy_point=buy, stop=stop, migration=mig)
        return out
