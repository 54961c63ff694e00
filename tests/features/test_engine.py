"""Engine properties: no look-ahead, panel alignment across stocks, suspensions, incremental == full, registry."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from thermoquant import features as tqf
from thermoquant.features.engine import IncrementalEngine, prepare, write_parquet


def _assert_frames_close(a: pl.DataFrame, b: pl.DataFrame, rtol: float = 1e-9, atol: float = 1e-9) -> None:
    assert a.columns == b.columns
    assert a.select("symbol", "trade_date").equals(b.select("symbol", "trade_date"))
    for col in a.columns[2:]:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        assert np.array_equal(np.isnan(x), np.isnan(y)), f"{col}: missing values differ"
        ok = ~np.isnan(x)
        np.testing.assert_allclose(x[ok], y[ok], rtol=rtol, atol=atol, err_msg=col)


@pytest.mark.parametrize("convention", ["tdx", "talib"])
def test_no_look_ahead(bars_000025: pl.DataFrame, csi500: pl.DataFrame, convention: str) -> None:
    """Scrambling every bar after a cut-off date leaves every factor value up to the cut-off unchanged."""
    cut = 900
    full = tqf.compute(bars_000025, convention=convention, market=csi500)
    rng = np.random.default_rng(7)
    n = bars_000025.height
    noise = pl.Series(np.where(np.arange(n) > cut, rng.uniform(0.5, 2.0, n), 1.0))
    future = bars_000025.with_columns(
        [
            (pl.col(c) * noise).alias(c)
            for c in ("open", "high", "low", "close", "volume", "amount", "turnover")
        ]
    )
    changed = csi500.with_columns(
        pl.when(pl.col("trade_date") > bars_000025["trade_date"][cut])
        .then(pl.col("close") * 3)
        .otherwise(pl.col("close"))
    )
    moved = tqf.compute(future, convention=convention, market=changed)
    _assert_frames_close(full.head(cut + 1), moved.head(cut + 1), rtol=0, atol=0)
    assert full.row(cut + 5) != moved.row(cut + 5)


def test_each_stock_independent_of_the_others(market_slice: pl.DataFrame, csi500: pl.DataFrame) -> None:
    """A stock's factors in a 40-stock panel (ragged histories) equal those computed on the stock alone."""
    both = tqf.compute(market_slice, market=csi500, chunk_stocks=7)
    counts = market_slice.group_by("symbol").len().sort("len")
    for sym in (counts["symbol"][0], counts["symbol"][len(counts) // 2], counts["symbol"][-1]):
        alone = tqf.compute(market_slice.filter(pl.col("symbol") == sym), market=csi500)
        _assert_frames_close(both.filter(pl.col("symbol") == sym), alone, rtol=1e-12, atol=1e-12)
    assert both.height == market_slice.height


def test_suspended_days_are_skipped(real_data, bars_000025: pl.DataFrame) -> None:
    """Suspended rows (Baostock tradestatus 0 with zero volume, or placeholders with a null close) change nothing:
    windows count trading days only and the return across a suspension is one return."""
    from _load import load_000025

    raw = load_000025(real_data, adjust=False)
    assert raw["is_suspended"].sum() > 0
    kept = tqf.compute(raw)
    dropped = tqf.compute(raw.filter(~pl.col("is_suspended")))
    _assert_frames_close(kept, dropped, rtol=0, atol=0)
    taken = set(bars_000025["trade_date"].to_list())
    holes = [
        d + dt.timedelta(days=k) for d in bars_000025["trade_date"][[100, 400, 800]] for k in range(1, 4)
    ]
    holes = [d for d in holes if d not in taken][:3]
    padded = pl.concat(
        [bars_000025, pl.DataFrame({"symbol": ["000025.SZ"] * len(holes), "trade_date": holes})],
        how="diagonal_relaxed",
    )
    assert padded.height == bars_000025.height + 3
    _assert_frames_close(tqf.compute(bars_000025), tqf.compute(padded), rtol=0, atol=0)


@pytest.mark.parametrize("convention", ["tdx", "talib"])
def test_incremental_equals_full(market_slice: pl.DataFrame, csi500: pl.DataFrame, convention: str) -> None:
    """Seeding on all but the last 3 days, then updating day by day, reproduces the full computation.

    A 70-day tail (every factor but MA120/MA250) makes most stocks older than the tail, so recursive filters
    really continue from their carried state."""
    data = prepare(market_slice, csi500)
    days = sorted(data["trade_date"].unique().to_list())
    names = [f.name for f in tqf.list_factors([1, 2, 3, 4]) if f.name not in {"ma_120", "ma_250"}]
    full = tqf.compute(data, names=names, convention=convention)
    eng = IncrementalEngine.start(
        data.filter(pl.col("trade_date") < days[-3]), names=names, convention=convention, tail=70
    )
    assert (data.group_by("symbol").len()["len"] > 100).sum() > 30
    for d in days[-3:]:
        got = eng.update(data.filter(pl.col("trade_date") == d))
        want = full.filter(pl.col("trade_date") == d)
        _assert_frames_close(got.sort("symbol"), want.sort("symbol"), rtol=1e-9, atol=1e-8)


def test_incremental_with_young_stock(bars_000025: pl.DataFrame) -> None:
    """A stock listed a few days before the update is recomputed from its short history."""
    young = bars_000025.head(12)
    eng = IncrementalEngine.start(young.head(10), names=["kdj_k", "rsi_6", "ema_5", "ma_5"])
    got = eng.update(young.slice(10, 1))
    want = tqf.compute(young.head(11), names=["kdj_k", "rsi_6", "ema_5", "ma_5"]).tail(1)
    _assert_frames_close(got, want)


def test_every_factor_is_computed(bars_000025: pl.DataFrame, csi500: pl.DataFrame) -> None:
    """compute() returns one column per registered factor of dimensions 1-4, each with real values."""
    names = [f.name for f in tqf.list_factors([1, 2, 3, 4])]
    for convention in ("tdx", "talib"):
        res = tqf.compute(bars_000025, convention=convention, market=csi500)
        assert res.columns == ["symbol", "trade_date", *names]
        empty = [n for n in names if res[n].drop_nulls().len() < bars_000025.height // 2]
        assert not empty, f"factors with (almost) no values: {empty}"


def test_registry_contract() -> None:
    facs = tqf.list_factors(dims=[1, 2, 3, 4])
    names = [f.name for f in facs]
    assert len(names) == len(set(names)) >= 110
    for f in facs:
        assert f.name == f.name.lower() and " " not in f.name
        assert f.name_zh and f.doc and 1 <= f.dimension <= 4 and f.inputs
        assert f.unit in {"CNY", "%", "ratio", "shares", ""}
        assert tqf.get(f.name) is f
    assert {f.dimension for f in facs} == {1, 2, 3, 4}
    assert tqf.get("macd_bar").convention == "tdx|talib"
    with pytest.raises(KeyError, match="macd_dif"):
        tqf.get("macd_diff")


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="close"):
        tqf.compute(pl.DataFrame({"symbol": ["a"], "trade_date": [None]}))
    with pytest.raises(ValueError, match="convention"):
        tqf.compute(pl.DataFrame({"symbol": ["a"], "trade_date": [None], "close": [1.0]}), convention="wind")


def test_write_parquet(tmp_path, market_slice: pl.DataFrame) -> None:
    files = write_parquet(market_slice, tmp_path, dims=[1, 4], chunk_stocks=15)
    assert {f.parent.name for f in files} == {"dim=1", "dim=4"}
    d4 = pl.read_parquet(tmp_path / "dim=4" / "*.parquet").sort("symbol", "trade_date")
    assert d4.height == market_slice.height
    assert set(d4.columns) == {"symbol", "trade_date", *(f.name for f in tqf.list_factors([4]))}
    again = tqf.compute(market_slice, dims=[4])
    _assert_frames_close(d4, again, rtol=0, atol=0)


def test_computing_leaves_the_process_allocator_alone(tmp_path) -> None:
    """A long-lived process (dashboard, trading loop) that computes factors keeps NumPy's huge-page advice and
    glibc's allocator as it started: only a batch command opts in (`tune_allocator`)."""
    import subprocess
    import sys

    code = (
        "import datetime as dt, polars as pl\n"
        "from numpy._core import multiarray as m\n"
        "from thermoquant import features as tqf\n"
        "from thermoquant.features import engine\n"
        "days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(60)]\n"
        "df = pl.DataFrame({'symbol': ['600000.SH'] * 60, 'trade_date': days, 'open': [10.0] * 60,"
        " 'high': [10.5] * 60, 'low': [9.5] * 60, 'close': [10.0 + i / 100 for i in range(60)],"
        " 'volume': [1e6] * 60, 'amount': [1e7] * 60})\n"
        "assert tqf.compute(df, dims=[4]).height == 60\n"
        "print(m._get_madvise_hugepage(), engine._allocator_tuned)\n"
        "engine.tune_allocator()\n"
        "print(m._get_madvise_hugepage(), engine._allocator_tuned)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "False", "False", "True"]
