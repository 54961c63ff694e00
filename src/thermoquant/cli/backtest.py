"""`tq backtest NAME …` (any registered strategy), `tq backtest --replay RUN_ID`, `tq backtest list`,
`tq backtest show RUN_ID`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from thermoquant.backtest.run import FILL_MODELS, BacktestConfig
from thermoquant.cli.console import console, error
from thermoquant.cli.options import DbUrl, parse_date
from thermoquant.jobs.backtest import (
    PANEL_SOURCE_HELP,
    BacktestRequest,
    list_runs,
    recorded_run,
    replay,
    run_backtest_job,
)
from thermoquant.jobs.context import JobContext
from thermoquant.strategies.base import ParamError
from thermoquant.strategies.registry import get_strategy, strategy_names

SUMMARY_ROWS = (
    ("交易次数 trades", "trades", "{:.0f}"),
    ("胜率 win rate", "win_rate", "{:.1%}"),
    ("总收益 total return", "total_return", "{:+.2%}"),
    ("年化收益 annual return", "annual_return", "{:+.2%}"),
    ("最大回撤 max drawdown", "max_drawdown", "{:.2%}"),
    ("夏普 Sharpe", "sharpe", "{:.2f}"),
    ("买入持有总收益 buy & hold total", "benchmark_total_return", "{:+.2%}"),
    ("买入持有最大回撤 buy & hold max DD", "benchmark_max_drawdown", "{:.2%}"),
)


CORE_SATELLITE = "core_satellite"
"""`tq backtest core_satellite --satellite S`: the allocation of seed 001 §4 around any registered strategy."""

WIDE_LIST = 110
"""Terminal columns from which `tq backtest list` also shows strategy and period (an 80-column terminal
keeps the run_id whole instead)."""


def summary_table(title: str, columns: dict[str, dict[str, Any]]) -> Table:
    """Metrics side by side, one column per run."""
    t = Table(title=title)
    t.add_column("指标 metric")
    for name in columns:
        t.add_column(name, justify="right")
    for label, key, fmt in SUMMARY_ROWS:
        cells = [fmt.format(s[key]) if isinstance(s.get(key), int | float) else "-" for s in columns.values()]
        t.add_row(label, *cells)
    return t


def _params(strategy: str, pairs: list[str]) -> dict[str, Any]:
    """``-p k=v`` pairs checked against the strategy's Params (a usage error naming the bad pair)."""
    try:
        params = get_strategy(strategy).Params().with_pairs(pairs)
    except ParamError as exc:
        raise typer.BadParameter(f"--param: {exc}") from None
    explicit = {p.partition("=")[0].strip() for p in pairs}
    return {k: v for k, v in params.to_dict().items() if k in explicit}


def _run(ctx: JobContext, request: BacktestRequest, *, save: bool, out: Path | None, report: bool) -> None:
    try:
        job = run_backtest_job(ctx, request, save=save, report_to=out if out is not None else report)
    except (ValueError, LookupError) as exc:
        error(exc)
        raise typer.Exit(code=1) from None
    run = job.run
    columns = {"策略 strategy": run.summary}
    if (
        request.strategy == "csi500_timing"
        and run.config.fill == "index_nav"
        and not request.params.get("dual_check")
    ):
        dual = dataclasses.replace(request, params={**request.params, "dual_check": True})
        columns["双重校验 dual check"] = run_backtest_job(ctx, dual, save=False, report_to=False).run.summary
    title = f"{get_strategy(request.strategy).title}（{run.config.fill}）{run.dates[0]} → {run.dates[-1]}"
    console.print(summary_table(title, columns))
    for note in run.notes:
        console.print(f"[yellow]![/yellow] {note}")
    if job.report_path:
        console.print(f"报告已写入 report written: {job.report_path}")
    if job.run_id:
        console.print(
            f"已记录 recorded run_id={job.run_id}（复现 replay: tq backtest --replay {job.run_id}）"
        )


def _replay(ctx: JobContext, run_id: str) -> None:
    try:
        with ctx.open_store(init=False) as store:
            strategy = recorded_run(store, run_id)["strategy"]
        if strategy == CORE_SATELLITE:
            from thermoquant.jobs.core_satellite import replay_core_satellite

            with ctx.open_store(init=False) as store:
                result = replay_core_satellite(ctx, recorded_run(store, run_id))
        else:
            result = replay(ctx, run_id)
    except LookupError as exc:
        error(exc)
        raise typer.Exit(code=1) from None
    console.print(
        summary_table(
            f"复现 replay {run_id}", {"记录 recorded": result.recorded, "复现 replayed": result.replayed}
        )
    )
    console.print(
        f"输入 inputs: {'相同 identical' if result.inputs_identical else '不同 changed'}；"
        f"指标 metrics: {'完全相同 identical' if result.metrics_identical else '不同 differ'}"
    )
    for line in result.differences:
        console.print(f"  - {line}")
    if not result.metrics_identical:
        raise typer.Exit(code=1)


def _list(ctx: JobContext) -> None:
    runs = list_runs(ctx)
    if runs.is_empty():
        console.print("backtest_log 为空：先运行 tq backtest NAME / no runs recorded yet")
        return
    wide = console.width >= WIDE_LIST
    t = Table(title="回测记录 backtest runs（最新在前 newest first）")
    t.add_column("run_id", no_wrap=True)  # copied into `tq backtest --replay`: never folded
    if wide:
        t.add_column("策略 strategy", overflow="fold")
        t.add_column("区间 period", no_wrap=True)
    for col in ("交易 trades", "总收益 total", "最大回撤 max DD"):
        t.add_column(col, justify="right")
    for r in runs.iter_rows(named=True):
        period = [r["strategy"], f"{r['start_date']}→{r['end_date']}"] if wide else []
        t.add_row(r["run_id"], *period, str(r["trades"] or "-"),
                  f"{r['total_return']:+.2%}" if r["total_return"] is not None else "-",
                  f"{r['max_drawdown']:.2%}" if r["max_drawdown"] is not None else "-")  # fmt: skip
    if not wide:
        t.caption = "策略与区间见 tq backtest show RUN_ID / strategy and period: tq backtest show"
    console.print(t)


def _show(ctx: JobContext, run_id: str) -> None:
    with ctx.open_store(init=False) as store:
        try:
            row = recorded_run(store, run_id)
        except LookupError as exc:
            error(exc)
            raise typer.Exit(code=1) from None
    console.print(
        summary_table(f"{row['strategy']} {row['start_date']} → {row['end_date']}", {run_id: row["metrics"]})
    )
    console.print(f"参数 params: {json.dumps(row['params'], ensure_ascii=False, sort_keys=True)}")
    if row["config"]:
        cfg = {k: v for k, v in row["config"].items() if k != "market_rules"}
        console.print(f"执行 config: {json.dumps(cfg, ensure_ascii=False, sort_keys=True)}")
    if row["inputs"]:
        inputs = row["inputs"]
        console.print(
            f"输入 inputs: source={inputs['source']} mode={inputs['mode']} digest={inputs['digest'][:16]}…"
        )
    console.print(f"版本 version {row['code_version']}；报告 report: {row['report_path'] or '-'}")


def backtest(
    strategy: Annotated[
        str | None,
        typer.Argument(
            help=f"策略名 strategy（{', '.join(strategy_names())}），core_satellite（核心-卫星 --satellite S），"
            "或 list / show RUN_ID"
        ),
    ] = None,
    run_arg: Annotated[str | None, typer.Argument(help="show 的 RUN_ID", show_default=False)] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="参数 k=v，可重复 (repeatable)")
    ] = None,
    start: Annotated[str | None, typer.Option(help="开始日期 YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="结束日期 YYYY-MM-DD")] = None,
    source: Annotated[str, typer.Option(help=f"输入来源 inputs: {PANEL_SOURCE_HELP}")] = "sample",
    sample: Annotated[bool, typer.Option("--sample", help="使用内置样例数据（= --source sample）")] = False,
    mode: Annotated[
        str, typer.Option(help="csi500_timing：reference（指数参考模式）或 etf（510500 经引擎）")
    ] = "reference",
    fill: Annotated[str | None, typer.Option(help=f"成交模型 fill model: {', '.join(FILL_MODELS)}")] = None,
    cash: Annotated[float, typer.Option(help="初始资金 CNY")] = 1_000_000.0,
    participation: Annotated[float, typer.Option(help="单笔最多占当日成交量的比例")] = 0.25,
    slippage: Annotated[float, typer.Option(help="滑点（基点 bps）")] = 0.0,
    out: Annotated[
        Path | None, typer.Option(help="HTML 报告路径（默认 <数据目录>/reports/RUN_ID.html）")
    ] = None,
    report: Annotated[bool, typer.Option("--report/--no-report", help="写 HTML 报告")] = True,
    save: Annotated[bool, typer.Option("--record/--no-record", help="写入 backtest_log / trades")] = True,
    replay_id: Annotated[
        str | None, typer.Option("--replay", help="按记录复现一次回测 replay RUN_ID")
    ] = None,
    satellite: Annotated[
        str, typer.Option(help="core_satellite：卫星策略 satellite strategy (any registered strategy)")
    ] = "csi500_timing",
    core_source: Annotated[
        str | None,
        typer.Option(help="core_satellite：核心股票池来源 core universe: sample / store（默认随 --source）"),
    ] = None,
    satellite_param: Annotated[
        list[str] | None,
        typer.Option("--satellite-param", "-s", help="core_satellite：卫星策略参数 k=v，可重复 (repeatable)"),
    ] = None,
    risk: Annotated[
        bool,
        typer.Option(
            "--risk/--no-risk",
            help="按 tq.toml 的风控段 risk 截减目标权重（与 tq trade 相同）/ apply the tq.toml risk caps, as tq trade does",
        ),
    ] = True,
    db: DbUrl = None,
) -> None:
    """回测任意已注册策略；--replay 复现记录的回测；list / show 查看记录。

    Backtest any registered strategy through the one engine; prints trades, win rate, total return and max
    drawdown of the strategy and of buy-and-hold, writes the HTML report, records the run for --replay."""
    ctx = JobContext(db_url=db)
    if replay_id is not None:
        _replay(ctx, replay_id)
        return
    if strategy == "list":
        _list(ctx)
        return
    if strategy == "show":
        if run_arg is None:
            raise typer.BadParameter("tq backtest show RUN_ID")
        _show(ctx, run_arg)
        return
    if strategy is None:
        raise typer.BadParameter(f"需要策略名 strategy name: {', '.join(strategy_names())}")
    if strategy == CORE_SATELLITE:
        from thermoquant.cli.core_satellite import run_core_satellite_cli

        sat_mode = "etf" if satellite == "csi500_timing" and mode == "reference" else mode
        try:
            config = BacktestConfig(fill=fill or "next_open", init_cash=cash, participation=participation,  # type: ignore[arg-type]
                                    slippage_bps=slippage)  # fmt: skip
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        run_core_satellite_cli(ctx, satellite, param or [], satellite_param or [], parse_date(start),
                               parse_date(end), "sample" if sample else source, sat_mode, config,
                               save=save, out=out, report=report, core_source=core_source)  # fmt: skip
        return
    if strategy not in strategy_names():
        raise typer.BadParameter(f"unknown strategy {strategy!r}; known: {', '.join(strategy_names())}")
    params = _params(strategy, param or [])
    if strategy == "csi500_timing" and mode == "etf":
        params.setdefault("trade_symbol", "510500.SH")
    from thermoquant.jobs.panels import default_fill

    try:
        config = BacktestConfig(fill=fill or default_fill(strategy, mode), init_cash=cash,  # type: ignore[arg-type]
                                participation=participation, slippage_bps=slippage)  # fmt: skip
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    request = BacktestRequest(
        strategy,
        params,
        parse_date(start),
        parse_date(end),
        "sample" if sample else source,
        mode,
        config,
        risk,
    )
    _run(ctx, request, save=save, out=out, report=report)
