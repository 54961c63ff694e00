"""Dimension 4 — trend and momentum (seed 003 维度4).

Two formula conventions (``ComputeContext.convention``), each factor's ``convention`` field says which apply:

===========  ==========================================================  ==========================================
indicator    ``tdx`` (Tongdaxin / 同花顺, the default)                    ``talib`` (TA-Lib 0.6, default settings)
===========  ==========================================================  ==========================================
EMA          EMA(X,N): alpha 2/(N+1), first value = first X               seeded with SMA of the first N values
MACD         DIF = EMA12−EMA26, DEA = EMA(DIF,9), bar = 2·(DIF−DEA)      TA_MACD: hist = DIF−DEA; the fast EMA is
                                                                          seeded where the slow one starts
RSI          SMA(MAX(C−C₁,0),N,1) / SMA(|C−C₁|,N,1) × 100                 Wilder averages seeded with SMA of N
KDJ          RSV(9); K = SMA(RSV,3,1), D = SMA(K,3,1), both seeded 50;    STOCH(9, 3 SMA, 3 SMA); J = 3K − 2D
             J = 3K − 2D
DMI/ADX      SUM-based: PDI = SUM(DM+,14)/SUM(TR,14)·100;                 Wilder smoothing (PLUS_DI, MINUS_DI, ADX)
             ADX = MA(|PDI−MDI|/(PDI+MDI)·100, 6)
Williams %R  100·(HHV(H,N)−C)/(HHV−LLV): 0..100, high = oversold          −100·(HHV−C)/(HHV−LLV): 0..−100
===========  ==========================================================  ==========================================

MA, WMA, bias, momentum, ROC and CCI are the same in both. On a zero denominator, RSI, KDJ's RSV, Williams %R and CCI
are 0 (TA-Lib's rule, used for both).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from thermoquant.features import kernels_ta as kta
from thermoquant.features import ops
from thermoquant.features.context import ComputeContext
from thermoquant.features.registry import Out, factor_group

_CONV = "tdx|talib"
MA_WINDOWS = (5, 10, 20, 30, 60, 120, 250)
EMA_WINDOWS = (5, 10, 12, 20, 26, 30, 60)
WMA_WINDOWS = (10, 20)
BIAS_WINDOWS = (5, 20, 60)
MOM_WINDOWS = (5, 10, 20)


# --- moving averages ------------------------------------------------------------------------------------------
def _ma_outs() -> list[Out]:
    outs = [Out(f"ma_{n}", f"MA{n}", "CNY", f"MA(close, {n})", {"window": n}) for n in MA_WINDOWS]
    outs += [
        Out(
            f"ema_{n}",
            f"EMA{n}",
            "CNY",
            f"EMA(close, {n}); tdx seeds with the first close, talib with SMA({n})",
            {"window": n},
            _CONV,
        )
        for n in EMA_WINDOWS
    ]
    outs += [
        Out(f"wma_{n}", f"WMA{n}", "CNY", f"linear-weighted MA(close, {n})", {"window": n})
        for n in WMA_WINDOWS
    ]
    outs += [
        Out("ma_bull", "均线多头", "", "1 when MA5 > MA10 > MA20 > MA60, else 0"),
        Out("ma_bear", "均线空头", "", "1 when MA5 < MA10 < MA20 < MA60, else 0"),
    ]
    outs += [
        Out(f"bias_{n}", f"偏离MA{n}", "%", f"(close − MA{n}) / MA{n} × 100", {"window": n})
        for n in BIAS_WINDOWS
    ]
    return outs


@factor_group("moving_averages", 4, ("close",), _ma_outs(), lookback=250)
def moving_averages(x: Mapping[str, np.ndarray], ctx: ComputeContext) -> dict[str, np.ndarray]:
    """MA, EMA, WMA, bull/bear alignment and bias."""
    c = x["close"]
    out: dict[str, np.ndarray] = {}
    need_ma = set(MA_WINDOWS) if ctx.want("ma_bull", "ma_bear") else set()
    need_ma |= {n for n in MA_WINDOWS if ctx.want(f"ma_{n}") or (n in BIAS_WINDOWS and ctx.want(f"bias_{n}"))}
    for n in MA_WINDOWS:
        if n in need_ma:
            out[f"ma_{n}"] = ops.ma(c, n, ctx)
    for n in EMA_WINDOWS:
        if ctx.want(f"ema_{n}"):
            out[f"ema_{n}"] = ops.ema(c, n, f"ema_{n}", ctx)
    for n in WMA_WINDOWS:
        if ctx.want(f"wma_{n}"):
            out[f"wma_{n}"] = ops.wma(c, n, ctx)
    if ctx.want("ma_bull", "ma_bear"):
        m5, m10, m20, m60 = (out[f"ma_{n}"] for n in (5, 10, 20, 60))
        out["ma_bull"] = ops.flag((m5 > m10) & (m10 > m20) & (m20 > m60), m60)
        out["ma_bear"] = ops.flag((m5 < m10) & (m10 < m20) & (m20 < m60), m60)
    for n in BIAS_WINDOWS:
        if ctx.want(f"bias_{n}"):
            out[f"bias_{n}"] = ops.pct(c, out[f"ma_{n}"])
    return out


# --- MACD -----------------------------------------------------------------------------------------------------
_MACD_P = {"fast": 12, "slow": 26, "signal": 9}
_MACD_OUTS = [
    Out("macd_dif", "MACD(DIF)", "CNY", "EMA(close,12) − EMA(close,26)", _MACD_P, _CONV),
    Out("macd_dea", "MACD_Signal(DEA)", "CNY", "EMA(DIF, 9)", _MACD_P, _CONV),
    Out(
        "macd_bar", "MACD_Hist", "CNY", "tdx: 2·(DIF − DEA) (the MACD bar); talib: DIF − DEA", _MACD_P, _CONV
    ),
    Out("macd_golden", "MACD金叉", "", "1 on the day DIF crosses above DEA", _MACD_P, _CONV),
    Out("macd_dead", "MACD死叉", "", "1 on the day DIF crosses below DEA", _MACD_P, _CONV),
]


@factor_group("macd", 4, ("close",), _MACD_OUTS, lookback=40)
def macd(x: Mapping[str, np.ndarray], ctx: ComputeContext) -> dict[str, np.ndarray]:
    """MACD (12, 26, 9) with crosses."""
    c = x["close"]
    f, s, sig = _MACD_P["fast"], _MACD_P["slow"], _MACD_P["signal"]
    if ctx.convention == "tdx":
        dif = ops.ema(c, f, "macd.fast", ctx) - ops.ema(c, s, "macd.slow", ctx)
        dea = ops.ema(dif, sig, "macd.dea", ctx)
        bar = 2.0 * (dif - dea)
    else:
        dif = ops.ema(c, f, "macd.fast", ctx, skip=s - f) - ops.ema(c, s, "macd.slow", ctx)
        dea = ops.ema(dif, sig, "macd.dea", ctx)
        bar = dif - dea
    out = {"macd_dif": dif, "macd_dea": dea, "macd_bar": bar}
    if ctx.want("macd_golden"):
        out["macd_golden"] = ops.cross_up(dif, dea)
    if ctx.want("macd_dead"):
        out["macd_dead"] = ops.cross_up(dea, dif)
    return out


# --- RSI ------------------------------------------------------------------------------------------------------
RSI_WINDOWS = (6, 14, 24)
_RSI_FLAG = {"period": 14, "overbought": 70.0, "oversold": 30.0}
_RSI_OUTS = [
    Out(f"rsi_{n}", f"RSI{n}", "", f"relative strength index over {n} days, 0..100", {"window": n}, _CONV)
    for n in RSI_WINDOWS
] + [
    Out("rsi_overbought", "RSI超买", "", "1 when RSI14 > 70", _RSI_FLAG, _CONV),
    Out("rsi_oversold", "RSI超卖", "", "1 when RSI14 < 30", _RSI_FLAG, _CONV),
]


@factor_group("rsi", 4, ("close",), _RSI_OUTS, lookback=30)
def rsi(x: Mapping[str, np.ndarray], ctx: ComputeContext) -> dict[str, np.ndarray]:
    """RSI 6/14/24 and the 70/30 flags on RSI14."""
    c = x["close"]
    mode = kta.TDX if ctx.convention == "tdx" else kta.TALIB
    out: dict[str, np.ndarray] = {}
    for n in RSI_WINDOWS:
        if not (
            ctx.want(f"rsi_{n}") or (n == _RSI_FLAG["period"] and ctx.want("rsi_overbought", "rsi_oversold"))
        ):
            continue
        key = f"rsi_{n}"
        rows = c.shape[0]
        r, su, sd = kta.rsi(c, n, mode, ctx.init(key + ".up", rows), ctx.init(key + ".dn", rows), ctx.start)
        ctx.put(key + ".up", su)
        ctx.put(key + ".dn", sd)
        out[key] = r
    r = out.get(f"rsi_{_RSI_FLAG['period']}")
    if r is not None and ctx.want("rsi_overbought", "rsi_oversold"):
        out["rsi_overbought"] = ops.flag(r > _RSI_FLAG["overbought"], r)
        out["rsi_oversold"] = ops.flag(r < _RSI_FLAG["oversold"], r)
    return out


# --- KDJ ------------------------------------------------------------------------------------------------------
_KDJ_P = {"n": 9, "m1": 3, "m2": 3}
_KDJ_OUTS = [
    Out(
        "kdj_k", "K", "", "tdx: SMA(RSV,3,1) seeded 50; talib: STOCH slow K (SMA 3 of fast K)", _KDJ_P, _CONV
    ),
    Out("kdj_d", "D", "", "tdx: SMA(K,3,1) seeded 50; talib: STOCH slow D (SMA 3 of slow K)", _KDJ_P, _CONV),
    Out("kdj_j", "J", "", "3K − 2D", _KDJ_P, _CONV),
    Out("kdj_golden", "KDJ金叉", "", "1 on the day K crosses above D", _KDJ_P, _CONV),
    Out("kdj_dead", "KDJ死叉", "", "1 on the day K crosses below D", _KDJ_P, _CONV),
    Out("kdj_overbought", "KDJ超买", "", "1 when K > 80 and D > 80", _KDJ_P, _CONV),
    Out("kdj_oversold", "KDJ超卖", "", "1 when K < 20 and D < 20", _KDJ_P, _CONV),
]


@factor_group("kdj", 4, ("high", "low", "close"), _KDJ_OUTS, lookback=16)
def kdj(x: Mapping[str, np.ndarray], ctx: ComputeContext) -> dict[str, np.ndarray]:
    """KDJ (9, 3, 3) with crosses and 80/20 flags."""
    h, lo, c = x["high"], x["low"], x["close"]
    n, m1, m2 = _KDJ_P["n"], _KDJ_P["m1"], _KDJ_P["m2"]
    mode = kta.TDX if ctx.convention == "tdx" else kta.TALIB
    rows = c.shape[0]
    k, d, sk, sd = kta.kdj(
        h,
        lo,
        c,
        n,
        m1,
        m2,
        mode,
        float(ctx.opt("kdj_seed")),
        ctx.init("kdj.k", rows),
        ctx.init("kdj.d", rows),
        ctx.start,
    )
    if mode == kta.TDX:
        ctx.put("kdj.k", sk)
        ctx.put("kdj.d", sd)
    out = {"kdj_k": k, "kdj_d": d}
    if ctx.want("kdj_j"):
        out["kdj_j"] = 3.0 * k - 2.0 * d
    if ctx.want("kdj_golden"):
        out["kdj_golden"] = ops.cross_up(k, d)
    if ctx.want("kdj_dead"):
        out["kdj_dead"] = ops.cross_up(d, k)
    if ctx.want("kdj_overbought"):
        out["kdj_overbought"] = ops.flag((k > 80.0) & (d > 80.0), k, d)
    if ctx.want("kdj_oversold"):
        out["kdj_oversold"] = ops.flag((k < 20.0) & (d < 20.0), k, d)
    return out


# --- DMI / ADX ------------------------------------------------------------------------------------------------
_DMI_P = {"n": 14, "m_tdx": 6, "strong": 25.0, "weak": 20.0}
_DMI_OUTS = [
    Out("plus_di", "plusDI", "", "+DI over 14 days (tdx: SUM-based; talib: Wilder, PLUS_DI)", _DMI_P, _CONV),
    Out(
        "minus_di", "minusDI", "", "−DI over 14 days (tdx: SUM-based; talib: Wilder, MINUS_DI)", _DMI_P, _CONV
    ),
    Out("adx", "ADX", "", "tdx: MA(DX, 6); talib: Wilder ADX(14)", _DMI_P, _CONV),
    Out("adx_strong", "强趋势", "", "1 when ADX > 25", _DMI_P, _CONV),
    Out("adx_weak", "弱趋势", "", "1 when ADX < 20", _DMI_P, _CONV),
]


@factor_group("dmi", 4, ("high", "low", "close"), _DMI_OUTS, lookback=32)
def dmi(x: Mapping[str, np.ndarray], ctx: ComputeContext) -> dict[str, np.ndarray]:
    """Directional movement: +DI, −DI, ADX and trend-strength flags."""
    h, lo, c = x["high"], x["low"], x["close"]
    mode = kta.TDX if ctx.convention == "tdx" else kta.TALIB
    pdi, mdi, adx, st = kta.dmi(
        h, lo, c, _DMI_P["n"], _DMI_P["m_tdx"], mode, ctx.init_matrix("dmi.wilder", c.shape[0], 4), ctx.start
    )
    if mode == kta.TALIB:
        ctx.put("dmi.wilder", st)
    out = {"plus_di": pdi, "minus_di": mdi, "adx": adx}
    if ctx.want("adx_strong"):
        out["adx_strong"] = ops.flag(adx > _DMI_P["strong"], adx)
    if ctx.want("adx_weak"):
        out["adx_weak"] = ops.flag(adx < _DMI_P["weak"], adx)
    return out


# --- momentum, ROC, Williams %R, CCI --------------------------------------------------------------------------
def _osc_outs() -> list[Out]:
    outs = [
        Out(f"mom_{n}", f"动量{n}日", "CNY", f"close − close {n} days ago (TA-Lib MOM)", {"window": n})
        for n in MOM_WINDOWS
    ]
    outs += [
        Out(f"mom_{n}_pct", f"动量{n}日_pct", "%", f"(close / close {n} days ago − 1) × 100", {"window": n})
        for n in MOM_WINDOWS
    ]
    outs += [
        Out(f"roc_{n}", f"ROC{n}", "%", f"(close / close {n} days ago − 1) × 100 (TA-Lib ROC)", {"window": n})
        for n in MOM_WINDOWS
    ]
    outs += [
        Out(
            f"wr_{n}",
            f"WilliamsR{n}",
            "%",
            f"tdx: 100·(HHV(H,{n}) − C)/(HHV − LLV), 0..100; talib: −100·(…), 0..−100 (WILLR)",
            {"window": n},
            _CONV,
        )
        for n in (14, 20)
    ]
    outs += [
        Out(
            f"cci_{n}",
            f"CCI{n}",
            "",
            f"(TP − MA(TP,{n})) / (0.015 · AVEDEV(TP,{n})), TP = (H+L+C)/3",
            {"window": n},
        )
        for n in (14, 20)
    ]
    return outs


@factor_group("oscillators", 4, ("high", "low", "close"), _osc_outs(), lookback=20)
def oscillators(x: Mapping[str, np.ndarray], ctx: ComputeContext) -> dict[str, np.ndarray]:
    """Momentum, ROC, Williams %R and CCI."""
    h, lo, c = x["high"], x["low"], x["close"]
    out: dict[str, np.ndarray] = {}
    for n in MOM_WINDOWS:
        if not ctx.want(f"mom_{n}", f"mom_{n}_pct", f"roc_{n}"):
            continue
        prev = ops.ref(c, n)
        out[f"mom_{n}"] = c - prev
        p = ops.pct(c, prev)
        out[f"mom_{n}_pct"] = p
        out[f"roc_{n}"] = p
    scale = 100.0 if ctx.convention == "tdx" else -100.0
    for n in (14, 20):
        if ctx.want(f"wr_{n}"):
            out[f"wr_{n}"] = kta.willr(h, lo, c, n, scale, ctx.start)
        if ctx.want(f"cci_{n}"):
            out[f"cci_{n}"] = kta.cci(h, lo, c, n, ctx.start)
    return out
