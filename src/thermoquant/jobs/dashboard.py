"""What the dashboard reads: small, named reads of the store, one per panel, returning Polars frames.

Every function takes an open :class:`~thermoquant.data.store.Store` and reads only what its panel shows (a window
of days, one stock, the top rows), so a page never ships a whole table. Tables that another part of the product
has not created yet (or a database older than this code) read as empty frames: :func:`present` says which tables
exist, and pages say plainly when one is empty. Nothing here writes, prints or touches a page.

Conventions: ``day`` is an exchange date; ``signal_time`` is the naive Asia/Shanghai timestamp of the signal; the
stock frames are forward-adjusted (前复权) at the stock's last bar, the prices the chips are computed in.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from thermoquant.data.schema import TABLES
from thermoquant.market.calendar import CalendarStatus

THERMO_STRATEGY = "thermo_scan"
"""The strategy whose signals the overview counts by state (the full-market scan)."""

TIMING_STRATEGY = "csi500_timing"
"""The index-timing strategy of seed 004 whose latest stored signal the overview shows."""

CSI500 = "000905.SH"
"""The index drawn on the overview beside the timing signal."""

STOCK_BARS = 2500
"""Bars of one stock the stock page reads and draws (≈ 10 years of trading days)."""

LIMIT_TOLERANCE = 0.005
"""A close within this many CNY of the day's limit price counts as at the limit (prices tick by 0.01 CNY)."""

MIN_LIMIT_MOVE = 0.045
"""Bars whose close moved less than this from pre_close (a fraction) cannot close at a limit price (the narrowest
limit is the ST board's 5 %, less rounding to the tick): only the others go through the limit rules."""

# The SQL below quotes every identifier with double quotes (standard SQL; the MySQL store runs with ANSI_QUOTES):
# `signal`, `state` and `day` are reserved or keywords on some backends.


def present(store: Any) -> set[str]:
    """Tables of ``schema.py`` that exist in the database."""
    return set(TABLES) & store.table_names()


def read_optional(store: Any, table: str, tables: set[str], **kwargs: Any) -> pl.DataFrame:
    """``store.read(table, **kwargs)`` when ``table`` exists (``tables``: :func:`present`), else an empty frame
    with the schema's columns (or no columns for a table ``schema.py`` does not know)."""
    if table in tables:
        return store.read(table, **kwargs)
    spec = TABLES.get(table)
    return pl.DataFrame(schema=spec.polars_schema()) if spec is not None else pl.DataFrame()


def _details(frame: pl.DataFrame) -> pl.DataFrame:
    """The JSON ``details`` column of signal rows spread into one column per key (numbers and text as stored)."""
    if frame.is_empty() or "details" not in frame.columns:
        return frame.drop("details", strict=False)
    parsed = [json.loads(d) if d else {} for d in frame["details"].to_list()]
    keys = sorted({k for d in parsed for k in d})
    cols = []
    for k in keys:
        values = [d.get(k) for d in parsed]
        numeric = all(v is None or isinstance(v, int | float) for v in values)
        cols.append(
            pl.Series(k, values, dtype=pl.Float64 if numeric else pl.Utf8, strict=False)
            if numeric
            else pl.Series(k, [None if v is None else str(v) for v in values], dtype=pl.Utf8)
        )
    return frame.drop("details").with_columns(cols)


# ---------------------------------------------------------------- 市场总览 overview
@dataclass(frozen=True)
class Overview:
    """The overview page's data: the last scan day, state counts per scanned day (day, state, stocks), the day's
    top ignition (B) and steady-combustion (C) buys, signal counts, limit-up/down counts per day, the latest
    CSI500 timing signal (None when none is stored) and the CSI500 index closes."""

    last_day: dt.date | None
    states: pl.DataFrame
    ignition: pl.DataFrame
    steady: pl.DataFrame
    actions: pl.DataFrame
    limits: pl.DataFrame
    timing: dict[str, Any] | None
    index: pl.DataFrame


def overview(store: Any, *, top: int = 20, days: int = 60) -> Overview:
    """What the overview shows; ``top`` rows per candidate list, ``days`` of limit counts and index closes."""
    tables = present(store)
    states = pl.DataFrame(schema={"day": pl.Date, "state": pl.Utf8, "stocks": pl.Int64})
    actions = pl.DataFrame(schema={"signal": pl.Utf8, "state": pl.Utf8, "stocks": pl.Int64})
    empty = pl.DataFrame(schema={"symbol": pl.Utf8, "name": pl.Utf8, "state": pl.Utf8, "score": pl.Float64})
    ignition = steady = empty
    last_day: dt.date | None = None
    timing: dict[str, Any] | None = None
    if "signals" in tables:
        states = store.query(
            'SELECT CAST("signal_time" AS DATE) AS "day", "state", count(*) AS "stocks" FROM "signals" '
            'WHERE "strategy" = ? GROUP BY CAST("signal_time" AS DATE), "state" ORDER BY "day", "state"',
            [THERMO_STRATEGY],
        )
        if states.height:
            states = states.with_columns(pl.col("day").cast(pl.Date), pl.col("stocks").cast(pl.Int64))
            last_day = states["day"].max()
            day_rows = store.read(
                "signals", where={"strategy": THERMO_STRATEGY}, start=last_day, end=last_day
            ).join(_names(store, tables), on="symbol", how="left")
            buys = day_rows.filter(pl.col("signal") == "BUY").sort("score", descending=True, nulls_last=True)
            cols = ["symbol", "name", "state", "score", "reason", "take_profit", "stop_loss"]
            ignition = buys.filter(pl.col("state") == "B").head(top).select(cols)
            steady = buys.filter(pl.col("state") == "C").head(top).select(cols)
            actions = (
                day_rows.group_by("signal", "state").len("stocks").sort("signal", "state")
                .with_columns(pl.col("stocks").cast(pl.Int64))
            )  # fmt: skip
        timing_rows = store.read("signals", where={"strategy": TIMING_STRATEGY})
        if timing_rows.height:
            last = _details(timing_rows.sort("signal_time").tail(1))
            timing = last.row(0, named=True)
    index = read_optional(
        store, "index_daily", tables, where={"index_code": CSI500}, columns=["trade_date", "close", "amount"]
    ).tail(days)
    return Overview(
        last_day, states, ignition, steady, actions, limit_counts(store, tables, days), timing, index
    )


def _names(store: Any, tables: set[str]) -> pl.DataFrame:
    return read_optional(store, "stock_info", tables, columns=["symbol", "name"])


def limit_counts(store: Any, tables: set[str], days: int = 60) -> pl.DataFrame:
    """Stocks closing at the limit-up / limit-down price on each of the last ``days`` market days: (trade_date,
    up, down). The stored ``up_limit``/``down_limit`` where present, else the board's rule on ``pre_close``
    (:func:`thermoquant.market.limits.with_limit_prices`, ST from ``is_st``)."""
    out_schema = {"trade_date": pl.Date, "up": pl.Int64, "down": pl.Int64}
    if "daily_quote" not in tables:
        return pl.DataFrame(schema=out_schema)
    recent = store.query(
        'SELECT "trade_date" FROM "daily_quote" GROUP BY "trade_date" HAVING count(*) >= 0.5 * '
        '(SELECT max("n") FROM (SELECT count(*) AS "n" FROM "daily_quote" GROUP BY "trade_date") AS "c") '
        'ORDER BY "trade_date" DESC LIMIT ?',
        [days],
    )
    if recent.is_empty():
        return pl.DataFrame(schema=out_schema)
    first = recent["trade_date"].cast(pl.Date).min()
    days_in = recent["trade_date"].cast(pl.Date).implode()
    q = store.query(
        'SELECT "symbol", "trade_date", "close", "pre_close", "up_limit", "down_limit", "is_st" FROM "daily_quote" '
        'WHERE "trade_date" >= ? AND "volume" > 0 AND ("up_limit" IS NOT NULL '
        'OR abs("close" / NULLIF("pre_close", 0) - 1) >= ?)',  # no board's limit is nearer than MIN_LIMIT_MOVE
        [first, MIN_LIMIT_MOVE],
    )
    if q.height:
        q = q.with_columns(pl.col("trade_date").cast(pl.Date), pl.col("is_st").cast(pl.Boolean))
        q = q.filter(pl.col("trade_date").is_in(days_in))
    if q.is_empty():
        return pl.DataFrame(schema=out_schema)
    from thermoquant.market.limits import with_limit_prices

    rule = with_limit_prices(
        q.select("symbol", "trade_date", "pre_close", "is_st"),
        prev_close_col="pre_close",
        date_col="trade_date",
        st_col="is_st",
    )
    q = q.with_columns(
        pl.col("up_limit").fill_null(rule["up_limit"]), pl.col("down_limit").fill_null(rule["down_limit"])
    )
    return (
        q.group_by("trade_date")
        .agg(
            (pl.col("close") >= pl.col("up_limit") - LIMIT_TOLERANCE).sum().cast(pl.Int64).alias("up"),
            (pl.col("close") <= pl.col("down_limit") + LIMIT_TOLERANCE).sum().cast(pl.Int64).alias("down"),
        )
        .sort("trade_date")
    )


# ---------------------------------------------------------------- 个股 stock
def stock_list(store: Any) -> pl.DataFrame:
    """(symbol, name) of every stock in ``stock_info``, by symbol: what the search box offers."""
    return _names(store, present(store)).sort("symbol")


def top_candidate(store: Any) -> str | None:
    """The best-scored BUY of the latest full-market scan: the stock the stock page opens on; None without one."""
    if "signals" not in present(store):
        return None
    rows = store.query(
        'SELECT "symbol" FROM "signals" WHERE "strategy" = ? AND "signal" = \'BUY\' '
        'ORDER BY "signal_time" DESC, "score" DESC LIMIT 1',
        [THERMO_STRATEGY],
    )
    return str(rows.item()) if rows.height else None


def find_stocks(stocks: pl.DataFrame, text: str, limit: int = 50) -> pl.DataFrame:
    """Rows of ``stocks`` (:func:`stock_list`) whose code or name contains ``text`` (case-insensitive), exact code
    matches first."""
    needle = text.strip().upper()
    if not needle:
        return stocks.head(limit)
    hit = pl.col("symbol").str.contains(needle, literal=True) | pl.col("name").fill_null("").str.to_uppercase().str.contains(needle, literal=True)  # fmt: skip
    exact = pl.col("symbol").str.starts_with(needle)
    return stocks.filter(hit).sort(exact, "symbol", descending=[True, False]).head(limit)


@dataclass(frozen=True)
class StockView:
    """One stock for the stock page: its ``stock_info`` row (None when unknown); its last bars (forward-adjusted)
    with the physics columns (T_i, ΔT, K, Q, chip metrics, state, buy_point, stop); every bar's chip stack
    (``stacks`` (bars, bins), share of the float per bin) with the log price of each bar's grid floor (``g0``) and
    the bins' log width (``log_step``); its stored signals (details spread into columns), parameter packs, and its
    latest stored factors (one row, empty when none are stored)."""

    symbol: str
    info: dict[str, Any] | None
    physics: pl.DataFrame
    stacks: np.ndarray
    g0: np.ndarray
    log_step: float
    signals: pl.DataFrame
    param_packs: pl.DataFrame
    factors: pl.DataFrame

    def chip_prices(self, i: int) -> np.ndarray:
        """Price (CNY, forward-adjusted) at the middle of each chip bin of bar ``i``."""
        return np.exp(self.g0[i] + (np.arange(self.stacks.shape[1]) + 0.5) * self.log_step)


def stock_view(
    store: Any, symbol: str, bars: int = STOCK_BARS, features_root: Path | None = None
) -> StockView:
    """Read ``symbol``'s last ``bars`` traded bars and compute its physics and chips (the whole history read is
    the chips' warm-up); signals, parameter packs and factors from the store and the features tree."""
    from thermoquant.physics.bars import forward_adjust, traded_bars
    from thermoquant.physics.chips import chip_history
    from thermoquant.physics.params import GridSpec
    from thermoquant.physics.thermo import compute_physics

    tables = present(store)
    info_rows = read_optional(store, "stock_info", tables, symbols=[symbol])
    quotes = read_optional(store, "daily_quote", tables, symbols=[symbol])
    traded = traded_bars(quotes) if quotes.height else quotes
    grid = GridSpec()
    if traded.height >= 2:
        adjusted = forward_adjust(traded)
        with single_threaded_kernels():
            phys = compute_physics(adjusted, adjust=False, grid=grid)
            stacks, g0 = chip_history(adjusted, grid=grid, k=phys["k"].to_numpy(), adjust=False)
        ohlcv = adjusted.select("trade_date", "open", "high", "low", "close", "volume", "amount", "turnover")
        phys = ohlcv.join(phys, on="trade_date", how="left").tail(bars)
        stacks, g0 = stacks[-bars:], g0[-bars:]
    else:
        phys = pl.DataFrame()
        stacks, g0 = np.zeros((0, grid.n_bins)), np.zeros(0)
    signals = _details(
        read_optional(store, "signals", tables, symbols=[symbol]).sort("signal_time", descending=True)
    )
    packs = read_optional(store, "param_pack", tables, symbols=[symbol]).sort(
        "effective_date", descending=True
    )
    return StockView(
        symbol=symbol,
        info=info_rows.row(0, named=True) if info_rows.height else None,
        physics=phys,
        stacks=stacks,
        g0=g0,
        log_step=grid.log_step,
        signals=signals,
        param_packs=packs,
        factors=stored_factors(features_root, symbol) if features_root is not None else pl.DataFrame(),
    )


@contextmanager
def single_threaded_kernels() -> Iterator[None]:
    """Run numba's parallel kernels on the calling thread only, for the duration (numba's thread count is per
    thread, restored after). One stock has nothing to split across threads: waking the pool costs far more than the
    work, most of all on a busy machine (see benchmarks/bench_ui.py for the page times)."""
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def stored_factors(root: Path, symbol: str) -> pl.DataFrame:
    """The latest stored factor row of ``symbol`` under the features tree ``root`` (``tq features compute``),
    one column per factor of every convention and dimension stored; empty when nothing is stored."""
    files = sorted(root.glob("*/dim=*/*.parquet")) if root.is_dir() else []
    rows: list[pl.DataFrame] = []
    for conv_dir in sorted({f.parent.parent for f in files}):
        parts = [
            pl.scan_parquet(f).filter(pl.col("symbol") == symbol).sort("trade_date").tail(1)
            for f in sorted(conv_dir.glob("dim=*/*.parquet"))
        ]
        prefix = conv_dir.name
        for part in pl.collect_all(parts):
            if part.height:
                rows.append(
                    part.drop("symbol").rename(
                        {c: f"{prefix}.{c}" for c in part.columns if c not in ("symbol", "trade_date")}
                    )
                )
    if not rows:
        return pl.DataFrame()
    out = rows[0]
    for r in rows[1:]:
        out = out.join(r, on="trade_date", how="full", coalesce=True)
    return out.sort("trade_date").tail(1)


# ---------------------------------------------------------------- 信号与评分 signals
def signal_filters(store: Any) -> dict[str, list[Any]]:
    """The values the signals page offers as filters: strategies, days (newest first), actions, layers."""
    tables = present(store)
    if "signals" not in tables:
        return {"strategy": [], "day": [], "signal": [], "layer": []}
    f = store.query(
        'SELECT "strategy", CAST("signal_time" AS DATE) AS "day", "signal" FROM "signals" '
        'GROUP BY "strategy", CAST("signal_time" AS DATE), "signal"'
    )
    layers = _layers(store, tables)
    return {
        "strategy": sorted(f["strategy"].unique().to_list()),
        "day": sorted(f["day"].cast(pl.Date).unique().to_list(), reverse=True),
        "signal": sorted(f["signal"].unique().to_list()),
        "layer": sorted(layers["tracked_layer"].drop_nulls().unique().to_list()),
    }


def _layers(store: Any, tables: set[str]) -> pl.DataFrame:
    return read_optional(store, "stock_info", tables, columns=["symbol", "name", "tracked_layer"])


def read_signal_rows(
    store: Any,
    day: dt.date | None,
    strategy: str | None = None,
    signal: str | None = None,
    layer: str | None = None,
) -> pl.DataFrame:
    """Signals of ``day`` (all days when None), optionally one strategy, action and tracked layer (stock_info's
    ``tracked_layer``: stable / attack), with the stock's name and layer, details spread into component columns;
    best score first."""
    tables = present(store)
    if "signals" not in tables:
        return pl.DataFrame(schema=TABLES["signals"].polars_schema())
    where: dict[str, Any] = {}
    if strategy:
        where["strategy"] = strategy
    if signal:
        where["signal"] = signal
    rows = store.read("signals", where=where or None, start=day, end=day)
    rows = rows.join(_layers(store, tables), on="symbol", how="left")
    if layer:
        rows = rows.filter(pl.col("tracked_layer") == layer)
    front = ["signal_time", "strategy", "symbol", "name", "tracked_layer", "signal", "state", "score"]
    rows = rows.select(front + [c for c in rows.columns if c not in front])
    rows = rows.with_columns(pl.col("score").fill_nan(None))  # a NaN score sorts as the largest otherwise
    return _details(rows.sort("score", descending=True, nulls_last=True))


def stable_alerts(store: Any, limit: int = 200) -> pl.DataFrame:
    """The latest ``alerts_log`` rows (newest first): stable-layer financial alerts and every other notice."""
    tables = present(store)
    return read_optional(store, "alerts_log", tables).sort("alert_time", descending=True).head(limit)


# ---------------------------------------------------------------- 组合与风控 portfolio
@dataclass(frozen=True)
class Portfolio:
    """The portfolio page's frames (empty where the trading layer has stored nothing yet): ``risk`` the kill switch
    and reconciliation gate per account (``trading_state``); ``positions`` the latest position snapshot of each
    account and source (book / broker); ``equity`` every cash-and-equity snapshot, oldest first; ``orders`` the
    latest orders; ``trades`` the paper and live fills (backtest orders are on the backtest page)."""

    risk: pl.DataFrame
    positions: pl.DataFrame
    equity: pl.DataFrame
    orders: pl.DataFrame
    trades: pl.DataFrame


def portfolio(store: Any, limit: int = 500) -> Portfolio:
    """Read what the trading layer stores; ``limit`` rows of orders and trades, newest first."""
    tables = present(store)
    snaps = read_optional(store, "position_snapshot", tables)
    if snaps.height:
        latest = pl.col("snap_time") == pl.col("snap_time").max().over("account", "source")
        snaps = snaps.filter(latest & (pl.col("quantity") != 0)).sort("account", "source", "symbol")
    trades = read_optional(store, "trades", tables)
    if trades.height:
        trades = trades.filter(pl.col("mode") != "backtest").sort("trade_time", descending=True).head(limit)
    return Portfolio(
        risk=read_optional(store, "trading_state", tables),
        positions=snaps,
        equity=read_optional(store, "cash_snapshot", tables).sort("snap_time"),
        orders=read_optional(store, "orders", tables)
        .sort("created_at", descending=True, nulls_last=True)
        .head(limit),
        trades=trades,
    )


def drawdown(equity: pl.Series) -> pl.Series:
    """Drawdown of an equity series from its running peak (0 at a new high, −0.2 = 20 % below it)."""
    return (equity / equity.cum_max() - 1.0).alias("drawdown")


# ---------------------------------------------------------------- 回测 backtests
def backtest_runs(store: Any) -> pl.DataFrame:
    """Every ``backtest_log`` run, newest first, its JSON metrics spread into columns (``m.<name>``)."""
    tables = present(store)
    log = read_optional(store, "backtest_log", tables)
    if log.is_empty():
        return log
    metrics = [json.loads(m) if m else {} for m in log["metrics"].to_list()]
    keys = sorted({k for m in metrics for k in m})
    cols = [
        pl.Series(
            f"m.{k}", [m.get(k) if isinstance(m.get(k), int | float) else None for m in metrics], pl.Float64
        )
        for k in keys
    ]
    return log.with_columns(cols).sort("created_at", descending=True, nulls_last=True)


def backtest_sleeves(store: Any, run_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A core-satellite run's daily book per sleeve (``backtest_sleeve``: trade_date, sleeve, cash, gross, equity)
    and its profit transfers satellite → core (``backtest_transfer``); empty for other runs."""
    tables = present(store)
    sleeves = read_optional(store, "backtest_sleeve", tables, where={"run_id": run_id})
    transfers = read_optional(store, "backtest_transfer", tables, where={"run_id": run_id})
    return sleeves.sort("trade_date", "sleeve"), transfers.sort("seq")


def backtest_trades(store: Any, run_id: str) -> pl.DataFrame:
    """The orders a run recorded in ``trades`` (blocked ones with quantity 0 and the rule in ``reason``)."""
    return read_optional(store, "trades", present(store), where={"run_id": run_id}).sort("trade_time")


# ---------------------------------------------------------------- 任务与日志 jobs and logs
@dataclass(frozen=True)
class Logs:
    """The logs page's frames (newest first) and the coverage of every table (``Store.table_info``)."""

    jobs: pl.DataFrame
    alerts: pl.DataFrame
    audit: pl.DataFrame
    coverage: pl.DataFrame
    calendar: CalendarStatus


JOB_COLUMNS_FIRST = (
    "started_at",
    "job",
    "status",
    "finished_at",
    "rows_in",
    "rows_written",
    "dataset",
    "source",
)
"""The job_log columns a reader looks at first; the long JSON ones (args, gaps, errors) and the id follow."""


def _front(frame: pl.DataFrame, first: tuple[str, ...]) -> pl.DataFrame:
    """``frame`` with the columns of ``first`` it has moved to the front."""
    head = [c for c in first if c in frame.columns]
    return frame.select(head + [c for c in frame.columns if c not in head])


def logs(store: Any, limit: int = 500) -> Logs:
    """The latest ``limit`` rows of job_log, alerts_log and audit_log, what ``tq db info`` prints, and the trading
    calendar's coverage as of :func:`thermoquant.clock.today` (with the stored ``trade_calendar`` in force)."""
    from thermoquant.clock import today
    from thermoquant.data import trade_calendar
    from thermoquant.market.calendar import calendar_status

    tables = present(store)
    if trade_calendar.TABLE in tables:
        trade_calendar.install(store)

    def latest(table: str, col: str) -> pl.DataFrame:
        return read_optional(store, table, tables).sort(col, descending=True, nulls_last=True).head(limit)

    return Logs(
        jobs=_front(latest("job_log", "started_at"), JOB_COLUMNS_FIRST),
        alerts=latest("alerts_log", "alert_time"),
        audit=latest("audit_log", "event_time"),
        coverage=store.table_info(),
        calendar=calendar_status(today()),
    )
