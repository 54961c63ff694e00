"""The intraday loop end to end on real 5-minute bars of 510300 (MANIFEST §11.3) with a simulated clock: the
strategy's own targets, the paper broker filling on the minute bar, --confirm mode released by a person mid-session,
reconciliation, the close write and the day's signals; and the daily-to-minute bridge for stocks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from thermoquant.data.sources.csv import RowFilter, read_file
from thermoquant.data.store import open_store
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.trade import daily_from_minutes, import_minutes, run_session_job
from thermoquant.trading.book import OrderBook
from thermoquant.trading.loop import SimClock, bridge_minutes, tick_times

DAY = dt.date(2022, 1, 26)  # csi500_timing bought at the close of 2022-01-25: the order goes out on this open
PARAMS = {"trade_symbol": "510300.SH"}  # the minute data has no 510500: trade the CSI300 ETF on the same rule


@pytest.fixture
def ctx(real_data: Path, tmp_path: Path) -> JobContext:
    c = JobContext(db_url=f"duckdb:///{tmp_path / 'tq.duckdb'}")
    path = real_data / "zsh_etf_minute" / "etf_index_5min_raw_2021-04_2023-04.parquet"
    import_minutes(c, path, ["510300.SH"], dt.date(2022, 1, 24), dt.date(2022, 1, 28))
    return c


def test_minute_import_units(real_data: Path) -> None:
    path = real_data / "zsh_etf_minute" / "etf_510880_1min_2022-12_2023-05.csv.gz"
    rows = read_file(path, only=RowFilter(end=dt.date(2022, 12, 16))).frame
    assert rows.height == 240 and set(rows["freq"]) == {"1m"} and rows["symbol"][0] == "510880.SH"
    assert rows["bar_time"].min() == dt.datetime(2022, 12, 16, 9, 31)
    ratio = rows["amount"].sum() / rows["volume"].sum()  # ETF vol in shares: amount / vol ≈ price
    assert rows["low"].min() <= ratio <= rows["high"].max()


def test_scripted_session_fills_on_the_first_bar_and_closes_the_books(ctx: JobContext) -> None:
    clock = SimClock(dt.datetime.combine(DAY, dt.time(9, 25)))
    seen: list[dt.datetime] = []
    result = run_session_job(ctx, "csi500_timing", DAY, account="paper-loop", params=PARAMS, clock=clock,
                             on_tick=seen.append)  # fmt: skip
    assert seen == tick_times(DAY, 5) and result.ticks == 48 and clock.now() == seen[-1]
    assert result.states == {"filled": 1} and result.close_check.ok
    assert [c.ok for c in result.fill_checks] == [True]  # reconciled after the fill batch
    with open_store(ctx.db_url) as store:
        first = (
            store.read("minute_quote", symbols=["510300.SH"], start=DAY, end=DAY)
            .sort("bar_time")
            .row(0, named=True)
        )
        trade = store.read("trades", where={"account": "paper-loop"}).row(0, named=True)
        assert trade["price"] == first["open"] and trade["trade_time"] == first["bar_time"]
        assert trade["quantity"] % 100 == 0 and trade["quantity"] * trade["price"] > 0.98e6
        snap = (
            store.read("cash_snapshot", where={"account": "paper-loop"}).sort("snap_time").row(-1, named=True)
        )
        assert snap["snap_time"] == dt.datetime.combine(DAY, dt.time(15)) and snap["equity"] > 0.99e6
        signals = store.read("signals").filter(pl.col("strategy") == "csi500_timing")
        assert signals.height == 1 and signals["signal_time"][0].date() == DAY
    nxt = run_session_job(
        ctx, "csi500_timing", DAY + dt.timedelta(days=1), account="paper-loop", params=PARAMS
    )
    assert (
        nxt.start_check.ok and nxt.close_check.ok and nxt.states == {}
    )  # the book carried over, nothing to do


@pytest.mark.slow
def test_confirm_mode_waits_for_a_person(ctx: JobContext) -> None:
    def person(t: dt.datetime) -> None:
        if t.time() == dt.time(10, 0):
            with open_store(ctx.db_url) as store:
                waiting = OrderBook(store, "paper-confirm", "paper").orders(open_only=True)
                assert waiting["status"].to_list() == ["new"] and waiting["needs_confirm"].to_list() == [True]
                assert (
                    OrderBook(store, "paper-confirm", "paper", clock=lambda: t).confirm()
                    == waiting["client_order_id"].to_list()
                )

    result = run_session_job(ctx, "csi500_timing", DAY, account="paper-confirm", params=PARAMS, confirm=True,
                             on_tick=person)  # fmt: skip
    # sent at 10:05, filled from the next bar; the 10:10 bar's volume cap (25 %) cuts it, the rest is cancelled
    row = result.orders.row(0, named=True)
    assert row["status"] == "cancelled" and 0 < row["filled_qty"] < row["quantity"]
    with open_store(ctx.db_url) as store:
        bar = store.read(
            "minute_quote", symbols=["510300.SH"], where={"bar_time": dt.datetime(2022, 1, 26, 10, 10)}
        )
        trade = store.read("trades", where={"account": "paper-confirm"}).row(0, named=True)
        assert trade["trade_time"] == dt.datetime(2022, 1, 26, 10, 10) and trade["price"] == bar["open"][0]
        actions = store.read("audit_log").sort("event_time")["action"].to_list()
        assert (
            actions.index("order.await_confirm")
            < actions.index("order.confirmed")
            < actions.index("order.partially_filled")
        )


def test_bridge_reproduces_the_daily_bar() -> None:
    daily = pl.DataFrame({"symbol": ["600000.SH", "000025.SZ"], "trade_date": [dt.date(2021, 3, 1)] * 2,
                          "open": [10.0, 20.0], "high": [10.6, 20.2], "low": [9.7, 18.5], "close": [10.4, 18.9],
                          "volume": [2.4e6, 4.8e5], "amount": [2.45e7, 9.1e6]})  # fmt: skip
    minutes = bridge_minutes(daily)
    assert minutes.height == 480 and minutes["bar_time"].min() == dt.datetime(2021, 3, 1, 9, 31)
    back = daily_from_minutes(minutes).sort("symbol")
    want = daily.sort("symbol")
    for c in ("open", "high", "low", "close", "volume", "amount"):
        assert back[c].to_list() == pytest.approx(want[c].to_list(), rel=1e-12), c


@pytest.mark.slow
def test_audit_report_signal_acted_on_at_the_bar(ctx: JobContext) -> None:
    from thermoquant.jobs.trade import audit_report

    before = run_session_job(
        ctx, "csi500_timing", DAY - dt.timedelta(days=1), account="paper-audit", params=PARAMS
    )
    assert before.states == {}  # 01-25 acts on nothing; its close signal (BUY) is stored
    run_session_job(ctx, "csi500_timing", DAY, account="paper-audit", params=PARAMS)
    report = audit_report(ctx, DAY)
    row = report.filter(pl.col("signal") == "BUY").row(0, named=True)
    assert row["acted"] == "filled" and row["in_bar"] and row["vs_open_bps"] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.slow
def test_drawdown_limit_halts_at_the_close(ctx: JobContext) -> None:
    from thermoquant.jobs.trade import trading_status
    from thermoquant.trading.risk import KillSwitch, RiskLimits

    with open_store(ctx.db_url) as store:
        KillSwitch(store, "paper-dd").update_peak(2_000_000.0)  # an earlier peak twice today's equity
    limits = RiskLimits(drawdown_reduce=0.2, drawdown_halt=0.4)
    run_session_job(ctx, "csi500_timing", DAY, account="paper-dd", params=PARAMS, limits=limits)
    status = trading_status(ctx, "paper-dd")
    assert status["state"] == "HALTED" and status["reason"].startswith("drawdown 49.9%")


def _spots(minutes: pl.DataFrame) -> list[tuple[dt.datetime, pl.DataFrame]]:
    """Day-cumulative snapshots shaped like the ``spot`` dataset, one per 5-minute bar end."""
    m = minutes.sort("bar_time").with_columns(
        pl.col("close").alias("last"), pl.col("open").first().alias("day_open"), pl.col("high").cum_max().alias("hi"),
        pl.col("low").cum_min().alias("lo"), pl.col("volume").cum_sum().alias("cv"),
        pl.col("amount").cum_sum().alias("ca"),
    )  # fmt: skip
    return [
        (r["bar_time"], pl.DataFrame([{"symbol": r["symbol"], "last": r["last"], "open": r["day_open"],
                                       "high": r["hi"], "low": r["lo"], "volume": r["cv"], "amount": r["ca"]}]))
        for r in m.iter_rows(named=True)
    ]  # fmt: skip


@pytest.mark.slow
def test_live_snapshots_become_the_ticks_bars_and_drive_the_session(ctx: JobContext) -> None:
    from thermoquant.backtest import engine_nb as nb
    from thermoquant.backtest.fill import kernel_inputs
    from thermoquant.backtest.rules import market_arrays
    from thermoquant.backtest.run import BacktestConfig
    from thermoquant.trading.loop import MinuteMarket, bars_from_spot, run_session
    from thermoquant.trading.paper import PaperBroker

    with open_store(ctx.db_url) as store:
        minutes = store.read("minute_quote", symbols=["510300.SH"], start=DAY - dt.timedelta(days=1), end=DAY)
    today = minutes.filter(pl.col("bar_time").dt.date() == DAY).sort("bar_time")
    spots = _spots(today)
    prev = None
    rebuilt = []
    for t, spot in spots:
        rebuilt.append(bars_from_spot(prev, spot, t))
        prev = spot
    bars = pl.concat(rebuilt)
    assert bars["close"].to_list() == today["close"].to_list()
    assert bars["volume"].to_list() == pytest.approx(today["volume"].to_list(), rel=1e-9)
    assert bars["amount"].to_list() == pytest.approx(today["amount"].to_list(), rel=1e-9)
    assert bars["open"][0] == today["open"][0] and (bars["high"] <= today["high"] + 1e-9).all()

    cfg = BacktestConfig().engine_config()
    m = market_arrays(daily_from_minutes(minutes))
    market = MinuteMarket(m, 1, today.head(0))  # nothing preloaded: every bar comes from the feed
    feed = dict(spots)
    with open_store(ctx.db_url) as store:
        broker = PaperBroker(
            store, "paper-live", market, kernel_inputs(m, cfg)[1], nb.PRICE_OPEN, init_cash=1e6
        )
        result = run_session(store, "csi500_timing", broker, market, {"510300.SH": 1.0}, cfg,
                             clock=SimClock(dt.datetime.combine(DAY, dt.time(9, 25))), interval=5, feed=feed.__getitem__)  # fmt: skip
        trade = store.read("trades", where={"account": "paper-live"}).row(0, named=True)
    assert result.states == {"filled": 1} and trade["price"] == today["open"][0]


def test_session_on_an_akshare_spot_fixture(tmp_path: Path, test_data: Path) -> None:
    """The live feed through the real AKShare adapter replaying a recorded ``stock_zh_a_spot_em`` answer."""
    import pandas as pd

    fixture = test_data / "sources" / "fixtures" / "akshare"
    spot = pd.read_parquet(fixture / "stock_zh_a_spot_em" / "all.parquet").set_index("代码").loc["600000"]
    c = JobContext(db_url=f"duckdb:///{tmp_path / 'tq.duckdb'}")
    result = run_session_job(c, "csi500_timing", DAY, account="paper-spot", params={"trade_symbol": "600000.SH"},
                             feed=f"fixture:{fixture}", interval=30)  # fmt: skip
    assert result.states == {"filled": 1} and result.ticks == 8
    with open_store(c.db_url) as store:
        trade = store.read("trades", where={"account": "paper-spot"}).row(0, named=True)
    assert trade["price"] == spot["今开"] and trade["quantity"] % 100 == 0


@pytest.mark.slow
def test_stop_loss_or_take_profit_exits_on_the_next_bar(ctx: JobContext) -> None:
    from thermoquant.trading.risk import RiskLimits

    run_session_job(ctx, "csi500_timing", DAY, account="paper-exit", params=PARAMS)
    limits = RiskLimits(take_profit=0.001, stop_loss=0.001)  # any 0.1 % move away from the cost exits
    nxt = run_session_job(ctx, "csi500_timing", dt.date(2022, 1, 27), account="paper-exit", params=PARAMS,
                          limits=limits)  # fmt: skip
    assert nxt.states == {"filled": 1}
    exit_row = nxt.orders.row(0, named=True)
    assert exit_row["side"] == "sell" and exit_row["reason"].startswith("exit: ") and exit_row["leg"] == 0
    with open_store(ctx.db_url) as store:
        sell = store.read("trades", where={"account": "paper-exit", "side": "sell"}).row(0, named=True)
        bars = store.read(
            "minute_quote", symbols=["510300.SH"], start=dt.date(2022, 1, 27), end=dt.date(2022, 1, 27)
        )
    decided = exit_row["created_at"]
    assert sell["trade_time"] > decided  # decided on a bar's close, filled at a later bar's open
    assert sell["price"] == bars.filter(pl.col("bar_time") == sell["trade_time"])["open"][0]
