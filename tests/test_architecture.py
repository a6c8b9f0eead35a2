"""The layering rules of the project, checked on the source itself.

Inside ``scheduler/`` the layers are, from the bottom:

1. the base: ``db``, ``clock``, ``errors``, ``security``, every domain's ``models`` (the
   tables) and every package's ``__init__`` (a docstring only);
2. ``scheduler/day/``: the day state every domain plans with (load a day, lock expert days,
   re-time, write a route, shifts between dates);
3. the domains, ``scheduler/<domain>/``;
4. ``scheduler/usecases/``: use cases that span domains (a capacity change that re-plans, a
   booking that notifies), and ``scheduler/demo.py``, which seeds through them.

A module imports only its own layer and those below, and no file-level import cycle exists:
imports inside functions and under ``TYPE_CHECKING`` count, as does the package ``__init__``
that importing a submodule runs.
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
#: Which top-level packages each layer may import (besides the standard library and its own).
FORBIDDEN = {
    "routing": {
        "scheduler",
        "api",
        "sqlalchemy",
        "fastapi",
        "starlette",
        "pydantic",
        "pydantic_settings",
        "alembic",
        "vroom",
        "pyvrp",
        "geopy",
        "icalendar",
    },
    "scheduler": {"api", "fastapi", "starlette", "pydantic_settings", "vroom", "pyvrp"},
}


def imported_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_go_one_way(package: str) -> None:
    """api → scheduler → routing: no module imports a layer above it or a forbidden library."""
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imported_modules(path) & FORBIDDEN[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, "\n".join(offenders)


def test_only_api_reads_settings() -> None:
    """One Settings object, read in api/: the domain and the engine get values, not settings."""
    offenders = [
        str(p.relative_to(ROOT))
        for pkg in ("routing", "scheduler")
        for p in (ROOT / pkg).rglob("*.py")
        if "api.settings" in p.read_text() or "BaseSettings" in p.read_text()
    ]
    assert not offenders


def _modules(package: str) -> dict[str, pathlib.Path]:
    out = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _resolve(module: str, path: pathlib.Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    if path.name != "__init__.py":
        parts = parts[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, *([node.module] if node.module else [])])


def _with_parents(name: str, known: dict[str, pathlib.Path]) -> Iterator[str]:
    """A module and the packages whose ``__init__`` importing it runs."""
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        candidate = ".".join(parts[:i])
        if candidate in known:
            yield candidate


def import_graph(package: str) -> dict[str, set[str]]:
    """Every module of ``package`` and the modules of ``package`` it imports, anywhere in it."""
    modules = _modules(package)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, path, node)
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            for target in targets:
                deps.update(_with_parents(target, modules))
        deps.discard(name)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_cycles_finds_a_cycle_through_a_function_level_import() -> None:
    """The cycle finder itself: a → b → a is found, a → b → c is not."""
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_import_cycle_inside_scheduler() -> None:
    """No file of scheduler/ imports itself through others (function-level imports count)."""
    assert cycles(import_graph("scheduler")) == []


BASE = {"scheduler.db", "scheduler.clock", "scheduler.errors", "scheduler.security"}
#: Packages: their ``__init__`` runs whenever a submodule is imported, so it holds a docstring only.
PACKAGES = {
    name
    for name, path in _modules("scheduler").items()
    if path.name == "__init__.py" and name != "scheduler.migrations"
}


def test_packages_import_nothing() -> None:
    """A package's ``__init__`` imports nothing, so importing a submodule drags in no layer."""
    offenders = [name for name in PACKAGES if import_graph("scheduler")[name]]
    assert not offenders


def _layer(module: str) -> int:
    parts = module.split(".")
    if module in BASE or parts[-1] == "models" or module in PACKAGES:
        return 1
    if module.startswith("scheduler.migrat"):
        return 1
    if parts[:2] == ["scheduler", "day"]:
        return 2
    if parts[:2] == ["scheduler", "usecases"] or module == "scheduler.demo":
        return 4
    return 3


def test_layers_import_downwards() -> None:
    """The day state imports only the base; only use cases (and the demo) import use cases."""
    offenders = []
    for module, deps in import_graph("scheduler").items():
        for dep in deps:
            if _layer(dep) > _layer(module):
                offenders.append(f"{module} (layer {_layer(module)}) imports {dep}")
    assert not offenders, "\n".join(sorted(offenders))


def test_scheduler_has_no_http_concerns() -> None:
    """Status codes and problem documents are the API's business (api/problems.py)."""
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "scheduler").rglob("*.py")
        if "problem+json" in p.read_text() or "problem_responses" in p.read_text()
    ]
    assert not offenders
