"""`tq backtest core_satellite --satellite S [-p k=v] [-s k=v]`: the core-satellite allocation (seed 001 §4)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.table import Table

from thermoquant.backtest.run import BacktestConfig
from thermoquant.cli.console import console, error
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.core_satellite import CoreSatelliteRequest, run_core_satellite_job
from thermoquant.portfolio.params import CoreSatelliteParams
from thermoquant.strategies.base import ParamError
from thermoquant.strategies.registry import get_strategy, strategy_names

SLEEVE_ROWS = (
    ("账户总收益 account total return", "total_return", "{:+.2%}"),
    ("账户最大回撤 account max drawdown", "max_drawdown", "{:.2%}"),
    ("夏普 Sharpe", "sharpe", "{:.2f}"),
    ("核心收益（时间加权）core return (time-weighted)", "core_total_return", "{:+.2%}"),
    ("核心最大回撤 core max drawdown", "core_max_drawdown", "{:.2%}"),
    ("卫星收益（时间加权）satellite return (time-weighted)", "satellite_total_return", "{:+.2%}"),
    ("卫星最大回撤 satellite max drawdown", "satellite_max_drawdown", "{:.2%}"),
    ("划入核心 transferred to core (CNY)", "transferred_to_core", "{:,.2f}"),
    ("划转次数 transfers declared", "transfers_declared", "{:.0f}"),
    ("分仓与账户最大差 max |account − Σ sleeves| (CNY)", "sleeve_gap_max", "{:.6f}"),
    ("基准收益 benchmark return", "benchmark_total_return", "{:+.2%}"),
)


def _explicit(params: object, pairs: list[str]) -> dict:
    keys = {p.partition("=")[0].strip() for p in pairs}
    return {k: v for k, v in params.to_dict().items() if k in keys}  # type: ignore[attr-defined]


def run_core_satellite_cli(
    ctx: JobContext, satellite: str, pairs: list[str], sat_pairs: list[str], start: dt.date | None,
    end: dt.date | None, source: str, mode: str, config: BacktestConfig, *, save: bool, out: Path | None,
    report: bool, core_source: str | None = None,
) -> None:  # fmt: skip
    if satellite not in strategy_names():
        raise typer.BadParameter(
            f"--satellite: unknown strategy {satellite!r}; known: {', '.join(strategy_names())}"
        )
    try:
        params = _explicit(CoreSatelliteParams().with_pairs(pairs), pairs)
        sat_params = _explicit(get_strategy(satellite).Params().with_pairs(sat_pairs), sat_pairs)
    except ParamError as exc:
        raise typer.BadParameter(str(exc)) from None
    if satellite == "csi500_timing" and mode == "etf":
        sat_params.setdefault("trade_symbol", "510500.SH")
    request = CoreSatelliteRequest(
        satellite, params, sat_params, start, end, source, mode, config, core_source
    )
    try:
        job = run_core_satellite_job(ctx, request, save=save, report_to=out if out is not None else report)
    except (ValueError, LookupError) as exc:
        error(exc)
        raise typer.Exit(code=1) from None
    run = job.result.run
    t = Table(title=f"核心-卫星 core-satellite（卫星 {satellite}）{run.dates[0]} → {run.dates[-1]}")
    t.add_column("指标 metric")
    t.add_column("值 value", justify="right")
    for label, key, fmt in SLEEVE_ROWS:
        v = run.summary.get(key)
        t.add_row(label, fmt.format(v) if isinstance(v, int | float) else "-")
    console.print(t)
    for sel in job.result.selections:
        console.print(f"核心选股 core {sel.as_of}（规则 rule {sel.rule}）: {', '.join(sel.symbols)}")
        for reason in sel.reasons:
            console.print(f"  - {reason}", markup=False)
    selection_notes = len(job.result.selections)  # printed above, reason by reason
    for note in [*run.notes[: len(run.notes) - len(job.result.notes)], *job.result.notes[selection_notes:]]:
        console.print("! " + note, style="yellow", markup=False)
    if job.report_path:
        console.print(f"报告已写入 report written: {job.report_path}")
    if job.run_id:
        console.print(f"已记录 recorded run_id={job.run_id}（backtest_sleeve / backtest_transfer）")
