"""Issue 13 §1: a later import never destroys what is stored; lossy values and lower-ranked sources do not replace
better ones; two good sources that disagree are reported with both values.

The five layouts hold the same six real days of 000025.SZ (2021-01-04 → 2021-01-11): Baostock, Tushare, AKShare,
xbx and a Tongdaxin export (see tests/data/csv/README.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import polars as pl
import pytest

from thermoquant.data.merge import MergeConfig, merge_upsert, source_family
from thermoquant.data.sources.csv import ImportResult, import_paths, read_file, write_results
from thermoquant.data.store import Store, open_store

SAME_DAYS = (
    "sz.000025_2021-01.csv",
    "tushare_daily_000025.csv",
    "akshare_stock_zh_a_hist_000025.csv",
    "sz000025_xbx_2021-01.csv",
    "SZ#000025_2021-01.txt",
)
KEY = ["symbol", "trade_date"]


def _cells(store: Store) -> dict[tuple[str, dt.date, str], object]:
    """Every non-null stored value of daily_quote by (symbol, date, column)."""
    frame = store.read("daily_quote")
    out: dict[tuple[str, dt.date, str], object] = {}
    for row in frame.iter_rows(named=True):
        for col, value in row.items():
            if col not in KEY and value is not None:
                out[(row["symbol"], row["trade_date"], col)] = value
    return out


@pytest.fixture(scope="module")
def parsed(test_data: Path) -> dict[str, ImportResult]:
    results = {name: read_file(test_data / "csv" / name) for name in SAME_DAYS}
    for name, result in results.items():
        assert result.table == "daily_quote" and result.frame.height == 6, name
        assert not result.rejected, (name, [str(r) for r in result.rejected])
    return results


def test_every_layout_in_every_order_loses_nothing(parsed: dict[str, ImportResult]) -> None:
    """120 orders of five imports: no non-null stored value ever becomes null, and the end state is the same in
    every order (each value comes from the best-ranked source that has it)."""
    finals: list[pl.DataFrame] = []
    with open_store("duckdb:///:memory:") as store:
        for order in itertools.permutations(SAME_DAYS):
            store.delete("daily_quote", {"symbol": "000025.SZ"})
            for name in order:
                before = _cells(store)
                write_results([_fresh(parsed[name])], store)
                after = _cells(store)
                lost = [cell for cell in before if cell not in after]
                assert not lost, f"importing {name} after {order[: order.index(name)]} erased {lost[:3]}"
            finals.append(store.read("daily_quote"))
    assert all(f.equals(finals[0]) for f in finals[1:])
    final = finals[0]
    first = final.row(0, named=True)
    # Tushare (best rank) gives prices, pre_close, volume and amount; Baostock fills turnover and the ST flag that
    # Tushare lacks; xbx the share counts nobody else has.
    assert source_family(first["source"]) == "tushare"
    assert (first["close"], first["pre_close"], first["volume"], first["amount"]) == (
        17.2,
        16.9,
        pytest.approx(2805169.0),
        pytest.approx(48136702.0),
    )
    assert first["turnover"] == pytest.approx(0.7142) and first["is_st"] is False
    assert first["float_shares"] == pytest.approx(6755787104.0 / 17.2, rel=1e-6)
    assert final["turnover"].null_count() == 0 and final["pre_close"].null_count() == 0


def _fresh(result: ImportResult) -> ImportResult:
    """A copy of a parsed result that has not been written yet (write_results fills `written` and notes)."""
    return ImportResult(
        result.path,
        result.table,
        result.frame,
        list(result.rejected),
        result.layout,
        notes=list(result.notes),
        warnings=list(result.warnings),
        extra_tables=dict(result.extra_tables),
    )


def test_baostock_then_tushare_then_akshare_keeps_turnover_st_and_pre_close(
    tmp_store: Store, test_data: Path
) -> None:
    """The sequence of the issue: Tushare has no turnover, AKShare no pre_close; neither erases them."""
    csv = test_data / "csv"
    import_paths([csv / "sz.000025_2021-01.csv"], tmp_store)
    import_paths([csv / "tushare_daily_000025.csv"], tmp_store)
    import_paths([csv / "akshare_stock_zh_a_hist_000025.csv"], tmp_store)
    stored = tmp_store.read("daily_quote")
    assert stored.height == 6
    assert stored["turnover"].null_count() == 0 and stored["is_st"].null_count() == 0
    assert stored["pre_close"].to_list() == [16.9, 17.2, 16.91, 16.67, 16.21, 16.18]


def test_lossy_amount_never_replaces_a_precise_one(tmp_store: Store, test_data: Path) -> None:
    """000905.SH on 2019-02-19: Tushare's 105,704,251,188 stays; the file's 1.06E+11 does not replace it, in
    either order, and the lossy flag goes once the precise value is in."""
    csv = test_data / "csv"
    day = dt.date(2019, 2, 19)
    for order in (
        ["sh.000905.csv", "tushare_index_daily_000905_2019-02.csv"],
        ["tushare_index_daily_000905_2019-02.csv", "sh.000905.csv"],
    ):
        with open_store("duckdb:///:memory:") as store:
            results = [import_paths([csv / name], store)[0] for name in order]
            row = store.read("index_daily", where={"trade_date": day}).row(0, named=True)
            assert row["amount"] == pytest.approx(105_704_251_188.0, abs=1.0), order
            assert row["lossy"] in ("", None) and source_family(row["source"]) == "tushare"
            notes = " ".join(results[1].notes)
            assert (
                ("replaced 2 lossy" in notes) if order[0] == "sh.000905.csv" else ("kept 2 stored" in notes)
            )
    # alone, the lossy file's amount is stored and flagged
    import_paths([csv / "sh.000905.csv"], tmp_store)
    alone = tmp_store.read("index_daily", where={"trade_date": day}).row(0, named=True)
    assert alone["amount"] == 1.06e11 and alone["lossy"] == "amount"


def test_two_good_sources_that_disagree_are_reported_with_both_values(
    tmp_path: Path, test_data: Path
) -> None:
    """A close that differs by 0.05 CNY (inside the bar's range) between Tushare and an AKShare file: a warning names both values and
    sources; the better-ranked Tushare value is what the store keeps, whichever came first."""
    altered = tmp_path / "akshare_stock_zh_a_hist_000025.csv"
    text = (test_data / "csv" / "akshare_stock_zh_a_hist_000025.csv").read_text(encoding="utf-8")
    altered.write_text(
        text.replace("2021-01-04,000025,16.91,17.2,", "2021-01-04,000025,16.91,17.25,"), "utf-8"
    )
    tushare = test_data / "csv" / "tushare_daily_000025.csv"
    for order, warned in (([tushare, altered], 1), ([altered, tushare], 1)):
        with open_store("duckdb:///:memory:") as store:
            results = [import_paths([p], store)[0] for p in order]
            conflicts = [w for w in results[1].warnings if w.rule == "source_conflict"]
            assert len(conflicts) == warned and conflicts[0].column == "close"
            text = str(conflicts[0])
            assert "17.2" in text and "17.25" in text and "tushare:" in text and "akshare:" in text
            assert conflicts[0].key == "000025.SZ 2021-01-04"
            assert (
                store.read("daily_quote", where={"trade_date": dt.date(2021, 1, 4)})["close"].item() == 17.2
            )


def test_priority_is_configurable_per_table(test_data: Path) -> None:
    """With AKShare ranked first for daily_quote, its value wins over Tushare's."""
    cfg = MergeConfig(priority={"daily_quote": ["akshare", "tushare"]})
    tushare = read_file(test_data / "csv" / "tushare_daily_000025.csv").frame
    akshare = read_file(test_data / "csv" / "akshare_stock_zh_a_hist_000025.csv").frame
    with open_store("duckdb:///:memory:") as store:
        merge_upsert(store, "daily_quote", akshare, cfg)
        result = merge_upsert(store, "daily_quote", tushare, cfg)
        assert result.written == 6, "Tushare fills the pre_close AKShare lacks"
        stored = store.read("daily_quote")
        assert stored["volume"][0] == 2805200.0  # AKShare's whole 手, kept over Tushare's 2805169
        assert set(map(source_family, stored["source"].to_list())) == {"akshare"}
        assert stored["cell_sources"].to_list() == ["pre_close=tushare"] * 6
        assert stored["pre_close"].null_count() == 0
