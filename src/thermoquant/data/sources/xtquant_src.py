"""miniQMT `xtquant.xtdata` adapter (Windows only, beside a running QMT client).

`xtquant` ships with the broker's QMT client, not on PyPI for Linux, so it is imported lazily; elsewhere the
adapter raises :class:`SourceUnavailableError` saying so. The API shapes used (XtQuant documentation, 迅投知识库):

* `download_history_data(stock_code, period, start_time, end_time)` fills the client's local cache (no return).
* `get_market_data_ex(field_list, stock_list, period, start_time, end_time, count, dividend_type, fill_data)` →
  `dict[str, pandas.DataFrame]`, one frame per code, indexed by 'YYYYMMDD' (or 'YYYYMMDDHHMMSS' for minutes),
  columns `time` (ms since the epoch, UTC), open, high, low, close, volume (手), amount (元), settelementPrice
  (sic), openInterest, preClose, suspendFlag (0 trading, 1 suspended, -1 resumes today).
* `get_full_tick(code_list)` → `dict[str, dict]` with lastPrice, open, high, low, lastClose, amount (元),
  volume (手), pvolume (股), time (ms).
* `get_stock_list_in_sector(name)` → `list[str]`; `get_instrument_detail(code)` → dict with InstrumentName,
  OpenDate 'YYYYMMDD', ExpireDate, UpStopPrice, DownStopPrice, FloatVolume, TotalVolume.
* `get_index_weight(index_code)` → `dict[str, float]` (the client's current weights, in %).
Codes are already `600000.SH` style.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

import polars as pl

from thermoquant.data.sources.base import (
    Capability,
    RetryPolicy,
    SourceError,
    SourceUnavailableError,
    conform,
    ensure_date,
    rename_checked,
    require_capability,
    retry,
    to_polars,
    today_shanghai,
    with_board_columns,
)
from thermoquant.market.symbols import normalize_symbol

XT_PERIODS: dict[str, str] = {"1m": "1m", "5m": "5m", "15m": "15m", "30m": "30m", "60m": "1h"}
XT_LOT_SHARES = 100.0  # xtdata K-line and tick `volume` are in 手
BAR_FIELDS = ["time", "open", "high", "low", "close", "volume", "amount", "preClose", "suspendFlag"]
A_SHARE_SECTOR = "沪深A股"
SHANGHAI_OFFSET = timedelta(hours=8)


def _import_xtdata() -> Any:
    try:
        from xtquant import xtdata
    except ImportError as exc:
        where = platform.system() or "this system"
        raise SourceUnavailableError(
            "xtquant",
            "*",
            f"xtquant is not importable on {where}: miniQMT's xtdata needs Windows with the broker's QMT client "
            "running (极简模式) and its bundled xtquant package on the Python path",
        ) from exc
    return xtdata


def _ms_to_shanghai(col: str) -> pl.Expr:
    """Epoch milliseconds (UTC) → naive Asia/Shanghai wall-clock datetime."""
    return (pl.from_epoch(pl.col(col).cast(pl.Int64), time_unit="ms") + SHANGHAI_OFFSET).alias(col)


class XtquantSource:
    """miniQMT xtdata: local, fast, needs the QMT client (data from the broker's feed)."""

    name = "xtquant"

    capabilities: ClassVar[dict[str, Capability]] = {
        c.dataset: c
        for c in (
            Capability(
                "stock_info",
                "get_stock_list_in_sector('沪深A股') + get_instrument_detail",
                split="whole",
                needs_symbols=False,
                units="OpenDate → list_date",
            ),
            Capability(
                "daily_quote",
                "download_history_data + get_market_data_ex(period='1d', dividend_type='none')",
                units="volume 手 ×100; amount 元; suspendFlag 1 → is_suspended",
                rate_limit="local cache; download first",
            ),
            Capability("index_daily", "get_market_data_ex(period='1d')", units="volume 手 ×100; amount 元"),
            Capability("etf_daily", "get_market_data_ex(period='1d')", units="volume 手 ×100; amount 元"),
            Capability(
                "minute_quote",
                "get_market_data_ex(period='1m'|'5m'|'15m'|'30m'|'1h')",
                units="volume 手 ×100; time = bar end",
            ),
            Capability(
                "spot", "get_full_tick", split="whole", needs_symbols=False, units="pvolume 股; amount 元"
            ),
            Capability(
                "index_weight",
                "get_index_weight",
                history="current weights only",
                units="weight %; effective_date = today",
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
        self.retry_policy = retry_policy or RetryPolicy(attempts=2)
        self._sleep = sleep

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _import_xtdata()
        return self._client

    def _call(self, func: str, *args: Any, **kwargs: Any) -> Any:
        fn = getattr(self.client, func)
        opts: dict[str, Any] = {} if self._sleep is None else {"sleep": self._sleep}
        return retry(lambda: fn(*args, **kwargs), self.retry_policy, **opts)

    def fetch(
        self,
        dataset: str,
        *,
        symbols: Sequence[str] | None = None,
        start: date | None = None,
        end: date | None = None,
        **kw: Any,
    ) -> pl.DataFrame:
        """Rows of `dataset` in our schema (bars for many symbols come from one get_market_data_ex call)."""
        cap = require_capability(self, dataset)
        if cap.needs_symbols and not symbols:
            raise SourceError(self.name, dataset, "needs symbols (e.g. --symbols 600000.SH)")
        codes = [normalize_symbol(s) for s in symbols or ()]
        if dataset in ("daily_quote", "index_daily", "etf_daily"):
            frame = self._daily_bars(dataset, codes, start, end)
        elif dataset == "minute_quote":
            frame = self._minute_bars(codes, start, end, kw.get("freq", "5m"))
        else:
            frame = getattr(self, f"_{dataset}")(codes, start, end)
        if frame.width == 0:
            return conform(pl.DataFrame(), dataset, self.name)
        date_col = {"stock_info": None, "spot": None, "minute_quote": None, "index_weight": "effective_date"}
        return conform(
            frame, dataset, self.name, start=start, end=end, date_col=date_col.get(dataset, "trade_date")
        )

    def _market_data(
        self, dataset: str, codes: list[str], period: str, start: date | None, end: date | None
    ) -> pl.DataFrame:
        begin = start.strftime("%Y%m%d") if start else ""
        finish = end.strftime("%Y%m%d") if end else ""
        for code in codes:
            self._call("download_history_data", code, period=period, start_time=begin, end_time=finish)
        data = self._call(
            "get_market_data_ex",
            field_list=BAR_FIELDS,
            stock_list=codes,
            period=period,
            start_time=begin,
            end_time=finish,
            count=-1,
            dividend_type="none",
            fill_data=False,
        )
        if not isinstance(data, dict):
            raise SourceError(
                self.name, dataset, f"get_market_data_ex returned {type(data).__name__}, expected dict"
            )
        parts = []
        for code, frame in data.items():
            part = to_polars(frame, self.name, dataset)
            if part.height == 0:
                continue
            mapping = {c: c for c in BAR_FIELDS}
            part = rename_checked(part, mapping, self.name, dataset, optional=("suspendFlag", "preClose"))
            parts.append(part.with_columns(pl.lit(normalize_symbol(code)).alias("code")))
        if not parts:
            return pl.DataFrame()
        out = pl.concat(parts, how="vertical_relaxed").with_columns(_ms_to_shanghai("time"))
        return out.with_columns(
            (pl.col("volume").cast(pl.Float64) * XT_LOT_SHARES).alias("volume"),
            pl.col("amount").cast(pl.Float64),
        )

    def _daily_bars(
        self, dataset: str, codes: list[str], start: date | None, end: date | None
    ) -> pl.DataFrame:
        out = self._market_data(dataset, codes, "1d", start, end)
        if out.height == 0:
            return out
        key = "index_code" if dataset == "index_daily" else "symbol"
        out = out.rename({"code": key, "preClose": "pre_close"}).with_columns(
            pl.col("time").dt.date().alias("trade_date")
        )
        if dataset == "daily_quote":
            out = out.with_columns((pl.col("suspendFlag").cast(pl.Int32) == 1).alias("is_suspended"))
        return out

    def _minute_bars(self, codes: list[str], start: date | None, end: date | None, freq: str) -> pl.DataFrame:
        if freq not in XT_PERIODS:
            raise SourceError(self.name, "minute_quote", f"freq {freq!r} not one of {sorted(XT_PERIODS)}")
        out = self._market_data("minute_quote", codes, XT_PERIODS[freq], start, end)
        if out.height == 0:
            return out
        return out.rename({"code": "symbol", "time": "bar_time"}).with_columns(pl.lit(freq).alias("freq"))

    def _spot(self, codes: list[str], start: date | None, end: date | None) -> pl.DataFrame:
        wanted = codes or list(self._call("get_stock_list_in_sector", A_SHARE_SECTOR))
        ticks = self._call("get_full_tick", wanted)
        if not ticks:
            return pl.DataFrame()
        rows = []
        for code, tick in ticks.items():
            volume = tick.get("pvolume")
            rows.append(
                {
                    "symbol": normalize_symbol(code),
                    "last": tick.get("lastPrice"),
                    "open": tick.get("open"),
                    "high": tick.get("high"),
                    "low": tick.get("low"),
                    "pre_close": tick.get("lastClose"),
                    "volume": float(volume)
                    if volume is not None
                    else float(tick.get("volume", 0)) * XT_LOT_SHARES,
                    "amount": tick.get("amount"),
                }
            )
        out = pl.DataFrame(rows)
        return out.with_columns(
            ((pl.col("last") / pl.col("pre_close") - 1.0) * 100.0).alias("pct_change"),
        )

    def _stock_info(self, codes: list[str], start: date | None, end: date | None) -> pl.DataFrame:
        wanted = codes or list(self._call("get_stock_list_in_sector", A_SHARE_SECTOR))
        rows = []
        for code in wanted:
            detail = self._call("get_instrument_detail", code) or {}
            rows.append(
                {
                    "symbol": normalize_symbol(code),
                    "name": detail.get("InstrumentName"),
                    "list_date": detail.get("OpenDate"),
                }
            )
        if not rows:
            return pl.DataFrame()
        out = ensure_date(pl.DataFrame(rows).with_columns(pl.col("list_date").cast(pl.Utf8)), "list_date")
        return with_board_columns(out).with_columns(pl.lit(datetime.now()).alias("updated_at"))

    def _index_weight(self, codes: list[str], start: date | None, end: date | None) -> pl.DataFrame:
        today = today_shanghai()
        parts = []
        for index_code in codes:
            weights = self._call("get_index_weight", index_code) or {}
            if weights:
                parts.append(
                    pl.DataFrame(
                        {
                            "index_code": [index_code] * len(weights),
                            "symbol": [normalize_symbol(s) for s in weights],
                            "weight": [float(w) for w in weights.values()],
                        }
                    ).with_columns(
                        pl.lit(today).alias("effective_date"), pl.lit(today).alias("snapshot_date")
                    )
                )
        return pl.concat(parts) if parts else pl.DataFrame()
