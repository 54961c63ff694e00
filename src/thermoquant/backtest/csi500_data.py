"""Inputs of the CSI500 timing strategy (:mod:`thermoquant.strategies.csi500_timing`), read from files.

The strategy is a pure function of frames; this module turns files into those frames.  Every file goes through
:func:`thermoquant.data.sources.csv.read_file` (layout detection, units to shares / CNY, quality checks), so a
strategy input read here is read exactly as ``tq import`` would read it:

* the JerryZ ``strategy_data.csv`` layout (bundled as ``csi500_strategy_reference_2019_2026.csv``) gives the
  000905.SH bars (``ImportResult.frame``) and the strategy series ``breadth, heat_z, etf_turnover, ma_*``
  (``ImportResult.reference["strategy_reference"]``);
* ``csi500_index_daily_2005_2026.csv`` gives the index bars used as moving-average warm-up;
* ``etf_510500_daily_2013_2026.csv`` gives the raw 510500 bars traded in ETF mode.

A file with rejected rows raises :class:`ValueError`: a timing signal computed over missing days is wrong.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from thermoquant.data.sources.csv import ImportResult, read_file
from thermoquant.data.sources.sample import sample_path
from thermoquant.strategies.csi500_timing import ETF_SYMBOL

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
    """Raw 510500 bars -> engine bars: symbol, date, open/high/low/close (CNY), volume (shares), amount (CNY)."""
    frame = _read_clean(path, symbol=ETF_SYMBOL).frame
    return frame.select("symbol", pl.col("trade_date").alias("date"), *_BARS).sort("date")
