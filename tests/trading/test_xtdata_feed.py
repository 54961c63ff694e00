"""The loop's QMT snapshot: a recorded ``xtdata.get_full_tick`` answer (tests/trading/fixtures/xtdata_full_tick, four
real rows of a 2025-12-12 whole-market answer and one synthetic suspended stock) replayed through the real xtquant
adapter, turned into the tick's bars, the market state and the strategy's orders."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from thermoquant.data.ingest import make_source
from thermoquant.data.sources.xtquant_src import XT_TICK_KEYS
from thermoquant.data.store import open_store
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.trade import run_session_job
from thermoquant.trading.loop import bars_from_spot

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "xtdata_full_tick"
FEED = f"fixture:{FIXTURE}"
DAY = dt.date(2022, 1, 26)  # csi500_timing bought at the close of 2022-01-25: the order goes out on this open
TRADING, LIMIT_UP, SUSPENDED = "600000.SH", "600192.SH", "600002.SH"


@pytest.fixture(scope="module")
def answer() -> dict[str, dict]:
    return json.loads((FIXTURE / "get_full_tick" / "all.json").read_text(encoding="utf-8"))


def test_the_snapshot_has_xtdatas_keys_and_becomes_shares_and_cny(answer: dict[str, dict]) -> None:
    assert all(list(tick) == list(XT_TICK_KEYS) for tick in answer.values())
    spot = make_source(FEED).fetch("spot", symbols=[*answer, "600999.SH"]).sort("symbol")
    assert spot["symbol"].to_list() == sorted(answer)  # a code xtdata does not know is absent, as in xtdata
    rows = {r["symbol"]: r for r in spot.iter_rows(named=True)}
    for code, tick in answer.items():
        assert rows[code]["volume"] == tick["pvolume"] and rows[code]["pre_close"] == tick["lastClose"]
        if tick["lastPrice"] > 0:  # CNY / shares lands in the day's range: pvolume is shares, amount CNY
            vwap = rows[code]["amount"] / rows[code]["volume"]  # amount is rounded to 100 CNY: 0.1 % slack
            assert tick["low"] * 0.999 <= vwap <= tick["high"] * 1.001
            assert rows[code]["volume"] == pytest.approx(100 * tick["volume"], rel=1e-3)  # volume is 手
    assert rows[LIMIT_UP]["pct_change"] == pytest.approx((9.78 / 8.89 - 1) * 100)
    assert rows[SUSPENDED]["last"] is None and rows[SUSPENDED]["open"] is None
    bars = bars_from_spot(None, spot, dt.datetime.combine(DAY, dt.time(9, 31)))
    assert SUSPENDED not in bars["symbol"].to_list() and bars.height == len(answer) - 1


def test_the_loop_trades_on_the_recording_and_respects_limit_and_suspension(
    tmp_path: Path, answer: dict[str, dict]
) -> None:
    ctx = JobContext(db_url=f"duckdb:///{tmp_path / 'tq.duckdb'}")
    runs = {}
    for code in (TRADING, LIMIT_UP, SUSPENDED):
        runs[code] = run_session_job(ctx, "csi500_timing", DAY, account=f"xt-{code}",
                                     params={"trade_symbol": code}, feed=FEED, interval=30)  # fmt: skip
    assert all(r.ticks == 8 and r.update_ms_max > 0 for r in runs.values())  # the market state was updated
    assert runs[TRADING].states == {"filled": 1}
    blocked = runs[LIMIT_UP].orders.row(0, named=True)  # one price all day at the limit-up: refused
    assert runs[LIMIT_UP].states == {"rejected": 1} and blocked["reason"] == "limit"
    assert runs[SUSPENDED].orders.is_empty()  # no bar all day: nothing to plan
    with open_store(ctx.db_url) as store:
        trades = store.read("trades").filter(pl.col("account").str.starts_with("xt-"))
    assert trades["symbol"].to_list() == [TRADING]
    trade = trades.row(0, named=True)
    assert trade["price"] == answer[TRADING]["open"] and trade["quantity"] % 100 == 0


@pytest.mark.parametrize("st", [True, False])
def test_an_st_stock_at_its_5_percent_limit_down_cannot_be_sold(tmp_path: Path, st: bool) -> None:
    """600228 traded at 5.39 = 5.67 × 0.95 all day: the limit-down of an ST stock (5 % band), not of a main-board
    one (10 %). The loop reads ST from ``st_history``: bought on 2022-01-26, csi500_timing's exit on 2022-05-23
    cannot be sold at that one-price limit-down bar (without the ST record the same bar is an ordinary price)."""
    code = "600228.SH"
    ctx = JobContext(db_url=f"duckdb:///{tmp_path / 'tq.duckdb'}")
    if st:
        with open_store(ctx.db_url) as store:
            store.upsert("st_history", pl.DataFrame(
                {"symbol": [code], "start_date": [dt.date(2020, 1, 1)], "end_date": [None], "kind": ["ST"]}
            ))  # fmt: skip
    session = {"account": "xt-st", "params": {"trade_symbol": code}, "feed": FEED, "interval": 30}
    bought = run_session_job(ctx, "csi500_timing", DAY, **session)
    assert bought.states == {"filled": 1}  # a buy at the limit-down price finds sellers
    sold = run_session_job(ctx, "csi500_timing", dt.date(2022, 5, 23), **session)
    if st:
        assert sold.states == {"rejected": 1} and sold.orders.row(0, named=True)["reason"] == "limit"
    else:
        assert sold.states == {"filled": 1}
