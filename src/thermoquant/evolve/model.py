"""Per-stock decisions on kernel features: the walk-forward fit of a first pack, and one night's regression.

Pure functions of a :class:`~thermoquant.evolve.features.Features` chunk, a row range and packs (vectors in
:data:`thermoquant.evolve.space.NAMES` order). Row ranges are half-open; a stock's rows are
``[offsets[i], offsets[i+1])`` and, in a cut for a pack valid from day t, all lie before t.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from thermoquant.evolve import space
from thermoquant.evolve.config import EvolveConfig
from thermoquant.evolve.kernels import EXITS, S_N, STATS, TRADE, X_DD, X_STOP, candidate_stats, simulate
from thermoquant.evolve.objective import score

MIN_TRAIN_SHARE = 0.5
"""A stock whose training window holds fewer than this share of ``train_days`` rows gets the market pack."""


@dataclass
class Decision:
    """A stock's pack for the next valid day and why: ``changed`` False means the incumbent stays (no row)."""

    vector: np.ndarray
    changed: bool
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)
    is_score: float | None = None
    oos_score: float | None = None
    n_trades: int = 0
    outcome: str = ""  # short category for summaries (own, market:*, nightly:*)


def stock_seed(seed: int, symbol: str) -> int:
    """The stock's own seed: ``seed`` XOR crc32(symbol) (stable across processes and machines)."""
    return (seed ^ zlib.crc32(symbol.encode())) & 0x7FFFFFFF


def windows(start: int, end: int, cfg: EvolveConfig) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(train, test) row ranges ending at ``end`` (exclusive): test = the last ``test_days`` rows, an embargo of
    ``gap_days``, train before it (at most ``train_days``, after ``warmup_days`` of the stock's rows); None when
    the training window would be shorter than MIN_TRAIN_SHARE × train_days."""
    test = (max(end - cfg.test_days, start), end)
    train_end = test[0] - cfg.gap_days
    train_start = max(train_end - cfg.train_days, start + cfg.warmup_days)
    if train_end - train_start < MIN_TRAIN_SHARE * cfg.train_days:
        return None
    return (train_start, train_end), test


def window_stats(F: np.ndarray, s0: int, rng: tuple[int, int], cands: np.ndarray, cfg: EvolveConfig,
                 consts: np.ndarray) -> np.ndarray:  # fmt: skip
    """(n_cands, len(STATS)) statistics of the candidates over row range ``rng``."""
    return candidate_stats(F, s0, rng[0], rng[1], np.ascontiguousarray(cands), consts)


def candidates(cfg: EvolveConfig, seed: int) -> np.ndarray:
    """The grid or random candidate set of a run (TPE draws its own)."""
    return space.grid(cfg.grid_points) if cfg.search == "grid" else space.random(cfg.trials, seed)


def best_of(stats: np.ndarray, cfg: EvolveConfig, min_trades: float | None = None) -> int:
    """Index of the best candidate (the first of equals: deterministic); 0 when none passes the trade floor
    (``min_trades``, default the config's)."""
    s = score(cfg.objective, stats, cfg.min_trades if min_trades is None else min_trades)
    return int(np.argmax(s)) if np.isfinite(s).any() else 0


def fit_own(F: np.ndarray, s0: int, train: tuple[int, int], start: np.ndarray, symbol: str, cfg: EvolveConfig,
            consts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(best vector, its training stats): ``start`` is always a candidate, then the run's search."""
    if cfg.search == "tpe":
        return _fit_tpe(F, s0, train, start, symbol, cfg, consts)
    cands = np.vstack([start[None, :], candidates(cfg, stock_seed(cfg.seed, symbol))])
    stats = window_stats(F, s0, train, cands, cfg, consts)
    i = best_of(stats, cfg)
    return cands[i], stats[i]


def _fit_tpe(F: np.ndarray, s0: int, train: tuple[int, int], start: np.ndarray, symbol: str, cfg: EvolveConfig,
             consts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=stock_seed(cfg.seed, symbol))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.enqueue_trial(space.to_pack(start))
    found: dict[int, np.ndarray] = {}

    def objective(trial: optuna.Trial) -> float:
        vec = np.array([
            trial.suggest_int(d.name, int(d.lo), int(d.hi)) if d.integer else trial.suggest_float(d.name, d.lo, d.hi)
            for d in space.SPACE
        ], dtype=np.float64)  # fmt: skip
        vec = space.clip(vec)
        stats = window_stats(F, s0, train, vec[None, :], cfg, consts)[0]
        found[trial.number] = stats
        value = float(score(cfg.objective, stats, cfg.min_trades)[0])
        return value if np.isfinite(value) else -1e9

    study.optimize(objective, n_trials=cfg.trials)
    best = study.best_trial
    vec = space.clip(np.array([float(best.params[d.name]) for d in space.SPACE]))
    return vec, found[best.number]


def calibrate_stock(F: np.ndarray, s0: int, end: int, market: np.ndarray, symbol: str, cfg: EvolveConfig,
                    consts: np.ndarray) -> Decision:  # fmt: skip
    """The stock's first pack from its rows [s0, end): walk-forward fit, minimum trades, shrinkage toward the
    market pack, and an out-of-sample gate (the shrunk pack must not do worse than the market pack on the test
    window, else the market pack)."""
    win = windows(s0, end, cfg)
    if win is None:
        return Decision(market.copy(), True, "历史过短，采用全市场参数包 history too short: market pack",
                        {"rows": end - s0}, outcome="market: history too short")  # fmt: skip
    train, test = win
    own, own_stats = fit_own(F, s0, train, market, symbol, cfg, consts)
    n = int(own_stats[S_N])
    figures: dict[str, Any] = {"train": list(train), "test": list(test), "own": space.to_pack(own),
                               "own_trades": n}  # fmt: skip
    if n < cfg.min_trades:
        vec, reason, outcome = (
            market.copy(),
            f"训练期交易 {n} 笔 < {cfg.min_trades}，采用全市场参数包 too few trades",
            "market: too few trades",
        )
    else:
        w = n / (n + cfg.shrink_trades)
        vec = space.clip(w * own + (1.0 - w) * market)
        figures["weight"] = round(w, 6)
        reason, outcome = f"自有拟合，收缩权重 {w:.2f} own fit shrunk toward market", "own (shrunk)"
    pair = np.vstack([vec, market])
    is_stats = window_stats(F, s0, train, pair, cfg, consts)
    oos_stats = window_stats(F, s0, test, pair, cfg, consts)
    oos = score(cfg.objective, oos_stats, 0)
    if n >= cfg.min_trades and oos[0] < oos[1]:
        vec, outcome = market.copy(), "market: OOS gate"
        reason = f"样本外不及全市场参数包（{oos[0]:.3f} < {oos[1]:.3f}），采用全市场参数包 OOS gate"
        is_stats, oos_stats, oos = is_stats[1:], oos_stats[1:], oos[1:]
    figures["oos_market"] = float(
        score(cfg.objective, window_stats(F, s0, test, market[None, :], cfg, consts), 0)[0]
    )
    return Decision(vec, True, reason, figures, float(score(cfg.objective, is_stats[:1], 0)[0]), float(oos[0]),
                    int(is_stats[0, S_N]), outcome)  # fmt: skip


def trades_of(
    F: np.ndarray, s0: int, rng: tuple[int, int], vec: np.ndarray, consts: np.ndarray
) -> np.ndarray:
    """(n_trades, len(TRADE)) trade records of one pack over a row range."""
    buf = np.zeros((max(rng[1] - rng[0], 1), len(TRADE)))
    n = simulate(F, s0, rng[0], rng[1], vec[None, :], False, consts, np.zeros(len(STATS)), buf, np.empty(0))
    return buf[:n]


def nightly_step(F: np.ndarray, s0: int, end: int, incumbent: np.ndarray, cfg: EvolveConfig,
                 consts: np.ndarray) -> Decision:  # fmt: skip
    """Seed 000 §四 for one stock on the day of row ``end - 1``: diagnose the day, step, gate.

    * **failed ignition** — an ignition trade whose exit was decided today at a loss: the threshold it cleared by
      the smaller margin (in steps) is blamed — ΔT (``ignition_dt`` too low) or fuel (``min_fuel`` too low:
      the fuel was too thin) — and raised by one step;
    * **washed out** — a steady-phase trade left on the drawdown tolerance or the physical stop within the last
      ``diag_days`` whose stock closes above the trade's highest close for the first time today: the tolerance
      was too tight — ``steady_drawdown`` (drawdown exit) or ``stop_days`` (stop exit) widened by one step.

    At most one step per parameter, inside the bounds. The change is accepted only when the accept objective of
    the last ``accept_days`` rows is not lower than the incumbent's."""
    day = end - 1
    if end - s0 < cfg.accept_days + 2:
        return Decision(
            incumbent, False, "历史不足 too little history", outcome="nightly: too little history"
        )
    recent = (max(s0, end - max(cfg.diag_days, cfg.max_hold) - cfg.diag_days), end)
    trades = trades_of(F, s0, recent, incumbent, consts)
    close = F[1]
    steps = np.zeros(len(space.NAMES))
    events: list[dict[str, Any]] = []
    idt, fuel = space.IDX["ignition_dt"], space.IDX["min_fuel"]
    for tr in trades:
        sig, _, ex, kind, why, ret, dt_sig, q_sig, _, peak = tr
        if kind == 0 and int(ex) == day and ret <= 0.0:
            m_dt = (dt_sig - incumbent[idt]) / space.STEP[idt]
            m_fuel = (q_sig - incumbent[fuel]) / space.STEP[fuel]
            blame = "ignition_dt" if m_dt <= m_fuel else "min_fuel"
            steps[space.IDX[blame]] = 1.0
            events.append({"event": "failed_ignition", "signal_row": int(sig) - s0, "ret": round(float(ret), 6),
                           "dt_margin_steps": round(float(m_dt), 3), "fuel_margin_steps": round(float(m_fuel), 3),
                           "blame": blame})  # fmt: skip
        elif kind == 1 and int(why) in (X_DD, X_STOP) and day - cfg.diag_days <= int(ex) < day:
            later = close[int(ex) + 1 : day]
            if close[day] > peak and not (later > peak).any():
                name = "steady_drawdown" if int(why) == X_DD else "stop_days"
                steps[space.IDX[name]] = 1.0
                events.append({"event": "washed_out", "exit": EXITS[int(why)], "exit_row": int(ex) - s0,
                               "ret": round(float(ret), 6), "recovery": round(float(close[day] / peak - 1.0), 6),
                               "widen": name})  # fmt: skip
    if not events:
        return Decision(
            incumbent, False, "今日无需调整 nothing to adjust", outcome="nightly: nothing to adjust"
        )
    cand = space.clip(incumbent + steps * space.STEP)
    figures: dict[str, Any] = {"events": events}
    if np.array_equal(cand, incumbent):
        return Decision(
            incumbent, False, "已到参数边界 at the bounds", figures, outcome="nightly: at the bounds"
        )
    record = (max(s0, end - cfg.accept_days), end)
    stats = window_stats(F, s0, record, np.vstack([incumbent, cand]), cfg, consts)
    before, after = score(cfg.accept_objective, stats, 0)
    figures.update({"oos_before": round(float(before), 6), "oos_after": round(float(after), 6),
                    "record_rows": record[1] - record[0]})  # fmt: skip
    moved = ", ".join(f"{n} {incumbent[i]:g}→{cand[i]:g}" for i, n in enumerate(space.NAMES) if steps[i])
    causes = "；".join(
        ("引燃失败：温差阈值设低了" if e.get("blame") == "ignition_dt" else "引燃失败：木炭不够")
        if e["event"] == "failed_ignition" else "稳燃期被洗出：容忍度太小"
        for e in events
    )  # fmt: skip
    if after < before:
        return Decision(
            incumbent,
            False,
            f"{causes}；{moved} 会使近期样本外变差，未采纳 rejected",
            figures,
            outcome="nightly: step rejected (OOS worse)",
        )
    return Decision(cand, True, f"{causes}；{moved} nightly step accepted", figures, None, float(after),
                    int(stats[1, S_N]), "nightly: step accepted")  # fmt: skip
