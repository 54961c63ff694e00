"""The factor library (seed 003): eight dimensions as a registry of factor groups over long (symbol, date) frames.

Public API::

    from thermoquant import features as tqf
    tqf.list_factors(dims=[4])                  # registry entries (Factor)
    tqf.compute(df, names=["macd_dif"], convention="tdx", market=index_df)   # long frame in, long frame out
    tqf.to_panel(df, ["close"]) / F.from_panel(panel, outputs)             # long <-> (stocks x days)

See :mod:`thermoquant.features.registry` for the group contract and :mod:`thermoquant.features.engine` for the
engine (chunking, incremental update, Parquet output).
"""

from __future__ import annotations

import importlib

from thermoquant.features.context import DEFAULT_OPTIONS, ComputeContext
from thermoquant.features.registry import (
    BUILTIN_MODULES,
    CONVENTIONS,
    DIMENSIONS,
    Factor,
    FactorGroup,
    Out,
    factor_group,
    get,
    get_group,
    list_factors,
    list_groups,
    load_builtin,
)


def __getattr__(name: str) -> object:
    # engine functions are imported lazily so that `registry` can be imported without numba compilation
    if name in {"compute", "compute_panels", "to_panel", "from_panel", "Panel", "qfq", "resample_ohlcv"}:
        if name in {"to_panel", "from_panel", "Panel"}:
            mod = importlib.import_module(f"{__name__}.panel")
        elif name in {"qfq", "resample_ohlcv"}:
            mod = importlib.import_module(f"{__name__}.bars")
        else:
            mod = importlib.import_module(f"{__name__}.engine")
        return getattr(mod, name)
    raise AttributeError(name)


__all__ = [
    "BUILTIN_MODULES",
    "CONVENTIONS",
    "DEFAULT_OPTIONS",
    "DIMENSIONS",
    "ComputeContext",
    "Factor",
    "FactorGroup",
    "Out",
    "factor_group",
    "get",
    "get_group",
    "list_factors",
    "list_groups",
    "load_builtin",
]
