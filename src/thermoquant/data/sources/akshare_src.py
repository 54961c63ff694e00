"""AKShare adapters: `akshare` (Eastmoney, CSIndex, SSE endpoints) and `akshare_sina` (Sina endpoints, the fallback).

AKShare is a scraper library; every function returns a pandas frame with Chinese column names. Units as read from
the installed AKShare source (1.19):

* Eastmoney K-lines (`stock_zh_a_hist`, `index_zh_a_hist`, `fund_etf_hist_em`, `stock_zh_a_hist_min_em`, the spot
  list): 成交量 in 手 (lots of 100 shares, on every board: see `EASTMONEY_LOT_SHARES`), 成交额 in 元, 换手率 in %.
  No previous close column: `pre_close = 收盘 − 涨跌额` (Eastmoney's change is taken against the exchange's
  reference close, so this is the reference close, rounded to 4 decimals).
* Sina (`stock_zh_a_daily`): volume in 股 (shares), amount in 元, outstanding_share in 股, turnover as a fraction;
  `hfq-factor` gives the cumulative backward factor on the dates it changes only, ending with a 1900-01-01 base
  row that is dropped (`SINA_FACTOR_BASE_DATE`).
* CSIndex (`index_stock_cons_weight_csindex`): the latest month-end weights, 权重 in %.
* SSE (`fund_etf_scale_sse`): 基金份额 already multiplied to shares by AKShare.
* Eastmoney north-bound history (`stock_hsgt_hist_em`): 净买额 / 买入 / 卖出 in 亿元 (×10⁸). Exchange margin
  details (`stock_margin_detail_sse|szse`): 元 and shares. Block trades (`stock_dzjy_mrmx`): 股 and 元. Sector
  fund flow (`stock_sector_fund_flow_hist`): 元, as the per-stock flow.
* Macro (:data:`AKSHARE_MACRO`): rates and growth in %, money supply and social financing in 亿元 (kept, unit
  'CNY 100m'), SAFE's USD/CNY central parity per 100 USD (×0.01).
* Sina's trade calendar (`tool_trade_date_hist_sina`): the open days only, 1990-12-19 to the end of the current
  year, one column `trade_date` of `datetime.date` (AKShare adds 1992-05-04, missing at Sina).
* Shenwan L1 membership (`index_component_sw`) with its 计入日期; ST periods from SZSE's dated renames.

The client (the `akshare` module) is a constructor argument so tests inject a stand-in for the network; every
vendor call is retried (:class:`~thermoquant.data.sources.adapter.VendorSource`; Eastmoney drops connections under
load). Each handler below is a mapping of the vendor's columns and units (`frames.map_columns`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, ClassVar

import polars as pl

from thermoquant.data.sources.adapter import VendorSource, import_vendor
from thermoquant.data.sources.base import (
    Capability,
    SchemaMismatchError,
    SourceError,
    capability_table,
)
from thermoquant.data.sources.frames import (
    OHLC,
    bare_code,
    block_trade_sequence,
    concat_parts,
    keep_symbols,
    map_columns,
    prefixed_code,
    same_names,
    stock_info_rows,
    to_polars,
    yyyymmdd,
)
from thermoquant.data.trade_calendar import from_open_days, through_year_end
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

log = logging.getLogger(__name__)

MINUTE_FREQS: dict[str, str] = {"1m": "1", "5m": "5", "15m": "15", "30m": "30", "60m": "60"}


@dataclass(frozen=True)
class MacroSeries:
    """One macro series read from an AKShare table.

    Attributes:
        func: the AKShare function; `params` its keyword arguments (one call per distinct (func, params)).
        date_col, value_col: the vendor's date and value columns.
        unit: the unit of `value` after `factor` (documented in `macro.unit`).
        factor: vendor unit → `unit` (e.g. 0.01: SAFE quotes CNY per 100 USD).
        period: how `date_col` reads: 'date' (a day), 'cn_month' ('2024年03月份') or 'yyyymm' ('202403'); monthly
            periods are dated at the month's last day.
        released: True when the date is the publication day (daily fixings, Jin10 release-dated reports), so
            release_date = period_date; False for monthly statistics whose release day the table does not give.
    """

    func: str
    date_col: str
    value_col: str
    unit: str
    params: tuple[tuple[str, str], ...] = ()
    factor: float = 1.0
    period: str = "date"
    released: bool = True


SHIBOR = (("market", "上海银行同业拆借市场"), ("symbol", "Shibor人民币"))
MONEY_SUPPLY = "macro_china_money_supply"

# Macro series from AKShare. Jin10 reports (cpi/ppi/pmi) are dated by their RELEASE day, so period_date =
# release_date there; LPR, Shibor, yields and USD/CNY by fixing day; money supply and social financing by month
# (period_date = month end, release_date unknown → null).
AKSHARE_MACRO: dict[str, MacroSeries] = {
    "lpr_1y": MacroSeries("macro_china_lpr", "TRADE_DATE", "LPR1Y", "%"),
    "lpr_5y": MacroSeries("macro_china_lpr", "TRADE_DATE", "LPR5Y", "%"),
    "cgb_10y": MacroSeries("bond_zh_us_rate", "日期", "中国国债收益率10年", "%"),
    "cpi_yoy": MacroSeries("macro_china_cpi_yearly", "日期", "今值", "%"),
    "ppi_yoy": MacroSeries("macro_china_ppi_yearly", "日期", "今值", "%"),
    "pmi": MacroSeries("macro_china_pmi_yearly", "日期", "今值", "index"),
    **{
        f"shibor_{tenor}": MacroSeries(
            "rate_interbank", "报告日", "利率", "%", (*SHIBOR, ("indicator", label))
        )
        for tenor, label in (("on", "隔夜"), ("1w", "1周"), ("1m", "1月"), ("3m", "3月"), ("1y", "1年"))
    },
    "m1": MacroSeries(
        MONEY_SUPPLY, "月份", "货币(M1)-数量(亿元)", "CNY 100m", period="cn_month", released=False
    ),
    "m2": MacroSeries(
        MONEY_SUPPLY, "月份", "货币和准货币(M2)-数量(亿元)", "CNY 100m", period="cn_month", released=False
    ),
    "m1_yoy": MacroSeries(MONEY_SUPPLY, "月份", "货币(M1)-同比增长", "%", period="cn_month", released=False),
    "m2_yoy": MacroSeries(
        MONEY_SUPPLY, "月份", "货币和准货币(M2)-同比增长", "%", period="cn_month", released=False
    ),
    "tsf": MacroSeries(
        "macro_china_shrzgm", "月份", "社会融资规模增量", "CNY 100m", period="yyyymm", released=False
    ),
    "usdcny": MacroSeries("currency_boc_safe", "日期", "美元", "CNY per USD", factor=0.01),
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
# stock_hsgt_hist_em: our channel → AKShare's symbol; 净买额/买入/卖出 in 亿元 (AKShare divides Eastmoney's 百万元 by 100).
NORTH_CHANNELS: dict[str, str] = {"sh": "沪股通", "sz": "深股通", "total": "北向资金"}
EM_NORTH_COLUMNS: dict[str, str] = {
    "日期": "trade_date",
    "当日成交净买额": "net_buy",
    "买入成交额": "buy_amount",
    "卖出成交额": "sell_amount",
}
YI = 1e8  # CNY per 亿元
SSE_MARGIN_COLUMNS: dict[str, str] = {
    "信用交易日期": "trade_date",
    "标的证券代码": "symbol",
    "融资余额": "fin_balance",
    "融资买入额": "fin_buy",
    "融券卖出量": "sec_sell_volume",
}
SZSE_MARGIN_COLUMNS: dict[str, str] = {
    "证券代码": "symbol",
    "融资余额": "fin_balance",
    "融资买入额": "fin_buy",
    "融券余额": "sec_balance",
    "融券卖出量": "sec_sell_volume",
}
# stock_dzjy_mrmx(symbol='A股'): 成交量 股, 成交额 元; 收盘价 only serves premium_pct.
EM_BLOCK_COLUMNS: dict[str, str] = {
    "交易日期": "trade_date",
    "证券代码": "symbol",
    "成交价": "price",
    "成交量": "volume",
    "成交额": "amount",
    "收盘价": "close",
    "买方营业部": "buyer",
    "卖方营业部": "seller",
}
SW_L1 = "sw2021_l1"
# Exchange stock lists giving list dates: (function, arguments, vendor → our columns).
EXCHANGE_LISTS: tuple[tuple[str, dict[str, str], dict[str, str]], ...] = (
    ("stock_info_sh_name_code", {"symbol": "主板A股"}, {"证券代码": "symbol", "上市日期": "list_date"}),
    ("stock_info_sh_name_code", {"symbol": "科创板"}, {"证券代码": "symbol", "上市日期": "list_date"}),
    ("stock_info_sz_name_code", {"symbol": "A股列表"}, {"A股代码": "symbol", "A股上市日期": "list_date"}),
    ("stock_info_bj_name_code", {}, {"证券代码": "symbol", "上市日期": "list_date"}),
)
SINA_BAR_COLUMNS: dict[str, str] = {"date": "trade_date", **same_names(*OHLC, "volume")}
SINA_FACTOR_BASE_DATE = date(1900, 1, 1)
"""Sina's factor lists (``hfq-factor``) end with a row dated 1900-01-01 meaning "in force from the start" (factor 1,
as on the listing-day row before it): not a trading day, so the adapter drops it instead of storing it."""
EM_FIRST_DAY, EM_LAST_DAY = "19700101", "20500101"  # Eastmoney K-line range when start / end is open


def _import_akshare() -> Any:
    return import_vendor("akshare", "akshare")


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


def month_end_expr(col: str, period: str) -> pl.Expr:
    """A monthly period label ('2024年03月份' for period='cn_month', '202403' for 'yyyymm') → the month's last day."""
    pattern = r"(\d{4})\D*(\d{1,2})" if period == "cn_month" else r"^(\d{4})(\d{2})"
    text = pl.col(col).cast(pl.Utf8)
    year = text.str.extract(pattern, 1).cast(pl.Int32, strict=False)
    month = text.str.extract(pattern, 2).cast(pl.Int8, strict=False)
    return pl.date(year, month, 1).dt.month_end().alias(col)


def st_intervals_from_renames(events: pl.DataFrame) -> pl.DataFrame:
    """ST periods from dated name changes (symbol, date, name): the `st_history` table's rows.

    A name marks risk warning per `thermoquant.market.st` (`st_name_kinds`); consecutive ST names of one kind are
    collapsed by `st_history_from_flags`. An interval ends the day before the next rename that leaves it (or
    changes its kind); it stays open (end_date null) when no later rename is known.
    """
    from thermoquant.market.st import st_history_from_flags, st_name_kinds

    ordered = events.drop_nulls(["symbol", "date"]).sort("symbol", "date")
    kinds = st_name_kinds(ordered["name"])
    flagged = ordered.with_columns(kinds, kinds.is_not_null().alias("is_st"))
    runs = st_history_from_flags(flagged, kind_col="st_kind")
    nxt = ordered.select("symbol", pl.col("date").alias("next_change")).unique().sort("symbol", "next_change")
    left = runs.with_columns((pl.col("end_date") + pl.duration(days=1)).alias("_after")).sort("_after")
    joined = left.join_asof(
        nxt.sort("next_change"),
        left_on="_after",
        right_on="next_change",
        by="symbol",
        strategy="forward",
        check_sortedness=False,  # both sides sorted by their date just above
    )
    return joined.select(
        "symbol",
        "start_date",
        (pl.col("next_change") - pl.duration(days=1)).alias("end_date"),
        "kind",
    ).sort("symbol", "start_date")


class AkshareSource(VendorSource):
    """AKShare through Eastmoney / CSIndex / SSE endpoints (free, no token; Eastmoney throttles bursts)."""

    name = "akshare"

    capabilities: ClassVar[dict[str, Capability]] = capability_table(
        Capability(
            "stock_info",
            "stock_info_a_code_name",
            split="whole",
            needs_symbols=False,
            units="code, name (stock_info_a_code_name); board from the code; list_date from the SSE/SZSE/BSE lists; "
            "industry = Shenwan L1 (sw_index_first_info + index_component_sw); enrichments best effort (null on failure)",
            rate_limit="about 36 calls (4 exchange lists, 32 Shenwan tables)",
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
            "macro_china_lpr, bond_zh_us_rate, macro_china_cpi/ppi/pmi_yearly (Jin10), rate_interbank (Shibor), "
            "macro_china_money_supply, macro_china_shrzgm (MOFCOM), currency_boc_safe (SAFE)",
            split="whole",
            needs_symbols=False,
            units=f"series: {', '.join(AKSHARE_MACRO)}; rates/yoy %; m1, m2, tsf 亿元 (unit 'CNY 100m', kept); "
            "usdcny = SAFE 中间价 per 100 USD ×0.01 → CNY per USD; monthly series at month end, release_date null; "
            "jin10 series dated by release day",
        ),
        Capability(
            "north_flow",
            "stock_hsgt_hist_em(symbol=沪股通|深股通|北向资金) (Eastmoney)",
            split="whole",
            needs_symbols=False,
            history="from 2014-11-17 (沪股通); exchanges stopped daily net-buy figures after 2024-08-16",
            units="当日成交净买额/买入成交额/卖出成交额 亿元 ×10⁸ → CNY; channel sh, sz, total",
        ),
        Capability(
            "margin_detail",
            "stock_margin_detail_sse + stock_margin_detail_szse (exchanges, one call each per trading day)",
            split="range",
            needs_symbols=False,
            units="balances and buys 元; 融券卖出量 shares; SSE gives no 融券余额 (sec_balance null for SH)",
        ),
        Capability(
            "industry_flow",
            "stock_sector_fund_flow_hist (Eastmoney 行业资金流; names from stock_sector_fund_flow_rank)",
            split="whole",
            needs_symbols=False,
            history="about the last 120 trading days",
            units="净额 元; 净占比 %; scope='industry', code = Eastmoney industry name; --symbols = names",
            rate_limit="one Eastmoney call per industry (~90)",
        ),
        Capability(
            "industry_member",
            "sw_index_first_info + index_component_sw (Shenwan L1, legulegu / swsresearch)",
            split="whole",
            needs_symbols=False,
            units="classification sw2021_l1; start_date = 计入日期; current members only (end_date null)",
            rate_limit="one call per industry (31)",
        ),
        Capability(
            "st_history",
            "stock_info_sz_change_name(symbol='简称变更') (SZSE)",
            split="whole",
            needs_symbols=False,
            history="Shenzhen stocks only (no dated rename table for Shanghai in AKShare)",
            units="ST periods from dated names (thermoquant.market.st); end = day before the next rename",
        ),
        Capability(
            "block_trade",
            "stock_dzjy_mrmx(symbol='A股') (Eastmoney)",
            split="range",
            needs_symbols=False,
            units="成交价 CNY; 成交量 shares; 成交额 元; premium_pct = (成交价/收盘价 − 1)×100",
        ),
        Capability(
            "trade_calendar",
            "tool_trade_date_hist_sina (Sina)",
            split="whole",
            needs_symbols=False,
            history="1990-12-19 to the end of the current year",
            units="open days only (trade_date); the days between them closed, through 31 December when the list "
            "reaches the year's last week (trade_calendar.through_year_end)",
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
        if out.height:
            out = out.join(self._list_dates(), on="symbol", how="left")
            out = out.join(self._sw_industry(), on="symbol", how="left")
        return stock_info_rows(out, symbols)

    def _best_effort(
        self, what: str, fetch: Callable[[], pl.DataFrame], schema: dict[str, Any]
    ) -> pl.DataFrame:
        """`fetch()`, or an empty frame of `schema` when it fails (logged): enrichments never cost the stock list."""
        try:
            return fetch()
        except Exception as exc:  # any vendor failure: the list is still worth storing
            log.warning("akshare stock_info: %s unavailable, left null: %s", what, exc)
            return pl.DataFrame(schema=schema)

    def _list_dates(self) -> pl.DataFrame:
        """symbol → list_date from the exchanges' stock lists (SSE main + STAR, SZSE A shares, BSE), each best effort."""
        schema = {"symbol": pl.Utf8, "list_date": pl.Date}
        parts = [
            self._best_effort(
                f"{func}{params or ''} list dates",
                lambda func=func, params=params, mapping=mapping: map_columns(
                    self._call("stock_info", func, **params), mapping, self.name, "stock_info"
                ),
                schema,
            )
            for func, params, mapping in EXCHANGE_LISTS
        ]
        out = concat_parts(parts)
        return out.unique(subset=["symbol"], keep="first") if out.height else pl.DataFrame(schema=schema)

    def _sw_industry(self) -> pl.DataFrame:
        """symbol → Shenwan L1 industry name (`industry`, `industry_source` = sw2021_l1)."""

        def fetch() -> pl.DataFrame:
            members = self._industry_member(None, None, None)
            if members.height == 0:
                return pl.DataFrame(
                    schema={"symbol": pl.Utf8, "industry": pl.Utf8, "industry_source": pl.Utf8}
                )
            return (
                members.sort("start_date")
                .unique(subset=["symbol"], keep="last")
                .select(
                    "symbol",
                    pl.col("industry_name").alias("industry"),
                    pl.lit(SW_L1).alias("industry_source"),
                )
            )

        schema = {"symbol": pl.Utf8, "industry": pl.Utf8, "industry_source": pl.Utf8}
        return self._best_effort("Shenwan industry", fetch, schema)

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
        out = map_columns(raw, mapping, self.name, "adj_factor", constants={"symbol": symbol})
        return out.filter(pl.col("trade_date") != SINA_FACTOR_BASE_DATE)

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
        frames: dict[tuple[str, tuple[tuple[str, str], ...]], pl.DataFrame] = {}
        parts: list[pl.DataFrame] = []
        for series in wanted:
            spec = AKSHARE_MACRO[series]
            key = (spec.func, spec.params)
            if key not in frames:
                frames[key] = self._call("macro", spec.func, **dict(spec.params))
            raw = frames[key]
            if spec.period != "date" and spec.date_col in raw.columns:
                raw = raw.with_columns(month_end_expr(spec.date_col, spec.period))
            release = pl.col("period_date") if spec.released else pl.lit(None, dtype=pl.Date)
            part = map_columns(
                raw,
                {spec.date_col: "period_date", spec.value_col: "value"},
                self.name,
                "macro",
                units={"value": spec.factor},
                constants={"series": series, "unit": spec.unit},
                derived=[release.alias("release_date")],
            )
            parts.append(part)
        return concat_parts(parts)

    def _north_flow(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        wanted = list(symbols) if symbols else list(NORTH_CHANNELS)
        unknown = [c for c in wanted if c not in NORTH_CHANNELS]
        if unknown:
            raise SourceError(
                self.name, "north_flow", f"unknown channel {unknown}; known: {list(NORTH_CHANNELS)}"
            )
        parts = [
            map_columns(
                self._call("north_flow", "stock_hsgt_hist_em", symbol=NORTH_CHANNELS[channel]),
                EM_NORTH_COLUMNS,
                self.name,
                "north_flow",
                units=dict.fromkeys(("net_buy", "buy_amount", "sell_amount"), YI),
                constants={"channel": channel},
            )
            for channel in wanted
        ]
        out = concat_parts(parts)
        if out.height == 0:
            return out
        # days after the 2024-08 disclosure change come back with no figures: no row rather than an empty one
        return out.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in ("net_buy", "buy_amount")))

    def _margin_detail(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        from thermoquant.market.calendar import trading_days

        if start is None or end is None:
            raise SourceError(
                self.name, "margin_detail", "needs --start and --end (one call per exchange and trading day)"
            )
        parts: list[pl.DataFrame] = []
        for day in trading_days(start, end):
            stamp = yyyymmdd(day, "")
            sse = self._call("margin_detail", "stock_margin_detail_sse", date=stamp)
            parts.append(map_columns(sse, SSE_MARGIN_COLUMNS, self.name, "margin_detail"))
            szse = self._call("margin_detail", "stock_margin_detail_szse", date=stamp)
            parts.append(
                map_columns(
                    szse, SZSE_MARGIN_COLUMNS, self.name, "margin_detail", constants={"trade_date": day}
                )
            )
        return keep_symbols(concat_parts(parts), symbols)

    def _industry_flow(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        names = list(symbols) if symbols else None
        if names is None:
            rank = self._call(
                "industry_flow", "stock_sector_fund_flow_rank", indicator="今日", sector_type="行业资金流"
            )
            if "名称" not in rank.columns and rank.height:
                raise SchemaMismatchError(self.name, "industry_flow", "名称", rank.columns)
            names = rank["名称"].drop_nulls().unique(maintain_order=True).to_list() if rank.height else []
        return concat_parts(
            map_columns(
                self._call("industry_flow", "stock_sector_fund_flow_hist", symbol=name),
                EM_FLOW_COLUMNS,
                self.name,
                "industry_flow",
                constants={"scope": "industry", "code": name},
            )
            for name in names
        )

    def _industry_member(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        industries = map_columns(
            self._call("industry_member", "sw_index_first_info"),
            {"行业代码": "industry_code", "行业名称": "industry_name"},
            self.name,
            "industry_member",
        )
        parts = []
        for code, name in industries.select("industry_code", "industry_name").iter_rows():
            raw = self._call("industry_member", "index_component_sw", symbol=str(code).split(".")[0])
            parts.append(
                map_columns(
                    raw,
                    {"证券代码": "symbol", "计入日期": "start_date"},
                    self.name,
                    "industry_member",
                    constants={"classification": SW_L1, "industry_code": code, "industry_name": name},
                )
            )
        return keep_symbols(concat_parts(parts), symbols)

    def _st_history(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        raw = self._call("st_history", "stock_info_sz_change_name", symbol="简称变更")
        mapping = {"证券代码": "symbol", "变更日期": "start_date", "变更后简称": "name"}
        renames = map_columns(raw, mapping, self.name, "st_history")
        events = renames.select("symbol", pl.col("start_date").alias("date"), "name")
        return keep_symbols(st_intervals_from_renames(events), symbols)

    def _block_trade(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        if start is None or end is None:
            raise SourceError(self.name, "block_trade", "needs --start and --end")
        raw = self._call(
            "block_trade",
            "stock_dzjy_mrmx",
            symbol="A股",
            start_date=yyyymmdd(start, ""),
            end_date=yyyymmdd(end, ""),
        )
        out = map_columns(
            raw,
            EM_BLOCK_COLUMNS,
            self.name,
            "block_trade",
            units={"close": 1.0},
            derived=[((pl.col("price") / pl.col("close") - 1.0) * 100.0).alias("premium_pct")],
        )
        return keep_symbols(block_trade_sequence(out), symbols)

    def _trade_calendar(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        raw = self._call("trade_calendar", "tool_trade_date_hist_sina")
        days = map_columns(raw, {"trade_date": "cal_date"}, self.name, "trade_calendar")["cal_date"]
        if days.null_count():
            row = int(days.is_null().arg_max() or 0)
            raise SourceError(
                self.name,
                "trade_calendar",
                f"trade_date row {row + 1}: {raw['trade_date'][row]!r} is not a date",
            )
        if days.len() == 0:
            return pl.DataFrame()
        return from_open_days(days.to_list(), self.name, last=through_year_end(days.max()))


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
