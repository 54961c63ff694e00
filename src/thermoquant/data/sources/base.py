"""The one small interface every data source implements, plus the shared robustness kit.

A source adapter turns a vendor's response into a Polars frame with exactly the columns of the target table in
`thermoquant.data.schema` (our names, our units: prices CNY, volume shares, amount CNY, dates `pl.Date`,
symbols `600000.SH`). Everything vendor-specific (column names, 手 vs 股, 元 vs 千元, code spellings) stays
inside the adapter. This module gives:

* :class:`Capability` / :class:`Source` — the capability table (which datasets, units, depth, limits) and the
  `fetch(dataset, *, symbols, start, end, **kw)` protocol; the errors every adapter raises.
* :func:`retry` — exponential backoff with full jitter and an injectable `sleep` (tests never wait).
* :class:`RateLimiter` — a token bucket (Tushare's per-minute quotas by points tier).

The shared mapping steps are in `thermoquant.data.sources.frames`, the shared adapter skeleton (client, retried
calls, `fetch` dispatch) in `thermoquant.data.sources.adapter`.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

import polars as pl

T = TypeVar("T")

# Dataset name → target table. `spot` is a live snapshot and has no table (SPOT_SCHEMA below).
DATASET_TABLES: dict[str, str | None] = {
    "stock_info": "stock_info",
    "daily_quote": "daily_quote",
    "adj_factor": "adj_factor",
    "minute_quote": "minute_quote",
    "spot": None,
    "index_daily": "index_daily",
    "index_weight": "index_weight",
    "etf_daily": "etf_daily",
    "fund_share": "fund_share",
    "finance_data": "finance_data",
    "funds_flow": "funds_flow",
    "industry_flow": "funds_flow",  # scope='industry', code = the industry's name
    "north_flow": "north_flow",
    "margin_detail": "margin_detail",
    "industry_member": "industry_member",
    "st_history": "st_history",
    "dragon_tiger": "dragon_tiger",
    "block_trade": "block_trade",
    "share_unlock": "share_unlock",
    "macro": "macro",
    "trade_calendar": "trade_calendar",  # whole market; written through data.trade_calendar.write_calendar
}

# Columns of a full-market real-time snapshot (not stored; the intraday scan consumes it directly).
SPOT_SCHEMA: dict[str, pl.DataType] = {
    "symbol": pl.Utf8(),
    "name": pl.Utf8(),
    "last": pl.Float64(),  # CNY
    "open": pl.Float64(),  # CNY
    "high": pl.Float64(),  # CNY
    "low": pl.Float64(),  # CNY
    "pre_close": pl.Float64(),  # CNY
    "volume": pl.Float64(),  # shares
    "amount": pl.Float64(),  # CNY
    "pct_change": pl.Float64(),  # %
    "turnover": pl.Float64(),  # %
    "total_mv": pl.Float64(),  # CNY
    "float_mv": pl.Float64(),  # CNY
    "source": pl.Utf8(),
}

# How a dataset's work is split into resumable items by the ingestion job.
Split = Literal["symbol", "whole", "range"]


class SourceError(RuntimeError):
    """A source failed to deliver a dataset (network, vendor error, bad response)."""

    def __init__(self, source: str, dataset: str, message: str) -> None:
        super().__init__(f"{source}/{dataset}: {message}")
        self.source = source
        self.dataset = dataset


class SchemaMismatchError(SourceError):
    """The vendor's response lacks a column we rely on (renamed or dropped upstream)."""

    def __init__(self, source: str, dataset: str, column: str, got: Sequence[str]) -> None:
        super().__init__(
            source,
            dataset,
            f"response has no column {column!r} (vendor renamed or dropped it?); got columns {list(got)}",
        )
        self.column = column


class UnsupportedDatasetError(SourceError):
    """The source does not provide this dataset (not in its capability table)."""


class SourceUnavailableError(SourceError):
    """The source cannot run here (missing library, wrong OS, missing token)."""


@dataclass(frozen=True)
class Capability:
    """One row of a source's capability table.

    Attributes:
        dataset: dataset name (a key of `DATASET_TABLES`).
        vendor_api: the vendor function(s) used, for the reader.
        split: how ingestion splits work: per `symbol`, per date `range` (one item per chunk), or `whole`.
        history: how far back the vendor goes.
        units: vendor units and how they are converted.
        rate_limit: known limits / anti-scraping behaviour.
        needs_symbols: True when `fetch` requires `symbols` (per-symbol endpoints).
        options: the keyword options `fetch` takes for this dataset (e.g. `freq` of minute bars).
    """

    dataset: str
    vendor_api: str
    split: Split = "symbol"
    history: str = ""
    units: str = ""
    rate_limit: str = ""
    needs_symbols: bool = True
    options: tuple[str, ...] = ()

    @property
    def table(self) -> str | None:
        return DATASET_TABLES[self.dataset]


def capability_table(*capabilities: Capability) -> dict[str, Capability]:
    """A source's capability table: dataset → its :class:`Capability` row."""
    return {c.dataset: c for c in capabilities}


@runtime_checkable
class Source(Protocol):
    """A data source: a name, a capability table and one `fetch`."""

    name: str
    capabilities: dict[str, Capability]

    def fetch(
        self,
        dataset: str,
        *,
        symbols: Sequence[str] | None = None,
        start: date | None = None,
        end: date | None = None,
        **kw: Any,
    ) -> pl.DataFrame:
        """Rows of `dataset` in our schema and units, clipped to [start, end] where dated."""
        ...


def require_capability(source: Source, dataset: str) -> Capability:
    """The capability row for `dataset`, or :class:`UnsupportedDatasetError` listing what the source offers."""
    cap = source.capabilities.get(dataset)
    if cap is None:
        offered = ", ".join(sorted(source.capabilities)) or "nothing"
        raise UnsupportedDatasetError(
            source.name, dataset, f"not provided by {source.name} (offers: {offered})"
        )
    return cap


# ---------------------------------------------------------------------------------------------------------------
# Retry and rate limiting
# ---------------------------------------------------------------------------------------------------------------

# Exceptions worth retrying: network trouble, vendor throttling, blocks that look transient.
TRANSIENT_MESSAGES = re.compile(
    r"timed? ?out|timeout|connection|reset by peer|temporarily|too many|频繁|稍后|限流|每分钟|最多访问|502|503|504|429",
    re.IGNORECASE,
)


def is_transient(exc: BaseException) -> bool:
    """True for errors worth another try: OS/network errors, timeouts, throttling messages.

    `SchemaMismatchError` and `UnsupportedDatasetError` are never transient (retrying cannot fix them).
    """
    if isinstance(exc, SchemaMismatchError | UnsupportedDatasetError | SourceUnavailableError):
        return False
    if isinstance(exc, OSError | TimeoutError | ConnectionError):
        return True
    name = type(exc).__name__
    if name in {"ConnectionError", "Timeout", "ReadTimeout", "ConnectTimeout", "ChunkedEncodingError"}:
        return True
    return bool(TRANSIENT_MESSAGES.search(str(exc)))


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter: the k-th wait is uniform in [0, min(max_delay, base·2^k)].

    Attributes:
        attempts: total tries (1 = no retry).
        base_delay: seconds before the first retry's jitter.
        max_delay: cap of one wait, seconds.
        retry_on: predicate telling transient errors from permanent ones.
    """

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    retry_on: Callable[[BaseException], bool] = is_transient


def retry(
    fn: Callable[[], T],
    policy: RetryPolicy | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> T:
    """Call `fn` until it succeeds, retrying transient errors with backoff and jitter.

    Args:
        fn: the call to make (no arguments; close over them).
        policy: attempts and delays; the default retries 3 times from 1 s, capped at 30 s.
        sleep: how to wait (inject a recorder in tests).
        rng: jitter source (inject a seeded one for reproducible waits).
        on_retry: called with (attempt number, error, wait seconds) before each wait.

    Raises:
        the last error, when attempts are exhausted or the error is not transient.
    """
    pol = policy or RetryPolicy()
    gen = rng or random.Random()
    for attempt in range(1, pol.attempts + 1):
        try:
            return fn()
        except Exception as exc:
            if attempt >= pol.attempts or not pol.retry_on(exc):
                raise
            cap = min(pol.max_delay, pol.base_delay * (2 ** (attempt - 1)))
            wait = gen.uniform(0.0, cap)
            if on_retry is not None:
                on_retry(attempt, exc, wait)
            sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class RateLimiter:
    """Token bucket: at most `per_minute` calls per rolling minute, bursts up to `burst` (default = per_minute).

    `acquire()` blocks (via the injectable `sleep`) until a token is free. `clock` and `sleep` are injectable so
    tests advance a fake clock instead of waiting.
    """

    per_minute: float
    burst: float | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _tokens: float = field(init=False)
    _last: float = field(init=False)

    def __post_init__(self) -> None:
        if self.per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self._capacity = float(self.burst if self.burst is not None else self.per_minute)
        self._tokens = self._capacity
        self._last = self.clock()

    def _refill(self) -> None:
        now = self.clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._last) * self.per_minute / 60.0)
        self._last = now

    def acquire(self) -> float:
        """Take one token, waiting if needed; returns the seconds waited."""
        waited = 0.0
        self._refill()
        while self._tokens < 1.0:
            need = (1.0 - self._tokens) * 60.0 / self.per_minute
            self.sleep(need)
            waited += need
            self._refill()
        self._tokens -= 1.0
        return waited


def today_shanghai() -> date:
    """Today's calendar date in Asia/Shanghai (the exchange's date; ``TQ_TODAY`` overrides, see
    :mod:`thermoquant.clock`)."""
    from thermoquant.clock import today

    return today()
