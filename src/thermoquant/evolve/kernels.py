"""Numba kernels of the evolution: one stock's trades under a pack, on precomputed physics features.

Layout: ``F`` is a (len(FEATURES), n_rows) float64 matrix of a chunk of stocks in the house long layout (stock s
owns rows ``[offsets[s], offsets[s+1])``, by date). A *window* is a row range ``[a, e)`` of one stock whose rows
start at ``s0`` (rows before ``a`` are only read for the previous ΔT).

Trade rules (the thermo strategy's per-stock entry and exit rules, seed 000 §二–三), decided at a bar's close
and filled at the next bar's open (T+1; no fill on a one-price bar):

* enter on an **ignition** (ΔT jumps across ``ignition_dt``, K >= ``ignition_k``, vol_ratio_min <= vr <=
  vol_ratio_max) or a **steady buy point** (steady combustion, |ΔT| <= ``pullback_band``, vr <= ``shrink_ratio``),
  either only with fuel q_below >= ``min_fuel``;
* leave on the **physical stop** (T_f < T_i for more than ``stop_days`` bars), the **steady drawdown** (close
  more than ``steady_drawdown`` below the highest close since entry), **burnout**, take-profit, stop-loss, the
  maximum holding (the label horizon) or the window's end (at that close).

Every kernel is compiled with ``cache=True``: a worker process loads it from the on-disk cache instead of
compiling (warm the cache once in the parent: :func:`warm`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from thermoquant.evolve.space import IDX

#: Feature rows of ``F``: open and close (CNY, forward-adjusted inside the cut), ΔT (fraction), K, volume ratio,
#: q_below (float share), steady (1.0 = ΔT > 0 with T_i and the average cost rising), burnout (1.0 = state D),
#: locked (1.0 = one-price bar: high == low).
FEATURES: tuple[str, ...] = (
    "open",
    "close",
    "dt",
    "k",
    "vol_ratio",
    "q_below",
    "steady",
    "burnout",
    "locked",
)
F_OPEN, F_CLOSE, F_DT, F_K, F_VR, F_QB, F_STEADY, F_BURN, F_LOCKED = range(len(FEATURES))

#: Fixed rule constants (not calibrated): vol_ratio_min/max (ratio), take_profit/stop_loss (fraction of entry),
#: cost (round-trip fees and slippage, fraction), max_hold (trading days: the label horizon).
CONSTS: tuple[str, ...] = ("vol_ratio_min", "vol_ratio_max", "take_profit", "stop_loss", "cost", "max_hold")
C_VRMIN, C_VRMAX, C_TP, C_SL, C_COST, C_MAXHOLD = range(len(CONSTS))

#: Statistics of a window's trades: count, winners, sum of returns, sum of winning returns, sum of |losing
#: returns|, sum of log(1 + return), bars held, ignition trades, ignition winners.
STATS: tuple[str, ...] = (
    "n",
    "wins",
    "sum_ret",
    "sum_win",
    "sum_loss",
    "sum_log",
    "held",
    "n_ign",
    "win_ign",
)
S_N, S_WINS, S_RET, S_WIN, S_LOSS, S_LOG, S_HELD, S_NIGN, S_WIGN = range(len(STATS))

#: Columns of a trade record: signal row, entry row, exit row, kind (0 ignition, 1 steady), exit reason (EXITS),
#: return (after cost), ΔT and q_below at the signal, exit price, highest close held.
TRADE: tuple[str, ...] = ("signal", "entry", "exit", "kind", "reason", "ret", "dt_signal", "q_signal", "exit_px",
                          "peak")  # fmt: skip
EXITS: tuple[str, ...] = ("stop", "drawdown", "burnout", "take_profit", "stop_loss", "max_hold", "window_end")
X_STOP, X_DD, X_BURN, X_TP, X_SL, X_HOLD, X_END = range(len(EXITS))

_IDT, _IK, _PB, _SHR = IDX["ignition_dt"], IDX["ignition_k"], IDX["pullback_band"], IDX["shrink_ratio"]
_STOP, _SDD, _FUEL = IDX["stop_days"], IDX["steady_drawdown"], IDX["min_fuel"]


@njit(cache=True)
def simulate(
    F: np.ndarray,
    s0: int,
    a: int,
    e: int,
    prm: np.ndarray,
    per_row: bool,
    consts: np.ndarray,
    stats: np.ndarray,
    trades: np.ndarray,
    daily: np.ndarray,
) -> int:
    """Trades of one stock over rows [a, e): adds into ``stats`` (len(STATS)), writes up to len(trades) trade
    records, and (when ``daily`` has e - a entries) the strategy's return of each bar. ``prm`` is one pack
    (shape (1, P)) or, with ``per_row``, one pack per bar of the window (shape (e - a, P)): the pack in force
    when the bar's decision is taken. Returns the number of trades."""
    pos = False
    entry_px = 0.0
    peak = 0.0
    mark = 0.0
    entry_t = 0
    sig_t = 0
    kind = 0
    below = 0
    dt_sig = 0.0
    q_sig = 0.0
    nt = 0
    want_daily = daily.shape[0] == e - a
    for t in range(a, e):
        p = prm[t - a] if per_row else prm[0]
        c = F[F_CLOSE, t]
        if pos:
            if want_daily:
                daily[t - a] += c / mark - 1.0
            mark = c
            below = below + 1 if F[F_DT, t] < 0.0 else 0
            peak = max(peak, c)
            r_now = c / entry_px - 1.0
            reason = -1
            if below > p[_STOP]:
                reason = X_STOP
            elif c / peak - 1.0 < -p[_SDD]:
                reason = X_DD
            elif F[F_BURN, t] > 0.0:
                reason = X_BURN
            elif r_now >= consts[C_TP]:
                reason = X_TP
            elif r_now <= -consts[C_SL]:
                reason = X_SL
            elif t - entry_t + 1 >= consts[C_MAXHOLD]:
                reason = X_HOLD
            if reason < 0 and t == e - 1:
                reason = X_END
            if reason < 0:
                continue
            if t == e - 1:
                px = c  # the window's last close: the next open lies outside the window
            elif F[F_LOCKED, t + 1] > 0.0:
                continue  # a one-price bar cannot be sold into: try again at the next close
            else:
                px = F[F_OPEN, t + 1]
                if want_daily:
                    daily[t + 1 - a] += px / c - 1.0
            ret = px / entry_px - 1.0 - consts[C_COST]
            if want_daily:
                daily[min(t + 1, e - 1) - a] -= consts[C_COST]
            stats[S_N] += 1.0
            stats[S_RET] += ret
            stats[S_LOG] += np.log1p(ret)
            stats[S_HELD] += t + 1 - entry_t
            if ret > 0.0:
                stats[S_WINS] += 1.0
                stats[S_WIN] += ret
            else:
                stats[S_LOSS] -= ret
            if kind == 0:
                stats[S_NIGN] += 1.0
                if ret > 0.0:
                    stats[S_WIGN] += 1.0
            if nt < trades.shape[0]:
                rec = trades[nt]
                rec[0], rec[1], rec[2], rec[3], rec[4] = sig_t, entry_t, t, kind, reason
                rec[5], rec[6], rec[7], rec[8], rec[9] = ret, dt_sig, q_sig, px, peak
            nt += 1
            pos = False
            continue
        if t + 1 >= e or F[F_LOCKED, t + 1] > 0.0:
            continue
        d = F[F_DT, t]
        q = F[F_QB, t]
        if not (q >= p[_FUEL]) or d != d:
            continue
        vr = F[F_VR, t]
        d_prev = F[F_DT, t - 1] if t > s0 else np.nan
        ign = (
            d > p[_IDT]
            and not (d_prev > p[_IDT])
            and F[F_K, t] >= p[_IK]
            and vr >= consts[C_VRMIN]
            and vr <= consts[C_VRMAX]
        )
        steady = F[F_STEADY, t] > 0.0 and F[F_BURN, t] == 0.0 and abs(d) <= p[_PB] and vr <= p[_SHR]
        if ign or steady:
            pos = True
            sig_t = t
            entry_t = t + 1
            entry_px = F[F_OPEN, t + 1]
            peak = entry_px
            mark = entry_px
            kind = 0 if ign else 1
            below = 0
            dt_sig = d
            q_sig = q
    return nt


@njit(cache=True)
def candidate_stats(
    F: np.ndarray, s0: int, a: int, e: int, cands: np.ndarray, consts: np.ndarray
) -> np.ndarray:
    """(n_candidates, len(STATS)): the window's trade statistics under each candidate pack (row of ``cands``)."""
    out = np.zeros((cands.shape[0], len(STATS)))
    no_trades = np.empty((0, len(TRADE)))
    no_daily = np.empty(0)
    for i in range(cands.shape[0]):
        simulate(F, s0, a, e, cands[i : i + 1], False, consts, out[i], no_trades, no_daily)
    return out


def warm() -> None:
    """Compile (or load from the cache) every kernel on a tiny input."""
    F = np.zeros((len(FEATURES), 4))
    F[F_OPEN] = F[F_CLOSE] = 1.0
    cands = np.zeros((1, len(IDX)))
    consts = np.array([1.2, 4.0, 0.3, 0.08, 0.0015, 20.0])
    candidate_stats(F, 0, 0, 4, cands, consts)
    simulate(F, 0, 0, 4, cands, False, consts, np.zeros(len(STATS)), np.zeros((4, len(TRADE))), np.zeros(4))
