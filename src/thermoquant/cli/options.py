"""Parsing helpers shared by the ``tq`` sub-commands (option values as the user types them)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from thermoquant.data.store import Store

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


DbUrl = Annotated[
    str | None,
    typer.Option("--db", help="数据库 URL（默认取配置：<数据目录>/tq.duckdb）/ database URL"),
]


def open_cli_store(url: str | None, *, init: bool = True) -> Store:
    """The store a command works on (``--db`` or the configured one); its trade_calendar is in force."""
    from thermoquant.data.store import open_store

    return open_store(url, init=init)


def describe_url(url: str | None) -> str:
    """The database URL in force with any password masked (:func:`thermoquant.secrets.mask_url`)."""
    from thermoquant.config import get_settings
    from thermoquant.secrets import mask_url

    return mask_url(url or get_settings().resolved_database_url)
