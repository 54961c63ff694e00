"""The import contract of thermoquant/layers.py holds on the source tree, and the checker catches each kind of
forbidden import when one is added (checked on a copy of the tree with the import written into it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .layer_check import violations

SRC = Path(__file__).resolve().parents[2] / "src" / "thermoquant"


def test_the_source_tree_obeys_the_layers() -> None:
    assert violations(SRC) == []


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("tree") / "thermoquant"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("_sample", "__pycache__"))
    return copy


@pytest.mark.parametrize(
    ("module", "line", "expected"),
    [
        (
            "strategies/csi500_timing.py",
            "from thermoquant.backtest import metrics",
            "strategies (layer 4) may not import backtest",
        ),
        (
            "strategies/csi500_timing.py",
            "from thermoquant.data.schema import TABLES",
            "a strategy imports nothing of data/",
        ),
        (
            "data/ingest.py",
            "from thermoquant.features.sentiment import breadth",
            "data (layer 1) may not import features",
        ),
        ("physics/chips.py", "from thermoquant.data.store import open_store", "physics may read only"),
        ("signals/scan.py", "from rich.console import Console", "only cli/ and ui/ use a console"),
        (
            "market/fees.py",
            "def f():\n    import thermoquant.jobs.scan",
            "market (layer 0) may not import jobs",
        ),
        ("physics/params.py", "from thermoquant.physics.thermo import compute_physics", "import cycle"),
    ],
)
def test_a_forbidden_import_is_reported(tree: Path, module: str, line: str, expected: str) -> None:
    path = tree / module
    original = path.read_text(encoding="utf-8")
    try:
        path.write_text(original + "\n\n" + line + "\n", encoding="utf-8")
        found = violations(tree)
    finally:
        path.write_text(original, encoding="utf-8")
    assert any(expected in v for v in found), found
