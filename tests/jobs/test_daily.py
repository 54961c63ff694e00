"""`tq daily` as a user runs it (a real process) on the bundled sample: the day's bars come from recorded AKShare
answers through the real adapter; a second run changes nothing; a kill -9 at any point followed by a re-run ends
in the same database and files as a clean run; a failed step stops only its dependents."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import polars as pl
import pytest

from thermoquant.data import trade_calendar
from thermoquant.data.sources.recorded_write import write_eastmoney_daily
from thermoquant.data.sources.sample import load_sample
from thermoquant.data.store import open_store
from thermoquant.jobs.chain import RunContext, Step, run_chain
from thermoquant.jobs.context import JobContext

DAY = date(2022, 1, 14)
STOCKS = 300
"""Stocks kept of the sample (the chain's cost grows with them; every step still runs on real bars)."""

VOLATILE = {"created_at", "updated_at", "started_at", "finished_at", "alert_time", "sent_at", "next_attempt_at",
            "job_id", "results", "rows_written"}  # fmt: skip
"""Columns that record when or by which process a row was written, not what it says."""


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(database file, recorded answers dir): the sample up to the day before, and the day as AKShare answers."""
    root = tmp_path_factory.mktemp("daily")
    db = root / "pristine.duckdb"
    with open_store(f"duckdb:///{db}") as store:
        load_sample(store)
        trade_calendar.write_calendar(store, trade_calendar.package_rows())
        keep = sorted(
            store.query("SELECT DISTINCT symbol FROM daily_quote WHERE trade_date = ?", [DAY])["symbol"]
        )
        keep = keep[:: max(1, len(keep) // STOCKS)][:STOCKS]
        listed = ",".join(f"'{s}'" for s in keep)
        for table in ("daily_quote", "stock_info"):
            store.execute(f"DELETE FROM {table} WHERE symbol NOT IN ({listed})")
        day = store.read("daily_quote", start=DAY, end=DAY)
        write_eastmoney_daily(day, root / "recorded")
        store.execute("DELETE FROM daily_quote WHERE trade_date = ?", [DAY])
    return db, root / "recorded"


@pytest.fixture
def workspace(tmp_path: Path, pristine: tuple[Path, Path]) -> Iterator[Path]:
    """A data dir with a copy of the pristine database and a tq.toml ingesting daily_quote from the recording."""
    db, recorded = pristine
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(db, home / "tq.duckdb")
    (home / "tq.toml").write_text(
        f'[daily]\ndatasets = {{ daily_quote = ["fixture:{recorded}"] }}\nfactor_dims = [1, 2]\n',
        encoding="utf-8",
    )
    yield home


def command(home: Path) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "TQ_DATA_DIR": str(home), "TQ_FIXTURE_DELAY": "0"}
    env.pop("TQ_CONFIG", None)
    return [sys.executable, "-m", "thermoquant.cli.main", "daily", "--date", DAY.isoformat()], env


def run_daily(home: Path) -> subprocess.CompletedProcess[str]:
    cmd, env = command(home)
    return subprocess.run(cmd, env=env, cwd=home, capture_output=True, text=True, timeout=600, check=False)


def snapshot(home: Path) -> dict[str, pl.DataFrame]:
    """Every table but job_log (a log of runs) and every Parquet file the chain wrote, without volatile columns,
    sorted."""
    out: dict[str, pl.DataFrame] = {}
    with open_store(f"duckdb:///{home / 'tq.duckdb'}", init=False) as store:
        for table in sorted(store.table_names() - {"job_log", "schema_version"}):
            out[table] = store.read(table)
    for path in sorted(home.rglob("*.parquet")):
        out[str(path.relative_to(home))] = pl.read_parquet(path)
    leftovers = [p for p in home.rglob("*.tmp")]
    assert leftovers == [], leftovers
    return {
        k: v.drop([c for c in v.columns if c in VOLATILE]).sort(pl.all()) for k, v in out.items() if v.height
    }


def assert_same(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name].equals(b[name]), name


class Receiver:
    """A local HTTP endpoint (a webhook channel) that keeps every JSON body and answers ``{"code": 0}``."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.bodies.append(json.loads(raw))
                data = b'{"code": 0, "msg": "ok"}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"


STEPS = ("ingest:daily_quote", "complete", "features", "physics", "signals:thermo_scan", "signals:attack_score",
         "stable", "evolve", "alerts")  # fmt: skip
"""Every step of the chain the workspace's tq.toml configures."""

PACK = {"ti_window": 5, "k_window": 30, "ignition_k": 1.0}
"""A parameter pack in force on the day (not the defaults: the physics step must compute with it, as the scan
does, for the scan to reuse its file)."""


def seed_stable_and_packs(home: Path) -> str:
    """Two reports of falling profit announced within the stable checks' window (a ``profit_drop`` alert) and a
    parameter pack for every stock; returns the symbol of the reports."""
    with open_store(f"duckdb:///{home / 'tq.duckdb'}", init=False) as store:
        symbols = store.query("SELECT DISTINCT symbol FROM daily_quote ORDER BY symbol")["symbol"].to_list()
        fin = pl.DataFrame({
            "symbol": [symbols[0]] * 2, "report_period": [date(2021, 6, 30), date(2021, 9, 30)],
            "ann_date": [date(2021, 8, 30), date(2021, 10, 28)], "profit_yoy": [-40.0, -35.0],
        })  # fmt: skip
        store.upsert("finance_data", fin)
        store.upsert("param_pack", pl.DataFrame({
            "symbol": symbols, "effective_date": date(2021, 6, 1), "params": json.dumps(PACK), "method": "test",
        }))  # fmt: skip
    return symbols[0]


@pytest.mark.slow
def test_daily_chain_then_a_second_run_changes_nothing(workspace: Path) -> None:
    from thermoquant.jobs.scan import daily_scan

    hook = Receiver()
    with (workspace / "tq.toml").open("a", encoding="utf-8") as toml:
        toml.write(
            f'\n[alerts.channels.hook]\nkind = "webhook"\nurl = "{hook.url}"\nok_field = "code"\nok_value = 0\n'
        )
    reported = seed_stable_and_packs(workspace)
    first = run_daily(workspace)
    assert first.returncode == 0, first.stdout + first.stderr
    for step in STEPS:
        assert f"{step}: 完成 ok" in first.stdout
    after = snapshot(workspace)
    assert after["daily_quote"].filter(pl.col("trade_date") == DAY).height == STOCKS
    on_day = after["signals"].filter(pl.col("signal_time").dt.date() == DAY)
    assert set(on_day["strategy"]) >= {"thermo_scan", "attack_score"}
    assert after["features/tdx/dim=1/part-d20220114.parquet"].height == STOCKS
    summary = after["alerts_log"].filter(pl.col("rule") == "daily_summary")
    assert summary.height == 1 and "完成 done" in summary["message"][0]
    assert summary["status"][0] == "sent" and len(hook.bodies) == 1  # one digest for the run
    assert "每日流程 daily chain" in hook.bodies[0]["text"]
    stable = after["alerts_log"].filter(pl.col("rule").str.starts_with("stable."))
    assert stable["rule"].to_list() == ["stable.profit_drop"] and stable["symbol"].to_list() == [reported]
    assert stable["status"].to_list() == ["sent"] and stable["delivered"].to_list() == [True]
    assert "stable.profit_drop" in hook.bodies[0]["text"]  # the stable alert went out in the digest
    packs = after["param_pack"].filter(pl.col("method") == "nightly")
    assert packs.height > 0 and set(packs["effective_date"]) == {date(2022, 1, 17)}  # the next session

    # the scan reused the physics step's file: computing the physics again gives the very same signals
    ctx = JobContext(db_url=f"duckdb:///{workspace / 'tq.duckdb'}")
    again = daily_scan(ctx, DAY, "thermo_scan").signals
    cols = [c for c in again.columns if c in on_day.columns]
    stored = on_day.filter(pl.col("strategy") == "thermo_scan").select(cols)
    again = again.select(cols).cast(stored.schema)  # type: ignore[arg-type]
    assert stored.height == again.height > 0 and stored.sort("symbol").equals(again.sort("symbol"))

    second = run_daily(workspace)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.count("已完成，跳过 done before") == len(STEPS)
    assert_same(after, snapshot(workspace))
    assert len(hook.bodies) == 1  # nothing sent twice
    hook.httpd.shutdown()


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["ingest:daily_quote", "features"])
def test_kill_9_then_rerun_equals_a_clean_run(workspace: Path, tmp_path: Path, kill_at: str) -> None:
    clean = tmp_path / "clean"
    shutil.copytree(workspace, clean)
    assert run_daily(clean).returncode == 0

    cmd, env = command(workspace)
    env["TQ_FIXTURE_DELAY"] = "0.02"  # 300 recorded answers: ~6 s of ingest to kill into
    proc = subprocess.Popen(
        cmd, env=env, cwd=workspace, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(f"▶ {kill_at}"):
            time.sleep(2.0 if kill_at.startswith("ingest") else 0.2)  # the replayed ingest is slowed down
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    with open_store(f"duckdb:///{workspace / 'tq.duckdb'}", init=False) as store:
        steps = store.read("job_step")
    interrupted = steps.filter(pl.col("status") == "running")["step"].to_list()
    assert len(interrupted) == 1  # killed inside a step

    rerun = run_daily(workspace)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"▶ {interrupted[0]}" in rerun.stdout  # the interrupted step is redone …
    for done in steps.filter(pl.col("status") == "ok")["step"].to_list():
        assert f"{done}: 已完成，跳过 done before" in rerun.stdout  # … finished ones are not
    assert_same(snapshot(clean), snapshot(workspace))


def test_a_failed_step_stops_only_its_dependents(tmp_store_url: str, tmp_path: Path) -> None:
    ran: list[str] = []

    def ok(name: str) -> Callable[[RunContext], int]:
        return lambda rc: ran.append(name) or 1

    def boom(rc: RunContext) -> int:
        raise RuntimeError("vendor timeout")

    steps = [
        Step("a", (), ok("a")),
        Step("bad", (), boom),
        Step("b", ("a",), ok("b")),
        Step("after_bad", ("bad",), ok("after_bad")),
        Step("digest", ("a", "bad", "b", "after_bad"), ok("digest"), always=True),
    ]
    ctx = JobContext(db_url=tmp_store_url)
    report = run_chain(RunContext(ctx, DAY, "test|2022-01-14"), steps)
    assert {o.step: o.status for o in report.outcomes} == {
        "a": "ok", "bad": "failed", "b": "ok", "after_bad": "skipped", "digest": "ok"}  # fmt: skip
    assert ran == ["a", "b", "digest"]
    with open_store(tmp_store_url) as store:
        alerts = store.read("alerts_log")
    assert alerts["rule"].to_list() == ["job_failed"] and "vendor timeout" in alerts["message"][0]
    assert alerts["urgent"].to_list() == [True]

    ran.clear()
    again = run_chain(
        RunContext(ctx, DAY, "test|2022-01-14"), [*steps[:1], Step("bad", (), ok("bad")), *steps[2:]]
    )
    assert {o.step: o.status for o in again.outcomes} == {
        "a": "done", "bad": "ok", "b": "done", "after_bad": "ok", "digest": "done"}  # fmt: skip
    assert ran == ["bad", "after_bad"]


@pytest.fixture
def tmp_store_url(tmp_path: Path) -> str:
    return f"duckdb:///{tmp_path / 'chain.duckdb'}"
