"""Stand-ins for the vendors' NETWORK (imported by the tests of this folder as `vendor_stubs`): they replay vendor-shaped fixtures built from real data (see
build_fixtures.py) and can be told to fail, rename a column or answer empty for chosen calls."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from thermoquant.data.sources.recorded import RecordedClient

FIXTURES = Path(__file__).resolve().parent / "fixtures"


class VendorStub:
    """A vendor client replaying `fixtures/<vendor>`; `overrides[func]` replaces one function.

    `calls` records (function, kwargs) of every call, so tests can assert what was (re)fetched.
    """

    def __init__(self, vendor: str, overrides: dict[str, Callable[..., Any]] | None = None) -> None:
        self.recorded = RecordedClient(FIXTURES / vendor, delay=0.0)
        self.overrides = overrides or {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def query(self, api_name: str, fields: str = "", **kwargs: Any) -> Any:
        self.calls.append((api_name, kwargs))
        if api_name in self.overrides:
            return self.overrides[api_name](fields=fields, **kwargs)
        return self.recorded.query(api_name, fields, **kwargs)

    def __getattr__(self, func: str) -> Callable[..., Any]:
        if func.startswith("_"):
            raise AttributeError(func)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((func, kwargs))
            if func in self.overrides:
                return self.overrides[func](*args, **kwargs)
            return getattr(self.recorded, func)(*args, **kwargs)

        return call


def replay(vendor: str, func: str, key: str) -> Any:
    """The saved vendor response of `func` for `key` (a pandas frame)."""
    return RecordedClient(FIXTURES / vendor, delay=0.0)._replay(func, {"symbol": key})
