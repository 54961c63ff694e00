"""Dimension 2 — volume and liquidity (seed 003 维度2).

Volume is in shares, amount in CNY, turnover in percent (volume / float shares × 100; the engine derives it from
``float_shares`` when the frame has no ``turnover`` column). Order-book depth and fund-flow rows of the seed's table
live in dimension 5 (they need other tables).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from thermoquant.features import kernels as nb
from thermoquant.features import ops
from thermoquant.features.context import ComputeContext
from thermoquant.features.registry import Out, factor_group

_MA = (5, 10, 20)


def _outs() -> list[Out]:
    outs: list[Out] = []
    outs += [Out(f"volume_ma_{n}", f"成交量_MA{n}", "shares", f"MA(volume, {n})", {"window": n}) for n in _MA]
    outs += [Out(f"amount_ma_{n}", f"成交额_MA{n}", "CNY", f"MA(amount, {n})", {"window": n}) for n in _MA]
    outs += [
        Out(
            "volume_ratio",
            "量比",
            "ratio",
            "volume / volume_ma_5 (the 5-day mean includes today)",
            {"window": 5},
        ),
        Out(
            "amount_ratio",
            "额比",
            "ratio",
            "amount / amount_ma_5 (the 5-day mean includes today)",
            {"window": 5},
        ),
        Out("volume_chg", "成交量变化率", "%", "(volume − previous volume) / previous volume × 100"),
        Out("amount_chg", "成交额变化率", "%", "(amount − previous amount) / previous amount × 100"),
        Out(
            "volume_std_5", "成交量波动_5日", "shares", "sample std (ddof=1) of volume, 5 days", {"window": 5}
        ),
        Out(
            "volume_std_10",
            "成交量波动_10日",
            "shares",
            "sample std (ddof=1) of volume, 10 days",
            {"window": 10},
        ),
        Out(
            "volume_rel_strength_20",
            "成交量相对强度",
            "ratio",
            "(volume − LLV(volume,20)) / (HHV(volume,20) − LLV(volume,20)), 0..1; NaN when the range is 0",
            {"window": 20},
        ),
        Out(
            "pv_corr_5",
            "价量相关性_5日",
            "ratio",
            "Pearson correlation of close price and volume over 5 days (TA-Lib CORREL); NaN on zero variance",
            {"window": 5},
        ),
        Out("volume_sum_5", "累计成交量_5日", "shares", "SUM(volume, 5)", {"window": 5}),
        Out("volume_sum_10", "累计成交量_10日", "shares", "SUM(volume, 10)", {"window": 10}),
        Out(
            "volume_energy",
            "成交量能量",
            "shares",
            "|close / previous close − 1| × volume (return as a fraction)",
        ),
        Out("turnover_ma_5", "换手率_MA5", "%", "MA(turnover, 5)", {"window": 5}),
        Out("turnover_ma_10", "换手率_MA10", "%", "MA(turnover, 10)", {"window": 10}),
        Out("turnover_rel", "换手率相对值", "ratio", "turnover / turnover_ma_10", {"window": 10}),
    ]
    return outs


_OUTS = _outs()


@factor_group(
    "volume_liquidity",
    2,
    ("close", "volume", "amount"),
    _OUTS,
    lookback=20,
    optional_inputs=("turnover",),
)
def volume_liquidity(x: Mapping[str, np.ndarray], ctx: ComputeContext) -> dict[str, np.ndarray]:
    """Volume/amount averages, ratios, changes, dispersion, price-volume correlation and turnover."""
    c, v, a = x["close"], x["volume"], x["amount"]
    out: dict[str, np.ndarray] = {}
    for n in _MA:
        if ctx.want(f"volume_ma_{n}") or (n == 5 and ctx.want("volume_ratio")):
            out[f"volume_ma_{n}"] = ops.ma(v, n, ctx)
        if ctx.want(f"amount_ma_{n}") or (n == 5 and ctx.want("amount_ratio")):
            out[f"amount_ma_{n}"] = ops.ma(a, n, ctx)
    if "volume_ma_5" in out:
        out["volume_ratio"] = ops.safe_div(v, out["volume_ma_5"])
    if "amount_ma_5" in out:
        out["amount_ratio"] = ops.safe_div(a, out["amount_ma_5"])
    if ctx.want("volume_chg"):
        out["volume_chg"] = ops.pct(v, ops.ref(v))
    if ctx.want("amount_chg"):
        out["amount_chg"] = ops.pct(a, ops.ref(a))
    for n in (5, 10):
        if ctx.want(f"volume_std_{n}"):
            out[f"volume_std_{n}"] = ops.mstd(v, n, ctx)
        if ctx.want(f"volume_sum_{n}"):
            out[f"volume_sum_{n}"] = ops.msum(v, n, ctx)
    if ctx.want("volume_rel_strength_20"):
        lo, hi = ops.llv(v, 20, ctx), ops.hhv(v, 20, ctx)
        out["volume_rel_strength_20"] = ops.safe_div(v - lo, hi - lo)
    if ctx.want("pv_corr_5"):
        out["pv_corr_5"] = nb.roll_corr_beta(c, v, 5, ctx.start)[0]
    if ctx.want("volume_energy"):
        out["volume_energy"] = np.abs(ops.safe_div(c, ops.ref(c)) - 1.0) * v
    t = x.get("turnover")
    if t is None:
        t = np.full_like(c, np.nan)
    if ctx.want("turnover_ma_5"):
        out["turnover_ma_5"] = ops.ma(t, 5, ctx)
    if ctx.want("turnover_ma_10", "turnover_rel"):
        t10 = ops.ma(t, 10, ctx)
        out["turnover_ma_10"] = t10
        out["turnover_rel"] = ops.safe_div(t, t10)
    return out
