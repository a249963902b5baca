"""Whether a record is valid against its kind's JSON Schema.

Two validators read the same schema:

- `conforms`: the quick yes or no, by fastjsonschema, which compiles the schema into Python
  code. Most records have no problem, and are judged by it alone.
- `validator`: jsonschema, which finds every problem of a record `conforms` refuses, for
  `explain` to word. The messages are jsonschema's findings, as they always were.

`conforms` must never accept a record jsonschema refuses (tests/test_load.py draws records
to check it). The schema it compiles is therefore rewritten first (`_prepared`), keeping its
meaning: references into `$defs` written out in place, `oneOf` between branches of disjoint
types read as `anyOf` (the same, without an exception per failed branch), and draft-04
semantics, where 3.0 is not an integer (this archive's rule too: see `validator`). A schema
using any keyword beyond those whose meaning both libraries share gets no quick check: every
record then goes to jsonschema. Formats are jsonschema's own checks, lent to fastjsonschema.
Where fastjsonschema is stricter (`$` in a pattern read as the very end, not before a final
newline), a record it refuses goes to jsonschema, which finds no problem: nothing changes.

Time at 10,000 synthetic statements (`onrecord synth 10000`: 9,795 files), before (the
hand-written schema compiler this replaced) and after, run in turn on 2 shared, busy cores,
medians of 8 runs each: the quick decision over every record, in one process, 0.189 s of CPU
before and 0.175 s after (7% less); `load_archive` 2.66 s before, 2.47 s after; `onrecord
check` 3.21 s before, 3.38 s after (single runs spread by a third on the shared machine: the
load and the check are the same within that). The code is 200 lines shorter.
"""

from __future__ import annotations

from functools import cache, partial
from typing import TYPE_CHECKING

from ..model import PartialDate
from .schemas import schema

if TYPE_CHECKING:
    from collections.abc import Callable

    from jsonschema import Draft202012Validator, FormatChecker


def conforms(kind: str, data: object) -> bool:
    """True only when jsonschema would find no problem in `data`."""
    check = _compiled(kind)
    return check is not None and check(data)


@cache
def _compiled(kind: str) -> Callable[[object], bool] | None:
    # Imported here, as jsonschema is: a load that finds every file in the cache needs neither.
    import fastjsonschema

    try:
        prepared, formats = _prepared(schema(kind))
    except _Unsupported:
        return None
    checker = format_checker()
    validate = fastjsonschema.compile(
        prepared,
        formats={name: partial(_conforms_to, checker, name) for name in formats},
        use_default=False,  # never write a schema's defaults into the record
        detailed_exceptions=False,
    )
    refused = fastjsonschema.JsonSchemaException

    def check(data: object) -> bool:
        try:
            validate(data)
        except refused:
            return False
        return True

    return check


def _conforms_to(checker: FormatChecker, name: str, value: object) -> bool:
    return checker.conforms(value, name)


# -- the schema as fastjsonschema is given it ------------------------------------------------------

_DRAFT_04 = "http://json-schema.org/draft-04/schema#"
# Keywords whose meaning fastjsonschema (draft-04) and jsonschema (2020-12) share, for the
# values a parsed record holds (str, int, float, bool, None, list, dict: `yamlfile` gives no
# other), provided `items` is one schema and `additionalProperties` true or false.
_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "minItems",
        "uniqueItems",
        "minLength",
        "pattern",
        "format",
        "minimum",
        "oneOf",
        "anyOf",
        "allOf",
        "$ref",
    }
)
# Keywords that only annotate: they never make a record invalid, and are left out.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "$comment", "title", "description", "examples", "default"}
)
_TYPES = frozenset({"string", "integer", "number", "boolean", "null", "array", "object"})


class _Unsupported(Exception):
    """The schema uses something the two libraries might read differently."""


def _prepared(root: dict) -> tuple[dict, set[str]]:
    """The schema as draft-04 with the same meaning, and the formats it names."""
    formats: set[str] = set()

    def node(value: object, refs: tuple[str, ...] = ()) -> dict:
        # A nested `$id` would change what the references in it point at.
        if not isinstance(value, dict) or (value is not root and "$id" in value):
            raise _Unsupported
        if value.keys() - _KEYWORDS - _ANNOTATIONS:
            raise _Unsupported
        if "$ref" in value:
            if value.keys() - _ANNOTATIONS != {"$ref"}:
                raise _Unsupported  # draft-04 ignores a reference's siblings; 2020-12 does not
            ref = value["$ref"]
            if ref == "#":
                return {"$ref": "#"}  # the root itself: a nested record
            if ref in refs:
                raise _Unsupported  # a reference to itself, other than through the root
            return node(_resolve(root, ref), (*refs, ref))
        out = {}
        for name, item in value.items():
            if name in _ANNOTATIONS:
                continue
            if name == "properties" and isinstance(item, dict):
                out[name] = {key: node(sub, refs) for key, sub in item.items()}
            elif name == "items":
                out[name] = node(item, refs)
            elif name in ("oneOf", "anyOf", "allOf") and isinstance(item, list) and item:
                out[name] = [node(branch, refs) for branch in item]
            else:
                out[name] = _plain(name, item)
                if name == "format":
                    formats.add(item)
        if "oneOf" in out and "anyOf" not in out and _disjoint(out["oneOf"]):
            out["anyOf"] = out.pop("oneOf")  # at most one branch can match: one is the same
        return out

    prepared = node(root)
    prepared["$schema"] = _DRAFT_04
    return prepared, formats


def _resolve(root: dict, ref: str) -> object:
    if not ref.startswith("#/") or "~" in ref or "%" in ref:
        raise _Unsupported  # only plain pointers into this schema: nothing fetched
    found: object = root
    for part in ref[2:].split("/"):
        if not isinstance(found, dict) or part not in found:
            raise _Unsupported
        found = found[part]
    return found


def _plain(name: str, value: object) -> object:
    """The value of a keyword that looks at one value only, if both libraries read it alike."""
    if name == "type":
        types = [value] if isinstance(value, str) else value
        accepted = isinstance(types, list) and bool(types) and set(types) <= _TYPES
    elif name in ("required", "enum"):
        # Choices that are text or empty: no question of 1 == 1.0 == true.
        accepted = isinstance(value, list) and all(
            isinstance(choice, str) or (name == "enum" and choice is None) for choice in value
        )
    else:
        accepted = type(value) in _PLAIN_VALUES.get(name, ())
    if not accepted:
        raise _Unsupported
    return value


_PLAIN_VALUES: dict[str, tuple[type, ...]] = {
    "pattern": (str,),
    "format": (str,),
    "minLength": (int,),
    "minItems": (int,),
    "minimum": (int, float),
    "uniqueItems": (bool,),
    "additionalProperties": (bool,),
}


def _disjoint(branches: list[dict]) -> bool:
    """Whether no value can match two of these branches: each allows types no other does."""
    seen: set[str] = set()
    for branch in branches:
        types = branch.get("type")
        if types is None:
            return False
        kinds = set([types] if isinstance(types, str) else types)
        if "integer" in kinds:
            kinds = (kinds - {"integer"}) | {"number"}  # an integer is a number too
        if kinds & seen:
            return False
        seen |= kinds
    return True


# -- jsonschema: every problem, to explain ---------------------------------------------------------


def _is_whole_number(checker, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


@cache
def format_checker() -> FormatChecker:
    from jsonschema import FormatChecker  # see validator

    checker = FormatChecker()
    checker.checks("partial-date")(is_partial_date)
    return checker


@cache
def validator(kind: str) -> Draft202012Validator:
    # Imported here: most loads find every record in the cache or passing the quick check,
    # and never need jsonschema's validator.
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    # JSON Schema counts 3.0 as an integer; a footnote or paragraph number written 3.0 is a
    # typo, and would reach the model as a float (and fail as a list index).
    checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_whole_number)
    strict = extend(Draft202012Validator, type_checker=checker)
    return strict(schema(kind), format_checker=format_checker())


def is_partial_date(value: object) -> bool:
    """The `partial-date` format: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`, a real one."""
    if not isinstance(value, str):
        return True  # formats judge strings only; the type is checked apart
    try:
        PartialDate.parse(value)
    except ValueError:
        return False
    return True
