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
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from thermoquant.backtest import engine_nb as nb
from thermoquant.backtest.fill import kernel_inputs
from thermoquant.backtest.rules import market_arrays
from thermoquant.backtest.run import BacktestConfig, check_targets, engine_inputs, run_backtest, target_array
from thermoquant.data.job_log import job_run
from thermoquant.data.sources.csv import ImportResult, RowFilter, import_paths
from thermoquant.data.sources.csv_symbols import TDX_INDEX_CODES
from thermoquant.data.store.errors import NoDataError
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.market import with_listing_and_st
from thermoquant.jobs.panels import build_panel
from thermoquant.jobs.risk import risk_hook
from thermoquant.market.symbols import normalize_symbols
from thermoquant.strategies.registry import get_strategy
from thermoquant.trading.book import OrderBook
from thermoquant.trading.loop import MinuteMarket, SessionResult, SimClock, WallClock, run_session
from thermoquant.trading.paper import PaperBroker
from thermoquant.trading.replay import replay
from thermoquant.trading.risk import KillSwitch, RiskLimits, TradingState, no_refusals
from thermoquant.trading.router import Hook, no_hook

ACCOUNT_TABLES = ("paper_ledger", "orders", "trading_state", "position_snapshot", "cash_snapshot")
"""Tables a fresh replay clears for its account (order_events follow their orders)."""

COMPARE_COLUMNS = [
    "symbol",
    "trade_date",
    "side",
    "requested",
    "filled",
    "price",
    "commission",
    "transfer_fee",
    "stamp_duty",
    "status",
    "position_after",
]


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
    args = {
        "strategy": strategy,
        "start": str(start),
        "end": str(end),
        "source": source,
        "mode": mode,
        "account": account,
    }
    with ctx.open_store() as store, job_run(store, "trade_replay", args=args) as log:
        panel = build_panel(store, strategy, source, mode, start, end, p, ctx.progress)
        risk = risk_hook(ctx, store, limits)  # the backtest and the replay cut the same weights
        lim = risk.limits
        run = run_backtest(strat, panel, p, config, target_filter=risk.filter)
        if run.orders is None:
            raise ValueError(
                f"{strategy} in mode {mode} trades through index_nav: replay needs a traded security"
            )
        targets = check_targets(strategy, strat.targets(panel, p))
        targets, refused = risk.filter(targets) if risk.filter else (targets, no_refusals(targets))
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
    return ReplayReport(
        strategy,
        account,
        panel.start,
        panel.end,
        run.orders,
        records,
        compare_records(run.orders, records),
        res.sent,
        refused,
    )


def set_kill_switch(
    ctx: JobContext, account: str, state: TradingState, reason: str, actor: str = "cli"
) -> None:
    """Store the kill switch of ``account`` (audit row included); a change of state raises an urgent
    ``kill_switch`` alert (written to ``alerts_log``, sent at once to the configured channels)."""
    from thermoquant.jobs.alerts import raise_and_send
    from thermoquant.jobs.trade_alerts import kill_switch_alert

    with ctx.open_store() as store:
        switch = KillSwitch(store, account)
        before = switch.state
        switch.set(state, reason, actor=actor)
        if state != before:
            row = switch.row()
            raise_and_send(ctx, store, [kill_switch_alert(account, row, row["updated_at"])])


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


# ---------------------------------------------------------------------------------------------- minute bars, loop
def import_minutes(
    ctx: JobContext,
    path: str | Path,
    codes: list[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    strict: bool = False,
) -> list[ImportResult]:
    """Import minute-bar files into ``minute_quote`` through the file import of `tq import`
    (:func:`thermoquant.data.sources.csv.import_paths`: layout, units, session-time checks, source merge), keeping
    only `codes` (any spelling, e.g. ``510300.SH``; TDX ``999999`` = ``000001.SH``) and the days `start`..`end` (inclusive). Returns the import
    results (rows written in ``written``, rejected rows named by file, row and column)."""
    symbols = [TDX_INDEX_CODES.get(c.strip(), c) for c in codes or []]  # TDX 999999 = 000001.SH
    only = RowFilter(tuple(normalize_symbols(symbols).to_list()) if symbols else None, start, end)
    with ctx.open_store() as store, job_run(store, "import_minutes", args={"path": str(path)}) as log:
        results = import_paths([path], store, strict=strict, only=only)
        log.rows_written = sum(n for r in results for n in r.written.values())
    return results


def daily_from_minutes(minutes: pl.DataFrame) -> pl.DataFrame:
    """Daily bars (symbol, trade_date, OHLC, volume, amount) aggregated from minute bars."""
    return (
        minutes.sort("symbol", "bar_time")
        .group_by("symbol", pl.col("bar_time").dt.date().alias("trade_date"))
        .agg(
            pl.col("open").first(),
            pl.col("high").max(),
            pl.col("low").min(),
            pl.col("close").last(),
            pl.col("volume").sum(),
            pl.col("amount").sum(),
        )
        .sort("symbol", "trade_date")
    )


def run_session_job(
    ctx: JobContext,
    strategy: str,
    day: dt.date,
    *,
    account: str,
    broker: str = "paper",
    interval: int = 5,
    confirm: bool = False,
    params: dict[str, Any] | None = None,
    source: str = "sample",
    mode: str = "reference",
    freq: str = "5m",
    qmt_path: str | None = None,
    init_cash: float = 1_000_000.0,
    clock: Any = None,
    on_tick: Any = None,
    limits: RiskLimits | None = None,
    feed: str | None = None,
) -> SessionResult:
    """One session of ``strategy`` on ``day`` (:func:`thermoquant.trading.loop.run_session`): targets from the
    strategy's own code at the previous close, minute bars from ``minute_quote`` — or, with ``feed`` (a source
    name of :func:`thermoquant.data.ingest.make_source`: akshare = ``stock_zh_a_spot_em``, xtquant =
    ``xtdata.get_full_tick``), a live snapshot at every tick — and the day's signals stored.  Stop exits and
    drawdown kill-switch changes raise urgent alerts at the tick they happen (:mod:`thermoquant.jobs.trade_alerts`)."""
    from thermoquant.jobs.trade_alerts import session_listener

    strat = get_strategy(strategy)
    p = ctx.strategy_params(strategy, params or {})
    config = BacktestConfig(init_cash=init_cash)
    with (
        ctx.open_store() as store,
        job_run(
            store, "trade_session", args={"strategy": strategy, "day": str(day), "account": account}
        ) as log,
    ):
        panel = build_panel(store, strategy, source, mode, None, day, p, ctx.progress)
        risk = risk_hook(ctx, store, limits)  # the [risk] caps, as the backtest applies them
        targets = check_targets(strategy, strat.targets(panel, p))
        if risk.filter is not None:
            targets = risk.filter(targets)[0]
        prev = targets.filter(pl.col("trade_date") < day)["trade_date"].max()
        days_before = panel["bars"].filter(pl.col("trade_date") < day)["trade_date"]
        last_session = days_before.max() if days_before.len() else None
        decided = (
            targets.filter(pl.col("trade_date") == last_session) if prev == last_session else targets.head(0)
        )
        weights = dict(zip(decided["symbol"].to_list(), decided["weight"].to_list(), strict=True))
        held = store.read("position_snapshot", where={"account": account})["symbol"].unique().to_list()
        symbols = sorted(set(weights) | set(held) | set(targets["symbol"].unique().to_list()))
        minutes = store.read(
            "minute_quote", where={"freq": freq}, symbols=symbols, start=last_session or day, end=day
        )
        feed_fn = None
        daily = daily_from_minutes(minutes)
        if feed is not None:
            from thermoquant.data.ingest import make_source

            src = make_source(feed)

            def feed_fn(t: dt.datetime) -> pl.DataFrame:
                return src.fetch("spot", symbols=symbols)

            first = feed_fn(
                dt.datetime.combine(day, dt.time(9, 25))
            )  # today's provisional bar: the day's rules
            today_row = first.select(
                "symbol",
                pl.lit(day).alias("trade_date"),
                "open",
                "high",
                "low",
                pl.col("last").alias("close"),
                "volume",
                "amount",
                pl.col("pre_close").cast(pl.Float64).alias("prev_close"),  # the limit prices' reference
            )  # a stock not trading (null prices) keeps its row: no bar today, as in the backtest
            daily = (
                pl.concat([daily.filter(pl.col("trade_date") < day), today_row], how="diagonal_relaxed")
                .sort("symbol", "trade_date")
                .with_columns(pl.col("prev_close").fill_null(pl.col("close").shift(1).over("symbol")))
            )
            minutes = minutes.filter(pl.col("bar_time").dt.date() < day)
        elif minutes.filter(pl.col("bar_time").dt.date() == day).is_empty():
            raise NoDataError(f"minute_quote has no {freq} bars of {', '.join(symbols)} on {day}")
        # listing dates and ST (st_history): the day's limit band (5 % for ST) and listing-day rules
        m = market_arrays(with_listing_and_st(store, daily), fees=config.fees)
        t_day = int(np.searchsorted(m.dates, np.datetime64(day, "D")))
        market = MinuteMarket(m, t_day, minutes.filter(pl.col("bar_time").dt.date() == day))
        engine_cfg = config.engine_config()
        if broker == "paper":
            costs = kernel_inputs(m, engine_cfg)[1]
            brk: Any = PaperBroker(store, account, market, costs, nb.PRICE_OPEN, init_cash=init_cash)
        elif broker == "qmt":
            from thermoquant.trading.qmt import QmtBroker

            brk = QmtBroker(qmt_path or "", account)
        else:
            raise ValueError(f"broker must be paper or qmt, not {broker!r}")
        clk = clock or (
            SimClock(dt.datetime.combine(day, dt.time(9, 25))) if day < ctx.today else WallClock()
        )
        result = run_session(
            store,
            strategy,
            brk,
            market,
            weights,
            engine_cfg,
            clock=clk,
            interval=interval,
            confirm=confirm,
            on_tick=on_tick,
            limits=risk.limits,
            feed=feed_fn,
            on_event=session_listener(ctx, store, account, day),
        )
        signals = strat.signals(panel, p, day)
        if signals.height:
            store.upsert("signals", signals)
        log.rows_written = result.orders.height
    return result


def confirm_orders(ctx: JobContext, account: str, cids: list[str] | None = None) -> list[str]:
    """Release orders waiting in --confirm mode (all of the account's when ``cids`` is None)."""
    with ctx.open_store() as store:
        return OrderBook(store, account, "-").confirm(cids)


def audit_report(ctx: JobContext, day: dt.date) -> pl.DataFrame:
    """:func:`thermoquant.trading.audit.audit_frame` for ``day`` from the store (signals of the previous session,
    the day's orders, the day's bar from daily_quote, etf_daily or minute_quote)."""
    from thermoquant.market.calendar import prev_trading_day
    from thermoquant.trading.audit import audit_frame

    prev = prev_trading_day(day)
    with ctx.open_store() as store:
        signals = store.read("signals", start=prev, end=prev)
        orders = store.read("orders", where={"trade_date": day})
        symbols = sorted(set(signals["symbol"].to_list()) | set(orders["symbol"].to_list()))
        cols = ["symbol", "open", "low", "high"]
        bars = [
            store.read(t, symbols=symbols, start=day, end=day, columns=cols)
            for t in ("daily_quote", "etf_daily")
        ]
        minutes = store.read("minute_quote", symbols=symbols, start=day, end=day)
        if minutes.height:
            bars.append(daily_from_minutes(minutes).select(cols))
    frame = pl.concat([b.cast({"open": pl.Float64, "low": pl.Float64, "high": pl.Float64}) for b in bars])
    return audit_frame(signals, orders, frame.unique("symbol", keep="first"))
