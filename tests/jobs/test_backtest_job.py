"""The backtest job: any registered strategy through `tq backtest`, recorded with what a replay needs, and
`tq backtest --replay` reproducing it — also after tq.toml's fees changed."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from thermoquant.cli import app
from thermoquant.config import get_settings
from thermoquant.data.store import open_store
from thermoquant.jobs.backtest import BacktestRequest, replay, run_backtest_job
from thermoquant.jobs.context import JobContext

runner = CliRunner()


def _run_id(output: str) -> str:
    return output.split("run_id=")[1].split("（")[0].strip()


def test_strategies_list_prints_every_parameter_with_default_and_unit(cli_home: Path) -> None:
    result = runner.invoke(app, ["strategies", "list"])
    assert result.exit_code == 0, result.output
    for text in ("csi500_timing", "thermo_scan", "breadth_low", "16.0", "min_amount", "20000000.0", "CNY",
                 "max_positions", "lookback: 250 trading days"):  # fmt: skip
        assert text in result.output, text


def test_backtest_records_config_inputs_and_replays_identically(cli_home: Path, monkeypatch) -> None:
    done = runner.invoke(app, ["backtest", "csi500_timing", "--mode", "etf", "-p", "weight=0.9"])
    assert done.exit_code == 0, done.output
    rid = _run_id(done.output)
    report = cli_home / "reports" / f"{rid}.html"
    assert report.exists() and str(report) in done.output.replace("\n", "")
    with open_store(init=False) as store:
        row = store.read("backtest_log", where={"run_id": rid}).row(0, named=True)
        trades = store.read("trades", where={"run_id": rid})
    config, inputs = json.loads(row["config"]), json.loads(row["inputs"])
    assert config["fill"] == "next_open" and config["fees"]["commission_rate"] == 0.00025
    assert [r["sell"] for r in config["market_rules"]["stamp_duty"]][-1] == 0.0005
    assert inputs["source"] == "sample" and inputs["mode"] == "etf" and set(inputs["frames"]) == {
        "bars", "benchmark", "csi500", "events"
    }  # fmt: skip
    assert json.loads(row["params"])["weight"] == 0.9 and trades.height > 0
    # tq.toml (here: its environment override) changes after the run: the replay still uses the recorded fees
    monkeypatch.setenv("TQ_FEES__COMMISSION_RATE", "0.003")
    get_settings.cache_clear()
    again = runner.invoke(app, ["backtest", "--replay", rid])
    assert again.exit_code == 0, again.output
    assert (
        "输入 inputs: 相同 identical" in again.output and "指标 metrics: 完全相同 identical" in again.output
    )
    fresh = runner.invoke(
        app, ["backtest", "csi500_timing", "--mode", "etf", "-p", "weight=0.9", "--no-record"]
    )
    assert "已记录" not in fresh.output
    assert (
        fresh.output.split("总收益 total return")[1][:40] != done.output.split("总收益 total return")[1][:40]
    )


def test_replay_says_when_the_recorded_metrics_differ(cli_home: Path) -> None:
    ctx = JobContext()
    job = run_backtest_job(ctx, BacktestRequest("csi500_timing"), report_to=False)
    with open_store(init=False) as store:
        store.execute(
            "UPDATE backtest_log SET metrics = ? WHERE run_id = ?",
            [json.dumps({**job.run.summary, "total_return": 9.99}), job.run_id],
        )
    result = replay(ctx, job.run_id)
    assert result.inputs_identical and not result.metrics_identical
    assert any(d.startswith("metric total_return: 9.99 →") for d in result.differences)
    cli = runner.invoke(app, ["backtest", "--replay", job.run_id])
    assert cli.exit_code == 1 and "不同 differ" in cli.output


def test_backtest_list_and_show(cli_home: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    empty = runner.invoke(app, ["backtest", "list"])
    assert empty.exit_code == 0 and "为空" in empty.output
    done = runner.invoke(app, ["backtest", "csi500_timing", "--no-report"])
    rid = _run_id(done.output)
    listed = runner.invoke(app, ["backtest", "list"])
    assert rid in listed.output and "+180.03%" in listed.output and "45" in listed.output
    shown = runner.invoke(app, ["backtest", "show", rid])
    assert shown.exit_code == 0 and '"breadth_low": 16.0' in shown.output and "index_nav" in shown.output
    missing = runner.invoke(app, ["backtest", "show", "nope"])
    assert missing.exit_code == 1 and "tq backtest list" in missing.output


def test_start_before_the_sample_is_an_error_and_unknown_fill_a_usage_error(cli_home: Path) -> None:
    early = runner.invoke(app, ["backtest", "csi500_timing", "--start", "2015-01-01", "--end", "2016-03-31"])
    assert early.exit_code == 1 and "--source store" in early.output and "Traceback" not in early.output
    bad = runner.invoke(app, ["backtest", "csi500_timing", "--fill", "magic"])
    assert bad.exit_code == 2 and "index_nav" in bad.output


def test_params_from_tq_toml_and_the_command_line(cli_home: Path, tmp_path: Path) -> None:
    (tmp_path / "tq.toml").write_text(
        "[strategies.csi500_timing]\nbreadth_low = 20\nheat_exit = 2\n", "utf-8"
    )
    get_settings.cache_clear()
    toml = runner.invoke(app, ["backtest", "csi500_timing", "--no-report"])
    cli = runner.invoke(app, ["backtest", "csi500_timing", "--no-report", "-p", "breadth_low=18"])
    with open_store(init=False) as store:
        got = {r["run_id"]: json.loads(r["params"]) for r in store.read("backtest_log").iter_rows(named=True)}
    assert got[_run_id(toml.output)]["breadth_low"] == 20.0 and got[_run_id(toml.output)]["heat_exit"] == 2.0
    assert got[_run_id(cli.output)]["breadth_low"] == 18.0 and got[_run_id(cli.output)]["heat_exit"] == 2.0
    (tmp_path / "tq.toml").write_text("[strategies.csi500_timing]\nbreadth_lo = 20\n", "utf-8")
    get_settings.cache_clear()
    bad = runner.invoke(app, ["backtest", "csi500_timing", "--no-report"])
    assert bad.exit_code != 0 and "tq.toml [strategies.csi500_timing]" in str(bad.exception) + bad.output


def test_risk_caps_from_tq_toml_cut_record_and_replay(cli_home: Path, tmp_path: Path) -> None:
    (tmp_path / "tq.toml").write_text("[risk]\nmax_symbol_weight = 0.5\n", "utf-8")
    get_settings.cache_clear()
    capped = runner.invoke(app, ["backtest", "csi500_timing", "--mode", "etf", "--no-report"])
    free = runner.invoke(app, ["backtest", "csi500_timing", "--mode", "etf", "--no-report", "--no-risk"])
    assert capped.exit_code == 0 and free.exit_code == 0, capped.output + free.output
    assert "risk caps cut" in capped.output and "risk caps cut" not in free.output
    with open_store(init=False) as store:
        rows = {r["run_id"]: r for r in store.read("backtest_log").iter_rows(named=True)}
        buys = {
            rid: store.read("trades", where={"run_id": rid, "side": "buy"}).sort("trade_time")["quantity"][0]
            for rid in rows
        }
    cut, plain = _run_id(capped.output), _run_id(free.output)
    risk = json.loads(rows[cut]["config"])["risk"]
    assert risk["limits"]["max_symbol_weight"] == 0.5 and risk["refused"] > 0
    assert risk["reasons"] == {"symbol cap": risk["refused"]}
    assert json.loads(rows[plain]["config"])["risk"] == {"limits": None, "refused": 0, "reasons": {}}
    assert 0.48 <= buys[cut] / buys[plain] <= 0.52
    (tmp_path / "tq.toml").write_text("[risk]\nmax_symbol_weight = 1.0\n", "utf-8")  # the recorded caps win
    get_settings.cache_clear()
    again = runner.invoke(app, ["backtest", "--replay", cut])
    assert again.exit_code == 0 and "指标 metrics: 完全相同 identical" in again.output, again.output
    (tmp_path / "tq.toml").write_text("[risk]\nmax_orders_per_day = 1900\n", "utf-8")  # + 500 cancels > 2000
    get_settings.cache_clear()
    bad = runner.invoke(app, ["backtest", "csi500_timing", "--mode", "etf", "--no-report"])
    assert bad.exit_code == 1 and "tq.toml" in bad.output and "10%" in bad.output, bad.output
