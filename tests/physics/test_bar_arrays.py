"""The kernel arrays of :func:`thermoquant.physics.bars.to_arrays` equal, bit for bit, the frame path they replace
(sort, :func:`forward_adjust`, :func:`reference_price`) on the bundled whole-market 2021 sample, which carries real
ex-rights gaps, whatever the row order of the input (sorted, per-symbol blocks out of order, shuffled)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from thermoquant.data.sources.csv import read_file
from thermoquant.data.sources.sample import sample_path
from thermoquant.physics.bars import forward_adjust, reference_price, sort_order, to_arrays


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    quotes = read_file(sample_path("market_2021.parquet")).frame
    keep = quotes["symbol"].unique().sort().gather_every(10)  # ~470 stocks × 250 days, gaps included
    return quotes.filter(pl.col("symbol").is_in(keep.implode()) & (pl.col("volume") > 0))


def _reference(df: pl.DataFrame) -> dict[str, np.ndarray]:
    adj = forward_adjust(df.sort("symbol", "trade_date"))
    cols = {
        k: adj[k].cast(pl.Float64).to_numpy() for k in ("open", "high", "low", "close", "pre_close", "volume")
    }
    cols["ref"], cols["amount"] = reference_price(
        cols["open"], cols["high"], cols["low"], cols["close"], cols["volume"], adj["amount"].to_numpy()
    )
    return cols


@pytest.mark.parametrize("layout", ["sorted", "blocks_reversed", "shuffled"])
def test_arrays_match_the_frame_path_bit_for_bit(sample: pl.DataFrame, layout: str) -> None:
    df = sample.sort("symbol", "trade_date")
    gap = df.select((pl.col("pre_close") < 0.95 * pl.col("close").shift(1).over("symbol")).sum()).item()
    assert gap > 0  # real ex-rights gaps inside
    if layout == "blocks_reversed":
        df = df.sort("symbol", "trade_date", descending=[True, False])
    elif layout == "shuffled":
        df = df.sample(fraction=1.0, shuffle=True, seed=3)
    want = _reference(sample)
    bars = to_arrays(df)
    got = {"open": bars.open, "high": bars.high, "low": bars.low, "close": bars.close, "pre_close": bars.prev_close,
           "volume": bars.volume, "ref": bars.ref, "amount": bars.amount}  # fmt: skip
    for name, arr in want.items():
        assert arr.tobytes() == got[name].tobytes(), name
    assert bars.keys().equals(sample.sort("symbol", "trade_date").select("symbol", "trade_date"))


def test_sort_order_is_none_only_for_sorted_frames(sample: pl.DataFrame) -> None:
    df = sample.sort("symbol", "trade_date")
    assert sort_order(df) is None
    assert sort_order(df.head(0)) is None
    for messy in (df.reverse(), pl.concat([df.tail(5), df.head(df.height - 5)]), pl.concat([df, df.head(1)])):
        order = sort_order(messy)
        assert order is not None
        assert messy[order].select("symbol", "trade_date").equals(messy.sort("symbol", "trade_date").select(
            "symbol", "trade_date"))  # fmt: skip


@pytest.mark.parametrize("shape", ["turnover_only", "complete_turnover", "gaps_filled_from_float_shares"])
def test_turnover_fraction_and_sessions_whatever_the_columns(sample: pl.DataFrame, shape: str) -> None:
    """tau is turnover / 100 (NaN as 0), or volume / float_shares where turnover is missing; sessions are the
    bars' days: the same bits whichever path to_arrays takes (the % column read in place or the frame's)."""
    df = sample.sort("symbol", "trade_date")
    assert df["turnover"].null_count() == 0 and "float_shares" in df.columns
    if shape == "gaps_filled_from_float_shares":
        gaps = pl.when(pl.int_range(pl.len()) % 7 == 0).then(None).otherwise(pl.col("turnover"))
        df = df.with_columns(gaps.alias("turnover"))
        assert df["turnover"].null_count() > 0
    elif shape == "turnover_only":
        df = df.drop("float_shares")
    pct = pl.col("turnover") / 100.0
    if "float_shares" in df.columns:
        pct = pct.fill_null(pl.col("volume") / pl.col("float_shares"))
    want = np.nan_to_num(df.select(pct).to_series().to_numpy())
    bars = to_arrays(df, adjust=False)
    assert bars.tau.tobytes() == want.tobytes()
    assert np.array_equal(bars.session, df["trade_date"].cast(pl.Int32).to_numpy())
