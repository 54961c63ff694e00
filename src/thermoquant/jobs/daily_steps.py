"""The steps of `tq daily`, each a function of the run (:class:`~thermoquant.jobs.chain.RunContext`) that
opens the store itself, is idempotent, and returns the rows it wrote or changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl

from thermoquant.alerts import rules
from thermoquant.alerts.outbox import raise_alerts
from thermoquant.data.store.errors import NoDataError
from thermoquant.features.bars import adj_factor_from_pre_close, qfq
from thermoquant.jobs.chain import RunContext
from thermoquant.jobs.market import with_listing_and_st
from thermoquant.jobs.panels import QUOTE_COLUMNS, sessions_before
from thermoquant.market.calendar import calendar_status, prev_trading_day

DAILY_PART = "part-d{day:%Y%m%d}.parquet"
"""The file of one day's factors in each ``features/<convention>/dim=<n>/`` folder (``tq features`` readers glob
``part-*.parquet``)."""


INGEST_BATCH = 500
INGEST_FLUSH_SECONDS = 10.0
"""Items fetched between two writes of an ingest step (one upsert and one checkpoint write per batch): fewer
transactions than an interactive `tq ingest`; a crash re-fetches at most one batch."""


MARKET_DAY_DATASETS: frozenset[str] = frozenset({"daily_quote"})

TRACKED_DATASETS: frozenset[str] = frozenset({"index_daily", "etf_daily"})
"""Datasets whose codes are not the stock list: the daily chain brings up to date the series already stored (what
the user ingested once, e.g. ``tq ingest index_daily --symbols 000905.SH``), never stock codes."""
"""Datasets whose new day is first taken from one full-market snapshot after the close
(:mod:`thermoquant.data.ingest_day`); the per-stock ingest then fetches only the stocks it did not cover."""


class LateFeedError(RuntimeError):
    """The day's market data did not arrive (a trading day by the calendar: a failure, never a holiday)."""


def ingest_step(dataset: str, sources: Sequence[str]) -> Callable[[RunContext], int]:
    """Ingest ``dataset`` up to the run's day from ``sources`` (empty = the default fallback order; index and ETF
    bars: the series already stored, :data:`TRACKED_DATASETS`); rejected rows
    above ``[alerts] rejection_threshold`` and a partial ingest raise digest alerts; when every item failed in
    every source the step fails."""

    def run(rc: RunContext) -> int:
        from thermoquant.data.ingest import (
            PUBLISHED_AHEAD,
            default_sources,
            last_stored_dates,
            make_source,
            run_ingest,
        )
        from thermoquant.data.ingest_day import ingest_market_day
        from thermoquant.data.merge import MergeConfig

        symbols = None
        if dataset in TRACKED_DATASETS:
            symbols = sorted(last_stored_dates(rc.store, dataset))
            if not symbols:
                rc.notes[f"ingest:{dataset}"] = (
                    f"无已存序列 no series stored: tq ingest {dataset} --symbols … 先采集一次 / ingest one first"
                )
                return 0
        names = list(sources) or default_sources(dataset)
        srcs, merge = [make_source(n) for n in names], MergeConfig.from_settings()
        day = None
        if dataset in MARKET_DAY_DATASETS:
            day = ingest_market_day(rc.store, srcs, rc.day, rc.clock.now(), merge=merge)
        end = None if dataset in PUBLISHED_AHEAD else rc.day  # the calendar: as far ahead as published
        report = run_ingest(rc.store, dataset, srcs, symbols=symbols, end=end, merge=merge,
                            batch_items=INGEST_BATCH, flush_seconds=INGEST_FLUSH_SECONDS)  # fmt: skip
        rejected = sum(r.rejected for r in report.items) + (day.rejected if day else 0)
        missing = report.count("failed")
        status = "partial" if report.status == "failed" and day is not None and day.used else report.status
        found = [rules.rejected_rows(dataset, rc.day, rejected, rc.ctx.settings.alerts.rejection_threshold)]
        if status == "partial":
            text = f"采集不完整 {dataset}: {missing} 项失败 items failed (job_log {report.job_id})"
            found.append(rules.ingest_partial(dataset, rc.day, text))
        raise_alerts(rc.store, [a for a in found if a is not None], rc.clock.now())
        snapshot = ""
        if day is not None:
            snapshot = (f"snapshot {day.source}: {day.taken} stocks; " if day.used
                        else f"snapshot not used ({day.reason}); ")  # fmt: skip
        rc.notes[f"ingest:{dataset}"] = snapshot + (
            f"{status}: done {report.count('done')}, empty {report.count('empty')}, failed {missing}, "
            f"skipped {report.count('skipped')}, up to date {len(report.up_to_date)}, rejected rows {rejected}"
        )
        if status == "failed":
            first = "; ".join(e["error"] for e in report.errors()[:3])
            raise RuntimeError(f"{dataset}: 全部失败 every item failed ({missing}): {first}")
        return report.rows_written + (day.rows_written if day else 0)

    return run


def complete_step(rc: RunContext) -> int:
    """The gate: ``daily_quote`` holds the day for at least ``[daily] min_share`` of the stocks of the previous
    trading day. Raises :class:`LateFeedError` otherwise (the calendar says the market was open)."""
    prev = prev_trading_day(rc.day)
    counts = rc.store.query(
        "SELECT trade_date, count(*) AS n FROM daily_quote WHERE trade_date IN (?, ?) GROUP BY trade_date",
        [prev, rc.day],
    )
    by_day = dict(zip(counts["trade_date"].to_list(), counts["n"].to_list(), strict=True))
    have, before = int(by_day.get(rc.day, 0)), int(by_day.get(prev, 0))
    need = rc.ctx.settings.daily.min_share * before
    if have == 0 or have < need:
        raise LateFeedError(
            f"{rc.day} 行情未到齐 market data incomplete: daily_quote has {have} stocks, the previous trading day "
            f"{prev} {before} (need ≥ {need:.0f}); a late feed is a failure, not a holiday — re-run `tq daily "
            f"--date {rc.day}` when the data is out"
        )
    rc.notes["complete"] = f"{have} stocks ({before} on {prev})"
    return 0


def _window_bars(store: object, start: dt.date, end: dt.date) -> pl.DataFrame:
    """Daily bars of [start, end], forward-adjusted at each stock's last bar of the window (stored adjustment
    factors, else those the exchange pre_close implies), with listing dates and ST flags."""
    quotes = store.read("daily_quote", start=start, end=end)  # type: ignore[attr-defined]
    bars = with_listing_and_st(store, quotes)
    adj = store.read("adj_factor", columns=["symbol", "trade_date", "adj_factor"], start=start, end=end)  # type: ignore[attr-defined]
    derived = adj_factor_from_pre_close(bars.join(adj.select("symbol").unique(), on="symbol", how="anti"))
    return qfq(bars, pl.concat([adj, derived]))


def _covered(folder: Path, day: dt.date, own: str) -> bool:
    """True when a part file other than the day's own already holds ``day`` (a full `tq features compute`)."""
    files = [f for f in folder.glob("part-*.parquet") if f.name != own]
    if not files:
        return False
    last = pl.scan_parquet(files).select(pl.col("trade_date").max()).collect().item()
    return last is not None and last >= day


def features_step(rc: RunContext) -> int:
    """The day's factors (``[daily] factor_dims``), computed on the window of history their longest lookback needs
    and written as ``features/<convention>/dim=<n>/part-d<YYYYMMDD>.parquet`` (replaced by rename; a day a full
    `tq features compute` already holds is left alone)."""
    from thermoquant.features.engine import KEYS, compute, resolve
    from thermoquant.features.registry import list_factors

    cfg = rc.ctx.settings.daily
    groups, _ = resolve(None, cfg.factor_dims)
    lookback = max([g.lookback for g in groups] + [1]) + 2
    root = rc.ctx.settings.ensure_data_dir() / "features" / cfg.convention
    own = DAILY_PART.format(day=rc.day)
    if all(_covered(root / f"dim={d}", rc.day, own) for d in cfg.factor_dims):
        rc.notes["features"] = "已由 tq features compute 计算 already computed"
        return 0
    bars = _window_bars(rc.store, sessions_before(rc.day, lookback), rc.day)
    market = rc.store.read("index_daily", where={"index_code": "000905.SH"}, columns=["trade_date", "close"],
                        start=sessions_before(rc.day, lookback), end=rc.day)  # fmt: skip
    if bars.filter(pl.col("trade_date") == rc.day).is_empty():
        raise NoDataError(f"daily_quote has no rows on {rc.day}")
    factors = compute(bars, dims=cfg.factor_dims, convention=cfg.convention,
                      market=market if market.height else None).filter(pl.col("trade_date") == rc.day)  # fmt: skip
    written = 0
    for d in cfg.factor_dims:
        cols = [f.name for f in list_factors([d]) if f.name in factors.columns]
        folder = root / f"dim={d}"
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{own}.tmp"
        factors.select(*KEYS, *cols).write_parquet(tmp)
        tmp.replace(folder / own)
        written += factors.height
    rc.notes["features"] = f"{factors.height} stocks × {factors.width - 2} factors"
    return written


DAY_PHYSICS_STRATEGIES: frozenset[str] = frozenset({"thermo_scan"})
"""Strategies whose signals of a day read only that day's physics rows: their step reuses the physics step's file
instead of computing the physics again (identical rows: same window, same packs)."""


def physics_path(rc: RunContext) -> Path:
    """``physics/daily/physics_<day>.parquet`` under the data dir: the physics step's output."""
    return rc.ctx.settings.ensure_data_dir() / "physics" / "daily" / f"physics_{rc.day}.parquet"


def physics_step(rc: RunContext) -> int:
    """The day's thermodynamic quantities and states (T_f, T_i, ΔT, K, Q, chips), computed over the scan's
    warm-up window with the parameter packs in force on the day (as the scan does) and written as
    ``physics/daily/physics_<day>.parquet`` (replaced by rename)."""
    from thermoquant.jobs.inputs import read_param_packs
    from thermoquant.physics.bars import traded_bars
    from thermoquant.physics.thermo import compute_physics
    from thermoquant.strategies.registry import get_strategy

    lookback = get_strategy("thermo_scan").inputs.lookback
    quotes = rc.store.read("daily_quote", columns=QUOTE_COLUMNS, start=sessions_before(rc.day, lookback),
                        end=rc.day)  # fmt: skip
    packs = read_param_packs(rc.store, rc.day)
    physics = compute_physics(traded_bars(quotes), packs or None).filter(pl.col("trade_date") == rc.day)
    if physics.is_empty():
        raise NoDataError(f"no traded bars on {rc.day}")
    target = physics_path(rc)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{target.name}.tmp"
    physics.write_parquet(tmp)
    tmp.replace(target)
    counts = physics.group_by("state").len().sort("state")
    rc.notes["physics"] = " ".join(f"{s}:{n}" for s, n in counts.iter_rows())
    return physics.height


def signals_step(strategy: str) -> Callable[[RunContext], int]:
    """The day's signals of ``strategy`` stored in ``signals`` (the full-market scan for ``thermo_scan``); a
    strategy of :data:`DAY_PHYSICS_STRATEGIES` reuses the physics step's file when it is there."""

    def run(rc: RunContext) -> int:
        from thermoquant.jobs.scan import daily_scan

        path = physics_path(rc)
        physics = pl.read_parquet(path) if strategy in DAY_PHYSICS_STRATEGIES and path.exists() else None
        result = daily_scan(rc.ctx, rc.day, strategy, physics=physics)
        counts = result.signals.group_by("signal").len().sort("signal")
        rc.notes[f"signals:{strategy}"] = " ".join(f"{s} {n}" for s, n in counts.iter_rows())
        return result.stored

    return run


STABLE_DATASETS: tuple[str, ...] = ("finance_data", "daily_valuation")
"""The datasets the stable-layer checks read (their ingest steps are the checks' only dependencies)."""


def stable_step(rc: RunContext) -> int:
    """The stable-layer checks of the run's day (:func:`thermoquant.jobs.stable.run_stable_alerts`, its default
    window): alerts stored in ``signals`` and as pending rows of ``alerts_log`` (the digest sends them)."""
    from thermoquant.jobs.stable import run_stable_alerts

    result = run_stable_alerts(rc.ctx, rc.day)
    rc.notes["stable"] = f"{result.events.height} alerts in [{result.start}, {result.end}]"
    return sum(result.written.values())


def evolve_step(rc: RunContext) -> int:
    """The nightly parameter regression of the run's day (:func:`thermoquant.jobs.evolve.evolve` ``nightly``,
    default configuration, local executor): packs valid from the next session; resumable by its own chunk
    checkpoints."""
    from thermoquant.jobs.evolve import evolve

    run = evolve(rc.ctx, "nightly", day=rc.day)
    skipped = f", {run.skipped} chunks done before" if run.skipped else ""
    rc.notes["evolve"] = f"{run.stocks} stocks, {run.written} packs valid from {run.valid_from}{skipped}"
    return run.written


def alerts_step(rc: RunContext) -> int:
    """The digest: the calendar-end check, the run's summary, then every pending alert sent (urgent ones and the
    digest, one message per channel)."""
    from thermoquant.jobs.alerts import raise_and_send
    from thermoquant.jobs.chain import step_status

    cfg = rc.ctx.settings.alerts
    status = calendar_status(rc.ctx.today, cfg.calendar_warn_days)
    found = [rules.calendar_ending(status.last, status.days_left, rc.ctx.today, cfg.calendar_warn_days)]
    store = rc.store
    steps = step_status(store, rc.run_key)
    lines = [f"{s} {st}" for s, st in steps.items() if s != "alerts"]
    failed = [s for s, st in steps.items() if st in ("failed", "skipped")]
    head = "完成 done" if not failed else f"未完成 {len(failed)} 步 incomplete"
    found.append(rules.daily_summary(rc.day, f"{rc.day} 每日流程 daily chain {head}: " + "; ".join(lines)))
    report = raise_and_send(rc.ctx, store, [a for a in found if a is not None], digest=True, clock=rc.clock)
    rc.notes["alerts"] = (
        f"sent {len(report.sent)}, failed {len(report.failed)}, waiting {len(report.waiting)}, "
        f"messages {sum(report.messages.values())}"
    )
    return len(report.sent)
