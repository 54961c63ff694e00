"""The skeleton every vendor adapter shares: its client, retried calls and the `fetch` dispatch.

A subclass sets `name` and `capabilities`, loads its vendor library in :meth:`VendorSource._load_client`, and
implements one handler per dataset, `_<dataset>(symbols_or_symbol, start, end, **options)`, that maps the vendor's
columns and units (see `thermoquant.data.sources.frames`). :meth:`VendorSource.fetch` does the rest: checks the
capability, the options and the symbols, calls the handler once per symbol (per-symbol datasets) or once in all,
and conforms the result to the target table, clipped to [start, end].
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, ClassVar, TypeVar

import polars as pl

from thermoquant.data.sources.base import (
    Capability,
    RetryPolicy,
    SourceError,
    SourceUnavailableError,
    require_capability,
    retry,
)
from thermoquant.data.sources.frames import CLIP_COLUMNS, concat_parts, conform
from thermoquant.market.symbols import normalize_symbol

SOURCES_EXTRA_HINT = "pip install -e '.[sources]'"
"""How to install the vendor packages (akshare, tushare, baostock): the `sources` extra of pyproject.toml."""


def import_vendor(source: str, module: str) -> Any:
    """Import a vendor package for `source`, telling "not installed" apart from "installed but broken".

    Raises `SourceUnavailableError`: when `module` is not installed, with the install command
    (:data:`SOURCES_EXTRA_HINT`); when it is installed but its own import fails (e.g. tushare without `six`), with
    the underlying ImportError, so the user fixes the missing dependency instead of reinstalling the package.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        try:
            installed = importlib.util.find_spec(top) is not None
        except (ImportError, ValueError):
            installed = False
        if not installed:
            message = (
                f"未安装数据源包 {top} (the {top} package is not installed): "
                f"run {SOURCES_EXTRA_HINT} in the project directory (or pip install {top})"
            )
        else:
            message = f"{top} 已安装但导入失败 ({top} is installed but failed to import): {type(exc).__name__}: {exc}"
            if exc.name and exc.name.split(".")[0] != top:
                message += f"; install the missing dependency: pip install {exc.name.split('.')[0]}"
        raise SourceUnavailableError(source, "*", message) from exc


T = TypeVar("T")


class VendorSource(ABC):
    """Base of the vendor adapters (implements the `Source` protocol).

    Attributes:
        name: the source's name (the `source` column of what it delivers).
        capabilities: dataset → :class:`Capability`.
        batch_symbols: True when a per-symbol handler takes the whole list of symbols in one call (the vendor
            answers many codes at once); False = one handler call per symbol.
        retry_defaults: `RetryPolicy` arguments used when the constructor gets no `retry_policy`.
    """

    name: str = "vendor"
    capabilities: ClassVar[dict[str, Capability]] = {}
    batch_symbols: ClassVar[bool] = False
    retry_defaults: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        client: Any | None = None,
        *,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """`client`: the vendor library or API object (None = load the real one on first use); `sleep`: how
        retries wait (tests inject a no-op)."""
        self._client = client
        self.retry_policy = retry_policy or RetryPolicy(**self.retry_defaults)
        self._sleep = sleep

    @abstractmethod
    def _load_client(self) -> Any:
        """Import / open the real vendor client (raise `SourceUnavailableError` when it cannot run here)."""

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._load_client()
        return self._client

    def _retried(self, call: Callable[[], T]) -> T:
        """`call()` under the source's retry policy (backoff with jitter on transient errors)."""
        return retry(call, self.retry_policy, sleep=self._sleep or time.sleep)

    def fetch(
        self,
        dataset: str,
        *,
        symbols: Sequence[str] | None = None,
        start: date | None = None,
        end: date | None = None,
        **options: Any,
    ) -> pl.DataFrame:
        """Rows of `dataset` in our schema and units, clipped to [start, end] (see `frames.CLIP_COLUMNS`)."""
        cap = require_capability(self, dataset)
        unknown = sorted(set(options) - set(cap.options))
        if unknown:
            takes = ", ".join(cap.options) or "none"
            raise SourceError(self.name, dataset, f"unknown option(s) {unknown}; {dataset} takes: {takes}")
        if cap.needs_symbols and not symbols:
            raise SourceError(self.name, dataset, "needs symbols (e.g. --symbols 600000.SH)")
        handler: Callable[..., pl.DataFrame] = getattr(self, f"_{dataset}")
        if cap.needs_symbols and cap.split == "symbol":
            codes = [normalize_symbol(s) for s in symbols or ()]
            if self.batch_symbols:
                frame = handler(codes, start, end, **options)
            else:
                frame = concat_parts(handler(code, start, end, **options) for code in codes)
        else:
            frame = handler(symbols, start, end, **options)
        clip = CLIP_COLUMNS.get(dataset, "trade_date")
        return conform(frame, dataset, self.name, start=start, end=end, date_col=clip)
