"""Record a backtest run: one ``backtest_log`` row (parameters and metrics as JSON) and its orders in ``trades``.

Every order that reached the market is stored, blocked ones included (``quantity`` 0, ``reason`` names the rule
that blocked it: suspended, limit, t+1, cash, lot), so the audit trail shows what the strategy asked for.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from typing import Any

import polars as pl

import thermoquant


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, dt.date):
        return obj.isoformat()
    return obj


def new_run_id(strategy: str) -> str:
    """``<strategy>-<UTC timestamp>-<8 hex>``."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    return f"{strategy}-{stamp}-{uuid.uuid4().hex[:8]}"


def trades_frame(
    run_id: str, strategy: str, orders: pl.DataFrame, fill_time: dt.time = dt.time(9, 30)
) -> pl.DataFrame:
    """``trades`` rows from :meth:`BacktestResult.orders` (one per order; ``quantity`` = filled shares, >= 0)."""
    o = orders.with_row_index("seq")
    return o.select(
        (pl.lit(f"{run_id}/") + pl.col("seq").cast(pl.Utf8).str.zfill(8)).alias("trade_id"),
        pl.lit(run_id).alias("run_id"),
        pl.lit("backtest").alias("account"),
        pl.lit("backtest").alias("mode"),
        (pl.lit(f"{run_id}/o") + pl.col("seq").cast(pl.Utf8)).alias("order_id"),
        "symbol",
        pl.col("trade_date").dt.combine(fill_time).alias("trade_time"),
        "side",
        pl.col("filled").abs().alias("quantity"),
        "price",
        (pl.col("filled").abs() * pl.col("price")).fill_nan(0.0).alias("amount"),
        "commission",
        "stamp_duty",
        "transfer_fee",
        pl.lit(strategy).alias("strategy"),
        pl.col("status").alias("reason"),
    )


def record_run(
    store: Any,
    *,
    strategy: str,
    params: dict[str, Any],
    start: dt.date,
    end: dt.date,
    summary: dict[str, float],
    orders: pl.DataFrame | None = None,
    report_path: str | None = None,
    run_id: str | None = None,
    config: str | None = None,
    inputs: str | None = None,
) -> str:
    """Upsert the run into ``backtest_log`` (parameters and metrics as JSON) and its orders into ``trades``;
    returns the run id.

    ``store`` is a :class:`thermoquant.data.store` ``Store``; ``config`` / ``inputs`` are the JSON texts a replay
    needs (:mod:`thermoquant.jobs.backtest`).
    """
    rid = run_id or new_run_id(strategy)
    log = pl.DataFrame(
        {
            "run_id": [rid],
            "strategy": [strategy],
            "params": [json.dumps(_jsonable(params), ensure_ascii=False, sort_keys=True)],
            "start_date": [start],
            "end_date": [end],
            "metrics": [json.dumps(_jsonable(summary), sort_keys=True)],
            "report_path": [report_path],
            "code_version": [thermoquant.__version__],
            "created_at": [dt.datetime.now(dt.UTC).replace(tzinfo=None)],
            "config": [config],
            "inputs": [inputs],
        },
        schema_overrides={
            "start_date": pl.Date,
            "end_date": pl.Date,
            "report_path": pl.Utf8,
            "config": pl.Utf8,
            "inputs": pl.Utf8,
        },
    )
    store.upsert("backtest_log", log)
    if orders is not None and orders.height:
        store.upsert("trades", trades_frame(rid, strategy, orders))
    return rid
