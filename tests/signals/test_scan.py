"""The full-market scan on the bundled real 2021 market: blacklist, ranking and signal rules."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from thermoquant.data.sources.csv import read_file
from thermoquant.data.sources.sample import sample_path
from thermoquant.physics.thermo import compute_physics
from thermoquant.signals.scan import ScanParams, blacklist, latest_market_day, scan

SCAN_DAY = dt.date(2022, 1, 14)


@pytest.fixture(scope="module")
def market() -> tuple[pl.DataFrame, pl.DataFrame]:
    """(daily_quote rows, physics frame) of 600 real stocks over the 2021 window."""
    quotes = read_file(sample_path("market_2021.parquet")).frame
    keep = quotes["symbol"].unique().sort().gather_every(8)
    quotes = quotes.filter(pl.col("symbol").is_in(keep.implode()))
    return quotes, compute_physics(quotes.filter(pl.col("volume") > 0))


def test_latest_market_day_ignores_a_lone_longer_history(market: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    quotes, _ = market
    lone = quotes.filter(pl.col("symbol") == quotes["symbol"][0]).tail(1)
    later = lone.with_columns(pl.lit(dt.date(2024, 12, 31)).alias("trade_date"))
    assert latest_market_day(pl.concat([quotes, later])) == SCAN_DAY


def test_blacklist_reasons(market: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    quotes, _ = market
    day = quotes.filter(pl.col("trade_date") == SCAN_DAY)
    thin = day.filter(pl.col("amount") < 20e6)["symbol"].to_list()
    busy = day.filter(pl.col("amount") > 1e9)["symbol"].to_list()
    assert thin and len(busy) >= 2
    st_symbol, unlock_symbol = busy[0], busy[1]
    flagged = quotes.with_columns(
        (pl.col("symbol") == st_symbol).alias("is_st")  # one real stock marked ST on every day
    )
    unlocks = pl.DataFrame(
        {"symbol": [unlock_symbol, busy[0]], "unlock_date": [SCAN_DAY + dt.timedelta(days=10), SCAN_DAY]},
    )
    banned = blacklist(flagged, SCAN_DAY, ScanParams(), unlocks)
    reasons = dict(zip(banned["symbol"], banned["reason"], strict=True))
    assert set(thin) <= set(reasons)
    assert all(reasons[s].startswith("amount<") for s in thin)
    assert reasons[st_symbol] == "st,unlock<= 30d"
    assert reasons[unlock_symbol] == "unlock<= 30d"
    assert not set(busy[2:]) & set(reasons)
    later = blacklist(quotes, SCAN_DAY, ScanParams(unlock_days=5), unlocks)
    assert unlock_symbol not in later["symbol"].to_list()


def test_scan_keeps_the_top_ignition_candidates(market: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    quotes, physics = market
    params = ScanParams(top_fraction=0.02)
    signals = scan(physics, quotes, SCAN_DAY, params)
    today = physics.filter(pl.col("trade_date") == SCAN_DAY)
    thin = set(quotes.filter((pl.col("trade_date") == SCAN_DAY) & (pl.col("amount") < 20e6))["symbol"])
    cold = set(today.filter(pl.col("q_below") < params.min_fuel)["symbol"])
    assert set(signals["symbol"]) == set(today["symbol"]) - thin - cold
    ranked = signals.filter(pl.col("rank").is_not_null())
    expected = min(round(0.02 * signals.height), int((signals["state"] == "B").sum()))
    assert ranked.height == expected > 0
    assert ranked["rank"].to_list() == list(range(1, expected + 1))
    assert (ranked["state"] == "B").all() and (ranked["signal"] == "BUY").all()
    k = today.select("symbol", "k")
    scores = ranked.join(k, on="symbol")
    assert scores["score"].to_list() == scores["k"].to_list()
    assert scores["k"].is_sorted(descending=True)
    best_unranked_b = signals.filter((pl.col("state") == "B") & pl.col("rank").is_null())["score"].max()
    assert best_unranked_b is None or best_unranked_b <= ranked["score"].min()
    merged = signals.join(today.select("symbol", "state", "buy_point", "stop"), on="symbol", suffix="_p")
    sells = merged.filter((pl.col("state_p") == 3) | pl.col("stop"))
    assert sells.filter(pl.col("rank").is_null()).height > 100  # not vacuous: 169 SELLs on the scan day
    assert (sells.filter(pl.col("rank").is_null())["signal"] == "SELL").all()
    c_buys = merged.filter((pl.col("state_p") == 2) & pl.col("buy_point"))
    assert c_buys.height > 0
    assert (c_buys["signal"] == "BUY").all()
    # everything that is neither ranked, a sell nor a state-C buy point is only watched
    others = merged.filter(
        pl.col("rank").is_null() & (pl.col("state_p") != 3) & ~pl.col("stop") & ~pl.col("buy_point")
    )
    assert others.height > 100 and (others["signal"] == "WATCH").all()
    assert signals["signal_time"].unique().to_list() == [dt.datetime(2022, 1, 14, 15, 0)]


def test_scan_rejects_an_unknown_ranking_column(market: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    quotes, physics = market
    with pytest.raises(KeyError, match="no_such"):
        scan(physics, quotes, SCAN_DAY, ScanParams(rank_by="no_such"))


def test_scan_top_fraction_cuts_the_ranking(market: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """A fraction small enough to bind: only the best-k state-B stocks are ranked BUY, the rest of B is not."""
    quotes, physics = market
    signals = scan(physics, quotes, SCAN_DAY, ScanParams(top_fraction=0.005))
    n_b = int((signals["state"] == "B").sum())
    keep = round(0.005 * signals.height)
    assert 0 < keep < n_b  # the cut really binds on this day (3 state-B stocks, 2 kept)
    today_k = physics.filter(pl.col("trade_date") == SCAN_DAY).select("symbol", "k")
    b = signals.filter(pl.col("state") == "B").join(today_k, on="symbol").sort("k", descending=True)
    ranked = signals.filter(pl.col("rank").is_not_null()).sort("rank")
    assert ranked["symbol"].to_list() == b["symbol"].head(keep).to_list()
    assert (ranked["signal"] == "BUY").all()
    dropped = signals.filter(pl.col("symbol").is_in(b["symbol"].tail(n_b - keep).implode()))
    assert dropped["rank"].null_count() == dropped.height and not (dropped["signal"] == "BUY").any()
