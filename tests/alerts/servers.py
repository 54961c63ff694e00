"""Real servers for the alert tests: an SMTP server (aiosmtpd: AUTH LOGIN/PLAIN, STARTTLS or implicit TLS with a
self-signed certificate made for the test) and one HTTP server that plays WeCom, DingTalk, Feishu and an SMS
gateway: it checks each bot's key and signature the way the platform does and answers with the platform's own
success and error bodies (HTTP 200 with a code in the body)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# The platforms' answers (shapes from their documentation and from answers users quote).
WECOM_OK = {"errcode": 0, "errmsg": "ok"}
WECOM_BAD_KEY = {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1700000000000000000000], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=93000"}  # fmt: skip
WECOM_TOO_LONG = {
    "errcode": 40058,
    "errmsg": "text.content exceed max length 2048. invalid Request Parameter",
}
WECOM_THROTTLED = {"errcode": 45009, "errmsg": "api freq out of limit, hint: [1700000000000000000001]"}
DING_OK = {"errcode": 0, "errmsg": "ok"}
DING_BAD_SIGN = {"errcode": 310000, "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}  # fmt: skip
DING_BAD_TOKEN = {"errcode": 300001, "errmsg": "token is not exist"}
DING_THROTTLED = {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
FEISHU_OK = {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}
FEISHU_BAD_SIGN = {"code": 19021, "data": {}, "msg": "sign match fail or timestamp is not within one hour from current time"}  # fmt: skip
FEISHU_THROTTLED = {
    "code": 11232,
    "data": {},
    "msg": "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]",
}
SMS_OK = {"code": 0, "msg": "ok"}
SMS_BAD_PHONE = {"code": 1001, "msg": "invalid phone number"}


@dataclass
class BotServer:
    """One thread serving every bot at 127.0.0.1:<port>; ``requests`` logs what arrived."""

    wecom_key: str = "wecom-key-5f1b2c"
    ding_token: str = "dingtoken8d7e6f"
    ding_secret: str = "SECdingsecret0123456789abcdef"
    feishu_hook: str = "feishu-hook-0a1b2c3d"
    feishu_secret: str = "feishusecretXYZ987"
    sms_token: str = "sms-bearer-token-42"
    throttle_after: dict[str, int] = field(default_factory=dict)
    """kind → number of accepted messages after which the bot answers with its throttling code"""
    fail_first: dict[str, int] = field(default_factory=dict)
    """kind → how many first requests get HTTP 503"""
    requests: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, body = server.answer(self.path, dict(self.headers), raw)
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def urls(self) -> dict[str, str]:
        return {
            "wecom": f"{self.base}/cgi-bin/webhook/send?key={self.wecom_key}",
            "dingtalk": f"{self.base}/robot/send?access_token={self.ding_token}",
            "feishu": f"{self.base}/open-apis/bot/v2/hook/{self.feishu_hook}",
            "webhook": f"{self.base}/sms/send",
        }

    def accepted(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["kind"] == kind and r["ok"]]

    def _count(self, kind: str) -> int:
        return len(self.accepted(kind))

    def answer(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        kind = ("wecom" if parts.path == "/cgi-bin/webhook/send" else "dingtalk" if parts.path == "/robot/send"
                else "feishu" if parts.path.startswith("/open-apis/bot/v2/hook/") else "webhook")  # fmt: skip
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = None
        record = {"kind": kind, "path": path, "query": query, "headers": headers, "body": body, "ok": False}
        self.requests.append(record)
        if self.fail_first.get(kind, 0) > 0:
            self.fail_first[kind] -= 1
            return 503, {"error": "service unavailable"}
        status, answer = getattr(self, f"_{kind}")(parts.path, query, headers, body)
        record["ok"] = status == 200 and answer.get("errcode", answer.get("code")) == 0
        if record["ok"] and kind in self.throttle_after and self._count(kind) > self.throttle_after[kind]:
            record["ok"] = False
            return 200, {"wecom": WECOM_THROTTLED, "dingtalk": DING_THROTTLED, "feishu": FEISHU_THROTTLED}[
                kind
            ]
        return status, answer

    def _wecom(
        self, path: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> tuple[int, dict]:
        if query.get("key") != self.wecom_key:
            return 200, WECOM_BAD_KEY
        content = body["text"]["content"]
        if body.get("msgtype") != "text" or len(content.encode("utf-8")) > 2048:
            return 200, WECOM_TOO_LONG
        return 200, WECOM_OK

    def _dingtalk(
        self, path: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> tuple[int, dict]:
        if query.get("access_token") != self.ding_token:
            return 200, DING_BAD_TOKEN
        ts = query.get("timestamp", "")
        expected = base64.b64encode(
            hmac.new(self.ding_secret.encode(), f"{ts}\n{self.ding_secret}".encode(), hashlib.sha256).digest()
        ).decode()
        fresh = ts.isdigit() and abs(int(ts) / 1000 - time.time()) < 3600
        # parse_qs already URL-decoded the sign once, as DingTalk's server does
        if not fresh or query.get("sign") != expected:
            return 200, DING_BAD_SIGN
        assert body["msgtype"] == "markdown" and body["markdown"]["title"]
        return 200, DING_OK

    def _feishu(
        self, path: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> tuple[int, dict]:
        if not path.endswith(self.feishu_hook):
            return 200, {
                "code": 19001,
                "data": {},
                "msg": "param invalid: incoming webhook access token invalid",
            }
        ts = str(body.get("timestamp", ""))
        key = f"{ts}\n{self.feishu_secret}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        fresh = ts.isdigit() and abs(int(ts) - time.time()) < 3600
        if not fresh or body.get("sign") != expected:
            return 200, FEISHU_BAD_SIGN
        assert body["msg_type"] == "text" and body["content"]["text"]
        return 200, FEISHU_OK

    def _webhook(
        self, path: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> tuple[int, dict]:
        if headers.get("Authorization") != f"Bearer {self.sms_token}":
            return 401, {"code": 401, "msg": "unauthorized"}
        if not str(body.get("to", "")).isdigit():
            return 200, SMS_BAD_PHONE
        return 200, SMS_OK


# ---------------------------------------------------------------------------------------------------------------
# SMTP
# ---------------------------------------------------------------------------------------------------------------


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1/localhost, made by the openssl command line."""
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


class Mailbox:
    """aiosmtpd handler: keeps every accepted message."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd)
        self.messages.append(
            {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "data": envelope.content,
             "login": getattr(session.auth_data, "login", None)}
        )  # fmt: skip
        return "250 Message accepted for delivery"


class Authenticator:
    """Accepts one user name and password (AUTH LOGIN or PLAIN)."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            self.user, self.password)  # fmt: skip
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def smtp_server(mode: str, cert: Path, key: Path, user: str, password: str) -> tuple[Controller, Mailbox]:
    """A started SMTP server: ``starttls`` (STARTTLS required before AUTH) or ``ssl`` (implicit TLS)."""
    box = Mailbox()
    port = free_port()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    auth = Authenticator(user, password)
    if mode == "ssl":
        controller = Controller(box, hostname="127.0.0.1", port=port, ssl_context=ctx, server_hostname="localhost",
                                authenticator=auth, auth_required=True, auth_require_tls=False)  # fmt: skip
    else:
        controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True,
                                authenticator=auth, auth_required=True, auth_require_tls=True)  # fmt: skip
    controller.start()
    return controller, box


def client_context(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))
