"""Inputs of the physics engine read by jobs: traded bars from files or the store, parameter packs in force.

Files are read by the house reader :func:`thermoquant.data.sources.csv.read_file` (every layout it knows:
Baostock, the derived 603083 file, xbx whole-market parquet/CSV, ...), the store through
``store.read("daily_quote")``.  Suspended rows (no volume) are dropped (:func:`thermoquant.physics.bars.traded_bars`):
the physics runs on traded bars.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from thermoquant.data.store.errors import NoDataError
from thermoquant.physics.bars import traded_bars


def read_bars(
    path: str | Path, symbols: list[str] | None = None, start: date | None = None, end: date | None = None
) -> pl.DataFrame:
    """Traded bars of a CSV/parquet file in any layout :func:`~thermoquant.data.sources.csv.read_file` knows;
    ValueError when the file holds no daily bars."""
    from thermoquant.data.sources.csv import read_file

    result = read_file(path)
    if result.table != "daily_quote":
        raise ValueError(f"{path} holds no daily bars (layout {result.layout}, table {result.table})")
    return traded_bars(result.frame, symbols, start, end)


def read_store_bars(
    store: Any,
    symbols: list[str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> pl.DataFrame:
    """Traded bars from the store's ``daily_quote`` table; NoDataError (a LookupError) when there are none."""
    quotes = store.read("daily_quote", start=start, end=end, symbols=symbols)
    bars = traded_bars(quotes)
    if bars.is_empty():
        raise NoDataError(f"daily_quote has no traded rows for {symbols} in [{start}, {end}]")
    return bars


PACK_ALIASES: dict[str, str] = {"stop_days": "stop_bars"}
"""Pack keys of the thermo strategy's names that the physics engine spells differently."""


def read_param_packs(store: Any, as_of: date) -> dict:
    """Per-symbol ThermoParams in force on ``as_of`` from the store's ``param_pack`` table (latest
    effective_date <= as_of); unknown keys in a pack are ignored so older packs keep loading."""
    import json
    from dataclasses import fields

    from thermoquant.physics.params import ThermoParams

    names = {f.name for f in fields(ThermoParams)}
    packs = store.read("param_pack", end=as_of)
    out: dict[str, ThermoParams] = {}
    for row in packs.sort("effective_date").iter_rows(named=True):
        raw = row["params"]
        data = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        data = {PACK_ALIASES.get(k, k): v for k, v in data.items()}
        try:
            out[row["symbol"]] = ThermoParams.from_dict({k: v for k, v in data.items() if k in names})
        except ValueError as exc:
            where = f"param_pack row symbol={row['symbol']} effective_date={row['effective_date']}"
            raise ValueError(f"{where}: {exc}") from exc
    return out
