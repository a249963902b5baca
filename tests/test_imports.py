"""The package's shape: no import cycle (deferred and TYPE_CHECKING imports included) and no
private name used across modules.

Each module of `plugins/onrecord` is read with `ast`; an import of a module of the package
is an edge, wherever it stands. A name with one leading underscore is its module's own:
importing it, or reaching it as `module._name`, from another module fails here.

Whoosh's private members are touched in `search/whoosh_internals.py` alone: anywhere else,
`x._name` (x not `self`, `cls` or `super()`), a private name imported from `whoosh`,
`getattr(x, "_name")`, or a class overriding, reading or setting a private member one of
its Whoosh base classes has, fails here.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
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


# Whoosh's private members (names with one leading underscore on its objects, classes and
# modules) are touched in this module of the package and nowhere else.
WHOOSH_INTERNALS = "onrecord.search.whoosh_internals"
# Private names of other libraries that are their documented API.
NOT_WHOOSH = {"os._exit"}


def whoosh_private_names(cls: type) -> set[str]:
    """The private names the Whoosh classes among `cls`'s bases define or set on `self`."""
    names: set[str] = set()
    for base in cls.__mro__:
        if not base.__module__.startswith("whoosh."):
            continue
        names.update(name for name in vars(base) if private(name))
        try:
            source = inspect.getsource(base)
        except (OSError, TypeError):
            continue
        names.update(re.findall(r"\bself\.(_[A-Za-z]\w*)", source))
    return {name for name in names if private(name)}


def is_self(node: ast.expr) -> bool:
    """`self`, `cls` or `super()`: the object's own members, Whoosh's only if inherited."""
    if isinstance(node, ast.Name):
        return node.id in ("self", "cls")
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "super"
        and not node.args
    )


def whoosh_touches(name: str) -> list[str]:
    """Each place module `name` touches a private member that is not its own."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found: list[str] = []

    def where(node: ast.AST, what: str) -> None:
        found.append(f"{name}:{node.lineno}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "whoosh" and any(map(private, parts)):
                    where(node, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == "whoosh":
                parts = node.module.split(".")
                for alias in node.names:
                    if any(map(private, [*parts, alias.name])):
                        where(node, f"from {node.module} import {alias.name}")
        elif isinstance(node, ast.Attribute) and private(node.attr) and not is_self(node.value):
            if ast.unparse(node) not in NOT_WHOOSH:
                where(node, ast.unparse(node))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and private(node.args[1].value)
        ):
            where(node, ast.unparse(node))
    # A class's own private members are its own, unless a Whoosh class among its bases has
    # them: then overriding, reading or setting them is a touch of Whoosh's internals.
    module = importlib.import_module(name)
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or not isinstance(
            cls := getattr(module, node.name, None), type
        ):
            continue
        inherited = whoosh_private_names(cls)
        for inner in ast.walk(node):
            if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
                if inner.name in inherited:
                    where(inner, f"{node.name} overrides {inner.name}")
            elif (
                isinstance(inner, ast.Attribute)
                and inner.attr in inherited
                and is_self(inner.value)
            ):
                where(inner, f"{node.name}: {ast.unparse(inner)}")
    return found


def test_the_whoosh_walk_sees_whoosh_touches():
    from whoosh.writing import SegmentWriter

    assert {"_finish", "_added", "_flush_segment"} <= whoosh_private_names(SegmentWriter)
    touches = whoosh_touches(WHOOSH_INTERNALS)
    for what in ("_postwriter", "_perdoc", "overrides _finish", "overrides _write_block"):
        assert any(what in touch for touch in touches), what


@pytest.mark.parametrize("name", sorted(set(MODULES) - {WHOOSH_INTERNALS}))
def test_whoosh_internals_are_touched_in_one_module(name: str):
    assert whoosh_touches(name) == []
