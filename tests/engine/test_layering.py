"""The engine's layering, read from the source with ``ast`` (nothing is imported):

* nothing in ``dao_engine/datasets/`` imports ``dao_engine.superconductors`` (at any level,
  inside functions too): the data layer does not reach up into a study;
* no ``dao_engine`` module imports Qt (PySide6 and friends), at any level;
* the module-level imports among ``dao_engine`` modules have no cycle. Imports inside functions
  (deliberately late ones) and under ``if TYPE_CHECKING:`` are not counted, nor the implicit
  execution of a package's ``__init__`` when one of its submodules is imported: an edge goes to
  the module named (``from pkg import sub`` to ``pkg.sub`` when ``sub`` is a module, else to
  ``pkg``).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "dao_engine"
QT = {"PySide6", "PyQt5", "PyQt6", "shiboken6", "qtpy", "superqt", "pyvistaqt", "qasync"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(ENGINE.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _absolute(name: str, node: ast.ImportFrom) -> str:
    """The absolute module of ``from <module> import ...`` written in module ``name``."""
    if not node.level:
        return node.module or ""
    base = name.split(".") if _is_package(name) else name.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str, node: ast.AST) -> list[str]:
    """The modules one import statement names (submodules resolved where they exist)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        module = _absolute(name, node)
        found = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in MODULES]
        return found if len(found) == len(node.names) else [module, *found]
    return []


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level(name: str, body: list[ast.stmt]) -> list[str]:
    """Imports executed when the module is imported: top level, and inside module-level
    ``if``/``try``/``with`` blocks, but not in functions, classes or ``if TYPE_CHECKING:``."""
    out: list[str] = []
    for node in body:
        out += _imports(name, node)
        if isinstance(node, ast.If):
            if not _is_type_checking(node):
                out += _module_level(name, node.body)
            out += _module_level(name, node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                out += _module_level(name, block)
            for handler in node.handlers:
                out += _module_level(name, handler.body)
        elif isinstance(node, ast.With):
            out += _module_level(name, node.body)
    return out


def _anywhere(name: str, tree: ast.AST) -> list[str]:
    return [m for node in ast.walk(tree) for m in _imports(name, node)]


TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def test_datasets_do_not_import_superconductors():
    offenders = {
        name: m
        for name, tree in TREES.items()
        if name.startswith("dao_engine.datasets")
        for m in _anywhere(name, tree)
        if m == "dao_engine.superconductors" or m.startswith("dao_engine.superconductors.")
    }
    assert not offenders, offenders


def test_the_engine_never_imports_qt():
    offenders = {
        name: m
        for name, tree in TREES.items()
        for m in _anywhere(name, tree)
        if m.split(".")[0] in QT
    }
    assert not offenders, offenders


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (as a closed path), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles_at_module_level():
    graph = {
        name: {m for m in _module_level(name, tree.body) if m in MODULES and m != name}
        for name, tree in TREES.items()
    }
    assert sum(map(len, graph.values())) > 200  # the graph was read (not vacuously acyclic)
    cycle = _cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
