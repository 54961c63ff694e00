"""What every job starts from: the settings read once, the database to open, "today", a progress callback."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from thermoquant.clock import today
from thermoquant.config import Settings, get_settings
from thermoquant.data.store import Store, open_store
from thermoquant.progress import ProgressFn


@dataclass(frozen=True)
class JobContext:
    """Settings (read once), the database URL (None = the configured one), today's date, progress callback."""

    settings: Settings = field(default_factory=get_settings)
    db_url: str | None = None
    today: dt.date = field(default_factory=today)
    progress: ProgressFn | None = None

    def open_store(self, *, init: bool = True) -> Store:
        """The job's store (its trade_calendar is in force once opened)."""
        return open_store(self.db_url or self.settings.resolved_database_url, init=init)
