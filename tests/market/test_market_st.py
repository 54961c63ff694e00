"""ST status by date and by name."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from thermoquant.market.limits import limit_pcts
from thermoquant.market.st import is_st_name, st_flags, st_history_from_flags, st_name_flags, st_name_kinds
from thermoquant.market.symbols import board_expr, normalize_symbols

D = dt.date


def test_names() -> None:
    names = ["ST康美", "*ST海航", " ＊ST东电", "SST前锋", "S*ST聚友", "平安银行", "S佛照", None, ""]
    expected = [True, True, True, True, True, False, False, False, False]
    assert [is_st_name(n) for n in names] == expected
    assert st_name_flags(pl.Series(names)).to_list() == expected


def test_st_flags_intervals_open_and_nested() -> None:
    history = pl.DataFrame(
        {
            "symbol": ["600000.SH", "600000.SH", "000001.SZ"],
            "start_date": [D(2020, 1, 1), D(2020, 3, 1), D(2021, 1, 1)],
            "end_date": [D(2020, 12, 31), D(2020, 4, 30), None],
            "kind": ["ST", "*ST", "ST"],
        }
    )
    frame = pl.DataFrame(
        {
            "symbol": [
                "600000.SH",
                "600000.SH",
                "600000.SH",
                "600000.SH",
                "000001.SZ",
                "000001.SZ",
                "300750.SZ",
            ],
            "date": [
                D(2019, 12, 31),
                D(2020, 3, 15),
                D(2020, 6, 1),
                D(2021, 1, 4),
                D(2020, 12, 31),
                D(2025, 1, 2),
                D(2021, 1, 4),
            ],
        }
    )
    out = st_flags(frame, history)
    assert out.columns == ["symbol", "date", "is_st", "st_kind"]
    assert out["is_st"].to_list() == [False, True, True, False, False, True, False]
    assert out["st_kind"].to_list() == [None, "*ST", None, None, None, "ST", None]


def test_baostock_isst_round_trip_and_limits(real_data) -> None:
    """Real Baostock isST flags → intervals → flags again, and 5% limits on exactly those days."""
    bars = pl.read_parquet(
        real_data / "baostock_hs300" / "hs300_members_2020-01_2025-04.parquet",
        columns=["date", "code", "isST"],
    ).with_columns(pl.col("code").cast(pl.Utf8), pl.col("date").cast(pl.Date))
    bars = bars.with_columns(normalize_symbols(bars["code"]))
    history = st_history_from_flags(bars, flag_col="isST")
    assert set(history["symbol"]) == {"000408.SZ", "000792.SZ", "600515.SH"}
    flags = st_flags(bars.select("symbol", "date"), history)
    assert (flags["is_st"] == (bars["isST"] == 1)).all()
    flags = flags.with_columns(board_expr())
    up, _ = limit_pcts(flags["board"].to_numpy(), flags["date"].to_numpy(), flags["is_st"].to_numpy())
    st_days = flags["is_st"].to_numpy() & (flags["date"].to_numpy() < np.datetime64("2025-07-07"))
    assert st_days.sum() > 700  # not vacuous: the three stocks were ST on hundreds of days
    assert np.all(up[st_days] == 0.05)
    assert np.all(up[~flags["is_st"].to_numpy()] > 0.05)


def test_history_from_daily_names_splits_on_kind() -> None:
    """Daily names → kinds → intervals; 'ST' then '*ST' are two intervals, a clean name ends the run."""
    days = [D(2021, 3, 1), D(2021, 3, 2), D(2021, 3, 3), D(2021, 3, 4), D(2021, 3, 5), D(2021, 3, 8)]
    names = ["康美药业", "ST康美", "ST康美", "*ST康美", "*ST康美", "康美药业"]
    daily = pl.DataFrame({"symbol": ["600518.SH"] * 6, "date": days, "name": names})
    daily = daily.with_columns(st_name_kinds(daily["name"]), st_name_flags(daily["name"]))
    assert daily["st_kind"].to_list() == [None, "ST", "ST", "*ST", "*ST", None]
    history = st_history_from_flags(daily, kind_col="st_kind")
    assert history.rows() == [
        ("600518.SH", D(2021, 3, 2), D(2021, 3, 3), "ST"),
        ("600518.SH", D(2021, 3, 4), D(2021, 3, 5), "*ST"),
    ]
    back = st_flags(daily.select("symbol", "date"), history)
    assert back["st_kind"].to_list() == daily["st_kind"].to_list()
    assert back["is_st"].to_list() == daily["is_st"].to_list()
    assert st_name_kinds(pl.Series(["S*ST聚友", "SST前锋", "＊ST东电"])).to_list() == ["S*ST", "SST", "*ST"]
