"""The house's arrows, checked by walking every import (function-level ones included).

engine/ has no import circles and no arrow against its package order (engine/README.md); it
never imports Flask or Werkzeug; forms/ never imports engine/ or web/.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# engine/README.md: a package may import only those before it (and itself).
ORDER = ["store", "time", "people", "workflow", "money", "casework", "data"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, resolved to dotted names (submodules where named)."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if is_module(sub) else base)
    return found


def graph(room: str) -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted((ROOT / room).rglob("*.py"))}


def test_engine_has_no_import_circles():
    engine = graph("engine")
    edges = {m: {d for d in deps if d in engine and d != m} for m, deps in engine.items()}
    try:
        tuple(TopologicalSorter(edges).static_order())
    except CycleError as exc:
        pytest.fail(f"import circle in engine/: {' → '.join(exc.args[1])}")


def rank(module: str) -> int | None:
    parts = module.split(".")
    return ORDER.index(parts[1]) if len(parts) > 1 and parts[1] in ORDER else None


def test_engine_packages_import_only_those_before_them():
    wrong = []
    for module, deps in graph("engine").items():
        mine = rank(module)
        if mine is None:
            continue
        for dep in deps:
            theirs = rank(dep)
            if theirs is not None and theirs > mine:
                wrong.append(f"{module} → {dep}")
    assert wrong == []


def test_every_engine_module_belongs_to_a_package():
    loose = sorted(p.stem for p in (ROOT / "engine").glob("*.py"))
    assert loose == ["__init__", "demo"]


@pytest.mark.parametrize("room, banned", [
    ("engine", ("flask", "werkzeug", "web")),
    ("forms", ("engine", "web", "flask", "werkzeug")),
])
def test_rooms_do_not_import_what_they_must_not(room, banned):
    wrong = sorted(f"{m} → {d}" for m, deps in graph(room).items() for d in deps
                   if d.split(".")[0] in banned)
    assert wrong == []


def test_the_walk_sees_known_arrows():
    """The walker itself: it resolves relative, package and submodule imports."""
    engine = graph("engine")
    assert "engine.store.models" in engine["engine.casework.tasks"]
    assert "engine.workflow.spiff" in engine["engine.casework.tasks"]
    assert "engine.store.models.base" in engine["engine.store.models"]
