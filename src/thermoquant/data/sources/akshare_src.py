"""AKShare adapters: `akshare` (Eastmoney, CSIndex, SSE endpoints) and `akshare_sina` (Sina endpoints, the fallback).

AKShare is a scraper library; every function returns a pandas frame with Chinese column names. Units as read from
the installed AKShare source (1.19):

* Eastmoney K-lines (`stock_zh_a_hist`, `index_zh_a_hist`, `fund_etf_hist_em`, `stock_zh_a_hist_min_em`, the spot
  list): 成交量 in 手 (lots of 100 shares, on every board: see `EASTMONEY_LOT_SHARES`), 成交额 in 元, 换手率 in %.
  No previous close column: `pre_close = 收盘 − 涨跌额` (Eastmoney's change is taken against the exchange's
  reference close, so this is the reference close, rounded to 4 decimals).
* Sina (`stock_zh_a_daily`): volume in 股 (shares), amount in 元, outstanding_share in 股, turnover as a fraction;
  `hfq-factor` gives the cumulative backward factor on the dates it changes only.
* CSIndex (`index_stock_cons_weight_csindex`): the latest month-end weights, 权重 in %.
* SSE (`fund_etf_scale_sse`): 基金份额 already multiplied to shares by AKShare.

The client (the `akshare` module) is a constructor argument so tests inject a stand-in for the network; every
vendor call goes through :func:`~thermoquant.data.sources.base.retry` (Eastmoney drops connections under load).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from typing import Any, ClassVar

import polars as pl

from thermoquant.data.sources.base import (
    Capability,
    RetryPolicy,
    SourceError,
    SourceUnavailableError,
    bare_code,
    conform,
    ensure_date,
    exchange_lower,
    normalize_symbol_column,
    rename_checked,
    require_capability,
    retry,
    to_polars,
    with_board_columns,
    yyyymmdd,
)
from thermoquant.market.symbols import Board, board_of, normalize_symbol

# Shares per unit of Eastmoney's 成交量, by board. Eastmoney reports lots (手) for every A-share board, ETFs and
# indices; kept as a table so a vendor change on one board is a one-line fix.
EASTMONEY_LOT_SHARES: dict[Board, float] = {
    Board.SH_MAIN: 100.0,
    Board.SZ_MAIN: 100.0,
    Board.CHINEXT: 100.0,
    Board.STAR: 100.0,
    Board.BSE: 100.0,
    Board.ETF: 100.0,
    Board.INDEX: 100.0,
}

MINUTE_FREQS: dict[str, str] = {"1m": "1", "5m": "5", "15m": "15", "30m": "30", "60m": "60"}

# Macro series from AKShare: series → (vendor function, date column, value column, unit). Jin10 reports
# (cpi/ppi/pmi) are dated by their RELEASE day, so period_date = release_date there; LPR and yields by fixing day.
AKSHARE_MACRO: dict[str, tuple[str, str, str, str]] = {
    "lpr_1y": ("macro_china_lpr", "TRADE_DATE", "LPR1Y", "%"),
    "lpr_5y": ("macro_china_lpr", "TRADE_DATE", "LPR5Y", "%"),
    "cgb_10y": ("bond_zh_us_rate", "日期", "中国国债收益率10年", "%"),
    "cpi_yoy": ("macro_china_cpi_yearly", "日期", "今值", "%"),
    "ppi_yoy": ("macro_china_ppi_yearly", "日期", "今值", "%"),
    "pmi": ("macro_china_pmi_yearly", "日期", "今值", "index"),
}

# Eastmoney F10 main indicators (stock_financial_analysis_indicator_em) → finance_data columns.
EM_FINANCE_FIELDS: dict[str, str] = {
    "ROEJQ": "roe",
    "ZZCJLL": "roa",
    "EPSJB": "eps",
    "BPS": "bps",
    "XSMLL": "gross_margin",
    "XSJLL": "net_margin",
    "TOTALOPERATEREVE": "revenue",
    "PARENTNETPROFIT": "net_profit",
    "TOTALOPERATEREVETZ": "revenue_yoy",
    "PARENTNETPROFITTZ": "profit_yoy",
    "ZCFZL": "debt_ratio",
    "LD": "current_ratio",
    "SD": "quick_ratio",
}

EM_BAR_COLUMNS = {"日期": "trade_date", "开盘": "open", "最高": "high", "最低": "low", "收盘": "close"}


def _import_akshare() -> Any:
    try:
        import akshare
    except ImportError as exc:  # pragma: no cover - akshare is a dependency
        raise SourceUnavailableError(
            "akshare", "*", "the akshare package is not installed (pip install akshare)"
        ) from exc
    return akshare


def _lot_shares(symbol: str) -> float:
    return EASTMONEY_LOT_SHARES.get(board_of(symbol), 100.0)


def eastmoney_bars(raw: pl.DataFrame, source: str, dataset: str, symbol: str, key: str) -> pl.DataFrame:
    """Map an Eastmoney daily K-line frame (日期 开盘 收盘 最高 最低 成交量 成交额 … 涨跌额 换手率) to our bars.

    Args:
        key: our name of the code column (`symbol` or `index_code`).
    """
    mapping = {
        **EM_BAR_COLUMNS,
        "成交量": "volume",
        "成交额": "amount",
        "涨跌额": "change",
        "换手率": "turnover",
    }
    out = rename_checked(raw, mapping, source, dataset, optional=("涨跌额", "换手率"))
    out = ensure_date(out, "trade_date").with_columns(
        (pl.col("volume").cast(pl.Float64) * _lot_shares(symbol)).alias("volume"),
        pl.col("amount").cast(pl.Float64),
        (pl.col("close").cast(pl.Float64) - pl.col("change").cast(pl.Float64)).round(4).alias("pre_close"),
        pl.lit(symbol).alias(key),
    )
    return out


class AkshareSource:
    """AKShare through Eastmoney / CSIndex / SSE endpoints (free, no token; Eastmoney throttles bursts)."""

    name = "akshare"

    capabilities: ClassVar[dict[str, Capability]] = {
        c.dataset: c
        for c in (
            Capability(
                "stock_info",
                "stock_info_a_code_name",
                split="whole",
                needs_symbols=False,
                units="code and name only; board derived from the code; no industry or list date",
            ),
            Capability(
                "daily_quote",
                "stock_zh_a_hist (Eastmoney)",
                history="from listing",
                units="成交量 手 ×100 → shares; 成交额 元; 换手率 %; pre_close = 收盘 − 涨跌额",
                rate_limit="Eastmoney blocks bursts: keep ≲ 2 calls/s",
            ),
            Capability(
                "adj_factor",
                "stock_zh_a_daily(adjust='hfq-factor') (Sina)",
                units="cumulative backward factor, one row per change date (forward-fill between rows)",
                rate_limit="Sina blocks IPs under heavy scraping",
            ),
            Capability(
                "minute_quote",
                "stock_zh_a_hist_min_em (Eastmoney)",
                history="1m: last 5 days; 5–60m: about the last year",
                units="成交量 手 ×100 → shares; 时间 = bar end; pass freq='1m'|'5m'|'15m'|'30m'|'60m'",
            ),
            Capability(
                "spot",
                "stock_zh_a_spot_em (Eastmoney)",
                split="whole",
                needs_symbols=False,
                units="成交量 手 ×100; 成交额 元; 总市值/流通市值 元",
            ),
            Capability(
                "index_daily",
                "index_zh_a_hist (Eastmoney)",
                units="成交量 手 ×100; 成交额 元; pre_close = 收盘 − 涨跌额",
            ),
            Capability(
                "index_weight",
                "index_stock_cons_weight_csindex (CSIndex)",
                history="latest month-end snapshot only (use Tushare for history)",
                units="权重 %; effective_date = snapshot date",
            ),
            Capability(
                "etf_daily",
                "fund_etf_hist_em (Eastmoney)",
                units="成交量 手 ×100; 成交额 元; 换手率 % (Eastmoney's own definition → turnover_vendor)",
            ),
            Capability(
                "fund_share",
                "fund_etf_scale_sse (SSE, one call per trading day, Shanghai ETFs only)",
                split="range",
                units="基金份额 shares (AKShare multiplies the SSE 万份 by 10⁴)",
            ),
            Capability(
                "funds_flow",
                "stock_individual_fund_flow (Eastmoney)",
                history="about the last 100 trading days",
                units="净额 元; 净占比 %; main = 超大单 + 大单",
            ),
            Capability(
                "finance_data",
                "stock_financial_analysis_indicator_em(indicator='按报告期') (Eastmoney F10)",
                history="about the last 200 report periods",
                units="ratios %; eps/bps CNY; revenue/profit CNY; ann_date = NOTICE_DATE (point in time)",
            ),
            Capability(
                "dragon_tiger",
                "stock_lhb_detail_em (Eastmoney)",
                split="range",
                needs_symbols=False,
                units="买入额/卖出额/净买额 元",
            ),
            Capability(
                "share_unlock",
                "stock_restricted_release_detail_em (Eastmoney)",
                split="range",
                needs_symbols=False,
                units="实际解禁数量 shares (AKShare ×10⁴); 占解禁前流通市值比例 fraction → %",
            ),
            Capability(
                "macro",
                "macro_china_lpr, bond_zh_us_rate, macro_china_cpi/ppi/pmi_yearly (Eastmoney, Jin10)",
                split="whole",
                needs_symbols=False,
                units=f"series: {', '.join(AKSHARE_MACRO)}; jin10 series dated by release day",
            ),
        )
    }

    def __init__(
        self,
        client: Any | None = None,
        *,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._client = client
        self.retry_policy = retry_policy or RetryPolicy()
        self._sleep = sleep

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _import_akshare()
        return self._client

    def _call(self, dataset: str, func: str, **kwargs: Any) -> pl.DataFrame:
        fn = getattr(self.client, func, None)
        if fn is None:
            raise SourceError(
                self.name, dataset, f"akshare has no function {func!r} (library version changed?)"
            )
        opts: dict[str, Any] = {} if self._sleep is None else {"sleep": self._sleep}
        raw = retry(lambda: fn(**kwargs), self.retry_policy, **opts)
        return to_polars(raw, self.name, dataset)

    # -- dispatch -------------------------------------------------------------------------------------------------

    def fetch(
        self,
        dataset: str,
        *,
        symbols: Sequence[str] | None = None,
        start: date | None = None,
        end: date | None = None,
        **kw: Any,
    ) -> pl.DataFrame:
        """Rows of `dataset` in our schema; per-symbol datasets loop over `symbols`."""
        cap = require_capability(self, dataset)
        if cap.needs_symbols and not symbols:
            raise SourceError(self.name, dataset, "needs symbols (e.g. --symbols 600000.SH)")
        handler: Callable[..., pl.DataFrame] = getattr(self, f"_{dataset}")
        if cap.needs_symbols and cap.split == "symbol":
            parts = [handler(normalize_symbol(s), start, end, **kw) for s in symbols or ()]
            parts = [p for p in parts if p.height]
            frame = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()
        else:
            frame = handler(symbols, start, end, **kw)
        return self._finish(frame, dataset, start, end)

    def _finish(
        self, frame: pl.DataFrame, dataset: str, start: date | None, end: date | None
    ) -> pl.DataFrame:
        date_cols = {
            "minute_quote": None,
            "stock_info": None,
            "spot": None,
            "share_unlock": "unlock_date",
            "macro": "period_date",
            "index_weight": "effective_date",
            "finance_data": "ann_date",
        }
        if frame.height == 0 and frame.width == 0:
            return conform(pl.DataFrame(), dataset, self.name)
        return conform(
            frame, dataset, self.name, start=start, end=end, date_col=date_cols.get(dataset, "trade_date")
        )

    # -- datasets -------------------------------------------------------------------------------------------------

    def _stock_info(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        raw = self._call("stock_info", "stock_info_a_code_name")
        if raw.height == 0:
            return raw
        out = rename_checked(raw, {"code": "symbol", "name": "name"}, self.name, "stock_info")
        out = normalize_symbol_column(out.with_columns(pl.col("symbol").cast(pl.Utf8).str.zfill(6)))
        if symbols:
            out = out.filter(pl.col("symbol").is_in([normalize_symbol(s) for s in symbols]))
        return with_board_columns(out).with_columns(pl.lit(datetime.now()).alias("updated_at"))

    def _daily_quote(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._call(
            "daily_quote",
            "stock_zh_a_hist",
            symbol=bare_code(symbol),
            period="daily",
            start_date=yyyymmdd(start, "19700101"),
            end_date=yyyymmdd(end, "20500101"),
            adjust="",
        )
        if raw.height == 0:
            return raw
        return eastmoney_bars(raw, self.name, "daily_quote", symbol, "symbol").with_columns(
            pl.lit(False).alias("is_suspended")
        )

    def _index_daily(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._call(
            "index_daily",
            "index_zh_a_hist",
            symbol=bare_code(symbol),
            period="daily",
            start_date=yyyymmdd(start, "19700101"),
            end_date=yyyymmdd(end, "22220101"),
        )
        if raw.height == 0:
            return raw
        return eastmoney_bars(raw, self.name, "index_daily", symbol, "index_code")

    def _etf_daily(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._call(
            "etf_daily",
            "fund_etf_hist_em",
            symbol=bare_code(symbol),
            period="daily",
            start_date=yyyymmdd(start, "19700101"),
            end_date=yyyymmdd(end, "20500101"),
            adjust="",
        )
        if raw.height == 0:
            return raw
        out = eastmoney_bars(raw, self.name, "etf_daily", symbol, "symbol")
        return out.rename({"turnover": "turnover_vendor"})

    def _adj_factor(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._call(
            "adj_factor",
            "stock_zh_a_daily",
            symbol=f"{exchange_lower(symbol)}{bare_code(symbol)}",
            adjust="hfq-factor",
        )
        if raw.height == 0:
            return raw
        out = rename_checked(raw, {"date": "trade_date", "hfq_factor": "adj_factor"}, self.name, "adj_factor")
        return ensure_date(out, "trade_date").with_columns(
            pl.col("adj_factor").cast(pl.Float64), pl.lit(symbol).alias("symbol")
        )

    def _minute_quote(
        self, symbol: str, start: date | None, end: date | None, *, freq: str = "5m", **_: Any
    ) -> pl.DataFrame:
        if freq not in MINUTE_FREQS:
            raise SourceError(self.name, "minute_quote", f"freq {freq!r} not one of {sorted(MINUTE_FREQS)}")
        begin = datetime.combine(start, time(9, 0)) if start else datetime(1979, 9, 1, 9, 32)
        finish = datetime.combine(end, time(15, 30)) if end else datetime(2222, 1, 1, 9, 32)
        raw = self._call(
            "minute_quote",
            "stock_zh_a_hist_min_em",
            symbol=bare_code(symbol),
            start_date=begin.strftime("%Y-%m-%d %H:%M:%S"),
            end_date=finish.strftime("%Y-%m-%d %H:%M:%S"),
            period=MINUTE_FREQS[freq],
            adjust="",
        )
        if raw.height == 0:
            return raw
        mapping = {
            "时间": "bar_time",
            "开盘": "open",
            "最高": "high",
            "最低": "low",
            "收盘": "close",
            "成交量": "volume",
            "成交额": "amount",
        }
        out = rename_checked(raw, mapping, self.name, "minute_quote")
        return out.with_columns(
            pl.col("bar_time").cast(pl.Utf8).str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False),
            (pl.col("volume").cast(pl.Float64) * _lot_shares(symbol)).alias("volume"),
            pl.lit(symbol).alias("symbol"),
            pl.lit(freq).alias("freq"),
        )

    def _spot(self, symbols: Sequence[str] | None, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._call("spot", "stock_zh_a_spot_em")
        if raw.height == 0:
            return raw
        mapping = {
            "代码": "symbol",
            "名称": "name",
            "最新价": "last",
            "今开": "open",
            "最高": "high",
            "最低": "low",
            "昨收": "pre_close",
            "成交量": "volume",
            "成交额": "amount",
            "涨跌幅": "pct_change",
            "换手率": "turnover",
            "总市值": "total_mv",
            "流通市值": "float_mv",
        }
        out = normalize_symbol_column(rename_checked(raw, mapping, self.name, "spot"))
        out = out.with_columns((pl.col("volume").cast(pl.Float64) * 100.0).alias("volume"))
        if symbols:
            out = out.filter(pl.col("symbol").is_in([normalize_symbol(s) for s in symbols]))
        return out

    def _index_weight(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._call("index_weight", "index_stock_cons_weight_csindex", symbol=bare_code(symbol))
        if raw.height == 0:
            return raw
        mapping = {"日期": "snapshot_date", "成分券代码": "symbol", "权重": "weight"}
        out = rename_checked(raw, mapping, self.name, "index_weight")
        out = normalize_symbol_column(out.with_columns(pl.col("symbol").cast(pl.Utf8).str.zfill(6)))
        out = ensure_date(out, "snapshot_date")
        return out.with_columns(
            pl.col("snapshot_date").alias("effective_date"),
            pl.lit(symbol).alias("index_code"),
            pl.col("weight").cast(pl.Float64),
        )

    def _fund_share(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        from thermoquant.market.calendar import trading_days

        if start is None or end is None:
            raise SourceError(
                self.name, "fund_share", "needs --start and --end (one SSE call per trading day)"
            )
        wanted = [normalize_symbol(s) for s in symbols or ()]
        parts: list[pl.DataFrame] = []
        for day in trading_days(start, end):
            raw = self._call("fund_share", "fund_etf_scale_sse", date=day.strftime("%Y%m%d"))
            if raw.height == 0:
                continue
            mapping = {"基金代码": "symbol", "统计日期": "trade_date", "基金份额": "fd_share"}
            part = rename_checked(raw, mapping, self.name, "fund_share")
            part = normalize_symbol_column(part.with_columns(pl.col("symbol").cast(pl.Utf8).str.zfill(6)))
            parts.append(ensure_date(part, "trade_date").with_columns(pl.col("fd_share").cast(pl.Float64)))
        if not parts:
            return pl.DataFrame()
        out = pl.concat(parts, how="vertical_relaxed")
        return out.filter(pl.col("symbol").is_in(wanted)) if wanted else out

    def _funds_flow(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._call(
            "funds_flow", "stock_individual_fund_flow", stock=bare_code(symbol), market=exchange_lower(symbol)
        )
        if raw.height == 0:
            return raw
        mapping = {
            "日期": "trade_date",
            "主力净流入-净额": "main_net",
            "超大单净流入-净额": "xl_net",
            "大单净流入-净额": "l_net",
            "中单净流入-净额": "m_net",
            "小单净流入-净额": "s_net",
            "主力净流入-净占比": "main_net_pct",
        }
        out = ensure_date(rename_checked(raw, mapping, self.name, "funds_flow"), "trade_date")
        return out.with_columns(pl.lit("stock").alias("scope"), pl.lit(symbol).alias("code"))

    def _finance_data(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._call(
            "finance_data", "stock_financial_analysis_indicator_em", symbol=symbol, indicator="按报告期"
        )
        if raw.height == 0:
            return raw
        mapping = {
            "SECUCODE": "symbol",
            "REPORT_DATE": "report_period",
            "NOTICE_DATE": "ann_date",
            **EM_FINANCE_FIELDS,
        }
        out = rename_checked(raw, mapping, self.name, "finance_data", optional=EM_FINANCE_FIELDS)
        out = ensure_date(ensure_date(out, "report_period"), "ann_date")
        return normalize_symbol_column(out).with_columns(
            pl.col(list(EM_FINANCE_FIELDS.values())).cast(pl.Float64)
        )

    def _dragon_tiger(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        if start is None or end is None:
            raise SourceError(self.name, "dragon_tiger", "needs --start and --end")
        raw = self._call(
            "dragon_tiger", "stock_lhb_detail_em", start_date=yyyymmdd(start, ""), end_date=yyyymmdd(end, "")
        )
        if raw.height == 0:
            return raw
        mapping = {
            "代码": "symbol",
            "上榜日": "trade_date",
            "上榜原因": "reason",
            "龙虎榜买入额": "buy_amount",
            "龙虎榜卖出额": "sell_amount",
            "龙虎榜净买额": "net_amount",
        }
        out = rename_checked(raw, mapping, self.name, "dragon_tiger")
        out = normalize_symbol_column(out.with_columns(pl.col("symbol").cast(pl.Utf8).str.zfill(6)))
        return _filter_symbols(ensure_date(out, "trade_date"), symbols)

    def _share_unlock(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        if start is None or end is None:
            raise SourceError(self.name, "share_unlock", "needs --start and --end")
        raw = self._call(
            "share_unlock",
            "stock_restricted_release_detail_em",
            start_date=yyyymmdd(start, ""),
            end_date=yyyymmdd(end, ""),
        )
        if raw.height == 0:
            return raw
        mapping = {
            "股票代码": "symbol",
            "解禁时间": "unlock_date",
            "实际解禁数量": "shares",
            "占解禁前流通市值比例": "float_ratio",
            "限售股类型": "kind",
        }
        out = rename_checked(raw, mapping, self.name, "share_unlock")
        out = normalize_symbol_column(out.with_columns(pl.col("symbol").cast(pl.Utf8).str.zfill(6)))
        out = ensure_date(out, "unlock_date").with_columns(pl.col("float_ratio").cast(pl.Float64) * 100.0)
        return _filter_symbols(out, symbols)

    def _macro(self, symbols: Sequence[str] | None, start: date | None, end: date | None) -> pl.DataFrame:
        wanted = list(symbols) if symbols else list(AKSHARE_MACRO)
        unknown = [s for s in wanted if s not in AKSHARE_MACRO]
        if unknown:
            raise SourceError(self.name, "macro", f"unknown series {unknown}; known: {sorted(AKSHARE_MACRO)}")
        frames: dict[str, pl.DataFrame] = {}
        parts: list[pl.DataFrame] = []
        for series in wanted:
            func, date_col, column, unit = AKSHARE_MACRO[series]
            if func not in frames:
                frames[func] = self._call("macro", func)
            raw = frames[func]
            if raw.height == 0:
                continue
            part = rename_checked(raw, {date_col: "period_date", column: "value"}, self.name, "macro")
            parts.append(
                ensure_date(part, "period_date").with_columns(
                    pl.lit(series).alias("series"),
                    pl.col("value").cast(pl.Float64, strict=False),
                    pl.lit(unit).alias("unit"),
                    pl.col("period_date").alias("release_date"),
                )
            )
        return pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame()


def _filter_symbols(frame: pl.DataFrame, symbols: Sequence[str] | None) -> pl.DataFrame:
    if not symbols:
        return frame
    return frame.filter(pl.col("symbol").is_in([normalize_symbol(s) for s in symbols]))


class AkshareSinaSource(AkshareSource):
    """AKShare through Sina endpoints: the fallback when Eastmoney blocks (bars only, no turnover for indices)."""

    name = "akshare_sina"

    capabilities: ClassVar[dict[str, Capability]] = {
        c.dataset: c
        for c in (
            Capability(
                "daily_quote",
                "stock_zh_a_daily (Sina)",
                units="volume 股; amount 元; outstanding_share 股 → float_shares; turnover fraction ×100 → %",
                rate_limit="Sina blocks IPs under heavy scraping",
            ),
            Capability("index_daily", "stock_zh_index_daily (Sina)", units="volume 股; no amount"),
            Capability("etf_daily", "fund_etf_hist_sina (Sina)", units="volume 份 (shares); no amount"),
            Capability(
                "adj_factor",
                "stock_zh_a_daily(adjust='hfq-factor') (Sina)",
                units="cumulative backward factor, one row per change date (forward-fill between rows)",
            ),
        )
    }

    def _daily_quote(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._call(
            "daily_quote",
            "stock_zh_a_daily",
            symbol=f"{exchange_lower(symbol)}{bare_code(symbol)}",
            start_date=yyyymmdd(start, "19900101"),
            end_date=yyyymmdd(end, "21000118"),
            adjust="",
        )
        if raw.height == 0:
            return raw
        mapping = {
            "date": "trade_date",
            "open": "open",
            "high": "high",
            "low": "low",
            "close": "close",
            "volume": "volume",
            "amount": "amount",
            "outstanding_share": "float_shares",
            "turnover": "turnover",
        }
        out = ensure_date(rename_checked(raw, mapping, self.name, "daily_quote"), "trade_date")
        return out.with_columns(
            (pl.col("turnover").cast(pl.Float64) * 100.0).alias("turnover"),
            pl.lit(symbol).alias("symbol"),
            pl.lit(False).alias("is_suspended"),
        )

    def _sina_bars(self, dataset: str, func: str, symbol: str, key: str) -> pl.DataFrame:
        raw = self._call(dataset, func, symbol=f"{exchange_lower(symbol)}{bare_code(symbol)}")
        if raw.height == 0:
            return raw
        mapping = {"date": "trade_date", "open": "open", "high": "high", "low": "low", "close": "close"}
        out = rename_checked(raw, {**mapping, "volume": "volume"}, self.name, dataset)
        return ensure_date(out, "trade_date").with_columns(pl.lit(symbol).alias(key))

    def _index_daily(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        return self._sina_bars("index_daily", "stock_zh_index_daily", symbol, "index_code")

    def _etf_daily(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        return self._sina_bars("etf_daily", "fund_etf_hist_sina", symbol, "symbol")
