"""Alert texts: one alert as a message, and the daily digest cut to a channel's size limit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from thermoquant.alerts.notifier import Message

LEVEL_TAGS = {"critical": "【紧急 critical】", "warning": "【警告 warning】", "info": "【提示 info】"}


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` UTF-8 bytes (whole characters, with an ellipsis when cut)."""
    if _utf8_len(text) <= max_bytes:
        return text
    data = text.encode("utf-8")[: max(0, max_bytes - 3)]
    return data.decode("utf-8", errors="ignore") + "…"


def line(row: dict[str, Any]) -> str:
    """One alert in one line: level, rule, symbol, message."""
    symbol = f" {row['symbol']}" if row.get("symbol") else ""
    return f"- {LEVEL_TAGS.get(row.get('level') or '', '')}{row.get('rule') or ''}{symbol}: {row.get('message') or ''}"


def single(row: dict[str, Any], max_bytes: int) -> Message:
    """One alert as its own message (urgent alerts, `tq alerts test`)."""
    symbol = f" {row['symbol']}" if row.get("symbol") else ""
    title = f"thermoquant {LEVEL_TAGS.get(row.get('level') or '', '')}{row.get('rule') or ''}{symbol}"
    when = row.get("alert_time")
    stamp = f"\n({when:%Y-%m-%d %H:%M})" if isinstance(when, dt.datetime) else ""
    return Message(title, _cut(f"{row.get('message') or ''}{stamp}", max_bytes - _utf8_len(title) - 1),
                   row.get("level") or "warning")  # fmt: skip


def digest(rows: Sequence[dict[str, Any]], max_bytes: int, title: str) -> list[tuple[Message, list[str]]]:
    """The digest of ``rows`` as messages of at most ``max_bytes`` (title included), each with the alert_ids it
    carries: alerts are never split across two messages (an overlong one is cut)."""
    budget = max_bytes - _utf8_len(title) - 16  # " (i/n)" and the line break
    chunks: list[tuple[list[str], list[str]]] = []
    size = budget + 1
    for row in rows:
        text = _cut(line(row), budget)
        if size + _utf8_len(text) + 1 > budget:
            chunks.append(([], []))
            size = 0
        chunks[-1][0].append(text)
        chunks[-1][1].append(row["alert_id"])
        size += _utf8_len(text) + 1
    n = len(chunks)
    out = []
    for i, (lines, ids) in enumerate(chunks, 1):
        head = title if n == 1 else f"{title} ({i}/{n})"
        level = (
            "critical"
            if any(r.get("level") == "critical" for r in rows if r["alert_id"] in ids)
            else "warning"
        )
        out.append((Message(head, "\n".join(lines), level), ids))
    return out
