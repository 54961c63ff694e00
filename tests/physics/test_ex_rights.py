"""Ex-rights gaps: the physics runs on forward-adjusted prices, so a bonus-share split changes nothing but units.

000025's 2013-2016 bars have no ex-rights event; a 10-for-10 bonus issue (送转 10 股, price halves, share count
doubles) is written into them at one day and the physics of both series is compared.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from thermoquant.physics import compute_physics
from thermoquant.physics.bars import forward_adjust
from thermoquant.physics.market_state import MarketState

PRICE_COLUMNS = (
    "t_f",
    "t_i",
    "avg_cost",
    "cost_p05",
    "cost_p50",
    "cost_p95",
    "peak_price",
    "bottom_peak_price",
)
SHARE_COLUMNS = ("dt", "k", "vol_ratio", "profit_ratio", "conc_90", "q_below", "q_above", "peak_mass",
                 "bottom_mass", "top_mass", "n_peaks", "migration")  # fmt: skip


def with_split(bars: pl.DataFrame, day: int) -> pl.DataFrame:
    """The same bars with a 10-for-10 bonus issue effective at row ``day``: prices halve, volume doubles, the
    exchange reference close of that day is half the previous close; amount and turnover are unchanged."""
    after = pl.int_range(pl.len()) >= day
    prices = [
        pl.when(after).then(pl.col(c) / 2).otherwise(pl.col(c)).alias(c)
        for c in ("open", "high", "low", "close")
    ]
    return bars.sort("trade_date").with_columns(
        *prices,
        pl.when(after).then(pl.col("pre_close") / 2).otherwise(pl.col("pre_close")).alias("pre_close"),
        pl.when(after).then(pl.col("volume") * 2).otherwise(pl.col("volume")).alias("volume"),
    )


def test_a_split_changes_only_the_units(bars_000025: pl.DataFrame) -> None:
    day = 500  # 2015-02-25: inside the run, in steady combustion
    base = compute_physics(bars_000025)
    split = compute_physics(with_split(bars_000025, day))
    for c in PRICE_COLUMNS:  # every price is in the last bar's terms: half the unsplit series
        np.testing.assert_allclose(
            split[c].to_numpy(), base[c].to_numpy() / 2, rtol=1e-9, equal_nan=True, err_msg=c
        )
    for c in SHARE_COLUMNS:
        np.testing.assert_allclose(split[c].to_numpy(), base[c].to_numpy(), rtol=1e-9, atol=1e-12, equal_nan=True,
                                   err_msg=c)  # fmt: skip
    assert split["state"].to_list() == base["state"].to_list()
    assert split["stop"].to_list() == base["stop"].to_list()


def test_unadjusted_prices_see_a_crash_at_the_split(bars_000025: pl.DataFrame) -> None:
    """Without the adjustment the halved price puts every earlier chip at a 50% loss: what the adjustment fixes."""
    day = 500
    base = compute_physics(bars_000025)
    raw = compute_physics(with_split(bars_000025, day), adjust=False)
    assert base["profit_ratio"][day] > 0.5
    assert raw["profit_ratio"][day] < 0.05
    assert raw["dt"][day] < -0.3


def test_bars_after_the_last_gap_are_untouched(bars_000025: pl.DataFrame) -> None:
    day = 500
    split = with_split(bars_000025, day).with_columns(pl.col("volume").cast(pl.Float64))
    adj = forward_adjust(split.sort("symbol", "trade_date"))
    cols = ["open", "high", "low", "close", "pre_close", "volume"]
    assert adj[day:].select(cols).equals(split[day:].select(cols))
    np.testing.assert_allclose(adj[:day]["close"].to_numpy(), split[:day]["close"].to_numpy() / 2, rtol=1e-15)
    # no pre_close: nothing to adjust from
    assert forward_adjust(split.drop("pre_close")).equals(split.drop("pre_close"))


def test_implausible_ratios_are_ignored(bars_000025: pl.DataFrame) -> None:
    """A pre_close 100x off (a unit error in the source) is not taken for a 100-fold split."""
    bad = bars_000025.sort("trade_date").with_columns(
        pl.when(pl.int_range(pl.len()) == 300).then(pl.col("pre_close") * 100).otherwise(pl.col("pre_close"))
        .alias("pre_close")
    )  # fmt: skip
    adj = forward_adjust(bad.sort("symbol", "trade_date"))
    assert adj["close"].equals(bad["close"].cast(pl.Float64))


def test_incremental_rebases_at_the_gap_like_the_batch(bars_000025: pl.DataFrame) -> None:
    """MarketState fed the split bars one by one works in each bar's own terms: every share-of-float and ratio
    output equals the (adjusted) batch throughout, prices equal it from the split on and are twice it before."""
    day = 500
    split = with_split(bars_000025, day)
    batch = compute_physics(split)
    ms = MarketState(["000025.SZ"])
    cols = ["t_f", "t_i", "avg_cost", "cost_p50", "peak_price", "dt", "k", "vol_ratio", "profit_ratio", "q_below",
            "bottom_mass", "top_mass", "migration"]  # fmt: skip
    got = []
    for r in split.iter_rows(named=True):
        out = ms.update(*([r[c]] for c in ("open", "high", "low", "close", "volume")), [r["turnover"] / 100],
                        [r["amount"]], [r["pre_close"]], session=r["trade_date"].toordinal())  # fmt: skip
        got.append([out[c][0] for c in cols] + [int(out["state"][0])])
    got_arr = np.array(got, dtype=float)
    ref = batch.select(*cols, "state").cast(pl.Float64).to_numpy()
    ref[:day, :5] *= 2  # before the gap the incremental prices are the traded ones
    np.testing.assert_allclose(got_arr, ref, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_turnover_from_float_shares_is_taken_before_the_adjustment(bars_000025: pl.DataFrame) -> None:
    """Without a turnover column, turnover = volume / float_shares in the bar's own terms (the float doubles with
    the bonus issue too), so the split still changes nothing but units."""
    day = 500
    by_float = bars_000025.with_columns((pl.col("volume") / (pl.col("turnover") / 100)).alias("float_shares"))
    split = with_split(by_float, day).with_columns(
        pl.when(pl.int_range(pl.len()) >= day)
        .then(pl.col("float_shares") * 2)
        .otherwise(pl.col("float_shares"))
    )
    base = compute_physics(by_float.drop("turnover"))
    got = compute_physics(split.drop("turnover"))
    for c in SHARE_COLUMNS:
        np.testing.assert_allclose(got[c].to_numpy(), base[c].to_numpy(), rtol=1e-9, atol=1e-12, equal_nan=True,
                                   err_msg=c)  # fmt: skip
