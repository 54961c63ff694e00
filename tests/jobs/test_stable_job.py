"""The stable-alert job on a store: signals (layer stable) and alerts_log rows, re-runs idempotent, a delivered
flag set by the sender is never reset; `tq alerts stable` lists them."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
from typer.testing import CliRunner

from thermoquant.data.store import open_store
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.stable import run_stable_alerts

D = dt.date


def _seed(url: str) -> None:
    fin = pl.DataFrame({
        "symbol": ["600000.SH", "600000.SH"], "report_period": [D(2023, 6, 30), D(2023, 9, 30)],
        "ann_date": [D(2023, 8, 30), D(2023, 10, 30)], "profit_yoy": [-40.0, -35.0],
    })  # fmt: skip
    days = [D(2023, 10, 2) + dt.timedelta(days=i) for i in range(25)]
    val = pl.DataFrame({"symbol": "600000.SH", "trade_date": days, "pe_ttm": [10.0] * 20 + [14.0] * 5,
                        "pb": [1.0] * 25})  # fmt: skip
    with open_store(url) as store:
        store.upsert("finance_data", fin)
        store.upsert("daily_valuation", val)


def test_stable_job_writes_signals_and_pending_alerts(tmp_path) -> None:
    url = f"duckdb:///{tmp_path / 'tq.duckdb'}"
    _seed(url)
    ctx = JobContext(db_url=url, today=D(2023, 12, 1))
    first = run_stable_alerts(ctx, D(2023, 10, 31), days=60)
    assert first.events.select("rule").to_series().to_list() == ["pe_spike", "profit_drop"]
    with open_store(url) as store:
        sig = store.read("signals", where={"strategy": "stable_alert"})
        log = store.read("alerts_log")
    assert sig.height == 2 and set(sig["layer"]) == {"stable"} and set(sig["signal"]) == {"ALERT"}
    assert json.loads(sig.filter(pl.col("signal_time").dt.date() == D(2023, 10, 30))["details"].item())[0][
        "alert_id"] == "stable:profit_drop:600000.SH:2023-09-30"  # fmt: skip
    assert sorted(log["alert_id"]) == [
        "stable:pe_spike:600000.SH:2023-10-22",
        "stable:profit_drop:600000.SH:2023-09-30",
    ]
    assert log["delivered"].null_count() == 2 and log["message"].str.contains("-35.00%").any()
    with open_store(url) as store:  # the sender marks one delivered
        store.upsert("alerts_log", log.head(1).with_columns(pl.lit(True).alias("delivered")))
    again = run_stable_alerts(ctx, D(2023, 10, 31), days=60)
    assert again.written == {"signals": 0, "alerts_log": 0}
    with open_store(url) as store:
        after = store.read("alerts_log").sort("alert_id")
    assert after.height == 2 and after["delivered"].to_list().count(True) == 1

    from thermoquant.cli.main import app

    out = CliRunner().invoke(app, ["alerts", "stable", "--date", "2023-10-31", "--days", "60", "--db", url])
    assert out.exit_code == 0, out.output
    assert (
        "stable.profit_drop" in out.output and "待发送 pending" in out.output and "已发送 sent" in out.output
    )
