"""Bit-level fingerprint of the thermo pipeline's outputs, to prove a speed change alters no result (issue 14).

Run: ``python benchmarks/fingerprint_thermo.py save FILE`` before a change, ``... check FILE`` after it (exit 1 and
the differing items on any difference).  Covered, on the bundled whole-market sample ``market_2021.parquet``
(~4,700 stocks × 250 days, real ex-rights gaps, ST flags) and on a bench panel (:func:`bench_thermo.long_frame`):

* ``compute_physics`` of the sorted frame and of the same rows shuffled (every column, bytes + null mask);
* ``run_book`` rows with ``labels="lifecycle"`` and ``"per_bar"``, and with a param pack;
* the bench's market arrays / engine records and equity on the book's target matrix (bench panel).

Floats are compared by their bytes (NaN payloads, -0.0 included), strings by value, nulls by mask.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_thermo import long_frame, run_thermo
from thermoquant.data.sources.csv import read_file
from thermoquant.data.sources.sample import sample_path
from thermoquant.physics.thermo import compute_physics
from thermoquant.strategies.base import Panel
from thermoquant.strategies.thermo import run_book
from thermoquant.strategies.thermo_params import ThermoStrategyParams


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def frame_prints(name: str, df: pl.DataFrame) -> dict[str, str]:
    """One digest per column (dtype, null mask, value bytes) plus the shape."""
    out = {f"{name}:shape": f"{df.height}x{df.width}:{','.join(df.columns)}"}
    for col in df.columns:
        s = df[col]
        mask = s.is_null().to_numpy().tobytes()
        if s.dtype.is_numeric() or s.dtype == pl.Boolean:
            vals = s.to_numpy()  # nulls become NaN / None: the mask tells them apart
            data = (
                np.ascontiguousarray(vals).tobytes() if vals.dtype != object else repr(vals.tolist()).encode()
            )
        else:
            data = "\x00".join("" if v is None else str(v) for v in s.to_list()).encode()
        out[f"{name}:{col}"] = f"{s.dtype}:{_digest(mask)}:{_digest(data)}"
    return out


def array_prints(name: str, a: np.ndarray) -> dict[str, str]:
    return {name: f"{a.dtype}{a.shape}:{_digest(np.ascontiguousarray(a).tobytes())}"}


def fingerprint() -> dict[str, str]:
    prints: dict[str, str] = {}
    quotes = read_file(sample_path("market_2021.parquet")).frame
    quotes = quotes.filter((pl.col("volume") > 0) & pl.col("close").is_not_null())
    phys = compute_physics(quotes)
    prints |= frame_prints("sample_physics", phys)
    shuffled = quotes.sample(fraction=1.0, shuffle=True, seed=11)
    prints |= frame_prints("sample_physics_shuffled", compute_physics(shuffled))
    days = quotes["trade_date"].unique().sort()
    start, end = days[20], days[-1]
    for labels in ("lifecycle", "per_bar"):
        params = ThermoStrategyParams(labels=labels)
        rows = run_book(Panel({"physics": phys, "quotes": quotes}, start, end), params).rows
        prints |= frame_prints(f"sample_book_{labels}", rows)
    syms = phys["symbol"].unique().sort().to_list()[::7]
    pack = pl.DataFrame({
        "symbol": syms, "effective_date": [dt.date(2021, 6, 1)] * len(syms),
        "params": [json.dumps({"ignition_dt": 0.02, "take_profit": 0.3}) for _ in syms],
    })  # fmt: skip
    rows = run_book(
        Panel({"physics": phys, "quotes": quotes, "param_pack": pack}, start, end), ThermoStrategyParams()
    ).rows
    prints |= frame_prints("sample_book_pack", rows)
    bars = long_frame(300, 2500)
    r = run_thermo(bars, ThermoStrategyParams(capital_cny=1_000_000.0))
    prints |= array_prints("bench_target", r["target"])  # type: ignore[arg-type]
    res = r["result"]
    for attr in ("records", "equity", "cash", "gross", "positions"):
        val = getattr(res, attr, None)
        if isinstance(val, np.ndarray):
            prints |= array_prints(f"bench_engine_{attr}", val)
    m = r["m"]
    for attr in dir(m):
        val = getattr(m, attr, None)
        if isinstance(val, np.ndarray) and not attr.startswith("_"):
            prints |= array_prints(f"bench_market_{attr}", val)
    return prints


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] not in ("save", "check"):
        sys.exit("usage: fingerprint_thermo.py save|check FILE")
    prints = fingerprint()
    path = Path(sys.argv[2])
    if sys.argv[1] == "save":
        path.write_text(json.dumps(prints, indent=1, sort_keys=True))
        print(f"saved {len(prints)} fingerprints to {path}")
        return
    ref = json.loads(path.read_text())
    diff = sorted(k for k in ref.keys() | prints.keys() if ref.get(k) != prints.get(k))
    for k in diff:
        print(f"DIFF {k}: {ref.get(k)} -> {prints.get(k)}")
    print(f"{len(prints)} fingerprints, {len(diff)} differ")
    sys.exit(1 if diff else 0)


if __name__ == "__main__":
    main()
