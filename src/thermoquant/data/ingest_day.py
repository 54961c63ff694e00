"""The new day's bars of the whole market in one call: a full-market snapshot taken after the close.

A per-stock ingest of one new day costs one vendor call, one quality check and one merge per stock (about 5,000
after every close). A source's ``spot`` dataset (AKShare ``stock_zh_a_spot_em``, miniQMT ``get_full_tick``) answers
every stock's day at once: taken after the close, its 今开 / 最高 / 最低 / 最新价 / 昨收 / 成交量 / 成交额 / 换手率 are
the day's open, high, low, close, reference close, volume, amount and turnover. :func:`ingest_market_day` turns that
one answer into ``daily_quote`` rows of the day, checks them in one pass of the shared quality rules
(:func:`thermoquant.data.ingest.checked_rows`: a rejected row is named by its row in the snapshot as the adapter
delivers it, sorted by code, its key and its field) and writes them in one :func:`thermoquant.data.merge.merge_upsert` (source priority; one transaction).

A snapshot carries no date, so it is used only when it provably is the day's:

* it is taken on the day itself, at or after :data:`SNAPSHOT_AFTER` Asia/Shanghai (the close, 15:00, plus the
  after-hours fixed-price session of STAR / ChiNext / BSE that ends at 15:30);
* its 昨收 equals the stored close of the previous trading day for at least :data:`MIN_MATCH_SHARE` of the stocks
  it is asked about that traded (a stale or a later snapshot fails this), and only those stocks are taken.

The snapshot comes from the first source of the run that offers ``daily_quote`` (the user's priority): when that
source has no ``spot`` (Tushare, baostock, Sina), the day is left whole to the per-stock ingest from it.

Only stocks whose last stored bar is the previous trading day are taken (a stock with a gap, a new listing, one
resuming after a suspension or going ex-dividend, whose 昨收 is the exchange's adjusted reference close, is left to
the per-stock ingest, which fetches its whole missing range). A stock without a trade in the snapshot (suspended:
no price, no volume) gets no row, as the per-stock K-lines have none. The rows equal what the per-stock answers
give for the day (same columns, same units, ``pre_close`` = 昨收 = 收盘 − 涨跌额).

Resumable and idempotent without checkpoints: the taken stocks then hold the day, so a re-run finds none to take.
The run is logged in ``job_log`` (job ``ingest``, source ``<source>:spot``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import polars as pl

from thermoquant.data.ingest import checked_rows
from thermoquant.data.job_log import JobRecord, write_job_log
from thermoquant.data.merge import MergeConfig, merge_upsert
from thermoquant.data.quality import ROW, with_row_numbers
from thermoquant.data.sources.base import Source
from thermoquant.data.sources.frames import conform
from thermoquant.market.calendar import prev_trading_day
from thermoquant.secrets import mask

SNAPSHOT_AFTER = time(15, 30)
"""Asia/Shanghai time from which a snapshot holds the day's final bar (15:00 close; STAR, ChiNext and BSE trade at a
fixed price after hours until 15:30)."""

MIN_MATCH_SHARE = 0.9
"""Share of the asked stocks that traded whose snapshot 昨收 must equal the stored previous close (fraction). On a real day
only ex-dividend stocks differ (a few percent at the peak of the dividend season); a snapshot of another day matches
only stocks whose close did not change."""

PRICE_TOLERANCE = 0.0051
"""CNY: 昨收 and a stored close are equal within half a fen (prices are quoted in fen)."""

DATASET = "daily_quote"


@dataclass
class MarketDayReport:
    """What the snapshot path did: ``used`` False with ``reason`` when it was not used; the stocks it took
    (``taken``), rows written or changed, rejected rows and their messages."""

    day: date
    used: bool = False
    reason: str = ""
    source: str | None = None
    asked: int = 0
    taken: int = 0
    rows_written: int = 0
    rejected: int = 0
    warnings: int = 0
    messages: tuple[str, ...] = ()
    conflicts: int = 0
    job_id: str = ""


def snapshot_is_final(day: date, now: datetime) -> bool:
    """True when a live snapshot taken at ``now`` (Asia/Shanghai, naive) holds ``day``'s final bar."""
    return now.date() == day and now.time() >= SNAPSHOT_AFTER


def day_bars_from_spot(spot: pl.DataFrame, day: date, source: str) -> pl.DataFrame:
    """``daily_quote`` rows of ``day`` from a snapshot in :data:`~thermoquant.data.sources.base.SPOT_SCHEMA`
    (CNY, shares, CNY, %): the stocks that traded (a price and a volume above zero)."""
    traded = spot.filter(
        pl.col("last").is_not_null()
        & ~pl.col("last").is_nan()
        & (pl.col("volume").fill_nan(0).fill_null(0) > 0)
    )
    bars = traded.select(
        "symbol",
        pl.lit(day, pl.Date).alias("trade_date"),
        "open",
        "high",
        "low",
        pl.col("last").alias("close"),
        "pre_close",
        "volume",
        "amount",
        "turnover",
        pl.lit(False).alias("is_suspended"),
    )
    return conform(bars, DATASET, source, start=day, end=day, date_col="trade_date")


def _asked(store: Any, day: date) -> pl.DataFrame:
    """(symbol, prev_close) of the stocks whose last stored bar is the previous trading day."""
    prev = prev_trading_day(day)
    return store.query(
        "SELECT symbol, close AS prev_close FROM daily_quote q WHERE trade_date = ? AND NOT EXISTS "
        "(SELECT 1 FROM daily_quote n WHERE n.symbol = q.symbol AND n.trade_date > ?)",
        [prev, prev],
    )


def ingest_market_day(
    store: Any,
    sources: Sequence[Source],
    day: date,
    now: datetime,
    *,
    merge: MergeConfig | None = None,
    min_match_share: float = MIN_MATCH_SHARE,
) -> MarketDayReport:
    """Store ``day``'s bars of every stock the snapshot provably covers (module doc); the rest is left to the
    per-stock ingest. Never raises for the snapshot's sake: a source failure or an unusable snapshot returns a
    report with ``used`` False and the reason (the per-stock ingest then does all the work)."""

    report = MarketDayReport(day=day)
    src = next((s for s in sources if DATASET in s.capabilities), None)
    if src is None or "spot" not in src.capabilities:
        name = src.name if src is not None else "none"
        report.reason = f"the first {DATASET} source ({name}) has no full-market snapshot (spot)"
        return report
    if not snapshot_is_final(day, now):
        report.reason = f"a snapshot is the day's bar only on {day} from {SNAPSHOT_AFTER:%H:%M} (now {now:%Y-%m-%d %H:%M})"
        return report
    asked = _asked(store, day)
    report.asked, report.source = asked.height, src.name
    if asked.height == 0:
        report.reason = "no stock ends on the previous trading day"
        return report
    record = JobRecord("ingest", {"dataset": DATASET, "sources": [f"{src.name}:spot"], "start": day, "end": day},
                       dataset=DATASET, source=f"{src.name}:spot", job_id=uuid.uuid4().hex)  # fmt: skip
    report.job_id = record.job_id
    write_job_log(store, record)
    try:
        spot = src.fetch("spot")
    except Exception as exc:  # any vendor failure: the per-stock ingest still runs
        report.reason = mask(f"{src.name}: {type(exc).__name__}: {exc}")
        record.status, record.finished_at = "failed", datetime.now()
        record.errors = [{"item": "spot", "error": report.reason}]
        write_job_log(store, record)
        return report
    if spot.height == 0:
        report.reason = f"{src.name}: the snapshot is empty"
        record.status, record.finished_at, record.rows_in, record.rows_written = "ok", datetime.now(), 0, 0
        record.gaps = {"not_used": report.reason}
        write_job_log(store, record)
        return report
    rows = with_row_numbers(spot).select("symbol", ROW)  # a rejection names its row of the answer
    bars = (
        day_bars_from_spot(spot, day, src.name).join(rows, on="symbol").join(asked, on="symbol", how="inner")
    )
    same = (pl.col("pre_close") - pl.col("prev_close")).abs() <= PRICE_TOLERANCE
    matched = bars.filter(same.fill_null(False))
    share = matched.height / max(bars.height, 1)
    if share < min_match_share:
        report.reason = (
            f"the snapshot's 昨收 equals the stored close of {prev_trading_day(day)} for {share:.0%} of the "
            f"{bars.height} traded stocks asked about (< {min_match_share:.0%}): not {day}'s snapshot"
        )
        record.status, record.finished_at, record.rows_in, record.rows_written = "ok", datetime.now(), 0, 0
        record.gaps = {"not_used": report.reason}
        write_job_log(store, record)
        return report
    clean, report.warnings, report.rejected, messages = checked_rows(matched.drop("prev_close"), DATASET)
    try:
        merged = merge_upsert(store, DATASET, clean, merge)
    except Exception as exc:
        record.status, record.finished_at = "failed", datetime.now()
        record.errors = [{"item": "spot", "error": mask(exc)}]
        write_job_log(store, record)
        raise
    report.used, report.taken, report.messages = True, clean.height, tuple(messages)
    report.rows_written, report.conflicts = merged.written, len(merged.conflicts)
    record.status, record.finished_at = "ok", datetime.now()
    record.rows_in, record.rows_written = matched.height, merged.written
    record.gaps = {"left_to_per_stock": asked.height - clean.height, "rejected_rows": report.rejected,
                   "source_conflicts": {"count": len(merged.conflicts),
                                        "first": [str(c) for c in merged.conflicts[:50]]}}  # fmt: skip
    record.errors = [{"item": "spot", "error": m} for m in messages]
    write_job_log(store, record)
    return report
