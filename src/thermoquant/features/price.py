"""Dimension 1 — price and K-line shape (seed 003 维度1). Weekly/monthly bars: :func:`~thermoquant.features.bars.resample_ohlcv`.

All prices are the (adjusted) prices handed in, CNY. "Previous close" is the previous trading day's close of the same
stock in the frame (on qfq prices that is the adjusted reference price; the exchange's unadjusted ``pre_close`` is
not used). Ratios on a one-price bar (high == low) are defined as: price position 0.5, shadow/body ratios 0.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from thermoquant.features import ops
from thermoquant.features.context import ComputeContext
from thermoquant.features.registry import Out, factor_group

_OUTS = (
    Out("prev_close", "前收盘", "CNY", "previous trading day's close (REF(CLOSE,1))"),
    Out("change", "涨跌额", "CNY", "close − previous close"),
    Out("pct_chg", "涨跌幅", "%", "(close − previous close) / previous close × 100"),
    Out("amplitude", "振幅", "%", "(high − low) / previous close × 100"),
    Out("avg_price", "均价", "CNY", "amount / volume (CNY per share); NaN when volume is 0"),
    Out("price_position", "价格位置", "ratio", "(close − low) / (high − low), 0..1; 0.5 on a one-price bar"),
    Out("upper_shadow", "上影线", "CNY", "high − max(open, close)"),
    Out("upper_shadow_ratio", "上影线比例", "ratio", "upper shadow / (high − low); 0 on a one-price bar"),
    Out("lower_shadow", "下影线", "CNY", "min(open, close) − low"),
    Out("lower_shadow_ratio", "下影线比例", "ratio", "lower shadow / (high − low); 0 on a one-price bar"),
    Out("body", "实体", "CNY", "|close − open|"),
    Out("body_ratio", "实体比例", "ratio", "body / (high − low); 0 on a one-price bar"),
    Out("candle_state", "涨跌状态", "", "1 bullish (close > open), −1 bearish (close < open), 0 flat"),
    Out("dist_high_20", "距20日高点", "%", "(HHV(high, 20) − close) / close × 100", {"window": 20}),
    Out("dist_low_20", "距20日低点", "%", "(close − LLV(low, 20)) / close × 100", {"window": 20}),
)


@factor_group("price_shape", 1, ("open", "high", "low", "close", "volume", "amount"), _OUTS, lookback=20)
def price_shape(x: Mapping[str, np.ndarray], ctx: ComputeContext) -> dict[str, np.ndarray]:
    """Price changes, K-line shape and distance to the 20-day high/low."""
    o, h, lo, c = x["open"], x["high"], x["low"], x["close"]
    out: dict[str, np.ndarray] = {}
    pc = ops.ref(c)
    rng = h - lo
    if ctx.want("prev_close"):
        out["prev_close"] = pc
    if ctx.want("change"):
        out["change"] = c - pc
    if ctx.want("pct_chg"):
        out["pct_chg"] = ops.pct(c, pc)
    if ctx.want("amplitude"):
        out["amplitude"] = ops.safe_div(rng, pc, scale=100.0)
    if ctx.want("avg_price"):
        out["avg_price"] = ops.safe_div(x["amount"], x["volume"])
    if ctx.want("price_position"):
        out["price_position"] = ops.safe_div(c - lo, rng, 0.5)
    if ctx.want("upper_shadow", "upper_shadow_ratio"):
        upper = h - np.maximum(o, c)
        out["upper_shadow"] = upper
        out["upper_shadow_ratio"] = ops.safe_div(upper, rng, 0.0)
    if ctx.want("lower_shadow", "lower_shadow_ratio"):
        lower = np.minimum(o, c) - lo
        out["lower_shadow"] = lower
        out["lower_shadow_ratio"] = ops.safe_div(lower, rng, 0.0)
    if ctx.want("body", "body_ratio"):
        body = np.abs(c - o)
        out["body"] = body
        out["body_ratio"] = ops.safe_div(body, rng, 0.0)
    if ctx.want("candle_state"):
        out["candle_state"] = np.sign(c - o)
    if ctx.want("dist_high_20"):
        out["dist_high_20"] = ops.safe_div(ops.hhv(h, 20, ctx) - c, c, scale=100.0)
    if ctx.want("dist_low_20"):
        out["dist_low_20"] = ops.safe_div(c - ops.llv(lo, 20, ctx), c, scale=100.0)
    return out
