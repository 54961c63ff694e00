"""`tq strategies list`: every registered strategy with its parameters, defaults and units."""

from __future__ import annotations

import typer
from rich.table import Table

from thermoquant.cli.console import console
from thermoquant.strategies.registry import all_strategies

app = typer.Typer(help="策略：已注册的策略及其参数 / registered strategies.", no_args_is_help=True)


@app.command("list")
def list_cmd() -> None:
    """列出每个策略的参数、默认值与单位 / each strategy with its parameters, defaults and units."""
    for strategy in all_strategies():
        table = Table(title=f"{strategy.name} — {strategy.title}", title_justify="left")
        for col in ("参数 param", "默认 default", "单位 unit", "说明 meaning"):
            table.add_column(col, overflow="fold")
        for info in strategy.Params.describe():
            table.add_row(info.name, str(info.default), info.unit, info.doc)
        console.print(table)
        console.print(f"[dim]输入 inputs — {strategy.inputs.describe()}[/dim]\n")
