"""Data-quality rules for frames in our schema (seed 003 "data quality"), reusable by imports and ingestion
jobs.

Every rule takes a Polars frame that carries a row-number column ``_row`` (see :data:`ROW`) and returns a list
of :class:`Issue`. ``_row`` is the **1-based data row of the source as the user sees it** (the header line is
not counted, so data row *n* is on line *n + 1* of a CSV file with one header line). Frames built elsewhere
get one from :func:`with_row_numbers`.

Severity:

* ``error`` — the row is wrong and must not be stored (:func:`split_rejected` removes it);
* ``warning`` — the row is stored and the issue is reported.

Rules (name → severity): ``required`` error (key, close; NaN or empty), ``missing`` warning (other prices,
volume, amount empty), ``negative`` error, ``ohlc`` error, ``duplicate`` error (first row kept),
``vwap_range`` error or warning (see below), ``unit_switch`` error per row plus one whole-file warning naming
where the units change, ``sci_notation`` warning, ``suspended`` warning (stored with ``is_suspended``),
``range`` error, ``warmup_zero`` error, ``series_break`` warning, ``membership_only`` warning (an
``index_weight`` frame without any weight); the calendar rules ``non_trading_day``, ``future_date``,
``before_open`` and ``session_time`` errors and ``calendar_unknown`` warning (see below). The file import adds
``not_a_number``, ``bad_date`` and ``bad_symbol`` errors and ``unit_repaired`` warnings.

Dates against the calendar (:func:`check_trading_days`, :func:`check_session_times`):

* every table of :data:`CALENDAR_TABLES` holds one row per **trading day** in ``trade_date`` (bars, adjustment
  factors, valuations, fund shares, flows, margin, dragon-tiger, block trades: what the exchange publishes
  after a session). A date that is no session of the XSHG calendar (:mod:`thermoquant.market.calendar`: the
  ``trade_calendar`` table where it has the day, else exchange_calendars) is an error — a weekend
  (``2015-01-10``) or an exchange holiday; so is a date after ``today`` (:func:`thermoquant.clock.today`; a bar
  dated today is fine) or before the exchange's first session (1990-12-19). A weekday past the end of the
  calendar but not after today cannot be checked: a ``calendar_unknown`` **warning** names how to extend the
  calendar (a weekend there is still an error: the exchange never trades on one).
* ``minute_quote.bar_time`` (bar END time, Asia/Shanghai) is checked the same way on its date, and its time of
  day must be a bar end inside a session (:mod:`thermoquant.market.sessions`: ``(09:30, 11:30]``,
  ``(13:00, 15:00]``, the opening call-auction bar ``QualityConfig.opening_auction_bar_ends`` = 09:25/09:30,
  and ``(15:05, 15:30]`` after-hours fixed-price bars on STAR/ChiNext/BSE from their start dates when
  ``QualityConfig.after_hours_bars`` is True, the default).
* Not checked against the calendar: dates that may fall on any day by nature (``index_weight.effective_date`` —
  the 1st of a month —, listing and delisting dates, ST and membership periods, report and announcement
  dates, lock-up expiries, macro periods).

The check looks at the distinct dates of a frame (a 1.1-million-row market file has 252) and joins the few bad
ones back to their rows: its cost does not grow with a loop over rows.

Conventions of the frames (``data/schema.py``): prices CNY (index points for indices), ``volume`` in shares,
``amount`` in CNY, ``turnover`` in %.

Defaults where the seeds are silent (named parameters of :class:`QualityConfig`):

* VWAP (``amount / volume``) more than ``vwap_tolerance`` = 2 % outside ``[low, high]`` is a warning; more
  than ``vwap_error_factor`` = 3× outside is an error (a unit mix-up moves it 100× or 1000×; real vendors'
  volumes that include block trades move it by a few percent).
* For indices, VWAP has no meaning in index points; the implied average price per share ``amount / volume``
  must lie in ``index_share_price_range`` = [0.3, 300] CNY and within ``unit_factor`` = 30× of the file's
  median, else the row is an error (a 手/股 or 元/千元 mix-up moves it by 100× or 1000×).
* A scientific-notation amount/volume (``6.92105E+11``) whose mantissa leaves ``sci_notation_min_lost_digits``
  = 2 or more integer digits unknown lost precision: a **warning** (the value is right to its printed digits;
  dropping the row would leave a gap in the series).
* A leading run of exact zeros in a reference series (the breadth file's warm-up rows) is an **error**: a
  breadth of 0.0 would fire the "breadth < 16" entry of seed 004.
* A close-to-close jump larger than ``jump_factor`` = 2.5× (either way) is a **warning** ("series break"):
  real A-share daily moves are bounded by price limits; larger jumps are splits, unit conversions or mixed
  adjustments.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import numpy as np
import polars as pl

from thermoquant.market import calendar as market_calendar
from thermoquant.market.sessions import (
    AFTER_HOURS_SESSION,
    AFTER_HOURS_START,
    OPENING_AUCTION_BAR_ENDS,
    BarEnd,
    bar_end_kinds,
    describe_sessions,
)
from thermoquant.market.symbols import Board, board_codes

__all__ = [
    "BAR_TABLES",
    "CALENDAR_TABLES",
    "ROW",
    "Issue",
    "QualityConfig",
    "Severity",
    "check_duplicates",
    "check_index_share_price",
    "check_leading_zeros",
    "check_membership_weights",
    "check_negative",
    "check_ohlc",
    "check_price_jumps",
    "check_range",
    "check_required",
    "check_scientific_notation",
    "check_session_times",
    "check_suspended",
    "check_trading_days",
    "check_vwap_range",
    "mark_suspended",
    "split_rejected",
    "validate",
    "with_row_numbers",
]

ROW = "_row"
"""Column holding the 1-based data-row number of the source (header not counted)."""

BAR_TABLES: frozenset[str] = frozenset({"daily_quote", "index_daily", "etf_daily"})

CALENDAR_TABLES: frozenset[str] = frozenset(
    {
        *BAR_TABLES,
        "adj_factor",
        "daily_valuation",
        "fund_share",
        "funds_flow",
        "north_flow",
        "margin_detail",
        "dragon_tiger",
        "block_trade",
        # rows the product writes for a session: backtest sleeves and transfers, orders, the paper ledger
        "backtest_sleeve",
        "backtest_transfer",
        "orders",
        "paper_ledger",
    }
)
"""Tables whose ``trade_date`` must be a trading day (every schema table with a ``trade_date`` column)."""

MINUTE_TABLE = "minute_quote"

_PRICE_COLUMNS = ("open", "high", "low", "close", "pre_close")
_SCI_RE = re.compile(r"^\s*[+-]?\d+(?:\.\d*)?[eE][+-]?\d+\s*$")


class Severity(StrEnum):
    """How bad an issue is: errors reject the row, warnings are stored and reported."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    """One finding of a rule.

    Attributes:
        rule: short rule name, e.g. ``ohlc``, ``vwap_range``, ``sci_notation``.
        severity: error (row rejected) or warning (stored, reported).
        row: 1-based data row of the source (header not counted); None for a whole-file finding.
        column: the column at fault, or None.
        message: plain-language explanation with the offending values.
        value: the raw value, where one value is at fault.
    """

    rule: str
    severity: Severity
    row: int | None
    column: str | None
    message: str
    value: str | None = None


@dataclass(frozen=True)
class QualityConfig:
    """Thresholds of the rules (see the module docstring for why these defaults)."""

    vwap_tolerance: float = 0.02
    vwap_error_factor: float = 3.0
    index_share_price_range: tuple[float, float] = (0.3, 300.0)
    unit_factor: float = 30.0
    jump_factor: float = 2.5
    sci_notation_severity: Severity = Severity.WARNING
    sci_notation_min_lost_digits: int = 2
    index_required: tuple[str, ...] = ()
    """Index columns besides key and close whose absence rejects the row. Seed 004 marks high and amount ⭐⭐⭐
    for the CSI500 strategy; by default they are warnings (NetEase's SME index has no amount before
    2008-06-27, and its prices are still real); pass ``("high", "amount")`` to reject such rows."""
    today: dt.date | None = None
    """Last date a row may carry; None = :func:`thermoquant.clock.today` when the check runs."""
    opening_auction_bar_ends: tuple[dt.time, ...] = OPENING_AUCTION_BAR_ENDS
    """Minute-bar end times accepted for the opening call-auction bar (default 09:25 and 09:30; ``()`` rejects
    both)."""
    after_hours_bars: bool = True
    """Accept minute bars ending in (15:05, 15:30] on the boards with after-hours fixed-price trading (STAR,
    ChiNext, BSE, from their start dates): real trades. False rejects every bar after 15:00."""


def with_row_numbers(df: pl.DataFrame) -> pl.DataFrame:
    """Add ``_row`` = 1, 2, … (data rows in the frame's current order) if the frame has none."""
    if ROW in df.columns:
        return df
    return df.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))


def _issues(
    df: pl.DataFrame, mask: pl.Expr, rule: str, severity: Severity, column: str | None, message: pl.Expr
) -> list[Issue]:
    """Issues for the rows where `mask` holds; `message` is a string expression evaluated per row."""
    hit = df.select(mask.fill_null(False).alias("_hit")).to_series()
    if not hit.any():
        return []
    hits = df.select(pl.col(ROW), message.alias("_msg")).filter(hit)
    return [Issue(rule, severity, int(r), column, str(m)) for r, m in hits.iter_rows()]


def _fmt(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Utf8).fill_null("null")


def check_required(
    df: pl.DataFrame, columns: Sequence[str], severity: Severity = Severity.ERROR
) -> list[Issue]:
    """Issue (error by default) for each null or NaN in a required column; a missing column is a whole-file
    issue."""
    out: list[Issue] = []
    for col in columns:
        if col not in df.columns:
            out.append(Issue("required", severity, None, col, f"required column {col!r} is missing"))
            continue
        missing = pl.col(col).is_null()
        if df.schema[col].is_float():
            missing = missing | pl.col(col).is_nan()
        rule = "required" if severity is Severity.ERROR else "missing"
        out += _issues(df, missing, rule, severity, col, pl.lit(f"{col} is empty or NaN"))
    return out


def check_negative(df: pl.DataFrame, columns: Sequence[str]) -> list[Issue]:
    """Error for each negative value in the given numeric columns."""
    out: list[Issue] = []
    for col in columns:
        if col in df.columns:
            out += _issues(
                df,
                pl.col(col) < 0,
                "negative",
                Severity.ERROR,
                col,
                pl.format("{} is negative: {}", pl.lit(col), _fmt(col)),
            )
    return out


def check_range(df: pl.DataFrame, column: str, low: float, high: float) -> list[Issue]:
    """Error for each value of `column` outside ``[low, high]`` (e.g. a percentage outside 0–100)."""
    if column not in df.columns:
        return []
    mask = (pl.col(column) < low) | (pl.col(column) > high)
    msg = pl.format("{} = {} is outside [{}, {}]", pl.lit(column), _fmt(column), pl.lit(low), pl.lit(high))
    return _issues(df, mask, "range", Severity.ERROR, column, msg)


def check_ohlc(df: pl.DataFrame) -> list[Issue]:
    """Error where ``low ≤ open, close ≤ high`` or ``high ≥ low`` fails (rows with all four prices only)."""
    if not {"open", "high", "low", "close"} <= set(df.columns):
        return []
    o, h, l, c = (pl.col(x) for x in ("open", "high", "low", "close"))
    bad = (h < l) | (o < l) | (o > h) | (c < l) | (c > h)
    msg = pl.format(
        "OHLC inconsistent: open {} high {} low {} close {}",
        _fmt("open"),
        _fmt("high"),
        _fmt("low"),
        _fmt("close"),
    )
    return _issues(df, bad, "ohlc", Severity.ERROR, "high", msg)


def check_duplicates(df: pl.DataFrame, key: Sequence[str]) -> list[Issue]:
    """Error for every repeat of a key after its first occurrence (the first row is kept)."""
    if not set(key) <= set(df.columns) or df.is_empty():
        return []
    if not df.select(list(key)).is_duplicated().any():
        return []
    first = pl.int_range(pl.len()).over(list(key)) > 0
    msg = pl.format(
        "duplicate key ({}) = ({})",
        pl.lit(", ".join(key)),
        pl.concat_str([_fmt(k) for k in key], separator=", "),
    )
    return _issues(df, first, "duplicate", Severity.ERROR, key[-1], msg)


def check_vwap_range(df: pl.DataFrame, tolerance: float = 0.02, error_factor: float = 3.0) -> list[Issue]:
    """``amount / volume`` (VWAP) against the bar's ``[low, high]``, for stocks and funds.

    * more than `error_factor`× above high or below low: **error** — a unit mix-up (手/股 = 100×, 元/千元 =
      1000×), the row is rejected;
    * outside ``[low, high]`` by more than `tolerance` (relative) but less than that: **warning** — real data
      does this when the vendor's volume includes block or after-hours trades at other prices (seen on BSE
      stocks in the xbx 2021 window).

    Rows with zero volume are skipped (suspended days).
    """
    if not {"amount", "volume", "low", "high"} <= set(df.columns):
        return []
    vwap = pl.col("amount") / pl.col("volume")
    live = (pl.col("volume") > 0) & (
        pl.col("high") >= pl.col("low")
    )  # OHLC errors are reported by check_ohlc
    outside = live & ((vwap < pl.col("low") * (1 - tolerance)) | (vwap > pl.col("high") * (1 + tolerance)))
    wrong_unit = live & ((vwap < pl.col("low") / error_factor) | (vwap > pl.col("high") * error_factor))
    text = pl.format(
        "amount/volume = {} CNY per share is outside the bar's range [{}, {}]",
        vwap.round(4).cast(pl.Utf8),
        _fmt("low"),
        _fmt("high"),
    )
    unit_msg = pl.format("{} by more than {}×: unit mix-up (手/股 or 元/千元)", text, pl.lit(error_factor))
    out = _issues(df, wrong_unit, "vwap_range", Severity.ERROR, "volume", unit_msg)
    out += _issues(
        df,
        outside & ~wrong_unit,
        "vwap_range",
        Severity.WARNING,
        "amount",
        pl.format("{} (block/after-hours trades in volume?)", text),
    )
    return out


def check_index_share_price(
    df: pl.DataFrame, price_range: tuple[float, float] = (0.3, 300.0), factor: float = 30.0
) -> list[Issue]:
    """Per-row and file-level unit checks for index bars, where VWAP in points is meaningless.

    The implied average price per share ``amount / volume`` (CNY) must lie in `price_range` and within
    `factor`× of the file's median. Rows failing either are errors. When the failing rows form one contiguous
    block, a whole-file warning names the row and date where the units switch (e.g. volume in shares → lots).
    """
    if not {"amount", "volume"} <= set(df.columns) or df.is_empty():
        return []
    ratio = pl.when(pl.col("volume") > 0).then(pl.col("amount") / pl.col("volume"))
    tmp = df.with_columns(ratio.alias("_pps"))
    median = tmp["_pps"].median()
    if median is None:
        return []
    lo, hi = price_range
    bad = (
        (pl.col("_pps") < lo)
        | (pl.col("_pps") > hi)
        | (pl.col("_pps") > median * factor)
        | (pl.col("_pps") < median / factor)
    )
    msg = pl.format(
        "amount/volume = {} CNY per share, file median {}: volume or amount in a different unit",
        pl.col("_pps").round(3).cast(pl.Utf8),
        pl.lit(round(float(median), 3)),
    )
    out = _issues(tmp, bad, "unit_switch", Severity.ERROR, "volume", msg)
    rows = [i.row for i in out if i.row is not None]
    if rows and rows == list(range(rows[0], rows[0] + len(rows))) and len(rows) < df.height:
        first = tmp.filter(pl.col(ROW) == rows[0])
        before = tmp.filter(pl.col(ROW) < rows[0]).tail(20)["_pps"].median()
        base = float(before) if before is not None else float(median)  # type: ignore[arg-type]
        ratio_change = float(first["_pps"][0]) / base
        when = first["trade_date"][0] if "trade_date" in first.columns else None
        out.append(
            Issue(
                "unit_switch",
                Severity.WARNING,
                None,
                "volume",
                f"units switch within the file at data row {rows[0]} ({when}) for {len(rows)} rows: "
                f"amount/volume jumps ×{ratio_change:.0f} (×100 = volume in 手 instead of shares)",
            )
        )
    return out


def sci_notation_lost_digits(text: str) -> int:
    """Number of integer digits a scientific-notation literal leaves unknown (0 when exact or not scientific).

    ``6.92105E+11`` prints 6 significant digits of a 12-digit integer: the last 6 digits are unknown.
    ``1.09046534531e+11`` prints all 12 digits: 0 lost.
    """
    if not _SCI_RE.match(text):
        return 0
    exponent = Decimal(text.strip()).as_tuple().exponent
    return max(0, int(exponent))


def check_scientific_notation(
    raw: pl.DataFrame, columns: Sequence[str], severity: Severity = Severity.WARNING, min_lost_digits: int = 2
) -> list[Issue]:
    """Issue for each raw text value written in scientific notation that lost integer precision.

    Only values with at least `min_lost_digits` unknown integer digits are reported (default 2: the value is
    not known to the hundred; NetEase's ``1.1569088016e+11`` loses one digit of a 12-digit amount and is not
    reported).

    `raw` is the file read as text (with ``_row``); it must be checked before numbers are parsed, because
    ``6.92105E+11`` and ``692105000000`` are the same float.
    """
    out: list[Issue] = []
    for col in columns:
        if col not in raw.columns or raw.schema[col] != pl.Utf8:
            continue
        cand = raw.filter(pl.col(col).str.contains(r"[eE][+-]?\d")).select(ROW, col)
        for row, text in cand.iter_rows():
            lost = sci_notation_lost_digits(text)
            if lost >= max(1, min_lost_digits):
                out.append(
                    Issue(
                        "sci_notation",
                        severity,
                        int(row),
                        col,
                        f"{col} written as {text!r} in scientific notation: the last {lost} digits were lost",
                        text,
                    )
                )
    return out


def check_suspended(df: pl.DataFrame) -> list[Issue]:
    """Warning for each suspended day (``is_suspended`` true, or volume 0): stored with is_suspended, not
    rejected."""
    if "is_suspended" in df.columns:
        mask = pl.col("is_suspended")
    elif "volume" in df.columns:
        mask = pl.col("volume") == 0
    else:
        return []
    return _issues(
        df,
        mask,
        "suspended",
        Severity.WARNING,
        "volume",
        pl.lit("no trading that day (volume 0 / tradestatus 0)"),
    )


def mark_suspended(df: pl.DataFrame, tradestatus: str | None = None) -> pl.DataFrame:
    """Set ``is_suspended`` = volume is 0, or ``tradestatus`` (Baostock: 1 trading, 0 suspended) is 0."""
    cond = pl.col("volume").fill_null(0) == 0 if "volume" in df.columns else pl.lit(False)
    if tradestatus and tradestatus in df.columns:
        cond = cond | (pl.col(tradestatus) == 0).fill_null(False)
    if "is_suspended" in df.columns:
        cond = cond | pl.col("is_suspended").fill_null(False)
    return df.with_columns(cond.alias("is_suspended"))


def check_membership_weights(df: pl.DataFrame) -> list[Issue]:
    """``index_weight.weight`` (%): in [0, 100] where given; empty is allowed (membership without weights).

    Some vendors give index membership only (Baostock ``query_zz500_stocks``, qlib instruments): when every
    row's weight is empty that is one whole-file warning; when only some are, each empty one is a ``missing``
    warning (a vendor that gives weights dropped some). Neither rejects a row: ``weight`` is nullable.
    """
    if "weight" not in df.columns or df.is_empty():
        return []
    empty = pl.col("weight").is_null()
    if df.schema["weight"].is_float():
        empty = empty | pl.col("weight").is_nan()
    n_empty = int(df.select(empty.sum()).item())
    if n_empty == df.height:
        note = f"membership only: weight is empty in all {df.height} rows (stored as null)"
        return [Issue("membership_only", Severity.WARNING, None, "weight", note)]
    out = check_required(df, ["weight"], Severity.WARNING) if n_empty else []
    return out + check_range(df, "weight", 0.0, 100.0)


def check_leading_zeros(df: pl.DataFrame, column: str) -> list[Issue]:
    """Error for the leading run of exact 0.0 values of `column` (a warm-up artefact, e.g. rolling-20
    breadth)."""
    if column not in df.columns or df.is_empty():
        return []
    nonzero = (pl.col(column) != 0).fill_null(True)
    lead = df.select(ROW, nonzero.cum_sum().alias("_nz")).filter(pl.col("_nz") == 0)
    if lead.height == df.height:
        return [Issue("warmup_zero", Severity.ERROR, None, column, f"every value of {column} is 0")]
    return [
        Issue(
            "warmup_zero",
            Severity.ERROR,
            int(r),
            column,
            f"{column} is 0.0 in the leading warm-up run of {lead.height} rows",
        )
        for r in lead[ROW]
    ]


def check_price_jumps(
    df: pl.DataFrame, column: str = "close", factor: float = 2.5, by: str | None = None
) -> list[Issue]:
    """Warning where `column` jumps by more than `factor`× from the previous row (of the same `by` group)."""
    if column not in df.columns:
        return []
    prev = pl.col(column).shift(1)
    if by and by in df.columns:
        prev = prev.over(by)
    ratio = pl.col(column) / prev
    bad = (ratio > factor) | (ratio < 1 / factor)
    msg = pl.format(
        "{} jumps ×{} from the previous row: series break (split, unit change or mixed adjustment?)",
        pl.lit(column),
        ratio.round(3).cast(pl.Utf8),
    )
    return _issues(df, bad, "series_break", Severity.WARNING, column, msg)


# ----------------------------------------------------------------------------------------- the calendar
_WEEKDAYS = (("一", "Monday"), ("二", "Tuesday"), ("三", "Wednesday"), ("四", "Thursday"), ("五", "Friday"),
             ("六", "Saturday"), ("日", "Sunday"))  # fmt: skip


def _day_reason(day: dt.date, today: dt.date, opened: dt.date, last: dt.date) -> tuple[str, Severity, str]:
    """(rule, severity, reason) for a date that is not a known session; the reason follows the date."""
    zh, en = _WEEKDAYS[day.weekday()]
    if day > today:
        return "future_date", Severity.ERROR, f"晚于今天 {today}，是未来的日期 / is after today ({today})"
    if day < opened:
        return (
            "before_open",
            Severity.ERROR,
            f"早于交易所开业 {opened} / is before the exchange opened ({opened})",
        )
    if day.weekday() >= 5:
        return "non_trading_day", Severity.ERROR, f"是周{zh}，不是交易日 / is a {en}, not a trading day"
    if day > last:
        return (
            "calendar_unknown",
            Severity.WARNING,
            f"超出交易日历（到 {last}），未核对 / is beyond the trading calendar ({last}), not checked: "
            f"{market_calendar.EXTEND_HINT}",
        )
    return (
        "non_trading_day",
        Severity.ERROR,
        f"是休市日（周{zh}，节假日），不是交易日 / is an exchange holiday ({en}), not a trading day",
    )


def _bad_days(days: pl.Series, today: dt.date) -> pl.DataFrame:
    """For distinct dates: the ones that are not sessions, with ``_rule``, ``_sev``, ``_why`` (one row each)."""
    values = days.to_numpy().astype("datetime64[D]")
    sessions = market_calendar.sessions()
    pos = np.searchsorted(sessions, values).clip(0, len(sessions) - 1)
    last = np.datetime64(market_calendar.calendar_bounds()[1], "D")
    known = (sessions[pos] == values) & (values <= np.datetime64(today, "D")) & (values <= last)
    opened = sessions[0].astype(dt.date)
    rows = [_day_reason(d, today, opened, market_calendar.calendar_bounds()[1]) for d in days.filter(~known)]
    return pl.DataFrame(
        {
            "_day": days.filter(~known),
            "_rule": [r[0] for r in rows],
            "_sev": [r[1].value for r in rows],
            "_why": [r[2] for r in rows],
        },
        schema={"_day": pl.Date, "_rule": pl.Utf8, "_sev": pl.Utf8, "_why": pl.Utf8},
    )


def _day_expr(df: pl.DataFrame, column: str) -> pl.Expr:
    return pl.col(column).dt.date() if isinstance(df.schema[column], pl.Datetime) else pl.col(column)


def _text_expr(df: pl.DataFrame, column: str) -> pl.Expr:
    """The date or timestamp as the user reads it (``2015-01-10``, ``2024-03-25 13:00:00``)."""
    if isinstance(df.schema[column], pl.Datetime):
        return pl.col(column).dt.strftime("%Y-%m-%d %H:%M:%S")
    return pl.col(column).cast(pl.Utf8)


def check_trading_days(
    df: pl.DataFrame, column: str = "trade_date", today: dt.date | None = None
) -> list[Issue]:
    """Issues for dates of `column` (a date, or a timestamp: its date) that are not trading days.

    Errors: a weekend or exchange holiday (``non_trading_day``), a date after `today` (``future_date``; default
    :func:`thermoquant.clock.today`), a date before the exchange's first session (``before_open``). A weekday
    past the calendar's last known date but not after today is a ``calendar_unknown`` warning. Vectorised over
    the frame's distinct dates.
    """
    if column not in df.columns or df.is_empty():
        return []
    day = _day_expr(df, column)
    days = df.select(day.drop_nulls().unique().sort()).to_series()
    if days.is_empty():
        return []
    if today is None:
        from thermoquant.clock import today as clock_today

        today = clock_today()
    bad = _bad_days(days, today)
    if bad.is_empty():
        return []
    hits = (
        df.select(ROW, day.alias("_day"), _text_expr(df, column).alias("_value"))
        .join(bad, on="_day", how="inner")
        .sort(ROW)
    )
    return [
        Issue(rule, Severity(sev), int(row), column, f"{value} {why}", value)
        for row, _, value, rule, sev, why in hits.iter_rows()
    ]


def _after_hours_start(symbols: pl.Series) -> pl.DataFrame:
    """Distinct symbols with the first day of after-hours trading on their board (null: the board has none)."""
    uniq = symbols.drop_nulls().unique()
    starts = [AFTER_HOURS_START.get(Board(int(b))) for b in board_codes(uniq, normalized=True)]
    return pl.DataFrame(
        {"symbol": uniq, "_ah_start": starts}, schema={"symbol": pl.Utf8, "_ah_start": pl.Date}
    )


def check_session_times(
    df: pl.DataFrame,
    column: str = "bar_time",
    auction_bar_ends: tuple[dt.time, ...] = OPENING_AUCTION_BAR_ENDS,
    after_hours: bool = True,
) -> list[Issue]:
    """Error (``session_time``) for each minute bar whose END time lies outside the trading sessions.

    Allowed ends (:mod:`thermoquant.market.sessions`): (09:30, 11:30], (13:00, 15:00], `auction_bar_ends`, and
    (15:05, 15:30] when `after_hours` is True for symbols whose board has after-hours fixed-price trading on
    that day. Vectorised over the frame's distinct times of day.
    """
    if column not in df.columns or df.is_empty():
        return []
    t = pl.col(column)
    secs = (
        t.dt.hour().cast(pl.Int64) * 3600 + t.dt.minute().cast(pl.Int64) * 60 + t.dt.second().cast(pl.Int64)
    ).alias("_secs")
    uniq = df.select(secs.drop_nulls().unique()).to_series()
    kinds = bar_end_kinds(uniq.to_numpy(), auction_bar_ends)
    outside = uniq.filter(pl.Series(kinds == BarEnd.OUTSIDE))
    after = uniq.filter(pl.Series(kinds == BarEnd.AFTER_HOURS))
    if outside.is_empty() and after.is_empty():
        return []
    frame = df.select(ROW, _text_expr(df, column).alias("_value"), secs, _day_expr(df, column).alias("_day"),
                      *(["symbol"] if "symbol" in df.columns else []))  # fmt: skip
    frame = frame.filter(pl.col("_secs").is_in(pl.concat([outside, after]).to_list()))
    in_window = pl.col("_secs").is_in(after.to_list())
    if after_hours and "symbol" in frame.columns:
        frame = frame.join(_after_hours_start(frame["symbol"]), on="symbol", how="left")
        in_window = in_window & ~(pl.col("_ah_start").is_not_null() & (pl.col("_day") >= pl.col("_ah_start")))
    lo, hi = (x.strftime("%H:%M") for x in AFTER_HOURS_SESSION)
    late = (
        f"盘后固定价格交易（{lo}–{hi}）只在科创板、创业板、北交所 / after-hours fixed-price bars exist only on "
        "STAR (from 2019-07-22), ChiNext (2020-08-24) and BSE (2021-11-15)"
        if after_hours
        else f"盘后固定价格交易（{lo}–{hi}）的 K 线未被接受 / after-hours bars are not accepted (after_hours_bars)"
    )
    outside_why = (
        f"不在交易时段内 / bar end is outside the trading sessions ({describe_sessions(auction_bar_ends)})"
    )
    why = (
        pl.when(pl.col("_secs").is_in(outside.to_list()))
        .then(pl.lit(outside_why))
        .when(in_window)
        .then(pl.lit(late))
    )
    hits = frame.select(ROW, "_value", why.alias("_why")).drop_nulls("_why").sort(ROW)
    return [
        Issue("session_time", Severity.ERROR, int(row), column, f"{value} {text}", value)
        for row, value, text in hits.iter_rows()
    ]


def validate(
    df: pl.DataFrame,
    table: str,
    *,
    key: Sequence[str] | None = None,
    config: QualityConfig | None = None,
) -> list[Issue]:
    """Run every rule that applies to a frame of `table` (a schema table, or a reference series name).

    Bar tables (daily_quote, index_daily, etf_daily): required key and close (plus ``config.index_required``
    for indices) as errors, other empty prices/volume/amount as warnings, non-negative prices/volume/amount,
    OHLC, duplicates, unit checks (VWAP range for stocks and funds, per-share price for indices), suspended
    days (warning). ``index_weight``: required key; weight in [0, 100] where given, empty weight a warning
    (:func:`check_membership_weights`). ``fund_share``: positive shares. Reference
    ``breadth``: 0–100 and the zero warm-up run. Scientific notation needs the raw text: see
    :func:`check_scientific_notation`. Tables of :data:`CALENDAR_TABLES`: ``trade_date`` a trading day, not
    after today (:func:`check_trading_days`); ``minute_quote``: ``bar_time`` on a trading day and inside the
    sessions (:func:`check_session_times`).
    """
    cfg = config or QualityConfig()
    df = with_row_numbers(df)
    out: list[Issue] = []
    if key is None:
        from thermoquant.data.schema import TABLES

        key = TABLES[table].primary_key if table in TABLES else ()
    if table in BAR_TABLES:
        required = [*key, "close", *(cfg.index_required if table == "index_daily" else ())]
        out += check_required(df, required)
        optional = [
            c for c in ("open", "high", "low", "volume", "amount") if c in df.columns and c not in required
        ]
        out += check_required(df, optional, Severity.WARNING)
        out += check_negative(df, [*(c for c in _PRICE_COLUMNS), "volume", "amount"])
        out += check_ohlc(df)
        if table == "index_daily":
            out += check_index_share_price(df, cfg.index_share_price_range, cfg.unit_factor)
        else:
            out += check_vwap_range(df, cfg.vwap_tolerance, cfg.vwap_error_factor)
        out += check_suspended(df)
    elif table == "index_weight":
        out += check_required(df, list(key))
        out += check_membership_weights(df)
    elif table == "fund_share":
        out += check_required(df, [*key, "fd_share"])
        out += check_negative(df, ["fd_share"])
    elif table == "breadth":
        out += check_required(df, [*key, "breadth"])
        out += check_range(df, "breadth", 0.0, 100.0)
        out += check_leading_zeros(df, "breadth")
    else:
        out += check_required(df, list(key))
    if table in CALENDAR_TABLES:
        out += check_trading_days(df, "trade_date", cfg.today)
    elif table == MINUTE_TABLE:
        out += check_trading_days(df, "bar_time", cfg.today)
        out += check_session_times(df, "bar_time", cfg.opening_auction_bar_ends, cfg.after_hours_bars)
    if key:
        out += check_duplicates(df, key)
    return out


def split_rejected(df: pl.DataFrame, issues: Sequence[Issue]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(clean rows, rejected rows): rows named by an error issue are rejected; whole-file issues reject
    nothing."""
    bad = sorted({i.row for i in issues if i.severity is Severity.ERROR and i.row is not None})
    if not bad:
        return df, df.clear()
    mask = pl.col(ROW).is_in(bad)
    return df.filter(~mask), df.filter(mask)
