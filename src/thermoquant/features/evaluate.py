"""Factor evaluation on alphalens' input contract: a (trade_date, symbol) factor frame and forward returns.

Forward returns (:func:`forward_returns`) are those a close-time signal can earn with T+1 execution: bought at
the **next session's open** and sold at the open ``h`` of the stock's traded sessions later (prices adjusted by
the ``pre_close`` chain, :func:`thermoquant.features.bars.adj_factor_from_pre_close`). A (day, stock) has no
forward return — it is not in any cross-section — when the entry is not tradeable: the stock has no bar on the
next session (suspended) or that bar is a one-price limit bar (open = high = low = close at the up or down
limit). A stock at limit-up on the exit day can still be sold, so exits are never excluded. The calendar is the
exchange's (:func:`thermoquant.market.calendar.sessions`), not inferred from the data.

Metrics (:class:`Evaluator`): per date the Pearson IC and the Spearman rank IC between factor and forward return
over the pairs where both exist; their mean, standard deviation, IR = mean / std and t = IR × √days; quantile mean
returns (per date ``quantiles`` bins by rank, then averaged over dates), top-minus-bottom spread (between the
extreme non-empty groups of each date, :func:`top_minus_bottom`); top-quantile
turnover (share of names new to the top quantile from one date to the next); rank-IC decay over horizons
1…``max_horizon``; rank IC by industry (cross-sections within each industry). The kernels are in
:mod:`.evaluate_nb`; :func:`evaluate_reference` is the same computation in plain Polars group-bys (the peer the
benchmark prints, and a check).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from thermoquant.features import evaluate_nb as nb
from thermoquant.features.bars import adj_factor_from_pre_close

LIMIT_TOLERANCE = 0.005
"""A close within this many CNY of the limit price counts as at the limit (prices have two decimals)."""


def _next_sessions(dates: pl.Series) -> pl.Series:
    """The exchange session after each date (the data's own next date where the calendar does not reach)."""
    from thermoquant.market.calendar import sessions

    days = sessions()
    values = dates.cast(pl.Date).to_numpy().astype("datetime64[D]")
    pos = np.searchsorted(days, values, side="right")
    inside = pos < len(days)
    out = np.where(inside, days[np.minimum(pos, len(days) - 1)], np.datetime64("NaT"))
    return pl.Series("next_session", out.astype("datetime64[D]")).cast(pl.Date)


def one_price_limit(quotes: pl.DataFrame) -> pl.Expr:
    """True for a one-price bar at the up or down limit (limits from ``up_limit``/``down_limit`` columns, else
    computed from ``pre_close`` by :func:`thermoquant.market.limits.with_limit_prices` — the caller adds them)."""
    flat = (
        (pl.col("open") == pl.col("high"))
        & (pl.col("high") == pl.col("low"))
        & (pl.col("low") == pl.col("close"))
    )
    at_up = pl.col("close") >= pl.col("up_limit") - LIMIT_TOLERANCE
    at_down = pl.col("close") <= pl.col("down_limit") + LIMIT_TOLERANCE
    return (flat & (at_up | at_down)).fill_null(False)


def forward_returns(quotes: pl.DataFrame, horizons: Sequence[int]) -> pl.DataFrame:
    """(trade_date, symbol, fwd_<h> …): next-open to open-``h``-sessions-later returns (fraction), null where the
    entry is not tradeable (module docstring). ``quotes``: daily_quote rows (open, high, low, close, pre_close,
    volume; optional up_limit, down_limit)."""
    q = quotes.filter(pl.col("volume").fill_null(0) > 0).sort("symbol", "trade_date")
    if "up_limit" not in q.columns or "down_limit" not in q.columns or q["up_limit"].null_count() == q.height:
        from thermoquant.market.limits import with_limit_prices

        q = with_limit_prices(
            q.drop("up_limit", "down_limit", strict=False), prev_close_col="pre_close", date_col="trade_date"
        )
    adj = adj_factor_from_pre_close(q)["adj_factor"]
    q = q.with_columns((pl.col("open") * adj).alias("_open"), one_price_limit(q).alias("_locked"))
    nxt = pl.col("_open").shift(-1).over("symbol")
    entry_ok = (
        (pl.col("trade_date").shift(-1).over("symbol") == _next_sessions(q["trade_date"]))
        & ~pl.col("_locked").shift(-1).over("symbol")
    ).fill_null(False)
    cols = [
        pl.when(entry_ok).then(pl.col("_open").shift(-1 - h).over("symbol") / nxt - 1.0).alias(f"fwd_{h}")
        for h in horizons
    ]
    return q.select("trade_date", "symbol", *cols)


# --------------------------------------------------------------------------------------------- grids
@dataclass(frozen=True)
class Grid:
    """The (dates × symbols) layout every factor and return is scattered into."""

    dates: list[dt.date]
    symbols: list[str]

    @classmethod
    def of(cls, frame: pl.DataFrame) -> Grid:
        return cls(frame["trade_date"].unique().sort().to_list(), frame["symbol"].unique().sort().to_list())

    def index(self, frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(flat position in the row-major (dates × symbols) array, kept) of ``frame``'s rows; rows outside the
        grid are not kept. Raises ValueError when two rows have the same (trade_date, symbol)."""
        d = pl.DataFrame({"trade_date": self.dates, "_i": np.arange(len(self.dates))})
        s = pl.DataFrame({"symbol": self.symbols, "_j": np.arange(len(self.symbols))})
        pos = (
            frame.select("trade_date", "symbol")
            .join(d, on="trade_date", how="left", maintain_order="left")
            .join(s, on="symbol", how="left", maintain_order="left")
        )
        kept = (pos["_i"].is_not_null() & pos["_j"].is_not_null()).to_numpy()
        flat = (pos["_i"].fill_null(0).to_numpy() * len(self.symbols) + pos["_j"].fill_null(0).to_numpy())[
            kept
        ]
        if flat.size and np.bincount(flat, minlength=len(self.dates) * len(self.symbols)).max() > 1:
            raise ValueError("the frame has more than one row for a (trade_date, symbol)")
        return flat, kept

    def scatter(self, frame: pl.DataFrame, column: str, where: tuple | None = None) -> np.ndarray:
        """``column`` of ``frame`` as a (dates × symbols) float64 array (NaN where absent, null or NaN)."""
        return self.scatter_values(
            frame[column].cast(pl.Float64).fill_null(np.nan).to_numpy(), where or self.index(frame)
        )

    def scatter_values(self, values: np.ndarray, where: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """``values`` (one per row of the frame ``where`` = :meth:`index` was taken from) on the grid."""
        flat, kept = where
        chosen = values if kept.all() else values[kept]
        out = nb.scatter_flat(
            np.ascontiguousarray(chosen, dtype=np.float64), flat, len(self.dates) * len(self.symbols)
        )
        return out.reshape(len(self.dates), len(self.symbols))


# --------------------------------------------------------------------------------------------- evaluation
@dataclass
class FactorReport:
    """Everything :class:`Evaluator` measures for one factor (returns are fractions per holding period)."""

    name: str
    horizon: int
    quantiles: int
    daily: pl.DataFrame
    """trade_date, ic, rank_ic, n (pairs) at ``horizon``."""
    summary: dict[str, float]
    """ic_mean, ic_std, ic_ir, ic_t, rank_ic_mean, rank_ic_std, rank_ic_ir, rank_ic_t, days, spread, top_turnover."""
    quantile_returns: list[float]
    """Mean forward return of quantiles 1 (lowest factor) … q."""
    decay: dict[int, float] = field(default_factory=dict)
    """Mean rank IC per horizon."""
    by_industry: pl.DataFrame | None = None
    """industry_name, rank_ic_mean, days."""


def top_minus_bottom(qmeans: np.ndarray) -> float:
    """Mean over dates of (highest non-empty quantile's return − lowest non-empty quantile's return): with a
    discrete factor (a 0/1 flag, an integer score) the extreme quantiles are often empty, and the spread is taken
    between the extreme groups that exist; dates with fewer than two groups are skipped."""
    finite = np.isfinite(qmeans)
    rows = np.arange(qmeans.shape[0])
    first = qmeans[rows, finite.argmax(axis=1)]
    last = qmeans[rows, qmeans.shape[1] - 1 - finite[:, ::-1].argmax(axis=1)]
    spread = np.where(finite.sum(axis=1) >= 2, last - first, np.nan)
    return float(np.nanmean(spread)) if np.isfinite(spread).any() else math.nan


def ic_summary(ic: np.ndarray, prefix: str) -> dict[str, float]:
    """mean, std (ddof 1), IR and t of a daily IC series (NaN days dropped)."""
    x = ic[~np.isnan(ic)]
    n = x.size
    mean = float(x.mean()) if n else math.nan
    std = float(x.std(ddof=1)) if n > 1 else math.nan
    ir = mean / std if n > 1 and std > 0 else math.nan
    return {
        f"{prefix}_mean": mean,
        f"{prefix}_std": std,
        f"{prefix}_ir": ir,
        f"{prefix}_t": ir * math.sqrt(n) if n > 1 else math.nan,
    }


class Evaluator:
    """Forward returns laid out once; then any number of factors evaluated against them.

    Args:
        fwd: :func:`forward_returns` output with ``fwd_<h>`` for every horizon in ``horizons``.
        horizon: the holding period of the IC, quantile and turnover figures [sessions].
        horizons: the rank-IC decay horizons (each must be in ``fwd``).
        quantiles: bins per date.
        min_obs: fewest pairs for a date's IC.
        industry: optional (symbol, trade_date, industry_name) for the by-industry rank IC.
    """

    def __init__(
        self,
        fwd: pl.DataFrame,
        *,
        horizon: int = 1,
        horizons: Sequence[int] = (),
        quantiles: int = 5,
        min_obs: int = 10,
        industry: pl.DataFrame | None = None,
    ) -> None:
        self.grid = Grid.of(fwd)
        self.horizon, self.quantiles, self.min_obs = horizon, quantiles, min_obs
        self.horizons = sorted({horizon, *horizons})
        where = self.grid.index(fwd)
        self.returns = {h: self.grid.scatter(fwd, f"fwd_{h}", where) for h in self.horizons}
        self.orders = {h: nb.argsort_rows(r) for h, r in self.returns.items()}
        self.industry = None
        if industry is not None and industry.height:
            ind = industry.join(fwd.select("trade_date", "symbol"), on=["trade_date", "symbol"], how="inner")
            names = ind["industry_name"].drop_nulls().unique().sort().to_list()
            codes = ind.with_columns(
                pl.col("industry_name")
                .replace_strict(names, list(range(len(names))), default=None)
                .alias("_c")
            )
            self.industry = (names, self.grid.scatter(codes, "_c"))

    def factor_grid(self, factor: pl.DataFrame, name: str) -> np.ndarray:
        """Column ``name`` of ``factor`` on the grid; the positions of a frame are computed once and reused for
        its other columns (the frame last seen is kept)."""
        cached = getattr(self, "_where", None)
        if cached is None or cached[0] is not factor:
            self._where = (factor, self.grid.index(factor))
        return self.grid.scatter(factor, name, self._where[1])

    def evaluate(self, factor: pl.DataFrame, name: str, *, decay: bool = True) -> FactorReport:
        """The report of column ``name`` of ``factor`` (trade_date, symbol, name)."""
        return self.evaluate_grid(self.factor_grid(factor, name), name, decay=decay)

    def evaluate_grid(self, f: np.ndarray, name: str, *, decay: bool = True) -> FactorReport:
        """The report of a factor already laid out on :attr:`grid` (dates × symbols, NaN = missing)."""
        f = np.ascontiguousarray(f, dtype=np.float64)
        f_order = nb.argsort_rows(f)
        h = self.horizon
        r = self.returns[h]
        ic, ric, cnt, quant, qmeans = nb.evaluate_rows(
            f, f_order, r, self.orders[h], self.min_obs, self.quantiles
        )
        with np.errstate(all="ignore"):
            qret = [
                float(np.nanmean(qmeans[:, b])) if np.isfinite(qmeans[:, b]).any() else math.nan
                for b in range(self.quantiles)
            ]
        turnover = nb.top_turnover(quant, self.quantiles)
        summary = {
            **ic_summary(ic, "ic"),
            **ic_summary(ric, "rank_ic"),
            "days": float(np.isfinite(ric).sum()),
        }
        summary["spread"] = top_minus_bottom(qmeans)
        summary["top_turnover"] = float(np.nanmean(turnover)) if np.isfinite(turnover).any() else math.nan
        daily = pl.DataFrame(
            {"trade_date": self.grid.dates, "ic": ic, "rank_ic": ric, "n": cnt},
            schema_overrides={"trade_date": pl.Date},
        ).with_columns(pl.col("ic").fill_nan(None), pl.col("rank_ic").fill_nan(None))
        report = FactorReport(name, h, self.quantiles, daily, summary, qret)
        if decay:
            for k in self.horizons:
                rk = (
                    ric
                    if k == h
                    else nb.ic_rows(f, f_order, self.returns[k], self.orders[k], self.min_obs)[1]
                )
                report.decay[k] = ic_summary(rk, "x")["x_mean"]
        if self.industry is not None:
            report.by_industry = self._by_industry(f, f_order, r, h)
        return report

    def _by_industry(self, f: np.ndarray, f_order: np.ndarray, r: np.ndarray, h: int) -> pl.DataFrame:
        """Rank IC within each industry's cross-sections. The whole market's sort order serves every industry: the
        rank walk skips the names that are not in it (NaN there)."""
        assert self.industry is not None
        names, codes = self.industry
        rows = []
        for c, name in enumerate(names):
            fi = np.where(codes == c, f, np.nan)
            _, ric, _ = nb.ic_rows(fi, f_order, r, self.orders[h], self.min_obs)
            s = ic_summary(ric, "rank_ic")
            rows.append((name, s["rank_ic_mean"], int(np.isfinite(ric).sum())))
        return pl.DataFrame(
            rows,
            schema={"industry_name": pl.Utf8, "rank_ic_mean": pl.Float64, "days": pl.Int64},
            orient="row",
        ).with_columns(pl.col("rank_ic_mean").fill_nan(None))


def evaluate_reference(
    factor: pl.DataFrame, name: str, fwd: pl.DataFrame, horizon: int, quantiles: int, min_obs: int = 10
) -> dict[str, object]:
    """The same daily IC, rank IC, quantile returns and spread as :meth:`Evaluator.evaluate`, computed with Polars
    group-bys (join, rank per date, correlate per date): the benchmark's peer and a cross-check."""
    r = f"fwd_{horizon}"
    x = (
        factor.select("trade_date", "symbol", pl.col(name).cast(pl.Float64).fill_nan(None).alias("f"))
        .join(fwd.select("trade_date", "symbol", pl.col(r).alias("r")), on=["trade_date", "symbol"])
        .drop_nulls()
        .with_columns(
            pl.col("f").rank("average").over("trade_date").alias("fr"),
            pl.col("r").rank("average").over("trade_date").alias("rr"),
            pl.len().over("trade_date").alias("k"),
        )
    )
    daily = (
        x.group_by("trade_date")
        .agg(pl.corr("f", "r").alias("ic"), pl.corr("fr", "rr").alias("rank_ic"), pl.len().alias("n"))
        .filter(pl.col("n") >= min_obs)
        .sort("trade_date")
    )
    q = x.with_columns(((pl.col("fr") - 1) * quantiles / pl.col("k")).floor().cast(pl.Int32).alias("q") + 1)
    qret = (
        q.group_by("trade_date", "q").agg(pl.col("r").mean()).group_by("q").agg(pl.col("r").mean()).sort("q")
    )
    return {"daily": daily, "quantile_returns": qret["r"].to_list(), "spread": qret["r"][-1] - qret["r"][0]}
