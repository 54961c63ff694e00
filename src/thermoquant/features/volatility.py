"""Dimension 3 — volatility and risk (seed 003 维度3).

Returns are simple daily returns of the (adjusted) close in percent, between consecutive trading days of the stock
(a suspension gap is one return, never zero-return days). The risk statistics use those returns clipped to
±``ret_cap_pct`` (engine option, default 50 %; ``ret_1d`` itself is not clipped). Windows of N count N returns
(N + 1 closes) except the drawdowns, which look at the last N closes. Beta and market correlation use the index close
joined on the stock's own trading days (``mkt_close``), so both returns cover the same span.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from thermoquant.features import kernels as nb
from thermoquant.features import ops
from thermoquant.features.context import ComputeContext
from thermoquant.features.registry import Out, factor_group

_VOL = (5, 10, 20, 60)
_CONV = "tdx|talib"


def _outs() -> list[Out]:
    outs = [
        Out(
            f"vol_{n}",
            f"波动率_{n}日",
            "%",
            f"sample std (ddof=1) of {n} daily returns × √252, percent",
            {"window": n},
        )
        for n in _VOL
    ]
    outs.append(
        Out(
            "downside_vol_20",
            "下行波动率_20日",
            "%",
            "downside deviation: sqrt(mean(min(r, 0)²)) over 20 returns × √252 (empyrical downside_risk)",
            {"window": 20},
        )
    )
    for n in (14, 20):
        outs.append(
            Out(
                f"atr_{n}",
                f"ATR_{n}",
                "CNY",
                f"tdx: MA(TR, {n}); talib: Wilder's smoothing of TR seeded with the SMA of {n} TRs (TA-Lib ATR)",
                {"window": n},
                _CONV,
            )
        )
        outs.append(
            Out(
                f"atr_{n}_pct",
                f"ATR_{n}_pct",
                "%",
                f"atr_{n} / close × 100 (TA-Lib NATR)",
                {"window": n},
                _CONV,
            )
        )
    outs += [
        Out(
            "mdd_20",
            "最大回撤_20日",
            "%",
            "largest peak-to-trough fall within the last 20 closes",
            {"window": 20},
        ),
        Out(
            "mdd_60",
            "最大回撤_60日",
            "%",
            "largest peak-to-trough fall within the last 60 closes",
            {"window": 60},
        ),
        Out(
            "drawdown_cum",
            "最大回撤_累计",
            "%",
            "(highest close so far − close) / highest close so far × 100",
        ),
        Out("ret_1d", "日收益率", "%", "(close / previous close − 1) × 100, not clipped"),
        Out("log_ret", "对数收益率", "%", "ln(close / previous close) × 100"),
        Out(
            "ret_std_20",
            "收益率std_20日",
            "%",
            "sample std of 20 daily returns (not annualised)",
            {"window": 20},
        ),
        Out(
            "ret_std_60",
            "收益率std_60日",
            "%",
            "sample std of 60 daily returns (not annualised)",
            {"window": 60},
        ),
        Out(
            "sharpe_20",
            "Sharpe_20日",
            "ratio",
            "(mean(r) − rf/252) / std(r, ddof=1) × √252 over 20 returns (empyrical sharpe_ratio)",
            {"window": 20},
        ),
        Out("sharpe_60", "Sharpe_60日", "ratio", "as sharpe_20 over 60 returns", {"window": 60}),
        Out(
            "var95_20",
            "VaR_95_20日",
            "%",
            "5 % quantile of 20 daily returns, linear interpolation (empyrical value_at_risk)",
            {"window": 20, "q": 0.05},
        ),
        Out("var95_60", "VaR_95_60日", "%", "5 % quantile of 60 daily returns", {"window": 60, "q": 0.05}),
        Out("max_down_20", "最大单日跌幅_20日", "%", "min of 20 daily returns", {"window": 20}),
        Out("max_up_20", "最大单日涨幅_20日", "%", "max of 20 daily returns", {"window": 20}),
        Out("hl_range", "高低波动幅度", "%", "(high − low) / close × 100"),
    ]
    for n in (20, 60):
        outs.append(
            Out(
                f"beta_{n}",
                f"Beta_{n}日",
                "ratio",
                f"cov(r, r_mkt) / var(r_mkt) over {n} returns; needs mkt_close",
                {"window": n},
            )
        )
    for n in (20, 60):
        outs.append(
            Out(
                f"mkt_corr_{n}",
                f"市场相关性_{n}日",
                "ratio",
                f"corr(r, r_mkt) over {n} returns",
                {"window": n},
            )
        )
    return outs


_OUTS = _outs()


def capped_returns(close: np.ndarray, cap_pct: float | None) -> tuple[np.ndarray, np.ndarray]:
    """(raw, clipped) daily returns in percent; ``cap_pct=None`` leaves the clipped copy unclipped."""
    r = ops.pct(close, ops.ref(close))
    rc = r if cap_pct is None else np.clip(r, -cap_pct, cap_pct)
    return r, rc


@factor_group(
    "volatility_risk", 3, ("high", "low", "close"), _OUTS, lookback=61, optional_inputs=("mkt_close",)
)
def volatility_risk(x: Mapping[str, np.ndarray], ctx: ComputeContext) -> dict[str, np.ndarray]:
    """Volatility, ATR, drawdowns, returns, Sharpe, VaR, extremes, Beta and market correlation."""
    h, lo, c = x["high"], x["low"], x["close"]
    ann = float(ctx.opt("annualization"))
    sq = np.sqrt(ann)
    out: dict[str, np.ndarray] = {}
    needs_r = [
        f.name
        for f in _OUTS
        if f.name.startswith(("vol_", "downside", "ret_", "sharpe", "var95", "max_", "beta", "mkt_corr"))
    ]
    r = rc = np.empty((0, 0))
    if ctx.want(*needs_r):
        r, rc = capped_returns(c, ctx.opt("ret_cap_pct"))
        if ctx.want("ret_1d"):
            out["ret_1d"] = r
    if ctx.want("log_ret"):
        with np.errstate(divide="ignore", invalid="ignore"):
            out["log_ret"] = np.log(ops.safe_div(c, ops.ref(c))) * 100.0
    stds: dict[int, np.ndarray] = {}
    for n in _VOL:
        if ctx.want(f"vol_{n}", f"ret_std_{n}", f"sharpe_{n}"):
            stds[n] = ops.mstd(rc, n, ctx)
            out[f"vol_{n}"] = stds[n] * sq
    if ctx.want("downside_vol_20"):
        neg = np.minimum(rc, 0.0)
        out["downside_vol_20"] = (
            np.sqrt(np.maximum(ops.ma(neg * neg, 20, ctx), 0.0)) * sq
        )  # rounding can dip below 0
    tr = ops.true_range(h, lo, c) if ctx.want("atr_14", "atr_20", "atr_14_pct", "atr_20_pct") else None
    for n in (14, 20):
        if tr is None or not ctx.want(f"atr_{n}", f"atr_{n}_pct"):
            continue
        atr = ops.ma(tr, n, ctx) if ctx.convention == "tdx" else ops.wilder(tr, n, f"atr_{n}.tr", ctx)
        out[f"atr_{n}"] = atr
        if ctx.want(f"atr_{n}_pct"):
            out[f"atr_{n}_pct"] = ops.safe_div(atr, c, scale=100.0)
    for n in (20, 60):
        if ctx.want(f"mdd_{n}"):
            out[f"mdd_{n}"] = nb.roll_max_drawdown(c, n, ctx.start) * 100.0
    if ctx.want("drawdown_cum"):
        peak = ctx.keep(
            "drawdown_cum.peak", nb.cummax(c, ctx.init("drawdown_cum.peak", c.shape[0]), ctx.start)
        )
        out["drawdown_cum"] = ops.safe_div(peak - c, peak, scale=100.0)
    rf_daily = float(ctx.opt("risk_free_annual_pct")) / ann
    for n in (20, 60):
        if ctx.want(f"ret_std_{n}", f"sharpe_{n}"):
            sd = stds[n]
            out[f"ret_std_{n}"] = sd
            out[f"sharpe_{n}"] = ops.safe_div(ops.ma(rc, n, ctx) - rf_daily, sd, scale=sq)
        if ctx.want(f"var95_{n}"):
            out[f"var95_{n}"] = nb.roll_quantile(rc, n, 0.05, ctx.start)
    if ctx.want("max_down_20"):
        out["max_down_20"] = ops.llv(rc, 20, ctx)
    if ctx.want("max_up_20"):
        out["max_up_20"] = ops.hhv(rc, 20, ctx)
    if ctx.want("hl_range"):
        out["hl_range"] = ops.safe_div(h - lo, c, scale=100.0)
    m = x.get("mkt_close")
    want_mkt = ctx.want("beta_20", "beta_60", "mkt_corr_20", "mkt_corr_60")
    rm = capped_returns(m, ctx.opt("ret_cap_pct"))[1] if m is not None and want_mkt else None
    for n in (20, 60):
        if not ctx.want(f"beta_{n}", f"mkt_corr_{n}"):
            continue
        if rm is None:
            out[f"beta_{n}"] = np.full_like(c, np.nan)
            out[f"mkt_corr_{n}"] = np.full_like(c, np.nan)
            continue
        corr, beta = nb.roll_corr_beta(rc, rm, n, ctx.start)
        out[f"beta_{n}"] = beta
        out[f"mkt_corr_{n}"] = corr
    return out
