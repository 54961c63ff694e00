"""The factor registry: every factor of seed 003 with its names, dimension, inputs, unit and implementation.

Contract (shared by every dimension module)
-------------------------------------------
A **factor group** computes several named outputs at once, so factors that share work (MACD's DIF/DEA/bar, KDJ's
K/D/J, all moving averages) are computed together. A group is registered with :func:`factor_group`, which also
registers one :class:`Factor` per output. Two kinds of groups exist:

``kind="panel"`` (time-series factors, dimensions 1–4 and most of 8)
    ``compute(x: Mapping[str, np.ndarray], ctx: ComputeContext) -> dict[str, np.ndarray]``.
    ``x`` maps each input column (``"close"``, ``"high"``, …) to a float64 panel of shape (stocks × days): row i
    holds stock i's own trading days in order, **right-aligned** (the latest day is the last column), left-padded
    with NaN where a stock has a shorter history (see :mod:`thermoquant.features.panel`). Suspended days have no
    column of their own in a stock's row, so windows count trading days only. Every returned panel has the same
    shape. ``ctx.start`` is the first column the caller needs (0 for a full computation, ``ncols - 1`` for a one-day
    incremental update); values left of it may be NaN. Recursive filters keep their state in ``ctx.state``.

``kind="frame"`` (cross-sectional / table-joined factors, e.g. dimensions 5–7)
    ``compute(df: pl.DataFrame, ctx: ComputeContext) -> pl.DataFrame``; ``df`` is the long (symbol, trade_date)
    frame sorted by symbol then date; the result has ``symbol``, ``trade_date`` and one column per output and is
    left-joined onto the result by the engine.

The Python API is :func:`thermoquant.features.compute` (long frame in, long frame out); the CLI is
``tq features list|compute``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

DIMENSIONS: dict[int, tuple[str, str]] = {
    1: ("价格与K线形态", "price & K-line shape"),
    2: ("成交量与流动性", "volume & liquidity"),
    3: ("波动性与风险", "volatility & risk"),
    4: ("趋势与动量", "trend & momentum"),
    5: ("资金流向与情绪", "fund flow & sentiment"),
    6: ("基本面", "fundamentals"),
    7: ("宏观与行业", "macro & industry"),
    8: ("衍生品与高级风险", "derivatives & advanced risk"),
}

CONVENTIONS: tuple[str, ...] = ("tdx", "talib")
"""Formula conventions: ``tdx`` = Tongdaxin/同花顺 (the default), ``talib`` = TA-Lib."""

GroupKind = Literal["panel", "frame"]


@dataclass(frozen=True)
class Out:
    """Declaration of one output of a factor group (becomes a :class:`Factor`)."""

    name: str
    name_zh: str
    unit: str
    doc: str
    params: Mapping[str, Any] = field(default_factory=dict)
    convention: str = ""
    """``"tdx|talib"`` when both conventions are implemented; ``""`` when the formula is convention-free."""


@dataclass(frozen=True)
class Factor:
    """One registered factor (one output column)."""

    name: str
    name_zh: str
    dimension: int
    inputs: tuple[str, ...]
    params: Mapping[str, Any]
    unit: str
    convention: str
    doc: str
    compute: Callable[..., Any]
    group: str = ""


@dataclass(frozen=True)
class FactorGroup:
    """A set of factors computed together by one function."""

    name: str
    dimension: int
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    compute: Callable[..., Any]
    kind: GroupKind = "panel"
    lookback: int = 0
    """Trading days of history a one-day incremental update must see for exact values at the last column: the
    longest window, and at least the seeding horizon of the group's recursive filters (a stock whose filters are not
    yet seeded is younger than that, so its whole history fits and it is recomputed cold)."""
    optional_inputs: tuple[str, ...] = ()
    """Inputs used when present (e.g. ``turnover``, ``mkt_close``); outputs needing them are NaN otherwise."""


_FACTORS: dict[str, Factor] = {}
_GROUPS: dict[str, FactorGroup] = {}


def register(group: FactorGroup, outs: Sequence[Out]) -> FactorGroup:
    """Register a group and one :class:`Factor` per output. Names must be unique across the registry."""
    if group.name in _GROUPS:
        raise ValueError(f"factor group {group.name!r} registered twice")
    if not 1 <= group.dimension <= 8:
        raise ValueError(f"factor group {group.name!r}: dimension {group.dimension} not in 1..8")
    if tuple(o.name for o in outs) != group.outputs:
        raise ValueError(f"factor group {group.name!r}: outputs do not match the declared Out list")
    for o in outs:
        if o.name in _FACTORS:
            raise ValueError(
                f"factor {o.name!r} registered twice (groups {_FACTORS[o.name].group!r}, {group.name!r})"
            )
    _GROUPS[group.name] = group
    for o in outs:
        _FACTORS[o.name] = Factor(
            name=o.name,
            name_zh=o.name_zh,
            dimension=group.dimension,
            inputs=group.inputs,
            params=MappingProxyType(dict(o.params)),
            unit=o.unit,
            convention=o.convention,
            doc=o.doc,
            compute=group.compute,
            group=group.name,
        )
    return group


def factor_group(
    name: str,
    dimension: int,
    inputs: Iterable[str],
    outs: Sequence[Out],
    *,
    kind: GroupKind = "panel",
    lookback: int = 0,
    optional_inputs: Iterable[str] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering ``fn`` as the compute function of a factor group (see the module docstring)."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        register(
            FactorGroup(
                name=name,
                dimension=dimension,
                inputs=tuple(inputs),
                outputs=tuple(o.name for o in outs),
                compute=fn,
                kind=kind,
                lookback=lookback,
                optional_inputs=tuple(optional_inputs),
            ),
            outs,
        )
        return fn

    return deco


def _ensure_loaded() -> None:
    load_builtin()


def get(name: str) -> Factor:
    """The factor called ``name``; raises ``KeyError`` with close matches when unknown."""
    _ensure_loaded()
    try:
        return _FACTORS[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, list(_FACTORS), n=5)
        raise KeyError(f"unknown factor {name!r}; did you mean {close}?") from None


def get_group(name: str) -> FactorGroup:
    """The factor group called ``name``."""
    _ensure_loaded()
    return _GROUPS[name]


def list_factors(dims: Iterable[int] | None = None) -> list[Factor]:
    """Registered factors in registration order, optionally only those of the given dimensions."""
    _ensure_loaded()
    wanted = None if dims is None else set(dims)
    return [f for f in _FACTORS.values() if wanted is None or f.dimension in wanted]


def list_groups(dims: Iterable[int] | None = None) -> list[FactorGroup]:
    """Registered factor groups, optionally only those of the given dimensions."""
    _ensure_loaded()
    wanted = None if dims is None else set(dims)
    return [g for g in _GROUPS.values() if wanted is None or g.dimension in wanted]


BUILTIN_MODULES: tuple[str, ...] = (
    # dimensions 1-4
    "price",
    "volume",
    "volatility",
    "trend",
    # dimensions 5-8 (features-2)
    "sentiment",
    "flows",
    "fundamentals",
    "macro",
    "risk",
    "options",
)

_loaded = False


def load_builtin() -> None:
    """Import every dimension module once so that its factor groups register themselves.

    A module of :data:`BUILTIN_MODULES` that does not exist (yet) is skipped; any other import error propagates.
    """
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in BUILTIN_MODULES:
        full = f"thermoquant.features.{mod}"
        try:
            importlib.import_module(full)
        except ModuleNotFoundError as exc:
            if exc.name != full:
                raise
