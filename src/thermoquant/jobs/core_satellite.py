"""The core-satellite backtest job: reads the satellite's inputs and the core's universe, runs
:func:`thermoquant.backtest.core_satellite.run_core_satellite`, writes the report, records the run.

Core inputs by ``source``:

* ``store`` — ``daily_quote`` of every stock over [start − ``dividend_window`` − 30 days, end] (the selection's
  volatility and trailing-dividend windows), ``finance_data`` (symbol, report_period, ann_date, roe) and
  ``daily_valuation`` (symbol, trade_date, pb);
* ``sample`` — the bundled whole-market 2021 window (``market_2021.parquet``); it carries no ROE and no PB, so the
  selection reports both missing and names its fallback.

Records: the account's row in ``backtest_log`` (metrics with each sleeve's return and the amount transferred;
``inputs`` with the core selections, their rule and reasons), its orders in ``trades``, each sleeve's daily book
in ``backtest_sleeve`` and every transfer row in ``backtest_transfer``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from thermoquant.backtest import record, report
from thermoquant.backtest.core_satellite import CoreSatelliteResult, run_core_satellite
from thermoquant.backtest.run import BacktestConfig
from thermoquant.data.job_log import job_run
from thermoquant.jobs.backtest import ReplayResult, _dumps, _jsonable, compare_replay, market_rules
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.fingerprint import panel_fingerprint
from thermoquant.jobs.panels import build_panel
from thermoquant.portfolio.params import CoreSatelliteParams
from thermoquant.strategies.base import Panel
from thermoquant.strategies.registry import get_strategy

NAME = "core_satellite"
SLEEVE_NAMES = {"core": "核心 core", "satellite": "卫星 satellite"}
SAMPLE_RANGE = (dt.date(2021, 5, 6), dt.date(2022, 1, 14))
"""Default range with ``source=sample``: the bundled market window (2021-01-04 → 2022-01-14) after the
selection's 60-day minimum history."""
SLEEVE_NAMES = {"core": "核心 core", "satellite": "卫星 satellite"}
SAMPLE_RANGE = (dt.date(2021, 5, 6), dt.date(2022, 1, 14))
"""Default range with ``source=sample``: the bundled market window (2021-01-04 → 2022-01-14) after the
selection's 60-day minimum history."""
CORE_COLUMNS = ["symbol", "trade_date", "open", "high", "low", "close", "pre_close", "volume", "amount",
                "turnover", "float_shares", "total_shares", "is_st", "is_suspended"]  # fmt: skip


@dataclass(frozen=True)
class CoreSatelliteRequest:
    """What to run: the satellite strategy and its parameters, the allocation's parameters (over the defaults),
    the range, where the satellite's inputs come from (``sample``, ``store``, csi500_timing also ``file:PATH``),
    its input mode (csi500_timing: ``etf``), the execution config, and where the core's come from
    (``core_source``: ``sample`` or ``store``; None = ``sample`` with a sample satellite, else ``store``)."""

    satellite: str = "csi500_timing"
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    satellite_params: dict[str, Any] = dataclasses.field(default_factory=dict)
    start: dt.date | None = None
    end: dt.date | None = None
    source: str = "sample"
    mode: str = "etf"
    config: BacktestConfig | None = None
    core_source: str | None = None


@dataclass
class CoreSatelliteJobResult:
    """The run, its id in ``backtest_log`` (None when not recorded), its report and its inputs' fingerprint."""

    result: CoreSatelliteResult
    run_id: str | None
    report_path: Path | None
    fingerprint: dict[str, Any]


def core_inputs(
    store: Any, source: str, start: dt.date, end: dt.date, p: CoreSatelliteParams
) -> tuple[pl.DataFrame, pl.DataFrame | None, pl.DataFrame | None]:
    """(bars, finance, valuation) of the core's universe (module docstring)."""
    if source == "sample":
        from thermoquant.data.sources.csv import read_file
        from thermoquant.data.sources.sample import MARKET_SAMPLE, sample_path

        bars = read_file(sample_path(MARKET_SAMPLE)).frame
        return bars.filter(pl.col("trade_date") <= end), None, None
    if source != "store":
        raise ValueError(f"core_satellite reads its core from sample or store, not {source!r}")
    warm = start - dt.timedelta(days=p.dividend_window + 30)
    quotes = store.read("daily_quote", columns=CORE_COLUMNS, start=warm, end=end)
    bars = quotes.filter(~pl.col("is_suspended").fill_null(False) & (pl.col("volume") > 0)).drop(
        "is_suspended"
    )
    if bars.is_empty():
        raise LookupError(
            f"daily_quote has no traded rows in [{warm}, {end}]: load data first (tq demo, tq import)"
        )
    finance = store.read("finance_data", columns=["symbol", "report_period", "ann_date", "roe"], end=end)
    valuation = store.read("daily_valuation", columns=["symbol", "trade_date", "pb"], start=warm, end=end)
    return bars, (finance if finance.height else None), (valuation if valuation.height else None)


def run_core_satellite_job(
    ctx: JobContext, request: CoreSatelliteRequest, *, save: bool = True, report_to: Path | bool | None = True
) -> CoreSatelliteJobResult:
    """Build the inputs, run, write the report and record the run (module docstring)."""
    sat = get_strategy(request.satellite)
    sp = ctx.strategy_params(request.satellite, request.satellite_params)
    p = CoreSatelliteParams().replace(request.params, origin="-p")
    config = request.config or BacktestConfig()
    args = {"satellite": request.satellite, "params": p.to_dict(), "satellite_params": sp.to_dict(),
            "source": request.source, "core_source": request.core_source, "mode": request.mode,
            "start": request.start, "end": request.end}  # fmt: skip
    start, end = request.start, request.end
    core_source = request.core_source or ("sample" if request.source == "sample" else "store")
    if core_source == "sample":
        start, end = start or SAMPLE_RANGE[0], end or SAMPLE_RANGE[1]
    with ctx.open_store() as store, job_run(store, "run_core_satellite", args=_jsonable(args)) as log:
        panel = build_panel(store, request.satellite, request.source, request.mode, start, end, sp)
        bars, finance, valuation = core_inputs(store, core_source, panel.start, panel.end, p)
        res = run_core_satellite(sat, panel, bars, p, sp, config, finance=finance, valuation=valuation)
        fingerprint = inputs_fingerprint(
            panel, {"core_bars": bars, "finance": finance, "valuation": valuation}
        )
        log.rows_in = bars.height + sum(f.height for f in panel.frames.values())
        run_id = record.new_run_id(NAME) if save else None
        path = _write_report(ctx, res, run_id or record.new_run_id(NAME), report_to)
        if save and run_id is not None:
            _record(store, res, run_id, request, panel, path, config, fingerprint)
            log.rows_written = 1
        log.args["run_id"] = run_id
    return CoreSatelliteJobResult(res, run_id, path, fingerprint)


def inputs_fingerprint(panel: Panel, core: dict[str, pl.DataFrame | None]) -> dict[str, Any]:
    """Fingerprint of the satellite's panel and the core's frames together (``core_bars``, ``finance``,
    ``valuation`` where present)."""
    extra = {name: frame for name, frame in core.items() if frame is not None}
    return panel_fingerprint(Panel({**panel.frames, **extra}, panel.start, panel.end))


def replay_core_satellite(ctx: JobContext, row: dict[str, Any]) -> ReplayResult:
    """Run a recorded core-satellite run (its parsed ``backtest_log`` row) again; compare inputs and metrics."""
    params, inputs = row["params"], row["inputs"]
    cfg = {k: v for k, v in row["config"].items() if k != "market_rules"}
    request = CoreSatelliteRequest(
        satellite=params["satellite"], params=params["core_satellite"], satellite_params=params["satellite_params"],
        start=dt.date.fromisoformat(inputs["start"]), end=dt.date.fromisoformat(inputs["end"]),
        source=inputs["source"], mode=inputs["mode"], config=BacktestConfig.from_dict(cfg),
        core_source=inputs.get("core_source"),
    )  # fmt: skip
    again = run_core_satellite_job(ctx, request, save=False, report_to=False)
    return compare_replay(row, again.fingerprint, again.result.run)


def _selections(res: CoreSatelliteResult) -> list[dict[str, Any]]:
    return [{"as_of": s.as_of, "rule": s.rule, "symbols": s.symbols, "reasons": list(s.reasons),
             "candidates": s.candidates} for s in res.selections]  # fmt: skip


def _record(store: Any, res: CoreSatelliteResult, run_id: str, request: CoreSatelliteRequest, panel: Any,
            path: Path | None, config: BacktestConfig, fingerprint: dict[str, Any]) -> None:  # fmt: skip
    run = res.run
    inputs = {"source": request.source, "core_source": request.core_source, "mode": request.mode,
              "start": panel.start, "end": panel.end, "notes": list(run.notes), "core_selection": _selections(res), **fingerprint}  # fmt: skip
    params = {"core_satellite": run.params.to_dict(), "satellite": res.satellite,
              "satellite_params": res.satellite_params.to_dict()}  # fmt: skip
    record.record_run(
        store, strategy=NAME, params=params, start=run.dates[0], end=run.dates[-1], summary=run.summary,
        orders=run.orders, report_path=str(path) if path else None, run_id=run_id,
        config=_dumps({**config.to_dict(), "market_rules": market_rules()}), inputs=_dumps(inputs),
    )  # fmt: skip
    store.upsert("backtest_sleeve", res.sleeves.with_columns(pl.lit(run_id).alias("run_id")))
    if res.transfers.height:
        store.upsert(
            "backtest_transfer",
            res.transfers.with_row_index("seq").with_columns(
                pl.col("seq").cast(pl.Int64), pl.lit(run_id).alias("run_id")
            ),
        )


def _write_report(
    ctx: JobContext, res: CoreSatelliteResult, run_id: str, report_to: Path | bool | None
) -> Path | None:
    if report_to is False or report_to is None:
        return None
    path = (
        Path(report_to)
        if not isinstance(report_to, bool)
        else ctx.settings.ensure_data_dir() / "reports" / f"{run_id}.html"
    )
    run = res.run
    sleeves = res.sleeves.pivot(on="sleeve", index="trade_date", values="equity").sort("trade_date")
    picks = pl.concat([s.picks.with_columns(pl.lit(s.as_of).alias("as_of"), pl.lit(s.rule).alias("rule"))
                       for s in res.selections])  # fmt: skip
    return report.write_report(
        path, title=f"核心-卫星 core-satellite（卫星 {res.satellite}，{run.config.fill}）", dates=run.dates,
        returns=run.returns, summary=run.summary, benchmark=run.benchmark, trades=res.orders,
        params={**run.params.to_dict(), "satellite": res.satellite},
        lines={f"{SLEEVE_NAMES[n]}（时间加权 time-weighted）": r for n, r in res.sleeve_returns().items()},
        sections=(("核心选股 core selection", picks), ("利润划转 profit transfers", res.transfers),
                  ("分仓权益 sleeve equity (CNY)", sleeves),
                  ("选股说明 selection notes", pl.DataFrame({"note": list(res.notes)}))),
    )  # fmt: skip
