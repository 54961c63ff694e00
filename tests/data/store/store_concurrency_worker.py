"""A writer or a reader process for test_store_concurrency (run as a script: worker.py ROLE URL BATCHES OUT).

Writer (starts once the reader has read once, pauses PAUSE s between batches): batch i (1-based) sets `volume = i` on the ROWS fixed rows of 2020-12-31 and inserts ROWS new rows dated
day i, in one upsert. Reader: reads the whole table repeatedly until the writer's done-file appears and checks each
read is a state between two whole batches: the fixed rows all carry one volume v, and exactly v full new days exist.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import polars as pl

from thermoquant.data.store import open_store

ROWS = 300
BASE = dt.date(2020, 12, 31)
PAUSE = 0.05  # seconds between the writer's batches
SYMBOLS = [f"{600000 + i:06d}.SH" for i in range(ROWS)]


def batch(i: int) -> pl.DataFrame:
    fixed = pl.DataFrame({"symbol": SYMBOLS, "trade_date": [BASE] * ROWS, "volume": [float(i)] * ROWS})
    new = pl.DataFrame(
        {"symbol": SYMBOLS, "trade_date": [BASE + dt.timedelta(days=i)] * ROWS, "volume": [float(i)] * ROWS}
    )
    return pl.concat([fixed, new])


def write(url: str, batches: int, out: Path) -> None:
    ready = out.with_name("reader-ready")
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline:  # start once the reader is reading
        time.sleep(0.01)
    changed = []
    with open_store(url) as store:
        for i in range(1, batches + 1):
            changed.append(store.upsert("daily_quote", batch(i)))
            time.sleep(PAUSE)  # a job's pause between batches (fetching the next one)
    out.write_text(json.dumps({"changed": changed}))


def read(url: str, done: Path, out: Path) -> None:
    reads, states, problems = 0, set(), []
    with open_store(url, init=False) as store:
        while True:
            finished = done.exists()
            df = store.read("daily_quote", columns=["trade_date", "volume"])
            reads += 1
            if reads == 1:
                done.with_name("reader-ready").touch()
            fixed = df.filter(pl.col("trade_date") == BASE)["volume"].unique().to_list()
            per_day = df.filter(pl.col("trade_date") != BASE).group_by("trade_date").len()
            v = int(fixed[0]) if len(fixed) == 1 and fixed[0] is not None else None
            if df.height and (v is None or per_day.height != v or not (per_day["len"] == ROWS).all()):
                problems.append(f"read {reads}: fixed volumes {fixed[:5]}, days {per_day.height}")
            states.add(v if df.height else 0)
            if finished:
                break
            time.sleep(0.002)
    out.write_text(
        json.dumps(
            {"reads": reads, "states": sorted(s for s in states if s is not None), "problems": problems}
        )
    )


if __name__ == "__main__":
    role, url, arg, result = sys.argv[1:5]
    if role == "writer":
        write(url, int(arg), Path(result))
    else:
        read(url, Path(arg), Path(result))
