"""`tq evolve run|calibrate|show` and `tq evaluate evolve`: per-stock parameter packs (seed 000 §三.2, §四)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from thermoquant.cli.console import console, error, progress_bar
from thermoquant.cli.options import DbUrl, parse_date
from thermoquant.evolve.config import SEARCHES, EvolveConfig
from thermoquant.evolve.executors import EXECUTORS
from thermoquant.evolve.objective import OBJECTIVES
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.evolve import EvolveRun, evolve, pack_history

app = typer.Typer(help="参数进化：每只股票的参数包 / per-stock parameter evolution.", no_args_is_help=True)

Executor = Annotated[str, typer.Option(help=f"执行器 executor: {', '.join(EXECUTORS)}")]
Address = Annotated[str, typer.Option(help="Ray 集群地址 auto | HOST:PORT（仅 --executor ray）")]
Workers = Annotated[int | None, typer.Option(help="本地进程数（默认 CPU 数；0 = 本进程）local workers")]
ChunkSize = Annotated[int, typer.Option(help="每个任务的股票数 stocks per task")]


def _print_run(r: EvolveRun) -> None:
    console.print(
        f"{r.kind}：数据截至 data up to {r.data_end} → 参数包生效 valid from {r.valid_from}；{r.stocks:,} 只股票，"
        f"{r.chunks} 个任务（续跑跳过 resumed {r.skipped}）；写入 param_pack {r.written:,} 行；job {r.job_id}"
    )
    t = Table(title="结果 outcomes", title_justify="left")
    t.add_column("原因 reason")
    t.add_column("股票数 stocks", justify="right")
    for k, v in sorted(r.outcomes.items(), key=lambda kv: -kv[1]):
        t.add_row(k, f"{v:,}")
    console.print(t)
    if r.kind == "calibrate":
        console.print("全市场参数包 market pack: " + json.dumps(r.market, ensure_ascii=False))


def _run(kind: str, date: str | None, symbols: list[str] | None, cfg: EvolveConfig, executor: str, address: str,
         workers: int | None, db: str | None) -> None:  # fmt: skip
    with progress_bar() as progress:
        ctx = JobContext(db_url=db, progress=progress)

        def on_chunk(done: int, total: int) -> None:
            progress("任务 chunks", done, total)

        try:
            result = evolve(ctx, kind, day=parse_date(date), symbols=symbols, cfg=cfg, executor=executor,
                            workers=workers, address=address, on_chunk=on_chunk)  # fmt: skip
        except (LookupError, ValueError, RuntimeError) as exc:
            error(exc)
            raise typer.Exit(code=1) from None
    _print_run(result)


@app.command("run")
def run(
    date: Annotated[
        str | None, typer.Option("--date", "-d", help="回归日 YYYY-MM-DD（默认库中最新完整交易日）")
    ] = None,
    symbols: Annotated[
        list[str] | None, typer.Option("--symbols", "-s", help="只处理这些股票，可重复")
    ] = None,
    executor: Executor = "local",
    address: Address = "auto",
    workers: Workers = None,
    chunk_size: ChunkSize = 250,
    db: DbUrl = None,
) -> None:
    """每日回归：诊断当日、按步微调、样本外不变差才采纳，写入次日生效的参数包 / the nightly regression."""
    _run("nightly", date, symbols, EvolveConfig(chunk_size=chunk_size), executor, address, workers, db)


@app.command("calibrate")
def calibrate(
    symbols: Annotated[
        list[str] | None, typer.Option("--symbols", "-s", help="只处理这些股票，可重复")
    ] = None,
    date: Annotated[
        str | None, typer.Option("--date", "-d", help="数据截止日（默认库中最新完整交易日）")
    ] = None,
    objective: Annotated[
        str, typer.Option(help=f"目标 objective: {', '.join(OBJECTIVES)}")
    ] = "winrate_payoff",
    search: Annotated[str, typer.Option(help=f"搜索 search: {', '.join(SEARCHES)}")] = "grid",
    trials: Annotated[int, typer.Option(help="random / tpe 每只股票的试验数 trials per stock")] = 200,
    min_trades: Annotated[int, typer.Option(help="自有参数包所需的训练期最少交易数 min trades")] = 5,
    executor: Executor = "local",
    address: Address = "auto",
    workers: Workers = None,
    chunk_size: ChunkSize = 250,
    db: DbUrl = None,
) -> None:
    """首个参数包：走步校准（训练窗 + 间隔 + 测试窗），收缩到全市场参数包 / walk-forward calibration."""
    try:
        cfg = EvolveConfig(objective=objective, search=search, trials=trials, min_trades=min_trades,
                           chunk_size=chunk_size)  # fmt: skip
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    _run("calibrate", date, symbols, cfg, executor, address, workers, db)


@app.command("show")
def show(
    symbol: Annotated[str, typer.Argument(help="股票代码，如 600000.SH；MARKET = 全市场参数包")],
    db: DbUrl = None,
) -> None:
    """参数包历史及每次变化的原因 / the pack history of a stock and why each change was made."""
    rows = pack_history(JobContext(db_url=db), symbol)
    if rows.is_empty():
        error(f"{symbol}: param_pack 中没有记录 no packs (run `tq evolve calibrate` first)")
        raise typer.Exit(code=1)
    prev: dict[str, object] = {}
    for r in rows.iter_rows(named=True):
        params = json.loads(r["params"]) if r["params"] else {}
        moved = {k: v for k, v in params.items() if prev.get(k) != v} if prev else params
        prev = params
        score = "" if r["oos_score"] is None else f" 样本外 OOS {r['oos_score']:.4f}"
        console.print(
            f"[bold]{r['effective_date']}[/bold] 起生效 valid from · {r['method'] or ''}/{r['search'] or ''} · "
            f"数据截至 data to {r['data_end']}{score}"
        )
        console.print("  " + json.dumps(moved, ensure_ascii=False), markup=False)
        console.print(f"  原因 reason: {r['reason'] or ''}", markup=False)
        if r["diagnosis"]:
            console.print(f"  诊断 figures: {r['diagnosis']}", markup=False)


def evaluate_evolve(
    real: Annotated[Path, typer.Option(help="整市场数据目录 (xbx_market/*.parquet)")] = Path(
        "/work/shared/data/real/xbx_market"
    ),
    stocks: Annotated[int, typer.Option(help="每个窗口最多股票数（0 = 全部）max stocks per window")] = 0,
    workers: Workers = None,
) -> None:
    """三方对比：固定默认 vs 校准 vs 校准+每日进化，仅走步样本外 / defaults vs calibrated vs nightly, OOS only."""
    from thermoquant.jobs.evolve_eval import evaluate_windows

    with progress_bar() as progress:
        try:
            reports = evaluate_windows(real, max_stocks=stocks, workers=workers, progress=progress)
        except (LookupError, ValueError) as exc:
            error(exc)
            raise typer.Exit(code=1) from None
    for rep in reports:
        console.rule(
            f"{rep.window} · {rep.stocks:,} 只 stocks · 样本外 OOS {rep.start} → {rep.end} · {rep.folds} 折 folds"
        )
        t = Table(title_justify="left")
        t.add_column("指标 metric")
        for arm in rep.arms:
            t.add_column(ARM_TITLES.get(arm.name, arm.name), justify="right")
        rows = [
            ("交易 trades", lambda a: f"{a.trades:,}"),
            ("胜率 win rate", lambda a: f"{a.win_rate:.2%}"),
            ("平均收益 mean trade return", lambda a: f"{a.mean_return:+.3%}"),
            ("总收益 return (equal sleeves)", lambda a: f"{a.total_return:+.2%}"),
            ("最大回撤 max drawdown", lambda a: f"{a.max_drawdown:.2%}"),
            ("换手 turnover per day", lambda a: f"{a.turnover:.4f}"),
            ("样本内 IS objective", lambda a: f"{a.is_score:.3f}"),
            ("样本外 OOS objective", lambda a: f"{a.oos_score:.3f}"),
            ("差 IS−OOS gap", lambda a: f"{a.gap:+.3f}"),
        ]
        for label, fmt in rows:
            t.add_row(label, *(fmt(a) for a in rep.arms))
        console.print(t)
        console.print(rep.verdict, markup=False)


ARM_TITLES = {
    "defaults": "固定默认 defaults",
    "calibrated": "校准 calibrated",
    "nightly": "校准+每日 nightly",
}
