"""File-import speed: `thermoquant.data.sources.csv.read_file` (text read, layout and unit detection, every
quality
rule) beside plain readers that only parse — pandas ``read_csv`` and Polars ``read_csv`` — on the same real
file.

Run: ``.venv/bin/python benchmarks/bench_data_csv_import.py [--rows N] [--repeat 3]``.

Data: the whole-market 2021 slice bundled with the package (xbx, 1,103,652 rows, 4,710 stocks) written once as
    an
xbx-layout CSV (``code,date,open,high,low,close,preclose,volume,amount,float_shares,total_shares``) to a
temporary folder. Each reader runs `--repeat` times; the best time is printed. The ratio says what the checks
cost: the peers do no validation, no unit detection and no symbol normalisation.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import polars as pl

from thermoquant.data.sources.csv import read_file
from thermoquant.data.sources.sample import MARKET_SAMPLE, sample_path


def _xbx_csv(folder: Path, rows: int | None) -> Path:
    packed = pl.read_parquet(sample_path(MARKET_SAMPLE))
    if rows:
        packed = packed.head(rows)
    code = pl.col("symbol").str.slice(7, 2).str.to_lowercase() + pl.col("symbol").str.slice(0, 6)
    prices = [(pl.col(f"{c}_fen") / 100).alias(c) for c in ("open", "high", "low", "close")]
    frame = packed.select(
        code.alias("code"),
        pl.col("trade_date").alias("date"),
        *prices,
        (pl.col("pre_close_fen") / 100).alias("preclose"),
        "volume",
        "amount",
        "float_shares",
        "total_shares",
    )
    path = folder / "xbx_market_2021.csv"
    frame.write_csv(path)
    return path


def _best(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="rows of the market slice (default: all)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = _xbx_csv(Path(tmp), args.rows)
        size_mb = path.stat().st_size / 1e6
        result = read_file(path)
        rows = result.frame.height + len({i.row for i in result.rejected})
        print(f"file: {path.name}, {rows:,} rows, {size_mb:.1f} MB; layout {result.layout}; "
              f"{len(result.rejected)} rejected, {len(result.warnings)} warnings")  # fmt: skip
        tq = _best(lambda: read_file(path), args.repeat)
        pd_time = _best(lambda: pd.read_csv(path), args.repeat)
        pl_time = _best(lambda: pl.read_csv(path), args.repeat)
    print(f"{'reader':<44}{'seconds':>10}{'rows/s':>14}{'tq / peer':>12}")
    print(f"{'tq read_file (parse + detect + validate)':<44}{tq:>10.3f}{rows / tq:>14,.0f}{'':>12}")
    print(
        f"{'pandas.read_csv (parse only)':<44}{pd_time:>10.3f}{rows / pd_time:>14,.0f}{tq / pd_time:>11.2f}x"
    )
    print(
        f"{'polars.read_csv (parse only)':<44}{pl_time:>10.3f}{rows / pl_time:>14,.0f}{tq / pl_time:>11.2f}x"
    )


if __name__ == "__main__":
    main()
