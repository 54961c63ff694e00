"""`tq factors evaluate [NAMES…|--all] --real FILE`: which registered factors carry information (IC, rank IC,
quantile returns, turnover, decay, by industry), as a ranked table and an HTML tear sheet."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from thermoquant.cli.console import console, progress_bar
from thermoquant.cli.options import parse_date

app = typer.Typer(help="因子评估 / factor evaluation.", no_args_is_help=True)


def _f(v: float, pct: bool = False) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    return f"{v:+.2%}" if pct else f"{v:+.4f}"


@app.command("evaluate")
def evaluate(
    names: Annotated[list[str] | None, typer.Argument(help="因子名 factor names（tq features list）")] = None,
    all_: Annotated[bool, typer.Option("--all", help="全部已注册因子 every registered factor")] = False,
    real: Annotated[
        Path | None,
        typer.Option("--real", help="全市场行情文件，如 xbx_market/market_2021-01_2022-01.parquet"),
    ] = None,
    start: Annotated[str | None, typer.Option("--start", help="开始日期 YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option("--end", help="结束日期 YYYY-MM-DD")] = None,
    horizon: Annotated[int, typer.Option("--horizon", help="持有期（交易日）holding period")] = 5,
    quantiles: Annotated[int, typer.Option("--quantiles", help="分组数 quantiles")] = 5,
    decay: Annotated[bool, typer.Option("--decay/--no-decay", help="计算 1–20 日 IC 衰减")] = True,
    html: Annotated[Path | None, typer.Option("--html", help="报告路径 tear sheet path")] = None,
    top: Annotated[int, typer.Option("--top", help="表中显示前 N 个 rows shown")] = 40,
    db: Annotated[str | None, typer.Option("--db", help="数据库 URL（无 --real 时读 daily_quote）")] = None,
) -> None:
    """评估因子：IC / Rank IC、分组收益、换手、衰减、分行业 / evaluate factors on a whole-market window.

    远期收益自次日开盘起算，停牌与一字板买入日剔除。Forward returns from the next open; suspended and one-price
    limit entries excluded."""
    from thermoquant.jobs.context import JobContext
    from thermoquant.jobs.factor_eval import evaluate_factors, industry_members, load_bars, write_tear_sheet

    if not names and not all_:
        raise typer.BadParameter("给出因子名或 --all / name factors or pass --all")
    ctx = JobContext(db_url=db)
    s, e = parse_date(start), parse_date(end)
    if real is not None:
        bars, members = load_bars(real, None, s, e), industry_members(None)
    else:
        with ctx.open_store() as store:
            bars, members = load_bars(None, store, s, e), industry_members(store)
    with progress_bar(out=console) as progress:
        run = evaluate_factors(
            bars,
            None if all_ else names,
            members=members,
            horizon=horizon,
            quantiles=quantiles,
            decay=decay,
            progress=progress,
        )
    path = html or ctx.settings.data_dir / "reports" / f"factors-{run.start}-{run.end}.html"
    run.html_path = write_tear_sheet(run, path)
    table = Table(
        title=f"因子排名 ranked by |Rank IC IR| {run.start} → {run.end}, {run.stocks} 只, {horizon} 日",
        title_justify="left",
    )
    for col in ("#", "因子 factor", "RankIC", "IR", "t", "多空 spread", "换手"):
        table.add_column(col, justify="left" if col == "因子 factor" else "right")
    for i, r in enumerate(run.reports[:top], 1):
        x = r.summary
        table.add_row(
            str(i),
            r.name,
            _f(x["rank_ic_mean"]),
            _f(x["rank_ic_ir"]),
            f"{x['rank_ic_t']:+.1f}",
            _f(x["spread"], True),
            f"{x['top_turnover']:.0%}",
        )
    console.print(table)
    if len(run.reports) > top:
        console.print(f"… 另有 {len(run.reports) - top} 个 (and {len(run.reports) - top} more; --top N)")
    if run.skipped:
        console.print(
            f"未评估 skipped {len(run.skipped)}: " + ", ".join(f"{n} ({w})" for n, w in run.skipped.items()),
            markup=False,
        )
    console.print(f"报告已写入 tear sheet: {run.html_path}", markup=False)
