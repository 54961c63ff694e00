"""Parsing helpers shared by the ``tq`` sub-commands (option values as the user types them)."""

from __future__ import annotations

import datetime as dt

import typer

DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d")
"""Accepted spellings of a day on the command line: ``2024-01-31`` or ``20240131``."""


def parse_date(value: str | None) -> dt.date | None:
    """``YYYY-MM-DD`` or ``YYYYMMDD`` -> ``datetime.date``; None stays None.

    Raises:
        typer.BadParameter: any other spelling (Typer prints it as a usage error, exit code 2).
    """
    if value is None:
        return None
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise typer.BadParameter(f"日期格式应为 YYYY-MM-DD 或 YYYYMMDD: {value!r}")
