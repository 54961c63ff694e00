"""Seed-004 breadth, heat_z and ETF turnover rebuilt from raw files against the upstream output (golden tests)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from thermoquant.features.sentiment import breadth, etf_turnover, heat_z, members_in_force


def _ymd(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Utf8).str.to_date("%Y%m%d")


def _reference(real: Path) -> pl.DataFrame:
    return pl.read_csv(real / "jerryz_csi500" / "strategy_data.csv").with_columns(_ymd("trade_date"))


def _schedule(path: Path) -> pl.DataFrame:
    return pl.read_csv(path).select(
        _ymd("asof_date").alias("effective_date"), pl.col("con_code").alias("symbol"), "weight"
    )


def _closes(path: Path) -> pl.DataFrame:
    return pl.read_parquet(path, columns=["ts_code", "trade_date", "close"]).select(
        pl.col("ts_code").cast(pl.Utf8).alias("symbol"), pl.col("trade_date").cast(pl.Date), "close"
    )


def test_breadth_golden_full(real_data: Path) -> None:
    """All 1,738 days: exact on ≥95% of days, otherwise off by exactly one stock (MANIFEST §1: 73 days)."""
    ref = _reference(real_data)
    jz = real_data / "jerryz_csi500"
    got = breadth(
        _closes(jz / "csi500_constituents_daily.parquet"),
        _schedule(jz / "csi500_components_schedule.csv.gz"),
        dates=ref["trade_date"],
    )
    m = ref.select("trade_date", "breadth").join(got, on="trade_date", suffix="_got")
    assert m.height == 1738
    assert m["n_members"].min() >= 499
    diff = (m["breadth"] - m["breadth_got"]).abs().to_numpy()
    one_stock = 100.0 / m["n_valid"].to_numpy()
    exact = diff < 1e-9
    assert exact.sum() >= 0.95 * m.height, f"exact on {exact.sum()} of {m.height} days"
    assert np.all(exact | (np.abs(diff - one_stock) < 1e-9)), "a non-exact day differs by more than one stock"
    assert exact.sum() == 1665  # MANIFEST: 1,665 of 1,738 exactly


def test_breadth_sample_2024(real_data: Path) -> None:
    """The sample bundle alone reproduces 2024 breadth on 231 of 242 days, the rest within 2 stocks."""
    s = real_data / "sample"
    ref = _reference(real_data).filter(pl.col("trade_date").dt.year() == 2024)
    got = breadth(
        _closes(s / "csi500_constituents_close_2023-11_2024-12.parquet"),
        _schedule(s / "csi500_weights_2023-11_2024-12.csv"),
        dates=ref["trade_date"],
    )
    m = ref.join(got, on="trade_date", suffix="_got")
    diff_stocks = ((m["breadth"] - m["breadth_got"]).abs() * m["n_valid"] / 100.0).to_numpy()
    assert m.height == 242
    assert int((diff_stocks < 1e-6).sum()) == 231
    assert diff_stocks.max() < 2 + 1e-6


def test_breadth_suspension_parameter() -> None:
    """A NaN row inside the window removes the stock from 'above' by default; skip_suspended windows over it."""
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(6)]
    closes = pl.DataFrame(
        {
            "symbol": ["A.SH"] * 6 + ["B.SZ"] * 6,
            "trade_date": days + days,
            "close": [1.0, 2.0, float("nan"), 3.0, 4.0, 5.0, 5.0, 4.0, 3.0, 2.0, 1.0, 9.0],
        }
    )
    sched = pl.DataFrame({"effective_date": [days[0]] * 2, "symbol": ["A.SH", "B.SZ"]})
    ref_mode = breadth(closes, sched, window=3).filter(pl.col("trade_date") == days[4]).row(0, named=True)
    # A: window rows (nan,3,4) → no MA → not above; B: 4>3? window (3,2,1) mean 2, close 1 → below
    assert (ref_mode["n_above"], ref_mode["n_valid"]) == (0, 2)
    skip = breadth(closes, sched, window=3, skip_suspended=True)
    row = skip.filter(pl.col("trade_date") == days[4]).row(0, named=True)
    assert row["n_above"] == 1  # A: (2,3,4) mean 3 < 4
    last = breadth(closes, sched, window=3).filter(pl.col("trade_date") == days[5]).row(0, named=True)
    assert last["breadth"] == pytest.approx(100.0)  # A 5 > 4, B 9 > 4
    # the NaN day itself: A is not valid, so the denominator is 1
    assert breadth(closes, sched, window=3).filter(pl.col("trade_date") == days[2])["n_valid"].item() == 1


def test_members_in_force_uses_latest_effective_date() -> None:
    sched = pl.DataFrame(
        {
            "effective_date": [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 2, 1)],
            "symbol": ["A.SH", "B.SZ", "C.SZ"],
        }
    )
    m = members_in_force(sched, [dt.date(2023, 12, 29), dt.date(2024, 1, 31), dt.date(2024, 2, 1)])
    assert m.rows() == [
        (dt.date(2024, 1, 31), "A.SH"),
        (dt.date(2024, 2, 1), "B.SZ"),
        (dt.date(2024, 2, 1), "C.SZ"),
    ]


def test_heat_z_golden(real_data: Path) -> None:
    """heat_z from strategy_data's own amount (ddof=1) after the 19-row warm-up, and on all rows with the merged
    2005–2026 index history."""
    ref = _reference(real_data)
    got = heat_z(ref.select("trade_date", "amount", pl.col("heat_z").alias("ref")))
    tail = got.slice(19)
    assert np.allclose(tail["heat_z"].to_numpy(), tail["ref"].to_numpy(), atol=1e-9)
    assert got["heat_z"].head(19).null_count() == 19
    idx = pl.read_csv(real_data / "derived" / "csi500_index_daily_2005_2026.csv", try_parse_dates=True)
    full = heat_z(idx.select(pl.col("date").alias("trade_date"), pl.col("amount_yuan").alias("amount")))
    m = ref.select("trade_date", "heat_z").join(full, on="trade_date", suffix="_got")
    assert m.height == 1738
    assert np.allclose(m["heat_z"].to_numpy(), m["heat_z_got"].to_numpy(), atol=1e-6)


def test_etf_turnover_golden(real_data: Path) -> None:
    """Eastmoney 510500 volume / implied previous-day fund shares reproduces strategy_data.etf_turnover."""
    ref = _reference(real_data)
    em = pl.read_csv(real_data / "morphkyan_etf" / "510500_eastmoney.csv").select(
        pl.col("trade_date").str.to_date(), (pl.col("volume") * 100.0).alias("volume")
    )
    implied = pl.read_csv(real_data / "derived" / "etf_510500_fd_share_implied_2019_2026.csv").select(
        pl.col("date").str.to_date(), pl.col("implied_fd_share_prev_day_10k")
    )
    # the implied value on day t is the share count published for the previous trading day t-1
    cal = em.select("trade_date").sort("trade_date").with_columns(pl.col("trade_date").shift(1).alias("prev"))
    fund_share = implied.join(cal, left_on="date", right_on="trade_date").select(
        pl.col("prev").alias("trade_date"), (pl.col("implied_fd_share_prev_day_10k") * 1e4).alias("fd_share")
    )
    got = etf_turnover(em, fund_share)
    m = ref.select("trade_date", "etf_turnover").join(got, on="trade_date", suffix="_got")
    assert m.height == 1738
    assert m["etf_turnover_got"].null_count() == 0 and m["etf_turnover_got"].is_nan().sum() == 0
    rel = ((m["etf_turnover_got"] - m["etf_turnover"]).abs() / m["etf_turnover"]).to_numpy()
    assert np.nanmax(rel) < 1e-6  # the implied share counts are rounded to 0.01 万份
    day = m.filter(pl.col("trade_date") == dt.date(2024, 2, 5))
    assert day["etf_turnover_got"].item() == pytest.approx(42.2, abs=0.1)  # MANIFEST: national-team day


def test_etf_turnover_uses_previous_day_shares() -> None:
    d = [dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2024, 1, 4)]
    bars = pl.DataFrame({"trade_date": d, "volume": [1_000.0, 2_000.0, 3_000.0]})
    shares = pl.DataFrame({"trade_date": d, "fd_share": [100_000.0, 200_000.0, 400_000.0]})
    got = etf_turnover(bars, shares)
    assert got["etf_turnover"][0] is None
    assert got["etf_turnover"].to_list()[1:] == pytest.approx([2.0, 1.5])
