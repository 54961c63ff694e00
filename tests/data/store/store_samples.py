"""Representative frames for every table: each logical type with ordinary, extreme, unicode, empty and null values."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import polars as pl

from thermoquant.data.schema import Table

ROWS = 4

# Non-key values, one list per logical type, ROWS long; the last-but-one row is all null.
VALUES: dict[str, list[Any]] = {
    "text": ["平安银行 ST*", 'comma, "quote" and\nnewline ✓', None, ""],
    "int": [1, -2147483648, None, 2147483647],
    "bigint": [0, 9007199254740993, None, -9223372036854775807],
    "double": [10.5, 1 / 3, None, -1.25e-300],
    "bool": [True, False, None, True],
    "date": [dt.date(2021, 1, 4), dt.date(1990, 12, 19), None, dt.date(2099, 12, 31)],
    "timestamp": [
        dt.datetime(2021, 1, 4, 15, 0),
        dt.datetime(2021, 1, 4, 9, 30, 0, 123456),
        None,
        dt.datetime(1999, 12, 31, 23, 59, 59, 999999),
    ],
    "json": ['{"a": 1, "名": "值"}', "[1, 2.5, null]", None, "{}"],
}

# Key values: distinct in every row.
KEYS: dict[str, list[Any]] = {
    "text": ["600000.SH", "000001.SZ", "830799.BJ", "中证500"],
    "int": [1, 2, 3, 2147483647],
    "bigint": [1, 2, 3, 9007199254740993],
    "date": [dt.date(2021, 1, 4), dt.date(2021, 1, 5), dt.date(1991, 1, 2), dt.date(2030, 6, 28)],
    "timestamp": [
        dt.datetime(2021, 1, 4, 9, 31),
        dt.datetime(2021, 1, 4, 15, 0),
        dt.datetime(2021, 1, 5, 9, 31, 0, 5),
        dt.datetime(2030, 6, 28, 14, 57),
    ],
}

SPECIAL_DOUBLES = [math.inf, -math.inf, math.nan]


def sample_frame(table: Table) -> pl.DataFrame:
    """A ROWS-row frame of `table` typed per the schema (keys distinct, every type, nulls in nullable non-key
    columns; a NOT NULL column repeats its first value where the others have null)."""
    data = {}
    for c in table.columns:
        values = (KEYS if table.is_key(c.name) else VALUES)[c.type]
        data[c.name] = values if c.nullable else [v if v is not None else values[0] for v in values]
    return pl.DataFrame(data, schema=table.polars_schema())
