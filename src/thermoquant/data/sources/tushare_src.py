"""Tushare Pro adapter (token required; per-minute quotas by points tier).

The client is Tushare's `DataApi` (what `tushare.pro_api(token)` returns): every endpoint is
`client.query(api_name, fields='', **params)` returning a pandas frame built from the JSON `fields`/`items`, newest
row first, dates as 'YYYYMMDD' strings. Units, from Tushare's documentation and the installed client:

* `daily`, `index_daily`, `fund_daily`: vol in 手 (×100 → shares), amount in 千元 (×1000 → CNY), pre_close given.
* `daily_basic`: turnover_rate in % (on float shares), float_share / total_share in 万股 (×10⁴ → shares);
  `stk_limit`: up_limit / down_limit in CNY. Both joined onto `daily` when `daily_extras=True` (the default).
* `fund_share`: fd_share in 万份 (×10⁴ → shares).
* `index_weight`: weight in %, trade_date = the vendor's (month-end) snapshot date.
* `adj_factor`: daily cumulative factor (hfq price = raw × factor).
* `moneyflow`: amounts in 万元 (×10⁴ → CNY); main = large + extra-large.
* `fina_indicator`: ratios in %, eps/bps in CNY; ann_date makes it point in time.

The token comes from the constructor or `settings.tushare_token` (`TQ_TUSHARE_TOKEN`); it is held only inside the
client, never put in an error message (:meth:`TushareSource.redact`) or a log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, ClassVar

import polars as pl

from thermoquant.data.sources.base import (
    Capability,
    RateLimiter,
    RetryPolicy,
    SourceError,
    SourceUnavailableError,
    conform,
    ensure_date,
    normalize_symbol_column,
    rename_checked,
    require_capability,
    retry,
    to_polars,
    with_board_columns,
    yyyymmdd,
)
from thermoquant.market.symbols import normalize_symbol

# Calls per minute by points tier (积分), per endpoint, as Tushare publishes them (approximate; set your own with
# `per_minute=`). The limiter is shared by all endpoints of one source object, which is the conservative reading.
TUSHARE_TIER_PER_MINUTE: dict[int, int] = {120: 50, 2000: 200, 5000: 500, 10000: 1000}
DEFAULT_TIER = 2000

log = logging.getLogger(__name__)

LOTS = 100.0  # shares per 手
KILO = 1000.0  # CNY per 千元
WAN = 10_000.0  # per 万

# Endpoints joined onto `daily` when daily_extras=True: (api, vendor → our columns, our column → unit factor).
EXTRAS: tuple[tuple[str, dict[str, str], dict[str, float]], ...] = (
    (
        "daily_basic",
        {
            "trade_date": "trade_date",
            "turnover_rate": "turnover",
            "float_share": "float_shares",
            "total_share": "total_shares",
        },
        {"float_shares": WAN, "total_shares": WAN},
    ),
    ("stk_limit", {"trade_date": "trade_date", "up_limit": "up_limit", "down_limit": "down_limit"}, {}),
)


def _bars(raw: pl.DataFrame, source: str, dataset: str, key: str) -> pl.DataFrame:
    mapping = {
        "ts_code": key,
        "trade_date": "trade_date",
        "open": "open",
        "high": "high",
        "low": "low",
        "close": "close",
        "pre_close": "pre_close",
        "vol": "volume",
        "amount": "amount",
    }
    out = ensure_date(rename_checked(raw, mapping, source, dataset), "trade_date")
    return out.with_columns(
        (pl.col("volume").cast(pl.Float64) * LOTS).alias("volume"),
        (pl.col("amount").cast(pl.Float64) * KILO).alias("amount"),
    )


class TushareSource:
    """Tushare Pro (https://tushare.pro): the deepest history, paid by points."""

    name = "tushare"

    capabilities: ClassVar[dict[str, Capability]] = {
        c.dataset: c
        for c in (
            Capability(
                "stock_info",
                "stock_basic (L, D and P list statuses)",
                split="whole",
                needs_symbols=False,
                units="industry = Tushare's own classification; list/delist dates",
                rate_limit="stock_basic: a few calls per hour on low tiers",
            ),
            Capability(
                "daily_quote",
                "daily + daily_basic + stk_limit (daily_extras=True)",
                history="from 1990",
                units="vol 手 ×100; amount 千元 ×1000; float/total_share 万股 ×10⁴; turnover_rate %; limits CNY",
            ),
            Capability("adj_factor", "adj_factor", history="from 1990", units="daily cumulative factor"),
            Capability(
                "index_daily",
                "index_daily",
                history="from index launch",
                units="vol 手 ×100; amount 千元 ×1000",
            ),
            Capability(
                "index_weight",
                "index_weight",
                history="monthly snapshots",
                units="weight %; effective_date = the trading day after the snapshot (trade_date)",
            ),
            Capability("etf_daily", "fund_daily", units="vol 手 ×100; amount 千元 ×1000"),
            Capability("fund_share", "fund_share", units="fd_share 万份 ×10⁴ → shares"),
            Capability("funds_flow", "moneyflow", units="amounts 万元 ×10⁴; main = lg + elg"),
            Capability(
                "finance_data",
                "fina_indicator",
                units="ratios %; eps, bps CNY; point in time by ann_date",
                rate_limit="needs 2000 points",
            ),
        )
    }

    def __init__(
        self,
        client: Any | None = None,
        *,
        token: str | None = None,
        tier: int = DEFAULT_TIER,
        per_minute: float | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        daily_extras: bool = True,
    ) -> None:
        self._client = client
        self.daily_extras = daily_extras
        self._token = token
        rate = per_minute if per_minute is not None else TUSHARE_TIER_PER_MINUTE.get(tier)
        if rate is None:
            raise ValueError(f"unknown Tushare points tier {tier}; known: {sorted(TUSHARE_TIER_PER_MINUTE)}")
        limiter_opts: dict[str, Any] = {}
        if sleep is not None:
            limiter_opts["sleep"] = sleep
        if clock is not None:
            limiter_opts["clock"] = clock
        self.limiter = RateLimiter(per_minute=rate, **limiter_opts)
        self.retry_policy = retry_policy or RetryPolicy(base_delay=2.0, max_delay=60.0)
        self._sleep = sleep

    def _resolve_token(self) -> str:
        if self._token:
            return self._token
        from thermoquant.config import get_settings

        secret = get_settings().tushare_token
        if secret is None or not secret.get_secret_value():
            raise SourceUnavailableError(
                self.name,
                "*",
                "no Tushare token: set TQ_TUSHARE_TOKEN or tushare_token in tq.toml (see docs/ingest.zh.md)",
            )
        return secret.get_secret_value()

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                import tushare
            except ImportError as exc:  # pragma: no cover - dependency
                raise SourceUnavailableError(self.name, "*", "the tushare package is not installed") from exc
            self._client = tushare.pro_api(self._resolve_token())
        return self._client

    def redact(self, text: str) -> str:
        """`text` with the token (if known) replaced by ***."""
        token = self._token
        if token is None:
            try:
                from thermoquant.config import get_settings

                secret = get_settings().tushare_token
                token = secret.get_secret_value() if secret is not None else None
            except Exception:
                token = None
        return text.replace(token, "***") if token else text

    def _query(self, dataset: str, api_name: str, fields: str = "", **params: Any) -> pl.DataFrame:
        client = self.client

        def call() -> Any:
            self.limiter.acquire()
            return client.query(api_name, fields=fields, **params)

        opts: dict[str, Any] = {} if self._sleep is None else {"sleep": self._sleep}
        try:
            raw = retry(call, self.retry_policy, **opts)
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(self.name, dataset, f"{api_name} failed: {self.redact(str(exc))}") from None
        return to_polars(raw, self.name, dataset)

    def fetch(
        self,
        dataset: str,
        *,
        symbols: Sequence[str] | None = None,
        start: date | None = None,
        end: date | None = None,
        **kw: Any,
    ) -> pl.DataFrame:
        """Rows of `dataset` in our schema; per-symbol endpoints are called once per symbol."""
        cap = require_capability(self, dataset)
        if cap.needs_symbols and not symbols:
            raise SourceError(self.name, dataset, "needs symbols (e.g. --symbols 600000.SH)")
        handler: Callable[..., pl.DataFrame] = getattr(self, f"_{dataset}")
        if cap.needs_symbols:
            parts = [handler(normalize_symbol(s), start, end) for s in symbols or ()]
            parts = [p for p in parts if p.height]
            frame = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()
        else:
            frame = handler(symbols, start, end)
        if frame.width == 0:
            return conform(pl.DataFrame(), dataset, self.name)
        date_col = {"stock_info": None, "index_weight": "effective_date", "finance_data": "ann_date"}
        return conform(
            frame, dataset, self.name, start=start, end=end, date_col=date_col.get(dataset, "trade_date")
        )

    def _range(self, start: date | None, end: date | None) -> dict[str, str]:
        return {"start_date": yyyymmdd(start, ""), "end_date": yyyymmdd(end, "")}

    def _stock_info(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        fields = "ts_code,symbol,name,area,industry,market,list_date,delist_date,list_status"
        parts = []
        for status in ("L", "D", "P"):
            raw = self._query("stock_info", "stock_basic", exchange="", list_status=status, fields=fields)
            if raw.height:
                parts.append(raw)
        if not parts:
            return pl.DataFrame()
        raw = pl.concat(parts, how="diagonal_relaxed")
        mapping = {
            "ts_code": "symbol",
            "name": "name",
            "industry": "industry",
            "list_date": "list_date",
            "delist_date": "delist_date",
        }
        out = rename_checked(raw, mapping, self.name, "stock_info", optional=("delist_date",))
        out = ensure_date(ensure_date(out, "list_date"), "delist_date")
        out = with_board_columns(normalize_symbol_column(out))
        if symbols:
            out = out.filter(pl.col("symbol").is_in([normalize_symbol(s) for s in symbols]))
        return out.with_columns(
            pl.lit("tushare").alias("industry_source"), pl.lit(datetime.now()).alias("updated_at")
        )

    def _daily_quote(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._query("daily_quote", "daily", ts_code=symbol, **self._range(start, end))
        if raw.height == 0:
            return raw
        bars = _bars(raw, self.name, "daily_quote", "symbol").with_columns(
            pl.lit(False).alias("is_suspended")
        )
        if not self.daily_extras:
            return bars
        return bars.join(self._daily_extras(symbol, start, end), on="trade_date", how="left")

    def _daily_extras(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        """Turnover and share counts (`daily_basic`) and limit prices (`stk_limit`) by trade_date.

        These endpoints need more points than `daily`; when one is refused the bars are kept and its columns stay
        null (logged), rather than failing the item.
        """
        out = pl.DataFrame(schema={"trade_date": pl.Date})
        for api, mapping, scale in EXTRAS:
            try:
                raw = self._query("daily_quote", api, ts_code=symbol, **self._range(start, end))
            except SourceError as exc:
                log.warning("tushare %s for %s unavailable, columns left null: %s", api, symbol, exc)
                continue
            if raw.height == 0:
                continue
            part = ensure_date(rename_checked(raw, mapping, self.name, "daily_quote"), "trade_date")
            values = [c for c in mapping.values() if c != "trade_date"]
            part = part.with_columns([pl.col(c).cast(pl.Float64) * scale.get(c, 1.0) for c in values])
            out = out.join(
                part.unique(subset=["trade_date"], keep="last"), on="trade_date", how="full", coalesce=True
            )
        return out

    def _index_daily(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._query("index_daily", "index_daily", ts_code=symbol, **self._range(start, end))
        return raw if raw.height == 0 else _bars(raw, self.name, "index_daily", "index_code")

    def _etf_daily(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._query("etf_daily", "fund_daily", ts_code=symbol, **self._range(start, end))
        return raw if raw.height == 0 else _bars(raw, self.name, "etf_daily", "symbol")

    def _adj_factor(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._query("adj_factor", "adj_factor", ts_code=symbol, **self._range(start, end))
        if raw.height == 0:
            return raw
        mapping = {"ts_code": "symbol", "trade_date": "trade_date", "adj_factor": "adj_factor"}
        return ensure_date(rename_checked(raw, mapping, self.name, "adj_factor"), "trade_date")

    def _fund_share(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._query("fund_share", "fund_share", ts_code=symbol, **self._range(start, end))
        if raw.height == 0:
            return raw
        mapping = {"ts_code": "symbol", "trade_date": "trade_date", "fd_share": "fd_share"}
        out = ensure_date(rename_checked(raw, mapping, self.name, "fund_share"), "trade_date")
        return out.with_columns(pl.col("fd_share").cast(pl.Float64) * WAN)

    def _index_weight(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        from thermoquant.market.calendar import next_trading_day

        raw = self._query("index_weight", "index_weight", index_code=symbol, **self._range(start, end))
        if raw.height == 0:
            return raw
        mapping = {
            "index_code": "index_code",
            "con_code": "symbol",
            "trade_date": "snapshot_date",
            "weight": "weight",
        }
        out = ensure_date(rename_checked(raw, mapping, self.name, "index_weight"), "snapshot_date")
        snaps = out["snapshot_date"].unique().to_list()
        effective = {d: next_trading_day(d) for d in snaps}
        return normalize_symbol_column(out).with_columns(
            pl.col("snapshot_date").replace_strict(effective, return_dtype=pl.Date).alias("effective_date"),
            pl.col("weight").cast(pl.Float64),
        )

    def _funds_flow(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._query("funds_flow", "moneyflow", ts_code=symbol, **self._range(start, end))
        if raw.height == 0:
            return raw
        need = ["trade_date", "buy_sm_amount", "sell_sm_amount", "buy_md_amount", "sell_md_amount"]
        need += ["buy_lg_amount", "sell_lg_amount", "buy_elg_amount", "sell_elg_amount"]
        out = rename_checked(raw, {c: c for c in need}, self.name, "funds_flow")
        out = ensure_date(out, "trade_date").with_columns(pl.col(need[1:]).cast(pl.Float64) * WAN)
        return out.select(
            pl.lit("stock").alias("scope"),
            pl.lit(symbol).alias("code"),
            "trade_date",
            (pl.col("buy_elg_amount") - pl.col("sell_elg_amount")).alias("xl_net"),
            (pl.col("buy_lg_amount") - pl.col("sell_lg_amount")).alias("l_net"),
            (pl.col("buy_md_amount") - pl.col("sell_md_amount")).alias("m_net"),
            (pl.col("buy_sm_amount") - pl.col("sell_sm_amount")).alias("s_net"),
        ).with_columns((pl.col("xl_net") + pl.col("l_net")).alias("main_net"))

    def _finance_data(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._query("finance_data", "fina_indicator", ts_code=symbol, **self._range(start, end))
        if raw.height == 0:
            return raw
        mapping = {
            "ts_code": "symbol",
            "end_date": "report_period",
            "ann_date": "ann_date",
            "roe": "roe",
            "roa": "roa",
            "eps": "eps",
            "bps": "bps",
            "grossprofit_margin": "gross_margin",
            "netprofit_margin": "net_margin",
            "or_yoy": "revenue_yoy",
            "netprofit_yoy": "profit_yoy",
            "debt_to_assets": "debt_ratio",
            "current_ratio": "current_ratio",
            "quick_ratio": "quick_ratio",
        }
        optional = [k for k in mapping if k not in ("ts_code", "end_date", "ann_date")]
        out = rename_checked(raw, mapping, self.name, "finance_data", optional=optional)
        return ensure_date(ensure_date(out, "report_period"), "ann_date")
