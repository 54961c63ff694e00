"""A missing vendor package names the install command; an installed one that fails to import says so, with why."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from thermoquant.data.sources.adapter import SOURCES_EXTRA_HINT, import_vendor
from thermoquant.data.sources.akshare_src import AkshareSource
from thermoquant.data.sources.baostock_src import BaostockSource
from thermoquant.data.sources.base import SourceUnavailableError
from thermoquant.data.sources.tushare_src import TushareSource


@pytest.fixture
def fresh_modules(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Forget every imported vendor module for the test, and put them all back afterwards."""
    saved = dict(sys.modules)
    for name in list(sys.modules):
        if name.split(".")[0] in ("tushare", "baostock", "akshare"):
            monkeypatch.delitem(sys.modules, name)
    yield monkeypatch
    for name in list(sys.modules):
        if name not in saved:
            del sys.modules[name]
    sys.modules.update(saved)


@pytest.mark.parametrize(
    ("module", "load"),
    [
        ("tushare", lambda: TushareSource(token="t0ken").client),
        ("baostock", lambda: BaostockSource()._load_client()),
        ("akshare", lambda: AkshareSource().fetch("stock_info")),
    ],
)
def test_a_missing_vendor_package_names_the_sources_extra(
    fresh_modules: pytest.MonkeyPatch, module, load
) -> None:
    fresh_modules.setitem(sys.modules, module, None)  # what Python sees when the package is absent
    with pytest.raises(SourceUnavailableError) as err:
        load()
    text = str(err.value)
    assert "not installed" in text and "未安装" in text
    assert SOURCES_EXTRA_HINT in text


def test_tushare_installed_without_six_says_it_failed_to_import(fresh_modules: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec("tushare") is None:
        pytest.skip("tushare is not installed")
    fresh_modules.setitem(sys.modules, "six", None)  # tushare imports six without declaring it
    with pytest.raises(SourceUnavailableError) as err:
        TushareSource(token="t0ken")._load_client()
    text = str(err.value)
    assert "installed but failed to import" in text and "已安装但导入失败" in text
    assert "not installed" not in text
    assert "six" in text and "pip install six" in text


def test_the_hint_is_the_sources_extra() -> None:
    assert SOURCES_EXTRA_HINT == "pip install -e '.[sources]'"
    with pytest.raises(SourceUnavailableError, match="not installed"):
        import_vendor("x", "thermoquant_no_such_vendor_pkg")


@pytest.mark.parametrize("doc", ["README.md", "docs/ingest.zh.md"])
def test_the_documents_say_how_to_install_the_vendor_packages(doc: str) -> None:
    root = Path(__file__).resolve().parents[3]
    assert SOURCES_EXTRA_HINT.removeprefix("pip install ") in (root / doc).read_text(encoding="utf-8")
