"""`run_ingest` on the flow / event / macro datasets: stored rows, idempotence, fallback, named series."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "sources"))
from vendor_stubs import VendorStub

from thermoquant.cli.ingest import _offered_datasets
from thermoquant.data.ingest import FALLBACK_ORDER, default_sources, run_ingest
from thermoquant.data.sources.akshare_src import AkshareSource
from thermoquant.data.sources.base import RetryPolicy
from thermoquant.data.sources.tushare_src import TushareSource
from thermoquant.data.store import open_store

NEW = ("north_flow", "margin_detail", "industry_flow", "industry_member", "st_history", "block_trade")


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = open_store(f"duckdb:///{tmp_path / 'tq.duckdb'}")
    yield s
    s.close()


def akshare(overrides: dict[str, Any] | None = None) -> AkshareSource:
    return AkshareSource(
        VendorStub("akshare", overrides), retry_policy=RetryPolicy(attempts=1), sleep=lambda s: None
    )


def tushare() -> TushareSource:
    return TushareSource(VendorStub("tushare"), token="t", per_minute=10_000, sleep=lambda s: None)


def test_new_datasets_are_offered_and_have_a_fallback_order() -> None:
    offered = _offered_datasets()
    for dataset in NEW:
        assert dataset in offered and dataset in FALLBACK_ORDER
    assert default_sources("block_trade", has_tushare_token=False) == ["akshare", "tushare"]
    assert default_sources("north_flow", has_tushare_token=True)[0] == "akshare"  # already in the chain


def test_north_flow_whole_then_idempotent(store: Any) -> None:
    first = run_ingest(store, "north_flow", [akshare()], end=date(2024, 3, 31))
    assert first.status == "ok" and first.rows_written == 9
    stored = store.read("north_flow")
    assert sorted(stored["channel"].unique()) == ["sh", "sz", "total"]
    assert stored.filter(pl.col("channel") == "total")["net_buy"].sum() == pytest.approx(
        (32.6 + 2.2 - 1.8) * 1e8
    )
    again = run_ingest(store, "north_flow", [akshare()], end=date(2024, 4, 1))
    assert again.rows_in == 9 and again.rows_written == 0


def test_block_trade_falls_back_to_tushare_month_by_month(store: Any) -> None:
    def blocked(**kw: Any) -> Any:
        raise ConnectionError("('Connection aborted.', RemoteDisconnected('Remote end closed connection'))")

    sources = [akshare({"stock_dzjy_mrmx": blocked}), tushare()]
    report = run_ingest(store, "block_trade", sources, start=date(2018, 11, 20), end=date(2018, 12, 31))
    assert [r.item for r in report.items] == ["2018-11-20..2018-11-30", "2018-12-01..2018-12-31"]
    assert report.gaps()["fallback_used"] == {"2018-12-01..2018-12-31": "tushare"}
    assert report.missing == ["2018-11-20..2018-11-30"]  # no block trades in the fixture for November
    stored = store.read("block_trade").sort("symbol", "seq")
    assert stored["symbol"].to_list() == ["600436.SH", "601318.SH", "601318.SH"]
    assert stored["volume"].to_list() == [94900.0, 18_000_000.0, 3_320_000.0]


def test_named_series_are_not_taken_for_security_codes(store: Any) -> None:
    report = run_ingest(store, "macro", [akshare()], symbols=["m2_yoy", "tsf"], end=date(2024, 12, 31))
    assert report.status == "ok"
    assert sorted(store.read("macro")["series"].unique()) == ["m2_yoy", "tsf"]
    flow = run_ingest(store, "industry_flow", [akshare()], symbols=["银行"], end=date(2024, 12, 31))
    assert flow.status == "ok"
    rows = store.read("funds_flow")
    assert rows["scope"].unique().to_list() == ["industry"] and rows["code"].unique().to_list() == ["银行"]


def test_membership_and_st_history_are_stored(store: Any) -> None:
    run_ingest(store, "industry_member", [akshare()], end=date(2024, 12, 31))
    run_ingest(store, "st_history", [akshare()], end=date(2024, 12, 31))
    members = store.read("industry_member")
    assert members.height == 3 and members["classification"].unique().to_list() == ["sw2021_l1"]
    st = store.read("st_history")
    assert st.select("symbol", "start_date", "end_date").rows() == [
        ("000025.SZ", date(2000, 4, 19), date(2006, 1, 3))
    ]


def test_margin_detail_by_month_with_tushare(store: Any) -> None:
    report = run_ingest(store, "margin_detail", [tushare()], start=date(2018, 8, 1), end=date(2018, 8, 3))
    assert report.status == "ok" and report.rows_written == 2
    assert store.read("margin_detail")["fin_balance"].to_list() == pytest.approx([4.430811e9, 2.613071e9])


def test_stock_and_industry_flows_keep_separate_increments(store: Any) -> None:
    from thermoquant.data.ingest import last_stored_dates

    run_ingest(store, "industry_flow", [tushare()], start=date(2024, 9, 27), end=date(2024, 9, 27))
    stock_row = {"scope": "stock", "code": "600000.SH", "trade_date": date(2024, 12, 31), "main_net": 1.0}
    store.upsert("funds_flow", pl.DataFrame([stock_row]))
    assert last_stored_dates(store, "industry_flow") == {
        "互联网服务": date(2024, 9, 27),
        "证券": date(2024, 9, 27),
    }
    assert last_stored_dates(store, "funds_flow") == {"600000.SH": date(2024, 12, 31)}
