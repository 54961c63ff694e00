"""Strategy inputs (:class:`~thermoquant.strategies.base.Panel`) read from the store or from files.

One builder per strategy input shape:

* ``csi500_timing`` — :mod:`.csi500_panel` (the bundled reference ``sample``, a ``file:PATH`` in the upstream
  ``strategy_data.csv`` layout, or ``store``: rebuilt from stored index, constituent, ETF and fund-share rows);
* ``thermo_scan`` — :func:`market_panel`: the stored ``daily_quote`` rows of [start − lookback, end], the physics
  computed over them, lock-up expiries and ST history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from thermoquant.data.store.errors import NoDataError
from thermoquant.jobs import csi500_panel
from thermoquant.market.calendar import sessions
from thermoquant.physics.bars import traded_bars
from thermoquant.physics.quantities import ParamsArg
from thermoquant.physics.thermo import compute_physics
from thermoquant.progress import ProgressFn, tick
from thermoquant.strategies.base import Panel, StrategyParams

PANEL_SOURCES: tuple[str, ...] = ("sample", "store")
"""Where inputs come from: the bundled sample, the user's store, or (csi500_timing) ``file:PATH``."""

BENCHMARK_INDEX = "000905.SH"
"""The benchmark of whole-market strategies when the store holds its bars (CSI500: the small/mid-cap market)."""

QUOTE_COLUMNS = ["symbol", "trade_date", "open", "high", "low", "close", "pre_close", "volume", "amount",
                 "turnover", "float_shares", "is_suspended", "is_st"]  # fmt: skip


def default_fill(strategy: str, mode: str) -> str:
    """The fill model a strategy's inputs imply: the CSI500 reference trades the index itself (``index_nav``);
    everything else trades real securities through the A-share engine at the next open."""
    return "index_nav" if strategy == "csi500_timing" and mode == "reference" else "next_open"


def sessions_before(day: dt.date, n: int) -> dt.date:
    """The session ``n`` trading days before ``day`` (the calendar's first day when it knows fewer)."""
    days = sessions()
    pos = int(np.searchsorted(days, np.datetime64(day, "D"), side="left"))
    return days[max(pos - n, 0)].astype(dt.date)


def market_panel(
    store: Any,
    start: dt.date | None,
    end: dt.date | None,
    lookback: int,
    progress: ProgressFn | None = None,
    physics_params: ParamsArg = None,
    physics: pl.DataFrame | None = None,
    physics_columns: tuple[str, ...] | None = None,
) -> Panel:
    """Stored quotes of [start − ``lookback`` sessions, end] with their physics; start/end default to the last
    complete market day (:func:`latest_stored_day`). ``physics``: rows already computed by the caller (the
    daily chain's physics step, for a strategy that reads only the scanned day's rows), used instead of
    computing them again; ``physics_columns``: compute only these (``Strategy.physics_columns``; None: all)."""
    tick(progress, "读取行情 reading daily_quote", 0, 3)
    if end is None or start is None:
        last = latest_stored_day(store)
        end = end or last
        start = start or end
    warm = sessions_before(start, lookback)
    quotes = store.read("daily_quote", columns=QUOTE_COLUMNS, start=warm, end=end)
    if quotes.filter(pl.col("trade_date").is_between(start, end)).is_empty():
        raise NoDataError(f"daily_quote has no rows between {start} and {end}")
    tick(progress, "计算热力学 computing physics", 1, 3)
    bars = traded_bars(quotes)
    if physics is None:
        physics = compute_physics(bars, physics_params, columns=physics_columns)
    tick(progress, "读取解禁与 ST reading share_unlock, st_history", 2, 3)
    unlocks = store.read("share_unlock")
    st_history = store.read("st_history")
    benchmark = store.read("index_daily", where={"index_code": BENCHMARK_INDEX}, start=start, end=end,
                           columns=["trade_date", "close"])  # fmt: skip
    tick(progress, "输入就绪 inputs ready", 3, 3)
    frames = {
        "quotes": quotes,
        "physics": physics,
        "unlocks": unlocks,
        "st_history": st_history,
        "bars": bars.filter(pl.col("trade_date").is_between(start, end)),
    }
    if benchmark.height:
        frames["benchmark"] = benchmark
    return Panel(frames, start, end)


def latest_stored_day(store: Any, min_share: float = 0.5) -> dt.date:
    """The last ``daily_quote`` day with at least ``min_share`` of the busiest day's stock count: the latest
    complete market day (a store with a whole-market window and longer single-stock histories would otherwise
    "scan" a day on which only a handful of stocks have rows)."""
    counts = store.query("SELECT trade_date, count(*) AS n FROM daily_quote GROUP BY trade_date")
    if counts.is_empty():
        raise NoDataError("daily_quote is empty: load data first (`tq demo`, `tq import`, `tq ingest`)")
    floor = min_share * counts["n"].max()
    return counts.filter(pl.col("n") >= floor)["trade_date"].max()


def build_panel(
    store: Any,
    strategy: str,
    source: str,
    mode: str,
    start: dt.date | None,
    end: dt.date | None,
    params: StrategyParams,
    progress: ProgressFn | None = None,
    physics_params: ParamsArg = None,
    physics: pl.DataFrame | None = None,
) -> Panel:
    """The inputs of ``strategy`` for [start, end] from ``source``; ``physics_params``: per-stock physics
    parameters (the packs in force on a scanned day) for the store-built physics; ``physics``: precomputed
    rows (see :func:`market_panel`)."""
    if strategy == "csi500_timing":
        if source == "sample":
            return csi500_panel.file_panel(start=start, end=end, mode=mode)
        if source.startswith("file:"):
            return csi500_panel.file_panel(source.removeprefix("file:"), start=start, end=end, mode=mode)
        if source == "store":
            if start is None or end is None:
                raise ValueError("--source store needs --start and --end")
            return csi500_panel.store_panel(store, start, end, mode)
        raise ValueError(f"unknown input source {source!r}: use sample, store or file:PATH")
    from thermoquant.strategies.registry import get_strategy

    strat = get_strategy(strategy)
    spec = strat.inputs
    if source not in PANEL_SOURCES:
        raise ValueError(f"{strategy} reads the store: --source sample or store, not {source!r}")
    panel = market_panel(
        store, start, end, spec.lookback, progress, physics_params, physics, strat.physics_columns(params)
    )
    extra = [t for t in spec.tables if t in OPTIONAL_TABLES]
    if not extra:
        return panel
    warm = sessions_before(panel.start, spec.lookback)
    frames, notes = dict(panel.frames), list(panel.notes)
    if "param_pack" in extra:  # per-stock parameters, applied as of each date by the strategy
        packs = store.read("param_pack", end=panel.end)
        if packs.height:
            frames["param_pack"] = packs
        extra.remove("param_pack")
    for table in extra:
        dated = table != "industry_member"
        frames[table] = store.read(table, start=warm if dated else None, end=panel.end if dated else None)
        if frames[table].is_empty():
            notes.append(f"{table} 无数据 has no rows for [{warm}, {panel.end}]")
    return Panel(frames, panel.start, panel.end, tuple(notes))


OPTIONAL_TABLES: frozenset[str] = frozenset(
    {"industry_member", "daily_valuation", "funds_flow", "margin_detail", "param_pack"}
)
"""Tables a whole-market strategy may list in its inputs beyond the quotes: read over [start − lookback, end]
(``industry_member`` whole: its snapshots are dated by start), empty frames named in the panel's notes;
``param_pack`` every pack up to ``end`` (the strategy applies each as of its effective date), absent when empty."""
