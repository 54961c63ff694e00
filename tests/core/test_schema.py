"""The schema: every table the seeds and issues name exists, with keys and a unit or meaning on every column."""

from __future__ import annotations

import polars as pl
import pytest

from thermoquant.data.schema import TABLES, get_table

SEED_TABLES = {
    "stock_info",
    "daily_quote",
    "minute_quote",
    "finance_data",
    "funds_flow",
    "signals",
    "trades",
    "backtest_log",
    "alerts_log",
}
DATA_TABLES = {
    "index_daily",
    "etf_daily",
    "fund_share",
    "index_weight",
    "adj_factor",
    "industry_member",
    "param_pack",
    "job_log",
    "audit_log",
    "schema_version",
}


def test_every_named_table_exists() -> None:
    assert set(TABLES) >= SEED_TABLES | DATA_TABLES


@pytest.mark.parametrize("name", sorted(TABLES))
def test_table_has_key_and_documented_columns(name: str) -> None:
    table = TABLES[name]
    assert table.primary_key, name
    for col in table.columns:
        assert col.doc.strip(), f"{name}.{col.name} has no description"
        if col.name in table.primary_key:
            assert not col.nullable, f"{name}.{col.name} is a key but nullable"
    schema = table.polars_schema()
    assert list(schema) == table.column_names


def test_money_and_volume_columns_state_their_units() -> None:
    quote = get_table("daily_quote")
    assert quote.column("volume").unit == "shares"
    assert quote.column("amount").unit == "CNY"
    assert quote.column("turnover").unit == "%"
    assert quote.polars_schema()["trade_date"] == pl.Date()


def test_unknown_table_error_lists_known_tables() -> None:
    with pytest.raises(KeyError, match="daily_quote"):
        get_table("daily_quotes")
