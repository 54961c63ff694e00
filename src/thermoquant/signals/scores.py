"""The attack layer's multi-factor score (seed 002 §五): four component scores per stock and day, their sum, and
the BUY / SELL decision with take-profit and stop-loss prices.

Pure: frames in, frames out (no store, no clock). Inputs (:class:`ScoreInputs`), long ``(symbol, trade_date)``:

* ``physics`` — :func:`thermoquant.physics.thermo.compute_physics` rows: ``t_f`` (close forward-adjusted at the
  stock's last bar: MACD and the platform are computed on it), chip metrics ``conc_90``, ``bottom_peak_mass``,
  ``bottom_mass``;
* ``quotes`` — ``daily_quote`` rows: ``close``, ``high``, ``low``, ``pre_close``, ``volume``, ``amount`` (raw);
* ``industry`` — ``industry_member`` rows (Shenwan 2021 level 1; the membership in force each day,
  :func:`thermoquant.market.sw_industry.industry_asof`); optional;
* ``valuation`` — ``daily_valuation`` rows (``pe_ttm``, ``pb``); optional;
* ``flows`` — ``funds_flow`` rows (``scope`` stock or industry, ``main_net`` CNY); optional;
* ``margin`` — ``margin_detail`` rows (``sec_balance`` CNY); optional.

An input that is missing scores 0 points on its rules, and the stock's ``details`` say which input was missing.

Rule sets (every threshold is a field of :class:`ScoreParams`; points in brackets):

**Industry fund score** (``fund_score``, −1…3). The industry's net inflow is the sum of its stocks' main net
inflow (``funds_flow`` scope stock), else the industry row of ``funds_flow`` whose code is the Shenwan name, else
the *signed-amount proxy* Σ amount × sign(close − pre_close) over the industry's stocks (``flow_source`` in the
details says which). Over ``flow_days`` sessions: inflow sum > 0 [+1]; inflow sum greater than over the
``flow_days`` sessions before (环比 rising) [+1]; industry in the top ``flow_top_share`` of industries by inflow /
amount [+1]; the stock's 融券余额 up more than ``short_rise`` over ``flow_days`` sessions [−1].

**Valuation score** (``value_score``, −1…2, point in time: only rows dated on or before the day). PE-TTM > 0 and
at or below the ``pe_own_pct`` percentile of the stock's own last ``value_history`` sessions (at least
``value_min_history`` rows) [+1]; PB > 0 and at or below its industry's median PB that day [+1]; PE-TTM ≤ 0
(loss-making) [−1].

**Technical score** (``technical_score``, 0…4) = ``macd_score`` + ``volume_score`` + ``breakout_score``.
MACD(``macd_fast``, ``macd_slow``, ``macd_signal``) on the adjusted close: DIF > DEA [+1], and a golden cross
(DIF crossing above DEA) within the last ``macd_cross_days`` sessions [+1]. Volume ratio = volume / mean volume
of the previous ``volume_days`` sessions inside [``volume_ratio_min``, ``volume_ratio_max``] [+1]. Platform
breakout: close above the highest high of the previous ``platform_days`` sessions while that platform's range
(max high / min low − 1) is at most ``platform_width`` [+1].

**Chip score** (``chip_score``, 0…3, from physics): chip concentration ``conc_90`` ≤ ``conc_max`` [+1];
bottom-peak mass ``bottom_peak_mass`` ≥ ``bottom_peak_min`` [+1]; main-force control — the float share still
held at bottom-zone cost (``bottom_mass``) ≥ ``control_min`` [+1].

**Composite** = the sum (−2…12). Decision on a day: composite ≥ ``buy_score`` → BUY, priority 高 when composite ≥
``buy_score + high_margin`` else 中, take-profit = close × (1 + ``take_profit``), stop-loss = close × (1 −
``stop_loss``). SELL: the composite fell on each of the last ``fall_days`` sessions and is below ``buy_score``
("评分持续走低"), or — after the most recent BUY day within ``memory_days`` — the close is at or below that day's
stop-loss ("止损") or at or above its take-profit ("止盈"). Otherwise WATCH.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl

from thermoquant.market.sw_industry import industry_asof

STRATEGY = "attack_score"

COMPONENTS = ("fund_score", "value_score", "technical_score", "chip_score")
"""The four component columns; ``composite`` is their sum."""


def _p(default: float, doc: str, unit: str = "", **bounds: float) -> Any:
    """A field with the metadata the strategy contract reads (doc, unit, ge/le/gt/lt bounds)."""
    meta = {"doc": doc, "unit": unit, "ge": None, "le": None, "gt": None, "lt": None, **bounds}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class ScoreParams:
    """Thresholds and points of the score (module docstring); each field documents its unit."""

    flow_days: int = _p(5, "行业资金：净流入累计与环比的窗口 inflow window", "sessions", ge=1)
    flow_top_share: float = _p(
        0.2, "行业资金：按净流入/成交额排名前此比例 top industries share", "fraction", gt=0, le=1
    )
    short_rise: float = _p(0.10, "融券余额在窗口内增幅超过此值扣 1 分 short balance rise", "fraction", ge=0)
    pe_own_pct: float = _p(
        0.3, "估值：PE 处于自身历史此分位以下 PE own-history percentile", "fraction", gt=0, le=1
    )
    value_history: int = _p(750, "估值：自身历史长度 own PE history", "sessions", ge=1)
    value_min_history: int = _p(120, "估值：自身历史至少行数 fewest history rows", "rows", ge=1)
    macd_fast: int = _p(12, "MACD 快线 EMA fast span", "sessions", ge=1)
    macd_slow: int = _p(26, "MACD 慢线 EMA slow span", "sessions", ge=2)
    macd_signal: int = _p(9, "MACD DEA 信号线 signal span", "sessions", ge=1)
    macd_cross_days: int = _p(3, "MACD 金叉在最近此天数内加 1 分 recent golden cross", "sessions", ge=1)
    volume_days: int = _p(5, "量比：前此天数平均成交量为分母 volume ratio base", "sessions", ge=1)
    volume_ratio_min: float = _p(1.5, "量比下限 volume ratio lower bound", "ratio", ge=0)
    volume_ratio_max: float = _p(5.0, "量比上限（过大为失控）volume ratio upper bound", "ratio", gt=0)
    platform_days: int = _p(20, "平台突破：平台长度 platform length", "sessions", ge=2)
    platform_width: float = _p(
        0.15, "平台突破：平台最高/最低 − 1 不超过此值 platform range", "fraction", gt=0
    )
    conc_max: float = _p(0.08, "筹码集中度 conc_90 不超过此值 chip concentration", "ratio", gt=0)
    bottom_peak_min: float = _p(0.70, "底部筹码峰质量不低于此值 bottom-peak mass", "float share", ge=0, le=1)
    control_min: float = _p(
        0.60, "主力控盘：底部区筹码不低于此值 bottom-zone mass", "float share", ge=0, le=1
    )
    buy_score: float = _p(5.0, "综合分不低于此值买入（种子 002：5）composite buy threshold", "points")
    high_margin: float = _p(2.0, "综合分 ≥ 买入线 + 此值为高优先级 high-priority margin", "points", ge=0)
    take_profit: float = _p(0.15, "止盈：信号日收盘价上方 take-profit distance", "fraction", gt=0)
    stop_loss: float = _p(0.07, "止损：信号日收盘价下方 stop-loss distance", "fraction", gt=0, lt=1)
    fall_days: int = _p(3, "综合分连续下降此天数且低于买入线则卖出 falling days", "sessions", ge=1)
    memory_days: int = _p(20, "买入日的止盈止损在此天数内有效 TP/SL memory", "sessions", ge=1)

    @property
    def history(self) -> int:
        """Sessions of price history one scoring day needs (MACD warm-up dominates)."""
        return max(4 * self.macd_slow + self.macd_signal, self.platform_days + 1, 2 * self.flow_days + 1)


@dataclass(frozen=True)
class ScoreInputs:
    """The frames the score reads (module docstring); optional ones may be None or empty."""

    physics: pl.DataFrame
    quotes: pl.DataFrame
    industry: pl.DataFrame | None = None
    valuation: pl.DataFrame | None = None
    flows: pl.DataFrame | None = None
    margin: pl.DataFrame | None = None


def _present(frame: pl.DataFrame | None) -> bool:
    return frame is not None and frame.height > 0


_BY = "symbol"
_ON = ["symbol", "trade_date"]
_PHYSICS = ("t_f", "conc_90", "bottom_peak_mass", "bottom_mass")


def base_frame(inputs: ScoreInputs, *, industry: bool = True) -> tuple[pl.DataFrame, dict[str, str]]:
    """Traded quote rows with the physics columns the score reads (and ``industry_name`` in force, unless
    ``industry`` is false: :func:`with_industry` later); sorted by symbol then date. Returns (frame, notes)."""
    quotes = inputs.quotes.filter(pl.col("volume").fill_null(0) > 0).select(
        *_ON, "open", "close", "high", "low", "pre_close", "volume", "amount"
    )
    phys = inputs.physics.select(*_ON, *_PHYSICS)
    if quotes.height == phys.height and quotes.select(_ON).equals(phys.select(_ON)):
        base = quotes.hstack(phys.drop(_ON))  # the physics of these very bars, same order: no join needed
    else:
        base = quotes.join(phys, on=_ON, how="inner")
    if not _sorted(base):
        base = base.sort(_ON)
    return with_industry(base, inputs.industry) if industry else (base, {})


def _sorted(frame: pl.DataFrame) -> bool:
    """Sorted by (symbol, trade_date)?"""
    sym, days = frame["symbol"], frame["trade_date"]
    if not sym.is_sorted():
        return False
    same = sym.head(-1) == sym.tail(-1)
    return bool(((days.tail(-1) > days.head(-1)) | ~same).all())


def with_industry(base: pl.DataFrame, members: pl.DataFrame | None) -> tuple[pl.DataFrame, dict[str, str]]:
    """``base`` with ``industry_name`` in force on each row's day (null, and a note, without members)."""
    if members is not None and members.height:
        return industry_asof(base, members), {}
    note = {"industry": "no industry_member rows: fund score 0 and no industry valuation rule"}
    return base.with_columns(pl.lit(None, pl.Utf8).alias("industry_name")), note


# --------------------------------------------------------------------------------------------- technical
def technical_scores(base: pl.DataFrame, p: ScoreParams) -> pl.DataFrame:
    """``base`` (sorted by symbol then date) with dif, dea, macd_score, volume_ratio, volume_score, platform_high,
    breakout_score, technical_score — MACD and the platform on the adjusted close ``t_f`` (high and low scaled by
    ``t_f / close``); one numba pass per stock (:mod:`.scores_nb`)."""
    from thermoquant.signals.scores_nb import technical_kernel

    sym = base["symbol"]
    starts = sym.rle_id().to_numpy()
    offsets = (
        np.flatnonzero(np.diff(starts, prepend=-1, append=-2)).astype(np.int64)
        if base.height
        else (np.zeros(1, np.int64))
    )
    arr = base.select(
        pl.col("t_f").cast(pl.Float64),
        (pl.col("high") * pl.col("t_f") / pl.col("close")).alias("h"),
        (pl.col("low") * pl.col("t_f") / pl.col("close")).alias("l"),
        pl.col("volume").cast(pl.Float64),
    ).to_numpy()
    dif, dea, macd, vr, ph, pr = technical_kernel(
        offsets,
        np.ascontiguousarray(arr[:, 0]),
        np.ascontiguousarray(arr[:, 1]),
        np.ascontiguousarray(arr[:, 2]),
        np.ascontiguousarray(arr[:, 3]),
        p.macd_fast,
        p.macd_slow,
        p.macd_signal,
        p.macd_cross_days,
        p.volume_days,
        p.platform_days,
    )
    volume_ok = (vr >= p.volume_ratio_min) & (vr <= p.volume_ratio_max)
    breakout = (arr[:, 0] > ph) & (pr <= p.platform_width)
    out = base.with_columns(
        pl.Series("dif", dif),
        pl.Series("dea", dea),
        pl.Series("macd_score", macd, dtype=pl.Int32),
        pl.Series("volume_ratio", vr, nan_to_null=True),
        pl.Series("volume_score", volume_ok.astype(np.int32)),
        pl.Series("platform_high", ph, nan_to_null=True),
        pl.Series("breakout_score", breakout.astype(np.int32)),
    )
    tech = pl.col("macd_score") + pl.col("volume_score") + pl.col("breakout_score")
    return out.with_columns(tech.alias("technical_score"))


# --------------------------------------------------------------------------------------------- chips
def chip_scores(base: pl.DataFrame, p: ScoreParams) -> pl.DataFrame:
    """``base`` with chip_score (conc_90, bottom_peak_mass, bottom_mass from physics)."""
    pts = [
        pl.col("conc_90") <= p.conc_max,
        pl.col("bottom_peak_mass") >= p.bottom_peak_min,
        pl.col("bottom_mass") >= p.control_min,
    ]
    return base.with_columns(
        pl.sum_horizontal(c.fill_null(False).cast(pl.Int32) for c in pts).alias("chip_score")
    )


# --------------------------------------------------------------------------------------------- valuation
def value_scores(base: pl.DataFrame, valuation: pl.DataFrame | None, p: ScoreParams) -> pl.DataFrame:
    """``base`` with pe_ttm, pb, pe_own_pct, pb_industry_median, value_score. Point in time: a day's percentile
    uses the stock's positive PEs dated on or before it (the last ``value_history`` of them)."""
    if not _present(valuation):
        return base.with_columns(
            *(
                pl.lit(None, pl.Float64).alias(c)
                for c in ("pe_ttm", "pb", "pe_own_pct", "pb_industry_median")
            ),
            pl.lit(0, pl.Int32).alias("value_score"),
        )
    assert valuation is not None
    n = p.value_history
    v = valuation.select(*_ON, "pe_ttm", "pb").sort(_ON)
    pe = pl.col("pe_ttm")
    pos = (
        v.filter(pe > 0)
        .with_columns(
            pe.rolling_rank(n, method="max", min_samples=1).over(_BY).alias("_rank"),
            pl.int_range(1, pl.len() + 1).over(_BY).clip(upper_bound=n).alias("_n"),
        )
        .select(*_ON, (pl.col("_rank") / pl.col("_n")).alias("pe_own_pct"), "_n")
    )
    out = base.join(v.join(pos, on=_ON, how="left"), on=_ON, how="left", maintain_order="left")
    pb_pos = pl.when(pl.col("pb") > 0).then(pl.col("pb"))
    out = out.with_columns(pb_pos.median().over("trade_date", "industry_name").alias("pb_industry_median"))
    own = (pe > 0) & (pl.col("_n") >= p.value_min_history) & (pl.col("pe_own_pct") <= p.pe_own_pct)
    ind = (
        (pl.col("pb") > 0)
        & pl.col("industry_name").is_not_null()
        & (pl.col("pb") <= pl.col("pb_industry_median"))
    )
    pts = [own, ind, -(pe <= 0).fill_null(False).cast(pl.Int32)]
    score = pts[0].fill_null(False).cast(pl.Int32) + pts[1].fill_null(False).cast(pl.Int32) + pts[2]
    return out.with_columns(score.alias("value_score")).drop("_n")


# --------------------------------------------------------------------------------------------- industry funds
def industry_flows(
    base: pl.DataFrame, flows: pl.DataFrame | None, p: ScoreParams
) -> tuple[pl.DataFrame, str]:
    """(industry_name, trade_date, net_in, amount, flow_sum, flow_prev, flow_ratio, flow_rank_pct) and where the
    inflow came from: ``funds_flow:stock``, ``funds_flow:industry`` or ``proxy:signed_amount``."""
    q = base.filter(pl.col("industry_name").is_not_null())
    grp = ["industry_name", "trade_date"]
    stock_flows = flows.filter(pl.col("scope") == "stock") if _present(flows) else None
    ind_flows = flows.filter(pl.col("scope") == "industry") if _present(flows) else None
    sign = (pl.col("close") - pl.col("pre_close")).sign()
    amount = q.group_by(grp).agg(pl.col("amount").sum(), (pl.col("amount") * sign).sum().alias("_proxy"))
    if stock_flows is not None and stock_flows.height:
        net = (
            stock_flows.select(pl.col("code").alias("symbol"), "trade_date", "main_net")
            .join(q.select(*_ON, "industry_name"), on=_ON, how="inner")
            .group_by(grp)
            .agg(pl.col("main_net").sum().alias("net_in"))
        )
        source = "funds_flow:stock"
    elif (
        ind_flows is not None
        and ind_flows.filter(pl.col("code").is_in(amount["industry_name"].unique().implode())).height
    ):
        net = ind_flows.select(
            pl.col("code").alias("industry_name"), "trade_date", pl.col("main_net").alias("net_in")
        )
        source = "funds_flow:industry"
    else:
        net = amount.select(*grp, pl.col("_proxy").alias("net_in"))
        source = "proxy:signed_amount"
    d, g = p.flow_days, "industry_name"
    out = (
        amount.drop("_proxy")
        .join(net, on=grp, how="left")
        .sort(g, "trade_date")
        .with_columns(
            pl.col("net_in").rolling_sum(d, min_samples=1).over(g).alias("flow_sum"),
            pl.col("amount").rolling_sum(d, min_samples=1).over(g).alias("_amt"),
        )
        .with_columns(
            pl.col("flow_sum").shift(d).over(g).alias("flow_prev"),
            (pl.col("flow_sum") / pl.col("_amt")).alias("flow_ratio"),
        )
        .with_columns(
            (pl.col("flow_ratio").rank(descending=True) / pl.col("flow_ratio").count())
            .over("trade_date")
            .alias("flow_rank_pct")
        )
        .drop("_amt")
    )
    return out, source


def fund_scores(
    base: pl.DataFrame, flows: pl.DataFrame | None, margin: pl.DataFrame | None, p: ScoreParams
) -> tuple[pl.DataFrame, str]:
    """``base`` with flow_sum, flow_prev, flow_rank_pct, short_change, fund_score; and the flow source."""
    ind, source = industry_flows(base, flows, p)
    out = base.join(
        ind.select("industry_name", "trade_date", "flow_sum", "flow_prev", "flow_rank_pct"),
        on=["industry_name", "trade_date"],
        how="left",
        maintain_order="left",
    )
    if _present(margin):
        assert margin is not None
        bal = pl.col("sec_balance")
        m = (
            margin.select(*_ON, "sec_balance")
            .sort(_ON)
            .select(*_ON, (bal / bal.shift(p.flow_days).over(_BY) - 1.0).alias("short_change"))
        )
        out = out.join(m, on=_ON, how="left", maintain_order="left")
    else:
        out = out.with_columns(pl.lit(None, pl.Float64).alias("short_change"))
    pts = (
        (pl.col("flow_sum") > 0).fill_null(False).cast(pl.Int32)
        + (pl.col("flow_sum") > pl.col("flow_prev")).fill_null(False).cast(pl.Int32)
        + (pl.col("flow_rank_pct") <= p.flow_top_share).fill_null(False).cast(pl.Int32)
        - (pl.col("short_change") > p.short_rise).fill_null(False).cast(pl.Int32)
    )
    return out.with_columns(pts.alias("fund_score")), source


# --------------------------------------------------------------------------------------------- composite
def score_frame(
    inputs: ScoreInputs, p: ScoreParams | None = None, *, tail: int | None = None
) -> tuple[pl.DataFrame, dict[str, str]]:
    """Every component and the composite for every traded (symbol, trade_date) of ``inputs.quotes`` with
    physics — or, with ``tail``, for its last ``tail`` sessions only (the technical indicators still run over the
    whole history); returns (frame, notes) where notes name the inputs that were missing or proxied."""
    p = p or ScoreParams()
    base, _ = base_frame(inputs, industry=False)
    out = technical_scores(base, p)
    if tail is not None:
        days = out["trade_date"].unique().sort()
        out = out.filter(pl.col("trade_date") >= days[max(len(days) - tail, 0)])
    out, notes = with_industry(out, inputs.industry)
    if not _present(inputs.valuation):
        notes["valuation"] = "no daily_valuation rows: valuation score 0"
    if not _present(inputs.margin):
        notes["margin"] = "no margin_detail rows: no short-selling adjustment"
    out = value_scores(chip_scores(out, p), inputs.valuation, p)
    out, notes["flow_source"] = fund_scores(out, inputs.flows, inputs.margin, p)
    out = out.with_columns(pl.sum_horizontal(*COMPONENTS).cast(pl.Float64).alias("composite"))
    return out, notes


def decide(scores: pl.DataFrame, p: ScoreParams | None = None) -> pl.DataFrame:
    """``scores`` (from :func:`score_frame`) with ``signal`` (BUY / SELL / WATCH), ``priority``, ``reason``,
    ``take_profit``, ``stop_loss`` per row (module docstring: the decision rules)."""
    p = p or ScoreParams()
    s = scores if scores.select(pl.col("symbol").is_sorted()).item() else scores.sort(_ON)
    by = "symbol"
    buy = pl.col("composite") >= p.buy_score
    falling = pl.lit(True)
    for k in range(p.fall_days):
        falling = falling & (
            pl.col("composite").shift(k).over(by) < pl.col("composite").shift(k + 1).over(by)
        )
    s = s.with_columns(
        buy.alias("_buy"),
        (falling.fill_null(False) & ~buy).alias("_falling"),
        pl.when(buy).then(pl.col("close") * (1 + p.take_profit)).alias("take_profit"),
        pl.when(buy).then(pl.col("close") * (1 - p.stop_loss)).alias("stop_loss"),
    )
    # the most recent earlier BUY day within memory_days: its TP / SL
    idx = pl.int_range(pl.len()).over(by)
    s = s.with_columns(idx.alias("_i"))
    s = s.with_columns(
        pl.when(pl.col("_buy")).then(pl.col("_i")).shift(1).forward_fill().over(by).alias("_bi"),
        pl.col("take_profit").shift(1).forward_fill().over(by).alias("_tp"),
        pl.col("stop_loss").shift(1).forward_fill().over(by).alias("_sl"),
    )
    live = (pl.col("_i") - pl.col("_bi") <= p.memory_days).fill_null(False)
    stop_hit = live & ~pl.col("_buy") & (pl.col("close") <= pl.col("_sl"))
    tp_hit = live & ~pl.col("_buy") & (pl.col("close") >= pl.col("_tp"))
    signal = (
        pl.when(pl.col("_buy"))
        .then(pl.lit("BUY"))
        .when(stop_hit | tp_hit | pl.col("_falling"))
        .then(pl.lit("SELL"))
        .otherwise(pl.lit("WATCH"))
    )
    reason = (
        pl.when(pl.col("_buy"))
        .then(pl.format("综合分 {} ≥ {} composite", pl.col("composite"), pl.lit(p.buy_score)))
        .when(stop_hit)
        .then(pl.lit("止损 stop-loss hit"))
        .when(tp_hit)
        .then(pl.lit("止盈 take-profit hit"))
        .when(pl.col("_falling"))
        .then(pl.lit(f"评分持续走低 score fell {p.fall_days} days"))
    )
    priority = (
        pl.when(pl.col("_buy") & (pl.col("composite") >= p.buy_score + p.high_margin))
        .then(pl.lit("高"))
        .when(pl.col("_buy"))
        .then(pl.lit("中"))
    )
    return s.with_columns(signal.alias("signal"), reason.alias("reason"), priority.alias("priority")).drop(
        "_buy", "_falling", "_i", "_bi", "_tp", "_sl"
    )


DETAIL_COLUMNS = (
    "industry_name",
    "fund_score",
    "flow_sum",
    "flow_prev",
    "flow_rank_pct",
    "short_change",
    "value_score",
    "pe_ttm",
    "pb",
    "pe_own_pct",
    "pb_industry_median",
    "technical_score",
    "macd_score",
    "dif",
    "dea",
    "volume_score",
    "volume_ratio",
    "breakout_score",
    "platform_high",
    "chip_score",
    "conc_90",
    "bottom_peak_mass",
    "bottom_mass",
    "priority",
)
"""Columns written into a signal row's ``details`` JSON (components and the figures behind them)."""


def signal_rows(
    decided: pl.DataFrame, day: dt.date, notes: dict[str, str], strategy: str = STRATEGY
) -> pl.DataFrame:
    """The ``signals`` rows of ``day``: score = composite, details = :data:`DETAIL_COLUMNS` + ``notes``."""
    today = decided.filter(pl.col("trade_date") == day)
    details = [
        json.dumps({**{k: _round(v) for k, v in row.items()}, **notes}, ensure_ascii=False, sort_keys=True)
        for row in today.select(DETAIL_COLUMNS).iter_rows(named=True)
    ]
    reason = (
        pl.when(pl.col("priority").is_not_null())
        .then(pl.format("{}；优先级 {}", pl.col("reason"), pl.col("priority")))
        .otherwise(pl.col("reason"))
    )
    return today.select(
        pl.lit(strategy).alias("strategy"),
        "symbol",
        pl.col("trade_date").cast(pl.Datetime("us")).dt.offset_by("15h").alias("signal_time"),
        "signal",
        pl.lit(None, pl.Utf8).alias("state"),
        pl.col("composite").alias("score"),
        reason.alias("reason"),
        "take_profit",
        "stop_loss",
        pl.Series("details", details, dtype=pl.Utf8),
    )


def _round(v: object) -> object:
    """Floats to 6 decimals; NaN and ±inf (e.g. a volume ratio over a zero base) to null: details are JSON."""
    if isinstance(v, float):
        return round(v, 6) if math.isfinite(v) else None
    return v


def params_dict(p: ScoreParams) -> dict[str, float | int]:
    """The parameters as a plain dict."""
    return asdict(p)


def score_day(inputs: ScoreInputs, day: dt.date, p: ScoreParams | None = None) -> tuple[pl.DataFrame, dict]:
    """(decided rows of ``day``, notes). The inputs need :attr:`ScoreParams.history` sessions up to ``day``
    (rows after it are ignored); the components are scored on the last ``memory_days + fall_days + 1 +
    2 × flow_days`` sessions only, and decided on the last ``memory_days + fall_days + 1`` (all that the rules of
    ``day`` look at)."""
    p = p or ScoreParams()
    decide_days = p.memory_days + p.fall_days + 1
    upto = ScoreInputs(
        *(
            _upto(f, day)
            for f in (
                inputs.physics,
                inputs.quotes,
                inputs.industry,
                inputs.valuation,
                inputs.flows,
                inputs.margin,
            )
        )
    )
    frame, notes = score_frame(upto, p, tail=decide_days + 2 * p.flow_days)
    days = frame["trade_date"].unique().sort()
    recent = (
        frame.filter(pl.col("trade_date") >= days[max(len(days) - decide_days, 0)]) if len(days) else frame
    )
    return decide(recent, p).filter(pl.col("trade_date") == day), notes


def _upto(frame: pl.DataFrame | None, day: dt.date) -> pl.DataFrame | None:
    if (
        frame is None
        or "trade_date" not in frame.columns
        or frame.is_empty()
        or frame["trade_date"].max() <= day
    ):
        return frame
    return frame.filter(pl.col("trade_date") <= day)


def top_by_score(scores: pl.DataFrame, symbols: Sequence[str], m: int) -> list[str]:
    """The ``m`` best ``symbols`` by composite (ties by symbol)."""
    pick = scores.filter(pl.col("symbol").is_in(list(symbols))).sort(
        ["composite", "symbol"], descending=[True, False]
    )
    return pick["symbol"].head(m).to_list()
