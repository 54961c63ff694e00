"""The backtest job: any registered strategy through the one engine, recorded so that it can be replayed.

A run records everything needed to reproduce it in ``backtest_log``: strategy and parameters (``params``), the
execution config with the fee model and the dated stamp-duty / transfer-fee tables in force (``config``), how the
inputs were built and a fingerprint of every input frame (``inputs``), the package version, the metrics. Its
orders go to ``trades``. The ``[risk]`` caps of tq.toml (:mod:`thermoquant.jobs.risk`) cut the strategy's target
weights exactly as ``tq trade replay`` and the live loop do; the limits and the refusals (count and reasons) are
recorded under ``config.risk``. :func:`replay` rebuilds the same request from that row, runs it again and says whether
the inputs and the metrics are identical.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

import thermoquant
from thermoquant.backtest import record, report
from thermoquant.backtest.run import BacktestConfig, RunResult, run_backtest
from thermoquant.data.job_log import job_run
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.fingerprint import panel_fingerprint
from thermoquant.jobs.panels import PANEL_SOURCES, build_panel, default_fill
from thermoquant.jobs.risk import risk_hook
from thermoquant.market.fees import STAMP_DUTY_RATES, TRANSFER_FEE_RATES
from thermoquant.strategies.registry import get_strategy
from thermoquant.trading.risk import RiskLimits, refusal_summary


@dataclass(frozen=True)
class BacktestRequest:
    """What to run. ``params``: strategy parameters over the defaults; ``source``: where the inputs come from
    (:data:`~thermoquant.jobs.panels.PANEL_SOURCES`, or ``file:PATH``); ``mode``: a strategy's input variant
    (csi500_timing: reference / etf); ``config``: execution (None = the strategy's default fill model and the
    configured fees); ``risk``: apply the risk caps; ``limits``: the caps (None = the ``[risk]`` settings)."""

    strategy: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    start: dt.date | None = None
    end: dt.date | None = None
    source: str = "sample"
    mode: str = "reference"
    config: BacktestConfig | None = None
    risk: bool = True
    limits: RiskLimits | None = None


@dataclass
class BacktestJobResult:
    """The run, its id in ``backtest_log`` (None when not recorded) and its HTML report (None when not written)."""

    run: RunResult
    run_id: str | None
    report_path: Path | None
    fingerprint: dict[str, Any]


def market_rules() -> dict[str, Any]:
    """The dated fee tables of :mod:`thermoquant.market.fees` in force, JSON-ready."""
    return {
        "stamp_duty": [dataclasses.asdict(r) for r in STAMP_DUTY_RATES],
        "transfer_fee": [dataclasses.asdict(r) for r in TRANSFER_FEE_RATES],
    }


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, dt.date):
        return obj.isoformat()
    return obj


def _dumps(obj: Any) -> str:
    return json.dumps(_jsonable(obj), sort_keys=True, ensure_ascii=False)


def run_backtest_job(
    ctx: JobContext,
    request: BacktestRequest,
    *,
    save: bool = True,
    report_to: Path | bool | None = True,
) -> BacktestJobResult:
    """Build the inputs, run, write the report (``report_to``: a path, True = ``<data dir>/reports/<run>.html``,
    False = none) and record the run (``save``)."""
    strategy = get_strategy(request.strategy)
    params = ctx.strategy_params(request.strategy, request.params)
    config = request.config or BacktestConfig(fill=default_fill(request.strategy, request.mode))
    args = {"strategy": request.strategy, "params": params.to_dict(), "source": request.source,
            "mode": request.mode, "start": request.start, "end": request.end, "config": config.to_dict()}  # fmt: skip
    with ctx.open_store() as store, job_run(store, "run_backtest", args=_jsonable(args)) as log:
        panel = build_panel(store, request.strategy, request.source, request.mode, request.start, request.end,
                            params)  # fmt: skip
        fingerprint = panel_fingerprint(panel)
        hook = risk_hook(ctx, store, request.limits) if request.risk else None
        run = run_backtest(strategy, panel, params, config, target_filter=hook.filter if hook else None)
        risk = _risk_record(hook, run)
        if risk.get("refused"):
            reasons = ", ".join(f"{k} {v}" for k, v in risk["reasons"].items())
            run.notes = (
                *run.notes,
                f"风控上限截减 risk caps cut {risk['refused']} target weights ({reasons})",
            )
        if hook is not None:
            run.notes = (*run.notes, *hook.notes)
        log.rows_in = sum(f["rows"] for f in fingerprint["frames"].values())
        run_id = record.new_run_id(request.strategy) if save else None
        path = _write_report(ctx, run, run_id or record.new_run_id(request.strategy), request, report_to)
        if save and run_id is not None:
            inputs = {"source": request.source, "mode": request.mode, "start": panel.start, "end": panel.end,
                      "notes": list(panel.notes), **fingerprint}  # fmt: skip
            cfg = {**config.to_dict(), "market_rules": market_rules(), "risk": risk}
            record.record_run(
                store, strategy=request.strategy, params=params.to_dict(), start=run.dates[0], end=run.dates[-1],
                summary=run.summary, orders=run.orders, report_path=str(path) if path else None, run_id=run_id,
                config=_dumps(cfg), inputs=_dumps(inputs),
            )  # fmt: skip
            log.rows_written = 1
        log.args["run_id"] = run_id
    return BacktestJobResult(run, run_id, path, fingerprint)


def _risk_record(hook: Any, run: RunResult) -> dict[str, Any]:
    """``config.risk`` of a run: the limits applied (None = no caps) and the refusals (count, per reason)."""
    if hook is None or hook.filter is None:
        return {"limits": hook.limits.to_dict() if hook is not None else None, "refused": 0, "reasons": {}}
    refused = run.refusals if run.refusals is not None else pl.DataFrame()
    return {"limits": hook.limits.to_dict(), **refusal_summary(refused)}


def _write_report(
    ctx: JobContext, run: RunResult, run_id: str, request: BacktestRequest, report_to: Path | bool | None
) -> Path | None:
    if report_to is False or report_to is None:
        return None
    path = (
        Path(report_to)
        if not isinstance(report_to, bool)
        else ctx.settings.ensure_data_dir() / "reports" / f"{run_id}.html"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    return report.write_report(
        path, title=f"{request.strategy} 回测报告（{run.config.fill}）", dates=run.dates, returns=run.returns,
        summary=run.summary, benchmark=run.benchmark, bars=run.bars if run.bars.height else None,
        trades=run.trades, buys=run.buys, sells=run.sells, params=run.params.to_dict(),
    )  # fmt: skip


@dataclass
class ReplayResult:
    """A replayed run: the recorded and the new metrics, and whether inputs and metrics are identical."""

    run_id: str
    recorded: dict[str, Any]
    replayed: dict[str, Any]
    inputs_identical: bool
    metrics_identical: bool
    differences: list[str]
    run: RunResult


def recorded_run(store: Any, run_id: str) -> dict[str, Any]:
    """The ``backtest_log`` row of ``run_id`` with its JSON columns parsed; LookupError when absent."""
    rows = store.read("backtest_log", where={"run_id": run_id})
    if rows.is_empty():
        raise LookupError(f"backtest_log has no run {run_id!r} (`tq backtest list` shows the runs)")
    row = rows.row(0, named=True)
    for key in ("params", "metrics", "config", "inputs"):
        row[key] = json.loads(row[key]) if row.get(key) else None
    return row


def replay(ctx: JobContext, run_id: str) -> ReplayResult:
    """Run ``run_id`` again from what ``backtest_log`` recorded; compare inputs and metrics."""
    with ctx.open_store(init=False) as store:
        row = recorded_run(store, run_id)
    if not row["config"] or not row["inputs"]:
        raise LookupError(
            f"run {run_id} was recorded before runs kept their config and inputs: it cannot be replayed"
        )
    cfg = {k: v for k, v in row["config"].items() if k not in ("market_rules", "risk")}
    recorded = (row["config"].get("risk") or {}).get("limits")  # runs recorded before [risk]: no caps
    inputs = row["inputs"]
    request = BacktestRequest(
        strategy=row["strategy"], params=row["params"], start=dt.date.fromisoformat(inputs["start"]),
        end=dt.date.fromisoformat(inputs["end"]), source=inputs["source"], mode=inputs["mode"],
        config=BacktestConfig.from_dict(cfg), risk=recorded is not None,
        limits=RiskLimits(**recorded) if recorded is not None else None,
    )  # fmt: skip
    again = run_backtest_job(ctx, request, save=False, report_to=False)
    return compare_replay(row, again.fingerprint, again.run)


def compare_replay(row: dict[str, Any], fingerprint: dict[str, Any], run: Any) -> ReplayResult:
    """What changed between a recorded run (its parsed ``backtest_log`` row) and its rerun (the rerun's input
    ``fingerprint`` and ``run``, whose ``summary`` are the metrics): the dated fee tables, the package version,
    the input frames, each metric."""
    inputs = row["inputs"]
    differences = []
    if row["config"].get("market_rules") != _jsonable(market_rules()):
        differences.append("the dated stamp-duty / transfer-fee tables differ from the recorded ones")
    if row["code_version"] != thermoquant.__version__:
        differences.append(f"package version {row['code_version']} → {thermoquant.__version__}")
    same_inputs = fingerprint["digest"] == inputs.get("digest")
    if not same_inputs:
        changed = [
            name for name, f in fingerprint["frames"].items()
            if inputs.get("frames", {}).get(name) != f
        ]  # fmt: skip
        differences.append(f"input frames changed: {', '.join(changed) or 'frame set'}")
    new_metrics = json.loads(_dumps(run.summary))
    for key in sorted(set(new_metrics) | set(row["metrics"])):
        if new_metrics.get(key) != row["metrics"].get(key):
            differences.append(f"metric {key}: {row['metrics'].get(key)} → {new_metrics.get(key)}")
    same_metrics = new_metrics == row["metrics"]
    return ReplayResult(
        row["run_id"], row["metrics"], new_metrics, same_inputs, same_metrics, differences, run
    )


def list_runs(ctx: JobContext, limit: int = 20) -> pl.DataFrame:
    """The latest runs: run_id, strategy, period, trades, total return, max drawdown, created_at."""
    with ctx.open_store(init=False) as store:
        log = store.read("backtest_log", columns=["run_id", "strategy", "start_date", "end_date", "metrics",
                                                  "created_at"])  # fmt: skip
    if log.is_empty():
        return log.drop("metrics")
    metric = pl.col("metrics").str.json_decode(pl.Struct({"trades": pl.Float64, "total_return": pl.Float64,
                                                          "max_drawdown": pl.Float64}))  # fmt: skip
    return (
        log.with_columns(metric.alias("m"))
        .unnest("m")
        .drop("metrics")
        .with_columns(pl.col("trades").cast(pl.Int64))
        .sort("created_at", descending=True)
        .head(limit)
    )


PANEL_SOURCE_HELP = ", ".join(PANEL_SOURCES) + ", file:PATH"
