"""Golden test: our eastmoney mode against the CYQ JavaScript AKShare ships, run through its V8 binding."""

from __future__ import annotations

import inspect
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from thermoquant.jobs.inputs import read_bars
from thermoquant.physics import chip_distribution

mini_racer = pytest.importorskip("py_mini_racer", reason="py_mini_racer (AKShare's V8 binding) not installed")
cyq = pytest.importorskip("akshare.stock_feature.stock_cyq_em", reason="akshare not installed")


def _js_fixed2(x: float) -> str:
    """JavaScript Number.prototype.toFixed(2) for positive numbers (exact binary value, ties up)."""
    return str(Decimal(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module")
def js() -> object:
    source = inspect.getsource(cyq.stock_cyq_em)
    match = re.search(r'html_str = """(.*?)"""', source, re.S)
    assert match, "CYQ JavaScript not found in akshare.stock_feature.stock_cyq_em"
    ctx = mini_racer.MiniRacer()
    ctx.eval(match.group(1))
    return ctx


def _records(raw: pl.DataFrame) -> list[dict]:
    return [
        {"open": r["open"], "close": r["close"], "high": r["high"], "low": r["low"], "hsl": r["turn"]}
        for r in raw.iter_rows(named=True)
    ]


def _window(raw: pl.DataFrame, real_data: Path, start: str, end: str) -> tuple[list[dict], list[dict]]:
    """(JS records of the raw Baostock rows, our eastmoney rows of the same file read by the house reader)."""
    raw = raw.filter((pl.col("date") >= start) & (pl.col("date") <= end))
    bars = read_bars(real_data / "baostock_sz" / "sz.000025.csv", start=date.fromisoformat(start),
                     end=date.fromisoformat(end))  # fmt: skip
    assert bars["trade_date"].cast(pl.String).to_list() == raw["date"].to_list()
    return _records(raw), bars


def _assert_match(js_out: dict, row: dict) -> None:
    assert js_out["benefitPart"] == pytest.approx(row["profit_ratio"], rel=1e-12, abs=1e-15)
    assert js_out["avgCost"] == _js_fixed2(row["avg_cost"])
    for pct in ("90", "70"):
        band = js_out["percentChips"][pct]
        assert band["priceRange"] == [_js_fixed2(row[f"cost_{pct}_low"]), _js_fixed2(row[f"cost_{pct}_high"])]
        assert band["concentration"] == pytest.approx(row[f"conc_{pct}"], rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(("start", "end"), [("2014-10-01", "2015-06-30"), ("2015-10-01", "2016-03-31")])
def test_eastmoney_matches_js_every_day(
    js: object, raw_000025: pl.DataFrame, real_data: Path, start: str, end: str
) -> None:
    records, bars = _window(raw_000025, real_data, start, end)
    ours = chip_distribution(bars, mode="eastmoney", window=None).to_dicts()
    assert len(ours) == len(records) > 100
    for i in range(len(records)):
        _assert_match(js.call("CYQCalculator", i, records), ours[i])


def test_eastmoney_window_matches_akshare_request_length(
    js: object, raw_000025: pl.DataFrame, real_data: Path
) -> None:
    """window=210 (default) reproduces the JS run on the 210 bars AKShare fetches, for the last bar."""
    records, bars = _window(raw_000025, real_data, "2014-06-01", "2016-03-31")
    ours = chip_distribution(bars, mode="eastmoney").to_dicts()
    for end in (250, 300, len(records) - 1):
        window = records[end - 209 : end + 1]
        _assert_match(js.call("CYQCalculator", 209, window), ours[end])


def test_one_price_bars_are_covered(raw_000025: pl.DataFrame) -> None:
    """The golden windows include one-price (一字板) bars, so that JS branch is exercised."""
    raw = raw_000025.filter((pl.col("date") >= "2014-10-01") & (pl.col("date") <= "2016-03-31"))
    assert int(np.sum(raw["high"].to_numpy() == raw["low"].to_numpy())) >= 1
