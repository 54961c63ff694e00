"""Every table, once: the single source of truth for columns, keys, types and units.

Conventions (DESIGN.md): symbols `600000.SH`; dates are calendar dates of the exchange (Asia/Shanghai); timestamps are
naive Asia/Shanghai wall-clock times; prices in CNY; volume in shares (converted from 手 at the edge); amount in CNY;
percentages are stated as such in the unit (`%` means 1.5 = 1.5%). JSON columns hold UTF-8 JSON text.

Backends render the logical types below into their own DDL (`data/store/`); frames read back carry the Polars dtypes
of :meth:`Table.polars_schema`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

LogicalType = Literal["text", "int", "bigint", "double", "bool", "date", "timestamp", "json"]

POLARS_TYPES: dict[str, pl.DataType] = {
    "text": pl.Utf8(),
    "int": pl.Int32(),
    "bigint": pl.Int64(),
    "double": pl.Float64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "timestamp": pl.Datetime("us"),
    "json": pl.Utf8(),
}


@dataclass(frozen=True)
class Column:
    """One column: name, logical type, unit (empty when unitless) and meaning."""

    name: str
    type: LogicalType
    unit: str
    doc: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    """A table: its columns in order, its primary key and what a row means."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: duplicate column names")
        missing = [k for k in self.primary_key if k not in names]
        if missing:
            raise ValueError(f"table {self.name}: primary key columns {missing} are not columns")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name} has no column {name!r}")

    def polars_schema(self) -> dict[str, pl.DataType]:
        """Column name → Polars dtype, in table order."""
        return {c.name: POLARS_TYPES[c.type] for c in self.columns}

    def is_key(self, name: str) -> bool:
        return name in self.primary_key


def _c(name: str, type_: LogicalType, unit: str, doc: str, nullable: bool = True) -> Column:
    return Column(name, type_, unit, doc, nullable)


def _k(name: str, type_: LogicalType, unit: str, doc: str) -> Column:
    """A key column (never null)."""
    return Column(name, type_, unit, doc, nullable=False)


SYMBOL = _k("symbol", "text", "", "security code, 6 digits + exchange suffix, e.g. 600000.SH")
TRADE_DATE = _k("trade_date", "date", "", "trading day (exchange calendar date)")
SOURCE = _c(
    "source",
    "text",
    "",
    "where the row's values came from: <family> for fetched data (tushare, akshare, baostock, xtquant), "
    "<family>:<file> for an imported file (baostock:sz.000025.csv); see thermoquant.data.merge",
)
LOSSY = _c(
    "lossy",
    "text",
    "",
    "columns of the row whose value the source printed with lost precision (e.g. amount in scientific "
    "notation), comma-separated; null or empty when none. A lossy value never replaces a precise one",
)
CELL_SOURCES = _c(
    "cell_sources",
    "text",
    "",
    "column=family for each value of the row that came from another source family than `source` "
    "(comma-separated, e.g. turnover=baostock); null or empty when all came from `source`",
)


def _ohlcv(volume_doc: str = "traded volume") -> tuple[Column, ...]:
    return (
        _c("open", "double", "CNY", "opening price (unadjusted)"),
        _c("high", "double", "CNY", "highest price (unadjusted)"),
        _c("low", "double", "CNY", "lowest price (unadjusted)"),
        _c("close", "double", "CNY", "closing price (unadjusted)"),
        _c(
            "pre_close",
            "double",
            "CNY",
            "exchange reference previous close (differs from the last close on ex-rights days)",
        ),
        _c("volume", "double", "shares", volume_doc),
        _c("amount", "double", "CNY", "traded amount"),
    )


TABLES_LIST: list[Table] = [
    Table(
        "schema_version",
        "Applied forward migrations, one row per version.",
        (
            _k("version", "int", "", "migration number, 1-based"),
            _c("description", "text", "", "what the migration did"),
            _c("applied_at", "timestamp", "", "when it was applied (local time)"),
        ),
        ("version",),
    ),
    Table(
        "trade_calendar",
        "The exchange calendar (XSHG; SZSE and BSE share it), one row per calendar day it covers, so the product "
        "outlives the calendar package: filled from exchange_calendars, the sources that publish ahead (Tushare "
        "trade_cal, AKShare tool_trade_date_hist_sina, xtquant get_trading_dates) and announced holidays.",
        (
            _k("cal_date", "date", "", "calendar day (Asia/Shanghai)"),
            _c("is_open", "bool", "", "true on a trading day", nullable=False),
            SOURCE,
            _c("updated_at", "timestamp", "", "when the row was written"),
        ),
        ("cal_date",),
    ),
    Table(
        "stock_info",
        "One row per listed or delisted A-share stock.",
        (
            SYMBOL,
            _c("name", "text", "", "current short name (简称)"),
            _c("exchange", "text", "", "SH, SZ or BJ"),
            _c("board", "text", "", "sh_main, sz_main, chinext, star, bse"),
            _c(
                "industry",
                "text",
                "",
                "industry name (申万一级 where the source has it, else the source's own)",
            ),
            _c("industry_source", "text", "", "classification of `industry`, e.g. sw2021_l1, em, baostock"),
            _c("list_date", "date", "", "first trading day"),
            _c("delist_date", "date", "", "delisting date, null while listed"),
            _c("tracked_layer", "text", "", "stable / attack / null: which layer of seed 002 tracks it"),
            SOURCE,
            _c("updated_at", "timestamp", "", "last refresh"),
        ),
        ("symbol",),
    ),
    Table(
        "st_history",
        "Risk-warning (ST, *ST) periods per stock.",
        (
            SYMBOL,
            _k("start_date", "date", "", "first day under the warning"),
            _c("end_date", "date", "", "last day under the warning, null while in force"),
            _c("kind", "text", "", "ST, *ST, SST, S*ST"),
            SOURCE,
        ),
        ("symbol", "start_date"),
    ),
    Table(
        "industry_member",
        "Industry membership by classification and period.",
        (
            SYMBOL,
            _k("classification", "text", "", "e.g. sw2021_l1, sw2021_l2, em"),
            _k("start_date", "date", "", "membership starts"),
            _c("end_date", "date", "", "membership ends, null while in force"),
            _c("industry_code", "text", "", "code in the classification"),
            _c("industry_name", "text", "", "name in the classification"),
            SOURCE,
        ),
        ("symbol", "classification", "start_date"),
    ),
    Table(
        "daily_quote",
        "Unadjusted daily bars per stock. Suspended days carry is_suspended = true and null prices, or no row.",
        (
            SYMBOL,
            TRADE_DATE,
            *_ohlcv(),
            _c("turnover", "double", "%", "volume / float shares × 100"),
            _c("float_shares", "double", "shares", "tradable (流通) shares"),
            _c("total_shares", "double", "shares", "total shares"),
            _c("up_limit", "double", "CNY", "limit-up price of the day where the source gives it"),
            _c("down_limit", "double", "CNY", "limit-down price of the day where the source gives it"),
            _c("is_suspended", "bool", "", "true when the stock did not trade that day"),
            _c("is_st", "bool", "", "under risk warning that day, where the source says"),
            SOURCE,
            LOSSY,
            CELL_SOURCES,
        ),
        ("symbol", "trade_date"),
    ),
    Table(
        "adj_factor",
        "Cumulative adjustment factor (Tushare convention: hfq price = raw × factor; qfq anchored at date D = raw × "
        "factor / factor(D)).",
        (SYMBOL, TRADE_DATE, _c("adj_factor", "double", "ratio", "cumulative adjustment factor"), SOURCE),
        ("symbol", "trade_date"),
    ),
    Table(
        "daily_valuation",
        "Daily valuation per stock (as published after the close).",
        (
            SYMBOL,
            TRADE_DATE,
            _c("pe_ttm", "double", "ratio", "price / trailing-12-month EPS"),
            _c("pb", "double", "ratio", "price / book per share (MRQ)"),
            _c("ps_ttm", "double", "ratio", "price / TTM revenue per share"),
            _c("pcf_ttm", "double", "ratio", "price / TTM operating cash flow per share"),
            _c("dividend_yield", "double", "%", "trailing dividend yield"),
            _c("total_mv", "double", "CNY", "total market value"),
            _c("float_mv", "double", "CNY", "float market value"),
            SOURCE,
            CELL_SOURCES,
        ),
        ("symbol", "trade_date"),
    ),
    Table(
        "minute_quote",
        "Intraday bars; `bar_time` is the bar's END time (Asia/Shanghai wall clock), as Chinese vendors label bars.",
        (
            SYMBOL,
            _k("freq", "text", "", "1m, 5m, 15m, 30m, 60m"),
            _k("bar_time", "timestamp", "", "bar end time"),
            _c("open", "double", "CNY", "open"),
            _c("high", "double", "CNY", "high"),
            _c("low", "double", "CNY", "low"),
            _c("close", "double", "CNY", "close"),
            _c("volume", "double", "shares", "volume in the bar"),
            _c("amount", "double", "CNY", "amount in the bar"),
            SOURCE,
        ),
        ("symbol", "freq", "bar_time"),
    ),
    Table(
        "index_daily",
        "Daily bars of indices (000905.SH CSI500, 000300.SH, 000852.SH, 000001.SH …).",
        (
            _k("index_code", "text", "", "index code, e.g. 000905.SH"),
            TRADE_DATE,
            *_ohlcv("traded volume of the index"),
            SOURCE,
            LOSSY,
            CELL_SOURCES,
        ),
        ("index_code", "trade_date"),
    ),
    Table(
        "index_weight",
        "Index constituents and weights by effective date (a membership set is in force from effective_date until the "
        "next effective_date of the same index).",
        (
            _k("index_code", "text", "", "index code, e.g. 000905.SH"),
            _k("effective_date", "date", "", "date the membership takes effect (asof_date)"),
            SYMBOL,
            _c("weight", "double", "%", "weight in the index"),
            _c(
                "snapshot_date",
                "date",
                "",
                "date of the vendor's weight snapshot (trade_date in Tushare index_weight)",
            ),
            SOURCE,
        ),
        ("index_code", "effective_date", "symbol"),
    ),
    Table(
        "index_member",
        "Index membership as intervals (qlib instruments): the stock is a constituent from in_date to out_date, both "
        "inclusive. No weights; index_weight holds dated weight snapshots where a source has them.",
        (
            _k("index_code", "text", "", "index code, e.g. 000905.SH"),
            SYMBOL,
            _k("in_date", "date", "", "first day in the index"),
            _c("out_date", "date", "", "last day in the index, null while a member"),
            SOURCE,
        ),
        ("index_code", "symbol", "in_date"),
    ),
    Table(
        "etf_daily",
        "Daily bars of exchange-traded funds (unadjusted).",
        (
            SYMBOL,
            TRADE_DATE,
            *_ohlcv(),
            _c(
                "turnover_vendor",
                "double",
                "%",
                "vendor's own turnover definition (Eastmoney), not vol/fd_share",
            ),
            SOURCE,
            LOSSY,
            CELL_SOURCES,
        ),
        ("symbol", "trade_date"),
    ),
    Table(
        "fund_share",
        "Fund shares outstanding per trading day (published after the close).",
        (
            SYMBOL,
            TRADE_DATE,
            _c("fd_share", "double", "shares", "fund shares outstanding (Tushare 万份 × 10⁴)"),
            SOURCE,
        ),
        ("symbol", "trade_date"),
    ),
    Table(
        "finance_data",
        "Point-in-time financial indicators: a row is usable from ann_date, not from report_period. Revisions add rows "
        "with a later ann_date.",
        (
            SYMBOL,
            _k("report_period", "date", "", "period end, e.g. 2024-12-31"),
            _k("ann_date", "date", "", "announcement date: first day the value is known"),
            _c("roe", "double", "%", "return on equity"),
            _c("roa", "double", "%", "return on assets"),
            _c("eps", "double", "CNY", "basic earnings per share"),
            _c("bps", "double", "CNY", "book value per share"),
            _c("gross_margin", "double", "%", "gross margin"),
            _c("net_margin", "double", "%", "net margin"),
            _c("revenue", "double", "CNY", "operating revenue of the period"),
            _c("net_profit", "double", "CNY", "net profit attributable to parent"),
            _c("revenue_yoy", "double", "%", "revenue growth year on year"),
            _c("profit_yoy", "double", "%", "net profit growth year on year"),
            _c("debt_ratio", "double", "%", "total liabilities / total assets"),
            _c("current_ratio", "double", "ratio", "current assets / current liabilities"),
            _c("quick_ratio", "double", "ratio", "(current assets − inventory) / current liabilities"),
            _c("ocf", "double", "CNY", "operating cash flow of the period"),
            _c("ocf_to_profit", "double", "ratio", "operating cash flow / net profit"),
            _c("dps", "double", "CNY", "cash dividend per share (pre-tax) declared for the period"),
            _c("payout_ratio", "double", "%", "dividends / net profit"),
            SOURCE,
        ),
        ("symbol", "report_period", "ann_date"),
    ),
    Table(
        "funds_flow",
        "Money flow by order size per stock, industry or market (scope), one row per day.",
        (
            _k("scope", "text", "", "stock, industry or market"),
            _k("code", "text", "", "stock symbol, industry code, or 'ALL' for the market"),
            TRADE_DATE,
            _c("main_net", "double", "CNY", "main (extra-large + large) net inflow"),
            _c("xl_net", "double", "CNY", "extra-large order net inflow"),
            _c("l_net", "double", "CNY", "large order net inflow"),
            _c("m_net", "double", "CNY", "medium order net inflow"),
            _c("s_net", "double", "CNY", "small order net inflow"),
            _c("main_net_pct", "double", "%", "main net inflow / amount"),
            SOURCE,
        ),
        ("scope", "code", "trade_date"),
    ),
    Table(
        "north_flow",
        "North-bound (Stock Connect) net buying by channel.",
        (
            TRADE_DATE,
            _k("channel", "text", "", "sh (沪股通), sz (深股通) or total"),
            _c("net_buy", "double", "CNY", "net buy amount of the day"),
            _c("buy_amount", "double", "CNY", "buy amount"),
            _c("sell_amount", "double", "CNY", "sell amount"),
            SOURCE,
        ),
        ("trade_date", "channel"),
    ),
    Table(
        "margin_detail",
        "Margin trading per stock per day (融资融券).",
        (
            SYMBOL,
            TRADE_DATE,
            _c("fin_balance", "double", "CNY", "financing balance (融资余额)"),
            _c("fin_buy", "double", "CNY", "financing buy amount of the day (融资买入额)"),
            _c("sec_balance", "double", "CNY", "securities-lending balance (融券余额)"),
            _c(
                "sec_sell_volume",
                "double",
                "shares",
                "securities-lending sell volume of the day (融券卖出量)",
            ),
            SOURCE,
        ),
        ("symbol", "trade_date"),
    ),
    Table(
        "dragon_tiger",
        "龙虎榜: one row per stock, day and listing reason.",
        (
            SYMBOL,
            TRADE_DATE,
            _k("reason", "text", "", "上榜原因"),
            _c("buy_amount", "double", "CNY", "amount bought by the listed seats"),
            _c("sell_amount", "double", "CNY", "amount sold by the listed seats"),
            _c("net_amount", "double", "CNY", "net amount of the listed seats"),
            _c("inst_net", "double", "CNY", "institutional seats' net amount"),
            SOURCE,
        ),
        ("symbol", "trade_date", "reason"),
    ),
    Table(
        "block_trade",
        "大宗交易: one row per block trade.",
        (
            SYMBOL,
            TRADE_DATE,
            _k("seq", "int", "", "order of the trade within the stock-day"),
            _c("price", "double", "CNY", "trade price"),
            _c("volume", "double", "shares", "traded shares"),
            _c("amount", "double", "CNY", "traded amount"),
            _c("premium_pct", "double", "%", "price / close − 1, × 100"),
            _c("buyer", "text", "", "buyer seat"),
            _c("seller", "text", "", "seller seat"),
            SOURCE,
        ),
        ("symbol", "trade_date", "seq"),
    ),
    Table(
        "share_unlock",
        "限售解禁: scheduled lock-up expiries (the scan's blacklist reads upcoming ones).",
        (
            SYMBOL,
            _k("unlock_date", "date", "", "date the shares become tradable"),
            _c("shares", "double", "shares", "shares unlocked"),
            _c("float_ratio", "double", "%", "unlocked shares / float shares before"),
            _c("kind", "text", "", "type of restricted shares"),
            SOURCE,
        ),
        ("symbol", "unlock_date"),
    ),
    Table(
        "macro",
        "Macro series as (series, period) observations, point in time where the release date is known.",
        (
            _k(
                "series",
                "text",
                "",
                "e.g. lpr_1y, shibor_on, cgb_10y, cpi_yoy, ppi_yoy, pmi, m1_yoy, m2_yoy, tsf, usdcny",
            ),
            _k("period_date", "date", "", "observation date or period end"),
            _c("value", "double", "", "value in the series' unit"),
            _c("unit", "text", "", "unit of value: %, index, CNY, CNY 100m …"),
            _c("release_date", "date", "", "first day the value was public, where known"),
            SOURCE,
        ),
        ("series", "period_date"),
    ),
    Table(
        "signals",
        "Signals and scores of every strategy and scan, per symbol and time.",
        (
            _k("strategy", "text", "", "producer, e.g. thermo, csi500_timing, attack_score, stable_alert"),
            SYMBOL,
            _k("signal_time", "timestamp", "", "when the signal was computed (bar end; daily = 15:00)"),
            _c("signal", "text", "", "BUY, SELL, HOLD, WATCH, ALERT, OBSERVE …"),
            _c("state", "text", "", "thermodynamic state A/B/C/D where relevant"),
            _c("score", "double", "", "composite score"),
            _c("reason", "text", "", "why: the rule that fired, in words"),
            _c("take_profit", "double", "CNY", "take-profit price"),
            _c("stop_loss", "double", "CNY", "stop-loss price"),
            _c("details", "json", "", "component scores and inputs"),
            _c("created_at", "timestamp", "", "row written at"),
            # --- issue 16: stable/attack layers (additive column)
            _c("layer", "text", "", "seed 002 layer: stable (alerts only, nothing trades) or attack"),
        ),
        ("strategy", "symbol", "signal_time"),
    ),
    Table(
        "trades",
        "Fills: backtest, paper and live, one row per fill.",
        (
            _k("trade_id", "text", "", "unique id (run_id/account + sequence)"),
            _c("run_id", "text", "", "backtest_log.run_id for backtests, null live"),
            _c("account", "text", "", "account or 'backtest'"),
            _c("mode", "text", "", "backtest, paper or live"),
            _c("order_id", "text", "", "order id"),
            _c("symbol", "text", "", "security code"),
            _c("trade_time", "timestamp", "", "fill time"),
            _c("side", "text", "", "buy or sell"),
            _c("quantity", "double", "shares", "filled shares"),
            _c("price", "double", "CNY", "fill price"),
            _c("amount", "double", "CNY", "quantity × price"),
            _c("commission", "double", "CNY", "commission incl. minimum"),
            _c("stamp_duty", "double", "CNY", "stamp duty"),
            _c("transfer_fee", "double", "CNY", "transfer fee"),
            _c("strategy", "text", "", "strategy that asked for it"),
            _c("reason", "text", "", "signal or rule behind the order"),
        ),
        ("trade_id",),
    ),
    Table(
        "backtest_log",
        "One row per backtest run.",
        (
            _k("run_id", "text", "", "unique run id"),
            _c("strategy", "text", "", "strategy name"),
            _c("params", "json", "", "parameters"),
            _c("start_date", "date", "", "first day"),
            _c("end_date", "date", "", "last day"),
            _c("metrics", "json", "", "metrics (returns as fractions)"),
            _c("report_path", "text", "", "HTML report written"),
            _c("code_version", "text", "", "thermoquant version"),
            _c("created_at", "timestamp", "", "run time"),
            _c(
                "config",
                "json",
                "",
                "execution: fill model, cash, participation, slippage, fee model and the dated "
                "stamp-duty / transfer-fee tables in force",
            ),
            _c(
                "inputs", "json", "", "how the inputs were built (source, mode, range) and their fingerprints"
            ),
        ),
        ("run_id",),
    ),
    Table(
        "alerts_log",
        "Every alert raised and where it was delivered.",
        (
            _k("alert_id", "text", "", "unique id"),
            _c("alert_time", "timestamp", "", "raised at"),
            _c("level", "text", "", "info, warning, critical"),
            _c("rule", "text", "", "rule that fired"),
            _c("symbol", "text", "", "security, if any"),
            _c("message", "text", "", "text sent"),
            _c("channels", "text", "", "comma-separated channels tried"),
            _c("delivered", "bool", "", "true when every channel accepted it"),
            _c("error", "text", "", "delivery error, if any"),
            # --- issue 18: alerts_log as the outbox (a row with status and delivered null is pending)
            _c("status", "text", "", "pending, sent, partial, failed, suppressed (null = pending)"),
            _c("dedup_key", "text", "", "alerts with one key are raised once (rule|symbol|day by default)"),
            _c("urgent", "bool", "", "sent at once (stops, kill switch, failed job), not in the digest"),
            _c("attempts", "int", "", "delivery attempts so far (the most of any channel)"),
            _c("next_attempt_at", "timestamp", "", "not retried before (backoff or a channel's rate limit)"),
            _c("results", "json", "", "channel → {ok, attempts, code, detail, at, digest}"),
            _c("sent_at", "timestamp", "", "when the last channel accepted it"),
        ),
        ("alert_id",),
    ),
    Table(
        "param_pack",
        "Per-stock model parameters by effective date (seed 000's parameter packs; evolved nightly).",
        (
            SYMBOL,
            _k("effective_date", "date", "", "first day the parameters apply"),
            _c("params", "json", "", "parameter name → value"),
            _c("fit_score", "double", "", "objective value of the fit"),
            _c("method", "text", "", "default, grid, evolution …"),
            _c("created_at", "timestamp", "", "written at"),
            # --- issue 15: parameter evolution (why each pack was written)
            _c("reason", "text", "", "why this pack: calibration outcome or the nightly diagnosis"),
            _c("diagnosis", "json", "", "figures behind the reason (events, margins, windows, scores)"),
            _c("objective", "text", "", "objective the pack was scored with"),
            _c("search", "text", "", "search method: grid, random, tpe, nightly step"),
            _c("is_score", "double", "", "objective on the training window (in sample)"),
            _c("oos_score", "double", "", "objective on the test window / recent record (out of sample)"),
            _c("n_trades", "bigint", "trades", "trades behind is_score"),
            _c("data_end", "date", "", "last bar the pack was computed from (before effective_date)"),
            _c("config", "json", "", "evolution settings of the run"),
            _c("job_id", "text", "", "job_log row of the run that wrote it"),
        ),
        ("symbol", "effective_date"),
    ),
    Table(
        "job_log",
        "Every job run (ingestion, features, backtests, nightly fit) with counts, gaps and errors. Never holds secrets.",
        (
            _k("job_id", "text", "", "unique id"),
            _c("job", "text", "", "job name, e.g. ingest"),
            _c("dataset", "text", "", "dataset, where relevant"),
            _c("source", "text", "", "data source, where relevant"),
            _c("args", "json", "", "arguments (secrets removed)"),
            _c("status", "text", "", "running, ok, partial, failed, interrupted"),
            _c("started_at", "timestamp", "", "start"),
            _c("finished_at", "timestamp", "", "end"),
            _c("rows_in", "bigint", "rows", "rows received"),
            _c("rows_written", "bigint", "rows", "rows inserted or changed"),
            _c("gaps", "json", "", "what is missing"),
            _c("errors", "json", "", "errors met"),
        ),
        ("job_id",),
    ),
    Table(
        "ingest_checkpoint",
        "Resumable jobs: which work items of a job key are done.",
        (
            _k("job_key", "text", "", "stable key of the job (dataset, source, range)"),
            _k("item", "text", "", "work item, e.g. a symbol or a month"),
            _c("status", "text", "", "done or failed"),
            _c("rows", "bigint", "rows", "rows written for the item"),
            _c("updated_at", "timestamp", "", "last change"),
        ),
        ("job_key", "item"),
    ),
    Table(
        "audit_log",
        "Who did what to which object, for reconciliation and review.",
        (
            _k("event_id", "text", "", "unique id"),
            _c("event_time", "timestamp", "", "when"),
            _c("actor", "text", "", "user, job or component"),
            _c("action", "text", "", "what was done"),
            _c("object", "text", "", "what it was done to"),
            _c("details", "json", "", "details"),
        ),
        ("event_id",),
    ),
    # --- issue 14: core-satellite sleeves of a backtest run
    Table(
        "backtest_sleeve",
        "Daily book of each sleeve (virtual sub-portfolio of the one account) of a core-satellite backtest run.",
        (
            _k("run_id", "text", "", "backtest_log run id"),
            _k("sleeve", "text", "", "core or satellite"),
            TRADE_DATE,
            _c("cash", "double", "CNY", "the sleeve's cash after the close"),
            _c("gross", "double", "CNY", "the sleeve's positions at the close"),
            _c("equity", "double", "CNY", "cash + gross; the sleeves sum to the account's equity"),
        ),
        ("run_id", "sleeve", "trade_date"),
    ),
    Table(
        "backtest_transfer",
        "Profit transfers satellite → core of a core-satellite run: one row per declaration and per cash payment.",
        (
            _k("run_id", "text", "", "backtest_log run id"),
            _k("seq", "bigint", "", "row order within the run"),
            _c("trade_date", "date", "", "check day (declare) or the day the cash moved (pay)"),
            _c("event", "text", "", "declare or pay"),
            _c("amount", "double", "CNY", "amount declared or paid"),
            _c("satellite_equity", "double", "CNY", "the satellite's equity before the event"),
            _c("satellite_base", "double", "CNY", "the satellite's high-water capital after the event"),
            _c("pending_after", "double", "CNY", "declared and not yet paid, after the event"),
        ),
        ("run_id", "seq"),
    ),
    # --- issue 18: the daily chain's steps, one row per (run, step): what a re-run may skip
    Table(
        "job_step",
        "Steps of a chained run (tq daily): done steps are skipped when the same run is started again.",
        (
            _k("run_key", "text", "", "the chain and its day, e.g. daily|2022-01-14"),
            _k("step", "text", "", "step name, e.g. ingest:daily_quote"),
            _c("status", "text", "", "running, ok, failed, skipped (a dependency failed)"),
            _c("job_id", "text", "", "job_log row of the step's last run"),
            _c("started_at", "timestamp", "", "start of the last run"),
            _c("finished_at", "timestamp", "", "end of the last run"),
            _c("rows_written", "bigint", "rows", "rows inserted or changed"),
            _c("error", "text", "", "the error of a failed step (masked)"),
        ),
        ("run_key", "step"),
    ),
    # --- issue 17: trading (orders and their transitions, the paper venue, snapshots, kill switch)
    Table(
        "orders",
        "Our order book, live and paper: one row per client order id, written as an intent BEFORE it is sent. "
        "status: new, submitted, partially_filled, filled, cancelled, rejected (every change in order_events).",
        (
            _k("client_order_id", "text", "", "deterministic id: date, strategy, symbol, leg (short ASCII)"),
            _c("account", "text", "", "account name (paper account or the QMT fund account)"),
            _c("broker", "text", "", "paper or qmt"),
            _c("trade_date", "date", "", "trading day the order is for"),
            _c("strategy", "text", "", "strategy that asked for it"),
            _c("symbol", "text", "", "security code"),
            _c("leg", "int", "", "leg number of the (date, strategy, symbol) order, from 0"),
            _c("side", "text", "", "buy or sell"),
            _c("quantity", "double", "shares", "ordered shares"),
            _c("price_type", "text", "", "market (the bar's fill price) or limit"),
            _c("limit_price", "double", "CNY", "limit price, null for market orders"),
            _c("status", "text", "", "new, submitted, partially_filled, filled, cancelled, rejected"),
            _c("broker_order_id", "text", "", "the broker's order id once known"),
            _c("filled_qty", "double", "shares", "filled shares so far"),
            _c("avg_price", "double", "CNY", "average fill price"),
            _c("reason", "text", "", "signal or rule behind the order; rejection reason"),
            _c("created_at", "timestamp", "", "intent written"),
            _c("updated_at", "timestamp", "", "last change"),
            _c("needs_confirm", "bool", "", "true: --confirm mode, sent only once a person confirms"),
            _c("confirmed_at", "timestamp", "", "when `tq trade confirm` released it"),
        ),
        ("client_order_id",),
    ),
    Table(
        "order_events",
        "Every state transition of an order (from_status null for the intent).",
        (
            _k("client_order_id", "text", "", "orders.client_order_id"),
            _k("seq", "int", "", "transition number, from 0"),
            _c("event_time", "timestamp", "", "when"),
            _c("from_status", "text", "", "state before"),
            _c("to_status", "text", "", "state after"),
            _c("details", "json", "", "fills, broker ids, error codes"),
        ),
        ("client_order_id", "seq"),
    ),
    Table(
        "paper_ledger",
        "The paper broker's venue: an append-only ledger, one row per event (deposit, order accepted, fill, "
        "reject, cancel, dividend, split) carrying the account's cash and the symbol's position after it.",
        (
            _k("account", "text", "", "paper account name"),
            _k("seq", "bigint", "", "event number in the account, from 1"),
            _c("event_time", "timestamp", "", "simulated time of the event"),
            _c("trade_date", "date", "", "trading day"),
            _c("kind", "text", "", "deposit, order, fill, reject, cancel, dividend, split"),
            _c("client_order_id", "text", "", "order's client id (order, fill, reject, cancel)"),
            _c("symbol", "text", "", "security code"),
            _c("side", "text", "", "buy or sell"),
            _c("requested", "double", "shares", "ordered shares (signed, + buy)"),
            _c("qty_delta", "double", "shares", "change of the position (signed)"),
            _c("price", "double", "CNY", "fill price"),
            _c("commission", "double", "CNY", "commission incl. minimum"),
            _c("transfer_fee", "double", "CNY", "transfer fee"),
            _c("stamp_duty", "double", "CNY", "stamp duty"),
            _c("cash_after", "double", "CNY", "account cash after the event"),
            _c("position_after", "double", "shares", "the symbol's position after the event"),
            _c("locked_after", "double", "shares", "the symbol's shares bought today (T+1) after the event"),
            _c("status", "text", "", "fill rule outcome: filled, partial, suspended, limit, t+1, cash, lot"),
        ),
        ("account", "seq"),
    ),
    Table(
        "position_snapshot",
        "Positions at a moment, from our book or from the broker (reconciliation and the close).",
        (
            _k("account", "text", "", "account"),
            _k("snap_time", "timestamp", "", "when"),
            _k("source", "text", "", "book or broker"),
            SYMBOL,
            _c("quantity", "double", "shares", "shares held"),
            _c("sellable", "double", "shares", "shares sellable now (T+1)"),
            _c("price", "double", "CNY", "mark price"),
        ),
        ("account", "snap_time", "source", "symbol"),
    ),
    Table(
        "cash_snapshot",
        "Cash and equity at a moment, from our book or from the broker.",
        (
            _k("account", "text", "", "account"),
            _k("snap_time", "timestamp", "", "when"),
            _k("source", "text", "", "book or broker"),
            _c("cash", "double", "CNY", "available cash"),
            _c("equity", "double", "CNY", "cash plus positions at the mark"),
        ),
        ("account", "snap_time", "source"),
    ),
    Table(
        "trading_state",
        "Kill switch and reconciliation gate per account; survives restarts.",
        (
            _k("account", "text", "", "account"),
            _c("state", "text", "", "ACTIVE, REDUCING (risk-reducing orders only) or HALTED (no new orders)"),
            _c("reason", "text", "", "why the state was set"),
            _c("reconcile_ok", "bool", "", "false: blocked until `tq trade reconcile --accept`"),
            _c("reconcile_note", "text", "", "the last mismatch"),
            _c("peak_equity", "double", "CNY", "highest equity seen (drawdown limit)"),
            _c("updated_at", "timestamp", "", "last change"),
        ),
        ("account",),
    ),
]

TABLES: dict[str, Table] = {t.name: t for t in TABLES_LIST}


def get_table(name: str) -> Table:
    """The table definition named `name`, with a clear error listing the known tables."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known tables: {', '.join(sorted(TABLES))}") from None
