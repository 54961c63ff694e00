"""What "today" is for the product: the exchange's date (Asia/Shanghai), or the date the user injects.

Set ``TQ_TODAY=2027-02-01`` (or ``today = 2027-02-01`` in tq.toml) to run every date-dependent check as of that
day — the calendar-end warning of `tq doctor`, "no bars from the future" at import, the default end of an ingest.
Tests inject it this way; nothing in the product reads the wall clock's date directly.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now_shanghai() -> dt.datetime:
    """The current wall-clock time in Asia/Shanghai, naive (the schema's timestamp convention)."""
    return dt.datetime.now(SHANGHAI).replace(tzinfo=None)


def today() -> dt.date:
    """``settings.today`` when set (``TQ_TODAY``), else the current date in Asia/Shanghai."""
    from thermoquant.config import get_settings

    injected = get_settings().today
    return injected if injected is not None else now_shanghai().date()
