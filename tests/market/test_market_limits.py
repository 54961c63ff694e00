"""Price limits: dated rules, rounding, and real limit-up / limit-down bars."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from thermoquant.market.limits import (
    limit_pct,
    limit_pcts,
    limit_price,
    limit_prices,
    limit_prices_by_row,
    price_limits,
    with_limit_prices,
)
from thermoquant.market.symbols import Board, board_expr, normalize_symbols

D = dt.date

# (board, date, is_st, listing_date, expected (up, down) ratio)
PCT_CASES = [
    (Board.SH_MAIN, D(2021, 6, 1), False, None, (0.10, 0.10)),
    (Board.SH_MAIN, D(2021, 6, 1), True, None, (0.05, 0.05)),
    (Board.SZ_MAIN, D(2025, 7, 4), True, None, (0.05, 0.05)),
    (Board.SZ_MAIN, D(2025, 7, 7), True, None, (0.10, 0.10)),  # main-board risk-warning 5% -> 10%
    (Board.CHINEXT, D(2020, 8, 21), False, None, (0.10, 0.10)),
    (Board.CHINEXT, D(2020, 8, 24), False, None, (0.20, 0.20)),
    (Board.CHINEXT, D(2020, 8, 21), True, None, (0.05, 0.05)),
    (Board.CHINEXT, D(2020, 8, 24), True, None, (0.20, 0.20)),
    (Board.STAR, D(2019, 7, 22), False, None, (0.20, 0.20)),
    (Board.STAR, D(2019, 7, 19), False, None, (None, None)),  # before the STAR market existed
    (Board.BSE, D(2021, 11, 16), False, None, (0.30, 0.30)),
    (Board.ETF, D(2021, 11, 16), False, None, (0.10, 0.10)),
    (Board.INDEX, D(2021, 11, 16), False, None, (None, None)),
    # listing-day rules
    (Board.STAR, D(2020, 7, 22), False, D(2020, 7, 16), (None, None)),  # 688981 day 5
    (Board.STAR, D(2020, 7, 23), False, D(2020, 7, 16), (0.20, 0.20)),  # day 6
    (Board.CHINEXT, D(2020, 5, 12), False, D(2020, 5, 12), (0.44, 0.36)),  # pre-reform listing day
    (Board.CHINEXT, D(2020, 5, 13), False, D(2020, 5, 12), (0.10, 0.10)),
    (Board.CHINEXT, D(2021, 9, 17), False, D(2021, 9, 13), (None, None)),  # 301060 day 5
    (Board.CHINEXT, D(2021, 9, 22), False, D(2021, 9, 13), (0.20, 0.20)),  # day 6 (holiday 9-20/21)
    (Board.SH_MAIN, D(2021, 6, 10), False, D(2021, 6, 10), (0.44, 0.36)),
    (Board.SH_MAIN, D(2023, 4, 14), False, D(2023, 4, 10), (None, None)),  # registration reform: day 5
    (Board.SH_MAIN, D(2023, 4, 17), False, D(2023, 4, 10), (0.10, 0.10)),
    (Board.SH_MAIN, D(2023, 4, 10), False, D(2023, 4, 7), (0.10, 0.10)),  # listed under old rule, day 2
    (Board.BSE, D(2021, 11, 15), False, D(2021, 11, 15), (None, None)),
    (Board.BSE, D(2021, 11, 16), False, D(2021, 11, 15), (0.30, 0.30)),
]


@pytest.mark.parametrize(("board", "date", "is_st", "listed", "expected"), PCT_CASES)
def test_limit_pct_table(
    board: Board, date: dt.date, is_st: bool, listed: dt.date | None, expected: tuple
) -> None:
    assert limit_pct(board, date, is_st=is_st, listing_date=listed) == expected


# Real bars: (symbol, date, prev_close, real price at the limit, which side, is_st, listing_date)
REAL_LIMIT_BARS = [
    ("300059.SZ", D(2020, 2, 20), 15.76, 17.34, "up", False, None),  # ChiNext 10% before the reform
    ("300442.SZ", D(2020, 11, 12), 26.68, 32.02, "up", False, None),  # ChiNext 20% after
    ("300832.SZ", D(2020, 5, 12), 31.39, 45.20, "up", False, D(2020, 5, 12)),  # ChiNext IPO +44%
    ("600905.SH", D(2021, 6, 10), 2.65, 3.82, "up", False, D(2021, 6, 10)),  # 三峡能源 IPO +44%
    ("000408.SZ", D(2020, 6, 2), 5.71, 6.00, "up", True, None),  # ST 5%: 5.9955 -> 6.00
    ("000408.SZ", D(2020, 5, 8), 3.91, 3.71, "down", True, None),  # ST 5%: 3.7145 -> 3.71
    ("430047.BJ", D(2021, 12, 13), 20.06, 26.08, "up", False, None),  # BSE 30%: 26.078 -> 26.08
    ("688981.SH", D(2020, 7, 23), 78.63, 94.36, "up", False, D(2020, 7, 16)),  # computed; high was 79.72
]


@pytest.mark.parametrize(
    ("symbol", "date", "prev_close", "price", "side", "is_st", "listed"), REAL_LIMIT_BARS
)
def test_real_limit_prices(
    symbol: str,
    date: dt.date,
    prev_close: float,
    price: float,
    side: str,
    is_st: bool,
    listed: dt.date | None,
) -> None:
    up, down = price_limits(symbol, prev_close, date, is_st=is_st, listing_date=listed)
    assert (up if side == "up" else down) == price


def test_star_listing_days_have_no_limit() -> None:
    """中芯国际 688981 listed 2020-07-16 at 27.46 and traded up to 95.00 (+246%) that day."""
    assert price_limits("688981.SH", 27.46, D(2020, 7, 16), listing_date=D(2020, 7, 16)) == (None, None)
    for day in (D(2020, 7, 17), D(2020, 7, 20), D(2020, 7, 21), D(2020, 7, 22)):
        assert price_limits("688981.SH", 80.0, day, listing_date=D(2020, 7, 16)) == (None, None)


ROUNDING = [
    (10.05, 0.10, 11.06, 9.05),  # 11.055 (float 11.055000000000001) and 9.045 both round half up
    (1.15, 0.10, 1.27, 1.04),  # 1.265 / 1.035
    (5.71, 0.05, 6.00, 5.42),  # 5.9955 / 5.4245
    (0.19, 0.10, 0.21, 0.17),  # 0.209 / 0.171
    (0.01, 0.10, 0.01, 0.01),  # the down limit never drops below one tick
    (192.23, 0.20, 230.68, 153.78),
    (27.46, 0.20, 32.95, 21.97),
]


@pytest.mark.parametrize(("prev_close", "pct", "up", "down"), ROUNDING)
def test_rounding_half_up_on_tick(prev_close: float, pct: float, up: float, down: float) -> None:
    assert limit_price(prev_close, pct) == (up, down)


def test_etf_tick_is_a_tenth_of_a_cent() -> None:
    assert limit_price(6.123, 0.10, tick=0.001) == (6.735, 5.511)
    up, down = price_limits("510500.SH", 6.123, D(2021, 6, 1))
    assert (up, down) == (6.735, 5.511)
    with pytest.raises(ValueError, match="tick"):
        limit_price(6.0, 0.1, tick=0.003)


def test_limit_prices_vectorised_matches_exact_decimal_rounding() -> None:
    """Against Python's Decimal over every price 0.01..300.00 CNY, for every ratio in use."""
    from decimal import ROUND_HALF_UP, Decimal

    cents = np.arange(1, 30001)
    prev = cents / 100.0
    for pct in (0.05, 0.10, 0.20, 0.30, 0.44):
        up, down = limit_prices(prev, pct)
        step = max(1, len(cents) // 3000)
        for i in range(0, len(cents), step):
            exact = Decimal(int(cents[i])) / 100
            exp_up = (exact * (1 + Decimal(str(pct)))).quantize(Decimal("0.01"), ROUND_HALF_UP)
            exp_down = max(
                (exact * (1 - Decimal(str(pct)))).quantize(Decimal("0.01"), ROUND_HALF_UP), Decimal("0.01")
            )
            assert up[i] == float(exp_up) and down[i] == float(exp_down), (prev[i], pct)


def test_limit_prices_shapes_and_nan() -> None:
    prev = np.array([[10.0, np.nan], [0.0, 20.0]])
    pct = np.array([[0.1, 0.1], [0.1, np.nan]])
    up, down = limit_prices(prev, pct)
    assert up.shape == (2, 2)
    assert up[0, 0] == 11.0 and down[0, 0] == 9.0
    assert np.isnan(up[0, 1]) and np.isnan(up[1, 0]) and np.isnan(up[1, 1]) and np.isnan(down[1, 1])
    up, down = limit_prices(np.array([31.39]), np.array([0.44]), np.array([0.36]))
    assert (up[0], down[0]) == (45.20, 20.09)


def test_limit_pcts_broadcast_panel() -> None:
    boards = np.array([[int(Board.SH_MAIN)], [int(Board.CHINEXT)], [int(Board.STAR)]], dtype=np.int8)
    dates = np.array(["2020-08-21", "2020-08-24"], dtype="datetime64[D]")[None, :]
    up, down = limit_pcts(boards, dates)
    assert up.tolist() == [[0.1, 0.1], [0.1, 0.2], [0.2, 0.2]]
    assert (up == down).all()


# ---------------------------------------------------------------- the whole real 2021 market


@pytest.fixture(scope="module")
def market_2021(real_data) -> pl.DataFrame:
    """xbx whole-market 2021 window with our limits (listing dates from the full-history stock list)."""
    bars = pl.read_parquet(
        real_data / "xbx_market" / "market_2021-01_2022-01.parquet",
        columns=["code", "date", "high", "low", "close", "preclose"],
    ).with_columns(pl.col("code").cast(pl.Utf8), pl.col("date").cast(pl.Date))
    bars = bars.with_columns(normalize_symbols(bars["code"])).with_columns(board_expr())
    stocks = pl.read_csv(real_data / "xbx_market" / "stock_list.csv")
    stocks = stocks.select(normalize_symbols(stocks["code"]), pl.col("first_date").str.to_date())
    bars = bars.join(stocks, on="symbol", how="left")
    up_pct, down_pct = limit_pcts(
        bars["board"].to_numpy(),
        bars["date"].to_numpy(),
        listing_dates=bars["first_date"].to_numpy().astype("datetime64[D]"),
    )
    up, down = limit_prices(bars["preclose"].to_numpy(), up_pct, down_pct)
    return bars.with_columns(
        up=pl.Series(up).fill_nan(None),
        down=pl.Series(down).fill_nan(None),
        raw_up=pl.col("preclose") * (1 + pl.Series(up_pct).fill_nan(None)),
        raw_down=pl.col("preclose") * (1 - pl.Series(down_pct).fill_nan(None)),
    )


# Sessions without limit that the rule tables cannot know: listing days that are not IPOs.
SPECIAL_SESSIONS = {
    ("000792.SZ", D(2021, 8, 10)): "盐湖股份 relisting (重新上市)",
    ("001267.SZ", D(2021, 11, 17)): "汇绿生态 relisting",
    ("601155.SH", D(2015, 12, 4)): "新城控股 listed by share-swap merger with 新城B",
    ("300498.SZ", D(2015, 11, 2)): "温氏股份 listed by share-swap merger with 大华农",
    ("002506.SZ", D(2015, 8, 12)): "协鑫集成 (ex *ST超日) resumed listing (恢复上市)",
    ("000520.SZ", D(2015, 12, 18)): "长航凤凰 resumed listing",
    ("600610.SH", D(2014, 11, 25)): "中毅达 resumed listing",
}


def _special(frame: pl.DataFrame) -> pl.Series:
    keys = pl.DataFrame(
        {
            "symbol": [k[0] for k in SPECIAL_SESSIONS],
            "date": [k[1] for k in SPECIAL_SESSIONS],
            "special": True,
        }
    )
    return frame.join(keys, on=["symbol", "date"], how="left", maintain_order="left")["special"].fill_null(
        False
    )


def test_no_real_bar_trades_outside_its_limits(market_2021: pl.DataFrame) -> None:
    outside = market_2021.filter(
        (pl.col("high") > pl.col("up") + 1e-9) | (pl.col("low") < pl.col("down") - 1e-9)
    )
    assert {(r["symbol"], r["date"]) for r in outside.iter_rows(named=True)} <= set(SPECIAL_SESSIONS)
    assert outside.height == 2
    # and the "no limit" sessions really are unlimited somewhere: listing days beyond any ordinary band
    free = market_2021.filter(pl.col("up").is_null())
    assert free.height > 1000
    assert free.filter(pl.col("high") > pl.col("preclose") * 1.3).height > 200


def test_2014_2016_market_incl_2015_crash_stays_within_limits(real_data) -> None:
    """The 2014-10 → 2016-03 whole market (2,841 stocks, 862,670 bars) never trades outside our limits."""
    bars = pl.read_parquet(
        real_data / "xbx_market" / "market_2014-10_2016-03.parquet",
        columns=["code", "date", "high", "low", "close", "preclose"],
    ).with_columns(pl.col("code").cast(pl.Utf8), pl.col("date").cast(pl.Date))
    bars = bars.with_columns(normalize_symbols(bars["code"])).rename({"preclose": "prev_close"})
    stocks = pl.read_csv(real_data / "xbx_market" / "stock_list.csv")
    stocks = stocks.select(normalize_symbols(stocks["code"]), pl.col("first_date").str.to_date())
    bars = bars.join(stocks, on="symbol", how="left", maintain_order="left")
    bars = bars.with_columns(_special(bars).alias("special"))
    out = with_limit_prices(bars, listing_date_col="first_date", no_limit_col="special")
    outside = out.filter(
        (pl.col("high") > pl.col("up_limit") + 1e-9) | (pl.col("low") < pl.col("down_limit") - 1e-9)
    )
    assert outside.height == 0, outside.select("symbol", "date", "high", "low", "up_limit", "down_limit")
    assert out["special"].sum() == 5
    at_limit_up = out.filter((pl.col("close") == pl.col("high")) & (pl.col("close") == pl.col("up_limit")))
    at_limit_down = out.filter((pl.col("close") == pl.col("low")) & (pl.col("close") == pl.col("down_limit")))
    assert at_limit_up.height > 30000 and at_limit_down.height > 15000  # 2015: the bubble and the crash
    ipo_days = out.filter(pl.col("date") == pl.col("first_date"))
    assert ipo_days.height > 200
    assert (ipo_days["close"] == ipo_days["up_limit"]).mean() > 0.9  # new shares close at +44% on day one


def test_every_real_limit_up_close_equals_computed_up(market_2021: pl.DataFrame) -> None:
    """Bars closing at their high within half a tick of prev_close × (1 + pct) close exactly at our limit."""
    at_top = market_2021.filter(
        (pl.col("close") == pl.col("high")) & (pl.col("close") > pl.col("raw_up") - 0.005 + 1e-9)
    )
    assert at_top.height > 15000
    assert at_top.filter(pl.col("close") != pl.col("up")).height == 0
    by_board = dict(at_top.group_by("board").len().iter_rows())
    for board in (Board.SH_MAIN, Board.SZ_MAIN, Board.CHINEXT, Board.STAR, Board.BSE):
        assert by_board.get(int(board), 0) > 0, board.name
    at_bottom = market_2021.filter(
        (pl.col("close") == pl.col("low")) & (pl.col("close") < pl.col("raw_down") + 0.005 - 1e-9)
    )
    assert at_bottom.height > 2500
    assert at_bottom.filter(pl.col("close") != pl.col("down")).height == 0


def test_exchanges_round_the_half_tick_up(market_2021: pl.DataFrame) -> None:
    """Where prev_close × 1.1 ends in exactly half a cent, real stocks trade at the rounded-up price."""
    cents = (pl.col("preclose") * 100).round().cast(pl.Int64)
    halves = market_2021.filter(
        pl.col("up").is_not_null(),
        ((cents * ((pl.col("raw_up") / pl.col("preclose") * 10000).round().cast(pl.Int64))) % 10000) == 5000,
    )
    above_raw = halves.filter(pl.col("high") > pl.col("raw_up") + 1e-9)
    assert above_raw.height > 1000  # trades at raw + 0.005: impossible with half-down or half-even rounding
    assert (above_raw["high"] == above_raw["up"]).all()


def test_real_st_bars_respect_five_percent(real_data) -> None:
    """Baostock flags ST days; those stocks never trade outside ±5% (2020-2022) and their limit closes match."""
    bars = pl.read_parquet(
        real_data / "baostock_hs300" / "hs300_members_2020-01_2025-04.parquet"
    ).with_columns(pl.col("code").cast(pl.Utf8), pl.col("date").cast(pl.Date))
    st = bars.filter(pl.col("isST") == 1, pl.col("tradestatus") == 1)
    st = st.with_columns(normalize_symbols(st["code"])).with_columns(board_expr())
    up_pct, down_pct = limit_pcts(
        st["board"].to_numpy(), st["date"].to_numpy(), is_st=np.ones(st.height, bool)
    )
    assert set(np.unique(up_pct)) == {0.05}
    up, down = limit_prices(st["preclose"].to_numpy(), up_pct, down_pct)
    st = st.with_columns(up=up, down=down)
    assert st.height > 700
    assert st.filter((pl.col("high") > pl.col("up")) | (pl.col("low") < pl.col("down"))).height == 0
    hits = st.filter((pl.col("close") == pl.col("high")) & (pl.col("close") / pl.col("preclose") > 1.045))
    assert hits.height > 10 and (hits["close"] == hits["up"]).all()


def test_with_limit_prices_on_a_real_frame(market_2021: pl.DataFrame) -> None:
    """The frame helper gives the same limits as the array path, and the ETF tick for ETFs."""
    frame = market_2021.select("symbol", "date", pl.col("preclose").alias("prev_close"), "first_date")
    out = with_limit_prices(frame, listing_date_col="first_date")
    assert out.columns == [*frame.columns, "up_limit", "down_limit"]
    assert out["up_limit"].equals(market_2021["up"]) and out["down_limit"].equals(market_2021["down"])
    etf = pl.DataFrame(
        {"symbol": ["510500.SH", "600000.SH"], "date": [D(2021, 6, 1)] * 2, "prev_close": [6.123, 6.12]}
    )
    assert with_limit_prices(etf)["up_limit"].to_list() == [6.735, 6.73]


def test_chinext_reform_day_in_real_hs300_bars(real_data) -> None:
    """ChiNext HS300 members: within ±10% until 2020-08-21, beyond 10% (within 20%) from 2020-08-24."""
    bars = pl.read_parquet(
        real_data / "baostock_hs300" / "hs300_members_2020-01_2025-04.parquet"
    ).with_columns(pl.col("code").cast(pl.Utf8), pl.col("date").cast(pl.Date))
    bars = bars.filter(pl.col("code").str.starts_with("sz.30"), pl.col("tradestatus") == 1)
    bars = bars.with_columns(normalize_symbols(bars["code"])).rename({"preclose": "prev_close"})
    first_seen = bars.group_by("symbol").agg(pl.col("date").min().alias("first_seen"))
    bars = bars.join(first_seen, on="symbol", maintain_order="left").with_columns(
        pl.when(pl.col("first_seen") > D(2020, 1, 2)).then(pl.col("first_seen")).alias("listed")
    )
    out = with_limit_prices(bars, listing_date_col="listed")
    assert (
        out.filter((pl.col("high") > pl.col("up_limit")) | (pl.col("low") < pl.col("down_limit"))).height == 0
    )
    ten_percent_up, _ = limit_prices(out["prev_close"].to_numpy(), 0.10)
    ordinary = pl.col("up_limit").is_not_null() & pl.col("listed").ne_missing(
        pl.col("date")
    )  # not an IPO day
    beyond_10 = out.filter((pl.col("high") > pl.Series(ten_percent_up)) & ordinary)
    assert beyond_10["date"].min() == D(2020, 8, 24)
    row = out.filter(pl.col("symbol") == "300433.SZ", pl.col("date") == D(2020, 8, 24)).row(0, named=True)
    assert (row["prev_close"], row["high"], row["up_limit"]) == (
        32.14,
        36.58,
        38.57,
    )  # 蓝思科技 +13.8% intraday


@pytest.mark.parametrize("tick", [0.01, 0.001])
def test_limit_prices_by_row_equal_the_gathered_ratios(market_2021: pl.DataFrame, tick: float) -> None:
    """The (n, T) panel path reads each board's ratio row in place: the same bits as limit_prices on the ratios
    gathered to (n, T), on the real 2021 market (missing bars NaN) plus zero and negative reference closes."""
    wide = market_2021.pivot(on="date", index="symbol", values="preclose", sort_columns=True).sort("symbol")
    dates = np.array(wide.columns[1:], dtype="datetime64[D]")
    prev = wide.drop("symbol").to_numpy().astype(np.float64)
    prev[:3, :5] = [[0.0], [-1.0], [np.nan]]
    boards = market_2021.unique("symbol").sort("symbol")["board"].to_numpy()
    groups, row_of = np.unique(boards, return_inverse=True)
    up_g, down_g = limit_pcts(groups[:, None], dates[None, :])
    up_g[0, 7] = np.nan  # a day without a limit
    want = limit_prices(prev, up_g[row_of], down_g[row_of], tick=tick)
    got = limit_prices_by_row(prev, up_g, down_g, row_of, tick=tick)
    for a, b in zip(got, want, strict=True):
        assert a.tobytes() == b.tobytes()
