"""Trading jobs: replay a strategy through the paper broker against its backtest, the kill switch, reconciliation.

:func:`replay_job` builds the strategy's inputs exactly as the backtest job does, runs the backtest, replays the same
targets day by day through a paper account (:mod:`thermoquant.trading.replay`) and compares every order record —
fills and blocked orders, quantities, prices and fees — with the backtest's.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
from dataclasses import dataclass
from typing import Any

import polars as pl

from thermoquant.backtest.run import BacktestConfig, check_targets, engine_inputs, run_backtest, target_array
from thermoquant.data.job_log import job_run
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.panels import build_panel
from thermoquant.strategies.registry import get_strategy
from thermoquant.trading.replay import replay
from thermoquant.trading.risk import KillSwitch, RiskLimits, TradingState, apply_target_limits
from thermoquant.trading.router import Hook, no_hook

ACCOUNT_TABLES = ("paper_ledger", "orders", "trading_state", "position_snapshot", "cash_snapshot")
"""Tables a fresh replay clears for its account (order_events follow their orders)."""

COMPARE_COLUMNS = ["symbol", "trade_date", "side", "requested", "filled", "price", "commission", "transfer_fee",
                   "stamp_duty", "status", "position_after"]  # fmt: skip


@dataclass
class ReplayReport:
    """Replay against backtest: ``backtest`` and ``replay`` order records, ``mismatches`` rows that differ."""

    strategy: str
    account: str
    start: dt.date
    end: dt.date
    backtest: pl.DataFrame
    replay: pl.DataFrame
    mismatches: pl.DataFrame
    sent: int
    refused: pl.DataFrame

    @property
    def identical(self) -> bool:
        return self.mismatches.is_empty() and self.backtest.height == self.replay.height


KILL_ENV = "TQ_TRADE_KILL_AT"
"""Fault injection for the restart tests: ``POINT:N`` makes the process SIGKILL itself the N-th time (from 1) it
reaches ``POINT`` (before_send, after_send, snapshot_write).  Never set in normal use."""


def kill_hook() -> Hook:
    """The hook :data:`KILL_ENV` asks for (a no-op when unset)."""
    spec = os.environ.get(KILL_ENV, "")
    point, _, nth = spec.partition(":")
    if not point:
        return no_hook
    left = [int(nth or 1)]

    def hook(at: str, what: str) -> None:
        if at == point:
            left[0] -= 1
            if left[0] == 0:
                os.kill(os.getpid(), signal.SIGKILL)

    return hook


def default_account(strategy: str) -> str:
    return f"replay-{strategy}"


def clear_account(store: Any, account: str) -> None:
    """Delete a paper account's rows (a fresh replay)."""
    cids = store.read("orders", where={"account": account}, columns=["client_order_id"])["client_order_id"]
    if cids.len():
        store.delete("order_events", {"client_order_id": cids.to_list()})
    for table in ACCOUNT_TABLES:
        store.delete(table, {"account": account})


def compare_records(backtest: pl.DataFrame, replayed: pl.DataFrame) -> pl.DataFrame:
    """Rows (by position in day order) whose values differ, NaN equal to NaN; empty when identical."""
    a = backtest.select(COMPARE_COLUMNS).with_row_index("i")
    b = replayed.select(COMPARE_COLUMNS).with_row_index("i")
    j = a.join(b, on="i", how="full", suffix="_replay", coalesce=True)
    diff = pl.lit(False)
    for c in COMPARE_COLUMNS:
        x, y = pl.col(c), pl.col(f"{c}_replay")
        if backtest.schema[c] == pl.Float64:
            same = (x == y) | (x.is_nan() & y.is_nan()) | (x.is_null() & y.is_null())
        else:
            same = (x == y) | (x.is_null() & y.is_null())
        diff = diff | ~same.fill_null(False)
    return j.filter(diff)


def replay_job(
    ctx: JobContext,
    strategy: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    source: str = "sample",
    mode: str = "etf",
    params: dict[str, Any] | None = None,
    account: str | None = None,
    fresh: bool = True,
    limits: RiskLimits | None = None,
    hook: Hook | None = None,
) -> ReplayReport:
    """Backtest ``strategy`` and replay it through a paper account; see the module doc."""
    strat = get_strategy(strategy)
    overrides = dict(params or {})
    if strategy == "csi500_timing" and mode == "etf":
        from thermoquant.strategies.csi500_timing import ETF_SYMBOL

        overrides.setdefault("trade_symbol", ETF_SYMBOL)
    p = ctx.strategy_params(strategy, overrides)
    config = BacktestConfig()
    account = account or default_account(strategy)
    lim = limits or RiskLimits()
    args = {"strategy": strategy, "start": str(start), "end": str(end), "source": source, "mode": mode,
            "account": account}  # fmt: skip
    with ctx.open_store() as store, job_run(store, "trade_replay", args=args) as log:
        panel = build_panel(store, strategy, source, mode, start, end, p, ctx.progress)
        run = run_backtest(strat, panel, p, config)
        if run.orders is None:
            raise ValueError(
                f"{strategy} in mode {mode} trades through index_nav: replay needs a traded security"
            )
        targets, refused = apply_target_limits(check_targets(strategy, strat.targets(panel, p)), lim)
        m = engine_inputs(panel, config)
        with (
            store.session()
        ):  # one connection for the day-by-day writes (each write still its own transaction)
            if fresh:
                clear_account(store, account)
            res = replay(
                store,
                strategy,
                m,
                target_array(m, targets),
                config.engine_config(),
                account,
                limits=lim,
                hook=hook or kill_hook(),
            )
            records = res.records()
        log.rows_written = records.height
    return ReplayReport(strategy, account, panel.start, panel.end, run.orders, records,
                        compare_records(run.orders, records), res.sent, refused)  # fmt: skip


def set_kill_switch(
    ctx: JobContext, account: str, state: TradingState, reason: str, actor: str = "cli"
) -> None:
    """Store the kill switch of ``account`` (audit row included)."""
    with ctx.open_store() as store:
        KillSwitch(store, account).set(state, reason, actor=actor)


def trading_status(ctx: JobContext, account: str) -> dict[str, Any]:
    """The ``trading_state`` row of ``account`` and its open orders."""
    with ctx.open_store() as store:
        row = KillSwitch(store, account).row()
        open_orders = store.read("orders", where={"account": account}).filter(
            ~pl.col("status").is_in(["filled", "cancelled", "rejected"])
        )
    return {**row, "open_orders": open_orders.height}


def accept_reconciliation(ctx: JobContext, account: str, note: str, actor: str = "cli") -> None:
    """A person accepts the broker's numbers: the reconciliation gate opens again."""
    with ctx.open_store() as store:
        KillSwitch(store, account).set_reconcile(True, note, actor=actor)
