"""Per-channel sliding-window rate limits and the clock the sender runs on (injectable for tests).

A channel with windows ``((20, 60.0),)`` admits a send when fewer than 20 sends of that channel fall inside the
last 60 seconds; Feishu's ``((100, 60.0), (5, 1.0))`` must satisfy both. :meth:`RateLimiter.wait` says how long
until the next send is admitted (0 = now).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from typing import Protocol

from thermoquant.clock import now_shanghai


class Clock(Protocol):
    """Wall clock (naive Asia/Shanghai, the schema's timestamp convention) and sleep."""

    def now(self) -> dt.datetime: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        return now_shanghai()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


class RateLimiter:
    """Remembers each channel's recent sends (this process) and admits the next one under every window."""

    def __init__(self) -> None:
        self._sent: dict[str, deque[dt.datetime]] = defaultdict(deque)

    def wait(self, channel: str, limits: Sequence[tuple[int, float]], now: dt.datetime) -> float:
        """Seconds until ``channel`` may send again under ``limits`` (0.0 = now)."""
        sent = self._sent[channel]
        longest = max((s for _, s in limits), default=0.0)
        while sent and (now - sent[0]).total_seconds() >= longest:
            sent.popleft()
        wait = 0.0
        for count, seconds in limits:
            inside = [t for t in sent if (now - t).total_seconds() < seconds]
            if len(inside) >= count:
                oldest_that_must_expire = inside[len(inside) - count]
                wait = max(wait, seconds - (now - oldest_that_must_expire).total_seconds())
        return wait

    def record(self, channel: str, at: dt.datetime) -> None:
        """A send of ``channel`` happened at ``at``."""
        self._sent[channel].append(at)
