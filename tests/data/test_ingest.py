"""Ingestion jobs on a real DuckDB file: idempotence, incremental updates, partial failures, fallback, job_log."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "sources"))
from vendor_stubs import VendorStub, replay

from thermoquant.data.ingest import (
    constituent_refresh_times,
    is_refresh_due,
    month_chunks,
    run_ingest,
    second_saturday,
)
from thermoquant.data.sources.akshare_src import AkshareSource
from thermoquant.data.sources.base import RetryPolicy
from thermoquant.data.sources.tushare_src import TushareSource
from thermoquant.data.store import open_store
from thermoquant.features.bars import qfq_closes_at

FIVE = ["600000.SH", "000001.SZ", "300750.SZ", "688981.SH", "600519.SH"]
JUNE, AUG = date(2021, 6, 1), date(2021, 8, 31)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = open_store(f"duckdb:///{tmp_path / 'tq.duckdb'}")
    yield s
    s.close()


def akshare(overrides: dict[str, Any] | None = None) -> tuple[AkshareSource, VendorStub]:
    stub = VendorStub("akshare", overrides)
    return AkshareSource(stub, retry_policy=RetryPolicy(attempts=2), sleep=lambda s: None), stub


def test_backfill_is_idempotent(store: Any) -> None:
    src, _ = akshare()
    first = run_ingest(store, "daily_quote", [src], symbols=FIVE[:2], start=JUNE, end=AUG)
    assert first.status == "ok" and first.rows_written == 130
    again = run_ingest(store, "daily_quote", [src], symbols=FIVE[:2], start=JUNE, end=AUG)
    assert again.count("skipped") == 2 and again.rows_written == 0  # checkpointed: nothing fetched
    fresh_src, stub = akshare()
    # a different job key (other end day) re-fetches, and the upsert changes nothing
    third = run_ingest(store, "daily_quote", [fresh_src], symbols=FIVE[:2], start=JUNE, end=date(2021, 9, 1))
    assert third.rows_in == 130 and third.rows_written == 0 and len(stub.calls) == 2
    assert store.read("daily_quote").height == 130


def test_incremental_starts_after_the_last_stored_day(store: Any) -> None:
    src, _ = akshare()
    run_ingest(store, "daily_quote", [src], symbols=FIVE[:2], start=JUNE, end=date(2021, 6, 30))
    src2, stub = akshare()
    report = run_ingest(store, "daily_quote", [src2], symbols=FIVE[:2], end=AUG)
    assert {c[1]["start_date"] for c in stub.calls} == {"20210701"}
    assert report.rows_written == 130 - 2 * 21  # June 2021 had 21 trading days (14th: Dragon Boat)
    src3, stub3 = akshare()
    none_left = run_ingest(store, "daily_quote", [src3], symbols=FIVE[:2], end=AUG)
    assert none_left.up_to_date == FIVE[:2] and stub3.calls == []


def test_partial_failure_mid_batch_then_rerun_fetches_only_the_missing(store: Any) -> None:
    def broken_third(**kw: Any) -> pd.DataFrame:
        if kw["symbol"] == "300750":
            raise ConnectionError("Read timed out. (read timeout=15)")
        return replay("akshare", "stock_zh_a_hist", kw["symbol"])

    src, _ = akshare({"stock_zh_a_hist": broken_third})
    report = run_ingest(store, "daily_quote", [src], symbols=FIVE, start=JUNE, end=AUG)
    assert report.status == "partial" and report.missing == ["300750.SZ"]
    stored = store.read("daily_quote")
    assert sorted(stored["symbol"].unique().to_list()) == sorted(set(FIVE) - {"300750.SZ"})
    log = store.read("job_log", where={"job_id": report.job_id}).row(0, named=True)
    assert log["status"] == "partial" and "300750.SZ" in log["errors"] and "timed out" in log["errors"]
    assert json.loads(log["gaps"])["failed"] == ["300750.SZ"]

    healthy, stub = akshare()
    rerun = run_ingest(store, "daily_quote", [healthy], symbols=FIVE, start=JUNE, end=AUG)
    assert [c[1]["symbol"] for c in stub.calls] == ["300750"]
    assert rerun.status == "ok" and rerun.count("skipped") == 4 and rerun.rows_written == 65
    assert store.read("daily_quote").height == 5 * 65


def test_fallback_to_the_next_source_and_report(store: Any) -> None:
    def blocked(**kw: Any) -> pd.DataFrame:
        raise ConnectionError("Max retries exceeded: Remote end closed connection without response")

    primary, _ = akshare({"stock_zh_a_hist": blocked})
    backup = TushareSource(VendorStub("tushare"), token="t", per_minute=10_000)
    report = run_ingest(store, "daily_quote", [primary, backup], symbols=FIVE[:2], start=JUNE, end=AUG)
    assert report.status == "ok" and report.gaps()["fallback_used"] == {s: "tushare" for s in FIVE[:2]}
    assert store.read("daily_quote")["source"].unique().to_list() == ["tushare"]


def test_empty_answers_are_reported_missing(store: Any) -> None:
    src, _ = akshare()
    report = run_ingest(store, "daily_quote", [src], symbols=["600000.SH", "603083.SH"], start=JUNE, end=AUG)
    assert report.missing == ["603083.SH"] and report.count("empty") == 1 and report.status == "ok"


def test_bad_rows_are_rejected_by_the_quality_rules(store: Any) -> None:
    def one_bad(**kw: Any) -> pd.DataFrame:
        frame = replay("akshare", "stock_zh_a_hist", kw["symbol"])
        frame.loc[3, "最高"] = frame.loc[3, "最低"] - 1.0  # high below low
        return frame

    src, _ = akshare({"stock_zh_a_hist": one_bad})
    report = run_ingest(store, "daily_quote", [src], symbols=["600000.SH"], start=JUNE, end=AUG)
    assert report.items[0].rejected == 1 and report.rows_written == 64
    assert any("rejected row 4" in e and "high" in e for e in report.items[0].errors)  # row and field named
    bad_day = replay("akshare", "stock_zh_a_hist", "600000").loc[3, "日期"]
    assert str(bad_day) not in store.read("daily_quote")["trade_date"].cast(pl.Utf8).to_list()


def test_a_bad_row_never_overwrites_the_stored_good_one(store: Any) -> None:
    """Clean bars stored first; a later fetch with one corrupted row rejects it and keeps the stored day as it was."""
    good, _ = akshare()
    run_ingest(store, "daily_quote", [good], symbols=["600000.SH"], start=JUNE, end=AUG)
    before = store.read("daily_quote")
    assert before.height == 65

    def one_bad(**kw: Any) -> pd.DataFrame:
        frame = replay("akshare", "stock_zh_a_hist", kw["symbol"])
        frame.loc[3, "最高"] = frame.loc[3, "最低"] - 1.0
        frame.loc[3, "收盘"] = 99.0
        return frame

    bad, _ = akshare({"stock_zh_a_hist": one_bad})
    report = run_ingest(store, "daily_quote", [bad], symbols=["600000.SH"], start=JUNE, end=date(2021, 9, 1))
    assert report.items[0].rejected == 1 and report.rows_written == 0
    assert store.read("daily_quote").equals(before)


def test_token_never_reaches_job_log(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from thermoquant.config import get_settings

    secret = "tok_5f1e0c2b9a7d4e3f8c6b5a4d3e2f1a0b"
    monkeypatch.setenv("TQ_TUSHARE_TOKEN", secret)
    get_settings.cache_clear()
    try:

        def leaky(**kw: Any) -> pd.DataFrame:
            raise ValueError(f"request https://api.example/?token={secret} refused")

        src, _ = akshare({"stock_zh_a_hist": leaky})
        report = run_ingest(store, "daily_quote", [src], symbols=["600000.SH"], start=JUNE, end=AUG)
        assert report.status == "failed"
        log = store.read("job_log")
        text = " ".join(str(v) for v in log.row(0))
        assert secret not in text and "***" in text
    finally:
        get_settings.cache_clear()


def test_range_datasets_are_chunked_by_month(store: Any) -> None:
    assert month_chunks(date(2024, 1, 15), date(2024, 3, 2)) == [
        (date(2024, 1, 15), date(2024, 1, 31)),
        (date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 3, 1), date(2024, 3, 2)),
    ]
    src, _ = akshare()
    report = run_ingest(
        store, "fund_share", [src], symbols=["510500.SH"], start=date(2024, 1, 2), end=date(2024, 1, 4)
    )
    assert [i.item for i in report.items] == ["2024-01-02..2024-01-04"] and report.rows_written == 3


def test_refresh_schedule_first_of_month_and_second_saturday() -> None:
    times = constituent_refresh_times(2024)
    assert len(times) == 14
    assert datetime(2024, 6, 8, 22, 0) in times and datetime(2024, 12, 14, 22, 0) in times
    assert second_saturday(2025, 6) == date(2025, 6, 14) and second_saturday(2026, 11) == date(2026, 11, 14)
    assert datetime(2024, 3, 1, 0, 0) in times
    assert is_refresh_due(datetime(2024, 6, 8, 22, 5))
    assert not is_refresh_due(datetime(2024, 6, 8, 21, 55), last_run=datetime(2024, 6, 1, 9, 0))
    assert is_refresh_due(datetime(2024, 7, 1, 8, 0), last_run=datetime(2024, 6, 30, 8, 0))
    assert not is_refresh_due(datetime(2024, 7, 2, 8, 0), last_run=datetime(2024, 7, 1, 8, 0))
    assert is_refresh_due(datetime(2025, 1, 1, 6, 0), last_run=datetime(2024, 12, 20, 8, 0))
    assert constituent_refresh_times(2024, monthly_at=time(22, 0))[0] == datetime(2024, 1, 1, 22, 0)


def test_qfq_closes_with_sparse_factors_has_no_future_leak() -> None:
    quotes = pl.DataFrame(
        {
            "symbol": ["A"] * 4,
            "trade_date": [date(2024, 1, d) for d in (2, 3, 4, 5)],
            "close": [10.0, 10.0, 9.0, 9.0],
        }
    )
    factors = pl.DataFrame(
        {"symbol": ["A", "A"], "trade_date": [date(2024, 1, 2), date(2024, 1, 4)], "adj_factor": [1.0, 1.1]}
    )
    at_3 = qfq_closes_at(quotes, factors, date(2024, 1, 3))["close"].to_list()
    assert at_3 == pytest.approx([10.0, 10.0, 9.9, 9.9])  # anchored before the ex-day: later days scaled up
    at_5 = qfq_closes_at(quotes, factors, date(2024, 1, 5))["close"].to_list()
    assert at_5 == pytest.approx([10.0 / 1.1, 10.0 / 1.1, 9.0, 9.0])


def test_ctrl_c_keeps_fetched_items_and_logs_interrupted(store: Any) -> None:
    def interrupt_third(**kw: Any) -> pd.DataFrame:
        if kw["symbol"] == "300750":
            raise KeyboardInterrupt
        return replay("akshare", "stock_zh_a_hist", kw["symbol"])

    src, _ = akshare({"stock_zh_a_hist": interrupt_third})
    with pytest.raises(KeyboardInterrupt):
        run_ingest(store, "daily_quote", [src], symbols=FIVE, start=JUNE, end=AUG)
    assert sorted(store.read("daily_quote")["symbol"].unique().to_list()) == ["000001.SZ", "600000.SH"]
    assert store.read("job_log")["status"].to_list() == ["interrupted"]
    healthy, stub = akshare()
    run_ingest(store, "daily_quote", [healthy], symbols=FIVE, start=JUNE, end=AUG)
    assert [c[1]["symbol"] for c in stub.calls] == ["300750", "688981", "600519"]


def test_a_second_source_never_erases_and_conflicts_are_logged(store: Any) -> None:
    """Issue 13 §1 on the ingest path: Tushare's bars first; then an AKShare answer without turnover and with one
    close 0.05 CNY off. The turnover stays, Tushare's close (better rank) stays, and job_log names the conflict."""
    tushare = TushareSource(VendorStub("tushare"), token="t", per_minute=10_000)
    run_ingest(store, "daily_quote", [tushare], symbols=["600000.SH"], start=JUNE, end=AUG)
    first = store.read("daily_quote")
    assert first["turnover"].null_count() == 0

    def thinner(**kw: Any) -> pd.DataFrame:
        frame = replay("akshare", "stock_zh_a_hist", kw["symbol"])
        frame["换手率"] = float("nan")
        frame.loc[3, "收盘"] = (
            frame.loc[3, "收盘"] + 0.05
            if frame.loc[3, "收盘"] + 0.05 <= frame.loc[3, "最高"]
            else frame.loc[3, "收盘"] - 0.05
        )
        return frame

    src, _ = akshare({"stock_zh_a_hist": thinner})
    report = run_ingest(store, "daily_quote", [src], symbols=["600000.SH"], start=JUNE, end=AUG)
    after = store.read("daily_quote")
    assert after.equals(first)
    # AKShare derives pre_close from close and 涨跌额, so the altered close moves it too: two cells, one day
    assert report.gaps()["source_conflicts"]["count"] == 2
    conflict = report.gaps()["source_conflicts"]["first"][0]
    assert conflict.startswith(
        "daily_quote 600000.SH 2021-06-04 close: stored 10.23 (tushare) vs 10.28 (akshare)"
    )
    assert conflict.endswith("kept the stored value")
    logged = store.read("job_log", where={"job_id": report.job_id}).row(0, named=True)
    assert "source_conflicts" in str(logged)
