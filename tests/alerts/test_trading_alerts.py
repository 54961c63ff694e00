"""Trading events as urgent alerts, end to end: a scripted paper session on real 5-minute bars of 510300
(MANIFEST §11.3) that hits a stop and the drawdown limit, and `tq trade halt` / `resume` as a user runs them — each
written to alerts_log with its figures and delivered at once to the real local bot server; no secret in any row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from thermoquant.cli import app
from thermoquant.config import get_settings
from thermoquant.data.store import open_store
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.trade import import_minutes, run_session_job
from thermoquant.trading.loop import SimClock
from thermoquant.trading.risk import KillSwitch, RiskLimits

from .servers import BotServer

runner = CliRunner()
BUY_DAY, EXIT_DAY = dt.date(2022, 1, 26), dt.date(2022, 1, 27)  # csi500_timing buys on the 26th's open
PARAMS = {"trade_symbol": "510300.SH"}  # the minute data has no 510500: trade the CSI300 ETF on the same rule
SYMBOL = "510300.SH"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bots: BotServer) -> Iterator[Path]:
    """tq.toml with one urgent channel (an SMS-style webhook with a bearer token) on the local bot server."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "tq.toml").write_text(
        f"""
[alerts]
urgent_channels = ["sms"]

[alerts.channels.sms]
kind = "webhook"
url = "{bots.urls()["webhook"]}"
body = '{{{{"to": "{{recipient}}", "content": "{{message}}"}}}}'
recipients = ["13800001111"]
headers = {{ Authorization = "Bearer {bots.sms_token}" }}
ok_field = "code"
ok_value = 0
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("TQ_DATA_DIR", str(home))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


def _alerts(db_url: str) -> pl.DataFrame:
    with open_store(db_url) as store:
        return store.read("alerts_log").sort("alert_time", "rule")


def _no_secret(bots: BotServer, log: pl.DataFrame) -> None:
    assert bots.sms_token not in log.write_csv()


@pytest.mark.slow
def test_a_session_that_hits_a_stop_and_the_drawdown_limit_alerts_at_once(
    home: Path, bots: BotServer, real_data: Path, tmp_path: Path
) -> None:
    ctx = JobContext(db_url=f"duckdb:///{tmp_path / 'tq.duckdb'}")
    path = real_data / "zsh_etf_minute" / "etf_index_5min_raw_2021-04_2023-04.parquet"
    import_minutes(ctx, path, [SYMBOL], dt.date(2022, 1, 24), dt.date(2022, 1, 28))
    run_session_job(ctx, "csi500_timing", BUY_DAY, account="paper-alert", params=PARAMS)
    assert _alerts(ctx.db_url).is_empty()  # a plain buy day raises nothing
    with open_store(ctx.db_url) as store:
        KillSwitch(store, "paper-alert").update_peak(2_000_000.0)  # an earlier peak twice today's equity
    limits = RiskLimits(take_profit=0.001, stop_loss=0.001, drawdown_reduce=0.2, drawdown_halt=0.4)
    clock = SimClock(dt.datetime.combine(EXIT_DAY, dt.time(9, 25)))
    sent_at_tick: dict[dt.datetime, int] = {}
    result = run_session_job(ctx, "csi500_timing", EXIT_DAY, account="paper-alert", params=PARAMS,
                             limits=limits, clock=clock,
                             on_tick=lambda t: sent_at_tick.setdefault(t, len(bots.accepted("webhook"))))  # fmt: skip
    assert [e.kind for e in result.events][-1] == "kill_switch"
    exit_order = result.orders.filter(pl.col("reason").str.starts_with("exit: ")).row(0, named=True)
    rule = exit_order["reason"].removeprefix("exit: ")
    log = _alerts(ctx.db_url)
    assert log["rule"].to_list() == [rule, "kill_switch"] or log["rule"].to_list() == ["kill_switch", rule]
    stop = log.filter(pl.col("rule") == rule).row(0, named=True)
    halt = log.filter(pl.col("rule") == "kill_switch").row(0, named=True)
    # the figures: the close of the bar the exit was decided on, and the trigger = buy price × (1 ∓ 0.1 %)
    with open_store(ctx.db_url) as store:
        bars = store.read("minute_quote", symbols=[SYMBOL], start=EXIT_DAY, end=EXIT_DAY)
        buy = store.read("trades", where={"account": "paper-alert", "side": "buy"}).row(0, named=True)
        switch = KillSwitch(store, "paper-alert").row()
    decided = exit_order["created_at"]
    close = bars.filter(pl.col("bar_time") == decided)["close"][0]
    trigger = buy["price"] * (1 - 0.001 if rule == "stop_loss" else 1 + 0.001)
    assert stop["symbol"] == SYMBOL and stop["urgent"] and stop["level"] == "critical"
    assert f"price {close:.3f} CNY" in stop["message"] and f"trigger {trigger:.3f} CNY" in stop["message"]
    assert "paper-alert" in stop["message"]
    assert halt["urgent"] and "HALTED" in halt["message"] and switch["state"] == "HALTED"
    assert switch["reason"].startswith("drawdown ") and switch["reason"] in halt["message"]
    assert log["status"].to_list() == ["sent", "sent"] and log["delivered"].to_list() == [True, True]
    # delivered at the tick the exit was decided, not at the session's end
    assert sent_at_tick[decided] == 1
    contents = [r["body"]["content"] for r in bots.accepted("webhook")]
    assert len(contents) == 2 and any(f"{close:.3f}" in c for c in contents)
    _no_secret(bots, log)


def test_tq_trade_halt_and_resume_alert_once_per_change(home: Path, bots: BotServer, tmp_path: Path) -> None:
    db = f"duckdb:///{tmp_path / 'halt.duckdb'}"
    for args in (
        ["halt", "--account", "acct-1", "--reason", "broker down"],
        ["halt", "--account", "acct-1", "--reason", "still down"],
    ):
        result = runner.invoke(app, ["trade", *args, "--db", db])
        assert result.exit_code == 0, result.output
    log = _alerts(db)
    assert log.height == 1  # the second halt changed nothing: no second alert
    row = log.row(0, named=True)
    assert row["rule"] == "kill_switch" and row["urgent"] and row["status"] == "sent"
    assert "acct-1" in row["message"] and "HALTED" in row["message"] and "broker down" in row["message"]
    assert "engaged" in row["message"]
    result = runner.invoke(
        app, ["trade", "resume", "--account", "acct-1", "--reason", "broker back", "--db", db]
    )
    assert result.exit_code == 0, result.output
    log = _alerts(db)
    assert log.height == 2 and log["status"].to_list() == ["sent", "sent"]
    assert "released" in log.filter(pl.col("message").str.contains("broker back"))["message"][0]
    assert [("released" in r["body"]["content"]) for r in bots.accepted("webhook")] == [False, True]
    _no_secret(bots, log)
