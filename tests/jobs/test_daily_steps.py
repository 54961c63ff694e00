"""Steps of the daily chain on small real-shaped inputs: the ingest step's alerts (rejected rows above the
threshold, a partial ingest) and the completeness gate (a late feed is a failure)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from thermoquant.config import get_settings
from thermoquant.data.sources.recorded_write import write_eastmoney_daily
from thermoquant.data.store import open_store
from thermoquant.jobs.chain import RunContext
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.daily_steps import LateFeedError, complete_step, ingest_step

DAY = dt.date(2022, 1, 14)
PREV = dt.date(2022, 1, 13)


def bars(symbols: list[str], day: dt.date) -> pl.DataFrame:
    n = len(symbols)
    return pl.DataFrame({
        "symbol": symbols, "trade_date": [day] * n, "open": [10.0] * n, "high": [10.5] * n, "low": [9.8] * n,
        "close": [10.2] * n, "pre_close": [10.0] * n, "volume": [1_000_000.0] * n, "amount": [10_150_000.0] * n,
    })  # fmt: skip


def test_ingest_alerts_and_the_gate(tmp_path: Path) -> None:
    symbols = ["600000.SH", "000001.SZ", "300750.SZ", "600519.SH"]
    day_bars = bars(symbols, DAY)
    # a row the quality rules reject: the high below the low
    day_bars = day_bars.with_columns(
        pl.when(pl.col("symbol") == "000001.SZ").then(9.0).otherwise(pl.col("high")).alias("high")
    )
    recorded = tmp_path / "recorded"
    write_eastmoney_daily(day_bars.filter(pl.col("symbol") != "600519.SH"), recorded)
    (recorded / "stock_zh_a_hist" / "600519.parquet").write_bytes(b"not a parquet file")  # this item fails
    url = f"duckdb:///{tmp_path / 'tq.duckdb'}"
    settings = get_settings().model_copy(
        update={"alerts": get_settings().alerts.model_copy(update={"rejection_threshold": 0})}
    )
    ctx = JobContext(settings=settings, db_url=url)
    with open_store(url) as store:
        store.upsert("stock_info", pl.DataFrame({"symbol": symbols, "name": symbols}))
        store.upsert("daily_quote", bars(symbols, PREV))
        rc = RunContext(ctx, DAY, "daily|2022-01-14", store=store)
        written = ingest_step("daily_quote", [f"fixture:{recorded}"])(rc)
        assert written == 2  # 600000 and 300750; 000001 rejected, 600519 failed
        alerts = store.read("alerts_log").sort("rule")
        assert alerts["rule"].to_list() == ["data_rejected", "ingest_partial"]
        assert all(s == "pending" for s in alerts["status"]) and not any(alerts["urgent"])
        assert "partial" in rc.notes["ingest:daily_quote"]
        strict = settings.model_copy(update={"daily": settings.daily.model_copy(update={"min_share": 0.75})})
        with pytest.raises(LateFeedError, match="2 stocks"):  # 2 of yesterday's 4 < 75 %: a late feed
            complete_step(
                RunContext(JobContext(settings=strict, db_url=url), DAY, "daily|2022-01-14", store=store)
            )
        complete_step(rc)  # 2 ≥ 0.5 × 4: the day is complete enough
        assert rc.notes["complete"] == "2 stocks (4 on 2022-01-13)"


def test_daily_on_a_holiday(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from thermoquant.cli import app

    monkeypatch.setenv("TQ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TQ_TODAY", "2024-10-03")  # National Day
    get_settings.cache_clear()
    runner = CliRunner()
    today = runner.invoke(app, ["daily"])
    assert today.exit_code == 0 and "nothing to do" in today.output
    explicit = runner.invoke(app, ["daily", "--date", "2024-10-05"])
    assert explicit.exit_code == 2 and "not an XSHG trading day" in explicit.output
    get_settings.cache_clear()


def test_the_default_datasets_when_none_are_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from thermoquant.config import load_settings
    from thermoquant.jobs.daily import daily_steps

    def steps(toml: str) -> list:
        (tmp_path / "tq.toml").write_text(toml, encoding="utf-8")
        monkeypatch.setenv("TQ_CONFIG", str(tmp_path / "tq.toml"))
        return daily_steps(load_settings(data_dir=tmp_path))

    def ingest_steps(toml: str) -> list[str]:
        return [st.name for st in steps(toml) if st.name.startswith("ingest:")]

    defaults = ["ingest:trade_calendar", "ingest:stock_info", "ingest:daily_quote", "ingest:funds_flow"]
    assert ingest_steps("[daily]\nfactor_dims = [1]\n") == defaults  # not set: the default
    assert ingest_steps("[daily]\ndatasets = {}\n") == []  # an empty table: no ingest step
    assert ingest_steps('[daily]\ndatasets = { daily_quote = ["akshare"] }\n') == ["ingest:daily_quote"]
    complete = next(st for st in steps("") if st.name == "complete")
    assert complete.depends_on == tuple(defaults)  # the gate waits for every ingest step


class AfterClose:
    """The clock of a run at 17:30 on DAY (the scheduler's default time, after the close)."""

    def now(self) -> dt.datetime:
        return dt.datetime.combine(DAY, dt.time(17, 30))

    def sleep(self, seconds: float) -> None:
        pass


def test_the_ingest_step_takes_the_new_day_from_the_snapshot_after_the_close(tmp_path: Path) -> None:
    from thermoquant.data.sources.recorded_write import write_eastmoney_spot

    symbols = ["600000.SH", "000001.SZ", "300750.SZ", "600519.SH"]
    recorded = tmp_path / "recorded"
    write_eastmoney_daily(bars(symbols, DAY), recorded)
    write_eastmoney_spot(bars(symbols, DAY), recorded)
    url = f"duckdb:///{tmp_path / 'tq.duckdb'}"
    with open_store(url) as store:
        store.upsert("stock_info", pl.DataFrame({"symbol": symbols, "name": symbols}))
        store.upsert("daily_quote", bars(symbols, PREV).with_columns(pl.lit(10.0).alias("close")))
        rc = RunContext(JobContext(db_url=url), DAY, "daily|2022-01-14", clock=AfterClose(), store=store)
        assert ingest_step("daily_quote", [f"fixture:{recorded}"])(rc) == 4
        assert rc.notes["ingest:daily_quote"].startswith("snapshot fixture: 4 stocks; ok:")
        assert "up to date 4" in rc.notes["ingest:daily_quote"]  # nothing left for the per-stock ingest
        assert store.read("daily_quote", start=DAY, end=DAY).height == 4
        late = RunContext(JobContext(db_url=url), dt.date(2022, 1, 17), "daily|2022-01-17", store=store)
        ingest_step("daily_quote", [f"fixture:{recorded}"])(late)  # the wall clock: not that day's close
        assert "snapshot not used" in late.notes["ingest:daily_quote"]


def test_index_bars_bring_the_stored_series_up_to_date_never_stock_codes(tmp_path: Path) -> None:
    from thermoquant.data.ingest import make_source, run_ingest

    fixture = f"fixture:{Path(__file__).resolve().parents[1] / 'data' / 'sources' / 'fixtures' / 'akshare'}"
    day = dt.date(2024, 3, 29)
    url = f"duckdb:///{tmp_path / 'tq.duckdb'}"
    with open_store(url) as store:
        store.upsert("stock_info", pl.DataFrame({"symbol": ["600000.SH"], "name": ["浦发银行"]}))
        rc = RunContext(JobContext(db_url=url), day, "daily|2024-03-29", store=store)
        assert ingest_step("index_daily", [fixture])(rc) == 0  # nothing tracked yet: said so, no stock codes
        assert "no series stored" in rc.notes["ingest:index_daily"]
        run_ingest(
            store, "index_daily", [make_source(fixture)], symbols=["000905.SH"], end=dt.date(2024, 3, 20)
        )
        assert ingest_step("index_daily", [fixture])(rc) == 7  # 03-21 … 03-29: the sessions the series lacked
        assert "failed 0" in rc.notes["ingest:index_daily"]
        stored = store.read("index_daily")
    assert stored["index_code"].unique().to_list() == ["000905.SH"] and stored["trade_date"].max() == day
