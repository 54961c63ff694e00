"""Each notifier against a real local server: the bots' key and signature checks, their success and error bodies
(HTTP 200 with a code), and SMTP with login over implicit TLS and STARTTLS."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from thermoquant.alerts.bots import DingTalkBot, FeishuBot, WeComBot
from thermoquant.alerts.email import EmailNotifier
from thermoquant.alerts.notifier import Message
from thermoquant.alerts.webhook import WebhookNotifier

from .servers import BotServer, free_port, smtp_server

MSG = Message("测试 test", "中证500 择时：今日无信号 / no signal today", "info")


def test_wecom_success_and_errors_from_the_body(bots: BotServer) -> None:
    ok = WeComBot("wx", bots.urls()["wecom"], mentions=["13800001111"]).send(MSG)
    assert ok.ok and ok.code == "0"
    sent = bots.accepted("wecom")[0]["body"]
    assert sent["msgtype"] == "text" and sent["text"]["mentioned_mobile_list"] == ["13800001111"]
    assert "中证500" in sent["text"]["content"]

    bad = WeComBot("wx", bots.urls()["wecom"].replace(bots.wecom_key, "wrong-key")).send(MSG)
    assert not bad.ok and bad.code == "93000" and not bad.retry  # HTTP 200, error in the body
    too_long = WeComBot("wx", bots.urls()["wecom"]).send(Message("t", "长" * 1000))
    assert too_long.code == "40058" and not too_long.retry


def test_wecom_throttling_and_5xx_are_retried(bots: BotServer) -> None:
    bots.throttle_after["wecom"] = 1
    bot = WeComBot("wx", bots.urls()["wecom"])
    assert bot.send(MSG).ok
    throttled = bot.send(MSG)
    assert throttled.code == "45009" and throttled.retry
    bots.fail_first["wecom"] = 1
    unavailable = bot.send(MSG)
    assert unavailable.code == "http 503" and unavailable.retry


def test_dingtalk_signature_checked_by_the_server(bots: BotServer) -> None:
    url = bots.urls()["dingtalk"]
    ok = DingTalkBot("ding", url, bots.ding_secret, mentions=["13900002222"]).send(MSG)
    assert ok.ok, ok
    query = bots.accepted("dingtalk")[0]["query"]
    assert len(query["timestamp"]) == 13  # milliseconds
    body = bots.accepted("dingtalk")[0]["body"]
    assert body["at"]["atMobiles"] == ["13900002222"] and "@13900002222" in body["markdown"]["text"]

    wrong = DingTalkBot("ding", url, "SECanother-secret").send(MSG)
    assert not wrong.ok and wrong.code == "310000" and not wrong.retry
    assert "SECanother-secret" not in wrong.detail
    unsigned = DingTalkBot("ding", url, None).send(MSG)
    assert unsigned.code == "310000"
    stale = DingTalkBot("ding", url, bots.ding_secret, epoch=lambda: 1_000_000_000.0).send(MSG)
    assert stale.code == "310000"  # a timestamp more than an hour off is refused
    token = DingTalkBot("ding", url.replace(bots.ding_token, "nope"), bots.ding_secret).send(MSG)
    assert token.code == "300001"


def test_dingtalk_throttled_is_retried(bots: BotServer) -> None:
    bots.throttle_after["dingtalk"] = 0
    d = DingTalkBot("ding", bots.urls()["dingtalk"], bots.ding_secret).send(MSG)
    assert d.code == "130101" and d.retry


def test_feishu_signature_in_the_body(bots: BotServer) -> None:
    url = bots.urls()["feishu"]
    ok = FeishuBot("fs", url, bots.feishu_secret).send(MSG)
    assert ok.ok, ok
    body = bots.accepted("feishu")[0]["body"]
    assert isinstance(body["timestamp"], str) and len(body["timestamp"]) == 10  # seconds, as a string
    wrong = FeishuBot("fs", url, "other-secret").send(MSG)
    assert not wrong.ok and wrong.code == "19021" and not wrong.retry
    bots.throttle_after["feishu"] = 1
    throttled = FeishuBot("fs", url, bots.feishu_secret).send(MSG)
    assert throttled.code == "11232" and throttled.retry


def test_no_answer_is_retried_and_names_no_secret() -> None:
    port = free_port()  # nothing listens there
    url = f"http://127.0.0.1:{port}/robot/send?access_token=tok-secret-123456"
    d = DingTalkBot("ding", url, "SECsigning-secret-xyz").send(MSG)
    assert not d.ok and d.retry and d.code == "transport"
    assert "tok-secret-123456" not in d.detail and "SECsigning-secret-xyz" not in d.detail


def test_webhook_template_per_recipient(bots: BotServer) -> None:
    hook = WebhookNotifier(
        "sms", bots.urls()["webhook"], body='{{"to": "{recipient}", "content": "{title}: {message}"}}',
        headers={"Authorization": f"Bearer {bots.sms_token}"}, recipients=["13800001111", "13900002222"],
        ok_field="code", ok_value=0,
    )  # fmt: skip
    quoted = Message('引号 "quoted"', "line1\nline2")
    assert hook.send(quoted).ok
    got = [r["body"] for r in bots.accepted("webhook")]
    assert [b["to"] for b in got] == ["13800001111", "13900002222"]
    assert got[0]["content"] == '引号 "quoted": line1\nline2'

    hook.recipients = ["not-a-phone"]
    bad = hook.send(MSG)
    assert not bad.ok and bad.code == "1001" and not bad.retry  # 200 with an error code in the body
    hook.headers = {"Authorization": "Bearer wrong"}
    unauthorized = hook.send(MSG)
    assert unauthorized.code == "http 401" and not unauthorized.retry


@pytest.mark.filterwarnings(
    "ignore:Requiring AUTH while not requiring TLS"
)  # implicit TLS: aiosmtpd cannot tell
@pytest.mark.parametrize("mode", ["ssl", "starttls"])
def test_email_with_login_over_tls(mode: str, tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    controller, box = smtp_server(mode, cert, key, "alerts@example.com", "app-password-7788")
    try:
        notifier = EmailNotifier(
            "mail", "127.0.0.1", "alerts@example.com", ["ops@example.com", "pm@example.com"],
            port=controller.port, security=mode, username="alerts@example.com", password="app-password-7788",
            ca_file=str(cert),
        )  # fmt: skip
        result = notifier.send(MSG)
        assert result.ok, result
        assert len(box.messages) == 1
        got = box.messages[0]
        assert got["to"] == ["ops@example.com", "pm@example.com"] and got["login"] == b"alerts@example.com"
        mail = email.message_from_bytes(got["data"], policy=email.policy.default)
        assert mail["Subject"] == "测试 test"
        assert "中证500" in mail.get_content()

        notifier.password = "wrong-password-1234"
        refused = notifier.send(MSG)
        assert not refused.ok and refused.code == "535" and not refused.retry
        assert "wrong-password-1234" not in refused.detail
        assert len(box.messages) == 1
    finally:
        controller.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_email_untrusted_certificate_is_a_failure(tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    controller, box = smtp_server("ssl", cert, key, "u@example.com", "pw-123456")
    try:
        notifier = EmailNotifier("mail", "127.0.0.1", "u@example.com", ["o@example.com"], port=controller.port,
                                 security="ssl", username="u@example.com", password="pw-123456")  # fmt: skip
        result = notifier.send(MSG)  # the system CAs do not trust the test certificate
        assert not result.ok and result.code == "transport" and box.messages == []
    finally:
        controller.stop()
