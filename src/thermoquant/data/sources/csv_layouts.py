"""Vendor file layouts: how a header is recognised, how its columns map to ours, and what its units are.

A :class:`Layout` names the header columns that identify it (``signature``, and ``absent`` columns that must
not be there), the renaming to our column names, the kind of content (bars, weights, fund shares, reference
series) and the units of volume (``shares``, ``lots`` = 手 = 100 shares, or ``detect``) and amount (``yuan``,
``kyuan`` = 千元, or ``detect``). :data:`LAYOUTS` is tried in order; the first match wins, so specific layouts
come first.

Unit detection (:func:`detect_units`), on rows that traded:

* stocks and funds: ``r = median(amount / (volume × close))`` is ≈ 1 for (shares, 元), ≈ 100 for (手, 元),
  ≈ 0.1 for (手, 千元) and ≈ 0.001 for (shares, 千元); the allowed candidate nearest in log scale wins;
* indices (price in points, so no VWAP): amount is taken in the layout's unit (元 unless stated) and volume is
  手 when the median ``amount / volume`` exceeds :data:`INDEX_LOTS_THRESHOLD` = 150 CNY (an average A-share
  price per share is 2–100 CNY, per 手 200–10,000).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from thermoquant.data.quality import ROW, Issue, Severity
from thermoquant.data.sources.akshare_src import EASTMONEY_BAR_COLUMNS
from thermoquant.data.sources.baostock_src import DAILY_COLUMNS as BAOSTOCK_DAILY_COLUMNS
from thermoquant.data.sources.frames import OHLC, same_names
from thermoquant.data.sources.tushare_src import TS_BAR_COLUMNS

__all__ = [
    "INDEX_LOTS_THRESHOLD",
    "LAYOUTS",
    "OHLC_COLUMNS",
    "Layout",
    "UnknownLayoutError",
    "convert_units",
    "detect_layout",
    "detect_units",
]

Kind = Literal[
    "bars",
    "index_weight",
    "fund_share_implied",
    "breadth",
    "strategy_reference",
    "etf_close_turnover",
    "close_qfq",
    "stock_list",
    "index_member",
    "finance",
    "industry_snapshot",
    "finance_ratios",
    "minute_bars",
]
VolumeUnit = Literal["shares", "lots", "detect"]
AmountUnit = Literal["yuan", "kyuan", "detect"]

INDEX_LOTS_THRESHOLD = 150.0
"""Median ``amount / volume`` (CNY) above which an index's volume is taken to be in 手 (100 shares)."""


@dataclass(frozen=True)
class Layout:
    """A file layout: how to recognise it (header columns) and how to map it to our schema.

    Attributes:
        name: short id shown in reports.
        doc: where the layout comes from and its units.
        signature: header columns that must all be present.
        rename: source column → our column.
        kind: what the file holds (bars, index_weight, …).
        volume_unit: 'shares', 'lots' (手 = 100 shares) or 'detect'.
        amount_unit: 'yuan' or 'kyuan' (千元).
        absent: header columns that must NOT be present (to tell close layouts apart).
        index_codes: bare codes in the file are index codes (000905 → 000905.SH, 399006 → 399006.SZ).
        price_scale: multiply prices by this (1.0; 0.01 for prices stored as integer cents).
        reference: (name, columns) of a reference series carried beside the bars (not stored), or None.
        index_marker: a column filled on index rows only (TDX ``up_count``): on those rows bare codes are index
            codes (999999 → 000001.SH, 000001 → 000001.SH, 399006 → 399006.SZ); other rows are securities.
        vendor: the source family of the data (``tushare``, ``baostock``, ``akshare`` …; ``file`` when the origin
            is unknown): imported rows carry ``source = <vendor>:<file name>``, ranked by
            :class:`thermoquant.data.merge.MergeConfig`.
    """

    name: str
    doc: str
    signature: frozenset[str]
    rename: Mapping[str, str]
    kind: Kind = "bars"
    volume_unit: VolumeUnit = "detect"
    amount_unit: AmountUnit = "yuan"
    absent: frozenset[str] = frozenset()
    index_codes: bool = False
    price_scale: float = 1.0
    reference: tuple[str, tuple[str, ...]] | None = None
    vendor: str = "file"
    index_marker: str | None = None


def _layout(
    name: str, doc: str, rename: Mapping[str, str], signature: Iterable[str] | None = None, **kw: Any
) -> Layout:
    sig = frozenset(signature) if signature is not None else frozenset(rename)
    return Layout(name, doc, sig, dict(rename), **kw)


OHLC_COLUMNS: dict[str, str] = same_names(*OHLC)
_OHLCVA = same_names(*OHLC, "volume", "amount")
_DATE_BARS = {"date": "trade_date", **_OHLCVA}
# Baostock query_history_k_data_plus fields as the adapter maps them, plus the ones a saved file may carry.
_BAOSTOCK = {
    "code": "symbol",
    **BAOSTOCK_DAILY_COLUMNS,
    "isST": "is_st",
    "adjustflag": "adjustflag",
    "peTTM": "pe_ttm",
    "pbMRQ": "pb",
    "psTTM": "ps_ttm",
    "pcfNcfTTM": "pcf_ttm",
}

LAYOUTS: tuple[Layout, ...] = (
    _layout(
        "jerryz_strategy_data",
        "JerryZ CSI500 strategy_data.csv (Tushare index_daily of 000905.SH: volume 手, amount 千元) + features",
        same_names("trade_date", *_OHLCVA),
        signature={"trade_date", "open", "close", "volume", "amount", "breadth", "heat_z", "etf_turnover"},
        kind="strategy_reference",
        volume_unit="lots",
        amount_unit="kyuan",
        vendor="tushare",
    ),
    _layout(
        "jerryz_master_strategy",
        "JerryZ CSI500_Master_Strategy.csv: CSI500 bars (volume detected, amount 元) + ETF_Turnover %",
        {**_DATE_BARS, "code": "symbol", "ETF_Turnover": "etf_turnover_pct", "new_high_pct": "new_high_pct"},
        signature={"date", "code", "open", "close", "volume", "amount", "ETF_Turnover"},
        index_codes=True,
        reference=("etf_turnover", ("etf_turnover_pct", "new_high_pct")),
        vendor="jerryz",
    ),
    _layout(
        "baostock",
        "Baostock query_history_k_data_plus (code sh.600000, volume shares, amount 元, turn %, isST)",
        _BAOSTOCK,
        signature={"date", "code", "open", "close", "volume", "amount", "tradestatus"},
        volume_unit="shares",
        vendor="baostock",
    ),
    _layout(
        "tushare_bars",
        "Tushare daily / index_daily / fund_daily (ts_code, trade_date, vol 手, amount 千元)",
        {"ts_code": "symbol", **TS_BAR_COLUMNS},
        signature={"ts_code", "trade_date", "open", "close", "vol", "amount"},
        volume_unit="lots",
        amount_unit="kyuan",
        vendor="tushare",
    ),
    _layout(
        "index_weight_schedule",
        "Tushare index_weight / JerryZ constituent schedule (weight %, asof_date = effective date)",
        {
            "index_code": "index_code",
            "con_code": "symbol",
            "weight": "weight",
            "trade_date": "snapshot_date",
            "asof_date": "effective_date",
        },
        signature={"index_code", "con_code", "weight", "trade_date"},
        kind="index_weight",
        vendor="tushare",
    ),
    _layout(
        "tushare_fund_share",
        "Tushare fund_share (fd_share in 万份)",
        {"ts_code": "symbol", "trade_date": "trade_date", "fd_share": "fd_share_10k"},
        kind="fund_share_implied",
        vendor="tushare",
    ),
    _layout(
        "jerryz_constituent_close",
        "JerryZ CSI500 constituent closes (ts_code, trade_date, forward-adjusted close; vol 手, amount 千元)",
        {"ts_code": "symbol", **same_names("trade_date", "close"), "vol": "volume", "amount": "amount"},
        signature={"ts_code", "trade_date", "close"},
        absent=frozenset({"open"}),
        kind="close_qfq",
        volume_unit="lots",
        amount_unit="kyuan",
        vendor="tushare",
    ),
    _layout(
        "tongdaxin",
        "通达信 Tongdaxin 导出 daily bars (GBK, title + footer lines; code from the title, exchange from SH#/SZ#; "
        "成交量 shares or 手 (detected), 成交额 元)",
        {
            "日期": "trade_date",
            "开盘": "open",
            "最高": "high",
            "最低": "low",
            "收盘": "close",
            "成交量": "volume",
            "成交额": "amount",
            "tdx_symbol": "symbol",
            "adjustflag": "adjustflag",
        },
        signature={"日期", "开盘", "收盘", "成交量", "成交额", "tdx_symbol", "adjustflag"},
        vendor="tdx",
    ),
    _layout(
        "akshare_hist",
        "AKShare stock_zh_a_hist / index_zh_a_hist / fund_etf_hist_em (Eastmoney: 成交量 手, 成交额 元, 换手率 %)",
        {"股票代码": "symbol", "代码": "symbol", **EASTMONEY_BAR_COLUMNS},
        signature={"日期", "开盘", "收盘", "最高", "最低", "成交量", "成交额"},
        vendor="akshare",
    ),
    _layout(
        "netease",
        "NetEase 163 history (GBK, newest first, '000905 code, 成交量 手 or shares (detected), 成交金额 元)",
        {
            "日期": "trade_date",
            "股票代码": "symbol",
            "收盘价": "close",
            "最高价": "high",
            "最低价": "low",
            "开盘价": "open",
            "前收盘": "pre_close",
            "换手率": "turnover",
            "成交量": "volume",
            "成交金额": "amount",
            "总市值": "total_mcap",
            "流通市值": "float_mcap",
        },
        signature={"日期", "股票代码", "收盘价", "开盘价", "成交量", "成交金额"},
        vendor="netease",
    ),
    _layout(
        "suiwenfeng",
        "suiwenfeng/stock per-stock CSV (日期 YYYYMMDD, 开盘价…, 成交量 shares, 成交额 元; code from the file name)",
        {
            "日期": "trade_date",
            "开盘价": "open",
            "最高价": "high",
            "最低价": "low",
            "收盘价": "close",
            "成交量": "volume",
            "成交额": "amount",
        },
        absent=frozenset({"股票代码"}),
        vendor="file",
    ),
    _layout(
        "xbx",
        "邢不行 (xbx) per-stock / market files (code sz000025, volume shares, amount 元, market values)",
        {
            **_DATE_BARS,
            "code": "symbol",
            "preclose": "pre_close",
            **same_names("float_mcap", "total_mcap", "float_shares", "total_shares"),
        },
        signature={"code", "date", "open", "close", "preclose", "volume", "amount"},
        volume_unit="shares",
        vendor="xbx",
    ),
    _layout(
        "tq_packed_bars",
        "thermoquant bundled market sample (prices in integer fen = 0.01 CNY, volume shares, amount 元)",
        {
            **same_names("symbol", "trade_date"),
            **{f"{p}_fen": p for p in (*OHLC, "pre_close")},
            **same_names("volume", "amount", "float_shares", "total_shares"),
        },
        signature={"symbol", "trade_date", "open_fen", "close_fen", "volume", "amount"},
        volume_unit="shares",
        price_scale=0.01,
        vendor="sample",
    ),
    _layout(
        "morphkyan_eastmoney",
        "MorphKyan ETF bars from Eastmoney (open_price…, volume 手, amount 元, Eastmoney turnover_rate %)",
        {
            "code": "symbol",
            "trade_date": "trade_date",
            **{f"{p}_price": p for p in OHLC},
            **same_names("volume", "amount"),
            "turnover_rate": "turnover_vendor",
        },
        signature={"code", "trade_date", "open_price", "close_price", "volume", "amount"},
        vendor="akshare",
    ),
    _layout(
        "sample_bars",
        "thermoquant sample / derived bars (volume_lots 手, amount_yuan 元; turnover_pct_eastmoney %)",
        {
            "date": "trade_date",
            **OHLC_COLUMNS,
            "volume_lots": "volume",
            "amount_yuan": "amount",
            "turnover_pct_eastmoney": "turnover_vendor",
        },
        signature={"date", "open", "close", "volume_lots", "amount_yuan"},
        volume_unit="lots",
        vendor="sample",
    ),
    _layout(
        "derived_stock_turnover",
        "derived 603083 raw bars with approximate share counts (volume shares, amount 元, shares, turnover %)",
        {
            **_DATE_BARS,
            **{f"{c}_approx": c for c in ("float_shares", "total_shares")},
            "turnover_pct_approx": "turnover",
        },
        signature={"date", "open", "close", "volume", "amount", "float_shares_approx"},
        volume_unit="shares",
        vendor="derived",
    ),
    _layout(
        "implied_fd_share",
        "derived implied 510500 fund shares: implied_fd_share_prev_day_10k (万份) of the PREVIOUS trading day",
        {"date": "trade_date", "implied_fd_share_prev_day_10k": "fd_share_10k"},
        kind="fund_share_implied",
        vendor="derived",
    ),
    _layout(
        "trade_date_bars",
        "generic bars keyed by trade_date, no code column (morphkyan finshare; code from the file name)",
        same_names("trade_date", *_OHLCVA, "turnover"),
        signature={"trade_date", *_OHLCVA},
        absent=frozenset({"code", "ts_code", "symbol"}),
        amount_unit="detect",
        vendor="file",
    ),
    _layout(
        "tq_daily_quote",
        "thermoquant's own columns (symbol, trade_date, … volume shares, amount CNY)",
        same_names("symbol", "trade_date", *_OHLCVA, "pre_close", "turnover", "float_shares", "total_shares"),
        signature={"symbol", "trade_date", "open", "close", "volume", "amount"},
        volume_unit="shares",
        vendor="file",
    ),
    _layout(
        "jerryz_etf_close_turnover",
        "JerryZ live ETF files (date, close backward-adjusted, turnover %)",
        {"date": "trade_date", **same_names("close", "turnover")},
        absent=frozenset({"open"}),
        kind="etf_close_turnover",
        vendor="jerryz",
    ),
    _layout(
        "jerryz_breadth",
        "JerryZ csi500_breadth_daily.csv (date, breadth % of constituents above MA20)",
        {"date": "trade_date", "breadth": "breadth"},
        absent=frozenset({"open", "close"}),
        kind="breadth",
        vendor="jerryz",
    ),
    _layout(
        "date_bars",
        "generic bars keyed by date without a code column (code from the file name)",
        _DATE_BARS,
        absent=frozenset({"code", "symbol"}),
        amount_unit="detect",
        vendor="file",
    ),
    _layout(
        "date_code_bars",
        "generic bars: date, code, OHLC, volume, amount (e.g. JerryZ sh.000905.csv; volume unit detected)",
        {**_DATE_BARS, "code": "symbol"},
        amount_unit="detect",
        vendor="file",
    ),
)
LAYOUTS += (
    _layout(
        "xbx_stock_list",
        "邢不行 (xbx) stock_list.csv: code, last name, first and last date in the source → stock_info (name, "
        "list_date = first date); an ST/*ST name is in force on last_date → st_history",
        {"code": "symbol", "name_last": "name", "first_date": "list_date", "last_date": "last_date"},
        signature={"code", "name_last", "first_date", "last_date"},
        kind="stock_list",
        vendor="xbx",
    ),
    _layout(
        "qlib_instruments",
        "qlib instruments (SYMBOL, start, end; tab-separated, no header): index membership intervals, index from the "
        "file name (csi300, csi500, csi1000)",
        {"qlib_symbol": "symbol", "in_date": "in_date", "out_date": "out_date", "qlib_market": "qlib_market"},
        kind="index_member",
        vendor="qlib",
    ),
    _layout(
        "resset_roe_ttm",
        "RESSET quarterly ROE-TTM export (A_Stkcd, Enddt report period YYYY/M/D, ROETTM %) → finance_data.roe, "
        "ann_date = the period's disclosure deadline (no announcement date in the file)",
        {"A_Stkcd": "symbol", "Enddt": "report_period", "ROETTM": "roe"},
        kind="finance",
        vendor="resset",
    ),
)
LAYOUTS += (
    _layout(
        "sw2021_l1_snapshot",
        "Shenwan 2021 level-1 membership snapshot (Doris-osh industry.csv: stock_code, stock_name, "
        "sw_industry_code [mangled by Excel, ignored], sw_industry_name) → industry_member sw2021_l1",
        {"stock_code": "symbol", "stock_name": "name", "sw_industry_name": "industry_name"},
        signature={"stock_code", "stock_name", "sw_industry_name"},
        kind="industry_snapshot",
        vendor="sw_snapshot",
    ),
    _layout(
        "cninfo_sw2014",
        "cninfo (巨潮) Shenwan 2014 table: class_name = level 1, subclass_name = level 3, code, name → "
        "industry_member sw2014_l1 (as read) and sw2021_l1 (names mapped, thermoquant.market.sw_industry)",
        {"code": "symbol", "name": "name", "class_name": "sw2014_l1", "subclass_name": "sw2014_l3"},
        kind="industry_snapshot",
        vendor="cninfo",
    ),
)
LAYOUTS += (
    _layout(
        "resset_finratio",
        "RESSET financial ratios by report period (A_Stkcd, Enddt, ROE-TTM %, current ratio, net-profit growth "
        "excluding one-offs %) → finance_data; ann_date = the statutory deadline of the period (no look-ahead)",
        {
            "A股股票代码_A_Stkcd": "symbol",
            "截止日期_Enddt": "report_period",
            "净资产收益率（TTM）(%)_ROETTM": "roe",
            "流动比率(%)_CurRt": "current_ratio",
            "归属母公司的净利润（扣除）增长率(%)_NPPCCutGrRt": "profit_yoy",
        },
        signature={
            "A股股票代码_A_Stkcd",
            "截止日期_Enddt",
            "归属母公司的净利润（扣除）增长率(%)_NPPCCutGrRt",
        },
        kind="finance_ratios",
        vendor="resset",
    ),
)

LAYOUTS += (
    _layout(
        "tdx_minutes",
        "通达信 TDX .lc5/.lc1 minute export as CSV/Parquet (zsh-a/etf: code, datetime = bar END time, raw OHLC, "
        "vol shares for funds [not shares for indices: left empty], amount 元, up_count/down_count on index rows; "
        "999999 = 000001.SH; vol 5.877e-39 = no trade) → minute_quote",
        {"code": "symbol", "datetime": "bar_time", **OHLC_COLUMNS, "vol": "volume", "amount": "amount"},
        signature={"code", "datetime", "open", "high", "low", "close", "vol", "amount"},
        kind="minute_bars",
        volume_unit="shares",
        index_marker="up_count",
        vendor="tdx",
    ),
)


class UnknownLayoutError(ValueError):
    """The header matches no known layout."""


def detect_layout(columns: Sequence[str]) -> Layout:
    """The first layout of :data:`LAYOUTS` whose signature is in `columns` and whose `absent` columns are not.

    Raises:
        UnknownLayoutError: listing the header and the known layouts.
    """
    cols = set(columns) - {ROW}
    for lay in LAYOUTS:
        if lay.signature <= cols and not (lay.absent & cols):
            return lay
    names = ", ".join(lay.name for lay in LAYOUTS)
    raise UnknownLayoutError(f"header {sorted(cols)} matches no known layout ({names})")


def detect_units(df: pl.DataFrame, layout: Layout, is_index: bool) -> tuple[bool, bool, str | None]:
    """(volume in 手?, amount in 千元?, note) for the bars in `df` (raw units), per the module docstring."""
    lots_opts = [False, True] if layout.volume_unit == "detect" else [layout.volume_unit == "lots"]
    kyuan_opts = [False, True] if layout.amount_unit == "detect" else [layout.amount_unit == "kyuan"]
    if len(lots_opts) == len(kyuan_opts) == 1 or not {"volume", "amount", "close"} <= set(df.columns):
        return lots_opts[0], kyuan_opts[0], None
    live = df.filter((pl.col("volume") > 0) & (pl.col("amount") > 0) & (pl.col("close") > 0))
    if live.is_empty():
        return lots_opts[0], kyuan_opts[0], "no traded rows: units taken from the layout"
    if is_index:
        kyuan = kyuan_opts[0]
        pps = (live["amount"] * (1000 if kyuan else 1) / live["volume"]).median()
        lots = len(lots_opts) > 1 and float(pps) > INDEX_LOTS_THRESHOLD  # type: ignore[arg-type]
        lots = lots if len(lots_opts) > 1 else lots_opts[0]
    else:
        ratio = float((live["amount"] / (live["volume"] * live["close"])).median())  # type: ignore[arg-type]
        candidates = [(lo, ky) for lo in lots_opts for ky in kyuan_opts]
        lots, kyuan = min(
            candidates,
            key=lambda c: abs(math.log10(ratio) - math.log10((100 if c[0] else 1) * (0.001 if c[1] else 1))),
        )
    what = f"volume {'手 (lots)' if lots else 'shares'}, amount {'千元' if kyuan else '元'}"
    return lots, kyuan, f"units detected from amount/volume: {what}"


def _repair_lot_rows(df: pl.DataFrame, is_index: bool) -> tuple[pl.DataFrame, list[Issue]]:
    """Rows whose ``amount / volume`` is ~100× the file's norm get volume × 100 (repair of a 手 block)."""
    pps = pl.col("amount") / pl.col("volume")
    ref = pps.median() if is_index else pl.col("close")
    ratio = pps / ref
    mask = ((pl.col("volume") > 0) & (ratio > 50) & (ratio < 200)).fill_null(False)
    hits = df.filter(mask)[ROW].to_list()
    note = "volume was in 手 (100 shares) in this row: × 100 applied"
    issues = [Issue("unit_repaired", Severity.WARNING, int(r), "volume", note) for r in hits]
    volume = pl.when(mask).then(pl.col("volume") * 100).otherwise(pl.col("volume"))
    return df.with_columns(volume.alias("volume")), issues


def convert_units(
    df: pl.DataFrame, layout: Layout, is_index: bool, repair_units: bool = False
) -> tuple[pl.DataFrame, list[str], list[Issue]]:
    """Bars in the layout's units → shares and CNY (prices scaled by ``price_scale``); notes say what was
    done.

    `repair_units`: rows whose volume is in 手 inside a file in shares get × 100 and a warning (see
    :func:`thermoquant.data.sources.csv.read_file`).
    """
    notes: list[str] = []
    issues: list[Issue] = []
    if layout.price_scale != 1.0:
        prices = [c for c in (*OHLC, "pre_close") if c in df.columns]
        df = df.with_columns([(pl.col(c) * layout.price_scale).round(6) for c in prices])
    lots, kyuan, note = detect_units(df, layout, is_index)
    if note:
        notes.append(note)
    if "amount" in df.columns and kyuan:
        df = df.with_columns(pl.col("amount") * 1000)
        notes.append("amount 千元 × 1000 → CNY")
    if "volume" not in df.columns:
        return df, notes, issues
    if lots:
        df = df.with_columns(pl.col("volume") * 100)
        notes.append("volume 手 × 100 → shares")
    if repair_units and {"amount", "close"} <= set(df.columns):
        df, issues = _repair_lot_rows(df, is_index)
    return df, notes, issues
