"""A file in one layout → frames of our tables (and reference series), one builder per layout kind.

Where each kind goes: stock bars → ``daily_quote`` (with ``daily_valuation`` when the file carries PE/PB);
index bars → ``index_daily``; ETF bars → ``etf_daily`` (by the board of each symbol); constituent
schedules/weights → ``index_weight``; the implied ``fd_share`` file → ``fund_share`` (its value belongs to the
*previous* trading day, seed 004). Series that are not facts of a table — the breadth file, the JerryZ
strategy reference (MAs, breadth, heat_z, etf_turnover), the ETF ``close, turnover`` files (backward-adjusted
close), forward-adjusted bars (Baostock ``adjustflag`` 1/2, the qfq constituent closes) — are reference
frames: reported and used by features, **not stored** (``daily_quote`` holds unadjusted prices only).

Every frame keeps ``_row`` (the file's data row) so the quality rules can name it.
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

from thermoquant.data.quality import (
    ROW,
    Issue,
    QualityConfig,
    Severity,
    check_leading_zeros,
    check_negative,
    check_price_jumps,
    check_range,
    mark_suspended,
    validate,
)
from thermoquant.data.schema import get_table
from thermoquant.data.sources.csv_layouts import OHLC_COLUMNS, Layout, UnknownLayoutError, convert_units
from thermoquant.data.sources.csv_symbols import as_index_symbols, normalize_code
from thermoquant.data.sources.frames import cast_to_schema, with_board_columns
from thermoquant.market.disclosure import report_deadline
from thermoquant.market.st import st_name_kinds
from thermoquant.market.sw_industry import SW2014, SW2021, SW2021_CODE, map_sw2014_frame
from thermoquant.market.symbols import Board, board_codes

TDX_PLACEHOLDER_VOLUME = 1e-30
"""Volume (shares) and amount (CNY) below which a TDX bar is a no-trade bar: TDX writes ``vol = amount =
5.877e-39`` (the smallest normal float32) there (MANIFEST §11.3); such values become 0."""

QLIB_MARKETS: dict[str, str] = {"csi100": "000903.SH", "csi300": "000300.SH", "csi500": "000905.SH",
                                "csi800": "000906.SH", "csi1000": "000852.SH"}  # fmt: skip
"""qlib market names (instrument file stems) → index code."""


def conform_rows(df: pl.DataFrame, table: str, source: str) -> pl.DataFrame:
    """Columns of `table` in order (absent ones null, `source` = the file), plus ``_row``; sorted by key.

    Unlike the adapters' `frames.conform`, no row is dropped or deduplicated here: blank keys and duplicates
    are quality errors that the report names by row. A ``source`` column in the file itself is replaced.
    """
    spec = get_table(table)
    frame = cast_to_schema(df.drop("source", strict=False), spec.polars_schema(), source, keep=(ROW,))
    return frame.sort([*spec.primary_key, ROW])


def _table_column(symbols: pl.Series) -> pl.Series:
    """Target table of each row from the board of its symbol (indices, ETFs, else stocks), once per distinct
    symbol."""
    uniq = symbols.drop_nulls().unique()
    boards = board_codes(uniq, normalized=True)
    names = {int(Board.INDEX): "index_daily", int(Board.ETF): "etf_daily"}
    mapping = {sym: names.get(int(b), "daily_quote") for sym, b in zip(uniq.to_list(), boards, strict=True)}
    return symbols.replace_strict(mapping, default="daily_quote", return_dtype=pl.Utf8).alias("_table")


def _bars(
    df: pl.DataFrame, layout: Layout, source: str, repair_units: bool
) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame], list[str], list[Issue]]:
    """Bars → {table: frame} (+ reference frames, notes, issues)."""
    tables: dict[str, pl.DataFrame] = {}
    reference: dict[str, pl.DataFrame] = {}
    notes: list[str] = []
    issues: list[Issue] = []
    if "adjustflag" in df.columns and df["adjustflag"].drop_nulls().ne(3).any():
        flag = int(df["adjustflag"].drop_nulls()[0])
        notes.append(
            f"adjustflag={flag}: {'forward' if flag == 2 else 'backward'}-adjusted prices are not stored in "
            "daily_quote (unadjusted); kept as reference 'bars_adjusted'"
        )
        reference["bars_adjusted"] = df.sort("symbol", "trade_date")
        return tables, reference, notes, issues
    if layout.name == "netease":
        empty_mv = "total_mcap" not in df.columns or df["total_mcap"].null_count() == df.height
        if empty_mv and "symbol" in df.columns:
            df = df.with_columns(as_index_symbols(df["symbol"]))
            notes.append("NetEase file without market values: an index (000xxx → .SH, 399xxx → .SZ)")
    if "float_mcap" in df.columns and "float_shares" not in df.columns:
        df = df.with_columns(
            (pl.col("float_mcap") / pl.col("close")).round(0).alias("float_shares"),
            (pl.col("total_mcap") / pl.col("close")).round(0).alias("total_shares"),
        )
        notes.append("float/total shares = market value / close")
    if layout.reference is not None:
        name, cols = layout.reference
        keep = [c for c in cols if c in df.columns]
        reference[name] = df.select("symbol", "trade_date", *keep, ROW).sort("symbol", "trade_date")
        notes.append(f"{', '.join(keep)}: reference '{name}', not stored")
    df = df.with_columns(_table_column(df["symbol"]))
    for (table,), part in df.group_by("_table", maintain_order=True):
        is_index = table == "index_daily"
        part, unit_notes, unit_issues = convert_units(part, layout, is_index, repair_units)
        notes += [n for n in unit_notes if n not in notes]
        issues += unit_issues
        if "is_st" in part.columns:
            part = part.with_columns((pl.col("is_st") == 1).alias("is_st"))
        if table == "daily_quote":
            part = mark_suspended(part, "tradestatus")
            if "turnover" not in part.columns and "float_shares" in part.columns:
                part = part.with_columns((pl.col("volume") / pl.col("float_shares") * 100).alias("turnover"))
                notes.append("turnover = volume / float_shares × 100")
        if is_index:
            part = part.rename({"symbol": "index_code"})
        tables[str(table)] = conform_rows(part, str(table), source)
        if table == "daily_quote" and {"pe_ttm", "pb"} <= set(part.columns):
            tables["daily_valuation"] = conform_rows(part, "daily_valuation", source)
    return tables, reference, notes, issues


def _previous_sessions(dates: pl.Series) -> pl.Series:
    """The XSHG trading day strictly before each date (`market.calendar`); the file's previous row if the
    calendar cannot answer."""
    try:
        import numpy as np

        from thermoquant.market.calendar import sessions

        days = sessions()
        values = dates.to_numpy().astype("datetime64[D]")
        pos = np.searchsorted(days, values, side="left") - 1
        if (pos < 0).any() or (values > days[-1]).any():
            raise ValueError("dates outside the calendar")
        return pl.Series(dates.name, days[pos]).cast(pl.Date)
    except (ImportError, ValueError):
        return dates.shift(1)


def build_tables(
    df: pl.DataFrame, layout: Layout, source: str, repair_units: bool
) -> tuple[str | None, dict[str, pl.DataFrame], dict[str, pl.DataFrame], list[str], list[Issue]]:
    """Dispatch on the layout kind → (main table, tables, reference, notes, issues)."""
    kind = layout.kind
    if kind == "bars":
        tables, reference, notes, issues = _bars(df, layout, source, repair_units)
        return (next(iter(tables)) if tables else None), tables, reference, notes, issues
    if kind == "strategy_reference":
        df = df.with_columns(pl.lit("000905.SH").alias("symbol"))
        tables, _, notes, issues = _bars(df, layout, source, repair_units)
        feats = [c for c in df.columns if c not in (*OHLC_COLUMNS, "volume", "amount", "symbol", ROW)]
        ref = df.select([*feats, ROW]).sort("trade_date")
        return (
            "index_daily",
            tables,
            {"strategy_reference": ref},
            [*notes, "000905.SH (CSI500) by layout"],
            issues,
        )
    if kind == "index_weight":
        if "effective_date" not in df.columns:
            df = df.with_columns(pl.col("snapshot_date").alias("effective_date"))
        df = df.with_columns(
            pl.col("index_code").map_elements(lambda c: normalize_code(c, True), return_dtype=pl.Utf8)
        )
        return "index_weight", {"index_weight": conform_rows(df, "index_weight", source)}, {}, [], []
    if kind == "fund_share_implied":
        notes = ["fd_share 万份 × 10⁴ → shares"]
        if layout.name == "implied_fd_share":
            df = df.sort("trade_date").with_columns(
                _previous_sessions(df.sort("trade_date")["trade_date"]).alias("trade_date")
            )
            notes.append("value is the previous trading day's fd_share (seed 004: turnover uses T-1 shares)")
        df = df.with_columns((pl.col("fd_share_10k") * 1e4).alias("fd_share"))
        return "fund_share", {"fund_share": conform_rows(df, "fund_share", source)}, {}, notes, []
    if kind == "breadth":
        df = df.with_columns(pl.lit("000905.SH").alias("index_code"))
        return (
            None,
            {},
            {"breadth": df.select("index_code", "trade_date", "breadth", ROW).sort("trade_date")},
            ["breadth % of CSI500 constituents above MA20: a reference series, not stored"],
            [],
        )
    if kind == "etf_close_turnover":
        ref = df.select(
            "symbol",
            "trade_date",
            pl.col("close").alias("close_adj"),
            pl.col("turnover").alias("turnover_pct"),
            ROW,
        )
        return (
            None,
            {},
            {"etf_close_turnover": ref.sort("symbol", "trade_date")},
            ["close is backward-adjusted and turnover is the vendor's: reference only, not stored"],
            [],
        )
    if kind == "stock_list":
        return _stock_list(df, source)
    if kind == "index_member":
        return _index_member(df, source)
    if kind == "finance":
        df = df.with_columns(report_deadline(pl.col("report_period")).alias("ann_date"))
        note = "ann_date = disclosure deadline of the report period (Q1 04-30, H1 08-31, Q3 10-31, FY 04-30 next year)"
        return "finance_data", {"finance_data": conform_rows(df, "finance_data", source)}, {}, [note], []
    if kind == "industry_snapshot":
        return _industry_snapshot(df, layout, source)
    if kind == "finance_ratios":
        return _finance_ratios(df, source)
    if kind == "minute_bars":
        return _minute_bars(df, source)
    # close_qfq
    conv, notes, _ = convert_units(df, layout, False, False) if "volume" in df.columns else (df, [], [])
    keep = [c for c in ("symbol", "trade_date", "close", "volume", "amount") if c in conv.columns]
    ref = conv.select([*keep, ROW]).sort("symbol", "trade_date")
    return (
        None,
        {},
        {"close_qfq": ref},
        [*notes, "forward-adjusted closes: reference 'close_qfq', not stored"],
        [],
    )


def _stock_list(
    df: pl.DataFrame, source: str
) -> tuple[str | None, dict[str, pl.DataFrame], dict[str, pl.DataFrame], list[str], list[Issue]]:
    """xbx stock_list → ``stock_info`` (name, exchange, board, list_date = first day in the source) and
    ``st_history``: a name starting ST / *ST was in force on ``last_date``, stored as a one-day interval (the file
    says nothing about the other days)."""
    info = with_board_columns(df)  # updated_at stays empty: re-importing the same file changes nothing
    kinds = st_name_kinds(df["name"])
    st = df.with_columns(kinds.alias("kind")).filter(pl.col("kind").is_not_null())
    st = st.with_columns(pl.col("last_date").alias("start_date"), pl.col("last_date").alias("end_date"))
    tables = {"stock_info": conform_rows(info, "stock_info", source)}
    notes = ["list_date = first trading day in the source; delist_date left empty (the file does not say)"]
    if st.height:
        tables["st_history"] = conform_rows(st, "st_history", source)
        notes.append(f"{st.height} ST/*ST names in force on their last_date → st_history (one day each)")
    return "stock_info", tables, {}, notes, []


SNAPSHOT_DATES: dict[str, dt.date] = {
    "sw2021_l1_snapshot": dt.date(2024, 3, 22),
    "cninfo_sw2014": dt.date(2019, 10, 6),
}
"""Date of an industry snapshot whose file name carries no full date: the commit date of the staged source
(MANIFEST §11: Doris-osh/div_factor_research 2024-03-22, leiliuliulei/cninfo_financial 2019-10-06)."""

_FILE_DATE = re.compile(r"(?<!\d)(20\d\d)-?([01]\d)-?([0-3]\d)(?!\d)")


def snapshot_date(layout: str, source: str) -> dt.date:
    """A full date in the file name (``…_2024-03-22.csv`` or ``…20240322…``), else :data:`SNAPSHOT_DATES`."""
    match = _FILE_DATE.search(source.partition(":")[2])
    if match:
        try:
            return dt.date(*map(int, match.groups()))
        except ValueError:
            pass
    return SNAPSHOT_DATES[layout]


def _industry_snapshot(
    df: pl.DataFrame, layout: Layout, source: str
) -> tuple[str | None, dict[str, pl.DataFrame], dict[str, pl.DataFrame], list[str], list[Issue]]:
    """A Shenwan membership snapshot → ``industry_member`` rows starting on the snapshot's date (end open: the
    next snapshot of the stock supersedes it, `thermoquant.market.sw_industry.members_on`). A 2014 file gives
    ``sw2014_l1`` rows as read and ``sw2021_l1`` rows with mapped names; an unknown industry name is a row
    error."""
    on = snapshot_date(layout.name, source)
    issues: list[Issue] = []
    frames = []
    if layout.name == "cninfo_sw2014":
        mapped = map_sw2014_frame(df["sw2014_l1"], df["sw2014_l3"])
        frames.append(df.with_columns(pl.col("sw2014_l1").alias("industry_name"), pl.lit(SW2014).alias("c")))
        df = df.with_columns(mapped.alias("industry_name"))
    bad = df.filter(~pl.col("industry_name").is_in(list(SW2021_CODE)))
    issues += [
        Issue(
            "unknown_industry", Severity.ERROR, int(r), "industry_name", f"not a Shenwan industry: {v!r}", v
        )
        for r, v in bad.select(ROW, "industry_name").iter_rows()
    ]
    frames.append(df.with_columns(pl.lit(SW2021).alias("c")))
    rows = pl.concat(frames).with_columns(
        pl.col("c").alias("classification"),
        pl.lit(on).alias("start_date"),
        pl.when(pl.col("c") == SW2021)
        .then(pl.col("industry_name").replace_strict(SW2021_CODE, default=None))
        .alias("industry_code"),
    )
    note = f"Shenwan snapshot of {on}: in force from that date until the stock's next snapshot"
    if layout.name == "cninfo_sw2014":
        note += "; 2014 names mapped onto SW2021 level 1 (sw2021_l1), originals kept as sw2014_l1"
    return (
        "industry_member",
        {"industry_member": conform_rows(rows, "industry_member", source)},
        {},
        [note],
        issues,
    )


_FREQ_IN_NAME = re.compile(r"(?<![a-z0-9])(\d+)\s*min", re.IGNORECASE)


def _minute_bars(
    df: pl.DataFrame, source: str
) -> tuple[str | None, dict[str, pl.DataFrame], dict[str, pl.DataFrame], list[str], list[Issue]]:
    """TDX minute bars → ``minute_quote``. ``freq`` per symbol is the shortest step between two bars of one
    day (``5m``; a symbol with one bar a day takes ``<n>min`` from the file name, else its rows are errors).
    Placeholder volumes below :data:`TDX_PLACEHOLDER_VOLUME` → 0 (volume and amount); index volume is left
    empty (TDX's index ``vol`` is not in shares: SSE amount / vol = 100), the amount is kept."""
    notes: list[str] = []
    issues: list[Issue] = []
    step = (
        df.select("symbol", "bar_time")
        .drop_nulls()
        .sort("symbol", "bar_time")
        .with_columns(pl.col("bar_time").diff().over("symbol", pl.col("bar_time").dt.date()).alias("_d"))
        .group_by("symbol")
        .agg(pl.col("_d").filter(pl.col("_d") > dt.timedelta(0)).min())
    )
    named = _FREQ_IN_NAME.search(source.partition(":")[2])
    freq: dict[str, str | None] = {}
    for sym, d in step.iter_rows():
        freq[sym] = (
            f"{int(d.total_seconds() // 60)}m" if d is not None else (f"{named.group(1)}m" if named else None)
        )
    df = df.with_columns(
        pl.col("symbol").replace_strict(freq, default=None, return_dtype=pl.Utf8).alias("freq")
    )
    unknown = df.filter(pl.col("freq").is_null() & pl.col("symbol").is_not_null())
    issues += [
        Issue("unknown_freq", Severity.ERROR, int(r), "bar_time", "bar length unknown (one bar a day, no <n>min in "
              "the file name)", str(t))
        for r, t in unknown.select(ROW, "bar_time").iter_rows()
    ]  # fmt: skip
    placeholder = pl.col("volume").abs() < TDX_PLACEHOLDER_VOLUME
    n_placeholder = df.select((placeholder & (pl.col("volume") != 0)).sum()).item()
    boards = board_codes(df["symbol"].fill_null("000000.XX"), normalized=True) if df.height else []
    is_index = pl.Series("_idx", boards == int(Board.INDEX), dtype=pl.Boolean)
    df = df.with_columns(
        pl.when(is_index).then(None).when(placeholder).then(0.0).otherwise(pl.col("volume")).alias("volume"),
        pl.when(placeholder).then(0.0).otherwise(pl.col("amount")).alias("amount"),
    )
    if n_placeholder:
        notes.append(
            f"{n_placeholder} no-trade bar(s) with TDX placeholder vol 5.877e-39 → volume = amount = 0"
        )
    if is_index.any():
        notes.append("index rows: TDX vol is not in shares, volume left empty; amount (元) kept")
    notes.append(f"bar_time = bar END time; freq {', '.join(sorted({f for f in freq.values() if f}))}")
    return "minute_quote", {"minute_quote": conform_rows(df, "minute_quote", source)}, {}, notes, issues


def _finance_ratios(
    df: pl.DataFrame, source: str
) -> tuple[str | None, dict[str, pl.DataFrame], dict[str, pl.DataFrame], list[str], list[Issue]]:
    """RESSET ratios → ``finance_data`` rows; the file has no announcement dates, so ``ann_date`` is the period's
    statutory deadline (a value is never used before it could have been known). ``profit_yoy`` is the growth of net
    profit attributable to the parent excluding one-off items (扣非)."""
    issues: list[Issue] = []  # report_period (a date column) and roe were parsed and checked on reading
    for c in ("current_ratio", "profit_yoy"):
        text = pl.col(c).cast(pl.Utf8).str.strip_chars()
        parsed = df.select(ROW, text.alias("_t"), text.cast(pl.Float64, strict=False).alias("_v"))
        bad = parsed.filter(pl.col("_t").is_not_null() & (pl.col("_t") != "") & pl.col("_v").is_null())
        issues += [Issue("not_a_number", Severity.ERROR, int(r), c, f"{c} is not a number: {v!r}", v)
                   for r, v in bad.select(ROW, "_t").iter_rows()]  # fmt: skip
        df = df.with_columns(parsed["_v"].alias(c))
    df = df.with_columns(report_deadline(pl.col("report_period")).alias("ann_date"))
    notes = ["ann_date = statutory deadline of each report period (the file has no announcement dates)",
             "profit_yoy = 扣非归母净利润增长率 (excluding one-off items), %"]  # fmt: skip
    return "finance_data", {"finance_data": conform_rows(df, "finance_data", source)}, {}, notes, issues


def _index_member(
    df: pl.DataFrame, source: str
) -> tuple[str | None, dict[str, pl.DataFrame], dict[str, pl.DataFrame], list[str], list[Issue]]:
    """qlib instruments → ``index_member`` intervals (in_date..out_date inclusive); the index from the market."""
    markets = df["qlib_market"].unique().to_list()
    unknown = [m for m in markets if m not in QLIB_MARKETS]
    if unknown:
        raise UnknownLayoutError(
            f"qlib market {unknown[0]!r} 不是指数 (is not an index; known: {', '.join(QLIB_MARKETS)}); "
            "qlib 'all' lists listing intervals, not index membership"
        )
    df = df.with_columns(
        pl.col("qlib_market").replace_strict(QLIB_MARKETS, return_dtype=pl.Utf8).alias("index_code")
    )
    note = f"index {', '.join(QLIB_MARKETS[m] for m in markets)}: membership intervals, both ends inclusive"
    return "index_member", {"index_member": conform_rows(df, "index_member", source)}, {}, [note], []


def validate_reference(name: str, frame: pl.DataFrame, cfg: QualityConfig) -> list[Issue]:
    """The quality rules that apply to reference series `name` (not a stored table)."""
    if name == "breadth":
        return validate(frame, "breadth", key=("index_code", "trade_date"), config=cfg)
    if name == "strategy_reference":
        return check_range(frame, "breadth", 0.0, 100.0) + check_leading_zeros(frame, "breadth")
    if name == "etf_close_turnover":
        return validate(frame, name, key=("symbol", "trade_date"), config=cfg) + check_price_jumps(
            frame, "close_adj", cfg.jump_factor, by="symbol"
        )
    if name == "etf_turnover":
        return check_negative(frame, ["etf_turnover_pct"])
    if name in ("close_qfq", "bars_adjusted"):
        return validate(frame, name, key=("symbol", "trade_date"), config=cfg)
    return []
