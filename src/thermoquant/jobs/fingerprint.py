"""Fingerprints of a strategy's inputs: enough to tell a replay whether it ran on the same data.

Each frame's digest is SHA-256 over Polars' per-row hashes (seeded, order-sensitive), plus its shape and columns;
the panel's digest covers every frame and the [start, end] range. Stable for one Polars version (recorded beside it).
"""

from __future__ import annotations

import hashlib
from typing import Any

import polars as pl

from thermoquant.strategies.base import Panel

_SEED = 20_261_202


def frame_fingerprint(frame: pl.DataFrame) -> dict[str, Any]:
    """rows, columns and SHA-256 of the frame's row hashes (order matters)."""
    digest = hashlib.sha256(",".join(f"{n}:{t}" for n, t in frame.schema.items()).encode())
    if frame.height:
        digest.update(frame.hash_rows(seed=_SEED).to_numpy().tobytes())
    return {"rows": frame.height, "columns": len(frame.columns), "sha256": digest.hexdigest()}


def panel_fingerprint(panel: Panel) -> dict[str, Any]:
    """Per-frame fingerprints, the overall digest and the Polars version."""
    frames = {name: frame_fingerprint(panel.frames[name]) for name in sorted(panel.frames)}
    overall = hashlib.sha256(f"{panel.start}:{panel.end}".encode())
    for name, fp in frames.items():
        overall.update(f"{name}={fp['sha256']}".encode())
    return {"frames": frames, "digest": overall.hexdigest(), "polars": pl.__version__}
