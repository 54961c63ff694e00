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

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

import polars as pl

from thermoquant.data.sources.adapter import VendorSource, import_vendor
from thermoquant.data.sources.base import (
    Capability,
    SourceError,
    capability_table,
)
from thermoquant.data.sources.frames import OHLC, map_columns, prefixed_code, same_names, stock_info_rows

BAOSTOCK_MINUTE_FREQS: dict[str, str] = {"5m": "5", "15m": "15", "30m": "30", "60m": "60"}
MEMBERSHIP_QUERIES: dict[str, str] = {
    "000905.SH": "query_zz500_stocks",
    "000300.SH": "query_hs300_stocks",
    "000016.SH": "query_sz50_stocks",
}

# query_history_k_data_plus fields → ours (the `fields` argument is the mapping's keys, in order).
OHLCVA_COLUMNS: dict[str, str] = same_names(*OHLC, "volume", "amount")
INDEX_COLUMNS: dict[str, str] = {"date": "trade_date", **OHLCVA_COLUMNS, "preclose": "pre_close"}
DAILY_COLUMNS: dict[str, str] = {
    **INDEX_COLUMNS,
    "turn": "turnover",
    "tradestatus": "tradestatus",
    "isST": "isST",
}
MINUTE_COLUMNS: dict[str, str] = {"time": "bar_time", **OHLCVA_COLUMNS}


def baostock_code(symbol: str) -> str:
    """'600000.SH' → 'sh.600000'."""
    return prefixed_code(symbol, sep=".")


def _iso(d: date | None) -> str:
    return d.isoformat() if d is not None else ""


class BaostockSource(VendorSource):
    """Baostock (http://baostock.com): unadjusted daily bars with turnover and ST flag, adjustment factors."""

    name = "baostock"
    _logged_in = False  # one anonymous session per source object, opened on first use

    capabilities: ClassVar[dict[str, Capability]] = capability_table(
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
        Capability("index_daily", "query_history_k_data_plus (sh.000905 …)", units="volume 股; amount 元"),
        Capability(
            "index_weight",
            "query_zz500_stocks / query_hs300_stocks / query_sz50_stocks",
            units="membership only (weight null); effective_date = updateDate",
        ),
        Capability(
            "minute_quote",
            "query_history_k_data_plus(frequency='5'|'15'|'30'|'60')",
            units="volume 股; amount 元; time = bar end; pass freq='5m'|'15m'|'30m'|'60m'",
            options=("freq",),
        ),
    )

    def _load_client(self) -> Any:
        return import_vendor(self.name, "baostock")

    @property
    def client(self) -> Any:
        """The baostock module, logged in (one anonymous session per source object)."""
        client = super().client
        if not self._logged_in:
            result = client.login()
            if str(getattr(result, "error_code", "0")) != "0":
                raise SourceError(self.name, "*", f"login failed: {getattr(result, 'error_msg', '')}")
            self._logged_in = True
        return client

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
            schema = dict.fromkeys(rs.fields, pl.Utf8)
            return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)

        return self._retried(call)

    def _k_data(
        self,
        dataset: str,
        symbol: str,
        columns: dict[str, str],
        start: date | None,
        end: date | None,
        frequency: str,
        constants: dict[str, Any],
    ) -> pl.DataFrame:
        """Unadjusted K-lines of one code, mapped with `columns` (whose keys are the queried fields)."""
        raw = self._query(
            dataset,
            "query_history_k_data_plus",
            baostock_code(symbol),
            ",".join(columns),
            start_date=_iso(start),
            end_date=_iso(end),
            frequency=frequency,
            adjustflag="3",
        )
        return map_columns(raw, columns, self.name, dataset, constants=constants)

    def _daily_quote(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        out = self._k_data("daily_quote", symbol, DAILY_COLUMNS, start, end, "d", {"symbol": symbol})
        return out.with_columns(
            (pl.col("tradestatus") == "0").alias("is_suspended"), (pl.col("isST") == "1").alias("is_st")
        )

    def _index_daily(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        return self._k_data("index_daily", symbol, INDEX_COLUMNS, start, end, "d", {"index_code": symbol})

    def _minute_quote(
        self, symbol: str, start: date | None, end: date | None, *, freq: str = "5m"
    ) -> pl.DataFrame:
        if freq not in BAOSTOCK_MINUTE_FREQS:
            raise SourceError(
                self.name, "minute_quote", f"freq {freq!r} not one of {sorted(BAOSTOCK_MINUTE_FREQS)}"
            )
        frequency = BAOSTOCK_MINUTE_FREQS[freq]
        out = self._k_data(
            "minute_quote", symbol, MINUTE_COLUMNS, start, end, frequency, {"symbol": symbol, "freq": freq}
        )
        # time is 'YYYYMMDDHHMMSSsss', the bar's end
        return out.with_columns(
            pl.col("bar_time").cast(pl.Utf8).str.slice(0, 14).str.to_datetime("%Y%m%d%H%M%S", strict=False)
        )

    def _adj_factor(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        raw = self._query(
            "adj_factor",
            "query_adjust_factor",
            code=baostock_code(symbol),
            start_date=_iso(start) or "1990-01-01",
            end_date=_iso(end),
        )
        mapping = {"dividOperateDate": "trade_date", "backAdjustFactor": "adj_factor"}
        return map_columns(raw, mapping, self.name, "adj_factor", constants={"symbol": symbol})

    def _index_weight(self, symbol: str, start: date | None, end: date | None) -> pl.DataFrame:
        func = MEMBERSHIP_QUERIES.get(symbol)
        if func is None:
            raise SourceError(
                self.name,
                "index_weight",
                f"no membership query for {symbol}; known: {sorted(MEMBERSHIP_QUERIES)}",
            )
        raw = self._query("index_weight", func, date=_iso(end))
        mapping = {"updateDate": "effective_date", "code": "symbol"}
        return map_columns(raw, mapping, self.name, "index_weight", constants={"index_code": symbol})

    def _stock_info(
        self, symbols: Sequence[str] | None, start: date | None, end: date | None
    ) -> pl.DataFrame:
        raw = self._query("stock_info", "query_stock_basic")
        mapping = {
            "code": "symbol",
            "code_name": "name",
            "ipoDate": "list_date",
            "outDate": "delist_date",
            "type": "type",
        }
        out = map_columns(raw, mapping, self.name, "stock_info").filter(pl.col("type") == "1")
        return stock_info_rows(out, symbols)
