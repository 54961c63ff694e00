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
