"""Evaluate registered factors on a whole-market window: `tq factors evaluate`.

Reads the bars (a file in any layout :func:`thermoquant.data.sources.csv.read_file` knows — e.g. the real
``xbx_market`` windows — or the store's ``daily_quote``), forward-adjusts them, computes the factors in batches
(:func:`thermoquant.features.engine.compute`; factors whose inputs the bars lack — fund flow, PE by industry — are
listed as skipped), evaluates each one (:class:`thermoquant.features.evaluate.Evaluator`) and writes an HTML tear
sheet. Industries: the Shenwan snapshot in force (``industry_member`` of the store, else the two bundled snapshots).
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from thermoquant.features.bars import adj_factor_from_pre_close, qfq
from thermoquant.features.evaluate import Evaluator, FactorReport, forward_returns
from thermoquant.features.registry import get, list_factors
from thermoquant.progress import ProgressFn, tick

BATCH = 16
"""Factors computed at once (memory: rows × BATCH float64 columns)."""

BENCHMARK_FILE = "csi500_index_daily_2005_2026.csv"
"""Bundled index bars handed to the factor engine as the market (Beta, market correlation)."""


@dataclass
class EvalRun:
    """The window, the reports (ranked by |rank-IC IR|), skipped factors with the reason, and the tear sheet."""

    start: dt.date
    end: dt.date
    stocks: int
    reports: list[FactorReport]
    skipped: dict[str, str] = field(default_factory=dict)
    html_path: Path | None = None

    def table(self) -> pl.DataFrame:
        """One row per factor: the ranked table."""
        rows = []
        for r in self.reports:
            s = r.summary
            rows.append(
                {
                    "factor": r.name,
                    "name_zh": get(r.name).name_zh,
                    **{
                        k: s[k]
                        for k in (
                            "rank_ic_mean",
                            "rank_ic_ir",
                            "rank_ic_t",
                            "ic_mean",
                            "ic_ir",
                            "spread",
                            "top_turnover",
                            "days",
                        )
                    },
                }
            )
        return pl.DataFrame(rows) if rows else pl.DataFrame()


def load_bars(
    path: Path | None, store: object | None, start: dt.date | None, end: dt.date | None
) -> pl.DataFrame:
    """Traded daily bars of the window, unadjusted (daily_quote columns)."""
    if path is not None:
        from thermoquant.data.sources.csv import read_file

        result = read_file(path)
        if result.table != "daily_quote":
            raise ValueError(f"{path} holds no stock bars (layout {result.layout})")
        bars = result.frame
    else:
        bars = store.read("daily_quote", start=start, end=end)  # type: ignore[attr-defined]
    if start is not None or end is not None:
        bars = bars.filter(pl.col("trade_date").is_between(start or dt.date.min, end or dt.date.max))
    return bars.filter(pl.col("volume").fill_null(0) > 0).sort("symbol", "trade_date")


def industry_members(store: object | None) -> pl.DataFrame:
    """industry_member rows: the store's, else the two bundled Shenwan snapshots."""
    if store is not None:
        rows = store.read("industry_member")  # type: ignore[attr-defined]
        if rows.height:
            return rows
    from thermoquant.data.sources.csv import read_file
    from thermoquant.data.sources.sample import sample_path

    files = ("sw2014_l1_l3_stock_industry_2019.csv", "sw2021_l1_stock_industry_2024.csv")
    return pl.concat([read_file(sample_path(f)).frame for f in files])


def market_bars() -> pl.DataFrame:
    from thermoquant.data.sources.csv import read_file
    from thermoquant.data.sources.sample import sample_path

    return read_file(sample_path(BENCHMARK_FILE)).frame.select("trade_date", "close")


def evaluate_factors(
    bars: pl.DataFrame,
    names: Sequence[str] | None,
    *,
    members: pl.DataFrame | None = None,
    horizon: int = 5,
    max_horizon: int = 20,
    quantiles: int = 5,
    decay: bool = True,
    progress: ProgressFn | None = None,
) -> EvalRun:
    """Reports of ``names`` (None: every registered factor the bars can feed), ranked by |rank-IC IR|."""
    from thermoquant.features.engine import compute
    from thermoquant.market.sw_industry import industry_asof

    wanted = list(names) if names else [f.name for f in list_factors()]
    have = set(bars.columns) | {"turnover"}
    skipped = {
        n: f"needs {', '.join(sorted(set(get(n).inputs) - have))}"
        for n in wanted
        if not set(get(n).inputs) <= have
    }
    todo = [n for n in wanted if n not in skipped]
    tick(progress, "远期收益 forward returns", 0, len(todo) + 1)
    fwd = forward_returns(bars, range(1, max_horizon + 1))
    industry = None
    if members is not None and members.height:
        industry = industry_asof(bars.select("symbol", "trade_date"), members)
    ev = Evaluator(
        fwd, horizon=horizon, horizons=range(1, max_horizon + 1), quantiles=quantiles, industry=industry
    )
    adjusted = qfq(bars, adj_factor_from_pre_close(bars))
    market = market_bars()
    reports: list[FactorReport] = []
    for k in range(0, len(todo), BATCH):
        batch = todo[k : k + BATCH]
        values = compute(adjusted, names=batch, market=market)
        for name in batch:
            tick(progress, f"评估 evaluating {name}", len(reports) + 1, len(todo) + 1)
            if values[name].is_null().all():
                skipped[name] = "no values on this window"
                continue
            reports.append(ev.evaluate(values, name, decay=decay))
    reports.sort(
        key=lambda r: -abs(r.summary["rank_ic_ir"]) if math.isfinite(r.summary["rank_ic_ir"]) else 0.0
    )
    days = bars["trade_date"]
    return EvalRun(days.min(), days.max(), bars["symbol"].n_unique(), reports, skipped)


def _f(v: float, pct: bool = False) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    return f"{v:.2%}" if pct else f"{v:.4f}"


def write_tear_sheet(run: EvalRun, path: Path) -> Path:
    """A self-contained HTML tear sheet: the ranked table, then per factor quantile returns, decay and industries."""
    e = html.escape
    head = (
        "<tr><th>#</th><th>因子 factor</th><th>名称</th><th>Rank IC</th><th>Rank IC IR</th><th>t</th>"
        "<th>IC</th><th>多空 spread</th><th>顶组换手 top turnover</th><th>天数 days</th></tr>"
    )
    rows = []
    for i, r in enumerate(run.reports, 1):
        s = r.summary
        rows.append(
            f"<tr><td>{i}</td><td><a href='#{e(r.name)}'>{e(r.name)}</a></td><td>{e(get(r.name).name_zh)}</td>"
            f"<td>{_f(s['rank_ic_mean'])}</td><td>{_f(s['rank_ic_ir'])}</td><td>{_f(s['rank_ic_t'])}</td>"
            f"<td>{_f(s['ic_mean'])}</td><td>{_f(s['spread'], True)}</td>"
            f"<td>{_f(s['top_turnover'], True)}</td><td>{int(s['days'])}</td></tr>"
        )
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>因子评估 factor tear sheet</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:2px 6px;text-align:right}.bar{background:#4a7;height:10px;display:inline-block}"
        ".neg{background:#c55}</style></head><body>",
        f"<h1>因子评估 / factor evaluation {run.start} → {run.end}（{run.stocks} 只股票 stocks）</h1>",
        "<p>远期收益：次日开盘买入，持有期后开盘卖出；停牌与一字涨跌停的买入日剔除 / forward returns from the next "
        "open, suspended and one-price limit entries excluded.</p>",
        f"<table>{head}{''.join(rows)}</table>",
    ]
    if run.skipped:
        parts.append(
            "<h2>未评估 skipped</h2><ul>"
            + "".join(f"<li>{e(n)}: {e(why)}</li>" for n, why in sorted(run.skipped.items()))
            + "</ul>"
        )
    for r in run.reports:
        parts.append(f"<h2 id='{e(r.name)}'>{e(r.name)} {e(get(r.name).name_zh)}</h2>")
        peak = max((abs(v) for v in r.quantile_returns if math.isfinite(v)), default=1.0) or 1.0
        qrows = "".join(
            f"<tr><td>Q{q}</td><td>{_f(v, True)}</td><td style='text-align:left'><span class='bar{' neg' if v < 0 else ''}'"
            f" style='width:{int(120 * abs(v) / peak) if math.isfinite(v) else 0}px'></span></td></tr>"
            for q, v in enumerate(r.quantile_returns, 1)
        )
        parts.append(f"<h3>分组平均收益 quantile mean return ({r.horizon} 日)</h3><table>{qrows}</table>")
        drows = "".join(f"<td>{_f(v)}</td>" for v in r.decay.values())
        dhead = "".join(f"<th>{h}</th>" for h in r.decay)
        parts.append(f"<h3>Rank IC 衰减 decay</h3><table><tr>{dhead}</tr><tr>{drows}</tr></table>")
        if r.by_industry is not None and r.by_industry.height:
            irows = "".join(
                f"<tr><td>{e(n)}</td><td>{_f(v)}</td><td>{d}</td></tr>"
                for n, v, d in r.by_industry.sort("rank_ic_mean", nulls_last=True).iter_rows()
            )
            parts.append(f"<h3>分行业 Rank IC by industry</h3><table>{irows}</table>")
    parts.append("</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
