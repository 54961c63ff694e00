"""`tq evaluate thermo`: the thermo strategy on whole-market real data, with every figure of issue 14 §3.

For each window (:data:`WINDOWS`, files under ``--real``) and each label mode (life cycle, per-bar):

* the physics over the whole file, the first ``warmup`` trading days kept as warm-up (no target before);
* the strategy's book (:func:`thermoquant.strategies.thermo.run_book`) and the engine run (A-share rules, fees);
* trade statistics (round trips of the engine), portfolio metrics against CSI500 and against an equal-weight
  basket of the window's universe (mean of close / pre_close − 1 over the stocks trading that day);
* exposure (holding-days) by state and by group; forward 1/5/20-day excess returns by state and at each
  buy/sell reason with t-statistics; the rank IC of the score (ignition success rate);
* the two validation stocks (:data:`VALIDATION`): the top, the first burnout (by rule) and the first stop.

Nothing is fitted: the defaults are the strategy's a-priori values. Each run is a ``backtest_log`` row.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from thermoquant.backtest import metrics, record
from thermoquant.backtest.run import BacktestConfig, RunResult, run_backtest
from thermoquant.data.job_log import job_run
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.inputs import read_bars
from thermoquant.physics.thermo import compute_physics
from thermoquant.progress import ProgressFn, tick
from thermoquant.signals.evaluation import HORIZONS, forward_excess, mean_t, rank_ic
from thermoquant.strategies.base import Panel
from thermoquant.strategies.thermo import Thermo, lifecycle, run_book
from thermoquant.strategies.thermo_params import LABEL_MODES, ThermoStrategyParams

WINDOWS: tuple[tuple[str, str], ...] = (
    ("全市场 2014-10→2016-03", "xbx_market/market_2014-10_2016-03.parquet"),
    ("全市场 2021-01→2022-01", "xbx_market/market_2021-01_2022-01.parquet"),
    ("沪深300成分 2020-01→2025-04", "baostock_hs300/hs300_members_2020-01_2025-04.parquet"),
)
"""(label, path under the real-data folder) of each evaluated window (MANIFEST.md §4, §5)."""
CSI500_FILE = "derived/csi500_index_daily_2005_2026.csv"
VALIDATION: tuple[tuple[str, int, str], ...] = (
    ("000025.SZ", 2015, "baostock_sz/sz.000025.csv"),
    ("603083.SH", 2023, "derived/stock_603083_2021_2025_raw_with_turnover_approx.csv"),
)
"""(symbol, year, file) of the validation stocks of seed 001: the tops of the 2015 and 2023 runs."""
WIN_RATE_GATE = 0.55
"""Seed 001's win-rate gate (> 55 %)."""
WARMUP_DAYS = 60
"""Trading days at the start of each file used only as warm-up (K window 60 bars)."""


@dataclass
class WindowReport:
    """Every figure of one (window, label mode) run."""

    window: str
    labels: str
    start: dt.date
    end: dt.date
    stocks: int
    trades: dict[str, float]
    portfolio: dict[str, dict[str, float]]
    exposure_state: pl.DataFrame
    exposure_group: pl.DataFrame
    by_state: dict[int, pl.DataFrame]
    by_signal: dict[int, pl.DataFrame]
    ic: dict[int, dict[str, float]]
    curves: pl.DataFrame
    run_id: str | None = None


@dataclass
class ValidationReport:
    """The validation stock's top and the first burnout / stop of its year, trading days apart from the top."""

    symbol: str
    year: int
    labels: str
    top: dt.date
    top_close: float
    events: list[dict[str, Any]] = field(default_factory=list)
    prices: pl.DataFrame | None = None


def _csi500(real: Path) -> pl.DataFrame:
    path = real / CSI500_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path}: CSI500 daily file missing (MANIFEST.md, derived/)")
    return pl.read_csv(path, columns=["date", "close"], try_parse_dates=True).select(
        pl.col("date").cast(pl.Date).alias("trade_date"), pl.col("close").cast(pl.Float64)
    )


def _returns_on(frame: pl.DataFrame, dates: list[dt.date]) -> np.ndarray:
    """Daily returns of a (trade_date, ret) frame on ``dates`` (0 where missing and on the first day)."""
    joined = pl.DataFrame({"trade_date": pl.Series(dates, dtype=pl.Date)}).join(
        frame, on="trade_date", how="left"
    )
    r = joined["ret"].fill_null(0.0).to_numpy().copy()
    r[0] = 0.0
    return r


def equal_weight(bars: pl.DataFrame) -> pl.DataFrame:
    """(trade_date, ret): the mean over traded stocks of close / pre_close − 1 (ex-rights handled by pre_close),
    rebalanced daily; a stock's first bar in the file is left out (a listing day's return is not investable)."""
    prev = pl.col("pre_close").fill_null(pl.col("close").shift(1).over("symbol"))
    first = pl.col("trade_date") == pl.col("trade_date").min().over("symbol")
    return (
        bars.sort("symbol", "trade_date")
        .with_columns(pl.when(~first).then(pl.col("close") / prev - 1.0).alias("ret"))
        .group_by("trade_date")
        .agg(pl.col("ret").filter(pl.col("ret").is_finite()).mean())
        .sort("trade_date")
    )


def _portfolio(run: RunResult, ew: np.ndarray, csi: np.ndarray) -> dict[str, dict[str, float]]:
    keys = ("total_return", "annual_return", "max_drawdown", "sharpe")
    out = {}
    for name, r in (("strategy", run.returns), ("csi500", csi), ("equal_weight", ew)):
        s = metrics.summary(np.asarray(r, dtype=np.float64))
        out[name] = {k: float(s[k]) for k in keys}
    return out


def _trade_stats(run: RunResult) -> dict[str, float]:
    s = run.summary
    rt = run.engine.round_trips() if run.engine is not None else pl.DataFrame({"pnl": []})
    pnl = rt["pnl"].to_numpy() if rt.height else np.array([])
    ret = (rt["pnl"] / rt["cost"]).to_numpy() if rt.height else np.array([])
    win, loss = ret[pnl > 0], ret[pnl <= 0]
    return {
        "trades": float(len(pnl)),
        "win_rate": float(s.get("win_rate", float("nan"))),
        "win_rate_gate": WIN_RATE_GATE,
        "mean_win": float(win.mean()) if len(win) else float("nan"),
        "mean_loss": float(loss.mean()) if len(loss) else float("nan"),
        "profit_factor": float(s.get("profit_factor", float("nan"))),
        "avg_holding_days": float(s.get("avg_holding_days", float("nan"))),
        "turnover": _turnover(run),
        "exposure": float(s.get("exposure", float("nan"))),
    }


def _turnover(run: RunResult) -> float:
    """Annual one-way turnover: traded value of the fills / 2 / mean equity / years (blocked orders, whose price is
    NaN, left out — the engine summary's figure turns NaN when one is present)."""
    if run.engine is None:
        return float("nan")
    fills = run.engine.fills()
    traded = float((fills["filled"].abs() * fills["price"]).sum()) if fills.height else 0.0
    years = len(run.returns) / metrics.PERIODS_PER_YEAR
    mean_eq = float(np.mean(run.engine.equity))
    return traded / 2.0 / mean_eq / years if years > 0 and mean_eq > 0 else float("nan")


def _exposure(rows: pl.DataFrame, by: str) -> pl.DataFrame:
    held = rows.filter(pl.col("group").is_not_null())
    if held.is_empty():
        return pl.DataFrame({by: [], "holding_days": [], "share": []}, schema={by: pl.Utf8, "holding_days": pl.UInt32,
                                                                             "share": pl.Float64})  # fmt: skip
    return (
        held.group_by(by)
        .len("holding_days")
        .with_columns((pl.col("holding_days") / pl.col("holding_days").sum()).alias("share"))
        .sort(by)
    )


def evaluate_window(
    bars: pl.DataFrame, label: str, params: ThermoStrategyParams, csi: pl.DataFrame, warmup: int = WARMUP_DAYS,
    physics: pl.DataFrame | None = None,
) -> tuple[WindowReport, RunResult]:  # fmt: skip
    """One window, one label mode: the engine run and every figure (module docstring)."""
    days = bars["trade_date"].unique().sort()
    if days.len() <= warmup + 20:
        raise ValueError(f"{label}: {days.len()} trading days, too few for a {warmup}-day warm-up")
    start, end = days[warmup], days[-1]
    phys = physics if physics is not None else compute_physics(bars)
    csi_close = csi.filter(pl.col("trade_date").is_between(start, end))
    panel = Panel({"physics": phys, "quotes": bars, "bars": bars.filter(pl.col("trade_date").is_between(start, end)),
                   "benchmark": csi_close}, start, end)  # fmt: skip
    run = run_backtest(Thermo(), panel, params, BacktestConfig(init_cash=params.capital_cny))
    rows = forward_excess(run_book(panel, params).rows)
    ew = _returns_on(equal_weight(bars), run.dates)
    csi_r = _returns_on(csi.with_columns(pl.col("close").pct_change().alias("ret")), run.dates)
    eligible = rows.filter(pl.col("eligible"))
    by_state = {h: mean_t(eligible, "state", f"xs_{h}") for h in HORIZONS}
    by_signal = {h: mean_t(rows, "reason", f"xs_{h}") for h in HORIZONS}
    ic = {h: rank_ic(eligible, "score", f"xs_{h}") for h in HORIZONS}
    curves = pl.DataFrame({
        "trade_date": pl.Series(run.dates, dtype=pl.Date),
        "strategy": np.cumprod(1 + run.returns), "csi500": np.cumprod(1 + csi_r), "equal_weight": np.cumprod(1 + ew),
    })  # fmt: skip
    rep = WindowReport(
        label, params.labels, start, end, bars["symbol"].n_unique(), _trade_stats(run), _portfolio(run, ew, csi_r),
        _exposure(rows, "state"), _exposure(rows, "group"), by_state, by_signal, ic, curves,
    )  # fmt: skip
    return rep, run


def validate_stock(
    bars: pl.DataFrame, symbol: str, year: int, params: ThermoStrategyParams
) -> ValidationReport:
    """Top of ``year`` (highest close) and the first burnout (each rule) and first stop of that year."""
    phys = compute_physics(bars)
    lab = lifecycle(phys, params).join(
        bars.select("symbol", "trade_date", "close"), on=["symbol", "trade_date"]
    )
    lab = lab.sort("trade_date").with_row_index("_i")
    yr = lab.filter(pl.col("trade_date").dt.year() == year)
    if yr.is_empty():
        raise ValueError(f"{symbol}: no bars in {year}")
    top = yr.row(int(yr["close"].arg_max()), named=True)
    events = []
    in_d = pl.col("state") == "D"
    first_d = in_d & ~in_d.shift(1).fill_null(False)
    marks = lab.with_columns(first_d.alias("_d_entry")).filter(pl.col("trade_date").dt.year() == year)
    for name, cond in (
        ("首次燃尽 first burnout (any rule)", pl.col("_d_entry")),
        (
            "首次燃尽·种子001耗竭 first exhaustion",
            pl.col("_d_entry") & (pl.col("burnout_rule") == "exhaustion"),
        ),
        ("首次燃尽·换手 first turnover burnout", pl.col("_d_entry") & (pl.col("burnout_rule") == "turnover")),
        ("首次物理止损 first physical stop", pl.col("stop") & ~pl.col("stop").shift(1).fill_null(False)),
    ):
        hit = marks.filter(cond)
        if hit.is_empty():
            events.append({"event": name, "date": None, "days_from_top": None})
        else:
            r = hit.row(0, named=True)
            events.append({"event": name, "date": r["trade_date"], "days_from_top": int(r["_i"] - top["_i"]),
                           "rule": r["burnout_rule"] if "燃尽" in name else None})  # fmt: skip
    entries = marks.filter(pl.col("_d_entry")).with_columns((pl.col("_i") - top["_i"]).alias("_gap"))
    near = entries.sort(pl.col("_gap").abs(), "_gap").head(1)
    events.append(
        {"event": "离顶部最近的燃尽 burnout nearest the top", "date": near["trade_date"].item(),
         "days_from_top": int(near["_gap"].item()), "rule": near["burnout_rule"].item()}
        if near.height else {"event": "离顶部最近的燃尽 burnout nearest the top", "date": None, "days_from_top": None}
    )  # fmt: skip
    prices = bars.filter(pl.col("trade_date").dt.year() == year).select(
        "trade_date", "open", "high", "low", "close"
    )
    return ValidationReport(
        symbol, year, params.labels, top["trade_date"], float(top["close"]), events, prices
    )


@dataclass
class Evaluation:
    windows: list[WindowReport]
    validation: list[ValidationReport]
    report_path: Path | None
    notes: list[str]


def evaluate_thermo(
    ctx: JobContext,
    real: Path,
    params: dict[str, Any] | None = None,
    labels: tuple[str, ...] = LABEL_MODES,
    windows: tuple[tuple[str, str], ...] = WINDOWS,
    report_to: Path | None = None,
    save: bool = True,
    progress: ProgressFn | None = None,
) -> Evaluation:
    """Every window × label mode, the validation stocks, the HTML report and one backtest_log row per run."""
    from thermoquant.backtest.thermo_report import write_evaluation_report

    base = ctx.strategy_params("thermo", params or {})
    csi = _csi500(real)
    reports: list[WindowReport] = []
    runs: list[tuple[WindowReport, RunResult, str]] = []
    notes = ["ST 与限售解禁：这些文件没有 ST 历史和解禁表，黑名单只用成交额与冷炉过滤 "
             "(no ST history / lock-up table in these files: amount and cold-furnace filters only)",
             "t 值为朴素 t（均值 / 标准误），未校正重叠窗口与横截面相关，偏大 (naive t: overlapping horizons and "
             "cross-sectional correlation not corrected, so |t| is overstated)",
             "沪深300 集为下载时的成分股（幸存者偏差），等权篮子因此偏高 (HS300 set = members at download time: "
             "survivorship bias inflates its equal-weight basket)",
             "未拟合任何参数：全部为先验默认值 (nothing fitted: a-priori defaults)"]  # fmt: skip
    steps = len(windows) * len(labels) + len(VALIDATION)
    step = 0
    for label, rel in windows:
        path = real / rel
        if not path.exists():
            raise FileNotFoundError(f"{path}: window file missing (see MANIFEST.md)")
        bars = read_bars(path)
        phys = compute_physics(bars)
        for mode in labels:
            tick(progress, f"{label} · {mode}", step, steps)
            step += 1
            p = base.replace({"labels": mode})
            rep, run = evaluate_window(bars, label, p, csi, physics=phys)
            reports.append(rep)
            runs.append((rep, run, rel))
    validation = []
    for symbol, year, rel in VALIDATION:
        bars = read_bars(real / rel)
        for mode in labels:
            validation.append(validate_stock(bars, symbol, year, base.replace({"labels": mode})))
        tick(progress, f"{symbol} {year}", step, steps)
        step += 1
    path = (
        report_to
        or ctx.settings.ensure_data_dir() / "reports" / f"thermo-evaluate-{record.new_run_id('thermo')}.html"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_evaluation_report(path, reports, validation, notes)
    if save:
        with ctx.open_store() as store, job_run(store, "evaluate_thermo", args={"real": str(real)}) as log:
            for rep, run, rel in runs:
                rep.run_id = record.record_run(
                    store, strategy="thermo", params=run.params.to_dict(), start=rep.start, end=rep.end,
                    summary=_finite(run.summary), orders=run.orders, report_path=str(path),
                    config=json.dumps(_finite(run.config.to_dict()), sort_keys=True),
                    inputs=json.dumps({"source": f"real:{rel}", "window": rep.window, "labels": rep.labels,
                                       "warmup_days": WARMUP_DAYS}, ensure_ascii=False, sort_keys=True),
                )  # fmt: skip
            log.rows_written = len(runs)
    return Evaluation(reports, validation, path, notes)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    return obj
