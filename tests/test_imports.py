"""The package's shape: no import cycle (deferred and TYPE_CHECKING imports included) and no
private name used across modules.

Each module of `plugins/onrecord` is read with `ast`; an import of a module of the package
is an edge, wherever it stands. A name with one leading underscore is its module's own:
importing it, or reaching it as `module._name`, from another module fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import REPO

PACKAGE = REPO / "plugins" / "onrecord"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def absolute(importer: str, module: str | None, level: int) -> str:
    """The absolute name of `from <level dots><module> import …` written in `importer`."""
    if level == 0:
        return module or ""
    base = importer.split(".")
    base = base if is_package(importer) else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def imports(name: str) -> tuple[set[str], list[str]]:
    """The package's modules `name` imports, and every private name it takes from them."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    edges: set[str] = set()
    crossings: list[str] = []
    bound: dict[str, str] = {}  # local name -> a package module it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    edges.add(alias.name)
                    bound[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom):
            source = absolute(name, node.module, node.level)
            for alias in node.names:
                child = f"{source}.{alias.name}"
                if child in MODULES:  # `from . import pages`: the module itself
                    edges.add(child)
                    bound[alias.asname or alias.name] = child
                elif source in MODULES:
                    edges.add(source)
                    if private(alias.name):
                        crossings.append(f"{name} imports {alias.name} from {source}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
            and private(node.attr)
        ):
            crossings.append(f"{name} uses {bound[node.value.id]}.{node.attr}")
    edges.discard(name)
    # A module's own package is imported by Python first; it is not a dependency of choice.
    return {edge for edge in edges if not name.startswith(edge + ".")}, crossings


GRAPH = {name: imports(name) for name in MODULES}


def cycles() -> list[list[str]]:
    """Every cycle's members (strongly connected components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for edge in sorted(GRAPH[node][0]):
            if edge not in index:
                visit(edge)
                low[node] = min(low[node], low[edge])
            elif edge in stack:
                low[node] = min(low[node], index[edge])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def test_the_walk_sees_the_package():
    assert "onrecord.model" in MODULES and "onrecord.search.query" in MODULES
    assert "onrecord.model" in GRAPH["onrecord.records.build"][0]


def test_no_import_cycle():
    assert cycles() == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_name_crosses_a_module(name: str):
    assert GRAPH[name][1] == []
