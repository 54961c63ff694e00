"""`data.quality` rules on frames built from real fixture rows (tests/data/csv), each with a defect put in."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from thermoquant.data.quality import (
    QualityConfig,
    Severity,
    check_duplicates,
    check_index_share_price,
    check_leading_zeros,
    check_negative,
    check_ohlc,
    check_price_jumps,
    check_required,
    check_scientific_notation,
    check_vwap_range,
    mark_suspended,
    sci_notation_lost_digits,
    split_rejected,
    validate,
    with_row_numbers,
)
from thermoquant.data.sources.csv import read_file


@pytest.fixture(scope="module")
def bars(test_data: Path) -> pl.DataFrame:
    """Ten real 603083 bars (suiwenfeng, shares / CNY) with _row 1..10."""
    frame = read_file(test_data / "csv" / "603083.csv").frame
    return with_row_numbers(frame)


def _rows(issues: list, severity: Severity | None = None) -> list[int | None]:
    return [i.row for i in issues if severity is None or i.severity is severity]


def test_clean_real_bars_pass_every_rule(bars: pl.DataFrame) -> None:
    assert validate(bars, "daily_quote") == []


def test_ohlc_violation(bars: pl.DataFrame) -> None:
    bad = bars.with_columns(
        pl.when(pl.col("_row") == 4).then(pl.col("low") - 1).otherwise(pl.col("high")).alias("high")
    )
    issues = check_ohlc(bad)
    assert _rows(issues) == [4] and issues[0].severity is Severity.ERROR


def test_lots_in_a_share_file_is_an_error_and_block_trade_drift_a_warning(bars: pl.DataFrame) -> None:
    lots = bars.with_columns(
        pl.when(pl.col("_row") == 2).then(pl.col("volume") / 100).otherwise(pl.col("volume")).alias("volume")
    )
    assert _rows(check_vwap_range(lots), Severity.ERROR) == [2]
    drift = bars.with_columns(
        pl.when(pl.col("_row") == 6).then(pl.col("volume") * 1.1).otherwise(pl.col("volume")).alias("volume")
    )
    issues = check_vwap_range(drift)
    assert _rows(issues, Severity.WARNING) == [6] and _rows(issues, Severity.ERROR) == []


def test_duplicates_keep_the_first(bars: pl.DataFrame) -> None:
    dup = pl.concat(
        [bars, bars.filter(pl.col("_row") == 3).with_columns(pl.lit(11, dtype=pl.Int64).alias("_row"))]
    )
    assert _rows(check_duplicates(dup, ["symbol", "trade_date"])) == [11]


def test_nan_and_negative(bars: pl.DataFrame) -> None:
    bad = bars.with_columns(
        pl.when(pl.col("_row") == 7).then(float("nan")).otherwise(pl.col("close")).alias("close"),
        pl.when(pl.col("_row") == 8).then(-pl.col("amount")).otherwise(pl.col("amount")).alias("amount"),
    )
    assert _rows(check_required(bad, ["close"])) == [7]
    assert _rows(check_negative(bad, ["amount"])) == [8]


def test_suspended_days_are_flagged_not_rejected(bars: pl.DataFrame) -> None:
    halted = bars.with_columns(
        pl.when(pl.col("_row") == 5).then(0.0).otherwise(pl.col("volume")).alias("volume"),
        pl.lit(None, dtype=pl.Boolean).alias("is_suspended"),
    )
    marked = mark_suspended(halted)
    assert marked.filter(pl.col("is_suspended"))["_row"].to_list() == [5]
    issues = validate(marked, "daily_quote")
    assert [(i.rule, i.row, i.severity) for i in issues] == [("suspended", 5, Severity.WARNING)]
    clean, rejected = split_rejected(marked, issues)
    assert clean.height == 10 and rejected.is_empty()


@pytest.mark.parametrize(
    ("text", "lost"),
    [
        ("6.92105E+11", 6),
        ("1.06E+11", 9),
        ("5.8E+11", 10),
        ("1.09046534531e+11", 0),
        ("35572462336", 0),
        ("1.5e-3", 0),
    ],
)
def test_scientific_notation_digits(text: str, lost: int) -> None:
    assert sci_notation_lost_digits(text) == lost


def test_scientific_notation_from_raw_text() -> None:
    raw = with_row_numbers(
        pl.DataFrame({"amount": ["35572462336", "1.06E+11", "1.1569088016e+11", "6.92105E+11"]})
    )
    issues = check_scientific_notation(raw, ["amount"])
    assert _rows(issues, Severity.WARNING) == [2, 4]
    assert issues[1].value == "6.92105E+11"


def test_index_unit_switch_block(test_data: Path) -> None:
    # the fixture holds sh.000905's 2025-12 → 2026-01 rows: the last 10 have volume in 手
    frame = read_file(test_data / "csv" / "sh.000905.csv").frame  # clean rows only
    raw = read_file(test_data / "csv" / "sh.000905.csv")
    assert [x.row for x in raw.rejected] == list(range(16, 26))
    assert {(x.rule, x.column) for x in raw.rejected} == {("unit_switch", "volume")}
    assert "sh.000905.csv: row 16 (line 17) [000905.SH 2026-01-14], column volume" in str(raw.rejected[0])
    assert frame.height == 15
    issues = check_index_share_price(with_row_numbers(frame))
    assert issues == []
    # the rule itself, on the clean rows with rows 4-6 put into 手 (lots): exactly those rows are errors
    lots = with_row_numbers(frame).with_columns(
        pl.when(pl.col("_row").is_between(4, 6)).then(pl.col("volume") / 100).otherwise(pl.col("volume"))
    )
    found = check_index_share_price(lots)
    assert _rows(found, Severity.ERROR) == [4, 5, 6]


def test_leading_zero_run_and_price_jump() -> None:
    breadth = with_row_numbers(pl.DataFrame({"breadth": [0.0, 0.0, 0.0, 33.47, 27.45, 0.0]}))
    assert _rows(check_leading_zeros(breadth, "breadth")) == [
        1,
        2,
        3,
    ]  # the later 0.0 is a value, not warm-up
    close = with_row_numbers(
        pl.DataFrame({"close": [2.75, 2.784, 2.796, 8.719, 8.564]})
    )  # 510500.csv 2026-01
    assert _rows(check_price_jumps(close, "close")) == [4]


def test_index_required_columns_are_configurable(test_data: Path) -> None:
    frame = with_row_numbers(read_file(test_data / "csv" / "sh.000905.csv").frame)
    gap = frame.with_columns(
        pl.when(pl.col("_row") == 2).then(None).otherwise(pl.col("amount")).alias("amount")
    )
    default = [(i.rule, i.row, i.severity) for i in validate(gap, "index_daily")]
    assert default == [("missing", 2, Severity.WARNING)]
    strict = validate(gap, "index_daily", config=QualityConfig(index_required=("high", "amount")))
    assert [(i.rule, i.row, i.severity) for i in strict] == [("required", 2, Severity.ERROR)]
