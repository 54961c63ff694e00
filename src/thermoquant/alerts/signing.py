"""The bots' signatures (both HMAC-SHA256, base64; they differ in what is key and what is message).

* **DingTalk** custom robot, "加签": key = the secret (``SEC…``), message = ``"{timestamp}\\n{secret}"`` with the
  timestamp in **milliseconds**; the base64 digest is URL-encoded and sent in the URL as ``&timestamp=…&sign=…``;
  the server accepts a timestamp within one hour of its clock.
* **Feishu** custom bot, "签名校验": key = ``"{timestamp}\\n{secret}"`` with the timestamp in **seconds**,
  message = empty; the base64 digest and the timestamp (a string) go **in the JSON body** as ``sign`` and
  ``timestamp``; also within one hour.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's ``sign`` URL parameter (already URL-encoded) for ``timestamp_ms`` (milliseconds since 1970)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's ``sign`` body field for ``timestamp_s`` (seconds since 1970)."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")
