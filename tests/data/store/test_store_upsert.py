"""Upsert semantics: idempotence, the changed-row count, partial columns, atomic batches, delete."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from thermoquant.data.store import Store, StoreError

D1, D2 = dt.date(2021, 1, 4), dt.date(2021, 1, 5)


def bars() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "symbol": ["000025.SZ", "000025.SZ", "600000.SH", "600000.SH"],
            "trade_date": [D1, D2, D1, D2],
            "open": [10.0, 10.2, 9.5, 9.6],
            "close": [10.1, 10.3, 9.6, 9.4],
            "volume": [1.0e6, 2.0e6, 3.0e6, None],
            "source": ["test"] * 4,
        }
    )


def test_reupsert_is_idempotent_and_counts_zero(store: Store) -> None:
    assert store.upsert("daily_quote", bars()) == 4
    before = store.read("daily_quote")
    assert store.upsert("daily_quote", bars()) == 0
    assert store.upsert("daily_quote", bars().reverse()) == 0
    assert store.read("daily_quote").equals(before)


def test_changed_rows_are_counted_and_written(store: Store) -> None:
    store.upsert("daily_quote", bars())
    changed = bars().with_columns(
        close=pl.when(pl.col("symbol") == "600000.SH").then(pl.col("close") + 0.01).otherwise(pl.col("close"))
    )
    assert store.upsert("daily_quote", changed) == 2
    # null → value counts as a change; a null over a value does not (it never erases: see the next test)
    assert store.upsert("daily_quote", changed.with_columns(volume=pl.lit(5.0))) == 4
    assert store.upsert("daily_quote", changed.with_columns(volume=pl.lit(None, pl.Float64))) == 0
    back = store.read("daily_quote", symbols=["600000.SH"])
    assert back["close"].to_list() == pytest.approx([9.61, 9.41])
    assert back["volume"].to_list() == [5.0, 5.0]


def test_a_null_never_erases_a_stored_value(store: Store) -> None:
    """Issue 13 §1: a later source without turnover / pre_close (a null column) leaves the stored values."""
    first = bars().with_columns(turnover=pl.Series([1.1, 1.2, 2.1, 2.2]), is_st=pl.lit(False))
    store.upsert("daily_quote", first)
    later = bars().with_columns(
        close=pl.col("close") + 0.5, turnover=pl.lit(None, pl.Float64), is_st=pl.lit(None, pl.Boolean)
    )
    assert store.upsert("daily_quote", later) == 4, "the closes changed"
    back = store.read("daily_quote")
    assert back["turnover"].to_list() == [1.1, 1.2, 2.1, 2.2]
    assert back["is_st"].to_list() == [False] * 4
    assert back["close"].to_list() == pytest.approx([10.6, 10.8, 10.1, 9.9])
    # a writer that must clear a value says so
    assert (
        store.upsert(
            "daily_quote", later.head(1).select("symbol", "trade_date", "turnover"), replace_nulls=True
        )
        == 1
    )
    assert store.read("daily_quote")["turnover"].to_list() == [None, 1.2, 2.1, 2.2]


def test_new_rows_mixed_with_unchanged(store: Store) -> None:
    store.upsert("daily_quote", bars().head(2))
    assert store.upsert("daily_quote", bars()) == 2
    assert store.read("daily_quote").height == 4


def test_absent_columns_untouched_on_update_null_on_insert(store: Store) -> None:
    store.upsert("daily_quote", bars())
    partial = pl.DataFrame(
        {"symbol": ["000025.SZ", "300750.SZ"], "trade_date": [D1, D1], "turnover": [1.5, 2.5]}
    )
    assert store.upsert("daily_quote", partial) == 2
    back = store.read("daily_quote", where={"trade_date": D1})
    old = back.filter(pl.col("symbol") == "000025.SZ").row(0, named=True)
    assert (old["open"], old["close"], old["turnover"], old["source"]) == (10.0, 10.1, 1.5, "test")
    new = back.filter(pl.col("symbol") == "300750.SZ").row(0, named=True)
    assert new["turnover"] == 2.5 and new["close"] is None and new["source"] is None


def test_key_only_frame_inserts_missing_keys(store: Store) -> None:
    keys = bars().select("symbol", "trade_date")
    assert store.upsert("daily_quote", keys) == 4
    assert store.upsert("daily_quote", keys) == 0


def test_failed_batch_leaves_no_partial_rows(store: Store) -> None:
    """The database itself rejects the 3rd row (malformed JSON) after accepting two: nothing is kept."""
    store.upsert("signals", _signals(['{"ok": 1}']))
    batch = _signals(['{"a": 1}', '{"b": 2}', "{not json", '{"d": 4}'])
    with pytest.raises(StoreError, match="signals failed, nothing written"):
        store.upsert("signals", batch)
    back = store.read("signals")
    assert back.height == 1 and back["details"].to_list() == ['{"ok": 1}']


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError), store._transaction() as tx:
        tx.execute("DELETE FROM schema_version")
        raise RuntimeError("boom")
    assert store.schema_version() == 1


def _signals(details: list[str]) -> pl.DataFrame:
    n = len(details)
    return pl.DataFrame(
        {
            "strategy": ["thermo"] * n,
            "symbol": [f"60000{i}.SH" for i in range(n)],
            "signal_time": [dt.datetime(2021, 1, 4, 15, 0)] * n,
            "signal": ["BUY"] * n,
            "details": details,
        }
    )


def test_delete(store: Store) -> None:
    store.upsert("daily_quote", bars())
    assert store.delete("daily_quote", {"symbol": "600000.SH", "trade_date": D2}) == 1
    assert store.delete("daily_quote", {"symbol": ["000025.SZ", "999999.SH"]}) == 2
    assert store.read("daily_quote").height == 1
    with pytest.raises(StoreError, match="refusing to delete every row"):
        store.delete("daily_quote", {})
    assert store.delete("daily_quote", {"volume": None}) == 0
    assert store.delete("daily_quote", {"symbol": "600000.SH"}) == 1
    assert store.read("daily_quote").height == 0


def test_execute_and_query(store: Store) -> None:
    store.upsert("daily_quote", bars())
    store.execute("UPDATE daily_quote SET source = ? WHERE symbol = ?", ["fixed", "600000.SH"])
    out = store.query(
        "SELECT symbol, count(*) AS n FROM daily_quote WHERE source = ? GROUP BY symbol", ["fixed"]
    )
    assert out.rows() == [("600000.SH", 2)]
    pct = store.query("SELECT '50%' AS p, ? AS q", ["x?"])
    assert pct.rows() == [("50%", "x?")]


def test_text_keys_and_values_compare_exactly(store: Store) -> None:
    """Case and trailing spaces make different keys and count as changes on every backend (MySQL/MariaDB use a
    byte-wise NO PAD collation; their defaults would fold case and ignore trailing spaces)."""
    names = pl.DataFrame({"symbol": ["abc", "ABC", "abc ", "ǅ"], "name": ["x", "x", "x", "x"]})
    assert store.upsert("stock_info", names) == 4
    assert store.read("stock_info").height == 4
    assert store.read("stock_info", where={"symbol": "abc"})["name"].to_list() == ["x"]
    assert store.upsert("stock_info", names.with_columns(name=pl.Series(["x", "X", "x ", "x"]))) == 2
    back = store.read("stock_info").sort("symbol")
    assert dict(zip(back["symbol"], back["name"], strict=True)) == {
        "ABC": "X",
        "abc": "x",
        "abc ": "x ",
        "ǅ": "x",
    }
