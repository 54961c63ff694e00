"""Validation of the default-parameter states on real history.

1. Bull runs of seed 001 (000025 特力A 2015, 603083 剑桥科技 2023): when B ignition, C steady combustion and
   D burnout fired, in trading days relative to the run's start (lowest close of the year before the top) and
   top (highest high of the year).
2. Whole-market windows (xbx, unadjusted, turnover = volume / float_shares): forward 5/20-bar returns by state.
   Forward returns use prices adjusted for ex-rights (:func:`thermoquant.physics.bars.forward_adjust`); suspended
   days have no row, so "5 bars" means 5 traded bars.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from thermoquant.jobs.inputs import read_bars
from thermoquant.physics.bars import forward_adjust
from thermoquant.physics.params import ThermoParams
from thermoquant.physics.thermo import compute_physics


@dataclass(frozen=True, slots=True)
class Run:
    """A historical bull run: file, symbol, the year holding it and the warm-up start."""

    symbol: str
    path: str  # relative to the real-data directory
    year: int
    warmup_from: date


RUNS: tuple[Run, ...] = (
    Run("000025.SZ", "baostock_sz/sz.000025.csv", 2015, date(2013, 1, 1)),
    Run("603083.SH", "derived/stock_603083_2021_2025_raw_with_turnover_approx.csv", 2023, date(2021, 3, 1)),
)
MARKET_FILES: tuple[str, ...] = (
    "xbx_market/market_2014-10_2016-03.parquet",
    "xbx_market/market_2021-01_2022-01.parquet",
)
HORIZONS: tuple[int, ...] = (5, 20)


def run_timeline(phys: pl.DataFrame, year: int) -> dict[str, object]:
    """Start/top of the run in ``year`` and when each state fired relative to them (trading days)."""
    p = phys.with_row_index("i")
    yr = p.filter(pl.col("trade_date").dt.year() == year)
    top = yr.sort("t_f", descending=True).row(0, named=True)  # highest close
    before = yr.filter(pl.col("i") <= top["i"])
    start = before.sort("t_f").row(0, named=True)
    out: dict[str, object] = {
        "start": start["trade_date"], "start_close": start["t_f"], "top": top["trade_date"], "top_close": top["t_f"],
        "run_days": top["i"] - start["i"],
    }  # fmt: skip
    run = p.filter((pl.col("i") >= start["i"]) & (pl.col("i") <= top["i"]))
    after = p.filter((pl.col("i") > top["i"]) & (pl.col("i") <= top["i"] + 60))
    for name in ("B", "C", "D"):
        hits = run.filter(pl.col("state_name") == name)["i"]
        out[f"{name}_count_in_run"] = hits.len()
        out[f"{name}_first_from_start"] = None if hits.is_empty() else int(hits.min() - start["i"])
    d_before = run.filter(pl.col("state_name") == "D")["i"]
    out["D_days_in_last_20_before_top"] = int((d_before >= top["i"] - 20).sum())
    d_after = after.filter(pl.col("state_name") == "D")["i"]
    out["D_first_after_top"] = None if d_after.is_empty() else int(d_after.min() - top["i"])
    stop_after = after.filter(pl.col("stop"))["i"]
    out["stop_first_after_top"] = None if stop_after.is_empty() else int(stop_after.min() - top["i"])
    out["max_close_after_top_60"] = None if after.is_empty() else float(after["t_f"].max())
    out["close_60_after_top"] = None if after.is_empty() else float(after["t_f"][-1])
    return out


def validate_runs(real_dir: Path, params: ThermoParams | None = None) -> pl.DataFrame:
    """One row per run of RUNS."""
    rows = []
    for run in RUNS:
        bars = read_bars(
            real_dir / run.path, symbols=[run.symbol], start=run.warmup_from, end=date(run.year + 1, 6, 30)
        )
        rows.append({"symbol": run.symbol, **run_timeline(compute_physics(bars, params), run.year)})
    return pl.DataFrame(rows)


def forward_returns_by_state(phys: pl.DataFrame, bars: pl.DataFrame) -> pl.DataFrame:
    """Mean / median forward return and win rate per state (and for buy points, stops and all bars);
    ``bars`` are the traded ``daily_quote`` rows ``phys`` was computed from."""
    adj = forward_adjust(bars.sort("symbol", "trade_date")).rename({"close": "adj"})
    fwd = [(pl.col("adj").shift(-h).over("symbol") / pl.col("adj") - 1).alias(f"fwd{h}") for h in HORIZONS]
    df = phys.join(adj.select("symbol", "trade_date", "adj"), on=["symbol", "trade_date"])
    df = df.with_columns(fwd)
    groups = [("state " + n, pl.col("state_name") == n) for n in ("A", "B", "C", "D")] + [
        ("C buy point", pl.col("buy_point")),
        ("stop", pl.col("stop")),
        ("all bars", pl.lit(True)),
    ]
    rows = []
    for label, cond in groups:
        g = df.filter(cond)
        row: dict[str, object] = {"group": label, "bars": g.height}
        for h in HORIZONS:
            v = g[f"fwd{h}"].drop_nulls().drop_nans()
            row[f"n{h}"] = v.len()
            row[f"mean{h}_%"] = None if v.is_empty() else round(100 * float(v.mean()), 3)
            row[f"median{h}_%"] = None if v.is_empty() else round(100 * float(v.median()), 3)
            row[f"win{h}_%"] = None if v.is_empty() else round(100 * float((v > 0).mean()), 1)
        rows.append(row)
    return pl.DataFrame(rows)


def validate_market(real_dir: Path, params: ThermoParams | None = None) -> dict[str, pl.DataFrame]:
    """Forward returns by state for each whole-market window file."""
    out = {}
    for rel in MARKET_FILES:
        bars = read_bars(real_dir / rel)
        out[Path(rel).stem] = forward_returns_by_state(compute_physics(bars, params), bars)
    return out
