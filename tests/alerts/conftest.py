"""Servers and a clock for the alert tests."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .servers import BotServer


class FakeClock:
    """A clock the test moves: ``sleep`` advances it and is recorded."""

    def __init__(self, start: dt.datetime) -> None:
        self.current = start
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += dt.timedelta(seconds=seconds)

    def advance(self, seconds: float) -> None:
        self.current += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2026, 6, 30, 17, 40))


@pytest.fixture
def bots() -> Iterator[BotServer]:
    server = BotServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make the test certificate")
    from .servers import self_signed

    return self_signed(tmp_path_factory.mktemp("tls"))
