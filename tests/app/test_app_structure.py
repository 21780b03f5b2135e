"""The app's module structure: no import cycles in ``dao_app`` (TYPE_CHECKING and function-level
imports included), and the window's controllers never import the window."""

from __future__ import annotations

import ast
from pathlib import Path

import dao_app

ROOT = Path(dao_app.__file__).resolve().parent
CONTROLLER_PACKAGES = ("dao_app.controllers", "dao_app.menus")


def _module_name(path: Path) -> str:
    parts = ("dao_app", *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The dotted names an import statement may load (a module or a name in one)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def import_graph() -> dict[str, set[str]]:
    """Edges from each ``dao_app`` module to the ``dao_app`` modules it imports anywhere."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _targets(node, name, path.name == "__init__.py"):
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_type_checking_and_relative_imports():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    tree = ast.parse("from . import x\nfrom ..y import z\n")
    first, second = tree.body
    assert _targets(first, "dao_app.w.m", False) == ["dao_app.w", "dao_app.w.x"]
    assert _targets(second, "dao_app.w.m", False) == ["dao_app.y", "dao_app.y.z"]
    edges = import_graph()
    assert "dao_app.main_window" in edges["dao_app.app"]  # a function-level import is seen
    assert "dao_app.scene" in edges["dao_app.widgets.measure_tool"]  # TYPE_CHECKING too


def test_no_module_of_dao_app_takes_part_in_an_import_cycle():
    assert cycles(import_graph()) == []


def test_no_controller_imports_the_main_window():
    graph = import_graph()
    controllers = [m for m in graph if m.startswith(CONTROLLER_PACKAGES)]
    assert "dao_app.controllers.jobs" in controllers and "dao_app.menus" in controllers
    offenders = [m for m in controllers if "dao_app.main_window" in graph[m]]
    assert offenders == []
