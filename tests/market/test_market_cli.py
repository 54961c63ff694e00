"""`tq market …` through the real Typer app."""

from __future__ import annotations

from typer.testing import CliRunner

from thermoquant.cli import app

runner = CliRunner()


def test_limit_command_chinext_after_reform() -> None:
    result = runner.invoke(app, ["market", "limit", "300750", "192.23", "--date", "2020-08-24"])
    assert result.exit_code == 0, result.output
    assert "230.68" in result.output and "153.78" in result.output


def test_fee_command_stamp_duty_halving() -> None:
    before = runner.invoke(app, ["market", "fee", "sell", "100000", "600000", "--date", "2023-08-25"])
    after = runner.invoke(app, ["market", "fee", "sell", "100000", "600000", "--date", "2023-08-28"])
    assert before.exit_code == 0 and after.exit_code == 0
    assert "126.00" in before.output and "76.00" in after.output


def test_symbol_and_calendar_commands() -> None:
    result = runner.invoke(app, ["market", "symbol", "sh.600000", "bj830799"])
    assert result.exit_code == 0
    assert "600000.SH" in result.output and "830799.BJ" in result.output
    days = runner.invoke(app, ["market", "calendar", "2024-02-08", "2024-02-19"])
    assert days.exit_code == 0 and "2 个交易日" in days.output
    beyond = runner.invoke(app, ["market", "calendar", "2099-01-05"])
    assert beyond.exit_code == 2 and "2099-01-05" in beyond.output
