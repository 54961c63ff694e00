"""The TDX minute exports of ``zsh_etf_minute`` (MANIFEST §11.3) through `tq import`'s reader into minute_quote:
row counts, index vs fund codes (999999 → 000001.SH), the no-trade placeholder volume, bar END times inside the
XSHG sessions, the row-naming quality report and an idempotent re-import."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from thermoquant.cli.main import app
from thermoquant.data.sources.csv import Outcome, RowFilter, import_paths, read_file
from thermoquant.market.calendar import sessions

MINUTES = Path("zsh_etf_minute")
SSE_1M = MINUTES / "sse_composite_1min_2022-12_2023-05.csv.gz"
ETF_1M = MINUTES / "etf_510880_1min_2022-12_2023-05.csv.gz"
BARS_5M = MINUTES / "etf_index_5min_raw_2021-04_2023-04.parquet"
WEEK = RowFilter(start=dt.date(2022, 1, 24), end=dt.date(2022, 1, 28))


def assert_bar_ends_in_sessions(frame: pl.DataFrame, minutes: int) -> None:
    """Every bar_time is a bar END on an XSHG session day: (09:30, 11:30] or (13:00, 15:00] on the bar grid."""
    t = frame["bar_time"]
    days = t.dt.date().unique().to_numpy().astype("datetime64[D]")
    assert np.isin(days, sessions()).all()
    tod = (t.dt.hour().cast(pl.Int32) * 60 + t.dt.minute().cast(pl.Int32)).to_numpy()
    morning = (tod > 9 * 60 + 30) & (tod <= 11 * 60 + 30)
    afternoon = (tod > 13 * 60) & (tod <= 15 * 60)
    assert (morning | afternoon).all() and (tod % minutes == 0).all() and (t.dt.second() == 0).all()
    per_day = frame.group_by("symbol", t.dt.date().alias("d")).len()["len"]
    assert set(per_day.to_list()) == {240 // minutes}


def test_sse_composite_1min(real_data: Path) -> None:
    r = read_file(real_data / SSE_1M)
    assert (r.layout, r.table, r.rows_read, r.frame.height, len(r.rejected)) == (
        "tdx_minutes", "minute_quote", 24_000, 24_000, 0,
    )  # fmt: skip
    f = r.frame
    assert set(f["symbol"]) == {"000001.SH"} and set(f["freq"]) == {"1m"}  # TDX 999999 = SSE Composite
    assert f["bar_time"].min() == dt.datetime(2022, 12, 16, 9, 31)
    assert f["bar_time"].max() == dt.datetime(2023, 5, 18, 15, 0)
    assert_bar_ends_in_sessions(f, 1)
    assert f["volume"].null_count() == 24_000  # index vol is not in shares: left empty
    placeholders = f.filter(pl.col("amount") == 0)  # the 100 closing-auction minutes with vol 5.877e-39
    assert placeholders.height == 100 and f["amount"].min() == 0
    assert set(placeholders["bar_time"].dt.strftime("%H:%M")) <= {"14:58", "14:59"}
    assert "100 no-trade bar(s) with TDX placeholder vol 5.877e-39 → volume = amount = 0" in r.notes


def test_etf_510880_1min_units(real_data: Path) -> None:
    f = read_file(real_data / ETF_1M).frame
    assert f.height == 24_000 and set(f["symbol"]) == {"510880.SH"} and set(f["freq"]) == {"1m"}
    assert_bar_ends_in_sessions(f, 1)
    vwap = f.filter(pl.col("volume") > 0).select(pl.col("amount") / pl.col("volume"))  # shares: ≈ price
    lo, hi = f["low"].min(), f["high"].max()
    assert lo <= vwap.min().item() and vwap.max().item() <= hi  # type: ignore[operator]


def test_5min_week_symbols_placeholders_and_sessions(real_data: Path) -> None:
    r = read_file(real_data / BARS_5M, only=WEEK)
    f = r.frame
    assert not r.rejected and set(f["freq"]) == {"5m"}
    assert f.height == 48 * 5 * f["symbol"].n_unique()  # 48 bars on every code-day
    syms = set(f["symbol"])
    assert {"000001.SH", "399006.SZ", "510300.SH", "159915.SZ", "588000.SH"} <= syms
    assert not {"999999.SH", "000001.SZ", "399006.SH"} & syms
    assert_bar_ends_in_sessions(f, 5)
    idx = f.filter(pl.col("symbol").is_in(["000001.SH", "399006.SZ"]))
    assert idx["volume"].null_count() == idx.height and idx["amount"].min() > 0  # type: ignore[operator]
    etf = f.filter(~pl.col("symbol").is_in(["000001.SH", "399006.SZ"]))
    assert etf["volume"].null_count() == 0 and etf["volume"].min() == 0  # placeholders (510810) → 0
    assert etf.filter(pl.col("volume") == 0)["amount"].max() == 0
    assert etf.filter((pl.col("volume") > 0) & (pl.col("volume") < 1))["volume"].is_empty()
    close = f.filter((pl.col("symbol") == "000001.SH") & (pl.col("bar_time") == dt.datetime(2022, 1, 28, 15)))
    assert close["close"].item() == pytest.approx(3361.44)  # published SSE Composite close of 2022-01-28


def test_000001_is_the_index_on_index_rows_only(real_data: Path, tmp_path: Path) -> None:
    """The source's 000001.min.csv is the SSE Composite (byte-identical to 999999): rows with up_count are index
    rows (000001.SH); the same code on a row without them is Ping An Bank (000001.SZ)."""
    head = gzip.decompress((real_data / SSE_1M).read_bytes()).decode().splitlines()[:3]
    index_file = tmp_path / "000001.min.csv"
    index_file.write_text("\n".join(head).replace("999999,", "000001,") + "\n")
    assert set(read_file(index_file).frame["symbol"]) == {"000001.SH"}
    stock_file = tmp_path / "stock.min.csv"
    cols = ",".join(head[0].split(",")[:8])
    stock_file.write_text(f"{cols}\n000001,2022-12-16 09:31:00,13.1,13.2,13.0,13.1,10000.0,131000.0\n"
                          "000001,2022-12-16 09:32:00,13.1,13.2,13.0,13.2,10000.0,132000.0\n")  # fmt: skip
    assert set(read_file(stock_file).frame["symbol"]) == {"000001.SZ"}


def test_bad_rows_are_named_by_file_row_and_field(real_data: Path, tmp_path: Path) -> None:
    lines = gzip.decompress((real_data / ETF_1M).read_bytes()).decode().splitlines()[:6]
    lines[2] = lines[2].replace("09:32:00", "12:05:00")  # lunch break: no bar ends there
    lines[4] = lines[4].replace("2022-12-16 09:34:00", "2022-12-16 9h34")
    path = tmp_path / "510880.min.csv"
    path.write_text("\n".join(lines) + "\n")
    r = read_file(path)
    where = {(i.file, i.row, i.column, i.rule) for i in r.rejected}
    assert ("510880.min.csv", 2, "bar_time", "session_time") in where
    assert ("510880.min.csv", 4, "bar_time", "bad_date") in where
    assert {i.row for i in r.rejected} == {2, 4} and {i.column for i in r.rejected} == {"bar_time"}
    assert r.frame.height == 3


def test_store_and_reimport_changes_nothing(real_data: Path, tmp_store) -> None:  # type: ignore[no-untyped-def]
    files = [real_data / SSE_1M, real_data / BARS_5M]
    only = RowFilter(end=dt.date(2022, 12, 20), start=dt.date(2022, 12, 16))
    first = import_paths(files, tmp_store, only=only)
    assert [r.outcome for r in first] == [Outcome.WRITTEN, Outcome.WRITTEN]
    stored = tmp_store.read("minute_quote")
    n_5m = first[1].frame.height
    assert (
        stored.height == 3 * 240 + n_5m == first[0].written["minute_quote"] + first[1].written["minute_quote"]
    )
    assert stored.filter(pl.col("symbol") == "000001.SH").group_by("freq").len().sort("freq").rows() == [
        ("1m", 720), ("5m", 144),
    ]  # fmt: skip
    again = import_paths(files, tmp_store, only=only)
    assert [r.outcome for r in again] == [Outcome.UNCHANGED, Outcome.UNCHANGED]
    assert [r.written["minute_quote"] for r in again] == [0, 0]
    assert tmp_store.read("minute_quote").height == stored.height


def test_cli_import_and_the_trade_alias(real_data: Path, tmp_path: Path) -> None:
    db = f"duckdb:///{tmp_path / 'tq.duckdb'}"
    env = {"COLUMNS": "200", "TQ_DATA_DIR": str(tmp_path)}
    res = CliRunner().invoke(app, ["import", str(real_data / ETF_1M), "--db", db], env=env)
    assert res.exit_code == 0, res.output
    assert "tdx_minutes" in res.output and "minute_quote 24000" in res.output
    args = ["trade", "import-minutes", str(real_data / BARS_5M), "--code", "510300.SH", "--code", "999999",
            "--start", "2022-01-24", "--end", "2022-01-25", "--db", db]  # fmt: skip
    res = CliRunner().invoke(app, args, env=env)
    assert res.exit_code == 0, res.output
    from thermoquant.data.store import open_store

    with open_store(db) as store:
        rows = store.read("minute_quote", where={"freq": "5m"})
    assert sorted(rows.group_by("symbol").len().rows()) == [("000001.SH", 96), ("510300.SH", 96)]


@pytest.mark.slow
def test_whole_5min_file(real_data: Path) -> None:
    r = read_file(real_data / BARS_5M)
    assert (r.rows_read, r.frame.height, len(r.rejected)) == (1_017_024, 1_017_024, 0)
    assert r.frame["symbol"].n_unique() == 44
    assert "8806 no-trade bar(s) with TDX placeholder vol 5.877e-39 → volume = amount = 0" in r.notes
    assert_bar_ends_in_sessions(r.frame, 5)
