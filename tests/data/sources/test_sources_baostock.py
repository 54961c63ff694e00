"""Baostock adapter against a fake `baostock` module whose ResultData behaves like the real one (string rows)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from vendor_stubs import FIXTURES

from thermoquant.data.sources.baostock_src import BaostockSource
from thermoquant.data.sources.base import SchemaMismatchError, SourceError


class FakeResultData:
    """Like baostock.data.resultset.ResultData: error_code/error_msg/fields, next() and get_row_data()."""

    def __init__(
        self, fields: list[str], rows: list[list[str]], error_code: str = "0", error_msg: str = "success"
    ):
        self.fields = fields
        self.data = rows
        self.error_code = error_code
        self.error_msg = error_msg
        self._i = 0

    def next(self) -> bool:
        return self._i < len(self.data)

    def get_row_data(self) -> list[str]:
        row = self.data[self._i]
        self._i += 1
        return row


class FakeBaostock:
    """The functions of the `baostock` module used by the adapter, answering from real Baostock rows."""

    def __init__(self, path: Path = FIXTURES / "baostock" / "query_history_k_data_plus.parquet") -> None:
        self.rows = pl.read_parquet(path)
        self.logins = 0
        self.renamed: dict[str, str] = {}

    def login(self) -> FakeResultData:
        self.logins += 1
        return FakeResultData([], [])

    def logout(self) -> FakeResultData:
        return FakeResultData([], [])

    def query_history_k_data_plus(
        self,
        code: str,
        fields: str,
        start_date: str = "",
        end_date: str = "",
        frequency: str = "d",
        adjustflag: str = "3",
    ) -> FakeResultData:
        if len(code) != 9:
            return FakeResultData([], [], "10004011", "股票代码应为9位，请检查。格式示例：sh.600000。")
        cols = fields.split(",")
        sel = self.rows.filter(pl.col("code") == code)
        if start_date:
            sel = sel.filter(pl.col("date") >= start_date)
        if end_date:
            sel = sel.filter(pl.col("date") <= end_date)
        names = [self.renamed.get(c, c) for c in cols]
        return FakeResultData(names, [list(r) for r in sel.select(cols).iter_rows()])

    def query_zz500_stocks(self, date: str = "") -> FakeResultData:
        return FakeResultData(
            ["updateDate", "code", "code_name"],
            [["2020-03-30", "sh.600000", "浦发银行"], ["2020-03-30", "sz.000001", "平安银行"]],
        )


def test_daily_quote_strings_to_numbers_and_flags() -> None:
    fake = FakeBaostock()
    out = BaostockSource(fake).fetch(
        "daily_quote", symbols=["600000.SH"], start=date(2020, 3, 2), end=date(2020, 4, 30)
    )
    raw = fake.rows.filter(pl.col("code") == "sh.600000")
    assert out.height == raw.height and fake.logins == 1
    first = raw.row(0, named=True)
    assert out["close"][0] == float(first["close"]) and out["volume"][0] == float(
        first["volume"]
    )  # 股 already
    assert out["turnover"][0] == pytest.approx(float(first["turn"]))
    assert out["is_suspended"].sum() == (raw["tradestatus"] == "0").sum()
    assert out["is_st"].sum() == 0


def test_suspended_blank_values_become_null() -> None:
    fake = FakeBaostock()
    fake.rows = fake.rows.with_columns(
        pl.when(pl.col("date") == "2020-03-02").then(pl.lit("")).otherwise(pl.col("volume")).alias("volume"),
        pl.when(pl.col("date") == "2020-03-02")
        .then(pl.lit("0"))
        .otherwise(pl.col("tradestatus"))
        .alias("tradestatus"),
    )
    out = BaostockSource(fake).fetch(
        "daily_quote", symbols=["sh.600000"], start=date(2020, 3, 2), end=date(2020, 3, 3)
    )
    assert out["volume"][0] is None and out["is_suspended"].to_list() == [True, False]


def test_vendor_error_code_and_renamed_field() -> None:
    fake = FakeBaostock()
    fake.renamed = {"close": "closePrice"}
    with pytest.raises(SchemaMismatchError, match=r"baostock/daily_quote.*'close'"):
        BaostockSource(fake).fetch("daily_quote", symbols=["600000.SH"])

    class Broken(FakeBaostock):
        def query_history_k_data_plus(self, *a: Any, **k: Any) -> FakeResultData:
            return FakeResultData([], [], "10002007", "网络接收错误。")

    with pytest.raises(SourceError, match="10002007"):
        BaostockSource(Broken(), sleep=lambda s: None).fetch("daily_quote", symbols=["600000.SH"])


def test_membership_as_index_weight_without_weights() -> None:
    out = BaostockSource(FakeBaostock()).fetch("index_weight", symbols=["000905.SH"])
    assert out["symbol"].to_list() == ["000001.SZ", "600000.SH"]
    assert out["weight"].null_count() == 2 and out["effective_date"][0] == date(2020, 3, 30)
