"""Limit-up/down counts of the whole market on real bars where the store holds no vendor limit prices.

The bundled 2021 market (邢不行 data) has no ``up_limit``/``down_limit``: the importer and the store give null
columns, and the counts must come from each board's rule. Expected counts are recomputed here in integer fen, from
the raw close and the exchange's pre_close, with the exchange rule written out independently of
``thermoquant.market.limits``: limit = round_half_up(pre_close × (1 ± pct)) on the 0.01 CNY tick, pct 10 % on the
main boards (5 % under risk warning), 20 % on ChiNext and STAR (risk warning too), 30 % on the BSE; with listing
dates known, no limit in the first 5 sessions of a ChiNext/STAR stock or on a BSE listing day, and +44 %/−36 % of
the issue price on a main-board listing day (listings of 2014–2023).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from thermoquant.data.sources.csv import read_file
from thermoquant.data.sources.sample import sample_path
from thermoquant.data.store import Store
from thermoquant.features import compute
from thermoquant.features.sentiment import market_sentiment
from thermoquant.market.symbols import normalize_symbols

DAY = dt.date(2022, 1, 14)


@pytest.fixture(scope="module")
def sample_market() -> pl.DataFrame:
    """The bundled whole market 2021-01-04 → 2022-01-14 as the importer reads it (null limit and ST columns)."""
    return read_file(sample_path("market_2021.parquet")).frame


def _expected_counts(day: pl.DataFrame, st: pl.Expr, session: pl.Expr | None = None) -> tuple[int, int]:
    """(limit-up, limit-down) closes of one day, in integer fen. ``st``: the risk-warning flag per row;
    ``session``: the day's session number since listing (1 = listing day; None = listed long ago)."""
    sym = pl.col("symbol")
    star_chinext = sym.str.starts_with("30") | sym.str.starts_with("688")
    pct = (
        pl.when(star_chinext).then(20).when(sym.str.ends_with(".BJ")).then(30).when(st).then(5).otherwise(10)
    )
    n = pl.lit(None, dtype=pl.Int64) if session is None else session
    free = ((star_chinext & (n <= 5)) | (sym.str.ends_with(".BJ") & (n == 1))).fill_null(False)
    debut = (~star_chinext & ~sym.str.ends_with(".BJ") & (n == 1)).fill_null(False)
    fen = day.select(
        (pl.col("close") * 100).round().cast(pl.Int64).alias("close"),
        (pl.col("pre_close") * 100).round().cast(pl.Int64).alias("pre"),
        pl.when(debut).then(44).otherwise(pct).cast(pl.Int64).alias("up_pct"),
        pl.when(debut).then(36).otherwise(pct).cast(pl.Int64).alias("down_pct"),
        free.alias("free"),
    ).filter(~pl.col("free"))
    up = (pl.col("pre") * (100 + pl.col("up_pct")) + 50) // 100
    down = (pl.col("pre") * (100 - pl.col("down_pct")) + 50) // 100
    return fen.filter(pl.col("close") >= up).height, fen.filter(pl.col("close") <= down).height


def test_stored_null_limits_do_not_hide_limit_ups(sample_market: pl.DataFrame, tmp_store: Store) -> None:
    """2022-01-14 read back from the store (null up_limit, down_limit, is_st): 77 limit-up closes of non-ST stocks
    (the issue's figure), from the board rules — not 0."""
    day = sample_market.filter(pl.col("trade_date") == DAY)
    tmp_store.upsert("daily_quote", day)
    stored = tmp_store.read("daily_quote")
    # the case of the bug: the columns exist, all null
    assert stored["up_limit"].null_count() == stored.height
    assert stored["is_st"].null_count() == stored.height
    got = market_sentiment(stored).row(0, named=True)
    expected_up, _ = _expected_counts(stored, pl.lit(False))
    assert expected_up == 77
    assert got["n_limit_up"] == 77
    # (limit-down needs listing dates: N翱捷, a STAR debut at −34 %, has no limit that day; see the test below)
    assert got["n_limit_down"] > 0
    # the engine's frame group (features compute) reports the same figure on every row of the day
    out = compute(stored, names=["mkt_limit_up_count"])
    assert out["mkt_limit_up_count"].unique().to_list() == [77.0]


def test_no_day_of_the_2021_market_reports_zero_limit_ups(sample_market: pl.DataFrame) -> None:
    m = market_sentiment(sample_market)
    assert m.height == 252
    assert m["n_limit_up"].min() > 0


def test_a_vendor_limit_is_kept_where_it_is_a_number(sample_market: pl.DataFrame) -> None:
    """A stored vendor price wins over the rule where present; the rule fills only the null rows."""
    day = sample_market.filter(pl.col("trade_date") == DAY)
    base = market_sentiment(day).row(0, named=True)
    # one limit-up stock gets a (made-up) vendor limit above its close: it is no longer counted; the rest are
    hit = day.filter(pl.col("close") >= (pl.col("pre_close") * 1.1).round(2) - 0.005).row(0, named=True)
    patched = day.with_columns(
        pl.when(pl.col("symbol") == hit["symbol"])
        .then(pl.lit(hit["close"] + 1.0))
        .otherwise(pl.col("up_limit"))
        .alias("up_limit")
    )
    assert market_sentiment(patched)["n_limit_up"].item() == base["n_limit_up"] - 1


@pytest.mark.shared
def test_limit_counts_with_st_status_and_listing_dates(sample_market: pl.DataFrame, real_data: Path) -> None:
    """With each stock's name on 2022-01-14 (``stock_list.csv``: the last name of a stock still trading that day)
    marking ST/*ST and its listing date, the day has 85 limit-up closes: the 77 above plus 8 ST stocks at +5 %."""
    lst = pl.read_csv(real_data / "xbx_market" / "stock_list.csv")
    info = pl.DataFrame(
        {
            "symbol": normalize_symbols(lst["code"]),
            "is_st": lst["name_last"].str.contains("ST") & (lst["last_date"] == DAY.isoformat()),
            "list_date": lst["first_date"].str.to_date(),
        }
    )
    day = sample_market.filter(pl.col("trade_date") == DAY).drop("is_st").join(info, on="symbol", how="left")
    assert day["is_st"].null_count() == 0
    sessions = sample_market.get_column("trade_date").unique().sort()
    # every listing of the last 5 sessions lies inside the sample
    assert sessions.min() < dt.date(2021, 12, 1)
    n_since = day.get_column("list_date").map_elements(
        lambda d: int(((sessions >= d) & (sessions <= DAY)).sum()), return_dtype=pl.Int64
    )
    got = market_sentiment(day).row(0, named=True)
    expected = _expected_counts(day.with_columns(n_since.alias("_n")), pl.col("is_st"), pl.col("_n"))
    assert expected[0] == 85
    assert (got["n_limit_up"], got["n_limit_down"]) == expected


@pytest.mark.shared
def test_store_bars_carry_listing_dates_and_st_for_the_limit_counts(
    sample_market: pl.DataFrame, real_data: Path, tmp_store: Store
) -> None:
    """What ``tq features compute --dims 5`` reads: stored bars (null is_st) with stock_info listing dates and
    st_history intervals from the same stock list give the counts of the test above (85 limit-ups, N翱捷's
    −34 % STAR debut not a limit-down)."""
    from thermoquant.jobs.market import store_bars_qfq

    lst = pl.read_csv(real_data / "xbx_market" / "stock_list.csv")
    lst = lst.with_columns(pl.Series("symbol", normalize_symbols(lst["code"])))
    tmp_store.upsert(
        "stock_info",
        lst.select(
            "symbol", pl.col("name_last").alias("name"), pl.col("first_date").str.to_date().alias("list_date")
        ).with_columns(pl.lit("test").alias("source")),
    )
    st = lst.filter(pl.col("name_last").str.contains("ST") & (pl.col("last_date") == DAY.isoformat()))
    tmp_store.upsert(
        "st_history",
        st.select(
            "symbol",
            pl.lit(DAY).alias("start_date"),
            pl.lit(DAY).alias("end_date"),
            pl.lit("ST").alias("kind"),
            pl.lit("test").alias("source"),
        ),
    )
    tmp_store.upsert("daily_quote", sample_market.filter(pl.col("trade_date") == DAY))
    bars, _ = store_bars_qfq(tmp_store, None)
    assert bars["is_st"].sum() == st.height and bars["list_date"].null_count() == 0
    out = compute(bars, names=["mkt_limit_up_count", "mkt_limit_down_count"])
    expected = market_sentiment(
        sample_market.filter(pl.col("trade_date") == DAY)
        .drop("is_st")
        .join(lst.select("symbol", pl.col("first_date").str.to_date().alias("list_date")), on="symbol")
        .join(st.select("symbol", pl.lit(True).alias("is_st")), on="symbol", how="left")
    ).row(0, named=True)
    assert expected["n_limit_up"] == 85
    assert out["mkt_limit_up_count"].unique().to_list() == [85.0]
    assert out["mkt_limit_down_count"].unique().to_list() == [float(expected["n_limit_down"])]
