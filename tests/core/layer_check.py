"""Checks a source tree against :mod:`thermoquant.layers`: every import (function-level ones too) of every module."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from thermoquant import layers


@dataclass(frozen=True)
class Import:
    module: str  # importer, dotted
    target: str  # imported, dotted (thermoquant.… or a third-party top-level name)
    line: int
    path: Path


def module_name(root: Path, path: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(root: Path) -> list[Import]:
    """Every import statement under ``root`` (the ``thermoquant`` package directory)."""
    out: list[Import] = []
    for path in sorted(root.rglob("*.py")):
        name = module_name(root, path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                out += [Import(name, a.name, node.lineno, path) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join([*base, node.module] if node.module else base)
                else:
                    target = node.module or ""
                # `from pkg import name`: the edge goes to pkg.name when that is a module (resolved later)
                out += [Import(name, f"{target}.{a.name}", node.lineno, path) for a in node.names]
    return out


def _top(dotted: str) -> str | None:
    parts = dotted.split(".")
    return parts[1] if parts[0] == "thermoquant" and len(parts) > 1 else None


def violations(root: Path) -> list[str]:
    """Human-readable violations of the layer rules (empty when the tree obeys them)."""
    found: list[str] = []
    edges: dict[str, set[str]] = {}
    modules = {module_name(root, p) for p in root.rglob("*.py")}
    for imp in imports_of(root):
        if _top(imp.target) is not None:
            imp = Import(imp.module, _resolve(imp.target, modules), imp.line, imp.path)
        where = f"{imp.path.relative_to(root.parent)}:{imp.line}: {imp.module} imports {imp.target}"
        src = _top(imp.module)
        if src is None:
            continue
        third_party = imp.target.split(".")[0]
        if third_party in layers.CONSOLE_LIBRARIES and src not in layers.CONSOLE_PACKAGES:
            found.append(f"{where}: only cli/ and ui/ use a console or page library")
        dst = _top(imp.target)
        if dst is not None:
            edges.setdefault(imp.module, set()).add(imp.target)
        if dst is None or dst == src:
            continue
        if src in layers.BASE_MODULES or dst in layers.BASE_MODULES:
            if src in layers.BASE_MODULES and dst not in layers.BASE_MODULES:
                found.append(f"{where}: a base module imports a layer")
            continue
        try:
            ls, ld = layers.layer_of(src), layers.layer_of(dst)
        except KeyError as exc:
            found.append(f"{where}: {exc.args[0]}")
            continue
        if ld > ls or (ld == ls and (src, dst) not in layers.SIBLING_EDGES):
            found.append(f"{where}: {src} (layer {ls}) may not import {dst} (layer {ld})")
        elif dst == "data" and src in layers.NO_DATA_PACKAGES:
            found.append(f"{where}: a strategy imports nothing of data/")
        elif dst == "data" and src in layers.PURE_PACKAGES and imp.target not in layers.PURE_DATA_MODULES:
            found.append(f"{where}: {src} may read only {sorted(layers.PURE_DATA_MODULES)} of data/")
    found += [f"import cycle: {' → '.join(c)}" for c in _cycles(edges)]
    return found


def _resolve(target: str, modules: set[str]) -> str:
    """The module an import names: the longest dotted prefix of ``target`` that is a module of the tree."""
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or "thermoquant"


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component larger than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w == v or w == "thermoquant":
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out
