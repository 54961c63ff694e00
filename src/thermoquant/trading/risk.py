"""Risk limits, the order gate and the kill switch.

Pure rules (frames in, frames out; the backtest job can apply them to targets exactly as the live loop does):

* :func:`apply_target_limits` — caps per stock, per industry and per sleeve on a targets frame;
* :func:`exit_orders` — take-profit, stop-loss and the physical stop per position;
* :func:`drawdown_state` — the portfolio drawdown limit: REDUCING past ``drawdown_reduce``, HALTED past
  ``drawdown_halt``;
* :func:`target_filter` — the caps as the backtest's targets hook (``run_backtest(..., target_filter=…)``), so
  ``tq backtest``, ``tq trade replay`` and ``tq trade run`` cut the same weights.

:meth:`RiskLimits.from_settings` builds the limits from the ``[risk]`` section of tq.toml (every field one key).

Stateful, in the database (``trading_state``, survives restarts; every change an ``audit_log`` row):

* :class:`KillSwitch` — ACTIVE (trade), REDUCING (only orders that reduce a position), HALTED (no new orders; open
  orders may still be cancelled), plus the reconciliation gate;
* :class:`RiskGate` — the pre-send check of one order: kill switch, reconciliation, daily order / cancel counts
  (rebuilt from the database after a restart), order value; the per-second rate is a pause before the send
  (real time), not a refusal.

The exchanges' abnormal-trading lines (SSE/SZSE programmatic-trading rules, 2025-07-07): 20 000 orders plus cancels
a day, 300 a second per account.  :class:`RiskLimits` refuses settings above a tenth of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import polars as pl

from thermoquant.clock import now_shanghai
from thermoquant.config import RiskSettings, SettingsError, config_file_path, get_settings
from thermoquant.trading.book import OrderBook
from thermoquant.trading.orders import OrderRequest

EXCHANGE_DAILY_LINE = 20_000
"""Orders plus cancels a day per account at which the exchanges call trading high-frequency."""
EXCHANGE_PER_SECOND_LINE = 300
"""Orders plus cancels a second per account at which the exchanges call trading high-frequency."""
SAFETY_FRACTION = 0.1
"""Our limits stay at or below this fraction of the exchange lines."""


class TradingState(StrEnum):
    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


@dataclass(frozen=True)
class RiskLimits:
    """Every threshold of the risk layer.

    Attributes:
        max_symbol_weight: largest target weight of one stock, fraction of equity (1.0 = no cap; an index-timing
            strategy holds one ETF at 100 %).
        max_industry_weight: largest summed weight of one industry, fraction of equity.
        max_sleeve_weight: sleeve name → largest summed weight (e.g. {"satellite": 0.4}).
        take_profit: exit a position whose price rose this fraction above its cost (None = off).
        stop_loss: exit a position whose price fell this fraction below its cost (None = off).
        physical_stop: the intraday loop sells a position when the physics' stop fires on the tick (T_f below T_i
            for longer than Δt, :class:`thermoquant.physics.market_state.MarketState`'s ``stop``).
        drawdown_reduce: equity drawdown from its peak (fraction) at which the state becomes REDUCING (None = off).
        drawdown_halt: drawdown at which the state becomes HALTED (None = off).
        max_orders_per_day: orders a day per account (≤ 10 % of the exchange line).
        max_cancels_per_day: cancels a day per account (orders + cancels ≤ 10 % of the exchange line).
        max_orders_per_second: orders a second per account (≤ 10 % of the exchange line); faster sends wait.
        max_order_value: largest value of one order, CNY (None = off).
    """

    max_symbol_weight: float = 1.0
    max_industry_weight: float = 1.0
    max_sleeve_weight: dict[str, float] = field(default_factory=dict)
    take_profit: float | None = None
    stop_loss: float | None = None
    physical_stop: bool = False
    drawdown_reduce: float | None = None
    drawdown_halt: float | None = None
    max_orders_per_day: int = 1_000
    max_cancels_per_day: int = 500
    max_orders_per_second: int = 10
    max_order_value: float | None = None

    def __post_init__(self) -> None:
        daily = self.max_orders_per_day + self.max_cancels_per_day
        if daily > SAFETY_FRACTION * EXCHANGE_DAILY_LINE:
            raise ValueError(
                f"max_orders_per_day + max_cancels_per_day = {daily} > {SAFETY_FRACTION:.0%} of the exchanges' "
                f"{EXCHANGE_DAILY_LINE} a day"
            )
        if self.max_orders_per_second > SAFETY_FRACTION * EXCHANGE_PER_SECOND_LINE:
            raise ValueError(
                f"max_orders_per_second = {self.max_orders_per_second} > {SAFETY_FRACTION:.0%} of the exchanges' "
                f"{EXCHANGE_PER_SECOND_LINE} a second"
            )
        for name in ("max_symbol_weight", "max_industry_weight"):
            v = getattr(self, name)
            if not 0 < v <= 1:
                raise ValueError(f"{name} must be in (0, 1], not {v}")
        if (
            self.drawdown_reduce is not None
            and self.drawdown_halt is not None
            and self.drawdown_halt < self.drawdown_reduce
        ):
            raise ValueError("drawdown_halt must be ≥ drawdown_reduce (reduce first, then halt)")

    @classmethod
    def from_settings(cls, settings: RiskSettings | None = None) -> RiskLimits:
        """The limits of the ``[risk]`` section of tq.toml (:class:`thermoquant.config.RiskSettings`; None = the
        process settings) — the one way the backtest job, ``tq trade replay`` and ``tq trade run`` build them.

        Raises:
            SettingsError: the values break a rule of :meth:`__post_init__` (the message names the file)."""
        risk = settings if settings is not None else get_settings().risk
        values = {f.name: getattr(risk, f.name) for f in dataclasses.fields(cls)}
        try:
            return cls(**values)
        except ValueError as exc:
            raise SettingsError(config_file_path(), [f"risk: {exc}"]) from None

    @property
    def caps_targets(self) -> bool:
        """True when a per-stock, per-industry or per-sleeve cap can cut a target weight."""
        return self.max_symbol_weight < 1.0 or self.max_industry_weight < 1.0 or bool(self.max_sleeve_weight)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; ``RiskLimits(**d)`` rebuilds the limits (a recorded backtest replays with them)."""
        return dataclasses.asdict(self)


# ---------------------------------------------------------------------------------------------- pure rules
def apply_target_limits(
    targets: pl.DataFrame,
    limits: RiskLimits,
    industry: pl.DataFrame | None = None,
    sleeve: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cap ``targets`` (symbol, trade_date, weight): each weight at ``max_symbol_weight``, then each industry's
    (``industry``: symbol[, trade_date], industry) and each sleeve's (``sleeve``: symbol, sleeve) sum scaled down
    to its cap.

    Returns ``(capped targets, refusals)``; refusals has (symbol, trade_date, weight, capped, reason), one row per
    weight that was cut."""
    t = targets.with_columns(pl.col("weight").cast(pl.Float64).alias("_orig"))
    t = t.with_columns(pl.col("weight").clip(upper_bound=limits.max_symbol_weight))
    groups: list[tuple[str, pl.DataFrame | None, dict[str, float] | float]] = [
        ("industry", industry, limits.max_industry_weight),
        ("sleeve", sleeve, limits.max_sleeve_weight),
    ]
    reasons = pl.when(pl.col("_orig") > limits.max_symbol_weight).then(pl.lit("symbol cap"))
    for name, frame, cap in groups:
        if frame is None or (isinstance(cap, dict) and not cap) or cap == 1.0:
            continue
        keys = ["symbol", "trade_date"] if "trade_date" in frame.columns else ["symbol"]
        t = t.join(frame.select(*keys, pl.col(name).alias(f"_{name}")), on=keys, how="left")
        cap_expr = (
            pl.col(f"_{name}").replace_strict(cap, default=1.0, return_dtype=pl.Float64)
            if isinstance(cap, dict)
            else pl.lit(float(cap))
        )
        total = pl.col("weight").sum().over("trade_date", f"_{name}")
        scale = (
            pl.when(pl.col(f"_{name}").is_not_null() & (total > cap_expr))
            .then(cap_expr / total)
            .otherwise(1.0)
        )
        t = (
            t.with_columns(pl.col("weight") * scale)
            .with_columns(pl.lit(None).alias(f"_{name}"))
            .drop(f"_{name}")
        )
        reasons = reasons.when(pl.col("weight") < pl.col("_orig") - 1e-12).then(pl.lit(f"{name} cap"))
    refused = t.filter(pl.col("weight") < pl.col("_orig") - 1e-12).select(
        "symbol",
        "trade_date",
        pl.col("_orig").alias("weight"),
        pl.col("weight").alias("capped"),
        reasons.otherwise(pl.lit("cap")).alias("reason"),
    )
    return t.drop("_orig"), refused


def target_filter(
    limits: RiskLimits, industry: pl.DataFrame | None = None, sleeve: pl.DataFrame | None = None
) -> Callable[[pl.DataFrame], tuple[pl.DataFrame, pl.DataFrame]] | None:
    """The caps of ``limits`` as the backtest's targets hook (:data:`thermoquant.backtest.run.TargetFilter`):
    targets in, (capped targets, refusals) out, by :func:`apply_target_limits`.  None when no cap can bind (the
    run is then exactly the uncapped one). ``industry``: (symbol, industry), or ``industry_member`` rows of one
    classification, read as of each target's date."""
    if not limits.caps_targets:
        return None

    def cap(targets: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        return apply_target_limits(targets, limits, _industry_of(targets, industry), sleeve)

    return cap


def _industry_of(targets: pl.DataFrame, industry: pl.DataFrame | None) -> pl.DataFrame | None:
    """``industry`` as (symbol, industry) per target: when it holds ``industry_member`` rows (start_date,
    end_date, industry_name, classification), the membership in force on each target's own date
    (:func:`thermoquant.market.sw_industry.industry_asof`, no look-ahead in a backtest), keyed by (symbol,
    trade_date); otherwise as given."""
    if industry is None or "start_date" not in industry.columns:
        return industry
    from thermoquant.market.sw_industry import industry_asof

    keys = targets.select("symbol", "trade_date").unique()
    classes = industry["classification"].unique().to_list()
    if len(classes) != 1:
        raise ValueError(f"industry membership of one classification expected, not {classes}")
    dated = industry_asof(keys, industry, classes[0])
    return dated.select("symbol", "trade_date", pl.col("industry_name").alias("industry"))


def no_refusals(targets: pl.DataFrame) -> pl.DataFrame:
    """The refusals frame of :func:`apply_target_limits` with no rows (no cap in force)."""
    return pl.DataFrame(
        schema={
            "symbol": targets.schema.get("symbol", pl.Utf8),
            "trade_date": targets.schema.get("trade_date", pl.Date),
            "weight": pl.Float64,
            "capped": pl.Float64,
            "reason": pl.Utf8,
        }
    )


def refusal_summary(refused: pl.DataFrame) -> dict[str, Any]:
    """How many target weights the caps cut and how many per reason (``refused`` of :func:`apply_target_limits`)."""
    reasons = refused.group_by("reason").len().sort("reason") if refused.height else refused.head(0)
    return {
        "refused": refused.height,
        "reasons": {r["reason"]: r["len"] for r in reasons.iter_rows(named=True)} if refused.height else {},
    }


def exit_orders(positions: pl.DataFrame, limits: RiskLimits) -> pl.DataFrame:
    """Positions to close and why: ``positions`` has (symbol, quantity, cost, price[, physical_stop]) — cost and
    last price CNY, ``physical_stop`` True when the physics says T_f has stayed below T_i for longer than Δt.

    Returns (symbol, quantity, reason) with reason "take_profit", "stop_loss" or "physical_stop"."""
    ret = pl.col("price") / pl.col("cost") - 1.0
    reason = pl.when(pl.lit(False)).then(pl.lit(None, dtype=pl.Utf8))
    if "physical_stop" in positions.columns:
        reason = reason.when(pl.col("physical_stop").fill_null(False)).then(pl.lit("physical_stop"))
    if limits.stop_loss is not None:
        reason = reason.when(ret <= -limits.stop_loss).then(pl.lit("stop_loss"))
    if limits.take_profit is not None:
        reason = reason.when(ret >= limits.take_profit).then(pl.lit("take_profit"))
    return (
        positions.filter(pl.col("quantity") > 0)
        .with_columns(reason.otherwise(None).alias("reason"))
        .filter(pl.col("reason").is_not_null())
        .select("symbol", "quantity", "reason")
    )


def drawdown_state(equity: float, peak: float, limits: RiskLimits) -> tuple[TradingState, float]:
    """(state the drawdown asks for, drawdown as a fraction of the peak)."""
    dd = 0.0 if peak <= 0 else max(0.0, 1.0 - equity / peak)
    if limits.drawdown_halt is not None and dd >= limits.drawdown_halt:
        return TradingState.HALTED, dd
    if limits.drawdown_reduce is not None and dd >= limits.drawdown_reduce:
        return TradingState.REDUCING, dd
    return TradingState.ACTIVE, dd


# ---------------------------------------------------------------------------------------------- stateful
class KillSwitch:
    """The ``trading_state`` row of ``account``: kill switch, reconciliation gate, equity peak."""

    def __init__(self, store: Any, account: str, clock: Callable[[], dt.datetime] = now_shanghai) -> None:
        self.store = store
        self.account = account
        self.clock = clock

    def row(self) -> dict[str, Any]:
        rows = self.store.read("trading_state", where={"account": self.account})
        if rows.height:
            return rows.row(0, named=True)
        return {
            "account": self.account,
            "state": TradingState.ACTIVE.value,
            "reason": None,
            "reconcile_ok": True,
            "reconcile_note": None,
            "peak_equity": None,
            "updated_at": None,
        }

    @property
    def state(self) -> TradingState:
        return TradingState(self.row()["state"] or TradingState.ACTIVE.value)

    def set(self, state: TradingState, reason: str, actor: str = "trading") -> None:
        """Store the state and an audit row (who, why, from which state)."""
        before = self.row()["state"]
        self._write(state=state.value, reason=reason)
        OrderBook(self.store, self.account, "-", self.clock).audit(
            "kill_switch", self.account, {"from": before, "to": state.value, "reason": reason}, actor=actor
        )

    def set_reconcile(self, ok: bool, note: str, actor: str = "trading") -> None:
        self._write(reconcile_ok=ok, reconcile_note=note)
        OrderBook(self.store, self.account, "-", self.clock).audit(
            "reconcile.accept" if ok else "reconcile.mismatch", self.account, {"note": note}, actor=actor
        )

    def update_peak(self, equity: float) -> float:
        peak = self.row()["peak_equity"]
        if peak is None or equity > peak:
            self._write(peak_equity=float(equity))
            return float(equity)
        return float(peak)

    def _write(self, **values: Any) -> None:
        row = {"account": self.account, "updated_at": self.clock(), **values}
        if not self.store.read("trading_state", where={"account": self.account}).height:
            row.setdefault("state", TradingState.ACTIVE.value)
            row.setdefault("reconcile_ok", True)
        self.store.upsert("trading_state", pl.DataFrame([row]), replace_nulls=False)


class RiskGate:
    """The pre-send check of one order for ``book``'s account; a callable ``gate(request) -> (allowed, reason)``.

    ``position_of(symbol)`` gives the current shares (REDUCING lets only sells of held shares through);
    ``price_of(symbol)`` a reference price for the order-value cap (CNY)."""

    def __init__(
        self,
        book: OrderBook,
        limits: RiskLimits,
        switch: KillSwitch,
        position_of: Callable[[str], float] = lambda s: 0.0,
        price_of: Callable[[str], float] = lambda s: float("nan"),
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.book = book
        self.limits = limits
        self.switch = switch
        self.position_of = position_of
        self.price_of = price_of
        self.sleep = sleep
        self.monotonic = monotonic
        self.throttled = 0
        self._sent: deque[float] = deque()

    def counts(self, day: dt.date, exclude: str = "") -> tuple[int, int]:
        """(orders sent today, cancels requested today) from the database (so a restart does not reset them),
        leaving out the order ``exclude`` (the one being checked, whose intent may already be stored)."""
        store = self.book.store
        acct = self.book.account
        sent = store.query(
            "SELECT count(*) AS n FROM orders WHERE account = ? AND trade_date = ? "
            "AND (reason IS NULL OR reason NOT LIKE 'risk:%') AND client_order_id <> ?",
            [acct, day, exclude],
        ).item()
        start = dt.datetime.combine(day, dt.time())
        cancels = store.query(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'order.cancel_request' AND event_time >= ? "
            "AND event_time < ? AND details LIKE ?",
            [start, start + dt.timedelta(days=1), f'%"account": "{acct}"%'],
        ).item()
        return int(sent), int(cancels)

    def __call__(self, req: OrderRequest) -> tuple[bool, str]:
        row = self.switch.row()
        state = TradingState(row["state"] or "ACTIVE")
        if row["reconcile_ok"] is False:
            return False, f"reconciliation mismatch not accepted: {row['reconcile_note']}"
        if state == TradingState.HALTED:
            return False, f"kill switch HALTED: {row['reason']}"
        if state == TradingState.REDUCING and not (
            req.side == "sell" and req.quantity <= self.position_of(req.symbol) + 1e-9
        ):
            return False, f"kill switch REDUCING: only sells of held shares ({row['reason']})"
        sent, cancels = self.counts(req.trade_date, req.client_order_id)
        if sent >= self.limits.max_orders_per_day:
            return False, f"daily order limit {self.limits.max_orders_per_day} reached"
        if cancels >= self.limits.max_cancels_per_day:
            return False, f"daily cancel limit {self.limits.max_cancels_per_day} reached"
        if self.limits.max_order_value is not None:
            px = req.limit_price or self.price_of(req.symbol)
            if px == px and req.quantity * px > self.limits.max_order_value:
                return False, f"order value {req.quantity * px:.0f} CNY > {self.limits.max_order_value:.0f}"
        self._throttle()
        return True, ""

    def _throttle(self) -> None:
        """Hold the send until fewer than ``max_orders_per_second`` orders went out in the last second of real
        (monotonic) time; the wait is a pause, not a refusal."""
        now = self.monotonic()
        while self._sent and now - self._sent[0] >= 1.0:
            self._sent.popleft()
        if len(self._sent) >= self.limits.max_orders_per_second:
            self.sleep(1.0 - (now - self._sent[0]))
            self.throttled += 1
            self._sent.popleft()
        self._sent.append(self.monotonic())
