"""Risk rules, the kill switch (stored, surviving a restart, set from the CLI in another process), the order gate's
counters rebuilt from the database, and reconciliation closing the gate until a person accepts."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import polars as pl
import pytest

from thermoquant.clock import SHANGHAI
from thermoquant.data.store import open_store
from thermoquant.trading.book import OrderBook
from thermoquant.trading.orders import OrderRequest, OrderStatus, client_order_id
from thermoquant.trading.qmt import QmtBroker
from thermoquant.trading.reconcile import accept_broker, reconcile
from thermoquant.trading.risk import (
    KillSwitch,
    RiskGate,
    RiskLimits,
    TradingState,
    apply_target_limits,
    drawdown_state,
    exit_orders,
)
from thermoquant.trading.router import OrderRouter

from .fake_xtquant import xtconstant, xttrader, xttype
from .test_replay import SRC

DAY = dt.date(2024, 3, 15)
NOW = dt.datetime(2024, 3, 15, 10, 0)


def test_limits_stay_far_below_the_exchange_lines() -> None:
    RiskLimits(max_orders_per_day=1500, max_cancels_per_day=500, max_orders_per_second=30)
    with pytest.raises(ValueError, match="20000"):
        RiskLimits(max_orders_per_day=2000, max_cancels_per_day=1)
    with pytest.raises(ValueError, match="300"):
        RiskLimits(max_orders_per_second=31)
    with pytest.raises(ValueError, match="reduce first"):
        RiskLimits(drawdown_reduce=0.2, drawdown_halt=0.1)


def test_target_caps_per_stock_industry_and_sleeve() -> None:
    d = dt.date(2024, 1, 2)
    t = pl.DataFrame({"symbol": ["A", "B", "C", "D"], "trade_date": [d] * 4, "weight": [0.5, 0.2, 0.2, 0.1]})
    industry = pl.DataFrame({"symbol": ["A", "B", "C", "D"], "industry": ["bank", "bank", "tech", "tech"]})
    sleeve = pl.DataFrame(
        {"symbol": ["A", "B", "C", "D"], "sleeve": ["core", "core", "satellite", "satellite"]}
    )
    limits = RiskLimits(max_symbol_weight=0.3, max_industry_weight=0.4, max_sleeve_weight={"satellite": 0.2})
    capped, refused = apply_target_limits(t, limits, industry, sleeve)
    w = dict(zip(capped["symbol"], capped["weight"], strict=True))
    assert w["A"] == pytest.approx(0.3 * 0.4 / 0.5) and w["B"] == pytest.approx(0.2 * 0.4 / 0.5)
    assert w["C"] == pytest.approx(0.2 * 0.2 / 0.3) and w["D"] == pytest.approx(0.1 * 0.2 / 0.3)
    assert sorted(refused["symbol"].to_list()) == ["A", "B", "C", "D"]
    assert refused.filter(pl.col("symbol") == "A")["reason"][0] == "symbol cap"
    same, none = apply_target_limits(t, RiskLimits())
    assert same["weight"].to_list() == t["weight"].to_list() and none.is_empty()


def test_take_profit_stop_loss_and_physical_stop() -> None:
    pos = pl.DataFrame({"symbol": ["A", "B", "C", "D"], "quantity": [100.0] * 4, "cost": [10.0] * 4,
                        "price": [12.5, 8.9, 10.1, 10.0], "physical_stop": [False, False, False, True]})  # fmt: skip
    out = exit_orders(pos, RiskLimits(take_profit=0.2, stop_loss=0.1))
    assert dict(zip(out["symbol"], out["reason"], strict=True)) == {"A": "take_profit", "B": "stop_loss",
                                                                    "D": "physical_stop"}  # fmt: skip
    assert exit_orders(pos.drop("physical_stop"), RiskLimits()).is_empty()


def test_drawdown_reduces_then_halts() -> None:
    lim = RiskLimits(drawdown_reduce=0.1, drawdown_halt=0.2)
    assert drawdown_state(95.0, 100.0, lim)[0] == TradingState.ACTIVE
    assert drawdown_state(89.0, 100.0, lim)[0] == TradingState.REDUCING
    assert drawdown_state(79.0, 100.0, lim) == (TradingState.HALTED, pytest.approx(0.21))


def _tq(args: list[str], db: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    code = "from thermoquant.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args, "--db", db], env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def _router(store, broker, limits=None):
    book = OrderBook(store, broker.account, broker.name, clock=lambda: NOW)
    switch = KillSwitch(store, broker.account, clock=lambda: NOW)
    held = {p.symbol: p.quantity for p in broker.positions()}
    gate = RiskGate(book, limits or RiskLimits(), switch, lambda s: held.get(s, 0.0))
    return OrderRouter(book, broker, mode="live", gate=gate, wait=lambda s: None), book


def _req(side: str, qty: float, sym: str = "600000.SH", leg: int = 0) -> OrderRequest:
    return OrderRequest(client_order_id(DAY, "risk", sym, leg), DAY, "risk", sym, leg, side, qty)


@pytest.fixture
def qmt_path(tmp_path: Path) -> str:
    path = str(tmp_path / f"userdata_mini_{uuid.uuid4().hex[:6]}")
    v = xttrader.venue(path)
    v.prices.update({"600000.SH": 10.0, "000001.SZ": 12.0})
    v.positions["000001.SZ"] = [1000, 1000, 11.0]
    v.clock = lambda: NOW.replace(minute=1, tzinfo=SHANGHAI).timestamp() - 120  # fills stamped 09:59
    return path


def _qmt(path: str) -> QmtBroker:
    return QmtBroker(path, "88000001", modules=(xttrader, xttype, xtconstant))


def test_kill_switch_from_the_cli_survives_restart_and_every_refusal_is_logged(
    tmp_path: Path, qmt_path
) -> None:
    db = f"duckdb:///{tmp_path / 'tq.duckdb'}"
    done = _tq(["trade", "halt", "--account", "88000001", "--reason", "drill"], db)
    assert done.returncode == 0, done.stdout + done.stderr
    with open_store(db) as store:  # a new process: the state came from the database
        assert KillSwitch(store, "88000001").state == TradingState.HALTED
        router, book = _router(store, _qmt(qmt_path))
        assert router.place(_req("buy", 100)) == OrderStatus.REJECTED
        assert "HALTED" in book.get(_req("buy", 100).client_order_id)["reason"]
        assert xttrader.venue(qmt_path).order_calls == []
    assert _tq(["trade", "halt", "--account", "88000001", "--reducing"], db).returncode == 0
    with open_store(db) as store:
        router, book = _router(store, _qmt(qmt_path))
        assert router.place(_req("buy", 100, leg=1)) == OrderStatus.REJECTED  # REDUCING: no new exposure
        assert router.place(_req("sell", 500, "000001.SZ")) == OrderStatus.FILLED  # reducing a holding passes
        oversell = _req("sell", 1500, "000001.SZ", leg=1)  # more than the 1000 held: would open a short
        assert router.place(oversell) == OrderStatus.REJECTED
        assert "REDUCING" in book.get(oversell.client_order_id)["reason"]
    status = _tq(["trade", "resume", "--account", "88000001"], db)
    assert status.returncode == 0
    with open_store(db) as store:
        assert KillSwitch(store, "88000001").state == TradingState.ACTIVE
        audit = store.read("audit_log").sort("event_time")
        changes = audit.filter(pl.col("action") == "kill_switch")["details"].to_list()
        assert [x.split('"to": "')[1][:6] for x in changes] == ["HALTED", "REDUCI", "ACTIVE"]
        assert audit.filter(pl.col("action") == "risk.refused").height == 3


def test_daily_and_per_second_counts_are_rebuilt_from_the_database(tmp_store, qmt_path) -> None:
    limits = RiskLimits(max_orders_per_day=2, max_orders_per_second=10)
    router, _book = _router(tmp_store, _qmt(qmt_path), limits)
    assert router.place(_req("buy", 100, leg=0)) == OrderStatus.FILLED
    assert router.place(_req("buy", 100, leg=1)) == OrderStatus.FILLED
    router2, book2 = _router(tmp_store, _qmt(qmt_path), limits)  # a restart: counters come from `orders`
    assert router2.place(_req("buy", 100, leg=2)) == OrderStatus.REJECTED
    assert "daily order limit 2" in book2.get(_req("buy", 100, leg=2).client_order_id)["reason"]
    waits: list[float] = []
    book3 = OrderBook(tmp_store, "88000001", "qmt", clock=lambda: NOW)
    gate = RiskGate(
        book3,
        RiskLimits(max_orders_per_second=2),
        KillSwitch(tmp_store, "88000001"),
        sleep=waits.append,
        monotonic=lambda: 100.0,
    )
    burst = OrderRouter(book3, _qmt(qmt_path), mode="live", gate=gate)
    for leg in (3, 4, 5):
        assert burst.place(_req("sell", 100, "000001.SZ", leg=leg)) == OrderStatus.FILLED
    assert gate.throttled == 1 and len(waits) == 1 and waits[0] == 1.0  # the third waited, none refused


def test_reconciliation_mismatch_blocks_until_accepted(tmp_store, qmt_path) -> None:
    broker = _qmt(qmt_path)
    switch = KillSwitch(tmp_store, broker.account, clock=lambda: NOW)
    accept_broker(tmp_store, broker, dt.datetime(2024, 3, 15, 9, 25), switch)
    router, _ = _router(tmp_store, broker)
    assert router.place(_req("buy", 100)) == OrderStatus.FILLED
    assert reconcile(tmp_store, broker, NOW, switch).ok  # book = snapshot + our fills = the broker
    other = xttrader.XtQuantTrader(qmt_path, 7)  # a manual order from another client, no remark
    other.start()
    other.order_stock(xttype.StockAccount("88000001"), "600000.SH", 23, 300, 11, 10.0)
    result = reconcile(tmp_store, broker, NOW, switch)
    assert not result.ok and "600000.SH: book 100 vs broker 400" in result.note()
    assert router.place(_req("buy", 100, leg=1)) == OrderStatus.REJECTED  # the gate is closed
    accept_broker(tmp_store, broker, NOW, switch)
    assert reconcile(tmp_store, broker, NOW + dt.timedelta(seconds=1), switch).ok
    router2, _ = _router(tmp_store, broker)
    assert router2.place(_req("buy", 100, leg=2)) == OrderStatus.FILLED


def test_halt_while_down_holds_for_an_intent_left_new(tmp_store, qmt_path) -> None:
    class DiedError(Exception):
        pass

    def die(at: str, cid: str) -> None:
        raise DiedError(at)

    book = OrderBook(tmp_store, "88000001", "qmt", clock=lambda: NOW)
    router = OrderRouter(book, _qmt(qmt_path), mode="live", hook=die)
    r = _req("buy", 100)
    with pytest.raises(DiedError):
        router.place(r)  # intent written, process died before the send
    KillSwitch(tmp_store, "88000001", clock=lambda: NOW).set(
        TradingState.HALTED, "operator, while it was down"
    )
    restarted, book2 = _router(tmp_store, _qmt(qmt_path))
    assert restarted.place(r) == OrderStatus.REJECTED
    assert "HALTED" in book2.get(r.client_order_id)["reason"] and xttrader.venue(qmt_path).order_calls == []


def test_every_limit_is_a_documented_risk_key_with_the_same_default(tmp_path, monkeypatch) -> None:
    import dataclasses

    from thermoquant.config import RiskSettings, SettingsError, load_settings

    fields = RiskSettings.model_fields
    for f in dataclasses.fields(RiskLimits):
        assert f.name in fields and fields[f.name].description, f.name
    assert RiskLimits.from_settings(RiskSettings()) == RiskLimits()
    toml = tmp_path / "tq.toml"
    toml.write_text("[risk]\nmax_symbol_weight = 0.2\nmax_sleeve_weight = {satellite = 0.4}\n", "utf-8")
    monkeypatch.setenv("TQ_CONFIG", str(toml))
    lim = RiskLimits.from_settings(load_settings().risk)
    assert lim.max_symbol_weight == 0.2 and lim.max_sleeve_weight == {"satellite": 0.4} and lim.caps_targets
    toml.write_text("[risk]\ndrawdown_reduce = 0.3\ndrawdown_halt = 0.1\n", "utf-8")
    with pytest.raises(SettingsError) as err:
        RiskLimits.from_settings(load_settings().risk)
    assert str(toml) in str(err.value) and "drawdown_halt" in str(err.value)
