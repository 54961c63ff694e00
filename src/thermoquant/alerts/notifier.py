"""What every notifier shares: the message it sends, the result it returns, its size and rate limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """One message: a short title (e-mail subject, DingTalk/Feishu title) and the text (plain or light markdown)."""

    title: str
    text: str
    level: str = "warning"


@dataclass(frozen=True)
class Delivery:
    """The outcome of one send.

    ``ok``: the platform accepted it. ``code``: the platform's code (``errcode`` / ``code`` of the body, the SMTP
    reply code, the HTTP status) as text. ``detail``: its message, masked. ``retry``: a later attempt can succeed
    (network, throttling, a 5xx); False for what only a configuration change fixes (bad signature, bad key,
    login refused).
    """

    ok: bool
    code: str | None = None
    detail: str = ""
    retry: bool = False


class Notifier(Protocol):
    """A channel: ``name`` (from tq.toml), ``kind``, the most bytes one message may carry, the platform's rate
    limits as ``(count, seconds)`` windows, and ``send``."""

    name: str
    kind: str
    max_bytes: int
    rate_limits: tuple[tuple[int, float], ...]

    def send(self, message: Message) -> Delivery: ...


#: Published limits per channel kind: ``(messages, seconds)`` windows that all must hold.
PLATFORM_LIMITS: dict[str, tuple[tuple[int, float], ...]] = {
    "wecom": ((20, 60.0),),  # 20 messages a minute per bot (developer.work.weixin.qq.com, group bot)
    "dingtalk": ((20, 60.0),),  # 20 a minute; beyond it the bot is throttled for 10 minutes
    "feishu": ((100, 60.0), (5, 1.0)),  # 100 a minute and 5 a second per bot and tenant
    "email": (),
    "webhook": (),
}

#: Largest message per kind, UTF-8 bytes: WeCom text 2048; DingTalk and Feishu take 20 KB request bodies (kept
#: under with room for the JSON around the text); e-mail and webhooks: a generous default.
MAX_BYTES: dict[str, int] = {
    "wecom": 2048,
    "dingtalk": 18_000,
    "feishu": 18_000,
    "email": 200_000,
    "webhook": 4_000,
}
