"""`tq alerts test` and `tq alerts log` as a user runs them: channels in tq.toml, secrets from the environment,
delivered to the real local bot server; no secret in any output or in alerts_log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from thermoquant.cli import app
from thermoquant.config import get_settings
from thermoquant.data.store import open_store

from .servers import BotServer

runner = CliRunner()


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bots: BotServer) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    urls = bots.urls()
    (home / "tq.toml").write_text(
        f"""
[alerts]
urgent_channels = ["ding"]

[alerts.channels.ding]
kind = "dingtalk"
url_env = "TEST_DING_URL"
secret_env = "TEST_DING_SECRET"
mentions = ["13800001111"]

[alerts.channels.fs]
kind = "feishu"
url = "{urls["feishu"]}"
secret = "{bots.feishu_secret}"

[alerts.channels.sms]
kind = "webhook"
url = "{urls["webhook"]}"
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
    monkeypatch.setenv("TEST_DING_URL", urls["dingtalk"])
    monkeypatch.setenv("TEST_DING_SECRET", bots.ding_secret)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


def test_test_message_to_each_channel_and_the_log(configured: Path, bots: BotServer) -> None:
    outputs = []
    for channel in ("ding", "fs", "sms"):
        result = runner.invoke(app, ["alerts", "test", "--channel", channel])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert [len(bots.accepted(k)) for k in ("dingtalk", "feishu", "webhook")] == [1, 1, 1]
    assert "test message" in bots.accepted("webhook")[0]["body"]["content"]
    result = runner.invoke(app, ["alerts", "log"])
    assert result.exit_code == 0, result.output
    outputs.append(result.output)
    assert "alerts_log" in result.output and "3" in result.output
    with open_store(init=False) as store:
        log = store.read("alerts_log")
        stored = log.write_csv()
        jobs = store.read("job_log").write_csv()
    assert log["rule"].to_list() == ["channel_test"] * 3 and log["status"].to_list() == ["sent"] * 3
    assert sorted(log["channels"].to_list()) == ["ding", "fs", "sms"]
    for secret in (bots.ding_secret, bots.ding_token, bots.feishu_secret, bots.feishu_hook, bots.sms_token):
        for text in (*outputs, stored, jobs):
            assert secret not in text


def test_failures_are_readable(configured: Path, bots: BotServer, monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(app, ["alerts", "test", "--channel", "nope"])
    assert result.exit_code == 2 and "nope" in result.output and "ding" in result.output
    monkeypatch.setenv("TEST_DING_SECRET", "SECwrong-secret-for-the-test")
    get_settings.cache_clear()
    result = runner.invoke(app, ["alerts", "test", "--channel", "ding"])
    assert result.exit_code == 1 and "310000" in result.output
    assert "SECwrong-secret-for-the-test" not in result.output
    monkeypatch.delenv("TEST_DING_URL")
    get_settings.cache_clear()
    result = runner.invoke(app, ["alerts", "test", "--channel", "ding"])
    assert result.exit_code == 2 and "TEST_DING_URL" in result.output  # the missing variable is named
    result = runner.invoke(app, ["alerts", "test", "--channel", "fs"])
    assert result.exit_code == 0, result.output  # one broken channel does not stop the others
