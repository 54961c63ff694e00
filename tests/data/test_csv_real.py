"""The seed-004 files and every sample file of ../shared/data/real: imported, with the MANIFEST defects
flagged.

Row numbers are 1-based data rows of the file, header not counted (data row n is on line n + 1).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from thermoquant.data.sources.csv import ImportResult, read_file

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def live(real_data: Path) -> Path:
    return real_data / "jerryz_csi500" / "live"


def _rows(result: ImportResult, rule: str, warnings: bool = False) -> list[int]:
    issues = result.warnings if warnings else result.rejected
    return [i.row for i in issues if i.rule == rule and i.row is not None]


@pytest.mark.parametrize("name", ["sh.000905.csv", "CSI500_Master_Strategy.csv"])
def test_volume_unit_switch_in_2026_rows(live: Path, name: str) -> None:
    r = read_file(live / name)
    assert r.table == "index_daily"
    # data rows 1707-1716 = 2026-01-14 … 2026-01-27: volume in 手, amount/volume ≈ 1,930 instead of ≈ 19
    assert _rows(r, "unit_switch") == list(range(1707, 1717))
    assert r.rejected[0].key == "000905.SH 2026-01-14" and r.rejected[-1].key == "000905.SH 2026-01-27"
    switch = [w for w in r.warnings if w.rule == "unit_switch" and w.row is None]
    assert len(switch) == 1 and "data row 1707 (2026-01-14)" in switch[0].reason and "×99" in switch[0].reason
    assert r.frame.height == 1716 - 10
    assert r.frame["trade_date"].max() == date(2026, 1, 13)
    assert r.frame["index_code"].unique().to_list() == ["000905.SH"]
    # every other row is in shares: 2019-01-02 volume 4,749,444,864 shares
    assert r.frame.row(0, named=True)["volume"] == 4_749_444_864


def test_volume_unit_switch_repaired_on_request(live: Path) -> None:
    r = read_file(live / "sh.000905.csv", repair_units=True)
    assert _rows(r, "unit_switch") == []
    assert _rows(r, "unit_repaired", warnings=True) == list(range(1707, 1717))
    last = r.frame.filter(pl.col("trade_date") == date(2026, 1, 27)).row(0, named=True)
    assert last["volume"] == 275_172_336 * 100


def test_scientific_notation_amounts_are_reported(live: Path) -> None:
    r = read_file(live / "sh.000905.csv")
    sci = [w for w in r.warnings if w.rule == "sci_notation"]
    assert len(sci) == 1460
    rows = {w.row for w in sci}
    assert 30 in rows and 1716 in rows  # '1.06E+11' (2019-02-19) and '5.57322E+11' (2026-01-27)
    assert 1 not in rows and 31 not in rows  # 35572462336 and an exact amount are written out in full
    first = next(w for w in sci if w.row == 30)
    assert (first.column, first.value) == ("amount", "1.06E+11") and "9 digits" in first.reason
    # stored (a warning), not rejected
    assert r.frame.filter(pl.col("trade_date") == date(2019, 2, 19))["amount"].item() == 1.06e11


def test_breadth_warmup_zeros_are_rejected(live: Path) -> None:
    r = read_file(live / "csi500_breadth_daily.csv")
    assert r.table is None and r.layout == "jerryz_breadth"
    assert _rows(r, "warmup_zero") == list(range(1, 20))  # 2019-01-02 … 2019-01-28 are 0.0
    breadth = r.reference["breadth"]
    assert breadth.height == 1717 - 19
    assert breadth.row(0, named=True)["trade_date"] == date(2019, 1, 29)
    assert breadth["breadth"][0] == 33.47


def test_etf_close_series_break_is_reported(live: Path) -> None:
    r = read_file(live / "510500.csv")
    assert r.table is None
    breaks = [w for w in r.warnings if w.rule == "series_break"]
    assert [w.row for w in breaks] == [1714]  # 2026-01-23: upstream appended raw prices (2.796 → 8.719)
    ref = r.reference["etf_close_turnover"]
    assert ref["symbol"].unique().to_list() == ["510500.SH"]


def test_master_strategy_etf_turnover_kept_as_reference(live: Path) -> None:
    r = read_file(live / "CSI500_Master_Strategy.csv")
    assert r.layout == "jerryz_master_strategy"
    assert "etf_turnover_pct" not in r.frame.columns  # not a column of index_daily
    ref = r.reference["etf_turnover"]
    assert ref.height == 1716 - 10  # the unit-switch rows are rejected with their bars
    first = ref.row(0, named=True)
    assert (first["symbol"], first["trade_date"], first["etf_turnover_pct"]) == (
        "000905.SH",
        date(2019, 1, 2),
        1.03,
    )


def test_every_sample_file_imports(real_data: Path) -> None:
    expected = {
        "csi500_constituents_close_2023-11_2024-12.parquet": (None, 0),
        "csi500_index_daily_2005_2026.csv": ("index_daily", 5140),
        "csi500_strategy_reference_2019_2026.csv": ("index_daily", 1738),
        "csi500_weights_2023-11_2024-12.csv": ("index_weight", 8500),
        "etf_510500_daily_2013_2026.csv": ("etf_daily", 3172),
        "etf_510500_fd_share_implied_2019_2026.csv": ("fund_share", 1738),
        "stock_000025_2014_2016_baostock_unadjusted.csv": ("daily_quote", 733),
        "stock_603083_2022_2024_raw_with_turnover_approx.csv": ("daily_quote", 726),
    }
    seen = {}
    for path in sorted((real_data / "sample").iterdir()):
        r = read_file(path)
        assert r.rejected == [], (path.name, r.rejected[:3])
        seen[path.name] = (r.table, r.frame.height)
    assert seen == expected


def test_sample_units_and_previous_day_fd_share(real_data: Path) -> None:
    idx = read_file(real_data / "sample" / "csi500_index_daily_2005_2026.csv").frame
    row = idx.filter(pl.col("trade_date") == date(2015, 6, 12)).row(0, named=True)
    assert row["close"] == 11545.89  # MANIFEST spot check
    first = idx.row(0, named=True)
    assert (first["volume"], first["amount"]) == (232_376_200, 1_329_187_122)
    fd = read_file(real_data / "sample" / "etf_510500_fd_share_implied_2019_2026.csv").frame
    # the 2019-01-02 row holds the fd_share of the previous trading day, 2018-12-28, in 万份
    first_fd = fd.row(0, named=True)
    assert (first_fd["symbol"], first_fd["trade_date"]) == ("510500.SH", date(2018, 12, 28))
    assert first_fd["fd_share"] == pytest.approx(749_346.93e4)
    # across the 2019 Spring Festival: the 2019-02-11 row belongs to 2019-02-01 (XSHG calendar)
    after_holiday = fd.filter(pl.col("trade_date") == date(2019, 2, 1))["fd_share"].item()
    implied = pl.read_csv(real_data / "sample" / "etf_510500_fd_share_implied_2019_2026.csv")
    row = implied.filter(pl.col("date") == "2019-02-11")["implied_fd_share_prev_day_10k"].item()
    assert after_holiday == pytest.approx(row * 1e4)
    qfq = read_file(real_data / "sample" / "csi500_constituents_close_2023-11_2024-12.parquet")
    assert qfq.reference["close_qfq"].height == 170_715
    assert qfq.reference["close_qfq"]["close"].null_count() == 235  # suspension placeholders kept on purpose


def test_weights_schedule_effective_dates(real_data: Path) -> None:
    r = read_file(real_data / "sample" / "csi500_weights_2023-11_2024-12.csv")
    first = r.frame.filter(pl.col("effective_date") == date(2023, 11, 1))
    assert first.height == 500
    assert first["snapshot_date"].unique().to_list() == [date(2023, 10, 31)]
    assert first.filter(pl.col("symbol") == "300308.SZ")["weight"].item() == 0.901
