"""Friendly wrapper around the numba core: Polars frames in, a :class:`BacktestResult` out.

Timing convention (``EngineConfig.fill``):

* ``"next_open"`` (default): a target decided with day k's close fills at day k+1's open;
* ``"close"``: it fills at day k's own close (same-bar execution, for strategies that decide before the close);
* ``"vwap"``: it fills at day k+1's VWAP = amount / volume.

Units: prices CNY, volume shares, amount CNY, cash CNY.  Market rules (limit prices, lot sizes, stamp duty and
transfer-fee schedules) arrive as explicit arrays in :class:`MarketArrays`; :mod:`thermoquant.backtest.rules`
fills them from :mod:`thermoquant.market`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl

from thermoquant.backtest import engine_nb as nb
from thermoquant.layout import day_major
from thermoquant.market.fees import FeeModel

FillMode = Literal["next_open", "close", "vwap"]
_FILL = {"next_open": (nb.PRICE_OPEN, 1), "close": (nb.PRICE_CLOSE, 0), "vwap": (nb.PRICE_VWAP, 1)}


@dataclass(frozen=True)
class EngineConfig:
    """Engine knobs that are not market rules.

    Attributes:
        init_cash: starting cash, CNY.
        fill: execution price and lag, see the module docstring.
        participation: max fraction of a bar's volume one order may take (0.25 = 25 %; <= 0 disables).
        commission_rate: broker commission as a fraction of the order value (both sides); None = the configured
            ``market.fees.FeeModel.from_settings()`` (0.025 % by default).
        min_commission: minimum commission per order, CNY; None = the configured one (5 CNY by default).
        slippage_bps: price concession per fill, basis points, against the trader.
        keep_positions: keep the (stocks x days) share matrix in the result.
    """

    init_cash: float = 1_000_000.0
    fill: FillMode = "next_open"
    participation: float = 0.25
    commission_rate: float | None = None
    min_commission: float | None = None
    slippage_bps: float = 0.0
    keep_positions: bool = True


@dataclass
class MarketArrays:
    """Aligned market data and rule arrays.  ``(n, T)`` arrays are float64; NaN price = no bar (suspended).

    Attributes:
        symbols: n symbols (row order).
        dates: T trading days (column order), ``datetime64[D]``.
        open, high, low, close: CNY per share.
        volume: shares; amount: CNY.
        limit_up, limit_down: limit prices, CNY; NaN = no limit check.
        lot_min, lot_step: minimum buy quantity and its step, shares, per symbol.
        fee_group: per symbol, the row of the fee tables that applies to it (e.g. its board).
        stamp_buy, stamp_sell, transfer_rate: ``(G, T)`` fractions of the order value per fee group and day.
        events: corporate actions as (day index, stock index, share ratio, cash per old share) rows: on that
            day's start the holding becomes floor(shares × ratio) and the fractional share is paid in cash at the
            previous close on the new basis (previous close / ratio); the cash per old share is credited too.
    """

    symbols: list[str]
    dates: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    amount: np.ndarray
    limit_up: np.ndarray
    limit_down: np.ndarray
    lot_min: np.ndarray
    lot_step: np.ndarray
    fee_group: np.ndarray
    stamp_buy: np.ndarray
    stamp_sell: np.ndarray
    transfer_rate: np.ndarray
    events: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))

    @property
    def shape(self) -> tuple[int, int]:
        """(n_stocks, n_days)."""
        return self.close.shape


@dataclass
class BacktestResult:
    """Outputs of one run.  ``records`` columns are :data:`engine_nb.REC_FIELDS`."""

    symbols: list[str]
    dates: np.ndarray
    cash: np.ndarray
    equity: np.ndarray
    gross: np.ndarray
    positions: np.ndarray
    records: np.ndarray
    config: EngineConfig

    def returns(self) -> np.ndarray:
        """Daily simple returns of equity; day 0 against the initial cash."""
        prev = np.concatenate([[self.config.init_cash], self.equity[:-1]])
        return self.equity / prev - 1.0

    def equity_frame(self) -> pl.DataFrame:
        """trade_date, cash, gross (position value), equity — CNY."""
        return pl.DataFrame(
            {
                "trade_date": self.dates.astype("datetime64[D]"),
                "cash": self.cash,
                "gross": self.gross,
                "equity": self.equity,
            }
        )

    def orders(self) -> pl.DataFrame:
        """Every order that reached the market, blocked ones included, with its fill (0 shares when blocked)."""
        r = self.records
        sym = np.array(self.symbols, dtype=object)
        idx = r[:, 0].astype(np.int64)
        day = r[:, 1].astype(np.int64)
        return pl.DataFrame(
            {
                "symbol": pl.Series(sym[idx].tolist() if len(r) else [], dtype=pl.Utf8),
                "trade_date": pl.Series(self.dates.astype("datetime64[D]")[day]).cast(pl.Date),
                "side": np.where(r[:, 2] > 0, "buy", "sell").tolist()
                if len(r)
                else pl.Series([], dtype=pl.Utf8),
                "requested": r[:, 2],
                "filled": r[:, 3],
                "price": r[:, 4],
                "commission": r[:, 5],
                "transfer_fee": r[:, 6],
                "stamp_duty": r[:, 7],
                "status": pl.Series([nb.STATUS_NAMES[int(c)] for c in r[:, 8]], dtype=pl.Utf8),
                "position_after": r[:, 9],
            }
        )

    def fills(self) -> pl.DataFrame:
        """Orders with a non-zero fill."""
        return self.orders().filter(pl.col("filled") != 0)

    def round_trips(self) -> pl.DataFrame:
        """Flat-to-flat episodes per symbol: entry/exit dates, holding days (trading days), CNY cost/proceeds/pnl."""
        rt = nb.round_trips_nb(self.records, len(self.symbols))
        d = self.dates.astype("datetime64[D]")
        sym = np.array(self.symbols, dtype=object)
        return pl.DataFrame(
            {
                "symbol": pl.Series(sym[rt[:, 0].astype(np.int64)].tolist(), dtype=pl.Utf8),
                "entry_date": pl.Series(d[rt[:, 1].astype(np.int64)]).cast(pl.Date),
                "exit_date": pl.Series(d[rt[:, 2].astype(np.int64)]).cast(pl.Date),
                "holding_days": (rt[:, 2] - rt[:, 1]).astype(np.int64),
                "cost": rt[:, 3],
                "proceeds": rt[:, 4],
                "pnl": rt[:, 5],
            }
        )


def _commission(cfg: EngineConfig) -> tuple[float, float]:
    """(rate, minimum CNY) from the config, falling back to the configured market fee model."""
    if cfg.commission_rate is not None and cfg.min_commission is not None:
        return cfg.commission_rate, cfg.min_commission
    model = FeeModel.from_settings()
    rate = model.commission_rate if cfg.commission_rate is None else cfg.commission_rate
    minimum = model.min_commission if cfg.min_commission is None else cfg.min_commission
    return float(rate), float(minimum)


def _kernel_inputs(m: MarketArrays, cfg: EngineConfig) -> tuple[nb.Market, nb.Costs, nb.Events]:
    """The arrays and costs of one run as the numba drivers take them (events sorted by day)."""
    market = nb.Market(
        *(
            np.ascontiguousarray(getattr(m, name), dtype=np.int64 if name == "fee_group" else np.float64)
            for name in nb.MARKET_FIELDS
        )
    )
    costs = nb.Costs(cfg.participation, *_commission(cfg), cfg.slippage_bps * 1e-4)
    ev = np.asarray(m.events, dtype=np.float64).reshape(-1, 4)
    ev = ev[np.argsort(ev[:, 0], kind="stable")]
    events = nb.Events(ev[:, 0].astype(np.int64), ev[:, 1].astype(np.int64), ev[:, 2].copy(), ev[:, 3].copy())
    return market, costs, events


def position_matrix(shape: tuple[int, int], keep: bool) -> np.ndarray:
    """The (n, T) zeros a run writes its end-of-day positions into (shares; only where held), or (0, 0) when
    ``keep`` is False.  NumPy's zeros of this size map their pages on first write: the pages of stretches no stock
    is held in are never touched."""
    return np.zeros(shape) if keep else np.zeros((0, 0))


def run_targets(
    m: MarketArrays, target: np.ndarray, *, is_weight: bool = True, config: EngineConfig | None = None
) -> BacktestResult:
    """Rebalance towards ``target`` ``(n, T)`` (fractions of equity, or shares when ``is_weight`` is False; NaN =
    no order) decided at each day's close, executed per ``config.fill``.  Returns a :class:`BacktestResult`."""
    cfg = config or EngineConfig()
    if target.shape != m.shape:
        raise ValueError(f"target shape {target.shape} != market shape {m.shape}")
    price_mode, lag = _FILL[cfg.fill]
    target_t = np.empty(target.shape[::-1])  # the kernel reads one contiguous row per day
    day_major(np.ascontiguousarray(target, dtype=np.float64), target_t)
    out = nb.simulate_targets_nb(
        *_kernel_inputs(m, cfg),
        target_t,
        is_weight,
        lag,
        price_mode,
        cfg.init_cash,
        position_matrix(m.shape, cfg.keep_positions),
    )
    return BacktestResult(m.symbols, m.dates, *out, config=cfg)


def run_orders(
    m: MarketArrays, orders: pl.DataFrame, *, config: EngineConfig | None = None
) -> BacktestResult:
    """Execute explicit orders: frame with ``symbol, trade_date`` (the fill day), ``quantity`` (signed shares, + buy)
    and optional ``price`` in {"open", "close", "vwap"} (default: the open).  Orders of one day keep their row
    order; nothing is netted or re-sorted within a day."""
    cfg = config or EngineConfig()
    o = orders.with_row_index("_seq").with_columns(pl.col("trade_date").cast(pl.Date))
    if "price" not in o.columns:
        o = o.with_columns(pl.lit("open").alias("price"))
    o = (
        o.join(_index_frame("symbol", pl.Series(m.symbols, dtype=pl.Utf8), "_s"), on="symbol", how="left")
        .join(_index_frame("trade_date", pl.Series(m.dates).cast(pl.Date), "_d"), on="trade_date", how="left")
        .with_columns(pl.col("price").fill_null("open").replace_strict(_PRICE_MODES, default=-1).alias("_p"))
        .sort("_d", "_seq")
    )
    bad = o.filter(pl.col("_s").is_null() | pl.col("_d").is_null() | (pl.col("_p") < 0))
    if bad.height:
        r = bad.row(0, named=True)
        raise ValueError(
            f"order row {r['_seq']}: symbol {r['symbol']!r}, trade_date {r['trade_date']} or price {r['price']!r} is not in "
            f"the market arrays / not one of {sorted(_PRICE_MODES)}"
        )
    out = nb.simulate_orders_nb(
        *_kernel_inputs(m, cfg),
        o["_d"].to_numpy().astype(np.int64),
        o["_s"].to_numpy().astype(np.int64),
        np.ascontiguousarray(o["quantity"].cast(pl.Float64).to_numpy()),
        o["_p"].to_numpy().astype(np.int64),
        cfg.init_cash,
        position_matrix(m.shape, cfg.keep_positions),
    )
    return BacktestResult(m.symbols, m.dates, *out, config=cfg)


_PRICE_MODES = {"open": nb.PRICE_OPEN, "close": nb.PRICE_CLOSE, "vwap": nb.PRICE_VWAP}


def _index_frame(name: str, values: pl.Series, index_name: str) -> pl.DataFrame:
    return pl.DataFrame({name: values, index_name: np.arange(len(values), dtype=np.int64)})


def pivot(frame: pl.DataFrame, column: str, symbols: list[str], dates: np.ndarray) -> np.ndarray:
    """Long ``(symbol, trade_date, column)`` frame -> ``(len(symbols), len(dates))`` float64 array, NaN where absent."""
    out = np.full((len(symbols), len(dates)), np.nan)
    if frame.height == 0:
        return out
    sym_idx = pl.DataFrame({"symbol": symbols, "_i": np.arange(len(symbols))})
    day_idx = pl.DataFrame(
        {"trade_date": dates.astype("datetime64[D]"), "_j": np.arange(len(dates))}
    ).with_columns(pl.col("trade_date").cast(pl.Date))
    j = (
        frame.select("symbol", pl.col("trade_date").cast(pl.Date), pl.col(column).cast(pl.Float64))
        .join(sym_idx, on="symbol")
        .join(day_idx, on="trade_date")
    )
    out[j["_i"].to_numpy(), j["_j"].to_numpy()] = j[column].to_numpy()
    return out


def dates_of(frame: pl.DataFrame) -> np.ndarray:
    """Sorted unique ``trade_date`` values of a frame as ``datetime64[D]``."""
    return np.asarray(frame["trade_date"].cast(pl.Date).unique().sort().to_numpy(), dtype="datetime64[D]")


def to_date(d: np.datetime64) -> dt.date:
    """NumPy day -> ``datetime.date``."""
    return d.astype("datetime64[D]").astype(object)
