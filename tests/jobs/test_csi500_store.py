"""The CSI500 strategy on a period rebuilt from the store alone: the 2014-10 → 2016-03 whole market (xbx), CSI500
membership from the qlib instrument intervals, index and ETF bars from the sample; no fund shares before 2019, so
the rule that needs ETF turnover is reported unavailable instead of silently false."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from thermoquant.cli import app
from thermoquant.config import get_settings
from thermoquant.data.sources.csv import import_paths
from thermoquant.data.sources.sample import sample_path
from thermoquant.data.store import open_store
from thermoquant.jobs.csi500_panel import csi500_sentiment, store_panel

pytestmark = [pytest.mark.shared, pytest.mark.slow]
DAY = dt.date(2015, 7, 8)  # the low of the 2015 crash: almost every constituent below its MA20


@pytest.fixture(scope="module")
def home(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("csi500_2015")
    files = [
        sample_path("csi500_index_daily_2005_2026.csv"),
        sample_path("etf_510500_daily_2013_2026.csv"),
        real_data / "xbx_market" / "market_2014-10_2016-03.parquet",
        real_data / "qlib_instruments" / "csi500.txt.gz",
    ]
    with open_store(f"duckdb:///{home / 'tq.duckdb'}") as store:
        results = import_paths(files, store)
    assert all(not r.refused and not r.rejected for r in results), [
        r.path.name for r in results if r.rejected
    ]
    return home


def _breadth_by_hand(real_data: Path, day: dt.date) -> float:
    """Members in force on `day` from the raw qlib file; closes adjusted by the exchange pre-close. Seed 004's
    rule: every member trading on the day counts in the denominator; it is "above" when it traded on each of the
    last 20 sessions and closes above the mean of those 20 adjusted closes."""
    members = set()
    with gzip.open(real_data / "qlib_instruments" / "csi500.txt.gz", "rt") as fh:
        for line in fh:
            code, lo, hi = line.split()
            if dt.date.fromisoformat(lo) <= day <= dt.date.fromisoformat(hi):
                members.add(f"{code[2:]}.{code[:2]}")
    raw = pl.read_parquet(real_data / "xbx_market" / "market_2014-10_2016-03.parquet").with_columns(
        pl.col("code").cast(pl.Utf8), pl.col("date").dt.date()
    )
    sessions = raw.filter(pl.col("date") <= day)["date"].unique().sort().tail(20).to_list()
    above = valid = 0
    for (code,), g in raw.filter(pl.col("date").is_in(sessions)).sort("date").group_by(["code"]):
        symbol = f"{code[2:]}.{code[:2].upper()}"
        if symbol not in members or g["date"][-1] != day or g["volume"][-1] <= 0:
            continue
        valid += 1
        if g.height != 20 or (g["volume"] <= 0).any():
            continue
        closes = g["close"].to_list()
        factor = 1.0
        adjusted = [closes[-1]]
        for i in range(19, 0, -1):  # walk back: an ex-rights day scales every earlier close
            prev, ref = closes[i - 1], g["preclose"][i]
            if ref and 0.2 < prev / ref < 1.0 / 0.2 and abs(prev / ref - 1) > 1e-9:
                factor *= ref / prev
            adjusted.insert(0, closes[i - 1] * factor)
        above += adjusted[-1] > sum(adjusted) / 20
    return 100.0 * above / valid


def test_breadth_rebuilt_from_the_store_equals_a_count_by_hand(home: Path, real_data: Path) -> None:
    with open_store(f"duckdb:///{home / 'tq.duckdb'}", init=False) as store:
        frame = csi500_sentiment(store, dt.date(2015, 6, 1), dt.date(2016, 3, 31))
        panel = store_panel(store, dt.date(2015, 1, 1), dt.date(2016, 3, 31))
    for day in (dt.date(2015, 6, 30), dt.date(2015, 11, 2), dt.date(2016, 3, 1)):
        ours = frame.filter(pl.col("trade_date") == day)["breadth"].item()
        assert ours == pytest.approx(_breadth_by_hand(real_data, day), abs=1e-9), day
    assert (
        frame.filter(pl.col("trade_date") == DAY)["breadth"].item() < 16
    )  # Composite fires at the crash low
    assert (panel.start, panel.end) == (dt.date(2015, 1, 5), dt.date(2016, 3, 31))
    assert any("FirstNeg" in n and "etf_turnover missing" in n for n in panel.notes)


def test_tq_backtest_on_2015_from_the_store(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TQ_DATA_DIR", str(home))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("TQ_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    args = ["backtest", "csi500_timing", "--source", "store", "--start", "2015-01-01", "--end", "2016-03-31"]
    done = CliRunner().invoke(app, [*args, "--no-report"])
    assert done.exit_code == 0, done.output
    assert "2015-01-05 → 2016-03-31" in done.output
    assert "FirstNeg 不可用 unavailable on" in done.output and "etf_turnover missing" in done.output
    with open_store(f"duckdb:///{home / 'tq.duckdb'}", init=False) as store:
        trades = store.read("backtest_log")
    run_id = trades["run_id"][0]
    replay = CliRunner().invoke(app, ["backtest", "--replay", run_id])
    assert replay.exit_code == 0 and "完全相同 identical" in replay.output
