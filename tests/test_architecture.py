"""The rooms of the house and what each may import (ARCHITECTURE.md), checked on every module's source.

Every ``import`` is read with ``ast`` (late imports inside functions included), so a convenience import
that would tie the domain to Flask or Prefect, or the web app to the flows' internals, fails here
before anyone has to notice it in review. Import circles among the project's own modules fail too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ("diagnostics", "flows", "survey_app", "cli")

# room -> top-level names (or dotted prefixes) it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "diagnostics": ("flask", "flask_babel", "flask_login", "flask_wtf", "wtforms", "werkzeug", "prefect",
                    "prefect_dask", "survey_app", "flows", "cli"),
    "flows": ("flask", "flask_babel", "flask_login", "flask_wtf", "wtforms", "survey_app", "cli"),
    "survey_app": ("prefect", "cli", "flows"),  # except the one small trigger function, below
    "migrations": ("flask", "prefect", "survey_app", "flows", "cli"),
}
ALLOWED_EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "survey_app": ("flows.trigger",),  # ARCHITECTURE.md: the web app asks for a run through this only
}
DOMAIN_WITHOUT_DATABASE = ("sqlalchemy", "alembic")  # diagnostics/ outside diagnostics/store/


def python_files(room: str, root: Path = ROOT) -> Iterator[Path]:
    yield from sorted((root / room).rglob("*.py"))


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path = ROOT) -> list[str]:
    """Every module ``path`` imports, absolute (relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append(target)
            found += [f"{target}.{alias.name}" for alias in node.names]  # ``from pkg import module``
    return found


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(room: str, root: Path = ROOT) -> list[str]:
    out = []
    for path in python_files(room, root):
        for name in imports_of(path, root):
            if any(_matches(name, allowed) for allowed in ALLOWED_EXCEPTIONS.get(room, ())):
                continue
            if any(_matches(name, banned) for banned in FORBIDDEN[room]):
                out.append(f"{path.relative_to(root)} imports {name}")
    return out


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_each_room_imports_only_what_it_may(room: str) -> None:
    assert violations(room) == []


def test_the_domain_outside_the_store_needs_no_database() -> None:
    found = [f"{p.relative_to(ROOT)} imports {name}" for p in python_files("diagnostics")
             if "store" not in p.relative_to(ROOT).parts
             for name in imports_of(p) if any(_matches(name, banned) for banned in DOMAIN_WITHOUT_DATABASE)]
    assert found == []


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The check itself works: a late import of Flask inside a function is found."""
    (tmp_path / "diagnostics").mkdir()
    sample = tmp_path / "diagnostics" / "probe.py"
    sample.write_text("def f():\n    from flask import request\n    return request\n", encoding="utf-8")
    assert violations("diagnostics", tmp_path) == ["diagnostics/probe.py imports flask",
                                                   "diagnostics/probe.py imports flask.request"]


def _module_graph() -> dict[str, set[str]]:
    """Project module -> project modules it imports anywhere in it.

    Late imports and ``TYPE_CHECKING`` imports count: a function-level or type-only import that closes a
    circle only hides it (the two rooms still cannot be understood one without the other).
    """
    modules = {module_name(p): p for room in PROJECT for p in python_files(room)}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets: set[str] = set()
        for node in tree.body:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import):
                    targets |= {a.name for a in sub.names}
                elif isinstance(sub, ast.ImportFrom) and sub.module and not sub.level:
                    targets.add(sub.module)
                    targets |= {f"{sub.module}.{a.name}" for a in sub.names}
        edges = {t for t in targets if t in modules and t != name}
        if path.name == "__init__.py":  # a blueprint package registering its own views is not a circle
            edges = {t for t in edges if not t.startswith(name + ".")}
        graph[name] = edges
    return graph


def test_no_import_circles() -> None:
    graph = _module_graph()
    seen: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            circles.append(path[path.index(node):] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, [*path, node])

    for start in sorted(graph):
        visit(start, [])
    assert circles == []
