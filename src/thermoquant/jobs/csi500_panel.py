"""Inputs of the CSI500 timing strategy (:mod:`thermoquant.strategies.csi500_timing`): its :class:`Panel`, read
from the store (:func:`store_panel`: breadth rebuilt from the stored constituent bars and dated membership, heat_z
from the index bars, ETF turnover from 510500 volume and fund shares) or from files (:func:`file_panel`).

The strategy is a pure function of frames; this module turns files and tables into those frames.  Every file goes through
:func:`thermoquant.data.sources.csv.read_file` (layout detection, units to shares / CNY, quality checks), so a
strategy input read here is read exactly as ``tq import`` would read it:

* the JerryZ ``strategy_data.csv`` layout (bundled as ``csi500_strategy_reference_2019_2026.csv``) gives the
  000905.SH bars (``ImportResult.frame``) and the strategy series ``breadth, heat_z, etf_turnover, ma_*``
  (``ImportResult.reference["strategy_reference"]``);
* ``csi500_index_daily_2005_2026.csv`` gives the index bars used as moving-average warm-up;
* ``etf_510500_daily_2013_2026.csv`` gives the raw 510500 bars traded in ETF mode.

A file with rejected rows raises :class:`ValueError`: a timing signal computed over missing days is wrong.

Panel frames: ``csi500`` (the strategy's daily frame, warm-up rows included), ``bars`` (what is traded: the index
itself, or 510500's raw bars in ETF mode), ``events`` (510500's share events), ``benchmark`` (the index close).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl

from thermoquant.data.ingest import CSI500, CSI500_ETF
from thermoquant.data.sources.csv import ImportResult, read_file
from thermoquant.data.sources.sample import sample_path
from thermoquant.data.store.errors import NoDataError
from thermoquant.features.bars import qfq_closes_at
from thermoquant.strategies.base import Panel
from thermoquant.strategies.csi500_timing import ETF_SYMBOL, INDEX_SYMBOL

REFERENCE_SAMPLE = "csi500_strategy_reference_2019_2026.csv"
INDEX_HISTORY_SAMPLE = "csi500_index_daily_2005_2026.csv"
ETF_SAMPLE = "etf_510500_daily_2013_2026.csv"
_BARS = ("open", "high", "low", "close", "volume", "amount")


def _read_clean(path: str | Path, symbol: str | None = None) -> ImportResult:
    result = read_file(path, symbol=symbol)
    if result.rejected:
        shown = "; ".join(str(r) for r in result.rejected[:3])
        raise ValueError(f"{path}: {len(result.rejected)} rejected row(s) or file error(s): {shown}")
    return result


def read_reference(path: str | Path) -> pl.DataFrame:
    """A ``strategy_data.csv``-layout file -> strategy input, one row per day sorted by ``trade_date``.

    Columns: trade_date (Date), open/high/low/close (index points), volume (shares), amount (CNY), breadth,
    heat_z, etf_turnover; the file's ``ma_5/ma_10/ma_30`` are kept as ``ref_ma_*`` for cross-checks only.
    """
    result = _read_clean(path)
    ref = result.reference.get("strategy_reference")
    if ref is None:
        raise ValueError(f"{path}: layout {result.layout!r} holds no strategy reference series")
    extra = [pl.col(f"ma_{w}").alias(f"ref_ma_{w}") for w in (5, 10, 30) if f"ma_{w}" in ref.columns]
    series = ref.select("trade_date", "breadth", "heat_z", "etf_turnover", *extra)
    return (
        result.frame.select("trade_date", *_BARS).join(series, on="trade_date", how="left").sort("trade_date")
    )


def read_index_bars(path: str | Path) -> pl.DataFrame:
    """Index bars file -> trade_date, open/high/low/close (points), volume (shares), amount (CNY)."""
    return _read_clean(path).frame.select("trade_date", *_BARS).sort("trade_date")


def with_index_history(frame: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    """Prepend the ``history`` bars before the frame's first day so the MAs have their warm-up.

    breadth / heat_z / etf_turnover are null on those rows; they are never traded (pass ``start`` = the frame's
    first day to the strategy)."""
    first = frame["trade_date"].min()
    hist = history.filter(pl.col("trade_date") < first).select("trade_date", *_BARS)
    return pl.concat([hist, frame], how="diagonal_relaxed").sort("trade_date")


def strategy_frame(
    reference: str | Path, index_history: str | Path | None = None
) -> tuple[pl.DataFrame, dt.date]:
    """Strategy input from a reference file, with MA warm-up from ``index_history`` when given.

    Returns (frame, first day to trade = the reference file's first day)."""
    ref = read_reference(reference)
    frame = ref if index_history is None else with_index_history(ref, read_index_bars(index_history))
    return frame, ref["trade_date"].min()


def sample_frame() -> tuple[pl.DataFrame, dt.date]:
    """:func:`strategy_frame` of the bundled sample (2019-2026 reference, index history from 2005)."""
    return strategy_frame(sample_path(REFERENCE_SAMPLE), sample_path(INDEX_HISTORY_SAMPLE))


def etf_bars(path: str | Path) -> pl.DataFrame:
    """Raw 510500 bars: symbol, trade_date, open/high/low/close (CNY), volume (shares), amount (CNY)."""
    frame = _read_clean(path, symbol=ETF_SYMBOL).frame
    return frame.select("symbol", "trade_date", *_BARS).sort("trade_date")


ETF_510500_SHARE_EVENTS: tuple[tuple[dt.date, float], ...] = (
    (dt.date(2015, 4, 15), 0.2803),
    (dt.date(2022, 8, 29), 1.1454),
)
"""510500 share events as (first bar on the new basis, new shares per old share): the 2015-04-14 unit conversion
1:0.2803 and the 2022-08-26 split 1:1.1454 (MorphKyan ``etf_splits.csv``); the raw bars jump on these days."""

MODES = ("reference", "etf")
"""reference: trade the index itself (fill model index_nav); etf: trade 510500 through the A-share engine."""


def etf_events() -> pl.DataFrame:
    """:data:`ETF_510500_SHARE_EVENTS` as the engine's events frame (symbol, trade_date, ratio, cash)."""
    return pl.DataFrame(
        {
            "symbol": [ETF_SYMBOL] * len(ETF_510500_SHARE_EVENTS),
            "trade_date": [d for d, _ in ETF_510500_SHARE_EVENTS],
            "ratio": [r for _, r in ETF_510500_SHARE_EVENTS],
            "cash": [0.0] * len(ETF_510500_SHARE_EVENTS),
        }
    )


def _unavailable_notes(frame: pl.DataFrame, start: dt.date, end: dt.date) -> tuple[str, ...]:
    """One note per strategy input missing on some traded day (the rule that needs it cannot fire there)."""
    days = frame.filter(pl.col("trade_date").is_between(start, end))
    notes = []
    for column, rule in (("etf_turnover", "FirstNeg"), ("breadth", "Composite / exit"), ("heat_z", "exit")):
        missing = days.filter(pl.col(column).is_null())["trade_date"]
        if missing.len():
            notes.append(
                f"{rule} 不可用 unavailable on {missing.len()} day(s) ({missing.min()} … {missing.max()}): "
                f"{column} missing"
            )
    return tuple(notes)


def panel_from_frame(
    frame: pl.DataFrame, first: dt.date, start: dt.date | None, end: dt.date | None, mode: str,
    etf: pl.DataFrame | None = None,
) -> Panel:  # fmt: skip
    """The panel of a strategy frame whose first tradable day is ``first`` (earlier rows are warm-up).

    A ``start`` before ``first`` is an error naming both (never silently moved)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    last = frame["trade_date"].max()
    lo, hi = start or first, min(end or last, last)
    if lo < first:
        raise ValueError(
            f"the CSI500 inputs start on {first}; --start {lo} is earlier (for earlier periods rebuild them from "
            "the store: --source store)"
        )
    if hi < lo:
        raise ValueError(f"no CSI500 days between {lo} and {end}")
    index = frame.select(pl.lit(INDEX_SYMBOL).alias("symbol"), "trade_date", *_BARS)
    frames = {
        "csi500": frame.filter(pl.col("trade_date") <= hi),
        "benchmark": frame.select("trade_date", "close"),
    }
    if mode == "reference":
        frames["bars"] = index
    else:
        if etf is None:
            raise ValueError("ETF mode needs 510500 bars")
        frames["bars"] = etf
        frames["events"] = etf_events()
    return Panel(frames, lo, hi, _unavailable_notes(frame, lo, hi))


def file_panel(
    path: str | Path | None = None, *, start: dt.date | None = None, end: dt.date | None = None,
    mode: str = "reference",
) -> Panel:  # fmt: skip
    """Panel from a ``strategy_data.csv``-shaped file (default: the bundled 2019-2026 reference), MA warm-up from
    the bundled index history, ETF bars from the bundled 510500 file."""
    frame, first = strategy_frame(path or sample_path(REFERENCE_SAMPLE), sample_path(INDEX_HISTORY_SAMPLE))
    etf = etf_bars(sample_path(ETF_SAMPLE)) if mode == "etf" else None
    return panel_from_frame(frame, first, start, end, mode, etf)


MA_WARMUP_DAYS = 90
"""Calendar days of index history read before ``start`` so MA30 and heat_z's 20-day window are warm."""


def store_panel(store: Any, start: dt.date, end: dt.date, mode: str = "reference") -> Panel:
    """Panel rebuilt from the store for [start, end] (see :func:`csi500_sentiment`)."""
    frame = csi500_sentiment(store, start - dt.timedelta(days=MA_WARMUP_DAYS), end)
    traded = frame.filter(pl.col("trade_date") >= start)
    if traded.is_empty():
        raise NoDataError(
            f"index_daily has no 000905.SH bars between {start} and {end}: run `tq ingest csi500`"
        )
    etf = None
    if mode == "etf":
        etf = store.read("etf_daily", symbols=[ETF_SYMBOL], start=start, end=end).select(
            "symbol", "trade_date", *_BARS
        )
        if etf.is_empty():
            raise NoDataError(f"etf_daily has no {ETF_SYMBOL} bars between {start} and {end}")
    first = traded["trade_date"].min()  # the first session on or after `start`
    return panel_from_frame(frame, first, first, end, mode, etf)


def membership_schedule(store: Any, index_code: str, start: dt.date, end: dt.date) -> pl.DataFrame:
    """(effective_date, symbol) of the constituents in force over [start, end].

    From ``index_weight`` (dated weight snapshots) where those cover ``start``; else from the ``index_member``
    intervals (qlib instruments: in_date … out_date, both inclusive), turned into one snapshot per day the
    membership changes. Empty when neither table knows the index then.
    """
    weights = store.read(
        "index_weight", where={"index_code": index_code}, columns=["effective_date", "symbol"]
    )
    if weights.height and weights["effective_date"].min() <= start:
        return weights
    if "index_member" not in store.table_names():
        return weights
    spans = store.read(
        "index_member", where={"index_code": index_code}, columns=["symbol", "in_date", "out_date"]
    )
    spans = spans.filter(
        (pl.col("in_date") <= end) & (pl.col("out_date").is_null() | (pl.col("out_date") >= start))
    )
    if spans.is_empty():
        return weights
    changes = (
        pl.concat([spans["in_date"], spans["out_date"].drop_nulls().dt.offset_by("1d"), pl.Series([start])])
        .unique()
        .sort()
    )
    changes = changes.filter((changes >= changes.filter(changes <= start).max()) & (changes <= end))
    days = pl.DataFrame({"effective_date": changes})
    return (
        days.join(spans, how="cross")
        .filter(
            (pl.col("in_date") <= pl.col("effective_date"))
            & (pl.col("out_date").is_null() | (pl.col("out_date") >= pl.col("effective_date")))
        )
        .select("effective_date", "symbol")
        .sort("effective_date", "symbol")
    )


def _adjusted_closes(store: Any, members: list[str], start: dt.date, end: dt.date) -> pl.DataFrame:
    """Constituent closes forward-adjusted at ``end``: stored adjustment factors, else the factors the exchange
    ``pre_close`` implies (:func:`thermoquant.features.bars.adj_factor_from_pre_close`)."""
    from thermoquant.features.bars import adj_factor_from_pre_close

    quotes = store.read(
        "daily_quote",
        symbols=members,
        start=start,
        end=end,
        columns=["symbol", "trade_date", "close", "pre_close"],
    )
    factors = store.read("adj_factor", symbols=members, end=end).select("symbol", "trade_date", "adj_factor")
    missing = quotes.filter(~pl.col("symbol").is_in(factors["symbol"].unique().to_list()))
    if missing.height:
        implied = adj_factor_from_pre_close(missing.sort("symbol", "trade_date").drop_nulls("close"))
        factors = pl.concat([factors, implied.with_columns(pl.col("adj_factor").cast(pl.Float64))])
    return qfq_closes_at(quotes.select("symbol", "trade_date", "close"), factors, end)


def csi500_sentiment(store: Any, start: dt.date, end: dt.date, *, window: int = 20) -> pl.DataFrame:
    """Seed 004's daily table from the store: CSI500 close/high/amount, breadth, heat_z and 510500 turnover.

    The computations are `thermoquant.features.sentiment` (breadth on qfq closes anchored at `end` over the
    membership of :func:`membership_schedule`, heat_z on the index amount, ETF turnover on the previous day's fund
    shares); this function only reads and wires them.
    Returns (trade_date, open, high, low, close, volume, amount, breadth, heat_z, etf_turnover) for [start, end].
    """
    from thermoquant.features.sentiment import breadth, etf_turnover, heat_z

    warm = start - dt.timedelta(days=60)
    index = store.read("index_daily", where={"index_code": CSI500}, start=warm, end=end)
    if index.height == 0:
        raise NoDataError(
            f"index_daily has no {CSI500} rows between {warm} and {end}: fetch them (`tq ingest index_daily "
            f"--symbols {CSI500} --source tushare|akshare --start {warm} --end {end}`) or import an index file "
            "with `tq import`"
        )
    index = heat_z(
        index.select("trade_date", "open", "high", "low", "close", "volume", "amount"), window=window
    )
    schedule = membership_schedule(store, CSI500, warm, end)
    members = sorted(schedule["symbol"].unique().to_list())
    closes = _adjusted_closes(store, members, warm, end)
    dates = index["trade_date"]
    width = breadth(closes, schedule, window=window, dates=dates).select("trade_date", "breadth")
    bars = store.read(
        "etf_daily", symbols=[CSI500_ETF], start=warm, end=end, columns=["trade_date", "volume"]
    )
    shares = store.read("fund_share", symbols=[CSI500_ETF], end=end, columns=["trade_date", "fd_share"])
    turnover = etf_turnover(bars, shares).select("trade_date", "etf_turnover")
    out = index.join(width, on="trade_date", how="left").join(turnover, on="trade_date", how="left")
    return out.filter((pl.col("trade_date") >= start) & (pl.col("trade_date") <= end)).sort("trade_date")
