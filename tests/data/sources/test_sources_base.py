"""The shared kit: retry with backoff + jitter, the token bucket, checked renames and schema conformance."""

from __future__ import annotations

import random
from datetime import date

import polars as pl
import pytest

from thermoquant.data.sources.base import RateLimiter, RetryPolicy, SchemaMismatchError, is_transient, retry
from thermoquant.data.sources.frames import (
    concat_parts,
    conform,
    ensure_date,
    map_columns,
    rename_checked,
    with_board_columns,
)


def test_retry_backs_off_exponentially_with_bounded_jitter() -> None:
    waits: list[float] = []
    attempts = {"n": 0}

    def flaky() -> str:
        attempts["n"] += 1
        if attempts["n"] < 4:
            raise ConnectionError("Connection reset by peer")
        return "ok"

    policy = RetryPolicy(attempts=4, base_delay=1.0, max_delay=3.0)
    assert retry(flaky, policy, sleep=waits.append, rng=random.Random(7)) == "ok"
    assert attempts["n"] == 4
    assert len(waits) == 3
    caps = [1.0, 2.0, 3.0]  # base·2^k capped at max_delay
    assert all(0.0 <= w <= c for w, c in zip(waits, caps, strict=True))
    assert len(set(waits)) == 3  # jittered, not a fixed schedule


def test_retry_gives_up_after_attempts_and_reraises_last_error() -> None:
    waits: list[float] = []

    def always() -> None:
        raise TimeoutError("read timed out")

    with pytest.raises(TimeoutError):
        retry(always, RetryPolicy(attempts=3), sleep=waits.append)
    assert len(waits) == 2


def test_retry_does_not_retry_permanent_errors() -> None:
    waits: list[float] = []

    def broken() -> None:
        raise SchemaMismatchError("akshare", "daily_quote", "收盘", ["日期"])

    with pytest.raises(SchemaMismatchError):
        retry(broken, RetryPolicy(attempts=5), sleep=waits.append)
    assert waits == []


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (ConnectionError("boom"), True),
        (RuntimeError("抱歉，您每分钟最多访问该接口200次"), True),
        (RuntimeError("HTTP 503 Service Unavailable"), True),
        (KeyError("data"), False),
        (ValueError("您的token不对，请确认。"), False),
    ],
)
def test_transient_classification(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_rate_limiter_enforces_per_minute_quota_with_a_fake_clock() -> None:
    now = {"t": 0.0}
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now["t"] += s

    limiter = RateLimiter(per_minute=120, burst=2, clock=lambda: now["t"], sleep=sleep)
    assert limiter.acquire() == 0.0
    assert limiter.acquire() == 0.0  # burst of 2
    waited = limiter.acquire()  # bucket empty: one token every 0.5 s at 120/min
    assert waited == pytest.approx(0.5)
    now["t"] += 10.0  # idle refills up to the burst only
    assert limiter.acquire() == 0.0
    assert limiter.acquire() == 0.0
    assert limiter.acquire() == pytest.approx(0.5)
    assert sum(slept) == pytest.approx(1.0)


def test_rename_checked_names_source_dataset_and_column() -> None:
    frame = pl.DataFrame({"日期": ["2024-01-02"], "收盘价": [1.0]})
    with pytest.raises(SchemaMismatchError) as err:
        rename_checked(frame, {"日期": "trade_date", "收盘": "close"}, "akshare", "daily_quote")
    text = str(err.value)
    assert "akshare/daily_quote" in text and "'收盘'" in text and "收盘价" in text
    assert err.value.column == "收盘"


def test_rename_checked_optional_columns_become_null() -> None:
    frame = pl.DataFrame({"a": [1]})
    out = rename_checked(frame, {"a": "x", "b": "y"}, "s", "d", optional=("b",))
    assert out.columns == ["x", "y"] and out["y"][0] is None


@pytest.mark.parametrize("raw", ["20240105", "2024-01-05", "2024/1/5", "2024-01-05 00:00:00", 20240105])
def test_ensure_date_accepts_vendor_spellings(raw: str | int) -> None:
    out = ensure_date(pl.DataFrame({"d": [raw]}), "d")
    assert out["d"][0] == date(2024, 1, 5)


def test_conform_casts_fills_clips_and_sorts() -> None:
    frame = pl.DataFrame(
        {
            "symbol": ["600000.SH", "600000.SH", "600000.SH", None],
            "trade_date": [date(2024, 1, 4), date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 3)],
            "close": ["10.5", "10.1", "10.2", "1"],
            "volume": [100, 200, 300, 1],
        }
    )
    out = conform(
        frame, "daily_quote", "akshare", start=date(2024, 1, 3), end=date(2024, 1, 4), date_col="trade_date"
    )
    assert out["trade_date"].to_list() == [date(2024, 1, 3), date(2024, 1, 4)]
    assert out.schema["close"] == pl.Float64 and out["close"].to_list() == [10.2, 10.5]
    assert out["source"].unique().to_list() == ["akshare"]
    assert "turnover" in out.columns and out["turnover"].null_count() == 2


def test_map_columns_parses_dates_casts_scales_and_normalises() -> None:
    raw = pl.DataFrame(  # Baostock-style: every value a string, '' on a suspended day
        {
            "date": ["2024-01-05", "2024-01-08"],
            "code": ["sh.600000", "sh.600000"],
            "close": ["10.5", ""],
            "vol": ["12", "3"],
        }
    )
    mapping = {"date": "trade_date", "code": "symbol", "close": "close", "vol": "volume"}
    out = map_columns(
        raw,
        mapping,
        "test",
        "daily_quote",
        units={"volume": 100.0},
        constants={"is_suspended": False},
        derived=[(pl.col("volume") * 2).alias("twice")],
    )
    assert out["trade_date"].to_list() == [date(2024, 1, 5), date(2024, 1, 8)]
    assert out["symbol"].to_list() == ["600000.SH", "600000.SH"]
    assert out["close"].to_list() == [10.5, None]
    assert out["volume"].to_list() == [1200.0, 300.0] and out["twice"].to_list() == [2400.0, 600.0]
    assert out["is_suspended"].to_list() == [False, False]


def test_map_columns_on_an_empty_response_keeps_the_mapped_columns() -> None:
    out = map_columns(
        pl.DataFrame(),
        {"日期": "trade_date", "收盘": "close"},
        "test",
        "daily_quote",
        constants={"symbol": "600000.SH"},
        derived=[pl.col("close").alias("pre_close")],
    )
    assert out.height == 0 and out.columns == ["trade_date", "close", "symbol", "pre_close"]
    assert out.schema["trade_date"] == pl.Date


def test_board_columns_come_from_the_market_rules() -> None:
    frame = pl.DataFrame({"symbol": ["830799.BJ", "688981.SH", "000001.SZ", "510500.SH", "000905.SH"]})
    out = with_board_columns(frame)
    assert out["exchange"].to_list() == ["BJ", "SH", "SZ", "SH", "SH"]
    assert out["board"].to_list() == [
        "bse",
        "star",
        "sz_main",
        None,
        None,
    ]  # funds and indices: no stock board


def test_concat_parts_skips_empty_parts() -> None:
    a = pl.DataFrame({"x": [1]})
    assert concat_parts([pl.DataFrame(), a, a.clear()]).to_dicts() == [{"x": 1}]
    assert concat_parts([]).shape == (0, 0)
