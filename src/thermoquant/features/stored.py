"""What `tq features compute` has stored: one row per (convention, dimension) of the Parquet tree.

The tree is ``<root>/<convention>/dim=<n>/part-*.parquet`` (`thermoquant.features.engine.write_parquet`; root is
``<data_dir>/features`` by default), each part holding ``symbol``, ``trade_date`` and one Float64 column per factor.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from thermoquant.features.engine import KEYS
from thermoquant.features.registry import CONVENTIONS, DIMENSIONS, list_factors

STORED_SCHEMA: dict[str, pl.DataType] = {
    "convention": pl.Utf8(),
    "dim": pl.Int32(),
    "dimension": pl.Utf8(),
    "factors": pl.Int32(),
    "registered": pl.Int32(),
    "rows": pl.Int64(),
    "symbols": pl.Int64(),
    "first_date": pl.Date(),
    "last_date": pl.Date(),
    "files": pl.Int32(),
    "names": pl.List(pl.Utf8()),
}
"""Columns of :func:`stored_features`: ``factors`` stored of ``registered`` in the registry for that dimension;
``names`` the stored factor columns."""


def stored_features(root: str | Path) -> pl.DataFrame:
    """Per convention and dimension found under `root`: factor count (stored / registered), rows, stocks, date
    range, part files and the factor names (:data:`STORED_SCHEMA`); empty when nothing was computed."""
    rows = []
    for convention in CONVENTIONS:
        for dim, (zh, en) in DIMENSIONS.items():
            files = sorted((Path(root) / convention / f"dim={dim}").glob("part-*.parquet"))
            if not files:
                continue
            lazy = pl.scan_parquet(files)
            names = [c for c in lazy.collect_schema().names() if c not in KEYS]
            stats = lazy.select(
                pl.len().alias("rows"),
                pl.col("symbol").n_unique().alias("symbols"),
                pl.col("trade_date").min().alias("first_date"),
                pl.col("trade_date").max().alias("last_date"),
            ).collect()
            rows.append(
                {
                    "convention": convention,
                    "dim": dim,
                    "dimension": f"{zh} {en}",
                    "factors": len(names),
                    "registered": len(list_factors([dim])),
                    **stats.row(0, named=True),
                    "files": len(files),
                    "names": names,
                }
            )
    return pl.DataFrame(rows, schema=STORED_SCHEMA)
