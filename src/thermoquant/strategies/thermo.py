"""The thermo strategy (seed 000 §二–三, seed 001 §2.3, §3) on the contract of :mod:`.base`.

Each day, at the close:

* **universe**: the scan's eligible set — not ST (by date), amount >= ``min_amount``, no lock-up expiry within
  ``unlock_days``, fuel ``q_below`` >= ``min_fuel`` (cold furnaces out);
* **states**: ``labels="lifecycle"`` runs the A→B→C→D life cycle of
  :mod:`thermoquant.signals.lifecycle_nb` (days in state, the event that moved it, which burnout rule fired);
  ``labels="per_bar"`` uses today's per-bar physics labels (``state``, ``buy_point``, ``stop`` of
  :func:`thermoquant.physics.thermo.compute_physics`);
* **B group** (``b_share`` of the slots): stocks entering B, only among the top ``b_top_fraction`` of the day's
  eligible stocks by their own ignition success rate (point in time: an ignition's outcome counts from the day it
  is known); **C group**: C buy points (T_f back at T_i on shrinking volume);
* **exits**: leaving B/C (physical stop, burnout by either rule, steady-phase drawdown, failed ignition), or the
  close crossing the take-profit / stop-loss written with the BUY.

Each holding gets ``1 / slots`` of the strategy's capital (:attr:`ThermoStrategyParams.slots`); targets are written
on the days they change. T+1, limit days, lots and fees are the engine's.

Panel frames: ``physics`` (with warm-up), ``quotes`` (``amount``, ``close``, optional ``is_st``), optional
``unlocks`` (``share_unlock``), ``st_history`` and ``param_pack`` (symbol, effective_date, and per-stock parameter
columns of :data:`PER_STOCK` or a ``params`` mapping / JSON text; applied as of each date).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from thermoquant.layout import day_major
from thermoquant.physics.states import State
from thermoquant.signals import lifecycle_nb as lc
from thermoquant.signals.scan import st_on
from thermoquant.strategies import thermo_grid_nb as gnb
from thermoquant.strategies.base import InputSpec, Panel, Strategy, signal_frame
from thermoquant.strategies.thermo_book_nb import (
    F_BUY_C,
    F_ELIGIBLE,
    F_ENTER_B,
    F_EXIT,
    GROUP_NAMES,
    R_BUY_B,
    R_BUY_C,
    REASONS,
    book_nb,
    held_groups,
)
from thermoquant.strategies.thermo_params import PER_STOCK, STRATEGY, ThermoStrategyParams

STATE_LETTERS = {lc.NONE: "N", lc.A: "A", lc.B: "B", lc.C: "C", lc.D: "D"}
"""State code → letter (N = outside the cycle)."""
STATE_LETTER_LIST = tuple(STATE_LETTERS[c] for c in range(lc.NONE, lc.D + 1))
"""The letters indexed by state code − NONE (for :func:`_names`)."""

PHYSICS_COLUMNS = ("t_f", "t_i", "dt", "k", "vol_ratio", "tau", "q_below", "bottom_mass", "top_mass", "state",
                   "buy_point", "stop")  # fmt: skip
PER_BAR_COLUMNS = ("state", "buy_point", "stop")
"""The physics labels only ``labels="per_bar"`` reads (the life cycle makes its own)."""


def param_rows(keys: pl.DataFrame, params: ThermoStrategyParams, pack: pl.DataFrame | None) -> np.ndarray:
    """(n_rows, len(PER_STOCK)) parameter matrix for ``keys`` (symbol, trade_date, sorted): the defaults, replaced
    where a pack row with ``effective_date <= trade_date`` of the same symbol sets a value (the latest such row)."""
    base = np.array([float(getattr(params, n)) for n in PER_STOCK])
    shared = np.broadcast_to(base, (keys.height, len(PER_STOCK)))  # one read-only row for all: no copy
    if pack is None or pack.is_empty():
        return shared
    wide = pack_columns(pack)
    cols = [c for c in PER_STOCK if c in wide.columns]
    if not cols:
        return shared
    out = shared.copy()
    joined = keys.with_row_index("_row").sort("trade_date").join_asof(
        wide.sort("effective_date"), left_on="trade_date", right_on="effective_date", by="symbol",
        strategy="backward", check_sortedness=False,  # sorted by date; by-groups make polars unable to check
    ).sort("_row")  # fmt: skip
    for c in cols:
        vals = joined[c].cast(pl.Float64).to_numpy()
        j = PER_STOCK.index(c)
        out[:, j] = np.where(np.isnan(vals), out[:, j], vals)
    return out


def pack_columns(pack: pl.DataFrame) -> pl.DataFrame:
    """A ``param_pack`` frame as (symbol, effective_date, one Float64 column per known per-stock parameter): a
    ``params`` column (JSON text or mapping) is spread into columns; keys the strategy does not know are ignored
    (physics keys of the same pack belong to the physics engine)."""
    for need in ("symbol", "effective_date"):
        if need not in pack.columns:
            raise ValueError(f"param_pack frame lacks column {need!r}; has {pack.columns}")
    frame = pack.with_columns(pl.col("effective_date").cast(pl.Date))
    if "params" in frame.columns:
        rows: dict[str, list[float | None]] = {c: [] for c in PER_STOCK}
        for i, raw in enumerate(frame["params"].to_list()):
            data = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
            for c in PER_STOCK:
                v = data.get(c)
                if v is not None and not isinstance(v, int | float):
                    r = frame.row(i, named=True)
                    raise ValueError(
                        f"param_pack row symbol={r['symbol']} effective_date={r['effective_date']}: "
                        f"{c}={v!r} is not a number"
                    )
                rows[c].append(None if v is None else float(v))
        spread = pl.DataFrame(rows, schema=dict.fromkeys(PER_STOCK, pl.Float64))
        frame = pl.concat(
            [frame.drop([c for c in PER_STOCK if c in frame.columns]), spread], how="horizontal"
        )
    keep = [c for c in PER_STOCK if c in frame.columns]
    return frame.select("symbol", "effective_date", *(pl.col(c).cast(pl.Float64) for c in keep))


def _sorted_runs(frame: pl.DataFrame) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """(``frame`` sorted by symbol, trade_date (itself when it already is), its symbol run ids (uint32), the runs'
    offsets (:func:`thermo_grid_nb.run_offsets`)): the check reads the run ids it returns (dates increasing inside
    each run, run heads increasing) when symbols are non-null Strings and dates non-null Dates, else
    :func:`_sorted`."""
    sym, day = frame["symbol"], frame["trade_date"]
    if sym.dtype == pl.String and day.dtype == pl.Date and not sym.null_count() and not day.null_count():
        run = sym.rle_id().to_numpy()
        offsets = gnb.run_offsets(run)
        heads = sym.gather(offsets[:-1]).to_list()
        if gnb.runs_sorted(run, day.to_physical().to_numpy()) and all(
            a < b for a, b in itertools.pairwise(heads)
        ):
            return frame, run, offsets
        out = frame.sort("symbol", "trade_date")
    else:
        out = frame if _sorted(frame) else frame.sort("symbol", "trade_date")
    run = out["symbol"].rle_id().to_numpy()
    return out, run, gnb.run_offsets(run)


def _sorted(frame: pl.DataFrame) -> bool:
    """Rows sorted by symbol, then strictly by trade_date within a symbol (one linear pass)."""
    if frame.height < 2:
        return True
    sym = pl.col("symbol")
    ok = frame.select(
        (
            (sym > sym.shift(1))
            | ((sym == sym.shift(1)) & (pl.col("trade_date") > pl.col("trade_date").shift(1)))
        )
        .slice(1)
        .all()
    )
    return bool(ok.item())


@dataclass(frozen=True)
class _Cycle:
    """The life-cycle kernels' outputs on the sorted physics rows (``phys``; ``keys`` its symbol, trade_date)."""

    phys: pl.DataFrame
    keys: pl.DataFrame
    run: np.ndarray
    offsets: np.ndarray
    prm: np.ndarray
    state: np.ndarray
    days: np.ndarray
    event: np.ndarray
    ignite: np.ndarray
    buy: np.ndarray
    stop: np.ndarray
    rate: np.ndarray
    events: np.ndarray


def _cycle(physics: pl.DataFrame, params: ThermoStrategyParams, pack: pl.DataFrame | None) -> _Cycle:
    """Run the life-cycle and success-rate kernels on ``physics`` (sorted here when it is not)."""
    phys, run, offsets = _sorted_runs(physics)
    keys = phys.select("symbol", "trade_date")
    prm = param_rows(keys, params, pack)

    def arr(name: str) -> np.ndarray:
        return np.ascontiguousarray(phys[name].cast(pl.Float64).to_numpy())

    t_f = arr("t_f")
    state, days, event, ignite, buy, stop = lc.lifecycle_batch(
        offsets, t_f, arr("t_i"), arr("dt"), arr("k"), arr("vol_ratio"), arr("tau"), arr("q_below"),
        arr("bottom_mass"), arr("top_mass"), prm, params.ignition_from_cold, params.burnout_exhaustion,
        params.burnout_turnover_rule,
    )  # fmt: skip
    rate, events = lc.success_rate_batch(
        offsets, t_f, ignite, prm, params.success_prior, params.success_prior_n
    )
    return _Cycle(phys, keys, run, offsets, prm, state, days, event, ignite, buy, stop, rate, events)


def lifecycle(
    physics: pl.DataFrame, params: ThermoStrategyParams, pack: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Per stock-bar labels of ``physics`` (sorted by symbol, trade_date): ``state`` (letter), ``days_in_state``,
    ``event``, ``burnout_rule`` (which rule put it in D: exhaustion / turnover / drawdown, per_bar also
    thin_fuel), ``ignite``, ``buy_point``, ``stop``, ``success_rate``, ``success_events``, ``take_profit``,
    ``stop_loss`` (fractions, per stock as of the date)."""
    return _labels(_cycle(physics, params, pack), params)


def _labels(cyc: _Cycle, params: ThermoStrategyParams) -> pl.DataFrame:
    """:func:`lifecycle`'s frame from the kernels' outputs."""
    phys, prm, state, event = cyc.phys, cyc.prm, cyc.state, cyc.event
    out = cyc.keys.with_columns(
        pl.Series("ignite", cyc.ignite),
        pl.Series("success_rate", cyc.rate),
        pl.Series("success_events", cyc.events),
        pl.Series("take_profit", prm[:, PER_STOCK.index("take_profit")]),
        pl.Series("stop_loss", prm[:, PER_STOCK.index("stop_loss")]),
        pl.Series("dt", phys["dt"]),
        pl.Series("close_adj", phys["t_f"]),
        pl.Series("q_below", phys["q_below"]),
    )
    if params.labels == "lifecycle":
        return out.with_columns(
            pl.Series("state_code", state),
            pl.Series("days_in_state", cyc.days),
            _names(event, lc.EVENT_NAMES).alias("event"),
            pl.Series("buy_point", cyc.buy),
            pl.Series("stop", cyc.stop),
            _names(lc.burnout_rule_batch(cyc.offsets, state, event), lc.EVENT_NAMES).alias("burnout_rule"),
            _names(state - lc.NONE, STATE_LETTER_LIST).alias("state"),
            pl.Series("enter_b", event == lc.EV_IGNITE),
            pl.Series("exit_flag", (state != lc.B) & (state != lc.C)),
        )
    return _per_bar(out, phys, params)


def _book_flags(cyc: _Cycle, params: ThermoStrategyParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(enter_b, buy_point, exit_flag) per row, as :func:`lifecycle`'s columns hold them (null read as False)."""
    if params.labels == "lifecycle":
        return cyc.event == lc.EV_IGNITE, cyc.buy, (cyc.state != lc.B) & (cyc.state != lc.C)
    code = cyc.phys["state"].cast(pl.Int8).fill_null(-1).to_numpy()
    stop = cyc.phys["stop"].fill_null(False).to_numpy()
    buy = cyc.phys["buy_point"].fill_null(False).to_numpy()
    return code == State.IGNITION, buy, (code == State.BURNOUT) | stop


def _per_bar(out: pl.DataFrame, phys: pl.DataFrame, params: ThermoStrategyParams) -> pl.DataFrame:
    """Today's per-bar labels with the same columns as the life cycle (days_in_state = run length of the label)."""
    code = phys["state"].cast(pl.Int8)
    exhausted = (phys["bottom_mass"] < params.bottom_gone) & (phys["top_mass"] >= params.top_heavy) & (
        phys["k"].fill_nan(None).fill_null(-np.inf) < params.k_dist
    )  # fmt: skip
    rule = (
        pl.when(pl.col("_tau") >= params.burnout_turnover)
        .then(pl.lit("turnover"))
        .when(pl.col("_ex"))
        .then(pl.lit("exhaustion"))
        .otherwise(pl.lit("thin_fuel"))
    )
    return (
        out.with_columns(
            pl.Series("state_code", code),
            pl.Series("buy_point", phys["buy_point"]),
            pl.Series("stop", phys["stop"]),
            pl.Series("_tau", phys["tau"]),
            pl.Series("_ex", exhausted),
        )
        .with_columns(
            pl.int_range(pl.len()).over("symbol", pl.col("state_code").rle_id().over("symbol")).add(1)
            .cast(pl.Int32).alias("days_in_state"),
            pl.when(pl.col("state_code") == State.BURNOUT).then(rule).alias("burnout_rule"),
            pl.col("state_code").replace_strict(STATE_LETTERS, return_dtype=pl.Utf8).alias("state"),
            (pl.col("state_code") == State.IGNITION).alias("enter_b"),
            ((pl.col("state_code") == State.BURNOUT) | pl.col("stop")).alias("exit_flag"),
        )
        .with_columns(pl.col("burnout_rule").alias("event"))
        .drop("_tau", "_ex")
    )  # fmt: skip


def eligible(
    rows: pl.DataFrame,
    quotes: pl.DataFrame,
    params: ThermoStrategyParams,
    unlocks: pl.DataFrame | None = None,
    st_history: pl.DataFrame | None = None,
    grid: tuple[list[str], np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> pl.Series:
    """Per row of ``rows`` (symbol, trade_date, q_below; sorted by symbol, trade_date): in the day's universe
    (module docstring). Named ``eligible``. ``grid``: :func:`_grid` of ``rows`` when the caller has it."""
    symbols, si, dates, di = grid or _grid(rows)
    q = _between(quotes, dates[0], dates[-1])
    fuel = rows["q_below"].cast(pl.Float64).to_numpy()  # NaN or null (read as NaN) fails every >= test below
    if dates.dtype == np.dtype("datetime64[D]") and q.schema["trade_date"] == pl.Date:
        # quote values read at the rows' grid cells in one merge walk (thermo_grid_nb.at_least)
        run, head_sym, head_known = _symbol_runs(q["symbol"], symbols)
        qdays, grid_days = q["trade_date"].to_physical().to_numpy(), dates.astype(np.int64)

        def at_rows(values: np.ndarray, threshold: float) -> np.ndarray:
            return gnb.at_least(run, head_sym, head_known, qdays, grid_days, values, 0.0, threshold, len(symbols),
                                si, di)  # fmt: skip

        ok = at_rows(q["amount"].cast(pl.Float64).fill_null(0.0).to_numpy(), params.min_amount)
        ok &= fuel >= params.min_fuel
        st = np.zeros(rows.height, dtype=np.bool_)
        if params.exclude_st and "is_st" in q.columns:
            st = at_rows(q["is_st"].fill_null(False).to_numpy(), 0.5)
    else:
        qi, known = _symbol_index(q["symbol"], symbols)
        pos, hit = _date_index(dates, q["trade_date"].to_numpy())
        hit &= known
        amount = np.zeros((len(symbols), len(dates)))
        amount[qi[hit], pos[hit]] = q["amount"].cast(pl.Float64).fill_null(0.0).to_numpy()[hit]
        ok = (amount[si, di] >= params.min_amount) & (fuel >= params.min_fuel)
        flag = np.zeros((len(symbols), len(dates)), dtype=np.bool_)
        if params.exclude_st and "is_st" in q.columns:
            flag[qi[hit], pos[hit]] = q["is_st"].fill_null(False).to_numpy()[hit]
        st = flag[si, di]
    if params.exclude_st:
        if st_history is not None and not st_history.is_empty():
            st = st | st_on(rows.select("symbol", "trade_date"), st_history).to_numpy()
        ok &= ~st
    if unlocks is not None and not unlocks.is_empty():
        nxt = (
            rows.select("symbol", "trade_date").with_row_index("_row").sort("trade_date")
            .join_asof(unlocks.select("symbol", pl.col("unlock_date").cast(pl.Date)).sort("unlock_date"),
                       left_on="trade_date", right_on="unlock_date", by="symbol", strategy="forward",
                       check_sortedness=False)
            .sort("_row")
        )  # fmt: skip
        soon = (nxt["unlock_date"] - nxt["trade_date"]).dt.total_days() <= params.unlock_days
        ok &= ~soon.fill_null(False).to_numpy()
    return pl.Series("eligible", ok)


def _grid(
    rows: pl.DataFrame, runs: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """(symbols, row → symbol index (uint32), sorted dates, row → date index) of rows sorted by symbol, trade_date;
    ``runs``: the rows' symbol run ids and their offsets (:func:`_sorted_runs`) when the caller has them."""
    if runs is None:
        run = rows["symbol"].rle_id().to_numpy()
        runs = (run, gnb.run_offsets(run))
    run, offsets = runs
    symbols = rows["symbol"].gather(offsets[:-1]).to_list()
    day = rows["trade_date"]
    if day.dtype == pl.Date and rows.height and not day.null_count():
        distinct, rank = gnb.date_rank(day.to_physical().to_numpy())  # no sort of the rows
        return symbols, run, distinct.astype("datetime64[D]"), rank
    dates = np.unique(day.to_numpy())
    return symbols, run, dates, np.searchsorted(dates, day.to_numpy())


def _between(frame: pl.DataFrame, start: object, end: object) -> pl.DataFrame:
    """Rows of ``frame`` with ``trade_date`` in [start, end]; the frame itself (no copy) when all of them are."""
    inside = pl.col("trade_date").is_between(start, end)
    return frame if frame.select(inside.fill_null(False).all()).item() else frame.filter(inside)


def _symbol_runs(sym: pl.Series, symbols: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(run id of each entry of ``sym``, each run's position in ``symbols`` or 0, found): runs of equal neighbours
    are looked up once (quote frames come in per-symbol blocks)."""
    run = sym.rle_id().to_numpy()
    heads = sym.gather(gnb.run_offsets(run)[:-1]).cast(pl.Enum(symbols), strict=False).to_physical()
    return run, heads.fill_null(0).to_numpy().astype(np.int64), heads.is_not_null().to_numpy()


def _symbol_index(sym: pl.Series, symbols: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(position in ``symbols`` or 0, found) of each entry of ``sym`` (:func:`_symbol_runs` expanded)."""
    run, head_sym, head_known = _symbol_runs(sym, symbols)
    return head_sym[run], head_known[run]


def _date_index(dates: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in ``dates`` clipped to its range, exact hit) of each of ``values`` (sorted ``dates``)."""
    if dates.dtype == np.dtype("datetime64[D]") and values.dtype == dates.dtype and len(dates):
        lo, d = dates[0].astype(np.int64), dates.astype(np.int64)
        v = values.astype(np.int64) - lo
        inside = (v >= 0) & (v <= d[-1] - lo)
        first = np.searchsorted(d - lo, np.arange(d[-1] - lo + 1))  # calendar day → first date >= it
        pos = np.where(inside, first[np.clip(v, 0, d[-1] - lo)], np.where(v < 0, 0, len(dates)))
    else:
        pos = np.searchsorted(dates, values)
    pos = pos.clip(0, len(dates) - 1)
    return pos, dates[pos] == values


class Book:
    """Everything one run of the strategy decided, on the grid of ``symbols`` × ``dates`` (the rows' symbols in
    order and their sorted dates): the target ``changes`` (:func:`.thermo_book_nb.book_nb`: day, symbol index,
    weight, reason code, in the order made) and the grid cells whose B candidate passed the top filter. ``rows``
    (built on first use): symbol, trade_date in [start, end], the life-cycle columns, ``eligible``, ``in_top``,
    ``reason``, ``group``, ``weight`` (null = unchanged), ``score``."""

    def __init__(
        self,
        params: ThermoStrategyParams,
        keys: pl.DataFrame,
        grid: tuple[list[str], np.ndarray, np.ndarray, np.ndarray],
        full: bool,
        outputs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        build_rows: Callable[[], pl.DataFrame],
    ) -> None:
        self.params = params
        self.symbols, self._si, self.dates, self._di = grid
        self.changes = outputs[:4]
        self._top = outputs[4:]
        self._keys, self._full, self._build_rows = keys, full, build_rows

    def _back(self, m: np.ndarray) -> np.ndarray:
        """Rows' values of a (T, n) result."""
        return m.T.reshape(-1) if self._full else m[self._di, self._si]

    def _row_of(self, t: np.ndarray, i: np.ndarray) -> np.ndarray:
        """Row of each (day, symbol index) cell."""
        if self._full:
            return i.astype(np.int64) * len(self.dates) + t
        at = np.full((len(self.symbols), len(self.dates)), -1, dtype=np.int64)
        at[self._si, self._di] = np.arange(self._si.shape[0])
        return at[i, t]

    @cached_property
    def rows(self) -> pl.DataFrame:
        T, n = len(self.dates), len(self.symbols)
        ct, ci, cw, cr = self.changes
        weight = np.full((T, n), np.nan)
        weight[ct, ci] = cw
        reason = np.zeros((T, n), dtype=np.int8)
        reason[ct, ci] = cr
        in_top = np.zeros((T, n), dtype=np.bool_)
        in_top[self._top] = True
        return self._build_rows().with_columns(
            pl.Series("weight", self._back(weight)).fill_nan(None),
            _names(self._back(reason), REASONS).alias("reason"),
            _names(self._back(held_groups(T, n, ct, ci, cr)), GROUP_NAMES).alias("group"),
            pl.Series("in_top", self._back(in_top)),
        )

    def targets(self) -> pl.DataFrame:
        """(symbol, trade_date, weight, reason) of the rows whose target changes, sorted by trade_date then
        symbol: ``rows`` filtered to a non-null weight, without building ``rows``."""
        ct, ci, cw, cr = self.changes
        out = self._keys[self._row_of(ct, ci)].with_columns(
            pl.Series("weight", cw), _names(cr, REASONS).fill_null("").alias("reason")
        )
        return out.sort("trade_date", "symbol")


def run_book(panel: Panel, params: ThermoStrategyParams) -> Book:
    """The life cycle over the whole panel, then the book over [start, end] (:mod:`.thermo_book_nb`).

    Arrays from the kernels to the book; the row frame (:attr:`Book.rows`) is built only when asked for."""
    cyc = _cycle(panel["physics"], params, panel.frames.get("param_pack"))
    inside = cyc.keys.select(
        pl.col("trade_date").is_between(panel.start, panel.end).fill_null(False)
    ).to_series()
    sel = None if inside.all() else np.flatnonzero(inside.to_numpy())
    keys = cyc.keys if sel is None else cyc.keys[sel]
    if keys.is_empty():
        raise ValueError(f"thermo: no physics rows between {panel.start} and {panel.end}")

    def pick(a: np.ndarray) -> np.ndarray:
        return a if sel is None else a[sel]

    def col(name: str, fill: float) -> np.ndarray:
        s = cyc.phys[name]
        return pick(s.fill_null(fill).to_numpy().astype(np.float64, copy=False))

    grid = _grid(keys, (cyc.run, cyc.offsets) if sel is None else None)
    symbols, si, dates, di = grid
    q_below = cyc.phys["q_below"] if sel is None else cyc.phys["q_below"].gather(sel)
    ok = eligible(keys.with_columns(q_below), panel["quotes"], params, panel.frames.get("unlocks"),
                  panel.frames.get("st_history"), grid).to_numpy()  # fmt: skip
    n, T = len(symbols), len(dates)
    # every symbol on every date (rows are sorted): a row-major (n, T) view of the column, no scatter
    full = gnb.is_full(si, di, n, T)

    def dense(vals: np.ndarray, fill: float | bool, dtype: type) -> np.ndarray:
        """(T, n) day-major matrix of a column: book_nb walks the days, each one contiguous row."""
        if full:
            out = np.empty((T, n), dtype=dtype)
            day_major(np.ascontiguousarray(vals).reshape(n, T), out)
            return out
        m = np.full((n, T), fill, dtype=dtype)
        m[si, di] = vals
        return np.ascontiguousarray(m.T)

    def cells(vals: np.ndarray, fill: float) -> np.ndarray:
        """(T, n) view of a stock-major (n, T) matrix, no transposed copy: for the columns book_nb reads only at
        holdings and candidates (close, take-profit, stop-loss)."""
        if full:
            return vals.reshape(n, T).T
        m = np.full((n, T), fill)
        m[si, di] = vals
        return m.T

    enter_b, buy, exit_flag = (pick(a) for a in _book_flags(cyc, params))
    flags = ok.view(np.int8) * np.int8(F_ELIGIBLE)  # one byte per row: one day-major copy instead of four
    for bit, a in ((F_ENTER_B, enter_b), (F_BUY_C, buy), (F_EXIT, exit_flag)):
        flags |= a.view(np.int8) * np.int8(bit)
    prm = cyc.prm
    outputs = book_nb(
        cells(col("t_f", np.nan), np.nan), dense(flags, 0, np.int8), dense(pick(cyc.rate), np.nan, np.float64),
        dense(pick(cyc.events), 0, np.int32), cells(pick(prm[:, PER_STOCK.index("take_profit")]), 0.0),
        cells(pick(prm[:, PER_STOCK.index("stop_loss")]), 0.0), params.b_top_fraction, params.b_slots,
        params.slots - params.b_slots, params.slot_weight,
    )  # fmt: skip

    def build_rows() -> pl.DataFrame:
        labels = _labels(cyc, params)
        rows = labels if sel is None else labels[sel]
        return rows.with_columns(pl.Series("eligible", ok), pl.col("success_rate").alias("score"))

    return Book(params, keys, grid, full, outputs, build_rows)


def _names(codes: np.ndarray, names: tuple[str, ...]) -> pl.Series:
    """Int codes (0 ≤ code < len(names)) → their names (empty name → null): one gather from the few names, no
    per-row lookup."""
    table = pl.Series([n or None for n in names], dtype=pl.Utf8)
    return table.gather(pl.Series(codes.astype(np.uint32, copy=False)))


class Thermo(Strategy):
    """Seeds 000/001: life-cycle states, B group among the historically best igniters, C group on pullbacks."""

    name = STRATEGY
    title = "热力学生命周期策略 / thermo life-cycle strategy (seeds 000, 001)"
    Params = ThermoStrategyParams
    inputs = InputSpec(
        tables=("daily_quote", "share_unlock", "st_history", "param_pack"),
        physics=PHYSICS_COLUMNS,
        lookback=250,
        physics_only=True,
    )

    def targets(self, panel: Panel, params: ThermoStrategyParams) -> pl.DataFrame:
        return run_book(panel, params).targets()

    def physics_columns(self, params: ThermoStrategyParams) -> tuple[str, ...]:
        """The declared physics, without the per-bar labels when the life cycle makes its own."""
        keep = PHYSICS_COLUMNS if params.labels == "per_bar" else set(PHYSICS_COLUMNS) - set(PER_BAR_COLUMNS)
        return tuple(c for c in PHYSICS_COLUMNS if c in keep)

    def signals(self, panel: Panel, params: ThermoStrategyParams, day: dt.date) -> pl.DataFrame:
        """BUY (with take_profit / stop_loss prices from the day's close) and SELL rows of ``day``; WATCH for
        eligible stocks in A (cold storage, fuel building). The book is run over the panel's whole physics history
        up to ``day``, so a SELL closes a holding the strategy would have opened on an earlier day."""
        history = Panel(panel.frames, min(panel["physics"]["trade_date"].min(), day), day, panel.notes)
        rows = run_book(history, params).rows.filter(pl.col("trade_date") == day)
        close = (
            panel["quotes"].filter(pl.col("trade_date") == day).select("symbol", pl.col("close").alias("_px"))
        )
        rows = rows.join(close, on="symbol", how="left")
        signal = (
            pl.when(pl.col("reason").is_in([REASONS[R_BUY_B], REASONS[R_BUY_C]]))
            .then(pl.lit("BUY"))
            .when(pl.col("reason").is_not_null())
            .then(pl.lit("SELL"))
            .when(pl.col("eligible") & (pl.col("state") == "A"))
            .then(pl.lit("WATCH"))
        )
        buy = pl.col("reason").is_in([REASONS[R_BUY_B], REASONS[R_BUY_C]])
        why = pl.when(pl.col("reason") == "exit").then(pl.format("exit: {}", pl.col("event").fill_null(
            pl.col("state")))).otherwise(pl.col("reason"))  # fmt: skip
        details = pl.struct("days_in_state", "event", "burnout_rule", "success_events", "group", "dt").struct
        out = rows.with_columns(signal.alias("signal")).filter(pl.col("signal").is_not_null())
        return signal_frame(
            out.select(
                pl.lit(STRATEGY).alias("strategy"),
                "symbol",
                pl.lit(dt.datetime.combine(day, dt.time(15, 0))).alias("signal_time"),
                "signal",
                "state",
                "score",
                why.alias("reason"),
                pl.when(buy).then(pl.col("_px") * (1 + pl.col("take_profit"))).alias("take_profit"),
                pl.when(buy).then(pl.col("_px") * (1 - pl.col("stop_loss"))).alias("stop_loss"),
                details.json_encode().alias("details"),
            ).sort("signal", "symbol")
        )


def slots_summary(params: ThermoStrategyParams) -> str:
    """One line on the book's size, for reports."""
    return (
        f"{params.slots} 个仓位（B {params.b_slots} / C {params.slots - params.b_slots}），每只 "
        f"{params.slot_weight:.2%}；B 组仅取成功率前 {math.ceil(params.b_top_fraction * 100)}%"
    )
