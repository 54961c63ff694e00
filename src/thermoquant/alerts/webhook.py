"""A generic HTTP webhook (an SMS gateway, a chat server): a body template filled per recipient.

The template is text with ``{message}``, ``{title}``, ``{level}`` and ``{recipient}`` fields; values are inserted
JSON-escaped (the template is usually JSON), and ``{{``/``}}`` stand for literal braces. Success is HTTP 2xx and,
when ``ok_field`` is set, the body's ``ok_field`` (a dotted path) equal to ``ok_value`` — most gateways answer
errors with 200 too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from thermoquant.alerts.http import TransportError, request_json
from thermoquant.alerts.notifier import MAX_BYTES, PLATFORM_LIMITS, Delivery, Message
from thermoquant.secrets import mask

DEFAULT_BODY = '{{"title": "{title}", "text": "{message}", "level": "{level}", "to": "{recipient}"}}'


def _escaped(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _field(body: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(body, dict) or part not in body:
            return None
        body = body[part]
    return body


@dataclass
class WebhookNotifier:
    """One request per recipient (or one request when there are none)."""

    name: str
    url: str = field(repr=False)
    body: str = DEFAULT_BODY
    method: str = "POST"
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    recipients: Sequence[str] = ()
    ok_field: str | None = None
    ok_value: Any = None
    timeout: float = 10.0
    rate_limits: tuple[tuple[int, float], ...] = PLATFORM_LIMITS["webhook"]
    max_bytes: int = MAX_BYTES["webhook"]

    kind = "webhook"

    def render(self, message: Message, recipient: str) -> bytes:
        values = {
            "message": message.text,
            "title": message.title,
            "level": message.level,
            "recipient": recipient,
        }
        return self.body.format(**{k: _escaped(v) for k, v in values.items()}).encode("utf-8")

    def _secrets(self) -> list[str]:
        return [self.url, *self.headers.values()]

    def send(self, message: Message) -> Delivery:
        for recipient in self.recipients or [""]:
            try:
                resp = request_json(
                    self.url, None, method=self.method, headers=self.headers, timeout=self.timeout,
                    raw_body=self.render(message, recipient),
                )  # fmt: skip
            except TransportError as exc:
                return Delivery(False, "transport", mask(str(exc), *self._secrets()), retry=True)
            detail = mask(resp.text[:200], *self._secrets())
            if not 200 <= resp.status < 300:
                retry = resp.status == 429 or resp.status >= 500
                return Delivery(False, f"http {resp.status}", detail, retry=retry)
            if self.ok_field is not None:
                got = _field(resp.json, self.ok_field)
                if got is None or str(got) != str(self.ok_value):
                    return Delivery(False, mask(str(got), *self._secrets()), detail)
        return Delivery(True, "ok", "accepted")
