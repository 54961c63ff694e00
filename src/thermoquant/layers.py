"""The architecture as data: the package layers, lowest first, and what each may import.

A module may import the packages of lower layers, and its own package. Two packages of one layer do not import
each other, except where :data:`SIBLING_EDGES` says so. On top of the layers:

* the pure layers (:data:`PURE_PACKAGES`: features, physics, signals, strategies, portfolio, backtest) read from
  ``data`` only its schema (:data:`PURE_DATA_MODULES`) — jobs open the store and read files, never they;
* strategies import nothing of ``data`` at all (a strategy is a pure function of frames and parameters);
* only ``cli`` and ``ui`` import a console or page library (:data:`CONSOLE_LIBRARIES`);
* no import cycle between modules (function-level imports included).

``tests/core/test_layers.py`` enforces all of it on the source tree; ``docs/architecture.md`` explains it.
"""

from __future__ import annotations

#: Top-level modules every layer may import.
BASE_MODULES: frozenset[str] = frozenset({"config", "clock", "progress", "layers", "secrets", "layout"})

#: Layers, lowest first; each a set of top-level packages of ``thermoquant``.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"market"}),
    frozenset({"data"}),
    frozenset({"features", "physics"}),
    frozenset({"signals"}),
    frozenset({"strategies"}),
    frozenset({"portfolio"}),
    frozenset({"backtest", "trading"}),
    frozenset({"evolve", "alerts"}),
    frozenset({"jobs"}),
    frozenset({"cli", "ui"}),
)

#: Allowed imports between packages of the same layer: (importer, imported).
SIBLING_EDGES: frozenset[tuple[str, str]] = frozenset({("physics", "features"), ("trading", "backtest")})

PURE_PACKAGES: frozenset[str] = frozenset(
    {"features", "physics", "signals", "strategies", "portfolio", "backtest"}
)
PURE_DATA_MODULES: frozenset[str] = frozenset({"thermoquant.data.schema"})
NO_DATA_PACKAGES: frozenset[str] = frozenset({"strategies"})
CONSOLE_LIBRARIES: frozenset[str] = frozenset({"typer", "rich", "click", "streamlit"})
CONSOLE_PACKAGES: frozenset[str] = frozenset({"cli", "ui"})


def layer_of(package: str) -> int:
    """Index of the layer holding ``package``; KeyError for a package the architecture does not know."""
    for i, layer in enumerate(LAYERS):
        if package in layer:
            return i
    raise KeyError(f"package thermoquant.{package} is in no layer of thermoquant/layers.py")
