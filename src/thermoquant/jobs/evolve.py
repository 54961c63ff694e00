"""Evolution jobs on the user's database: calibrate first packs, the nightly regression, the pack history.

Resumable: a run's work is split into fixed chunks of stocks; each chunk's packs are upserted into
``param_pack`` (key symbol + effective_date: a rerun rewrites, never duplicates) and only then is the chunk
marked done in ``ingest_checkpoint`` under the run's job key. A run killed at any point (SIGKILL of the driver
or a worker) is rerun with the same arguments: done chunks are skipped, the others recomputed — the task is pure,
so the packs end up the same as those of an uninterrupted run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from thermoquant.clock import now_shanghai
from thermoquant.data.job_log import job_run
from thermoquant.data.store.errors import NoDataError
from thermoquant.evolve import runner, space
from thermoquant.evolve.config import EvolveConfig
from thermoquant.evolve.executors import make_executor
from thermoquant.evolve.features import BarBundle, day_number
from thermoquant.evolve.model import Decision
from thermoquant.evolve.task import StockPack, TaskResult
from thermoquant.jobs.context import JobContext
from thermoquant.jobs.panels import latest_stored_day, sessions_before
from thermoquant.market.calendar import next_trading_day
from thermoquant.physics.bars import traded_bars

BAR_COLUMNS = ["symbol", "trade_date", "open", "high", "low", "close", "pre_close", "volume", "amount", "turnover",
               "float_shares"]  # fmt: skip
ChunkFn = Callable[[int, int], None]
"""Called after each chunk is stored and checkpointed: (chunks done, chunks in the run)."""


@dataclass
class EvolveRun:
    """What a run did: the day packs are valid from, chunks (total / skipped as done before), packs written,
    decisions by outcome, the market pack, the job id."""

    kind: str
    valid_from: dt.date
    data_end: dt.date
    stocks: int
    chunks: int
    skipped: int
    written: int
    outcomes: dict[str, int]
    market: dict[str, Any]
    job_id: str


def job_key(
    kind: str, valid_from: dt.date, cfg: EvolveConfig, symbols: Sequence[str], executor: str = ""
) -> str:
    """Stable key of a run (the executor does not change the result, so it is not part of it)."""
    blob = json.dumps({"cfg": cfg.to_dict(), "symbols": list(symbols)}, sort_keys=True)
    return f"evolve_{kind}:{valid_from}:{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


def _read_bars(store: Any, end: dt.date, history: int, symbols: Sequence[str] | None) -> pl.DataFrame:
    start = sessions_before(end, history + 5)
    quotes = store.read("daily_quote", columns=BAR_COLUMNS, start=start, end=end, symbols=symbols or None)
    bars = traded_bars(quotes)
    if bars.is_empty():
        raise NoDataError(f"daily_quote has no traded rows in [{start}, {end}]")
    return bars


def packs_in_force(store: Any, day: dt.date) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(pack vector by symbol, market pack) in force on ``day``: the latest row with effective_date <= day; the
    market pack falls back to the strategy defaults."""
    rows = store.read("param_pack", end=day, columns=["symbol", "effective_date", "params"])
    latest = rows.sort("effective_date").group_by("symbol", maintain_order=True).last()
    default = space.default_vector()
    market = default
    out: dict[str, np.ndarray] = {}
    for r in latest.iter_rows(named=True):
        data = json.loads(r["params"]) if isinstance(r["params"], str) else dict(r["params"] or {})
        if r["symbol"] == runner.MARKET:
            market = space.from_pack(data, default)
    for r in latest.iter_rows(named=True):
        if r["symbol"] != runner.MARKET:
            data = json.loads(r["params"]) if isinstance(r["params"], str) else dict(r["params"] or {})
            out[r["symbol"]] = space.from_pack(data, market)
    return out, market


def calibrated_on(store: Any, valid_from: dt.date) -> set[str]:
    """Symbols with a calibration pack valid from ``valid_from`` (a nightly run of the eve leaves them be)."""
    rows = store.read(
        "param_pack", where={"effective_date": valid_from, "method": "calibrate"}, columns=["symbol"]
    )
    return set(rows["symbol"].to_list())


def _pack_row(
    p: StockPack, valid_from: dt.date, method: str, cfg: EvolveConfig, job_id: str
) -> dict[str, Any]:
    d = p.decision
    return {
        "symbol": p.symbol, "effective_date": valid_from, "params": json.dumps(space.to_pack(d.vector)),
        "fit_score": d.oos_score, "method": method, "created_at": now_shanghai().replace(microsecond=0),
        "reason": d.reason, "diagnosis": json.dumps(d.figures, ensure_ascii=False, sort_keys=True),
        "objective": cfg.accept_objective if method == "nightly" else cfg.objective,
        "search": "step" if method == "nightly" else cfg.search, "is_score": d.is_score, "oos_score": d.oos_score,
        "n_trades": d.n_trades, "data_end": dt.date(1970, 1, 1) + dt.timedelta(days=p.data_end),
        "config": json.dumps(cfg.to_dict(), sort_keys=True), "job_id": job_id,
    }  # fmt: skip


ROW_SCHEMA = {"fit_score": pl.Float64, "is_score": pl.Float64, "oos_score": pl.Float64, "n_trades": pl.Int64,
              "created_at": pl.Datetime("us"), "effective_date": pl.Date, "data_end": pl.Date}  # fmt: skip


def _store_chunk(store: Any, key: str, result: TaskResult, rows: list[dict[str, Any]]) -> None:
    """Packs first, then the checkpoint (a kill in between only redoes the chunk)."""
    if rows:
        store.upsert("param_pack", pl.DataFrame(rows, schema_overrides=ROW_SCHEMA, infer_schema_length=None))
    mark = {"job_key": key, "item": f"chunk-{result.chunk:05d}", "status": "done", "rows": len(rows),
            "updated_at": now_shanghai().replace(microsecond=0)}  # fmt: skip
    store.upsert("ingest_checkpoint", pl.DataFrame([mark]))


def _done_chunks(store: Any, key: str) -> set[int]:
    frame = store.read("ingest_checkpoint", where={"job_key": key, "status": "done"}, columns=["item"])
    return {int(i.removeprefix("chunk-")) for i in frame["item"].to_list()}


def _outcome(p: StockPack) -> str:
    return p.decision.outcome or p.decision.reason


def evolve(
    ctx: JobContext,
    kind: str,
    *,
    day: dt.date | None = None,
    symbols: Sequence[str] | None = None,
    cfg: EvolveConfig | None = None,
    executor: str = "local",
    workers: int | None = None,
    address: str = "auto",
    on_chunk: ChunkFn | None = None,
) -> EvolveRun:
    """``kind`` ``calibrate`` (first packs) or ``nightly`` (regression of ``day``). Packs are valid from the
    session after ``day`` (default: the latest complete stored day) and computed from bars up to ``day``."""
    if kind not in ("calibrate", "nightly"):
        raise ValueError(f"unknown evolve run kind {kind!r}: calibrate or nightly")
    cfg = cfg or EvolveConfig()
    job = "evolve_calibrate" if kind == "calibrate" else "evolve_run"
    args = {"date": day, "symbols": list(symbols or []), "config": cfg.to_dict(), "executor": executor}
    with ctx.open_store() as store, store.session(), job_run(store, job, args=args) as log:
        data_end = day or latest_stored_day(store)
        valid_from = next_trading_day(data_end)
        history = cfg.calibration_history if kind == "calibrate" else cfg.history_days
        bars = _read_bars(store, data_end, history, symbols)
        bundle = BarBundle.from_frame(bars)
        key = job_key(kind, valid_from, cfg, bundle.symbols)
        done = _done_chunks(store, key)
        n_chunks = len(runner.chunks(bundle.n_stocks, cfg.chunk_size))
        log.args.update(
            {"date": data_end, "valid_from": valid_from, "job_key": key, "resumed_chunks": len(done)}
        )
        log.rows_in = bars.height
        vf = day_number(valid_from)
        written, outcomes = 0, {}
        progress = [len(done)]

        fresh: set[str] = set()  # calibrated for the same valid_from: the calibration is tonight's decision

        def on_result(result: TaskResult) -> None:
            nonlocal written
            for p in result.packs:
                if p.symbol in fresh:
                    p.decision = Decision(p.decision.vector, False, "今晚已校准 calibrated tonight",
                                          outcome="nightly: calibrated tonight")  # fmt: skip
            changed = [p for p in result.packs if p.decision.changed]
            rows = [_pack_row(p, valid_from, kind, cfg, log.job_id) for p in changed]
            _store_chunk(store, key, result, rows)
            written += len(rows)
            for p in result.packs:
                outcomes[_outcome(p)] = outcomes.get(_outcome(p), 0) + 1
            progress[0] += 1
            if on_chunk is not None:
                on_chunk(progress[0], n_chunks)

        ex = make_executor(executor, bundle, workers=workers, address=address)
        try:
            if kind == "calibrate":
                market, figures = runner.market_pack(ex, bundle, vf, cfg)
                pooled = Decision(market, True, "全市场参数包（汇总训练窗）market-wide pack, pooled", figures,
                                  figures["is_score"], None, figures["trades"])  # fmt: skip
                mrow = StockPack(-1, runner.MARKET, day_number(data_end), pooled)
                store.upsert("param_pack", pl.DataFrame([_pack_row(mrow, valid_from, kind, cfg, log.job_id)],
                                                        schema_overrides=ROW_SCHEMA))  # fmt: skip
                runner.calibrate(ex, bundle, vf, cfg, market, done, on_result)
            else:
                incumbents, market = packs_in_force(store, data_end)
                fresh.update(calibrated_on(store, valid_from))
                runner.nightly(ex, bundle, vf, cfg, incumbents, market, done, on_result)
        finally:
            ex.close()
        log.rows_written = written
    return EvolveRun(kind, valid_from, data_end, bundle.n_stocks, n_chunks, len(done), written, outcomes,
                     space.to_pack(market), log.job_id)  # fmt: skip


def pack_history(ctx: JobContext, symbol: str) -> pl.DataFrame:
    """Every ``param_pack`` row of ``symbol``, oldest first."""
    with ctx.open_store() as store:
        return store.read("param_pack", symbols=[symbol]).sort("effective_date")
