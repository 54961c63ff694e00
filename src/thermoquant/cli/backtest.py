"""`tq backtest STRATEGY …`: run a strategy, print its summary, write the HTML report, record the run."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from thermoquant.backtest import csi500_data, record, report
from thermoquant.backtest.engine import EngineConfig
from thermoquant.cli.options import parse_date
from thermoquant.data.sources.sample import sample_path
from thermoquant.strategies import csi500_timing as csi

console = Console()

STRATEGIES = ("csi500_timing",)


def parse_params(pairs: list[str], cls: type) -> Any:
    """``["k=v", …]`` -> an instance of the parameter dataclass ``cls`` (values cast to the field's type)."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or key not in fields:
            raise typer.BadParameter(f"--param {pair!r}: expected k=v with k in {sorted(fields)}")
        kwargs[key] = _cast_param(pair, getattr(cls(), key), value.strip())
    return cls(**kwargs)


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _cast_param(pair: str, default: object, value: str) -> object:
    """`value` cast to the type of the field's default; a usage error naming the pair otherwise."""
    if isinstance(default, bool):
        if value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise typer.BadParameter(f"--param {pair!r}: expected one of {sorted(_TRUE | _FALSE)}")
    try:
        return type(default)(value)
    except (TypeError, ValueError):
        raise typer.BadParameter(f"--param {pair!r}: {value!r} is not a {type(default).__name__}") from None


def _summary_table(title: str, columns: dict[str, dict[str, float]]) -> Table:
    t = Table(title=title)
    t.add_column("指标 metric")
    for name in columns:
        t.add_column(name, justify="right")
    rows = [
        ("交易次数 trades", "trades", "{:.0f}"),
        ("胜率 win rate", "win_rate", "{:.1%}"),
        ("总收益 total return", "total_return", "{:+.2%}"),
        ("年化收益 annual return", "annual_return", "{:+.2%}"),
        ("最大回撤 max drawdown", "max_drawdown", "{:.2%}"),
        ("夏普 Sharpe", "sharpe", "{:.2f}"),
        ("买入持有总收益 buy & hold total", "benchmark_total_return", "{:+.2%}"),
        ("买入持有最大回撤 buy & hold max DD", "benchmark_max_drawdown", "{:.2%}"),
    ]
    for label, key, fmt in rows:
        t.add_row(label, *[fmt.format(s[key]) if key in s else "-" for s in columns.values()])
    return t


def _load_frame(data: Path | None, sample: bool) -> tuple[pl.DataFrame, dt.date]:
    """Strategy input and the first tradable day; ``data`` = a ``strategy_data.csv``-shaped file (MA warm-up
    from the bundled index history)."""
    if data is None or sample:
        return csi500_data.sample_frame()
    return csi500_data.strategy_frame(data, sample_path(csi500_data.INDEX_HISTORY_SAMPLE))


def backtest(
    strategy: Annotated[str, typer.Argument(help="策略名 strategy: csi500_timing")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="参数 k=v，可重复 (repeatable)")
    ] = None,
    start: Annotated[str | None, typer.Option(help="开始日期 YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="结束日期 YYYY-MM-DD")] = None,
    out: Annotated[Path | None, typer.Option(help="HTML 报告路径 report path")] = None,
    mode: Annotated[
        str, typer.Option(help="reference（指数参考模式）或 etf（510500 经回测引擎）")
    ] = "reference",
    data: Annotated[
        Path | None, typer.Option(help="strategy_data.csv 格式的输入文件；默认用内置样例")
    ] = None,
    sample: Annotated[bool, typer.Option("--sample", help="使用内置样例数据 bundled sample")] = False,
    fill: Annotated[str, typer.Option(help="ETF 模式成交价: next_open / close / vwap")] = "next_open",
    cash: Annotated[float, typer.Option(help="ETF 模式初始资金 CNY")] = 1_000_000.0,
    save: Annotated[bool, typer.Option("--record/--no-record", help="写入 backtest_log / trades")] = True,
    db: Annotated[str | None, typer.Option(help="数据库 URL；默认用配置 (tq.toml / TQ_DATABASE_URL)")] = None,
) -> None:
    """回测：运行策略，打印交易次数、胜率、总收益、最大回撤（策略与买入持有），可写 HTML 报告并记录。

    Backtest a strategy: prints trades, win rate, total return and max drawdown of the strategy and of
    buy-and-hold; optionally writes the HTML report and records the run."""
    if strategy not in STRATEGIES:
        raise typer.BadParameter(f"unknown strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
    params = parse_params(param or [], csi.Csi500TimingParams)
    frame, first = _load_frame(data, sample)
    t0 = max(parse_date(start) or first, first)
    end_d = parse_date(end)
    if end_d is not None:
        frame = frame.filter(pl.col("trade_date") <= end_d)
    if mode == "reference":
        base = csi.reference_backtest(frame, params, t0)
        dual = csi.reference_backtest(frame, dataclasses.replace(params, dual_check=True), t0)
        s_base, s_dual = base.summary(), dual.summary()
        d = base.daily["trade_date"]
        console.print(
            _summary_table(
                f"CSI500 择时（参考模式）{d.min()} → {d.max()}",
                {"策略 strategy": s_base, "双重校验 dual check": s_dual},
            )
        )
        summary, dates = s_base, d.to_list()
        returns, bench = base.daily["strat_ret"].to_numpy(), base.daily["bench_ret"].to_numpy()
        f = frame.filter(pl.col("trade_date") >= t0).rename({"trade_date": "date"})
        bars = f.select("date", "open", "high", "low", "close")
        trades, orders = base.trades, None
        buys = base.trades["entry_fill"].drop_nulls().to_list()
        sells = base.trades["exit_fill"].drop_nulls().to_list()
    elif mode == "etf":
        etf = csi500_data.etf_bars(sample_path(csi500_data.ETF_SAMPLE))
        er = csi.run_etf(frame, etf, params, start=t0, config=EngineConfig(init_cash=cash, fill=fill))
        res = er.result
        summary = er.summary()
        dates = [x.astype(object) for x in res.dates.astype("datetime64[D]")]
        console.print(
            _summary_table(f"CSI500 择时（510500 ETF 模式）{dates[0]} → {dates[-1]}", {"策略": summary})
        )
        returns, bench = res.returns(), er.benchmark
        bars = etf.filter(pl.col("date").is_between(dates[0], dates[-1])).select(
            "date", "open", "high", "low", "close"
        )
        orders = res.orders()
        trades = orders
        fills = res.fills()
        buys = fills.filter(pl.col("side") == "buy")["date"].to_list()
        sells = fills.filter(pl.col("side") == "sell")["date"].to_list()
    else:
        raise typer.BadParameter(f"--mode must be reference or etf, not {mode!r}")
    report_path = None
    if out is not None:
        report_path = report.write_report(
            out,
            title=f"{strategy} 回测报告（{mode}）",
            dates=dates,
            returns=returns,
            summary=summary,
            benchmark=bench,
            bars=bars,
            trades=trades,
            buys=buys,
            sells=sells,
            params=csi.params_dict(params),
        )
        console.print(f"报告已写入 report written: {report_path}")
    if save:
        from thermoquant.data.store import open_store

        with open_store(db) as store:
            rid = record.record_run(
                store,
                strategy=strategy,
                params={**csi.params_dict(params), "mode": mode},
                start=dates[0],
                end=dates[-1],
                summary=summary,
                orders=orders,
                report_path=str(report_path) if report_path else None,
            )
        console.print(f"已记录 recorded run_id={rid}")
