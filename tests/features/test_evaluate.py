"""Factor evaluation against a hand-computed frame, forward returns on tradeable entries only, and scipy's spearman
plus the Polars group-by reference on real bars."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from thermoquant.features.evaluate import Evaluator, evaluate_reference, forward_returns

D = dt.date
DAYS = [D(2021, 1, 4), D(2021, 1, 5), D(2021, 1, 6)]
SYMS = ["A", "B", "C", "D", "E"]


def _frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    f = [[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [1, 1, 2, 2, 3]]
    r = [[0.01, 0.02, 0.03, 0.04, 0.05], [0.01, 0.02, 0.03, 0.04, 0.05], [0.1, 0.0, 0.0, 0.1, 0.2]]
    keys = {"trade_date": [d for d in DAYS for _ in SYMS], "symbol": SYMS * 3}
    factor = pl.DataFrame({**keys, "x": [float(v) for row in f for v in row]})
    fwd = pl.DataFrame({**keys, "fwd_1": [v for row in r for v in row]})
    return factor, fwd


def test_ic_quantiles_turnover_against_hand_computed_figures() -> None:
    factor, fwd = _frames()
    rep = Evaluator(fwd, horizon=1, quantiles=5, min_obs=3).evaluate(factor, "x")
    # day 3 by hand: rank IC = 5/9 (ranks 1.5 1.5 3.5 3.5 5 vs 3.5 1.5 1.5 3.5 5), IC = 0.18 / 0.28
    assert rep.daily["rank_ic"].to_list() == pytest.approx([1.0, -1.0, 5 / 9])
    assert rep.daily["ic"].to_list() == pytest.approx([1.0, -1.0, 0.18 / 0.28])
    ric = np.array([1.0, -1.0, 5 / 9])
    mean, std = ric.mean(), ric.std(ddof=1)
    s = rep.summary
    assert s["rank_ic_mean"] == pytest.approx(mean) and s["rank_ic_ir"] == pytest.approx(mean / std)
    assert s["rank_ic_t"] == pytest.approx(mean / std * math.sqrt(3)) and s["days"] == 3
    # quantile of each name = its rank (5 names, 5 bins); day 3 ties share a bin: Q1 {A,B}, Q3 {C,D}, Q5 {E}
    assert rep.quantile_returns == pytest.approx([0.11 / 3, 0.03, 0.11 / 3, 0.03, 0.26 / 3])
    assert s["spread"] == pytest.approx(0.26 / 3 - 0.11 / 3)
    assert s["top_turnover"] == pytest.approx(1.0)  # top name E → A → E
    ref = evaluate_reference(factor, "x", fwd, 1, 5, min_obs=3)
    assert ref["daily"]["rank_ic"].to_list() == pytest.approx(rep.daily["rank_ic"].to_list())
    assert ref["quantile_returns"] == pytest.approx([v for v in rep.quantile_returns if v == v])


def test_min_obs_and_missing_pairs() -> None:
    factor, fwd = _frames()
    fwd = fwd.with_columns(pl.when(pl.col("symbol").is_in(["A", "B", "C"]) & (pl.col("trade_date") == DAYS[0]))
                           .then(None).otherwise(pl.col("fwd_1")).alias("fwd_1"))  # fmt: skip
    rep = Evaluator(fwd, horizon=1, min_obs=3).evaluate(factor, "x")
    assert rep.daily["rank_ic"][0] is None and rep.daily["n"][0] == 2 and rep.summary["days"] == 2


def _bar(
    sym: str, day: dt.date, o: float, c: float, pre: float, h: float | None = None, lo: float | None = None
):
    return {"symbol": sym, "trade_date": day, "open": o, "high": h or max(o, c), "low": lo or min(o, c),
            "close": c, "pre_close": pre, "volume": 1e6}  # fmt: skip


def test_forward_returns_enter_next_open_and_skip_untradeable_entries() -> None:
    d = [D(2021, 1, 4), D(2021, 1, 5), D(2021, 1, 6), D(2021, 1, 7), D(2021, 1, 8)]
    rows = [
        _bar("600000.SH", d[0], 10.0, 10.0, 10.0),
        _bar("600000.SH", d[1], 10.0, 10.0, 10.0),
        _bar("600000.SH", d[2], 11.0, 11.0, 10.0),  # one-price limit-up: no entry, but an exit is fine
        _bar("600000.SH", d[3], 12.0, 12.0, 11.0),
        _bar("600000.SH", d[4], 12.5, 12.5, 12.0),
        _bar("000001.SZ", d[0], 20.0, 20.0, 20.0),  # suspended on d[1]
        _bar("000001.SZ", d[2], 21.0, 21.0, 20.0, h=21.5, lo=20.5),
        _bar("000001.SZ", d[3], 22.0, 22.0, 21.0),
        _bar("000001.SZ", d[4], 23.0, 23.0, 22.0),
    ]
    fwd = forward_returns(pl.DataFrame(rows), [1, 2]).sort("symbol", "trade_date")
    a = fwd.filter(pl.col("symbol") == "600000.SH")
    assert a["fwd_1"].to_list() == pytest.approx([0.1, None, 12.5 / 12 - 1, None, None], nan_ok=False)
    assert a["fwd_2"][0] == pytest.approx(0.2)
    b = fwd.filter(pl.col("symbol") == "000001.SZ")
    assert b["fwd_1"].to_list()[0] is None  # next session d[1] has no bar: no entry
    assert b["fwd_1"].to_list()[1:] == pytest.approx(
        [23 / 22 - 1, None, None]
    )  # d[2]: in at d[3], out at d[4]


@pytest.mark.slow
def test_rank_ic_matches_scipy_on_real_bars() -> None:
    from scipy.stats import spearmanr

    from thermoquant.data.sources.csv import read_file
    from thermoquant.data.sources.sample import sample_path
    from thermoquant.features.bars import adj_factor_from_pre_close, qfq
    from thermoquant.features.engine import compute

    bars = read_file(sample_path("market_2021.parquet")).frame
    keep = bars["symbol"].unique().sort()[::5].implode()  # every fifth stock: ~940, lean
    bars = bars.filter(pl.col("symbol").is_in(keep) & (pl.col("volume") > 0)).sort("symbol", "trade_date")
    fwd = forward_returns(bars, [1, 5])
    values = compute(qfq(bars, adj_factor_from_pre_close(bars)), names=["vol_20"])
    rep = Evaluator(fwd, horizon=5, horizons=[1]).evaluate(values, "vol_20")
    joined = values.join(fwd, on=["trade_date", "symbol"])
    for day in (D(2021, 3, 1), D(2021, 9, 1)):
        x = joined.filter(pl.col("trade_date") == day).select("vol_20", "fwd_5").to_numpy()
        rho = spearmanr(x[:, 0], x[:, 1], nan_policy="omit").statistic
        assert rep.daily.filter(pl.col("trade_date") == day)["rank_ic"].item() == pytest.approx(
            rho, abs=1e-12
        )
    ref = evaluate_reference(values, "vol_20", fwd, 5, 5)
    both = rep.daily.drop_nulls().join(ref["daily"], on="trade_date", suffix="_ref")
    assert both.height == ref["daily"].height > 200
    assert (both["rank_ic"] - both["rank_ic_ref"]).abs().max() < 1e-12
    assert rep.quantile_returns == pytest.approx(ref["quantile_returns"], abs=1e-12)


def test_rank_ic_by_industry_uses_each_industry_cross_section() -> None:
    factor, fwd = _frames()
    industry = factor.select("trade_date", "symbol").with_columns(
        pl.when(pl.col("symbol") == "E").then(pl.lit("Y")).otherwise(pl.lit("X")).alias("industry_name")
    )
    rep = Evaluator(fwd, horizon=1, min_obs=3, industry=industry).evaluate(factor, "x")
    by = dict(rep.by_industry.select("industry_name", "rank_ic_mean").iter_rows())
    # X = A…D: day 1 +1, day 2 −1, day 3 ranks (1.5 1.5 3.5 3.5) vs (3.5 1.5 1.5 3.5) → 0; Y has one name: no IC
    assert by["X"] == pytest.approx(0.0) and by["Y"] is None
    assert rep.by_industry.filter(pl.col("industry_name") == "X")["days"].item() == 3


def test_binary_factor_spread_between_the_groups_that_exist() -> None:
    factor, fwd = _frames()
    flag = factor.with_columns(pl.Series("x", [0.0, 0.0, 0.0, 1.0, 1.0] * 3))
    rep = Evaluator(fwd, horizon=1, min_obs=3).evaluate(flag, "x")
    # ranks: the 0s share 2 → Q2, the 1s share 4.5 → Q4; Q1, Q3, Q5 empty
    assert [v == v for v in rep.quantile_returns] == [False, True, False, True, False]
    day_spreads = [0.045 - 0.02, 0.045 - 0.02, 0.15 - 0.1 / 3]
    assert rep.summary["spread"] == pytest.approx(sum(day_spreads) / 3)


def test_radix_row_order_equals_numpy_stable_argsort() -> None:
    """The radix sort gives numpy's stable order on wide magnitudes, both signs, ±inf, NaN, ties, and values
    that agree in their top 33 bits (the insertion fix-up)."""
    from thermoquant.features.evaluate_nb import argsort_rows

    rng = np.random.default_rng(7)
    wide = rng.lognormal(0, 8, (40, 700)) * rng.choice([-1.0, 1.0], (40, 700))
    wide[:, :4] = [np.inf, -np.inf, np.nan, 0.0]
    close = 1.0 + rng.integers(0, 50, (40, 700)) * np.finfo(float).eps  # same top 33 bits, different values
    ties = rng.integers(-3, 4, (40, 700)).astype(float)
    ties[rng.random(ties.shape) < 0.2] = np.nan
    flat = 1.0 + rng.permutation(np.arange(40 * 3000)).reshape(40, 3000) * np.finfo(float).eps  # one long run
    for x in (wide, close, -close, ties, flat):
        assert np.array_equal(argsort_rows(x), np.argsort(x, axis=1, kind="stable"))
