"""The strategy contract: what every strategy is, so the backtest engine and the live loop call the same code.

A strategy is a pure object (no I/O, no clock, no store):

* ``name`` — its registry key (`tq backtest NAME`), ``title`` — its display name (Chinese first);
* ``Params`` — a frozen dataclass derived from :class:`StrategyParams`; each field declared with :func:`param`
  (default, unit, meaning, bounds). Validation names the bad field. Values come from ``-p key=value``
  (:meth:`StrategyParams.with_pairs`), from ``[strategies.NAME]`` in tq.toml (:meth:`StrategyParams.from_mapping`)
  and per stock and date from ``param_pack`` (the same mapping, read point-in-time by the job);
* ``inputs`` — an :class:`InputSpec`: the tables, factor columns and physics columns it reads, with the lookback
  in trading days its first target needs;
* ``targets(panel, params)`` → frame ``(symbol, trade_date, weight)`` [+ optional ``reason``]: the target weight
  of the strategy's capital in each symbol after that day's close (0 = flat). Days without a row keep the
  previous target. The engine decides when and at what price that becomes a fill;
* ``signals(panel, params, day)`` → rows for the ``signals`` table on ``day``: ``strategy, symbol, signal_time,
  signal`` (BUY / SELL / WATCH), ``state, score, reason, take_profit, stop_loss, details``.

A :class:`Panel` is what a job reads from the store for a strategy: named frames plus the first and last day a
target may be set (rows before ``start`` are warm-up). Strategies never import ``backtest``, ``trading``, ``data``
or ``jobs`` (a test enforces it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import types
import typing
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import polars as pl

__all__ = [
    "SIGNAL_COLUMNS",
    "TARGET_COLUMNS",
    "InputSpec",
    "Panel",
    "ParamError",
    "ParamInfo",
    "Strategy",
    "StrategyParams",
    "param",
    "signal_frame",
]

#: Columns of a targets frame, in order (``reason`` optional).
TARGET_COLUMNS = ("symbol", "trade_date", "weight")
#: Columns of a signals frame (the ``signals`` table's, without ``created_at``).
SIGNAL_COLUMNS: dict[str, pl.DataType] = {
    "strategy": pl.Utf8(),
    "symbol": pl.Utf8(),
    "signal_time": pl.Datetime("us"),
    "signal": pl.Utf8(),
    "state": pl.Utf8(),
    "score": pl.Float64(),
    "reason": pl.Utf8(),
    "take_profit": pl.Float64(),
    "stop_loss": pl.Float64(),
    "details": pl.Utf8(),
}


class ParamError(ValueError):
    """A parameter value that cannot be used; ``field`` names it."""

    def __init__(self, strategy: str, name: str, message: str) -> None:
        self.strategy, self.field = strategy, name
        super().__init__(f"{strategy}: parameter {name!r}: {message}")


def param(
    default: Any,
    doc: str,
    *,
    unit: str = "",
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
) -> Any:
    """A Params field: its default, meaning, unit and (for numbers) bounds, checked on construction."""
    meta = {"doc": doc, "unit": unit, "ge": ge, "le": le, "gt": gt, "lt": lt}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class ParamInfo:
    """One parameter as `tq strategies list` prints it."""

    name: str
    type: str
    default: Any
    unit: str
    doc: str


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass(frozen=True)
class StrategyParams:
    """Base of every strategy's ``Params``: construction validates types and bounds, naming the bad field."""

    strategy_name: ClassVar[str] = "strategy"

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            kind = hints.get(f.name)
            if kind is bool and not isinstance(value, bool):
                raise ParamError(self.strategy_name, f.name, f"{value!r} is not true/false")
            if kind in (int, float) and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ParamError(self.strategy_name, f.name, f"{value!r} is not a number")
            if kind is int and not isinstance(value, int):
                raise ParamError(self.strategy_name, f.name, f"{value!r} is not an integer")
            self._check_bounds(f, value)
        self.validate()

    def _check_bounds(self, f: dataclasses.Field[Any], value: Any) -> None:
        m = f.metadata
        checks = (("ge", lambda v, b: v >= b, ">="), ("le", lambda v, b: v <= b, "<="),
                  ("gt", lambda v, b: v > b, ">"), ("lt", lambda v, b: v < b, "<"))  # fmt: skip
        for key, ok, sign in checks:
            bound = m.get(key)
            if bound is not None and not ok(value, bound):
                raise ParamError(self.strategy_name, f.name, f"{value!r} must be {sign} {bound}")

    def validate(self) -> None:
        """Cross-field checks of a subclass (raise :class:`ParamError`); the default has none."""

    # ---------------------------------------------------------------- building
    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], *, origin: str = "parameters") -> Self:
        """Defaults overridden by ``values`` (strings are cast to the field's type). ``origin`` names where the
        values came from in errors (e.g. ``tq.toml [strategies.csi500_timing]``)."""
        return cls().replace(values, origin=origin)

    def replace(self, values: Mapping[str, Any], *, origin: str = "parameters") -> Self:
        """A copy with ``values`` applied; an unknown key is an error naming the known ones."""
        known = {f.name: f for f in dataclasses.fields(self)}
        hints = typing.get_type_hints(type(self))
        changes: dict[str, Any] = {}
        for key, raw in values.items():
            if key not in known:
                raise ParamError(
                    self.strategy_name, key, f"unknown in {origin}; known: {', '.join(sorted(known))}"
                )
            changes[key] = _cast(self.strategy_name, key, hints[key], raw)
        return dataclasses.replace(self, **changes)

    def with_pairs(self, pairs: Iterable[str]) -> Self:
        """Apply ``["key=value", …]`` as typed on the command line (``-p breadth_low=20``)."""
        values: dict[str, str] = {}
        known = {f.name for f in dataclasses.fields(self)}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise ParamError(self.strategy_name, pair, "expected key=value")
            if key.strip() not in known:
                raise ParamError(
                    self.strategy_name, key.strip(), f"-p {pair}: unknown; known: {', '.join(sorted(known))}"
                )
            values[key.strip()] = value.strip()
        return self.replace(values, origin="-p")

    # ---------------------------------------------------------------- reading
    def to_dict(self) -> dict[str, Any]:
        """Every parameter as a plain dict (JSON-ready)."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """Canonical JSON (sorted keys): what ``backtest_log`` stores and a replay reads back."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)

    @classmethod
    def describe(cls) -> list[ParamInfo]:
        """Each parameter: name, type, default, unit, meaning."""
        hints = typing.get_type_hints(cls)
        out = []
        for f in dataclasses.fields(cls):
            kind = hints[f.name]
            out.append(
                ParamInfo(f.name, getattr(kind, "__name__", str(kind)), f.default, f.metadata.get("unit", ""),
                          f.metadata.get("doc", ""))
            )  # fmt: skip
        return out


def _cast(strategy: str, name: str, kind: Any, raw: Any) -> Any:
    if not isinstance(raw, str):  # from TOML or param_pack JSON: already typed; an int where a float is asked
        return float(raw) if kind is float and isinstance(raw, int) and not isinstance(raw, bool) else raw
    text = raw.strip()
    if kind is bool:
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ParamError(strategy, name, f"{raw!r} is not one of {sorted(_TRUE | _FALSE)}")
    if kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            raise ParamError(strategy, name, f"{raw!r} is not a {kind.__name__}") from None
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        return None if text.lower() in ("", "none", "null") else text
    return text


@dataclass(frozen=True)
class InputSpec:
    """What a strategy reads: store tables, factor and physics columns, and the warm-up it needs.

    Attributes:
        tables: store tables (``daily_quote``, ``index_daily`` …).
        factors: factor columns of the feature registry.
        physics: columns of :func:`thermoquant.physics.thermo.compute_physics`.
        lookback: trading days of history before the first target day (moving-average warm-up and the like).
        physics_only: the strategy reads no physics column beyond ``physics``, so a job computes just those
            (``compute_physics(columns=...)``: a smaller frame, and without quantile or peak columns the chip
            model skips their per-bar passes).  False: the job computes every physics column.
    """

    tables: tuple[str, ...]
    factors: tuple[str, ...] = ()
    physics: tuple[str, ...] = ()
    lookback: int = 0
    physics_only: bool = False

    def physics_columns(self) -> tuple[str, ...] | None:
        """The physics columns a job must compute for this strategy: ``physics`` when ``physics_only``, else None
        (all)."""
        return self.physics if self.physics_only else None

    def describe(self) -> str:
        parts = [f"tables: {', '.join(self.tables)}"]
        if self.factors:
            parts.append(f"factors: {', '.join(self.factors)}")
        if self.physics:
            parts.append(f"physics: {', '.join(self.physics)}")
        parts.append(f"lookback: {self.lookback} trading days")
        return "; ".join(parts)


@dataclass(frozen=True)
class Panel:
    """The frames a job hands a strategy, and the days targets may be set on ([start, end], both inclusive).

    ``notes`` carries what the job could not provide (e.g. "etf_turnover unavailable 2015-01-05 … 2015-03-31"),
    so the strategy and the report can say so instead of treating a missing input as false.
    """

    frames: Mapping[str, pl.DataFrame]
    start: dt.date
    end: dt.date
    notes: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> pl.DataFrame:
        try:
            return self.frames[name]
        except KeyError:
            raise KeyError(f"panel has no frame {name!r}; has {sorted(self.frames)}") from None


class Strategy(ABC):
    """Base of every strategy; see the module docstring for the contract."""

    name: ClassVar[str]
    title: ClassVar[str]
    Params: ClassVar[type[StrategyParams]]
    inputs: ClassVar[InputSpec]

    @abstractmethod
    def targets(self, panel: Panel, params: Any) -> pl.DataFrame:
        """Target weights ``(symbol, trade_date, weight)`` after each day's close, for days in the panel's range."""

    @abstractmethod
    def signals(self, panel: Panel, params: Any, day: dt.date) -> pl.DataFrame:
        """The ``signals`` rows of ``day`` (:func:`signal_frame` gives the exact columns)."""

    def default_params(self) -> StrategyParams:
        return self.Params()

    def physics_columns(self, params: Any) -> tuple[str, ...] | None:
        """The physics columns a job computes for a run with ``params``: :meth:`InputSpec.physics_columns`, or
        fewer where some parameters leave a declared column unread (None: all)."""
        return self.inputs.physics_columns()


def signal_frame(rows: pl.DataFrame | list[dict[str, Any]]) -> pl.DataFrame:
    """Rows conformed to :data:`SIGNAL_COLUMNS` (missing columns null, in order)."""
    frame = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(rows, schema_overrides=SIGNAL_COLUMNS)
    return frame.select(
        [
            (pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t)).alias(c)
            for c, t in SIGNAL_COLUMNS.items()
        ]
    )
