"""`index_weight` quality rules: membership without weights (Baostock, qlib instruments) is stored, not
rejected.

Real data: the qlib CSI500 membership intervals (`qlib_instruments/csi500.txt.gz`: symbol, start, end, no
weights) shaped as `index_weight` rows, and the JerryZ CSI500 weight schedule (`sample/`) for rows that do
carry weights.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from thermoquant.data.quality import Severity, split_rejected, validate, with_row_numbers
from thermoquant.data.schema import get_table
from thermoquant.data.sources.csv import read_file
from thermoquant.data.store import Store


@pytest.fixture(scope="module")
def membership(real_data: Path) -> pl.DataFrame:
    """CSI500 membership intervals 2007 → 2025 as index_weight rows (weight null), in the table's schema."""
    raw = pl.read_csv(
        real_data / "qlib_instruments" / "csi500.txt.gz",
        separator="\t",
        has_header=False,
        new_columns=["code", "start", "end"],
    )
    rows = raw.select(
        pl.lit("000905.SH").alias("index_code"),
        pl.col("start").str.to_date("%Y-%m-%d").alias("effective_date"),
        (pl.col("code").str.slice(2) + "." + pl.col("code").str.slice(0, 2)).alias("symbol"),
        pl.lit("qlib").alias("source"),
    )
    schema = get_table("index_weight").polars_schema()
    return rows.select(
        [(pl.col(c) if c in rows.columns else pl.lit(None)).cast(t).alias(c) for c, t in schema.items()]
    )


def test_membership_only_rows_pass_with_one_warning(membership: pl.DataFrame) -> None:
    assert membership.height == 21_500 and membership["weight"].null_count() == membership.height
    issues = validate(membership, "index_weight")
    assert [(i.rule, i.severity, i.row) for i in issues] == [("membership_only", Severity.WARNING, None)]
    clean, rejected = split_rejected(with_row_numbers(membership), issues)
    assert clean.height == membership.height and rejected.is_empty()


def test_membership_only_rows_are_stored(membership: pl.DataFrame, tmp_store: Store) -> None:
    first_review = membership.filter(pl.col("effective_date") == pl.col("effective_date").min())
    issues = validate(first_review, "index_weight")
    clean, _ = split_rejected(with_row_numbers(first_review), issues)
    assert tmp_store.upsert("index_weight", clean.drop("_row")) == first_review.height
    back = tmp_store.read("index_weight")
    assert back.height == first_review.height and back["weight"].null_count() == back.height


def test_membership_only_file_imports(membership: pl.DataFrame, tmp_path: Path) -> None:
    # the Tushare index_weight header with the weight column left empty (a membership-only export)
    path = tmp_path / "csi500_members.csv"
    membership.head(300).select(
        pl.col("index_code"),
        pl.col("symbol").alias("con_code"),
        pl.col("effective_date").dt.strftime("%Y%m%d").alias("trade_date"),
        pl.lit("").alias("weight"),
    ).write_csv(path)
    result = read_file(path)
    assert result.layout == "index_weight_schedule" and result.rejected == []
    assert result.frame.height == 300 and result.frame["weight"].null_count() == 300
    assert [w.rule for w in result.warnings] == ["membership_only"]


def test_some_weights_empty_warn_and_bad_weights_reject(real_data: Path) -> None:
    weights = read_file(real_data / "sample" / "csi500_weights_2023-11_2024-12.csv").frame
    part = with_row_numbers(weights.head(500))
    bad = part.with_columns(
        pl.when(pl.col("_row") == 3)
        .then(None)
        .when(pl.col("_row") == 7)
        .then(150.0)
        .otherwise(pl.col("weight"))
        .alias("weight")
    )
    issues = validate(bad, "index_weight")
    assert [(i.rule, i.severity, i.row) for i in issues] == [
        ("missing", Severity.WARNING, 3),
        ("range", Severity.ERROR, 7),
    ]
    clean, rejected = split_rejected(bad, issues)
    assert rejected["_row"].to_list() == [7] and clean.height == 499
