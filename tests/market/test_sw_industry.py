"""Shenwan snapshots: both real files import, 2014 names map onto 2021 level 1, and the snapshot in force is used."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from thermoquant.data.sources.csv import import_paths, read_file
from thermoquant.data.sources.sample import sample_path
from thermoquant.market.sw_industry import SW2021, SW2021_L1, map_sw2014, members_on

SW2014_FILE = "sw2014_l1_l3_stock_industry_2019.csv"
SW2021_FILE = "sw2021_l1_stock_industry_2024.csv"


def test_map_sw2014_renames_and_level3_moves() -> None:
    assert map_sw2014("化工", "氯碱") == "基础化工"
    assert map_sw2014("化工", "石油加工") == "石油石化"
    assert map_sw2014("公用事业", "水务") == "环保"
    assert map_sw2014("公用事业", "火电") == "公用事业"
    assert map_sw2014("采掘", "煤炭开采") == "煤炭"
    assert map_sw2014("银行") == "银行"
    with pytest.raises(ValueError, match="not a Shenwan 2014"):
        map_sw2014("元宇宙")
    assert len(SW2021_L1) == 31


def test_both_real_snapshots_import_and_agree_on_most_common_stocks(tmp_store) -> None:
    results = import_paths([sample_path(SW2014_FILE), sample_path(SW2021_FILE)], tmp_store)
    assert [r.rejected for r in results] == [[], []]
    rows = tmp_store.read("industry_member")
    counts = dict(rows.group_by("classification").len().iter_rows())
    assert counts == {"sw2014_l1": 3788, SW2021: 3788 + 5356}
    assert set(rows.filter(pl.col("classification") == SW2021)["industry_name"]) == set(SW2021_L1.values())
    old = members_on(rows, dt.date(2021, 6, 30))
    new = members_on(rows, dt.date(2024, 6, 28))
    assert old.filter(pl.col("symbol") == "000025.SZ")["industry_name"].item() == "汽车"  # 2019: 汽车服务
    assert new.filter(pl.col("symbol") == "000025.SZ")["industry_name"].item() == "综合"
    assert new["start_date"].value_counts().sort("start_date")["count"].to_list() == [3788 - 3562, 5356]
    both = old.filter(~pl.col("backfilled")).join(
        new.filter(pl.col("start_date").dt.year() == 2024), on="symbol", suffix="_new"
    )
    assert both.height == 3562  # MANIFEST §11: stocks in both snapshots
    same = (both["industry_name"] == both["industry_name_new"]).mean()
    assert same > 0.86, same  # 86.4 %: the rest are real reclassifications between 2019 and 2024


def test_members_on_uses_snapshot_in_force_and_backfills() -> None:
    rows = pl.DataFrame(
        {
            "symbol": ["A.SH", "A.SH", "B.SH", "C.SH"],
            "classification": [SW2021] * 4,
            "start_date": [
                dt.date(2019, 10, 6),
                dt.date(2024, 3, 22),
                dt.date(2024, 3, 22),
                dt.date(2010, 1, 1),
            ],
            "end_date": [None, None, None, dt.date(2015, 1, 1)],
            "industry_code": ["801780", "801180", "801080", None],
            "industry_name": ["银行", "房地产", "电子", "综合"],
        }
    )
    day = dt.date(2021, 1, 4)
    on = members_on(rows, day)
    assert on.select("symbol", "industry_name", "backfilled").rows() == [
        ("A.SH", "银行", False),
        ("B.SH", "电子", True),
    ]
    assert members_on(rows, day, backfill=False)["symbol"].to_list() == ["A.SH"]
    assert members_on(rows, dt.date(2012, 1, 1), backfill=False)["symbol"].to_list() == ["C.SH"]


def test_unknown_industry_name_is_a_row_error(tmp_path) -> None:
    bad = tmp_path / "sw.csv"
    bad.write_text("stock_code,stock_name,sw_industry_code,sw_industry_name\n600519.SH,贵州茅台,1,食品饮料\n"
                   "000001.SZ,平安银行,1,元宇宙\n", encoding="utf-8")  # fmt: skip
    result = read_file(bad)
    assert result.frame.height == 1
    assert [(i.row, i.column) for i in result.rejected] == [(2, "industry_name")]
