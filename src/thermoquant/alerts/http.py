"""One HTTP request with a JSON body, returning the status and the parsed body (stdlib only).

The bots answer most errors with HTTP 200 and an error code in the body, so the caller always reads the body.
Errors never quote the URL: a bot's URL is its credential.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from thermoquant.secrets import mask


@dataclass(frozen=True)
class Response:
    """HTTP status, the raw body text, and the body as JSON (None when it is not JSON)."""

    status: int
    text: str
    json: Any


class TransportError(OSError):
    """The request did not get an answer (refused, timed out, DNS); the message names no URL."""


def request_json(
    url: str,
    payload: Any,
    *,
    method: str = "POST",
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    raw_body: bytes | None = None,
) -> Response:
    """Send ``payload`` as JSON (or ``raw_body`` as is) and return the answer, whatever its status.

    Raises:
        TransportError: no answer at all (connection refused, timeout, TLS failure).
    """
    body = raw_body if raw_body is not None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    head = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    req = urllib.request.Request(url, data=body if method != "GET" else None, headers=head, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, data = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, data = exc.code, exc.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TransportError(mask(f"{type(exc).__name__}: {reason}", url)) from None
    text = data.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text) if text.strip() else None
    except ValueError:
        parsed = None
    return Response(status, text, parsed)
