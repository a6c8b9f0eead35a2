"""The layering rules of the project, checked on the source itself."""

from __future__ import annotations

import ast
import pathlib

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
