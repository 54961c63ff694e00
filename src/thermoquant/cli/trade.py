"""`tq trade …`: replay through the paper broker, the kill switch, the reconciliation gate."""

from __future__ import annotations

from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from thermoquant.cli.console import console, error
from thermoquant.cli.options import DbUrl, parse_date
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.trade import (
    accept_reconciliation,
    audit_report,
    confirm_orders,
    import_minutes,
    replay_job,
    run_session_job,
    set_kill_switch,
    trading_status,
)
from thermoquant.strategies.registry import strategy_names
from thermoquant.trading.risk import TradingState

app = typer.Typer(
    help="交易：纸面回放、熔断开关、对账 / trading: paper replay, kill switch, reconciliation.",
    no_args_is_help=True,
)

Account = Annotated[str, typer.Option("--account", help="账户名 account (paper 账户或 QMT 资金账号)")]


@app.command("replay")
def replay_cmd(
    strategy: Annotated[str, typer.Option(help=f"策略 strategy: {', '.join(strategy_names())}")],
    start: Annotated[str | None, typer.Option(help="起始日 YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="结束日 YYYY-MM-DD")] = None,
    broker: Annotated[str, typer.Option(help="券商 broker：仅 paper 可回放 / only paper replays")] = "paper",
    source: Annotated[str, typer.Option(help="输入来源 input source: sample | store | file:PATH")] = "sample",
    mode: Annotated[str, typer.Option(help="csi500_timing：etf（交易 510500）")] = "etf",
    account: Annotated[str | None, typer.Option(help="纸面账户 paper account（默认 replay-<策略>）")] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="续跑已有账户（中断后重启）/ resume the account after a crash")
    ] = False,
    db: DbUrl = None,
) -> None:
    """逐日回放历史：目标 → 风控 → 纸面券商成交，并与回测逐笔比对 / replay day by day through the paper broker and
    compare every fill with the backtest's."""
    if broker != "paper":
        raise typer.BadParameter("回放只支持 --broker paper / replay runs on the paper broker only")
    try:
        report = replay_job(
            JobContext(db_url=db),
            strategy,
            start=parse_date(start),
            end=parse_date(end),
            source=source,
            mode=mode,
            account=account,
            fresh=not resume,
        )
    except (KeyError, ValueError, LookupError) as exc:
        error(exc)
        raise typer.Exit(code=1) from None
    fills = report.replay.filter(pl.col("filled") != 0)
    console.print(
        f"回放 replay {report.strategy} {report.start} → {report.end}，账户 account {report.account}：订单记录 "
        f"{report.replay.height}（回测 backtest {report.backtest.height}），成交 fills {fills.height}，本次发送 sent "
        f"{report.sent}"
    )
    if report.refused.height:
        console.print(f"风控削减 risk caps cut {report.refused.height} 个目标 targets")
    if report.identical:
        console.print("[green]与回测逐笔一致 identical to the backtest, fill for fill[/green]")
        return
    table = Table(title="不一致 mismatches (前 20)")
    for c in ("i", "trade_date", "side", "filled", "filled_replay", "price", "price_replay"):
        table.add_column(c)
    for r in report.mismatches.head(20).iter_rows(named=True):
        table.add_row(
            *(
                str(r.get(c))
                for c in ("i", "trade_date", "side", "filled", "filled_replay", "price", "price_replay")
            )
        )
    console.print(table)
    error(f"{report.mismatches.height} 条与回测不一致 / records differ from the backtest")
    raise typer.Exit(code=1)


@app.command("halt")
def halt_cmd(
    account: Account,
    reason: Annotated[str, typer.Option(help="原因 reason（写入审计）")] = "manual halt",
    reducing: Annotated[
        bool,
        typer.Option("--reducing", help="只允许减仓（REDUCING）而非全停 / allow risk-reducing orders only"),
    ] = False,
    db: DbUrl = None,
) -> None:
    """熔断：停止新订单（HALTED）或只许减仓（REDUCING），重启后仍有效 / kill switch, survives restarts."""
    state = TradingState.REDUCING if reducing else TradingState.HALTED
    set_kill_switch(JobContext(db_url=db), account, state, reason)
    console.print(f"账户 {account}：{state.value}（{reason}）")


@app.command("resume")
def resume_cmd(
    account: Account,
    reason: Annotated[str, typer.Option(help="原因 reason（写入审计）")] = "manual resume",
    db: DbUrl = None,
) -> None:
    """解除熔断，恢复交易（ACTIVE）/ back to ACTIVE."""
    set_kill_switch(JobContext(db_url=db), account, TradingState.ACTIVE, reason)
    console.print(f"账户 {account}：ACTIVE（{reason}）")


@app.command("status")
def status_cmd(account: Account, db: DbUrl = None) -> None:
    """熔断状态、对账闸门、未完成订单 / kill switch, reconciliation gate, open orders."""
    s = trading_status(JobContext(db_url=db), account)
    gate = "通过 ok" if s["reconcile_ok"] is not False else f"待确认 blocked: {s['reconcile_note']}"
    console.print(
        f"账户 {account}：{s['state']}（{s['reason'] or '-'}）；对账 reconcile {gate}；"
        f"未完成订单 open orders {s['open_orders']}"
    )


@app.command("reconcile")
def reconcile_cmd(
    account: Account,
    accept: Annotated[
        bool,
        typer.Option("--accept", help="人工确认券商数字为准，解除对账闸门 / accept the broker's numbers"),
    ] = False,
    note: Annotated[str, typer.Option(help="说明 note（写入审计）")] = "accepted by operator",
    db: DbUrl = None,
) -> None:
    """对账闸门：不一致时拒绝交易，直到人工 --accept / the reconciliation gate."""
    if not accept:
        s = trading_status(JobContext(db_url=db), account)
        console.print(
            f"对账 reconcile：{'通过 ok' if s['reconcile_ok'] is not False else s['reconcile_note']}"
        )
        return
    accept_reconciliation(JobContext(db_url=db), account, note)
    console.print(f"账户 {account}：对账已确认，可以交易 / reconciliation accepted")


@app.command("run")
def run_cmd(
    strategy: Annotated[str, typer.Option(help=f"策略 strategy: {', '.join(strategy_names())}")],
    account: Account,
    broker: Annotated[str, typer.Option(help="券商 broker: paper | qmt")] = "paper",
    date: Annotated[
        str | None, typer.Option("--date", help="交易日 YYYY-MM-DD（默认今天；过去的日子用模拟时钟）")
    ] = None,
    interval: Annotated[int, typer.Option(help="每几分钟一轮 minutes per tick（须与分钟线周期相符）")] = 5,
    freq: Annotated[str, typer.Option(help="minute_quote 周期 freq: 1m | 5m")] = "5m",
    confirm: Annotated[
        bool,
        typer.Option(
            "--confirm", help="半自动：订单等待 tq trade confirm 后才发送 / orders wait for a person"
        ),
    ] = False,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="策略参数 k=v，可重复")] = None,
    qmt_path: Annotated[str | None, typer.Option(help="QMT userdata_mini 目录（--broker qmt）")] = None,
    feed: Annotated[
        str | None, typer.Option(help="实时快照 live snapshot: akshare | xtquant（默认读 minute_quote）")
    ] = None,
    db: DbUrl = None,
) -> None:
    """盘中循环：快照 → 市场状态 → 策略目标 → 风控 → 下单，收盘写入成交、持仓、权益与信号 / the intraday loop."""
    ctx = JobContext(db_url=db)
    params = dict(p.split("=", 1) for p in param or [])
    day = parse_date(date) or ctx.today
    result = run_session_job(
        ctx,
        strategy,
        day,
        account=account,
        broker=broker,
        interval=interval,
        confirm=confirm,
        params=params,
        freq=freq,
        qmt_path=qmt_path,
        feed=feed,
    )
    console.print(
        f"{day} {strategy} 账户 {account}：{result.ticks} 轮 ticks；订单 orders {result.states or '无 none'}；"
        f"状态更新 state update 最长 max {result.update_ms_max:.1f} ms / 平均 mean {result.update_ms_mean:.2f} ms"
    )
    for name, check in (("开盘对账 start", result.start_check), ("收盘对账 close", result.close_check)):
        if check is not None:
            console.print(f"{name}: {'一致 ok' if check.ok else check.note()}")


@app.command("confirm")
def confirm_cmd(
    account: Account,
    order: Annotated[
        list[str] | None, typer.Option("--order", help="客户订单号 client order id（默认全部）")
    ] = None,
    db: DbUrl = None,
) -> None:
    """确认等待中的订单（--confirm 模式），循环下一轮发送 / release orders waiting for confirmation."""
    ids = confirm_orders(JobContext(db_url=db), account, order)
    console.print(f"已确认 confirmed {len(ids)}: {', '.join(ids) or '-'}")


@app.command("import-minutes")
def import_minutes_cmd(
    path: Annotated[str, typer.Argument(help="分钟线文件（如 zsh_etf_minute 的 parquet / csv.gz）")],
    code: Annotated[list[str] | None, typer.Option("--code", help="只导入这些代码 e.g. 510300.SH")] = None,
    start: Annotated[str | None, typer.Option(help="起始日")] = None,
    end: Annotated[str | None, typer.Option(help="结束日")] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="任何错误行都拒绝整份文件 / refuse the file on any error")
    ] = False,
    db: DbUrl = None,
) -> None:
    """同 tq import，可只取部分代码与日期：分钟线写入 minute_quote / `tq import` of minute bars, optionally
    restricted to some codes and days."""
    from thermoquant.cli.errors import EXIT_FAILURE
    from thermoquant.cli.import_report import OUTCOME_TEXT, failed_files, render_report

    results = import_minutes(
        JobContext(db_url=db), path, code, parse_date(start), parse_date(end), strict=strict
    )
    console.print(render_report(results))
    failed = failed_files(results)
    if failed:
        for r in failed:
            error(f"{r.path.name}: {OUTCOME_TEXT[r.outcome]}")
        raise typer.Exit(code=EXIT_FAILURE)


audit_app = typer.Typer(help="审计：信号、行情与成交逐条对照 / the daily audit.", no_args_is_help=True)


@audit_app.command("report")
def audit_report_cmd(
    date: Annotated[str, typer.Option("--date", help="交易日 YYYY-MM-DD")],
    db: DbUrl = None,
) -> None:
    """前一交易日的信号是否执行、成交价相对当日K线、被拒原因 / signals vs bars vs fills vs refusals."""
    day = parse_date(date)
    assert day is not None
    frame = audit_report(JobContext(db_url=db), day)
    table = Table(title=f"审计 audit {day}")
    cols = (
        "strategy",
        "symbol",
        "signal",
        "side",
        "acted",
        "filled_qty",
        "avg_price",
        "open",
        "low",
        "high",
        "vs_open_bps",
        "in_bar",
        "reason",
    )
    for c in cols:
        table.add_column(c)
    for r in frame.iter_rows(named=True):
        table.add_row(
            *("" if r[c] is None else f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c]) for c in cols)
        )
    console.print(table)
    missed = frame.filter(pl.col("acted") == "no order").height
    console.print(
        f"信号未执行 signals not acted on: {missed}；被拒 refused: {frame.filter(pl.col('acted') == 'refused').height}"
    )
