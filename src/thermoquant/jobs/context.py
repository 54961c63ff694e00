"""What every job starts from: the settings read once, the database to open, "today", a progress callback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from thermoquant.clock import today
from thermoquant.config import Settings, get_settings
from thermoquant.data.store import Store, open_store
from thermoquant.progress import ProgressFn
from thermoquant.strategies.base import StrategyParams


@dataclass(frozen=True)
class JobContext:
    """Settings (read once), the database URL (None = the configured one), today's date, progress callback."""

    settings: Settings = field(default_factory=get_settings)
    db_url: str | None = None
    today: dt.date = field(default_factory=today)
    progress: ProgressFn | None = None

    def strategy_params(self, name: str, overrides: Mapping[str, Any] | None = None) -> StrategyParams:
        """Parameters of strategy ``name``: its defaults, then ``[strategies.NAME]`` of tq.toml, then
        ``overrides`` (``-p key=value``, a param pack, a recorded run)."""
        from thermoquant.strategies.registry import get_strategy

        params = (
            get_strategy(name)
            .Params()
            .replace(self.settings.strategies.get(name, {}), origin=f"tq.toml [strategies.{name}]")
        )
        return params.replace(overrides or {}, origin="-p")

    def open_store(self, *, init: bool = True) -> Store:
        """The job's store (its trade_calendar is in force once opened)."""
        return open_store(self.db_url or self.settings.resolved_database_url, init=init)
