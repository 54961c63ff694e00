"""Read the real bar files the physics validation uses into the house bar frame (see :mod:`.bars`).

Formats recognised by their columns: Baostock daily (``turn`` in %, ``tradestatus``), the derived 603083 file
(``turnover_pct_approx``), xbx whole-market parquet/CSV (``code`` like ``sz000025``, ``float_shares``) and the
house frame itself (``symbol``, ``turnover`` as a fraction).  Suspended rows (no volume) are dropped.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

HOUSE = ["symbol", "date", "open", "high", "low", "close", "prev_close", "volume", "amount", "turnover"]


def to_symbol(code: str) -> str:
    """'sz000025' / 'sz.000025' / '000025' -> '000025.SZ' (exchange guessed from the first digit when absent)."""
    c = code.strip().lower().replace(".", "")
    if c[:2] in ("sh", "sz", "bj"):
        return f"{c[2:]}.{c[:2].upper()}"
    if c[-2:] in ("sh", "sz", "bj"):
        return f"{c[:-2]}.{c[-2:].upper()}"
    ex = "SH" if c.startswith(("6", "9")) else "BJ" if c.startswith(("4", "8")) else "SZ"
    return f"{c}.{ex}"


def normalise(df: pl.DataFrame, symbol: str | None = None) -> pl.DataFrame:
    """Any recognised raw frame -> house bar frame (prices CNY, volume shares, turnover fraction)."""
    cols = set(df.columns)
    if "date" in cols and df["date"].dtype not in (pl.Date, pl.Datetime):
        df = df.with_columns(pl.col("date").cast(pl.String).str.to_date(format=None, strict=False))
    elif "date" in cols and df["date"].dtype == pl.Datetime:
        df = df.with_columns(pl.col("date").cast(pl.Date))
    if "trade_date" in cols and "turnover" in cols:  # store daily_quote (turnover in %)
        df = df.rename({"trade_date": "date"}).with_columns(
            (pl.col("turnover") / 100.0).alias("turnover"), pl.col("pre_close").alias("prev_close")
        )
        if df["date"].dtype != pl.Date:
            df = df.with_columns(pl.col("date").cast(pl.Date))
    elif "turn" in cols:  # Baostock
        df = df.filter(pl.col("tradestatus") == 1) if "tradestatus" in cols else df
        df = df.with_columns(
            (pl.col("turn").cast(pl.Float64) / 100.0).alias("turnover"),
            pl.col("code").map_elements(to_symbol, return_dtype=pl.String).alias("symbol"),
            pl.col("preclose").alias("prev_close"),
        )
    elif "turnover_pct_approx" in cols:  # derived 603083
        df = df.with_columns(
            (pl.col("turnover_pct_approx") / 100.0).alias("turnover"),
            pl.lit(symbol or "603083.SH").alias("symbol"),
            pl.lit(None, dtype=pl.Float64).alias("prev_close"),
        )
    elif "float_shares" in cols and "code" in cols:  # xbx
        df = df.with_columns(
            (pl.col("volume").cast(pl.Float64) / pl.col("float_shares")).alias("turnover"),
            pl.col("code").cast(pl.String).map_elements(to_symbol, return_dtype=pl.String).alias("symbol"),
            pl.col("preclose").alias("prev_close"),
        )
    elif "symbol" in cols and "turnover" in cols:
        if "prev_close" not in cols:
            df = df.with_columns(pl.lit(None, dtype=pl.Float64).alias("prev_close"))
        if "amount" not in cols:
            df = df.with_columns(pl.lit(None, dtype=pl.Float64).alias("amount"))
    else:
        raise ValueError(f"unrecognised bar columns: {sorted(cols)}")
    if symbol is not None:
        df = df.with_columns(pl.lit(symbol).alias("symbol"))
    out = df.select(
        pl.col("symbol").cast(pl.String),
        pl.col("date"),
        *[pl.col(c).cast(pl.Float64) for c in HOUSE[2:]],
    )
    return out.filter(pl.col("volume") > 0).sort("symbol", "date")


def read_bars(
    path: str | Path, symbol: str | None = None, start: date | None = None, end: date | None = None
) -> pl.DataFrame:
    """Read a CSV or parquet bar file into the house frame, optionally cut to [start, end]."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"bar file not found: {path}")
    raw = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_csv(path, infer_schema_length=10000)
    df = normalise(raw, symbol)
    if start is not None:
        df = df.filter(pl.col("date") >= start)
    if end is not None:
        df = df.filter(pl.col("date") <= end)
    return df


def read_store_bars(
    symbols: list[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    url: str | None = None,
) -> pl.DataFrame:
    """House bar frame from the store's ``daily_quote`` table (suspended rows dropped)."""
    from thermoquant.data.store import open_store

    with open_store(url) as store:
        raw = store.read("daily_quote", start=start, end=end, symbols=symbols)
    if raw.is_empty():
        raise LookupError(f"daily_quote has no rows for {symbols} in [{start}, {end}]")
    return normalise(raw.filter(pl.col("volume").is_not_null() & pl.col("close").is_not_null()))


def read_param_packs(as_of: date, url: str | None = None) -> dict:
    """Per-symbol ThermoParams in force on ``as_of`` from the store's ``param_pack`` table (latest
    effective_date <= as_of); unknown keys in a pack are ignored so older packs keep loading."""
    import json
    from dataclasses import fields

    from thermoquant.data.store import open_store
    from thermoquant.physics.params import ThermoParams

    names = {f.name for f in fields(ThermoParams)}
    with open_store(url) as store:
        packs = store.read("param_pack", end=as_of)
    out: dict[str, ThermoParams] = {}
    for row in packs.sort("effective_date").iter_rows(named=True):
        raw = row["params"]
        data = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        out[row["symbol"]] = ThermoParams.from_dict({k: v for k, v in data.items() if k in names})
    return out
