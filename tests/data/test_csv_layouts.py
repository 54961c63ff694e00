"""Vendor layouts on small fixtures copied from real files (tests/data/csv/README.md): detection and units."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from thermoquant.data.sources.csv import (
    UnknownLayoutError,
    detect_layout,
    read_file,
    read_raw,
    symbol_from_filename,
)


@pytest.fixture(scope="module")
def csv_dir(test_data: Path) -> Path:
    return test_data / "csv"


def _row(df: pl.DataFrame, day: date) -> dict[str, object]:
    return df.filter(pl.col("trade_date") == day).row(0, named=True)


def test_tushare_daily_lots_and_kyuan_become_shares_and_cny(csv_dir: Path) -> None:
    r = read_file(csv_dir / "tushare_daily_000025.csv")
    assert (r.layout, r.table, r.rejected) == ("tushare_bars", "daily_quote", [])
    row = _row(r.frame, date(2021, 1, 4))
    assert row["symbol"] == "000025.SZ"
    # Tushare vol 28051.69 手 and amount 48136.702 千元 are xbx's 2,805,169 shares and 48,136,702 CNY
    assert row["volume"] == pytest.approx(2_805_169)
    assert row["amount"] == pytest.approx(48_136_702)
    assert row["pre_close"] == 16.9
    assert r.frame["trade_date"].dtype == pl.Date


def test_tushare_index_daily_goes_to_index_daily(csv_dir: Path) -> None:
    r = read_file(csv_dir / "tushare_index_daily_000905.csv")
    assert (r.layout, r.table) == ("tushare_bars", "index_daily")
    row = _row(r.frame, date(2019, 1, 2))
    assert row["index_code"] == "000905.SH"
    assert row["volume"] == pytest.approx(4_749_444_900)  # 47,494,449 手
    assert row["amount"] == pytest.approx(35_572_462_261)  # 35,572,462.261 千元
    assert row["close"] == 4131.9567


def test_akshare_volume_in_lots_is_detected(csv_dir: Path) -> None:
    r = read_file(csv_dir / "akshare_stock_zh_a_hist_000025.csv")
    assert (r.layout, r.table, r.rejected) == ("akshare_hist", "daily_quote", [])
    assert any("手 (lots)" in n for n in r.notes)
    row = _row(r.frame, date(2021, 1, 5))
    assert row["symbol"] == "000025.SZ"
    assert row["volume"] == 3_525_500  # 35,255 手 (xbx: 3,525,456 shares)
    assert row["amount"] == 59_681_447
    assert row["turnover"] == 0.9


def test_baostock_suspended_row_is_stored_flagged(csv_dir: Path) -> None:
    r = read_file(csv_dir / "sz.000025.csv")
    assert (r.layout, r.table, r.rejected) == ("baostock", "daily_quote", [])
    halted = _row(r.frame, date(2000, 4, 18))
    assert halted["is_suspended"] is True and halted["volume"] == 0
    assert _row(r.frame, date(1993, 6, 21))["is_suspended"] is False
    assert [(w.rule, w.row) for w in r.warnings] == [("suspended", 8)]
    first = _row(r.frame, date(1993, 6, 21))
    assert (first["volume"], first["amount"], first["turnover"]) == (510_600, 6_084_240, 2.342202)
    assert first["is_st"] is False
    assert "daily_valuation" in r.extra_tables
    assert r.extra_tables["daily_valuation"]["pe_ttm"].drop_nulls().len() == 10


def test_netease_gbk_newest_first_index(csv_dir: Path) -> None:
    raw, encoding = read_raw(csv_dir / "000905_netease.csv")
    assert encoding == "gbk" and "成交金额" in raw.columns
    r = read_file(csv_dir / "000905_netease.csv")
    assert (r.layout, r.table, r.rejected) == ("netease", "index_daily", [])
    assert r.frame["index_code"].unique().to_list() == ["000905.SH"]
    assert r.frame["trade_date"].is_sorted()
    oldest = _row(r.frame, date(2005, 1, 4))
    assert oldest["pre_close"] is None  # 'None' in the file
    assert oldest["volume"] == 232_376_200  # 2,323,762 手
    latest = _row(r.frame, date(2020, 10, 16))
    assert latest["amount"] == pytest.approx(109_046_534_531)
    assert latest["close"] == 6428.6822


def test_xbx_market_values_become_share_counts(csv_dir: Path) -> None:
    r = read_file(csv_dir / "sz000025_xbx.csv")
    assert (r.layout, r.table) == ("xbx", "daily_quote")
    row = _row(r.frame, date(1993, 6, 21))
    assert row["float_shares"] == round(257_240_000 / 11.8)
    assert row["turnover"] == pytest.approx(510_600 / round(257_240_000 / 11.8) * 100)


def test_suiwenfeng_symbol_from_file_name(csv_dir: Path) -> None:
    r = read_file(csv_dir / "603083.csv")
    assert (r.layout, r.table, r.rejected) == ("suiwenfeng", "daily_quote", [])
    row = _row(r.frame, date(2021, 3, 18))
    assert (row["symbol"], row["volume"], row["amount"]) == ("603083.SH", 4_462_736, 52_261_157)


def test_eastmoney_etf_lots(csv_dir: Path) -> None:
    r = read_file(csv_dir / "510500_eastmoney.csv")
    assert (r.layout, r.table, r.rejected) == ("morphkyan_eastmoney", "etf_daily", [])
    row = _row(r.frame, date(2013, 3, 15))
    assert (row["symbol"], row["volume"], row["amount"], row["turnover_vendor"]) == (
        "510500.SH",
        325_927_300,
        315_394_304,
        3.1,
    )


def test_strategy_data_bars_and_reference(csv_dir: Path) -> None:
    r = read_file(csv_dir / "strategy_data.csv")
    assert (r.layout, r.table) == ("jerryz_strategy_data", "index_daily")
    ref = r.reference["strategy_reference"]
    assert {"ma_5", "breadth", "heat_z", "etf_turnover"} <= set(ref.columns)
    assert ref["breadth"][0] == pytest.approx(14.228456913827655)


def test_unknown_header_names_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("foo,bar\n1,2\n")
    with pytest.raises(UnknownLayoutError, match="foo"):
        read_file(path)
    with pytest.raises(UnknownLayoutError):
        detect_layout(["date", "something"])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sh.000905.csv", "000905.SH"),
        ("stock_603083_2022_2024_raw.csv", "603083.SH"),
        ("etf_510500_daily_2013_2026.csv", "510500.SH"),
        ("csi500_index_daily_2005_2026.csv", "000905.SH"),
        ("000025.csv", "000025.SZ"),
        ("notes.csv", None),
    ],
)
def test_symbol_from_filename(name: str, expected: str | None) -> None:
    assert symbol_from_filename(Path(name)) == expected


def test_generic_layout_detects_lots_and_kyuan(csv_dir: Path, tmp_path: Path) -> None:
    """Real 603083 bars rewritten under generic headers with volume in 手 and amount in 千元: both detected."""
    src = read_file(csv_dir / "603083.csv").frame
    generic = src.select(
        pl.col("trade_date").alias("date"),
        "open",
        "high",
        "low",
        "close",
        (pl.col("volume") / 100).alias("volume"),
        (pl.col("amount") / 1000).alias("amount"),
    )
    path = tmp_path / "603083_generic.csv"
    generic.write_csv(path)
    r = read_file(path)
    assert (r.layout, r.table, r.rejected) == ("date_bars", "daily_quote", [])
    assert any("volume 手 (lots), amount 千元" in n for n in r.notes)
    assert r.frame["volume"].to_list() == pytest.approx(src["volume"].to_list())
    assert r.frame["amount"].to_list() == pytest.approx(src["amount"].to_list())


def test_tushare_fund_share_in_ten_thousands(real_data: Path, tmp_path: Path) -> None:
    """Tushare fund_share layout (fd_share in 万份) on the implied 510500 shares of the sample, re-laid out."""
    implied = pl.read_csv(real_data / "sample" / "etf_510500_fd_share_implied_2019_2026.csv").head(3)
    path = tmp_path / "fund_share.csv"
    implied.select(
        pl.lit("510500.SH").alias("ts_code"),
        pl.col("date").str.replace_all("-", "").alias("trade_date"),
        pl.col("implied_fd_share_prev_day_10k").alias("fd_share"),
    ).write_csv(path)
    r = read_file(path)
    assert (r.layout, r.table, r.rejected) == ("tushare_fund_share", "fund_share", [])
    assert r.frame.row(0, named=True) == {
        "symbol": "510500.SH",
        "trade_date": date(2019, 1, 2),  # Tushare's own rows carry their own date: no shift
        "fd_share": pytest.approx(749_346.93e4),
        "source": "tushare:fund_share.csv",
    }


def test_date_spellings_parse_and_a_bad_date_names_file_row_and_column(csv_dir: Path, tmp_path: Path) -> None:
    """The real 603083 rows with dates re-spelled as vendors write them; an impossible date rejects its row."""
    lines = (csv_dir / "603083.csv").read_text(encoding="utf-8").splitlines()
    spelled = {1: "2021/3/18 0:00", 2: "2021-03-19T00:00:00", 3: "2021-02-30", 4: " 20210323 "}
    for row, text in spelled.items():
        lines[row] = text + lines[row][len("20210318") :]
    path = tmp_path / "603083_dates.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = read_file(path)
    assert {(x.file, x.row, x.column, x.rule, x.value) for x in r.rejected} == {
        ("603083_dates.csv", 3, "trade_date", "bad_date", "2021-02-30"),
        ("603083_dates.csv", 3, "trade_date", "required", None),  # the key is empty after parsing
    }
    bad = next(x for x in r.rejected if x.rule == "bad_date")
    assert "row 3 (line 4)" in str(bad) and "column trade_date" in str(bad)
    assert r.frame["trade_date"].head(3).to_list() == [
        date(2021, 3, 18),
        date(2021, 3, 19),
        date(2021, 3, 23),
    ]
    assert r.frame.height == 9
