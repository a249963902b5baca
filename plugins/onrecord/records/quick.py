"""The quick schema check: each schema compiled into plain predicates, for the records with no
problem (most of them), which then never need jsonschema."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from .schemas import schema
from .validate import format_checker

# -- the quick schema check ---------------------------------------------------------------------
#
# jsonschema explains every problem, but takes most of a cold load to find that a record has
# none. The schemas are compiled once more into plain predicates for the keywords they use:
# a record they accept is one jsonschema accepts, and any other record goes to jsonschema,
# which finds and explains its problems exactly as before. A keyword or value the predicates
# cannot judge exactly (`_Unsure`) also sends the record to jsonschema.

Check = Callable[[object], bool]

# The JSON types of each Python type a parsed record holds (YAML gives no other). "integer"
# is a whole number and never true/false (see `validate.validator`).
_JSON_TYPES: dict[type, frozenset[str]] = {
    str: frozenset({"string"}),
    int: frozenset({"integer", "number"}),
    float: frozenset({"number"}),
    bool: frozenset({"boolean"}),
    type(None): frozenset({"null"}),
    list: frozenset({"array"}),
    dict: frozenset({"object"}),
}
# Keywords that only annotate: they never make a record invalid.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "$comment", "title", "description", "examples", "default"}
)


class _Unsure(Exception):
    """The quick check cannot judge this schema or value exactly: jsonschema must."""


def conforms(kind: str, data: object) -> bool:
    """True only when jsonschema would find no problem in `data`."""
    check = _quick_check(kind)
    try:
        return check is not None and check(data)
    except _Unsure:
        return False


@cache
def _quick_check(kind: str) -> Check | None:
    try:
        return _Compiler(schema(kind)).reference("#")
    except _Unsure:
        return None


class _Compiler:
    """Turns one schema (and the `$ref`s within it) into a predicate."""

    def __init__(self, root: dict):
        self.root = root
        self.compiled: dict[str, Check | None] = {}  # None: being compiled

    def compile(self, node: object) -> Check:
        # A nested `$id` would change what the references in it point at.
        if not isinstance(node, dict) or (node is not self.root and "$id" in node):
            raise _Unsure
        checks = [self._keyword(name, value, node) for name, value in node.items()]
        return _all([check for check in checks if check is not None])

    def reference(self, ref: str) -> Check:
        # Looked up at call time: `"$ref": "#"` in a nested record points back at the root,
        # which is still being compiled when the reference is met.
        if ref not in self.compiled:
            self.compiled[ref] = None
            self.compiled[ref] = self.compile(self._resolve(ref))
        compiled = self.compiled
        return lambda value: compiled[ref](value)  # type: ignore[misc]

    def _resolve(self, ref: str) -> object:
        if ref == "#":
            return self.root
        if not ref.startswith("#/") or "~" in ref or "%" in ref:
            raise _Unsure
        node: object = self.root
        for part in ref[2:].split("/"):
            if not isinstance(node, dict) or part not in node:
                raise _Unsure
            node = node[part]
        return node

    def _keyword(self, name: str, value: object, node: dict) -> Check | None:
        if name in _ANNOTATIONS or (name == "additionalProperties" and "properties" in node):
            return None
        if name == "$ref" and isinstance(value, str):
            return self.reference(value)
        if name == "properties" and isinstance(value, dict):
            return self._properties(value, node.get("additionalProperties", True))
        if name in ("oneOf", "anyOf", "allOf") and isinstance(value, list) and value:
            return _combined(name, [self.compile(branch) for branch in value])
        if name == "items" and "prefixItems" not in node:
            each = self.compile(value)
            return lambda v: type(v) is not list or all(each(item) for item in v)
        return _simple(name, value)

    def _properties(self, properties: dict, additional: object) -> Check:
        if additional not in (True, False):
            raise _Unsure
        closed = additional is False
        checks = {name: self.compile(sub) for name, sub in properties.items()}

        def check(value: object) -> bool:
            if type(value) is not dict:
                return True
            for name, item in value.items():
                item_check = checks.get(name)
                if item_check is None:
                    if closed:
                        return False
                elif not item_check(item):
                    return False
            return True

        return check


def _all(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]

    def check(value: object) -> bool:
        # A loop, not all(...): this runs for every value of every record, and a generator
        # per call would cost more than the checks themselves.
        for each in checks:  # noqa: SIM110
            if not each(value):
                return False
        return True

    return check


def _combined(name: str, branches: list[Check]) -> Check:
    if name == "oneOf":
        return lambda value: sum(1 for branch in branches if branch(value)) == 1
    if name == "anyOf":
        return lambda value: any(branch(value) for branch in branches)
    return lambda value: all(branch(value) for branch in branches)


def _simple(name: str, value: object) -> Check:
    """A keyword that looks at one value only, as jsonschema's own implementation does."""
    if name == "type" and isinstance(value, str | list):
        return _type(frozenset([value] if isinstance(value, str) else value))
    if name == "required" and isinstance(value, list):
        return lambda v: type(v) is not dict or all(field in v for field in value)
    if name == "enum" and isinstance(value, list):
        return _enum(value)
    if name == "pattern" and isinstance(value, str):
        search = re.compile(value).search
        return lambda v: type(v) is not str or search(v) is not None
    if name == "format" and isinstance(value, str):
        formats = format_checker()
        return lambda v: formats.conforms(v, value)
    if name in ("minLength", "minItems") and type(value) is int:
        measured = str if name == "minLength" else list
        return lambda v: type(v) is not measured or len(v) >= value
    if name == "minimum" and type(value) in (int, float):
        return lambda v: type(v) not in (int, float) or not v < value
    if name == "uniqueItems" and type(value) is bool:
        return lambda v: not value or type(v) is not list or _unique(v)
    raise _Unsure


def _type(wanted: frozenset[str]) -> Check:
    accepted = frozenset(kind for kind, names in _JSON_TYPES.items() if names & wanted)

    def check(value: object) -> bool:
        kind = type(value)
        if kind in accepted:
            return True
        if kind in _JSON_TYPES:
            return False
        raise _Unsure

    return check


def _enum(choices: list) -> Check:
    # jsonschema compares text as text and tells true/false from 1/0: for choices that are text
    # or empty, only a value of those types can match, and `in` says which.
    if not all(choice is None or type(choice) is str for choice in choices):
        raise _Unsure
    allowed = frozenset(choices)
    return lambda v: (v is None or type(v) is str) and v in allowed


def _unique(items: list) -> bool:
    if not all(type(item) is str for item in items):
        raise _Unsure
    return len(set(items)) == len(items)
