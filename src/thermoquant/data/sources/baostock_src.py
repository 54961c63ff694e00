"""Baostock adapter (free, login required but anonymous; a socket protocol, not HTTP).

Every query returns a `ResultData` with `error_code` ('0' = ok), `error_msg`, `fields` and rows read with
`while rs.error_code == '0' and rs.next(): rs.get_row_data()`. Every value is a STRING; blanks ('') mark missing
values (suspended days). We iterate rows instead of calling `get_data()`, whose multi-page path uses
`DataFrame.append` (removed in pandas 2). Units (Baostock documentation, installed client 0.9):

* `query_history_k_data_plus`: prices CNY, volume in 股 (shares), amount in 元, turn in %, tradestatus '1'/'0',
  isST '1'/'0'; codes 'sh.600000'; dates 'YYYY-MM-DD'; minute bars carry time 'YYYYMMDDHHMMSSsss' (bar end).
* `query_adjust_factor`: rows only on ex-rights dates (dividOperateDate); backAdjustFactor is the cumulative
  backward factor in force from that date (forward-fill between rows).
* `query_zz500_stocks` / `query_hs300_stocks` / `query_sz50_stocks`: membership on a date, no weights.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
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
    with_board_columns,
)
from thermoquant.market.symbols import normalize_symbol

DAILY_FIELDS = "date,code,open,high,low,close,preclose,volume,amount,turn,tradestatus,isST"
INDEX_FIELDS = "date,code,open,high,low,close,preclose,volume,amount"
MINUTE_FIELDS = "date,time,code,open,high,low,close,volume,amount"
BAOSTOCK_MINUTE_FREQS: dict[str, str] = {"5m": "5", "15m": "15", "30m": "30", "60m": "60"}
MEMBERSHIP_QUERIES: dict[str, str] = {
    "000905.SH": "query_zz500_stocks",
    "000300.SH": "query_hs300_stocks",
    "000016.SH": "query_sz50_stocks",
}


def baostock_code(symbol: str) -> str:
    """'600000.SH' → 'sh.600000'."""
    return f"{exchange_lower(symbol)}.{bare_code(symbol)}"


def _iso(d: date | None) -> str:
    return d.isoformat() if d is not None else ""


class BaostockSource:
    """Baostock (http://baostock.com): unadjusted daily bars with turnover and ST flag, adjustment factors."""

    name = "baostock"

    capabilities: ClassVar[dict[str, Capability]] = {
        c.dataset: c
        for c in (
            Capability(
                "stock_info",
                "query_stock_basic",
                split="whole",
                needs_symbols=False,
                units="type '1' (stocks) only; ipoDate/outDate",
            ),
            Capability(
                "daily_quote",
                "query_history_k_data_plus(frequency='d', adjustflag='3')",
                history="from 1990-12-19",
                units="volume 股; amount 元; turn %; tradestatus → is_suspended; isST → is_st",
                rate_limit="one session per process; long loops may be dropped (re-login)",
            ),
            Capability(
                "adj_factor",
                "query_adjust_factor",
                units="backAdjustFactor on ex-rights dates only (forward-fill between rows)",
            ),
            Capability(
                "index_daily", "query_history_k_data_plus (sh.000905 …)", units="volume 股; amount 元"
            ),
            Capability(
                "index_weight",
                "query_zz500_stocks / query_hs300_stocks / query_sz50_stocks",
                units="membership only (weight null); effective_date = updateDate",
            ),
            Capability(
                "minute_quote",
                "query_history_k_data_plus(frequency='5'|'15'|'30'|'60')",
                units="volume 股; amount 元; time = bar end; pass freq='5m'|'15m'|'30m'|'60m'",
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
        self._logged_in = False
        self.retry_policy = retry_policy or RetryPolicy()
        self._sleep = sleep

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                import baostock
            except ImportError as exc:  # pragma: no cover - dependency
                raise SourceUnavailableError(self.name, "*", "the baostock package is not installed") from exc
            self._client = baostock
        if not self._logged_in:
            result = self._client.login()
            if str(getattr(result, "error_code", "0")) != "0":
                raise SourceError(self.name, "*", f"login failed: {getattr(result, 'error_msg', '')}")
            self._logged_in = True
        return self._client

    def close(self) -> None:
        """Log out of the Baostock session, if one is open."""
        if self._logged_in and self._client is not None:
            self._client.logout()
            self._logged_in = False

    def _query(self, dataset: str, func: str, *args: Any, **kwargs: Any) -> pl.DataFrame:
        """Run one Baostock query and collect its string rows into a Utf8 frame."""
        fn = getattr(self.client, func)

        def call() -> pl.DataFrame:
            rs = fn(*args, **kwargs)
            if str(rs.error_code) != "0":
                raise SourceError(self.name, dataset, f"{func}: error {rs.error_code} {rs.error_msg}")
            rows: list[list[str]] = []
            while str(rs.error_code) == "0" and rs.next():
                rows.append(list(rs.get_row_data()))
            fields = list(rs.fields)
            if not rows:
                return pl.DataFrame(schema=dict.fromkeys(fields, pl.Utf8))
            return pl.DataFrame(rows, schema=dict.fromkeys(fields, pl.Utf8), orient="row")

        opts: dict[str, Any] = {} if self._sleep is None else {"sleep": self._sleep}
        return retry(call, self.retry_policy, **opts)

    def fetch(
        self,
        dataset: str,
        *,
        symbols: Sequence[str] | None = None,
        start: date | None = None,
        end: date | None = None,
        **kw: Any,
    ) -> pl.DataFrame:
        """Rows of `dataset` in our schema; per-symbol queries run one symbol at a time."""
        cap = require_capability(self, dataset)
        if cap.needs_symbols and not symbols:
            raise SourceError(self.name, dataset, "needs symbols (e.g. --symbols 600000.SH)")
        handler: Callable[..., pl.DataFrame] = getattr(self, f"_{dataset}")
        if cap.needs_symbols:
            parts = [handler(normalize_symbol(s), start, end, **kw) for s in symbols or ()]
            parts = [p for p in parts if p.height]
            frame = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()
        else:
            frame = handler(symbols, start, end)
        if frame.width == 0:
            return conform(pl.DataFrame(), dataset, self.name)
        date_col = {"stock_info": None, "minute_quote": None, "index_weight": "effective_date"}
        return conform(
            frame, dataset, self.name, start=start, end=end, date_col=date_col.get(dataset, "trade_date")
        )

    def _bars(
        self, dataset: str, symbol: str, fields: str, start: date | None, end: date | None
    ) -> pl.DataFrame:
        raw = self._query(
            dataset,
            "query_history_k_data_plus",
            baostock_code(symbol),
            fields,
            start_date=_iso(start),
            end_date=_iso(end),
            frequency="d",
            adjustflag="3",
        )
        if raw.height == 0:
            return raw
        mapping = {
            "date": "trade_date",
            "open": "open",
            "high": "high",
            "low": "low",
            "close": "close",
            "preclose": "pre_close",
            "volume": "volume",
            "amount": "amount",
        }
        out = rename_checked(raw, mapping, self.name, dataset)
        numeric = ["open", "high", "low", "close", "pre_close", "volume", "amount"]
        extra = raw.select([c for c in ("turn", "tradestatus", "isST") if c in raw.columns])
        out = pl.concat([out, extra], how="horizontal")
        return ensure_date(out, "trade_date").with_columns(pl.col(numeric).cast(pl.Float64, strict=False))

    def _daily_quote(self, symbol: str, start: date | None, end: date | None, **_: Any) -> pl.DataFrame:
        out = self._bars("daily_quote", symbol, DAILY_FIELDS, start, end)
        if out.height == 0:
            return out
        for col in ("turn", "tradestatus", "isST"):
            if col not in out.columns:
                raise SourceError(self.name, "daily_quote", f"response has no column {col!r}")
        return out.with_columns(
            pl.col("turn").cast(pl.Float64, strict=False).alias("turnover"),
            (pl.col("tradestatus") == "0").alias("is_suspended"),
            (pl.col("isST") == "1").alias("is_st"),
            pl.lit(symbol).alias("symbol"),
        )

    def _index_daily(self, symbol: str, start: date | None, end: date | None, **_: Any) -> pl.DataFrame:
        out = self._bars("index_daily", symbol, INDEX_FIELDS, start, end)
        return out if out.height == 0 else out.with_columns(pl.lit(symbol).alias("index_code"))

    def _adj_factor(self, symbol: str, start: date | None, end: date | None, **_: Any) -> pl.DataFrame:
        raw = self._query(
            "adj_factor",
            "query_adjust_factor",
            code=baostock_code(symbol),
            start_date=_iso(start) or "1990-01-01",
            end_date=_iso(end),
        )
        if raw.height == 0:
            return raw
        mapping = {"dividOperateDate": "trade_date", "backAdjustFactor": "adj_factor"}
        out = ensure_date(rename_checked(raw, mapping, self.name, "adj_factor"), "trade_date")
        return out.with_columns(
            pl.col("adj_factor").cast(pl.Float64, strict=False), pl.lit(symbol).alias("symbol")
        )

    def _index_weight(self, symbol: str, start: date | None, end: date | None, **_: Any) -> pl.DataFrame:
        func = MEMBERSHIP_QUERIES.get(symbol)
        if func is None:
            raise SourceError(
                self.name,
                "index_weight",
                f"no membership query for {symbol}; known: {sorted(MEMBERSHIP_QUERIES)}",
            )
        raw = self._query("index_weight", func, date=_iso(end))
        if raw.height == 0:
            return raw
        out = rename_checked(
            raw, {"updateDate": "effective_date", "code": "symbol"}, self.name, "index_weight"
        )
        out = normalize_symbol_column(ensure_date(out, "effective_date"))
        return out.with_columns(
            pl.lit(symbol).alias("index_code"), pl.lit(None, dtype=pl.Float64).alias("weight")
        )

    def _minute_quote(
        self, symbol: str, start: date | None, end: date | None, *, freq: str = "5m", **_: Any
    ) -> pl.DataFrame:
        if freq not in BAOSTOCK_MINUTE_FREQS:
            raise SourceError(
                self.name, "minute_quote", f"freq {freq!r} not one of {sorted(BAOSTOCK_MINUTE_FREQS)}"
            )
        raw = self._query(
            "minute_quote",
            "query_history_k_data_plus",
            baostock_code(symbol),
            MINUTE_FIELDS,
            start_date=_iso(start),
            end_date=_iso(end),
            frequency=BAOSTOCK_MINUTE_FREQS[freq],
            adjustflag="3",
        )
        if raw.height == 0:
            return raw
        mapping = {
            "time": "bar_time",
            "open": "open",
            "high": "high",
            "low": "low",
            "close": "close",
            "volume": "volume",
            "amount": "amount",
        }
        out = rename_checked(raw, mapping, self.name, "minute_quote")
        return out.with_columns(
            pl.col("bar_time").str.slice(0, 14).str.to_datetime("%Y%m%d%H%M%S", strict=False),
            pl.col(["open", "high", "low", "close", "volume", "amount"]).cast(pl.Float64, strict=False),
            pl.lit(symbol).alias("symbol"),
            pl.lit(freq).alias("freq"),
        )

    def _stock_info(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        raw = self._query("stock_info", "query_stock_basic")
        if raw.height == 0:
            return raw
        mapping = {
            "code": "symbol",
            "code_name": "name",
            "ipoDate": "list_date",
            "outDate": "delist_date",
            "type": "type",
        }
        out = rename_checked(raw, mapping, self.name, "stock_info").filter(pl.col("type") == "1").drop("type")
        out = ensure_date(ensure_date(out, "list_date"), "delist_date")
        out = with_board_columns(normalize_symbol_column(out))
        if symbols:
            out = out.filter(pl.col("symbol").is_in([normalize_symbol(s) for s in symbols]))
        return out.with_columns(pl.lit(datetime.now()).alias("updated_at"))
