"""A vendor library replayed from files: `--source fixture:<dir>` (offline runs, demos and the crash test).

`RecordedClient(dir)` stands in for the `akshare` module or a Tushare `DataApi`: calling `client.func(**kwargs)`
(or `client.query(api_name, ...)` for Tushare) returns the pandas frame saved in
`<dir>/<func>/<key>.parquet`, where `<key>` is the call's code argument (`symbol`, `ts_code`, `stock`,
`index_code`, `code`, `date`, `trade_date`) or `all` when it has none. A missing file replays as an empty frame, as
vendors answer for unknown codes. Parquet keeps the vendor's dtypes (object columns of `datetime.date`, float64 numbers, strings),
so the real adapter code runs unchanged on top. `<dir>/VENDOR` names the adapter: `akshare` (default), `tushare`
or `xtquant`.

xtdata answers Python objects, not frames: `<dir>/<func>/<key>.json` (tried first) replays a JSON answer, e.g.
`get_trading_calendar/SH.json` (a list). A call whose code argument is a list — `get_full_tick(code_list)` — reads
`<func>/all.json` and, when that answer is a dict keyed by code, returns only the codes asked (as xtdata does:
codes it does not know are absent from its answer).

Environment `TQ_FIXTURE_DELAY` (seconds, default 0) sleeps before every call, so a test can interrupt a run
mid-way.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

KEY_ARGS: tuple[str, ...] = ("symbol", "ts_code", "stock", "index_code", "code", "date", "trade_date")


class RecordedClient:
    """Replays saved vendor responses; see the module docstring for the file layout."""

    def __init__(self, root: str | Path, *, delay: float | None = None) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"fixture directory {self.root} does not exist")
        self.delay = float(os.environ.get("TQ_FIXTURE_DELAY", "0")) if delay is None else delay
        self.calls: list[tuple[str, dict[str, Any]]] = []

    @property
    def vendor(self) -> str:
        path = self.root / "VENDOR"
        return path.read_text(encoding="utf-8").strip() if path.is_file() else "akshare"

    def _replay(self, func: str, kwargs: dict[str, Any]) -> Any:
        import pandas as pd

        self.calls.append((func, kwargs))
        if self.delay > 0:
            time.sleep(self.delay)
        key = next(
            (str(kwargs[k]) for k in KEY_ARGS if kwargs.get(k) and not isinstance(kwargs[k], list | tuple)),
            "all",
        )
        recorded = self.root / func / f"{key}.json"
        if recorded.is_file():
            return _json_answer(json.loads(recorded.read_text(encoding="utf-8")), kwargs)
        path = self.root / func / f"{key}.parquet"
        if not path.is_file():
            return pd.DataFrame()
        return pd.read_parquet(path)

    def query(self, api_name: str, fields: str = "", **kwargs: Any) -> Any:
        """Tushare `DataApi.query` shape."""
        return self._replay(api_name, kwargs)

    def __getattr__(self, func: str) -> Callable[..., Any]:
        if func.startswith("_"):
            raise AttributeError(func)

        def call(*args: Any, **kwargs: Any) -> Any:
            if args:
                kwargs = {KEY_ARGS[0]: args[0], **kwargs}
            return self._replay(func, kwargs)

        return call


def _json_answer(answer: Any, kwargs: dict[str, Any]) -> Any:
    """A recorded JSON answer; a dict keyed by code is cut to the codes of a list argument (`code_list`)."""
    codes = next((v for v in kwargs.values() if isinstance(v, list | tuple)), None)
    if isinstance(answer, dict) and codes is not None:
        return {code: answer[code] for code in codes if code in answer}
    return answer
