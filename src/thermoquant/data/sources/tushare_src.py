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
* `trade_cal`: one row per calendar day (exchange, cal_date 'YYYYMMDD', is_open 0/1 — int, or '0'/'1' text as
  the documentation types it — pretrade_date), the SSE calendar asked for (the A-share sessions).
* `moneyflow_hsgt`: hgt / sgt / north_money in 百万元 (×10⁶); `margin_detail`: 元 and shares; `block_trade`: vol
  万股 and amount 万元 (×10⁴); `moneyflow_ind_dc`: 元. The whole-market ones are called once per trading day.

The token comes from the constructor or `settings.tushare_token` (`TQ_TUSHARE_TOKEN`); it is held only inside the
client and masked (:func:`thermoquant.secrets.mask`) in every error message and log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, ClassVar

import polars as pl

from thermoquant.data.sources.adapter import VendorSource, import_vendor
from thermoquant.data.sources.base import (
    Capability,
    RateLimiter,
    RetryPolicy,
    SourceError,
    SourceUnavailableError,
    capability_table,
)
from thermoquant.data.sources.frames import (
    OHLC,
    block_trade_sequence,
    concat_parts,
    keep_symbols,
    map_columns,
    same_names,
    stock_info_rows,
    to_polars,
    yyyymmdd,
)
from thermoquant.data.trade_calendar import from_flags
from thermoquant.secrets import mask, remember

# Calls per minute by points tier (积分), per endpoint, as Tushare publishes them (approximate; set your own with
# `per_minute=`). The limiter is shared by all endpoints of one source object, which is the conservative reading.
TUSHARE_TIER_PER_MINUTE: dict[int, int] = {120: 50, 2000: 200, 5000: 500, 10000: 1000}
DEFAULT_TIER = 2000

log = logging.getLogger(__name__)

LOTS = 100.0  # shares per 手
KILO = 1000.0  # CNY per 千元
WAN = 10_000.0  # per 万

# `daily`, `index_daily`, `fund_daily` → our bars (the code column is added per dataset).
TS_BAR_COLUMNS: dict[str, str] = {**same_names("trade_date", *OHLC, "pre_close", "amount"), "vol": "volume"}
TS_BAR_UNITS: dict[str, float] = {"volume": LOTS, "amount": KILO}

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
    ("stk_limit", same_names("trade_date", "up_limit", "down_limit"), {}),
)

# `moneyflow` order sizes → our net columns (buy − sell of that size, 万元).
FLOW_SIZES: dict[str, str] = {"elg": "xl_net", "lg": "l_net", "md": "m_net", "sm": "s_net"}

TS_CALENDAR_EXCHANGE = "SSE"  # trade_cal's exchange for the A-share sessions (SZSE answers the same days)

# `moneyflow_hsgt` net columns (百万元) → our north_flow channel.
HSGT_CHANNELS: dict[str, str] = {"hgt": "sh", "sgt": "sz", "north_money": "total"}
MILLION = 1e6
TS_MARGIN_COLUMNS: dict[str, str] = {
    "ts_code": "symbol",
    "trade_date": "trade_date",
    "rzye": "fin_balance",
    "rzmre": "fin_buy",
    "rqye": "sec_balance",
    "rqmcl": "sec_sell_volume",
}
TS_BLOCK_COLUMNS: dict[str, str] = {
    "ts_code": "symbol",
    **same_names("trade_date", "price", "buyer", "seller"),
    "vol": "volume",
    "amount": "amount",
}
# `moneyflow_ind_dc` → funds_flow (amounts already in 元).
TS_IND_FLOW_COLUMNS: dict[str, str] = {
    "trade_date": "trade_date",
    "name": "code",
    "net_amount": "main_net",
    "buy_elg_amount": "xl_net",
    "buy_lg_amount": "l_net",
    "buy_md_amount": "m_net",
    "buy_sm_amount": "s_net",
    "net_amount_rate": "main_net_pct",
}

TS_FINANCE_FIELDS: dict[str, str] = {
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


def configured_token(*, quiet: bool = False) -> str | None:
    """The Tushare token of the settings (`tushare_token`, env `TQ_TUSHARE_TOKEN`), or None when unset.

    `quiet=True` also gives None when the settings cannot be read.
    """
    from thermoquant.config import get_settings

    try:
        secret = get_settings().tushare_token
    except Exception:
        if quiet:
            return None
        raise
    return (secret.get_secret_value() or None) if secret is not None else None


class TushareSource(VendorSource):
    """Tushare Pro (https://tushare.pro): the deepest history, paid by points."""

    name = "tushare"
    retry_defaults: ClassVar[dict[str, Any]] = {"base_delay": 2.0, "max_delay": 60.0}

    capabilities: ClassVar[dict[str, Capability]] = capability_table(
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
        Capability(
            "north_flow",
            "moneyflow_hsgt",
            split="range",
            needs_symbols=False,
            units="hgt / sgt / north_money 百万元 ×10⁶ → net_buy (channel sh, sz, total); no buy/sell split",
            rate_limit="needs 2000 points; 300 rows per call",
        ),
        Capability(
            "margin_detail",
            "margin_detail (one call per trading day)",
            split="range",
            needs_symbols=False,
            units="rzye, rzmre, rqye 元; rqmcl shares",
            rate_limit="needs 2000 points; 6000 rows per call",
        ),
        Capability(
            "industry_flow",
            "moneyflow_ind_dc(content_type='行业') (Eastmoney boards via Tushare; one call per trading day)",
            split="range",
            needs_symbols=False,
            units="net amounts 元; net_amount_rate %; code = Eastmoney industry name (as AKShare)",
            rate_limit="needs 5000 points",
        ),
        Capability(
            "industry_member",
            "index_member_all per Shenwan 2021 level-1 code, current (is_new=Y) and former (is_new=N) members",
            split="whole",
            needs_symbols=False,
            units="classification sw2021_l1; start_date = in_date, end_date = out_date (null while in force)",
            rate_limit="needs 2000 points; 2000 rows per call (62 calls)",
        ),
        Capability(
            "block_trade",
            "block_trade (one call per trading day)",
            split="range",
            needs_symbols=False,
            units="price CNY; vol 万股 ×10⁴ → shares; amount 万元 ×10⁴ → CNY; no close → premium_pct null",
            rate_limit="needs 300 points; 1000 rows per call",
        ),
        Capability(
            "trade_calendar",
            "trade_cal(exchange='SSE')",
            split="whole",
            needs_symbols=False,
            history="1990-12-19 to the end of the last year announced (the next year once the holiday notice is out)",
            units="one row per calendar day: cal_date YYYYMMDD, is_open 0/1 (SZSE and BSE share the SSE sessions)",
            rate_limit="needs 2000 points (Tushare's documentation)",
        ),
    )

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
        super().__init__(client, retry_policy=retry_policy, sleep=sleep)
        self.daily_extras = daily_extras
        self._token = token
        remember(token)
        rate = per_minute if per_minute is not None else TUSHARE_TIER_PER_MINUTE.get(tier)
        if rate is None:
            raise ValueError(f"unknown Tushare points tier {tier}; known: {sorted(TUSHARE_TIER_PER_MINUTE)}")
        limiter_opts: dict[str, Any] = {}
        if sleep is not None:
            limiter_opts["sleep"] = sleep
        if clock is not None:
            limiter_opts["clock"] = clock
        self.limiter = RateLimiter(per_minute=rate, **limiter_opts)

    def _resolve_token(self) -> str:
        token = self._token or configured_token()
        if not token:
            raise SourceUnavailableError(
                self.name,
                "*",
                "no Tushare token: set TQ_TUSHARE_TOKEN or tushare_token in tq.toml (see docs/ingest.zh.md)",
            )
        return token

    def _load_client(self) -> Any:
        tushare = import_vendor(self.name, "tushare")
        return tushare.pro_api(self._resolve_token())

    def redact(self, text: str) -> str:
        """`text` with the token (this source's, else the configured one) and every other secret masked."""
        return mask(text, self._token or configured_token(quiet=True))

    def _query(self, dataset: str, api_name: str, fields: str = "", **params: Any) -> pl.DataFrame:
        client = self.client

        def call() -> Any:
            self.limiter.acquire()
            return client.query(api_name, fields=fields, **params)

        try:
            raw = self._retried(call)
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(self.name, dataset, f"{api_name} failed: {self.redact(str(exc))}") from None
        return to_polars(raw, self.name, dataset)

    def _by_code(
        self,
        dataset: str,
        api_name: str,
        code: str,
        start: date | None,
        end: date | None,
        arg: str = "ts_code",
    ) -> pl.DataFrame:
        """One endpoint for one code (passed as `arg`) over [start, end]."""
        dates = {"start_date": yyyymmdd(start, ""), "end_date": yyyymmdd(end, "")}
        return self._query(dataset, api_name, **{arg: code}, **dates)

    def _bars(
        self, dataset: str, api_name: str, symbol: str, start: date | None, end: date | None, key: str
    ) -> pl.DataFrame:
        raw = self._by_code(dataset, api_name, symbol, start, end)
        return map_columns(raw, {"ts_code": key, **TS_BAR_COLUMNS}, self.name, dataset, units=TS_BAR_UNITS)

    def _stock_info(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        fields = "ts_code,symbol,name,area,industry,market,list_date,delist_date,list_status"
        raw = concat_parts(
            self._query("stock_info", "stock_basic", exchange="", list_status=status, fields=fields)
            for status in ("L", "D", "P")
        )
        mapping = {
            "ts_code": "symbol",
            "name": "name",
            "industry": "industry",
            "list_date": "list_date",
            "delist_date": "delist_date",
        }
        out = map_columns(
            raw,
            mapping,
            self.name,
            "stock_info",
            optional=("delist_date",),
            constants={"industry_source": "tushare"},
        )
        return stock_info_rows(out, symbols)

    def _daily_quote(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        bars = self._bars("daily_quote", "daily", symbol, start, end, "symbol")
        bars = bars.with_columns(pl.lit(False).alias("is_suspended"))
        if bars.height == 0 or not self.daily_extras:
            return bars
        return bars.join(self._daily_extras(symbol, start, end), on="trade_date", how="left")

    def _daily_extras(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        """Turnover and share counts (`daily_basic`) and limit prices (`stk_limit`) by trade_date.

        These endpoints need more points than `daily`; when one is refused the bars are kept and its columns stay
        null (logged), rather than failing the item.
        """
        out = pl.DataFrame(schema={"trade_date": pl.Date})
        for api, mapping, units in EXTRAS:
            try:
                raw = self._by_code("daily_quote", api, symbol, start, end)
            except SourceError as exc:
                log.warning("tushare %s for %s unavailable, columns left null: %s", api, symbol, exc)
                continue
            part = map_columns(raw, mapping, self.name, "daily_quote", units=units)
            out = out.join(
                part.unique(subset=["trade_date"], keep="last"), on="trade_date", how="full", coalesce=True
            )
        return out

    def _index_daily(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        return self._bars("index_daily", "index_daily", symbol, start, end, "index_code")

    def _etf_daily(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        return self._bars("etf_daily", "fund_daily", symbol, start, end, "symbol")

    def _adj_factor(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._by_code("adj_factor", "adj_factor", symbol, start, end)
        mapping = {"ts_code": "symbol", **same_names("trade_date", "adj_factor")}
        return map_columns(raw, mapping, self.name, "adj_factor")

    def _fund_share(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._by_code("fund_share", "fund_share", symbol, start, end)
        mapping = {"ts_code": "symbol", **same_names("trade_date", "fd_share")}
        return map_columns(raw, mapping, self.name, "fund_share", units={"fd_share": WAN})

    def _index_weight(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        from thermoquant.market.calendar import next_trading_day

        raw = self._by_code("index_weight", "index_weight", symbol, start, end, arg="index_code")
        mapping = {
            "index_code": "index_code",
            "con_code": "symbol",
            "trade_date": "snapshot_date",
            "weight": "weight",
        }
        out = map_columns(raw, mapping, self.name, "index_weight")
        effective = {d: next_trading_day(d) for d in out["snapshot_date"].drop_nulls().unique().to_list()}
        return out.with_columns(
            pl.col("snapshot_date").replace_strict(effective, return_dtype=pl.Date).alias("effective_date")
        )

    def _funds_flow(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._by_code("funds_flow", "moneyflow", symbol, start, end)
        amounts = [f"{side}_{size}_amount" for size in FLOW_SIZES for side in ("buy", "sell")]
        nets = [
            (pl.col(f"buy_{size}_amount") - pl.col(f"sell_{size}_amount")).alias(net)
            for size, net in FLOW_SIZES.items()
        ]
        return map_columns(
            raw,
            same_names("trade_date", *amounts),
            self.name,
            "funds_flow",
            units=dict.fromkeys(amounts, WAN),
            constants={"scope": "stock", "code": symbol},
            derived=[*nets, (pl.col("xl_net") + pl.col("l_net")).alias("main_net")],
        )

    def _finance_data(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._by_code("finance_data", "fina_indicator", symbol, start, end)
        mapping = {
            "ts_code": "symbol",
            "end_date": "report_period",
            "ann_date": "ann_date",
            **TS_FINANCE_FIELDS,
        }
        return map_columns(raw, mapping, self.name, "finance_data", optional=TS_FINANCE_FIELDS)

    def _per_trading_day(
        self, dataset: str, api_name: str, start: date | None, end: date | None, **params: Any
    ) -> pl.DataFrame:
        """One whole-market call per trading day of [start, end] (keeps each answer under the row cap)."""
        from thermoquant.market.calendar import trading_days

        if start is None or end is None:
            raise SourceError(self.name, dataset, "needs --start and --end (one call per trading day)")
        return concat_parts(
            self._query(dataset, api_name, trade_date=yyyymmdd(day, ""), **params)
            for day in trading_days(start, end)
        )

    def _north_flow(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        raw = self._query(
            "north_flow", "moneyflow_hsgt", start_date=yyyymmdd(start, ""), end_date=yyyymmdd(end, "")
        )
        wide = map_columns(
            raw,
            {"trade_date": "trade_date", **same_names(*HSGT_CHANNELS)},
            self.name,
            "north_flow",
            units=dict.fromkeys(HSGT_CHANNELS, MILLION),
        )
        out = wide.unpivot(
            index="trade_date", on=list(HSGT_CHANNELS), variable_name="channel", value_name="net_buy"
        )
        out = out.with_columns(pl.col("channel").replace_strict(HSGT_CHANNELS, return_dtype=pl.Utf8))
        if symbols:
            out = out.filter(pl.col("channel").is_in(list(symbols)))
        return out

    def _margin_detail(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        raw = self._per_trading_day("margin_detail", "margin_detail", start, end)
        return keep_symbols(map_columns(raw, TS_MARGIN_COLUMNS, self.name, "margin_detail"), symbols)

    def _industry_flow(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        raw = self._per_trading_day("industry_flow", "moneyflow_ind_dc", start, end, content_type="行业")
        out = map_columns(
            raw, TS_IND_FLOW_COLUMNS, self.name, "industry_flow", constants={"scope": "industry"}
        )
        return out.filter(pl.col("code").is_in(list(symbols))) if symbols else out

    def _industry_member(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        """Shenwan 2021 level-1 membership with in/out dates: ``index_member_all`` for each level-1 code, current
        and former members (the endpoint answers current ones unless ``is_new='N'``)."""
        from thermoquant.market.sw_industry import SW2021, SW2021_L1

        mapping = {"ts_code": "symbol", "l1_code": "industry_code", "l1_name": "industry_name",
                   "in_date": "start_date", "out_date": "end_date"}  # fmt: skip
        parts = [
            map_columns(
                self._query("industry_member", "index_member_all", l1_code=f"{code}.SI", is_new=flag),
                mapping, self.name, "industry_member", optional=("out_date",),
                constants={"classification": SW2021},
                derived=[pl.col("industry_code").str.replace(r"\.SI$", "")],
            )
            for code in SW2021_L1
            for flag in ("Y", "N")
        ]  # fmt: skip
        return keep_symbols(concat_parts(parts), symbols)

    def _block_trade(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        raw = self._per_trading_day("block_trade", "block_trade", start, end)
        out = map_columns(
            raw, TS_BLOCK_COLUMNS, self.name, "block_trade", units={"volume": WAN, "amount": WAN}
        )
        return keep_symbols(block_trade_sequence(out), symbols)

    def _trade_calendar(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        raw = self._query(
            "trade_calendar",
            "trade_cal",
            exchange=TS_CALENDAR_EXCHANGE,
            start_date=yyyymmdd(start, ""),
            end_date=yyyymmdd(end, ""),
            fields="exchange,cal_date,is_open,pretrade_date",
        )
        if raw.height == 0:
            return raw
        days = map_columns(raw, same_names("exchange", "cal_date", "is_open"), self.name, "trade_calendar")
        flags = days["is_open"].cast(pl.Utf8).str.strip_chars()
        bad = days["cal_date"].is_null() | ~flags.is_in(["0", "1"]).fill_null(False)
        if bad.any():
            row = int(bad.arg_max() or 0)
            raise SourceError(
                self.name,
                "trade_calendar",
                f"trade_cal row {row + 1}: cal_date {raw['cal_date'][row]!r}, is_open {raw['is_open'][row]!r} "
                "(expected a YYYYMMDD date and 0 or 1)",
            )
        sse = (days["exchange"] == TS_CALENDAR_EXCHANGE).to_numpy()
        dates, is_open = days["cal_date"].to_numpy()[sse], (flags == "1").to_numpy()[sse]
        return from_flags(list(dates), list(is_open), self.name)
