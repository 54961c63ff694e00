"""`tq evaluate …`: verdicts on real data. `tq evaluate thermo --real DIR` (issue 14 §3); the evolution engineer adds
`evolve` to this group."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from thermoquant.cli.console import console, progress_bar
from thermoquant.cli.options import DbUrl
from thermoquant.jobs.context import JobContext
from thermoquant.strategies.base import ParamError
from thermoquant.strategies.thermo_params import LABEL_MODES, ThermoStrategyParams

app = typer.Typer(help="评估：在真实数据上给出结论 / verdicts on real data.", no_args_is_help=True)

_PCT = {"win_rate", "win_rate_gate", "mean_win", "mean_loss", "exposure", "total_return", "annual_return",
        "max_drawdown", "share", "turnover"}  # fmt: skip


def _f(key: str, v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:+.2%}" if key in _PCT else f"{v:.2f}"
    return str(v)


def _print_window(w: Any) -> None:
    console.rule(f"{w.window} · 标签 labels={w.labels} · {w.start} → {w.end} · {w.stocks} 只 stocks")
    t = Table(title="交易 trades", title_justify="left")
    for k in w.trades:
        t.add_column(k, justify="right")
    t.add_row(*(_f(k, v) for k, v in w.trades.items()))
    console.print(t)
    p = Table(title="组合 portfolio", title_justify="left")
    p.add_column("series")
    for k in ("total_return", "annual_return", "max_drawdown", "sharpe"):
        p.add_column(k, justify="right")
    for name, m in w.portfolio.items():
        p.add_row(name, *(_f(k, v) for k, v in m.items()))
    console.print(p)
    e = Table(title="持仓暴露 exposure (holding-days)", title_justify="left")
    e.add_column("state/group")
    e.add_column("share", justify="right")
    for frame, col in ((w.exposure_state, "state"), (w.exposure_group, "group")):
        for r in frame.iter_rows(named=True):
            e.add_row(f"{col} {r[col]}", _f("share", r["share"]))
    console.print(e)
    s = Table(title="未来超额收益（相对当日市场均值）forward excess return: mean % (t)", title_justify="left")
    s.add_column("group")
    for h in w.by_state:
        s.add_column(f"{h}d", justify="right")
    groups: dict[str, list[str]] = {}
    for h in w.by_state:
        for frame, col, tag in (
            (w.by_state[h], "state", "状态 state"),
            (w.by_signal[h], "reason", "信号 signal"),
        ):
            for r in frame.iter_rows(named=True):
                groups.setdefault(f"{tag} {r[col]}", []).append(
                    f"{r['mean'] * 100:+.2f} ({r['t']:+.1f}) n={r['n']}"
                )
        ic = w.ic[h]
        groups.setdefault("评分秩IC rank IC", []).append(
            f"{ic['ic']:+.3f} ({ic['t']:+.1f}) d={ic['days']:.0f}"
        )
    for name, cells in groups.items():
        s.add_row(name, *cells)
    console.print(s)
    if w.run_id:
        console.print(f"[dim]backtest_log run_id={w.run_id}[/dim]")


def _verdict(windows: list[Any]) -> list[str]:
    """Plain sentences from the printed figures: which parts carry information here and which do not."""
    lines = []
    for w in windows:
        tr = w.trades
        gate = "达到" if tr["win_rate"] > tr["win_rate_gate"] else "未达到"
        st, csi, ew = w.portfolio["strategy"], w.portfolio["csi500"], w.portfolio["equal_weight"]
        lines.append(
            f"{w.window} (labels={w.labels}): 胜率 {_f('win_rate', tr['win_rate'])} {gate} 55% 门槛 (gate); 收益 "
            f"{_f('total_return', st['total_return'])} vs 中证500 {_f('total_return', csi['total_return'])} vs 等权 "
            f"{_f('total_return', ew['total_return'])}"
        )
        for h in (20,):
            carried = [f"{r['state']}({r['mean'] * 100:+.2f}%, t={r['t']:+.1f})" for r in w.by_state[h].iter_rows(named=True)
                       if abs(r["t"]) >= 2]  # fmt: skip
            flat = [r["state"] for r in w.by_state[h].iter_rows(named=True) if abs(r["t"]) < 2]
            lines.append(f"   {h} 日超额 |t|≥2 的状态 states with |t|>=2: {', '.join(carried) or '无 none'}; "
                         f"无信息 |t|<2: {', '.join(flat) or '无 none'}")  # fmt: skip
            ic = w.ic[h]
            if abs(ic["t"]) < 2:
                word = "无显著信息 not significant"
            elif ic["ic"] > 0:
                word = "有信息、方向正确 informative, right sign"
            else:
                word = "有信息但方向相反：成功率高者随后跑输 informative with the WRONG sign"
            lines.append(f"   评分（点火成功率）{h} 日秩 IC {ic['ic']:+.3f}, t={ic['t']:+.1f}（{word}）")
    return lines


@app.command("thermo")
def thermo(
    real: Annotated[
        Path, typer.Option("--real", help="真实数据目录（含 MANIFEST.md）real-data folder")
    ] = Path("../shared/data/real"),
    labels: Annotated[str, typer.Option(help="状态标签 labels: lifecycle, per_bar 或 both")] = "both",
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="参数 key=value（不在报告窗口上调参）")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="HTML 报告路径 report path")] = None,
    save: Annotated[bool, typer.Option("--record/--no-record", help="每次运行写一行 backtest_log")] = True,
    db: DbUrl = None,
) -> None:
    """热力学策略的结论：全市场窗口与沪深300上的交易、组合、信号信息与两只验证股票。

    The thermo strategy's verdict on the whole-market windows and the HS300 set: trade statistics, portfolio vs
    CSI500 and an equal-weight basket, forward excess returns by state and signal with t-statistics, rank IC, the
    two validation stocks; writes an HTML report and a backtest_log row per run."""
    from thermoquant.jobs.evaluate import evaluate_thermo

    modes = LABEL_MODES if labels == "both" else (labels,)
    if any(m not in LABEL_MODES for m in modes):
        raise typer.BadParameter(f"--labels: one of {', '.join(LABEL_MODES)} or both")
    try:
        pairs = ThermoStrategyParams().with_pairs(param or [])
    except ParamError as exc:
        raise typer.BadParameter(f"--param: {exc}") from None
    explicit = {p.partition("=")[0].strip() for p in param or []}
    values = {k: v for k, v in pairs.to_dict().items() if k in explicit}
    if not real.exists():
        raise typer.BadParameter(f"--real {real}: folder not found")
    with progress_bar(out=console) as progress:
        ev = evaluate_thermo(
            JobContext(db_url=db), real, values, modes, report_to=out, save=save, progress=progress
        )
    for note in ev.notes:
        console.print(f"[yellow]注 note:[/yellow] {note}")
    for w in ev.windows:
        _print_window(w)
    console.rule("验证股票 validation stocks")
    v = Table()
    for c in (
        "symbol",
        "labels",
        "顶部 top",
        "事件 event",
        "日期 date",
        "规则 rule",
        "距顶部交易日 days from top",
    ):
        v.add_column(c)
    for r in ev.validation:
        for e in r.events:
            v.add_row(r.symbol, r.labels, f"{r.top} ({r.top_close:.2f})", e["event"], str(e["date"] or "-"),
                      str(e.get("rule") or "-"),
                      "-" if e["days_from_top"] is None else f"{e['days_from_top']:+d}")  # fmt: skip
    console.print(v)
    console.rule("结论 verdict")
    for line in _verdict(ev.windows):
        console.print(line)
    console.print(f"报告 report: {ev.report_path}")


app.command("evolve")(__import__("thermoquant.cli.evolve", fromlist=["evaluate_evolve"]).evaluate_evolve)
