"""Periodic-report disclosure deadlines (CSRC): the latest day a report period's figures can be public.

Q1 (period ending 03-31) by 04-30, the half year (06-30) by 08-31, Q3 (09-30) by 10-31, the annual report
(12-31) by 04-30 of the next year. A file that gives only the report period (RESSET ROE-TTM) is lagged to this
date so nothing is used before it could have been known.
"""

from __future__ import annotations

import polars as pl


def report_deadline(report_period: pl.Expr) -> pl.Expr:
    """The disclosure deadline (Date) of each report period (Date), per the module docstring."""
    y, m = report_period.dt.year(), report_period.dt.month()
    return (
        pl.when(m <= 3)
        .then(pl.date(y, 4, 30))
        .when(m <= 6)
        .then(pl.date(y, 8, 31))
        .when(m <= 9)
        .then(pl.date(y, 10, 31))
        .otherwise(pl.date(y + 1, 4, 30))
    )
