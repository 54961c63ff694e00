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
vendor call is retried (:class:`~thermoquant.data.sources.adapter.VendorSource`; Eastmoney drops connections under
load). Each handler below is a mapping of the vendor's columns and units (`frames.map_columns`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any, ClassVar

import polars as pl

from thermoquant.data.sources.adapter import VendorSource
from thermoquant.data.sources.base import Capability, SourceError, SourceUnavailableError, capability_table
from thermoquant.data.sources.frames import (
    OHLC,
    bare_code,
    concat_parts,
    keep_symbols,
    map_columns,
    prefixed_code,
    same_names,
    stock_info_rows,
    to_polars,
    yyyymmdd,
)
from thermoquant.market.symbols import Board, board_of, exchange_of

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

# Eastmoney daily K-line columns (stock_zh_a_hist, index_zh_a_hist, fund_etf_hist_em) → ours. `change` (涨跌额)
# only serves to derive pre_close; 涨跌额 and 换手率 may be absent.
EASTMONEY_BAR_COLUMNS: dict[str, str] = {
    "日期": "trade_date",
    "开盘": "open",
    "最高": "high",
    "最低": "low",
    "收盘": "close",
    "成交量": "volume",
    "成交额": "amount",
    "涨跌额": "change",
    "换手率": "turnover",
}
EM_MINUTE_COLUMNS: dict[str, str] = {
    "时间": "bar_time",
    "开盘": "open",
    "最高": "high",
    "最低": "low",
    "收盘": "close",
    "成交量": "volume",
    "成交额": "amount",
}
EM_SPOT_COLUMNS: dict[str, str] = {
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
EM_FLOW_COLUMNS: dict[str, str] = {
    "日期": "trade_date",
    "主力净流入-净额": "main_net",
    "超大单净流入-净额": "xl_net",
    "大单净流入-净额": "l_net",
    "中单净流入-净额": "m_net",
    "小单净流入-净额": "s_net",
    "主力净流入-净占比": "main_net_pct",
}
EM_DRAGON_TIGER_COLUMNS: dict[str, str] = {
    "代码": "symbol",
    "上榜日": "trade_date",
    "上榜原因": "reason",
    "龙虎榜买入额": "buy_amount",
    "龙虎榜卖出额": "sell_amount",
    "龙虎榜净买额": "net_amount",
}
EM_UNLOCK_COLUMNS: dict[str, str] = {
    "股票代码": "symbol",
    "解禁时间": "unlock_date",
    "实际解禁数量": "shares",
    "占解禁前流通市值比例": "float_ratio",
    "限售股类型": "kind",
}
SINA_BAR_COLUMNS: dict[str, str] = {"date": "trade_date", **same_names(*OHLC, "volume")}
EM_FIRST_DAY, EM_LAST_DAY = "19700101", "20500101"  # Eastmoney K-line range when start / end is open


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


def eastmoney_bars(
    raw: pl.DataFrame, source: str, dataset: str, symbol: str, key: str, **constants: Any
) -> pl.DataFrame:
    """Map an Eastmoney daily K-line frame (日期 开盘 收盘 最高 最低 成交量 成交额 … 涨跌额 换手率) to our bars.

    Args:
        key: our name of the code column (`symbol` or `index_code`).
        constants: further columns set to one value (e.g. `is_suspended=False`).
    """
    return map_columns(
        raw,
        EASTMONEY_BAR_COLUMNS,
        source,
        dataset,
        optional=("涨跌额", "换手率"),
        units={"volume": _lot_shares(symbol), "change": 1.0},
        constants={key: symbol, **constants},
        derived=[(pl.col("close") - pl.col("change")).round(4).alias("pre_close")],
    )


class AkshareSource(VendorSource):
    """AKShare through Eastmoney / CSIndex / SSE endpoints (free, no token; Eastmoney throttles bursts)."""

    name = "akshare"

    capabilities: ClassVar[dict[str, Capability]] = capability_table(
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
            options=("freq",),
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

    def _load_client(self) -> Any:
        return _import_akshare()

    def _call(self, dataset: str, func: str, **kwargs: Any) -> pl.DataFrame:
        fn = getattr(self.client, func, None)
        if fn is None:
            raise SourceError(
                self.name, dataset, f"akshare has no function {func!r} (library version changed?)"
            )
        return to_polars(self._retried(lambda: fn(**kwargs)), self.name, dataset)

    def _em_daily(
        self, dataset: str, func: str, symbol: str, start: date | None, end: date | None, **params: Any
    ) -> pl.DataFrame:
        """The raw Eastmoney daily K-lines of one code over [start, end]."""
        return self._call(
            dataset,
            func,
            symbol=bare_code(symbol),
            period="daily",
            start_date=yyyymmdd(start, EM_FIRST_DAY),
            end_date=yyyymmdd(end, EM_LAST_DAY),
            **params,
        )

    # -- datasets -------------------------------------------------------------------------------------------------

    def _stock_info(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        raw = self._call("stock_info", "stock_info_a_code_name")
        out = map_columns(raw, {"code": "symbol", "name": "name"}, self.name, "stock_info")
        return stock_info_rows(out, symbols)

    def _daily_quote(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._em_daily("daily_quote", "stock_zh_a_hist", symbol, start, end, adjust="")
        return eastmoney_bars(raw, self.name, "daily_quote", symbol, "symbol", is_suspended=False)

    def _index_daily(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._em_daily("index_daily", "index_zh_a_hist", symbol, start, end)
        return eastmoney_bars(raw, self.name, "index_daily", symbol, "index_code")

    def _etf_daily(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._em_daily("etf_daily", "fund_etf_hist_em", symbol, start, end, adjust="")
        out = eastmoney_bars(raw, self.name, "etf_daily", symbol, "symbol")
        return out.rename({"turnover": "turnover_vendor"})

    def _adj_factor(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._call("adj_factor", "stock_zh_a_daily", symbol=prefixed_code(symbol), adjust="hfq-factor")
        mapping = {"date": "trade_date", "hfq_factor": "adj_factor"}
        return map_columns(raw, mapping, self.name, "adj_factor", constants={"symbol": symbol})

    def _minute_quote(
        self, symbol: str, start: date | None, end: date | None, *, freq: str = "5m"
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
        return map_columns(
            raw,
            EM_MINUTE_COLUMNS,
            self.name,
            "minute_quote",
            units={"volume": _lot_shares(symbol)},
            constants={"symbol": symbol, "freq": freq},
            derived=[pl.col("bar_time").cast(pl.Utf8).str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False)],
        )

    def _spot(self, symbols: Sequence[str] | None, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._call("spot", "stock_zh_a_spot_em")
        out = map_columns(raw, EM_SPOT_COLUMNS, self.name, "spot", units={"volume": 100.0})
        return keep_symbols(out, symbols)

    def _index_weight(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._call("index_weight", "index_stock_cons_weight_csindex", symbol=bare_code(symbol))
        return map_columns(
            raw,
            {"日期": "snapshot_date", "成分券代码": "symbol", "权重": "weight"},
            self.name,
            "index_weight",
            constants={"index_code": symbol},
            derived=[pl.col("snapshot_date").alias("effective_date")],
        )

    def _fund_share(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        from thermoquant.market.calendar import trading_days

        if start is None or end is None:
            raise SourceError(
                self.name, "fund_share", "needs --start and --end (one SSE call per trading day)"
            )
        mapping = {"基金代码": "symbol", "统计日期": "trade_date", "基金份额": "fd_share"}
        days = [
            map_columns(
                self._call("fund_share", "fund_etf_scale_sse", date=yyyymmdd(day, "")),
                mapping,
                self.name,
                "fund_share",
            )
            for day in trading_days(start, end)
        ]
        return keep_symbols(concat_parts(days), symbols)

    def _funds_flow(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._call(
            "funds_flow",
            "stock_individual_fund_flow",
            stock=bare_code(symbol),
            market=exchange_of(symbol).lower(),
        )
        constants = {"scope": "stock", "code": symbol}
        return map_columns(raw, EM_FLOW_COLUMNS, self.name, "funds_flow", constants=constants)

    def _finance_data(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._call(
            "finance_data", "stock_financial_analysis_indicator_em", symbol=symbol, indicator="按报告期"
        )
        mapping = {"SECUCODE": "symbol", "REPORT_DATE": "report_period", "NOTICE_DATE": "ann_date"}
        mapping |= EM_FINANCE_FIELDS
        return map_columns(raw, mapping, self.name, "finance_data", optional=EM_FINANCE_FIELDS)

    def _range_call(self, dataset: str, func: str, start: date | None, end: date | None) -> pl.DataFrame:
        """An Eastmoney whole-market table over [start, end] (both required)."""
        if start is None or end is None:
            raise SourceError(self.name, dataset, "needs --start and --end")
        return self._call(dataset, func, start_date=yyyymmdd(start, ""), end_date=yyyymmdd(end, ""))

    def _dragon_tiger(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        raw = self._range_call("dragon_tiger", "stock_lhb_detail_em", start, end)
        return keep_symbols(map_columns(raw, EM_DRAGON_TIGER_COLUMNS, self.name, "dragon_tiger"), symbols)

    def _share_unlock(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        raw = self._range_call("share_unlock", "stock_restricted_release_detail_em", start, end)
        out = map_columns(raw, EM_UNLOCK_COLUMNS, self.name, "share_unlock", units={"float_ratio": 100.0})
        return keep_symbols(out, symbols)

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
            part = map_columns(
                frames[func],
                {date_col: "period_date", column: "value"},
                self.name,
                "macro",
                constants={"series": series, "unit": unit},
                derived=[pl.col("period_date").alias("release_date")],
            )
            parts.append(part)
        return concat_parts(parts)


class AkshareSinaSource(AkshareSource):
    """AKShare through Sina endpoints: the fallback when Eastmoney blocks (bars only, no turnover for indices)."""

    name = "akshare_sina"

    capabilities: ClassVar[dict[str, Capability]] = capability_table(
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

    def _daily_quote(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._call(
            "daily_quote",
            "stock_zh_a_daily",
            symbol=prefixed_code(symbol),
            start_date=yyyymmdd(start, "19900101"),
            end_date=yyyymmdd(end, "21000118"),
            adjust="",
        )
        mapping = {**SINA_BAR_COLUMNS, "amount": "amount", "outstanding_share": "float_shares"}
        return map_columns(
            raw,
            {**mapping, "turnover": "turnover"},
            self.name,
            "daily_quote",
            units={"turnover": 100.0},  # fraction → %
            constants={"symbol": symbol, "is_suspended": False},
        )

    def _sina_bars(self, dataset: str, func: str, symbol: str, key: str) -> pl.DataFrame:
        raw = self._call(dataset, func, symbol=prefixed_code(symbol))
        return map_columns(raw, SINA_BAR_COLUMNS, self.name, dataset, constants={key: symbol})

    def _index_daily(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        return self._sina_bars("index_daily", "stock_zh_index_daily", symbol, "index_code")

    def _etf_daily(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        return self._sina_bars("etf_daily", "fund_etf_hist_sina", symbol, "symbol")
