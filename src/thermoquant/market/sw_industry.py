"""Shenwan (申万) industry classification: the 2021 level-1 names, the 2014 → 2021 name mapping, and which
membership is in force on a day.

Classifications stored in ``industry_member.classification``:

* ``sw2021_l1`` — Shenwan 2021 level 1 (31 industries, :data:`SW2021_L1`). Snapshots of older vintages are stored
  under this classification too, their names mapped by :func:`map_sw2014`, so one key answers "which industry".
* ``sw2014_l1`` — the original 2014 level-1 name of a 2014 snapshot, kept as read (audit trail).

Mapping 2014 → 2021 (:func:`map_sw2014`): the level-1 renames of the 2021 revision (化工→基础化工, 电气设备→电力设备,
商业贸易→商贸零售, 休闲服务→社会服务, 纺织服装→纺织服饰, 采掘→煤炭) and, where the 2021 revision moved a
whole level-3 branch to another level-1 industry, the level-3 name decides (:data:`SW2014_L3_MOVES`: 水务 and
环保工程及服务 → 环保, 石油加工 → 石油石化, 日用化学产品 → 美容护理, 轮胎 → 汽车 …). The moves were read off the two real
snapshots (MANIFEST §11: 3,562 stocks in both, a branch is listed when most of its stocks moved together);
single-stock reclassifications cannot be mapped and are not.

Point in time (:func:`members_on`): a snapshot row (``start_date`` = the snapshot's date, ``end_date`` null) is in
force from its date until the stock's next snapshot; a dated membership (``end_date`` set, e.g. Tushare
``index_member`` out_date) until its end. Before a stock's first snapshot, ``backfill=True`` uses that first
snapshot (the classification a backtest of 2015 can have; stated in the result's ``backfilled`` column).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

SW2021 = "sw2021_l1"
SW2014 = "sw2014_l1"

#: Shenwan 2021 level-1 index code → name (申万一级行业指数, Tushare ``801010.SI`` style without suffix).
SW2021_L1: dict[str, str] = {
    "801010": "农林牧渔", "801030": "基础化工", "801040": "钢铁", "801050": "有色金属", "801080": "电子",
    "801110": "家用电器", "801120": "食品饮料", "801130": "纺织服饰", "801140": "轻工制造", "801150": "医药生物",
    "801160": "公用事业", "801170": "交通运输", "801180": "房地产", "801200": "商贸零售", "801210": "社会服务",
    "801230": "综合", "801710": "建筑材料", "801720": "建筑装饰", "801730": "电力设备", "801740": "国防军工",
    "801750": "计算机", "801760": "传媒", "801770": "通信", "801780": "银行", "801790": "非银金融",
    "801880": "汽车", "801890": "机械设备", "801950": "煤炭", "801960": "石油石化", "801970": "环保",
    "801980": "美容护理",
}  # fmt: skip
SW2021_CODE: dict[str, str] = {name: code for code, name in SW2021_L1.items()}

#: SW2014 level-1 names renamed in 2021 (the other 2014 names are kept as they are).
SW2014_L1_RENAMES: dict[str, str] = {
    "化工": "基础化工",
    "电气设备": "电力设备",
    "商业贸易": "商贸零售",
    "休闲服务": "社会服务",
    "纺织服装": "纺织服饰",
    "采掘": "煤炭",
}

#: SW2014 level-3 branches that the 2021 revision moved to another level-1 industry.
SW2014_L3_MOVES: dict[str, str] = {
    "水务": "环保",
    "环保工程及服务": "环保",
    "环保设备": "环保",
    "石油加工": "石油石化",
    "石油贸易": "石油石化",
    "石油开采": "石油石化",
    "油气钻采服务": "石油石化",
    "日用化学产品": "美容护理",
    "玻纤": "建筑材料",
    "轮胎": "汽车",
    "内燃机": "汽车",
    "工控自动化": "机械设备",
    "珠宝首饰": "纺织服饰",
    "其他文化传媒": "社会服务",
    "其他采掘": "钢铁",
    "其他采掘服务": "有色金属",
}


def map_sw2014(l1: str, l3: str | None = None) -> str:
    """SW2021 level-1 name of a stock classified ``l1`` (level 1) / ``l3`` (level 3) under SW2014.

    Raises:
        ValueError: ``l1`` is not a SW2014 level-1 name.
    """
    if l3 is not None and l3 in SW2014_L3_MOVES:
        return SW2014_L3_MOVES[l3]
    name = SW2014_L1_RENAMES.get(l1, l1)
    if name not in SW2021_CODE:
        raise ValueError(f"{l1!r} is not a Shenwan 2014 level-1 industry")
    return name


def map_sw2014_frame(l1: pl.Series, l3: pl.Series) -> pl.Series:
    """:func:`map_sw2014` over two columns; null where ``l1`` is not a SW2014 level-1 name."""
    known = set(SW2021_CODE) | set(SW2014_L1_RENAMES)
    out = [map_sw2014(a, b) if a in known else None for a, b in zip(l1.to_list(), l3.to_list(), strict=True)]
    return pl.Series("industry_name", out, dtype=pl.Utf8)


def members_on(
    members: pl.DataFrame, day: dt.date, classification: str = SW2021, *, backfill: bool = True
) -> pl.DataFrame:
    """(symbol, industry_name, industry_code, start_date, backfilled) in force on ``day``.

    ``members`` holds ``industry_member`` rows (any classifications). Per symbol: the row with the latest
    ``start_date <= day`` whose ``end_date`` is null or ``>= day``; with ``backfill``, a symbol whose rows all
    start after ``day`` takes its earliest row (``backfilled`` = true). See the module docstring.
    """
    rows = members.filter(pl.col("classification") == classification)
    cols = ["symbol", "industry_name", "industry_code", "start_date", "end_date"]
    rows = rows.select(cols)
    live = rows.filter(
        (pl.col("start_date") <= day) & (pl.col("end_date").is_null() | (pl.col("end_date") >= day))
    )
    current = (
        live.sort("start_date").group_by("symbol").last().with_columns(pl.lit(False).alias("backfilled"))
    )
    if backfill:
        future = rows.filter(pl.col("start_date") > day).join(
            current.select("symbol"), on="symbol", how="anti"
        )
        early = (
            future.sort("start_date")
            .group_by("symbol")
            .first()
            .with_columns(pl.lit(True).alias("backfilled"))
        )
        current = pl.concat([current, early])
    return current.drop("end_date").sort("symbol")


def industry_asof(
    keys: pl.DataFrame, members: pl.DataFrame, classification: str = SW2021, *, backfill: bool = True
) -> pl.DataFrame:
    """``keys`` (symbol, trade_date) with ``industry_name`` in force on each row's day, by the rules of
    :func:`members_on` (latest start on or before the day, not ended; else the first later one with
    ``backfill``). Vectorised (as-of joins), for whole panels."""
    rows = (
        members.filter(pl.col("classification") == classification)
        .select("symbol", "start_date", "end_date", "industry_name")
        .sort("symbol", "start_date")
    )
    k = keys.with_row_index("_k").sort("symbol", "trade_date")
    back = k.join_asof(
        rows,
        left_on="trade_date",
        right_on="start_date",
        by="symbol",
        strategy="backward",
        check_sortedness=False,
    )
    ended = pl.col("end_date").is_not_null() & (pl.col("end_date") < pl.col("trade_date"))
    back = back.with_columns(
        pl.when(ended).then(None).otherwise(pl.col("industry_name")).alias("industry_name")
    )
    if backfill:
        fwd = k.join_asof(
            rows.select("symbol", "start_date", pl.col("industry_name").alias("_next")),
            left_on="trade_date", right_on="start_date", by="symbol", strategy="forward", check_sortedness=False,
        )  # fmt: skip
        back = back.join(fwd.select("_k", "_next"), on="_k").with_columns(
            pl.when(pl.col("start_date").is_null()).then(pl.col("_next")).otherwise(pl.col("industry_name"))
            .alias("industry_name")
        )  # fmt: skip
    return back.sort("_k").select(*keys.columns, "industry_name")
