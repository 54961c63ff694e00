"""`tq ui`: the command line it starts (bound to this machine, headless, no usage statistics), and its help."""

from __future__ import annotations

from typer.testing import CliRunner

from thermoquant.cli.main import app
from thermoquant.cli.ui import APP, streamlit_command


def test_streamlit_command_is_local_headless_and_silent() -> None:
    cmd = streamlit_command("127.0.0.1", 8501)
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4] == str(APP) and APP.is_file()
    flags = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert flags["--server.address"] == "127.0.0.1" and flags["--server.port"] == "8501"
    assert flags["--server.headless"] == "true" and flags["--browser.gatherUsageStats"] == "false"


def test_ui_help_is_chinese_first_and_defaults_to_localhost() -> None:
    result = CliRunner().invoke(app, ["ui", "--help"])
    assert result.exit_code == 0, result.output
    assert "启动看板" in result.output and "127.0.0.1" in result.output and "8501" in result.output
