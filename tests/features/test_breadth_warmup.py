"""Breadth while the constituents' MA20 warms up: null, not 0 % (a 0 % reading fires the seed's breadth < 16 entry).

Real data bundled with the package: the CSI500 constituents' qfq closes start on 2023-11-01, so the first 19
trading days have no MA20 at all; the upstream reference series (computed on data from 2018) has real values there.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from thermoquant.data.sources.sample import sample_path
from thermoquant.features.sentiment import BREADTH_MIN_MA_COVERAGE, breadth
from thermoquant.strategies.csi500_timing import timing_signals

START = dt.date(2023, 11, 1)


def _ymd(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Utf8).str.to_date("%Y%m%d")


@pytest.fixture(scope="module")
def reference() -> pl.DataFrame:
    return pl.read_csv(sample_path("csi500_strategy_reference_2019_2026.csv")).with_columns(
        _ymd("trade_date")
    )


@pytest.fixture(scope="module")
def late_breadth(reference: pl.DataFrame) -> pl.DataFrame:
    closes = pl.read_parquet(sample_path("csi500_constituents_close_2023-11_2024-12.parquet")).select(
        pl.col("ts_code").cast(pl.Utf8).alias("symbol"), pl.col("trade_date").cast(pl.Date), "close"
    )
    schedule = pl.read_csv(sample_path("csi500_weights_2023-11_2024-12.csv")).select(
        _ymd("asof_date").alias("effective_date"), pl.col("con_code").alias("symbol")
    )
    days = reference.filter(pl.col("trade_date").is_between(START, dt.date(2024, 12, 31)))["trade_date"]
    return breadth(closes, schedule, dates=days)


def test_breadth_is_null_until_the_ma_window_is_full(
    late_breadth: pl.DataFrame, reference: pl.DataFrame
) -> None:
    head = late_breadth.head(19)
    assert (head["n_valid"] >= 499).all() and (head["n_ma"] == 0).all()
    assert head["breadth"].null_count() == 19  # was 0.0 on each of these days
    # from the 20th day every member has its MA20 and breadth matches the upstream series
    day20 = late_breadth.row(19, named=True)
    assert day20["n_ma"] == day20["n_valid"]
    ref20 = reference.filter(pl.col("trade_date") == day20["trade_date"])["breadth"].item()
    assert day20["breadth"] == pytest.approx(ref20, abs=100.0 / day20["n_valid"] + 1e-9)


def test_no_false_composite_entry_on_data_that_starts_late(
    late_breadth: pl.DataFrame, reference: pl.DataFrame
) -> None:
    """The strategy on the reference bars with this breadth: no entry in the warm-up; the upstream breadth on those
    days is far above the entry threshold, so an entry there is the warm-up's doing."""
    frame = reference.drop("breadth").join(
        late_breadth.select("trade_date", "breadth"), on="trade_date", how="left"
    )
    out = timing_signals(frame, start=START).head(19)
    assert "Composite" not in out["logic"].to_list()  # was a Composite entry on the 2nd day (breadth 0 < 16)
    # every warm-up entry is one the upstream breadth (far above 16 there) also takes: the FirstNeg entry stays.
    # (Exits are not compared: with breadth unknown the breadth > 79 exit cannot fire, and upstream's does.)
    upstream = timing_signals(reference, start=START).head(19)
    assert upstream["breadth"].min() > 16.0
    entries = set(out.filter(pl.col("signal") == 1)["trade_date"].to_list())
    assert entries and entries <= set(upstream.filter(pl.col("signal") == 1)["trade_date"].to_list())


def test_coverage_rule_is_a_parameter(reference: pl.DataFrame) -> None:
    """Half of the members trade from the start, half only from day 11: with the default 0.9 coverage breadth
    waits for both MAs; at 0.5 it is reported once the first half has its MA (days 20-29)."""
    days = reference["trade_date"].head(40)
    a = pl.DataFrame({"symbol": "A.SH", "trade_date": days, "close": np.linspace(10.0, 20.0, 40)})
    b = pl.DataFrame({"symbol": "B.SZ", "trade_date": days[10:], "close": np.linspace(20.0, 10.0, 30)})
    sched = pl.DataFrame({"effective_date": [days[0]] * 2, "symbol": ["A.SH", "B.SZ"]})
    closes = pl.concat([a, b])
    default = breadth(closes, sched)
    assert BREADTH_MIN_MA_COVERAGE == 0.9
    assert default["breadth"].head(29).null_count() == 29
    assert default["breadth"][29] == pytest.approx(50.0)  # A rising above its MA, B falling below
    half = breadth(closes, sched, min_ma_coverage=0.5)
    assert half["breadth"].head(19).null_count() == 19
    # A above its MA over 2 members with a close (the seed's denominator): B, without an MA, counts as not above
    assert half["breadth"][19:29].to_list() == [50.0] * 10
    with pytest.raises(ValueError, match="min_ma_coverage"):
        breadth(closes, sched, min_ma_coverage=1.5)
