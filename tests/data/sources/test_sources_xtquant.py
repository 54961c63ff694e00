"""miniQMT xtdata adapter against a fake module with the real API's names and return types."""

from __future__ import annotations

import platform
from datetime import date, timedelta, timezone

import pandas as pd
import polars as pl
import pytest
from vendor_stubs import replay

from thermoquant.data.sources.base import SourceUnavailableError
from thermoquant.data.sources.xtquant_src import XtquantSource

FIELDS = [
    "time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "amount",
    "settelementPrice",
    "openInterest",
    "preClose",
    "suspendFlag",
]


def _bars(code: str) -> pd.DataFrame:
    """A get_market_data_ex frame built from the real bars in the Tushare fixture (vol 手, amount 千元)."""
    raw = replay("tushare", "daily", code).iloc[::-1]
    days = pd.to_datetime(raw["trade_date"], format="%Y%m%d")
    ms = [
        int((d.to_pydatetime().replace(tzinfo=timezone(timedelta(hours=8)))).timestamp() * 1000) for d in days
    ]
    frame = pd.DataFrame(
        {
            "time": ms,
            "open": raw["open"].to_numpy(),
            "high": raw["high"].to_numpy(),
            "low": raw["low"].to_numpy(),
            "close": raw["close"].to_numpy(),
            "volume": raw["vol"].round().to_numpy(),
            "amount": (raw["amount"] * 1000).to_numpy(),
            "settelementPrice": 0.0,
            "openInterest": 15,
            "preClose": raw["pre_close"].to_numpy(),
            "suspendFlag": 0,
        },
        index=raw["trade_date"].to_numpy(),
    )
    return frame[FIELDS]


class FakeXtdata:
    """Names and return types of xtquant.xtdata (download_history_data returns None)."""

    def __init__(self) -> None:
        self.downloads: list[tuple[str, str]] = []

    def download_history_data(
        self, stock_code: str, period: str = "1d", start_time: str = "", end_time: str = ""
    ) -> None:
        self.downloads.append((stock_code, period))

    def get_market_data_ex(
        self,
        field_list: list[str] | None = None,
        stock_list: list[str] | None = None,
        period: str = "1d",
        start_time: str = "",
        end_time: str = "",
        count: int = -1,
        dividend_type: str = "none",
        fill_data: bool = True,
    ) -> dict[str, pd.DataFrame]:
        assert dividend_type == "none"
        return {code: _bars(code)[field_list or FIELDS] for code in stock_list or []}

    def get_full_tick(self, code_list: list[str]) -> dict[str, dict[str, float]]:
        return {
            c: {
                "time": 1630393200000,
                "lastPrice": 10.5,
                "open": 10.0,
                "high": 10.8,
                "low": 9.9,
                "lastClose": 10.0,
                "amount": 1.05e8,
                "volume": 100000,
                "pvolume": 10000000,
            }
            for c in code_list
        }

    def get_index_weight(self, index_code: str) -> dict[str, float]:
        return {"600000.SH": 0.5, "000001.SZ": 0.7}


def test_daily_bars_from_market_data_ex() -> None:
    fake = FakeXtdata()
    out = XtquantSource(fake).fetch("daily_quote", symbols=["600000.SH", "000001.SZ"])
    assert fake.downloads == [("600000.SH", "1d"), ("000001.SZ", "1d")]
    assert out["symbol"].n_unique() == 2 and out.height == 130
    raw = replay("tushare", "daily", "600000.SH").set_index("trade_date").loc["20210721"]
    row = out.filter((pl.col("symbol") == "600000.SH") & (pl.col("trade_date") == date(2021, 7, 21)))
    assert row["close"][0] == raw["close"] and row["pre_close"][0] == raw["pre_close"]
    assert row["volume"][0] == pytest.approx(round(raw["vol"]) * 100)
    assert row["is_suspended"][0] is False


def test_spot_and_index_weight() -> None:
    src = XtquantSource(FakeXtdata())
    spot = src.fetch("spot", symbols=["600000.SH"])
    assert spot["volume"][0] == 10_000_000 and spot["pct_change"][0] == pytest.approx(5.0)
    w = src.fetch("index_weight", symbols=["000905.SH"])
    assert sorted(w["symbol"].to_list()) == ["000001.SZ", "600000.SH"]


@pytest.mark.skipif(platform.system() == "Windows", reason="checks the non-Windows message")
def test_without_qmt_the_error_says_windows_and_qmt() -> None:
    with pytest.raises(SourceUnavailableError) as err:
        XtquantSource().fetch("daily_quote", symbols=["600000.SH"])
    assert "Windows" in str(err.value) and "QMT" in str(err.value)
