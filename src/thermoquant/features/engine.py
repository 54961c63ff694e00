"""The factor engine: long frame → panels → factor groups → long frame, in chunks of stocks; incremental updates.

- :func:`prepare` cleans a daily frame (types, sort, suspended rows dropped, turnover derived, index joined).
- :func:`compute` is the Python API: ``compute(df, names=None, dims=None, convention="tdx", market=None)``.
- :func:`compute_panels` is the panel API for callers that already hold (stocks × days) arrays.
- :func:`write_parquet` streams results to ``<dir>/dim=<n>/part-<k>.parquet`` (one column per factor of that
  dimension, plus ``symbol`` and ``trade_date``): factor tables are too wide and long for the relational store.
- :class:`IncrementalEngine` keeps a tail of inputs and the recursive state so that one new day for the whole market
  costs a few windows per stock instead of the full history.

Panel-kind groups run per chunk of ``chunk_stocks`` stocks (memory stays bounded: a chunk holds its inputs and the
requested outputs only); frame-kind groups (cross-sectional, dimensions 5–7) run once on the whole frame.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from thermoquant.features.bars import drop_suspended
from thermoquant.features.context import DEFAULT_OPTIONS, ComputeContext
from thermoquant.features.panel import LongColumns, to_panel
from thermoquant.features.registry import CONVENTIONS, FactorGroup, get, list_factors, list_groups

KEYS = ("symbol", "trade_date")
SLICE_ROWS = 32
"""Stocks per unit of work on the thread pool: a slice's panels (32 × 2500 days = 640 KB each) stay in the L2 cache
between the kernels of a group and the gather of its outputs (measured ~10 % less CPU than 128-stock slices)."""


def prepare(df: pl.DataFrame, market: pl.DataFrame | None = None) -> pl.DataFrame:
    """Validate and clean a daily long frame for the engine.

    - ``trade_date`` cast to Date; rows sorted by (symbol, trade_date); duplicate keys rejected;
    - suspended rows dropped (:func:`~thermoquant.features.bars.drop_suspended`);
    - ``turnover`` (%) derived as volume / float_shares × 100 when missing and ``float_shares`` is present;
    - ``market`` (``trade_date``, ``close`` of an index) joined as ``mkt_close``.
    """
    missing = [c for c in (*KEYS, "close") if c not in df.columns]
    if missing:
        raise ValueError(f"daily frame lacks columns {missing}; has {df.columns}")
    out = df
    if out.schema["trade_date"] != pl.Date:
        out = out.with_columns(pl.col("trade_date").cast(pl.Date))
    out = drop_suspended(out)
    if not _strictly_sorted(out):
        out = out.sort(*KEYS)
        if not _strictly_sorted(out):
            dup = out.filter(pl.struct(*KEYS).is_duplicated()).head(3)
            raise ValueError(f"duplicate (symbol, trade_date) rows, e.g. {dup.select(*KEYS).rows()}")
    if "turnover" not in out.columns and "float_shares" in out.columns:
        out = out.with_columns((pl.col("volume") / pl.col("float_shares") * 100.0).alias("turnover"))
    if market is not None:
        m = market.select(
            pl.col("trade_date").cast(pl.Date), pl.col("close").cast(pl.Float64).alias("mkt_close")
        )
        out = out.drop("mkt_close", strict=False).join(m, on="trade_date", how="left")
    return out


def _strictly_sorted(df: pl.DataFrame) -> bool:
    """True when rows are strictly increasing in (symbol, trade_date): sorted and without duplicate keys."""
    if df.height < 2:
        return True
    s, d = pl.col("symbol"), pl.col("trade_date")
    ok = (s > s.shift(1)) | ((s == s.shift(1)) & (d > d.shift(1)))
    return bool(df.select(ok.slice(1).all()).item())


def resolve(
    names: Iterable[str] | None = None, dims: Iterable[int] | None = None
) -> tuple[list[FactorGroup], list[str]]:
    """The groups to run and the output names wanted, from factor names and/or dimensions (default: dims 1–4)."""
    wanted: list[str] = []
    if names is not None:
        wanted += [get(n).name for n in names]
    if dims is not None or names is None:
        wanted += [f.name for f in list_factors(dims if dims is not None else (1, 2, 3, 4))]
    wanted = list(dict.fromkeys(wanted))
    gnames = {get(n).group for n in wanted}
    groups = [g for g in list_groups() if g.name in gnames]
    return groups, wanted


def _check_convention(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")


_allocator_tuned = False


def tune_allocator() -> bool:
    """Keep freed panel memory in the process heap (glibc ``mallopt``) instead of returning it to the OS.

    Chunked computation allocates and frees many same-sized arrays (a few MB each); by default glibc maps each one
    fresh from the kernel and pays a page fault per 4 KB page on first touch, which on virtual machines costs more
    than the arithmetic. Raising ``M_MMAP_THRESHOLD`` to its 32 MB maximum and ``M_TRIM_THRESHOLD`` to 1 GB lets
    the heap reuse that memory, and ``M_ARENA_MAX = 1`` keeps worker threads on that heap (per-thread arenas are
    capped at 64 MB and give pages back eagerly: measured 2 threads slower than 1 without it, ~1.8× faster with it).
    NumPy's transparent-huge-page advice (``madvise(MADV_HUGEPAGE)`` on every array of 4 MB or more) is switched
    off as well: with it, first touches of fresh memory cost anywhere from 0.3 s to 3 s of kernel time per GB from
    run to run on this kind of VM (huge-page zeroing and host-side backing), which made the timings swing by 3×;
    with 4 KB pages the cost is steady (~0.5 s per GB) and the heap reuse above avoids most of it.
    Process-wide, idempotent; skipped when ``TQ_NO_MALLOC_TUNING`` is set or glibc is absent. Returns whether the
    tuning is in force. Never called by importing or computing: a batch process opts in (``tq features compute``,
    the benchmarks); a long-lived process (the dashboard, the trading loop) keeps the allocator it started with.
    """
    global _allocator_tuned
    if _allocator_tuned:
        return True
    if os.environ.get("TQ_NO_MALLOC_TUNING") or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold, m_arena_max = -1, -3, -8
        ok = (
            libc.mallopt(m_mmap_threshold, 32 * 2**20) == 1
            and libc.mallopt(m_trim_threshold, 2**30) == 1
            and libc.mallopt(m_arena_max, 1) == 1
        )
    except (OSError, AttributeError):
        return False
    _no_numpy_hugepages()
    _allocator_tuned = ok
    return ok


def _no_numpy_hugepages() -> None:
    """Stop NumPy advising huge pages for large arrays (private switch behind ``NUMPY_MADVISE_HUGEPAGE=0``)."""
    try:
        from numpy._core import multiarray
    except ImportError:
        return
    setter = getattr(multiarray, "_set_madvise_hugepage", None)
    if setter is not None:
        setter(False)


def default_threads() -> int:
    """Worker threads for chunks of stocks: ``TQ_FEATURE_THREADS`` or the number of CPUs."""
    env = os.environ.get("TQ_FEATURE_THREADS")
    return max(1, int(env)) if env else max(1, os.cpu_count() or 1)


def compute_panels(
    x: Mapping[str, np.ndarray],
    groups: Sequence[FactorGroup],
    ctx: ComputeContext,
    chunk_rows: int | None = None,
    threads: int | None = None,
) -> dict[str, np.ndarray]:
    """Run panel-kind ``groups`` on input panels ``x``; returns the wanted outputs (all when ``ctx.wanted`` is None).

    Rows (stocks) are split into ``chunk_rows``-row slices (default :data:`SLICE_ROWS`: a slice's temporaries are
    reused from the heap and cache-friendly) run on ``threads`` worker threads (default :func:`default_threads`); the numba
    kernels release the GIL. Results and the recursive state in ``ctx.state_out`` are assembled for all rows.
    """
    for g in groups:
        lack = [c for c in g.inputs if c not in x] if g.kind == "panel" else []
        if lack:
            raise ValueError(f"factor group {g.name!r} needs input columns {lack}")
    nrows = next(iter(x.values())).shape[0] if x else 0
    nthreads = threads or default_threads()
    size = chunk_rows or SLICE_ROWS
    if nrows <= size:
        return _run_groups(x, groups, ctx)
    bounds = [(a, min(nrows, a + size)) for a in range(0, nrows, size)]
    out: dict[str, np.ndarray] = {}
    lock = threading.Lock()

    def run(ab: tuple[int, int]) -> dict[str, np.ndarray]:
        # each worker copies a group's outputs into the full panels as soon as the group is done (disjoint rows)
        a, b = ab
        sub = ComputeContext(
            convention=ctx.convention,
            start=ctx.start,
            state_in=None if ctx.state_in is None else {k: v[a:b] for k, v in ctx.state_in.items()},
            wanted=ctx.wanted,
            options=ctx.options,
        )
        xs = {k: v[a:b] for k, v in x.items()}
        for g in groups:
            if g.kind != "panel":
                continue
            for name, arr in _run_group(g, xs, sub).items():
                with lock:
                    if name not in out:
                        out[name] = np.empty((nrows, *arr.shape[1:]))
                out[name][a:b] = arr
        return sub.state_out

    with ThreadPoolExecutor(max_workers=nthreads) as pool:
        states = list(pool.map(run, bounds))
    ctx.state_out.update({k: np.concatenate([st[k] for st in states]) for k in states[0]})
    return {n: out[n] for n in _output_order(groups, ctx) if n in out}


def _output_order(groups: Sequence[FactorGroup], ctx: ComputeContext) -> list[str]:
    """Output names in group order, as :func:`_run_groups` returns them."""
    return [
        n for g in groups if g.kind == "panel" for n in g.outputs if ctx.wanted is None or n in ctx.wanted
    ]


def _run_groups(
    x: Mapping[str, np.ndarray], groups: Sequence[FactorGroup], ctx: ComputeContext
) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for g in groups:
        if g.kind == "panel":
            out.update(_run_group(g, x, ctx))
    return out


def _run_group(g: FactorGroup, x: Mapping[str, np.ndarray], ctx: ComputeContext) -> dict[str, np.ndarray]:
    """The wanted outputs of one panel group (all when ``ctx.wanted`` is None)."""
    res = g.compute(x, ctx)
    out: dict[str, np.ndarray] = {}
    for name in g.outputs:
        if ctx.wanted is None or name in ctx.wanted:
            if name not in res:
                raise RuntimeError(f"factor group {g.name!r} did not produce the requested output {name!r}")
            out[name] = res[name]
    return out


def _inputs_for(groups: Sequence[FactorGroup], columns: Sequence[str]) -> list[str]:
    cols: list[str] = []
    for g in groups:
        if g.kind != "panel":
            continue
        cols += list(g.inputs) + [c for c in g.optional_inputs if c in columns]
    return list(dict.fromkeys(cols))


def _chunks(df: pl.DataFrame, chunk_stocks: int) -> Iterator[pl.DataFrame]:
    rid = df.get_column("symbol").rle_id()
    nsym = int(rid[-1]) + 1 if df.height else 0
    bounds = np.searchsorted(rid.to_numpy(), np.arange(0, nsym + chunk_stocks, chunk_stocks))
    for a, b in pairwise(bounds):
        if b > a:
            yield df.slice(int(a), int(b - a))


def iter_compute(
    df: pl.DataFrame,
    names: Iterable[str] | None = None,
    dims: Iterable[int] | None = None,
    convention: str = "tdx",
    market: pl.DataFrame | None = None,
    options: Mapping[str, Any] | None = None,
    chunk_stocks: int = 256,
    prepared: bool = False,
    threads: int | None = None,
) -> Iterator[pl.DataFrame]:
    """Yield long result frames chunk by chunk (panel groups only), in order; see :func:`compute`.

    Each chunk of ``chunk_stocks`` stocks is scattered into panels and computed on ``threads`` worker threads in
    slices of :data:`SLICE_ROWS` stocks; each group's outputs are gathered into the chunk's long columns
    (:class:`~thermoquant.features.panel.LongColumns`, handed to Polars without a copy) as soon as the group is done,
    so memory stays bounded by one chunk's outputs. (Running whole chunks on the pool was measured slower: the
    Polars conversions then contend with each other.)
    """
    _check_convention(convention)
    groups, wanted = resolve(names, dims)
    data = df if prepared else prepare(df, market)
    cols = _inputs_for(groups, data.columns)
    opts = {**DEFAULT_OPTIONS, **(options or {})}
    panel_wanted = [n for n in wanted if get(n).group in {g.name for g in groups if g.kind == "panel"}]

    nthreads = threads or default_threads()
    panel_groups = [g for g in groups if g.kind == "panel"]

    def run(part: pl.DataFrame) -> pl.DataFrame:
        p = to_panel(part, cols)
        lengths = p.lengths()
        offsets = np.concatenate(([0], np.cumsum(lengths)))
        sink = LongColumns(panel_wanted, part.height)

        def work(ab: tuple[int, int]) -> None:
            # compute one slice of stocks group by group, gathering each group's outputs straight into the long
            # columns (disjoint row ranges) while they are fresh, so a slice never holds all its outputs at once
            a, b = ab
            ctx = ComputeContext(convention=convention, wanted=frozenset(wanted), options=opts)
            xs = {k: v[a:b] for k, v in p.data.items()}
            for g in panel_groups:
                for name, arr in _run_group(g, xs, ctx).items():
                    sink.put(name, arr, lengths[a:b], int(offsets[a]))

        nsym = len(p.symbols)
        slices = [(a, min(nsym, a + SLICE_ROWS)) for a in range(0, nsym, SLICE_ROWS)]
        if nthreads == 1 or len(slices) == 1:
            for ab in slices:
                work(ab)
        else:
            with ThreadPoolExecutor(max_workers=nthreads) as pool:
                list(pool.map(work, slices))
        return p.keys.with_columns(sink.series())

    yield from map(run, _chunks(data, chunk_stocks))


def compute(
    df: pl.DataFrame,
    names: Iterable[str] | None = None,
    dims: Iterable[int] | None = None,
    convention: str = "tdx",
    market: pl.DataFrame | None = None,
    options: Mapping[str, Any] | None = None,
    chunk_stocks: int = 256,
) -> pl.DataFrame:
    """Compute factors on a daily long frame; returns ``symbol``, ``trade_date`` and one Float64 column per factor.

    ``df``: columns ``symbol``, ``trade_date``, ``open``, ``high``, ``low``, ``close`` (CNY, already forward-adjusted —
    see :func:`~thermoquant.features.bars.qfq`), ``volume`` (shares), ``amount`` (CNY), optionally ``turnover`` (%)
    or ``float_shares``. Rows of suspended days are dropped first; the result has one row per remaining input row.
    ``names``/``dims`` choose the factors (default: all of dimensions 1–4). ``convention``: ``"tdx"`` (default) or
    ``"talib"``. ``market``: index bars (``trade_date``, ``close``) for Beta and market correlation. ``options``:
    see :data:`~thermoquant.features.context.DEFAULT_OPTIONS`. Values are NaN where a window is not yet full.
    """
    _check_convention(convention)
    groups, wanted = resolve(names, dims)
    data = prepare(df, market)
    parts = (
        list(iter_compute(data, wanted, None, convention, None, options, chunk_stocks, prepared=True))
        if any(g.kind == "panel" for g in groups)
        else []
    )
    out = pl.concat(parts, how="vertical") if parts else data.select(*KEYS)
    ctx = ComputeContext(
        convention=convention, wanted=frozenset(wanted), options={**DEFAULT_OPTIONS, **(options or {})}
    )
    for g in groups:
        if g.kind == "frame":
            res = g.compute(data, ctx)
            keep = [*KEYS, *[n for n in g.outputs if n in res.columns and n in wanted]]
            out = out.join(res.select(keep), on=list(KEYS), how="left")
    return out.select(*KEYS, *[n for n in wanted if n in out.columns])


def write_parquet(
    df: pl.DataFrame,
    out_dir: str | Path,
    dims: Iterable[int] = (1, 2, 3, 4),
    convention: str = "tdx",
    market: pl.DataFrame | None = None,
    options: Mapping[str, Any] | None = None,
    chunk_stocks: int = 256,
) -> list[Path]:
    """Compute ``dims`` and write ``<out_dir>/dim=<n>/part-<k>.parquet`` per chunk of stocks; returns the files.

    Old ``part-*.parquet`` files of the written dimensions are replaced only after all parts were computed
    (written to a temporary name first), so a failure leaves the previous result intact.
    """
    out = Path(out_dir)
    dims = list(dims)
    by_dim = {d: [f.name for f in list_factors([d])] for d in dims}
    tmp_files: list[tuple[Path, Path]] = []
    for k, part in enumerate(iter_compute(df, None, dims, convention, market, options, chunk_stocks)):
        for d, names in by_dim.items():
            cols = [n for n in names if n in part.columns]
            if not cols:
                continue
            ddir = out / f"dim={d}"
            ddir.mkdir(parents=True, exist_ok=True)
            final = ddir / f"part-{k:05d}.parquet"
            tmp = ddir / f".part-{k:05d}.parquet.tmp"
            part.select(*KEYS, *cols).write_parquet(tmp)
            tmp_files.append((tmp, final))
    for d in dims:
        for old in (out / f"dim={d}").glob("part-*.parquet"):
            old.unlink()
    for tmp, final in tmp_files:
        tmp.replace(final)
    return [f for _, f in tmp_files]


# ---------------------------------------------------------------------------------------------------------------
# incremental updates


@dataclass
class IncrementalEngine:
    """One-day incremental factor updates for a whole market.

    Holds, per stock, the last ``tail`` trading days of inputs (right-aligned panels) and the recursive filters'
    state. :meth:`update` appends one bar per traded stock and returns that day's factors — equal to a full
    recomputation (windows need at most ``tail`` days; recursive filters continue from their state; stocks younger
    than ``tail`` days are recomputed cold on their whole history, which the tail holds).
    """

    groups: list[FactorGroup]
    wanted: list[str]
    convention: str
    options: dict[str, Any]
    symbols: list[str]
    columns: list[str]
    tail: dict[str, np.ndarray]
    state: dict[str, np.ndarray]
    last_date: list[dt.date | None] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        history: pl.DataFrame,
        names: Iterable[str] | None = None,
        dims: Iterable[int] | None = None,
        convention: str = "tdx",
        market: pl.DataFrame | None = None,
        options: Mapping[str, Any] | None = None,
        tail: int | None = None,
        chunk_stocks: int = 256,
    ) -> IncrementalEngine:
        """Run the full computation once on ``history`` (in chunks of stocks) to seed the state; results discarded.

        ``tail``: trading days of inputs kept per stock (default: the longest group lookback + 2, i.e. 252).
        """
        _check_convention(convention)
        groups, wanted = resolve(names, dims)
        groups = [g for g in groups if g.kind == "panel"]
        data = prepare(history, market)
        cols = _inputs_for(groups, data.columns)
        width = tail or max([g.lookback for g in groups] + [1]) + 2
        opts = {**DEFAULT_OPTIONS, **(options or {})}
        symbols: list[str] = []
        tails: dict[str, list[np.ndarray]] = {c: [] for c in cols}
        states: dict[str, list[np.ndarray]] = {}
        for part in _chunks(data, chunk_stocks):
            p = to_panel(part, cols)
            ctx = ComputeContext(convention=convention, wanted=frozenset(wanted), options=opts)
            compute_panels(p.data, groups, ctx)
            symbols += p.symbols
            k = min(width, p.ncols)
            for c in cols:
                t = np.full((len(p.symbols), width), np.nan)
                t[:, width - k :] = p.data[c][:, p.ncols - k :]
                tails[c].append(t)
            for key, v in ctx.state_out.items():
                states.setdefault(key, []).append(v)
        last = data.group_by("symbol", maintain_order=True).agg(pl.col("trade_date").last())
        return cls(
            groups,
            wanted,
            convention,
            opts,
            symbols,
            cols,
            {c: np.vstack(v) for c, v in tails.items()},
            {k: np.concatenate(v) for k, v in states.items()},
            last.get_column("trade_date").to_list(),
        )

    def update(self, bars: pl.DataFrame) -> pl.DataFrame:
        """Append one day's bars (one row per traded stock, same columns as the history) and return its factors.

        Symbols not seen before start a new row. Suspended stocks (no row) keep their tail and state untouched.
        """
        bars = prepare(bars)
        if bars.select(pl.col("symbol").is_duplicated().any()).item():
            raise ValueError("update() takes one bar per symbol")
        index = {s: i for i, s in enumerate(self.symbols)}
        new = [s for s in bars.get_column("symbol").to_list() if s not in index]
        if new:
            self._grow(new)
            index = {s: i for i, s in enumerate(self.symbols)}
        rows = np.array([index[s] for s in bars.get_column("symbol").to_list()], dtype=np.int64)
        width = next(iter(self.tail.values())).shape[1]
        everyone = len(rows) == len(self.symbols) and bool((rows == np.arange(len(rows))).all())
        x: dict[str, np.ndarray] = {}
        for c in self.columns:
            new_col = (
                bars.get_column(c).cast(pl.Float64).fill_null(np.nan).to_numpy()
                if c in bars.columns
                else np.nan
            )
            t = self.tail[c] if everyone else self.tail[c][rows]
            t[:, :-1] = t[:, 1:]
            t[:, -1] = new_col
            x[c] = t
        res: dict[str, np.ndarray] = {}
        state_out: dict[str, np.ndarray] = {}
        state_in = {k: v[rows] for k, v in self.state.items()}
        for g in self.groups:
            # each group sees only the columns it needs: its lookback, which also covers its recursive filters'
            # seeding horizon (stocks whose state is not yet seeded are that young)
            w = min(width, g.lookback + 2)
            ctx = ComputeContext(
                convention=self.convention,
                start=w - 1,
                state_in=state_in,
                wanted=frozenset(self.wanted),
                options=self.options,
            )
            xs = {c: np.ascontiguousarray(v[:, width - w :]) for c, v in x.items()}
            out = compute_panels(xs, [g], ctx, chunk_rows=2048)
            res.update({n: a[:, -1] for n, a in out.items()})
            state_out.update(ctx.state_out)
        if not everyone:
            for c in self.columns:
                self.tail[c][rows] = x[c]
        for k, v in state_out.items():
            if k not in self.state:
                self.state[k] = np.full((len(self.symbols), *v.shape[1:]), np.nan)
            self.state[k][rows] = v
        for r, d in zip(rows.tolist(), bars.get_column("trade_date").to_list(), strict=True):
            self.last_date[r] = d
        cols = [pl.Series(n, res[n], dtype=pl.Float64, nan_to_null=True) for n in self.wanted if n in res]
        return bars.select(*KEYS).with_columns(cols)

    def _grow(self, new: list[str]) -> None:
        k = len(new)
        self.symbols = self.symbols + new
        for c, t in self.tail.items():
            self.tail[c] = np.vstack([t, np.full((k, t.shape[1]), np.nan)])
        for key, v in self.state.items():
            self.state[key] = np.concatenate([v, np.full((k, *v.shape[1:]), np.nan)])
        self.last_date = self.last_date + [None] * k
