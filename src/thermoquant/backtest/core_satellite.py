"""Core-satellite backtest (seed 001 §4): two sleeves, virtual sub-portfolios of one account, one engine.

* **satellite** (``1 − core_weight`` of the cash): any strategy of the contract; its targets are weights of the
  satellite's own equity, executed by the A-share engine (:func:`~.engine_nb.rebalance_day`: lots, T+1,
  one-price limit bars, fees, participation);
* **core** (``core_weight``): the picks of :func:`thermoquant.portfolio.core_select.select_core` on the first day
  (and on each year's first day with ``core_reselect=yearly``), equal weights, bought and held: a position is
  never trimmed, only a pick dropped at re-selection is sold. Dividends (ex-rights events derived from
  ``pre_close``, :mod:`thermoquant.portfolio.dividends`) are credited to the sleeve holding the shares and
  reinvested when the core's cash exceeds ``core_cash_trigger`` of its equity;
* **profit transfer** (:class:`~thermoquant.portfolio.transfer.ProfitTransfer`): at each period end the
  satellite declares ``transfer_fraction`` of its profit above its high-water capital; it owes that cash, its
  rebalancer sizes its targets on its equity net of what it owes (ordinary sells, T+1 and lots apply), and the
  cash moves to the core as soon as the satellite has it free. Nothing ever moves from the core to the satellite.

Per day and decision made at day k's close, executed on day k + lag of the fill model: corporate actions of
both sleeves, satellite rebalance, transfer payment, core rebalance, marks at the close, then (on a check day)
the transfer declaration.

**The account** is one more book: every fill of both sleeves, in the same sequence, replayed through
:func:`~.engine_nb.simulate_orders_nb` with the account's whole cash. Its equity is the run's equity (metrics,
report, ``trades``); :attr:`CoreSatelliteResult.sleeve_gap` is the largest daily difference, CNY, between it
and the sum of the sleeves (a sell of odd-lot shares of a stock held by both sleeves is the one case where the
two could part; the core and a CSI500 satellite never share a stock).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from thermoquant.backtest import engine_nb as nb
from thermoquant.backtest import metrics
from thermoquant.backtest.engine import _FILL, BacktestResult, _kernel_inputs, position_matrix
from thermoquant.backtest.rules import market_arrays
from thermoquant.backtest.run import BacktestConfig, RunResult, _benchmark, check_targets
from thermoquant.portfolio.core_select import CoreSelection, select_core
from thermoquant.portfolio.dividends import EVENT_SCHEMA, derive_events
from thermoquant.portfolio.params import CoreSatelliteParams
from thermoquant.portfolio.transfer import LEDGER_SCHEMA, ProfitTransfer, period_ends
from thermoquant.strategies.base import Panel, Strategy, StrategyParams

SLEEVES = ("core", "satellite")
SLEEVE_SCHEMA = {"trade_date": pl.Date(), "sleeve": pl.Utf8(), "cash": pl.Float64(), "gross": pl.Float64(),
                 "equity": pl.Float64()}  # fmt: skip
BAR_COLUMNS = ("symbol", "trade_date", "open", "high", "low", "close", "volume", "amount")


@dataclass
class CoreSatelliteResult:
    """A run: the account (``run``, as every report and recorder reads it), each sleeve's daily book
    (:data:`SLEEVE_SCHEMA`), the transfer ledger (:data:`~thermoquant.portfolio.transfer.LEDGER_SCHEMA`), the
    core selections, the dividend/split events credited, the orders with their sleeve, and ``sleeve_gap`` (CNY)."""

    run: RunResult
    sleeves: pl.DataFrame
    transfers: pl.DataFrame
    selections: list[CoreSelection]
    events: pl.DataFrame
    orders: pl.DataFrame
    sleeve_gap: float
    satellite: str
    satellite_params: StrategyParams
    notes: list[str] = field(default_factory=list)

    def sleeve_returns(self) -> dict[str, np.ndarray]:
        """Daily time-weighted returns of each sleeve: the transfers are flows, not performance (a payment of
        day t leaves the satellite's and enters the core's equity of day t)."""
        return sleeve_returns(self.sleeves, self.transfers, self.run.config.init_cash)


def sleeve_returns(sleeves: pl.DataFrame, transfers: pl.DataFrame, init_cash: float) -> dict[str, np.ndarray]:
    """Time-weighted daily returns per sleeve, ``r_t = (E_t − flow_t) / E_{t−1} − 1`` with ``flow_t`` the cash
    paid in (core) or out (satellite) on day t; day 0 against the sleeve's initial cash."""
    paid = transfers.filter(pl.col("event") == "pay").group_by("trade_date").agg(pl.col("amount").sum())
    out: dict[str, np.ndarray] = {}
    for name, sign in (("core", 1.0), ("satellite", -1.0)):
        book = sleeves.filter(pl.col("sleeve") == name).sort("trade_date")
        flow = book.join(paid, on="trade_date", how="left")["amount"].fill_null(0.0).to_numpy() * sign
        eq = book["equity"].to_numpy()
        first = eq[0] - flow[0]  # day 0: no trade before the first fill, equity = the initial cash
        prev = np.concatenate([[first], eq[:-1]])
        out[name] = (eq - flow) / prev - 1.0
    return out


def _reselect_days(dates: list[dt.date], how: str) -> list[int]:
    """Indices of the days the core is (re)selected: the first, and with ``yearly`` each year's first day."""
    days = [0]
    if how == "yearly":
        days += [i for i in range(1, len(dates)) if dates[i].year != dates[i - 1].year]
    return days


def _ffill_columns(a: np.ndarray) -> np.ndarray:
    """Each row's last non-NaN value carried forward along the days axis."""
    out = a.copy()
    for j in range(1, out.shape[1]):
        gap = np.isnan(out[:, j])
        out[gap, j] = out[gap, j - 1]
    return out


def run_core_satellite(
    satellite: Strategy,
    panel: Panel,
    core_bars: pl.DataFrame,
    params: CoreSatelliteParams | None = None,
    satellite_params: StrategyParams | None = None,
    config: BacktestConfig | None = None,
    *,
    finance: pl.DataFrame | None = None,
    valuation: pl.DataFrame | None = None,
) -> CoreSatelliteResult:
    """Run the allocation (module docstring) on [panel.start, panel.end].

    ``panel``: the satellite's inputs (its ``bars`` are the symbols it trades); ``core_bars``: the core's universe
    (symbol, trade_date, OHLC, volume, amount, pre_close [, total_shares, is_st]) with history before
    ``panel.start`` for the selection's windows; ``finance`` (symbol, report_period, ann_date, roe) and
    ``valuation`` (symbol, trade_date, pb) as :func:`~thermoquant.portfolio.core_select.select_core` reads them.
    """
    p = params or CoreSatelliteParams()
    sp = satellite_params or satellite.default_params()
    cfg = config or BacktestConfig()
    if cfg.fill == "index_nav":
        raise ValueError(
            "core_satellite runs on the A-share engine: fill next_open, close or vwap, not index_nav"
        )
    targets = check_targets(satellite.name, satellite.targets(panel, sp))
    sat_bars = panel["bars"].filter(pl.col("trade_date").is_between(panel.start, panel.end))
    in_range = core_bars.filter(pl.col("trade_date").is_between(panel.start, panel.end))
    all_days = sorted(set(sat_bars["trade_date"].to_list()) | set(in_range["trade_date"].to_list()))
    if not all_days:
        raise ValueError(f"core_satellite: no bars between {panel.start} and {panel.end}")
    core_events = derive_events(core_bars)
    selections = [
        select_core(core_bars, all_days[i], p, events=core_events, finance=finance, valuation=valuation)
        for i in _reselect_days(all_days, p.core_reselect)
    ]
    core_syms = sorted({s for sel in selections for s in sel.symbols})
    traded = set(targets.filter(pl.col("weight") > 0)["symbol"].unique().to_list())
    overlap = set(core_syms) & traded
    sat_syms = set(sat_bars["symbol"].unique().to_list())
    notes = [f"core selected {sel.as_of}: rule {sel.rule}; " + "; ".join(sel.reasons) for sel in selections]
    if overlap:
        notes.append(
            f"core and satellite both trade {sorted(overlap)}: an odd-lot sell may part the account from the sleeves"
        )
    bars = pl.concat(
        [
            sat_bars.select([c for c in sat_bars.columns if c in (*BAR_COLUMNS, "pre_close", "is_st")]),
            in_range.filter(pl.col("symbol").is_in(sorted(set(core_syms) - sat_syms))).select(
                [c for c in in_range.columns if c in (*BAR_COLUMNS, "pre_close", "is_st")]
            ),
        ],
        how="diagonal_relaxed",
    ).sort("symbol", "trade_date")
    if "pre_close" in bars.columns:
        bars = bars.rename({"pre_close": "prev_close"})
    sat_events = panel.frames.get("events")
    stated = set() if sat_events is None else set(sat_events["symbol"].unique().to_list())
    events = pl.concat(
        [  # the satellite panel's own events win for its symbols (never credit a dividend twice)
            core_events.filter(
                pl.col("symbol").is_in(sorted(set(core_syms) - stated))
                & pl.col("trade_date").is_between(panel.start, panel.end)
            ),
            *(
                [
                    sat_events.select(
                        "symbol",
                        pl.col("trade_date").cast(pl.Date),
                        "ratio",
                        "cash",
                        pl.lit("satellite").alias("kind"),
                    )
                ]
                if sat_events is not None
                else []
            ),
        ],
        how="diagonal_relaxed",
    ).cast(EVENT_SCHEMA)  # type: ignore[arg-type]
    splits = [(r["symbol"], r["trade_date"], r["ratio"], r["cash"]) for r in events.iter_rows(named=True)]
    m = market_arrays(bars, splits=splits, fees=cfg.fees)
    dates = [d.astype(object) for d in m.dates.astype("datetime64[D]")]
    sym_pos = {s: i for i, s in enumerate(m.symbols)}
    day_pos = {d: j for j, d in enumerate(dates)}
    n, T = m.shape
    sat_t = np.full((n, T), np.nan)
    for sym, day, w in targets.select("symbol", "trade_date", "weight").iter_rows():
        if sym in sym_pos and day in day_pos:
            sat_t[sym_pos[sym], day_pos[day]] = w
    sat_held = _ffill_columns(sat_t)
    core_t = np.full((n, T), np.nan)
    held: set[str] = set()
    for sel in selections:
        j = day_pos[sel.as_of]
        core_t[[sym_pos[s] for s in held], j] = 0.0
        for s in sel.symbols:
            core_t[sym_pos[s], j] = 1.0 / len(sel.symbols)
        held |= set(sel.symbols)
    return _simulate(
        m, cfg, p, sat_t, sat_held, core_t, dates, selections, events, notes, satellite, sp, panel
    )


def _simulate(
    m, cfg: BacktestConfig, p: CoreSatelliteParams, sat_t: np.ndarray, sat_held: np.ndarray, core_t: np.ndarray,
    dates: list[dt.date], selections: list[CoreSelection], events: pl.DataFrame, notes: list[str],
    satellite: Strategy, sp: StrategyParams, panel: Panel,
) -> CoreSatelliteResult:  # fmt: skip
    n, T = m.shape
    ecfg = cfg.engine_config()
    market, costs, ev = _kernel_inputs(m, ecfg)
    price_mode, lag = _FILL[ecfg.fill]
    core_cash = round(cfg.init_cash * p.core_weight, 2)
    books = {
        "core": nb._new_book(n, T, core_cash, position_matrix((n, T), True)),
        "satellite": nb._new_book(n, T, cfg.init_cash - core_cash, position_matrix((n, T), True)),
    }
    ptr = {k: 0 for k in books}
    rule = ProfitTransfer(base=cfg.init_cash - core_cash, fraction=p.transfer_fraction)
    check = period_ends(dates, p.transfer_frequency)
    decide = ~np.isnan(core_t).all(axis=0)
    px, delta, buy_q = np.empty(n), np.zeros(n), np.zeros(n)
    rec = np.empty((1024, len(nb.REC_FIELDS)))
    n_rec = 0
    sleeve_of: list[tuple[int, int, str]] = []
    nan_col = np.full(n, np.nan)
    last_core = nan_col
    sat, core = books["satellite"], books["core"]
    for t in range(T):
        for k_ in books:
            ptr[k_] = nb._start_day(t, ev, ptr[k_], books[k_])
        k = t - lag
        if k >= 0:
            col = sat_held[:, k] if rule.pending > 0 else sat_t[:, k]
            r0 = n_rec
            rec, n_rec = nb.rebalance_day(market, costs, sat, np.ascontiguousarray(col), t, True, price_mode,
                                          rule.pending, False, px, delta, buy_q, rec, n_rec)  # fmt: skip
            sleeve_of.append((r0, n_rec, "satellite"))
            prev_eq = float(sat.out_equity[t - 1]) if t > 0 else float(sat.cash[0])
            paid = rule.pay(dates[t], float(sat.cash[0]), prev_eq)
            sat.cash[0] -= paid
            core.cash[0] += paid
            if decide[k]:
                last_core = core_t[:, k]
            core_value = float(core.cash[0]) + float(np.nansum(core.pos * np.nan_to_num(core.last_px)))
            deploy = decide[k] or core.cash[0] > p.core_cash_trigger * core_value
            ccol = np.where(np.isnan(last_core), np.nan, last_core) if deploy else nan_col
            r0 = n_rec
            rec, n_rec = nb.rebalance_day(market, costs, core, np.ascontiguousarray(ccol), t, True, price_mode,
                                          0.0, True, px, delta, buy_q, rec, n_rec)  # fmt: skip
            sleeve_of.append((r0, n_rec, "core"))
        for b in books.values():
            nb._end_day(t, market.close[:, t], b)
        if check[t]:
            rule.check(dates[t], float(sat.out_equity[t]))
    rec = rec[:n_rec].copy()
    sleeve = np.empty(n_rec, dtype=object)
    for a, b_, name in sleeve_of:
        sleeve[a:b_] = name
    account = _account(market, costs, ev, rec, price_mode, cfg, m)
    sleeves = pl.concat(
        [
            pl.DataFrame(
                {
                    "trade_date": pl.Series(dates, dtype=pl.Date),
                    "sleeve": name,
                    "cash": b.out_cash,
                    "gross": b.out_gross,
                    "equity": b.out_equity,
                }
            )
            for name, b in books.items()
        ]
    ).cast(SLEEVE_SCHEMA)  # type: ignore[arg-type]
    gap = float(np.max(np.abs(account.equity - books["core"].out_equity - books["satellite"].out_equity)))
    orders = _orders_of(rec, m, ecfg)
    orders = orders.with_columns(pl.Series("sleeve", sleeve.tolist(), dtype=pl.Utf8))
    bench = _benchmark(panel.frames.get("benchmark"), dates)
    ledger = rule.ledger()
    summary = metrics.result_summary(account, bench)
    twr = sleeve_returns(sleeves, ledger, cfg.init_cash)
    for name, b in books.items():
        summary[f"{name}_total_return"] = float(np.prod(1.0 + twr[name]) - 1.0)
        summary[f"{name}_max_drawdown"] = float(metrics.drawdown(twr[name]).min())
        summary[f"{name}_equity_end"] = float(b.out_equity[-1])
    summary["transferred_to_core"] = float(ledger.filter(pl.col("event") == "pay")["amount"].sum())
    summary["transfers_declared"] = float(ledger.filter(pl.col("event") == "declare").height)
    summary["sleeve_gap_max"] = gap
    acc_orders = account.orders()
    fills = account.fills()
    run = RunResult(
        "core_satellite", p, cfg, dates, account.returns(), bench, summary, acc_orders, acc_orders, _no_bars(),
        fills.filter(pl.col("side") == "buy")["trade_date"].to_list(),
        fills.filter(pl.col("side") == "sell")["trade_date"].to_list(), (*panel.notes, *notes), account,
    )  # fmt: skip
    return CoreSatelliteResult(run, sleeves, ledger.cast(LEDGER_SCHEMA), selections, events, orders, gap,  # type: ignore[arg-type]
                               satellite.name, sp, notes)  # fmt: skip


def _orders_of(rec: np.ndarray, m, ecfg) -> pl.DataFrame:
    """The orders frame (:meth:`BacktestResult.orders`) of raw engine records."""
    empty = np.zeros(0)
    return BacktestResult(m.symbols, m.dates, empty, empty, empty, np.zeros((0, 0)), rec, ecfg).orders()


def _no_bars() -> pl.DataFrame:
    """No single price series to draw for a multi-symbol account (the report's K-line is skipped)."""
    return pl.DataFrame(schema={"trade_date": pl.Date, "open": pl.Float64, "high": pl.Float64,
                                "low": pl.Float64, "close": pl.Float64})  # fmt: skip


def _account(market, costs, ev, rec: np.ndarray, price_mode: int, cfg: BacktestConfig, m) -> BacktestResult:
    """The one account: every non-zero fill of the sleeves, in sequence, replayed with the whole cash."""
    filled = rec[rec[:, 3] != 0.0]
    out = nb.simulate_orders_nb(
        market, costs, ev, filled[:, 1].astype(np.int64), filled[:, 0].astype(np.int64),
        np.ascontiguousarray(filled[:, 3]), np.full(len(filled), price_mode, dtype=np.int64), cfg.init_cash, position_matrix(m.shape, True),
    )  # fmt: skip
    return BacktestResult(m.symbols, m.dates, *out, config=cfg.engine_config())
