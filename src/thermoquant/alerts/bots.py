"""The group bots: WeCom (企业微信), DingTalk (钉钉) and Feishu (飞书) custom bots, each one JSON POST.

All three answer most errors with HTTP 200 and a code in the body — WeCom and DingTalk ``{"errcode": 0,
"errmsg": "ok"}``, Feishu ``{"code": 0, "msg": "success", …}`` (older answers also carry ``"StatusCode": 0``) — so
success is read from the body, never from the status alone. Throttling codes are retried later (WeCom 45009 "api
freq out of limit", DingTalk 130101 "send too fast", Feishu 11232 "frequency limited"), and so are HTTP 429, a 5xx
and a request that got no answer; everything else (a bad key or signature, a keyword the bot requires) needs a
configuration change and is not retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from thermoquant.alerts.http import Response, TransportError, request_json
from thermoquant.alerts.notifier import MAX_BYTES, PLATFORM_LIMITS, Delivery, Message
from thermoquant.alerts.signing import dingtalk_sign, feishu_sign
from thermoquant.secrets import mask

#: Body codes meaning "too many messages, try later" (or "busy"), per kind.
RETRY_CODES: dict[str, frozenset[int]] = {
    "wecom": frozenset({45009, -1}),
    "dingtalk": frozenset({130101, -1}),
    "feishu": frozenset({11232, 99991400}),
}


def _read(kind: str, resp: Response, code_field: str, msg_field: str, *secrets: str | None) -> Delivery:
    """A bot's answer as a :class:`Delivery`: the body's code decides when there is one."""
    body = resp.json if isinstance(resp.json, dict) else {}
    if code_field in body:
        try:
            code = int(body[code_field])
        except (TypeError, ValueError):
            code = -1
        detail = mask(str(body.get(msg_field, ""))[:300], *secrets)
        if code == 0 and 200 <= resp.status < 300:
            return Delivery(True, "0", detail)
        return Delivery(False, str(code), detail, retry=code in RETRY_CODES[kind] or resp.status >= 500)
    detail = mask(f"HTTP {resp.status}: {resp.text[:200]}", *secrets)
    return Delivery(False, f"http {resp.status}", detail, retry=resp.status == 429 or resp.status >= 500)


@dataclass
class _Bot:
    name: str
    url: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)
    mentions: Sequence[str] = ()
    timeout: float = 10.0
    rate_limits: tuple[tuple[int, float], ...] = ()
    max_bytes: int = 0
    epoch: Callable[[], float] = time.time
    """seconds since 1970 for the signature (the servers check it against their own clock)"""

    kind = ""

    def __post_init__(self) -> None:
        self.rate_limits = self.rate_limits or PLATFORM_LIMITS[self.kind]
        self.max_bytes = self.max_bytes or MAX_BYTES[self.kind]

    def _post(self, url: str, payload: dict[str, Any]) -> Response | Delivery:
        try:
            return request_json(url, payload, timeout=self.timeout)
        except TransportError as exc:
            return Delivery(False, "transport", mask(str(exc), self.url, self.secret), retry=True)


class WeComBot(_Bot):
    """WeCom group bot: ``POST <webhook>?key=…`` with ``{"msgtype": "text", "text": {"content": …,
    "mentioned_mobile_list": […]}}``; text up to 2048 bytes; the URL's key is the credential."""

    kind = "wecom"

    def send(self, message: Message) -> Delivery:
        text: dict[str, Any] = {"content": f"{message.title}\n{message.text}".strip()}
        if self.mentions:
            text["mentioned_mobile_list"] = list(self.mentions)
        resp = self._post(self.url, {"msgtype": "text", "text": text})
        return resp if isinstance(resp, Delivery) else _read(self.kind, resp, "errcode", "errmsg", self.url)


class DingTalkBot(_Bot):
    """DingTalk custom robot: ``POST …/robot/send?access_token=…[&timestamp=ms&sign=…]`` with a markdown
    message ``{"msgtype": "markdown", "markdown": {"title", "text"}, "at": {"atMobiles", "isAtAll"}}``."""

    kind = "dingtalk"

    def signed_url(self) -> str:
        """The webhook URL with ``timestamp`` and ``sign`` when a secret is configured."""
        if not self.secret:
            return self.url
        ts = int(self.epoch() * 1000)
        sep = "&" if "?" in self.url else "?"
        return f"{self.url}{sep}timestamp={ts}&sign={dingtalk_sign(self.secret, ts)}"

    def send(self, message: Message) -> Delivery:
        mentions = "".join(f" @{m}" for m in self.mentions)
        payload = {
            "msgtype": "markdown",
            "markdown": {"title": message.title, "text": f"### {message.title}\n\n{message.text}{mentions}"},
            "at": {"atMobiles": list(self.mentions), "isAtAll": False},
        }
        resp = self._post(self.signed_url(), payload)
        if isinstance(resp, Delivery):
            return resp
        return _read(self.kind, resp, "errcode", "errmsg", self.url, self.secret)


class FeishuBot(_Bot):
    """Feishu custom bot: ``POST …/open-apis/bot/v2/hook/…`` with ``{"msg_type": "text", "content": {"text"}}``
    plus ``timestamp`` (seconds, a string) and ``sign`` in the body when a secret is configured."""

    kind = "feishu"

    def send(self, message: Message) -> Delivery:
        payload: dict[str, Any] = {
            "msg_type": "text",
            "content": {"text": f"{message.title}\n{message.text}".strip()},
        }
        if self.secret:
            ts = int(self.epoch())
            payload = {"timestamp": str(ts), "sign": feishu_sign(self.secret, ts), **payload}
        resp = self._post(self.url, payload)
        if isinstance(resp, Delivery):
            return resp
        return _read(self.kind, resp, "code", "msg", self.url, self.secret)
