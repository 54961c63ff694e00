"""The real-data sample shipped inside the package (`thermoquant/_sample/`), and loading it into a store.

    from thermoquant.data.store import open_store
    from thermoquant.data.sources.sample import load_sample
    with open_store() as store:
        counts = load_sample(store)        # {'index_daily': 6878, 'daily_quote': …, …}

Every file goes through the same path as a user's file (:func:`thermoquant.data.sources.csv.import_paths`:
layout detection, unit conversion, `data.quality` checks), so the demo shows the defects the checks find.

The market slice ``market_2021.parquet`` is the xbx_market 2021-01 → 2022-01 window (all ~4,700 stocks)
re-encoded losslessly by :func:`pack_market_sample`: prices as integer fen (0.01 CNY, every source price has
two decimals), volume/amount/share counts as Int64, sorted by symbol then date, zstd level 22.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import polars as pl

from thermoquant.data.schema import get_table
from thermoquant.data.sources.csv import (
    FILE_SUFFIXES,
    ImportResult,
    StoreLike,
    import_paths,
    write_results,
)
from thermoquant.progress import ProgressFn

__all__ = [
    "MARKET_SAMPLE",
    "load_sample",
    "load_sample_results",
    "pack_market_sample",
    "sample_dir",
    "sample_files",
    "sample_path",
    "summarize",
]

MARKET_SAMPLE = "market_2021.parquet"
STRATEGY_REFERENCE = "csi500_strategy_reference_2019_2026.csv"
_PRICE_COLUMNS = {
    "open": "open_fen",
    "high": "high_fen",
    "low": "low_fen",
    "close": "close_fen",
    "preclose": "pre_close_fen",
}


def sample_dir() -> Path:
    """The folder of the bundled sample (inside the installed package)."""
    return Path(str(resources.files("thermoquant") / "_sample"))


def sample_path(name: str) -> Path:
    """Path of one bundled sample file, e.g. ``sample_path('csi500_index_daily_2005_2026.csv')``.

    Raises:
        FileNotFoundError: naming the file and listing the available ones.
    """
    path = sample_dir() / name
    if not path.is_file():
        names = ", ".join(p.name for p in sample_files())
        raise FileNotFoundError(f"no sample file {name!r} in {sample_dir()}; available: {names}")
    return path


def sample_files() -> list[Path]:
    """Every importable sample file, sorted by name."""
    return sorted(p for p in sample_dir().iterdir() if p.is_file() and p.name.endswith(FILE_SUFFIXES))


def load_sample_results(
    store: StoreLike, progress: ProgressFn | None = None, *, include_market: bool = True
) -> list[ImportResult]:
    """Load every bundled sample file into `store` through the user-file import path; return the results
    (the CLI prints them with ``thermoquant.cli.import_report.render_report``; :func:`summarize` counts them).

    Args:
        store: the target store (``store.upsert``).
        progress: progress callback (:mod:`thermoquant.progress`).
        include_market: also load the 2021 whole-market slice (~1.1 M daily_quote rows).

    Returns:
        One result per file; ``written`` holds rows changed per table (0 for rows already stored: the load is
        idempotent).
    """
    files = [p for p in sample_files() if include_market or p.name != MARKET_SAMPLE]
    results = import_paths(files, None, strict=False, progress=progress)
    for result in results:
        if result.path.name == STRATEGY_REFERENCE and result.table == "index_daily":
            # the merged CSI500 file already holds these Tushare bars (MANIFEST §9): one writer per row
            result.table, result.frame = None, result.frame.clear()
            result.notes.append("bars not written: csi500_index_daily_2005_2026.csv holds the same days")
    _drop_overlaps(results)
    write_results(results, store, progress)
    return results


def load_sample(store: StoreLike, *, include_market: bool = True) -> dict[str, int]:
    """:func:`load_sample_results` without progress; rows changed per table."""
    return summarize(load_sample_results(store, include_market=include_market))


def _drop_overlaps(results: list[ImportResult]) -> None:
    """Keep one writer per key: rows a previous sample file already provides are dropped, with a note.

    The whole-market slice goes first (it is authoritative: exchange share counts), so e.g. the 603083 file's
    approximate-turnover rows for the days inside the 2021 window are not written over it, and loading the sample
    twice changes nothing.
    """
    seen: dict[str, pl.DataFrame] = {}
    ordered = sorted(results, key=lambda r: r.path.name != MARKET_SAMPLE)
    for result in ordered:
        if result.table is None or result.frame.is_empty():
            continue
        key = list(get_table(result.table).primary_key)
        keys = result.frame.select(key)
        if result.table in seen:
            before = result.frame.height
            result.frame = result.frame.join(seen[result.table], on=key, how="anti")
            if result.frame.height < before:
                result.notes.append(
                    f"{before - result.frame.height} rows not written: an earlier sample file holds the same keys"
                )
            seen[result.table] = pl.concat([seen[result.table], keys])
        else:
            seen[result.table] = keys


def summarize(results: list[ImportResult]) -> dict[str, int]:
    """Rows changed per table over all results."""
    out: dict[str, int] = {}
    for r in results:
        for table, n in r.written.items():
            out[table] = out.get(table, 0) + n
    return out


def pack_market_sample(source: str | Path, target: str | Path) -> Path:
    """Re-encode an xbx_market parquet (code, date, OHLC, preclose, volume, amount, float/total shares)
    losslessly.

    Prices become Int32 fen (0.01 CNY); the function raises if any price is not a whole number of fen. The
    result reads back through the ``tq_packed_bars`` layout of `data.sources.csv`.
    """
    df = pl.read_parquet(source)
    fen = {dst: (pl.col(src) * 100).round(0) for src, dst in _PRICE_COLUMNS.items()}
    check = df.select(
        [
            ((pl.col(src) * 100 - pl.col(src).mul(100).round(0)).abs().max()).alias(src)
            for src in _PRICE_COLUMNS
        ]
    )
    worst = max(float(v or 0.0) for v in check.row(0))
    if worst > 1e-6:
        raise ValueError(
            f"{source}: prices are not whole fen (max error {worst}); packing would lose precision"
        )
    packed = df.select(
        pl.col("code")
        .cast(pl.Utf8)
        .str.slice(2)
        .add(".")
        .add(pl.col("code").cast(pl.Utf8).str.slice(0, 2).str.to_uppercase())
        .alias("symbol"),
        pl.col("date").cast(pl.Date).alias("trade_date"),
        *[expr.cast(pl.Int32).alias(name) for name, expr in fen.items()],
        *[pl.col(c).cast(pl.Int64) for c in ("volume", "amount", "float_shares", "total_shares")],
    ).sort("symbol", "trade_date")
    target = Path(target)
    packed.write_parquet(target, compression="zstd", compression_level=22, statistics=False)
    return target
