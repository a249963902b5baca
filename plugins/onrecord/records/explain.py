"""A schema error, explained: what an editor reads, at the line of the value it is about, with
a hint of what to write instead."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..problems import Problem
from ..yamlfile import Document
from .schemas import DATE_FIELDS

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError


def field_name(path: Iterable[str | int]) -> str:
    shown = ""
    for part in path:
        shown += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if shown else part)
    return f"`{shown}`" if shown else "the record"


_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "array": "a list",
    "object": "a mapping of fields",
    "null": "empty",
    "boolean": "true/false",
    "number": "a number",
}


def _type_of(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "a mapping of fields"


def _union_branch(error: ValidationError) -> list[ValidationError]:
    """For an `x | null` union, every complaint of the branch that is not `null`.

    With several such branches, only the best match (they contradict each other).
    Context errors already carry the union's path in `absolute_path`.
    """
    branches = error.validator_value
    relevant = [e for e in error.context if branches[e.relative_schema_path[0]] != {"type": "null"}]
    if len({e.relative_schema_path[0] for e in relevant}) > 1:
        from jsonschema.exceptions import best_match  # see validate.validator

        return [best_match(relevant)]
    return relevant


def explain(error: ValidationError, document: Document, kind: str) -> list[Problem]:
    """Turn a jsonschema error into messages an editor can act on, at the right line."""
    if error.validator in ("oneOf", "anyOf"):
        branches = error.validator_value
        if all(set(branch) == {"required"} for branch in branches):
            return [_one_of_fields(error, document)]
        complaints = _union_branch(error)
        if complaints:
            return [p for complaint in complaints for p in explain(complaint, document, kind)]
    path = tuple(error.absolute_path)
    field = field_name(path)
    value = error.instance
    validator = error.validator
    if validator == "required":
        missing = [name for name in error.validator_value if name not in value]
        return [
            document.problem(
                path,
                f"missing required field {', '.join(map(repr, missing))}",
                f"add `{missing[0]}:` to " + (field_name(path) if path else f"the {kind} record"),
            )
        ]
    if validator in ("additionalProperties", "unevaluatedProperties"):
        allowed = list(error.schema.get("properties", {}))
        return [
            _unknown_field(document, path, name, allowed) for name in value if name not in allowed
        ]
    if validator == "type":
        return [_wrong_type(error, document, path)]
    if validator == "format" and error.validator_value == "date":
        return [
            document.problem(
                path, f"{field} is not a real date: {value!r}", "use YYYY-MM-DD, e.g. 2017-11-23"
            )
        ]
    if validator == "format" and error.validator_value == "partial-date":
        return [
            document.problem(
                path,
                f"{field} is not a real date: {value!r}",
                "use YYYY-MM-DD, or YYYY-MM or YYYY when the source says no more "
                "(e.g. 2017-11-23, 2017-11, 2017); say what the source printed in `notes`",
            )
        ]
    if validator == "pattern":
        return [_wrong_form(error, document, path)]
    if validator in ("minItems", "minLength"):
        return [document.problem(path, f"{field} is empty", "remove it or fill it in")]
    if validator == "enum":
        choices = [c for c in error.validator_value if c is not None]
        close = difflib.get_close_matches(str(value), choices, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "one of: " + ", ".join(choices)
        return [document.problem(path, f"{field} cannot be {value!r}", hint)]
    if validator == "uniqueItems":
        return [document.problem(path, f"{field} lists the same item twice", "remove the repeat")]
    if validator == "minimum":
        return [document.problem(path, f"{field} must be at least {error.validator_value}", "")]
    return [document.problem(path, f"{field}: {error.message}", "")]


def _one_of_fields(error: ValidationError, document: Document) -> Problem:
    """A quote gives both of two exclusive fields, or neither."""
    names = [branch["required"][0] for branch in error.validator_value]
    given = [name for name in names if isinstance(error.instance, dict) and name in error.instance]
    path = tuple(error.absolute_path)
    return document.problem(
        path,
        f"{field_name(path)} needs exactly one of "
        "`statement:` (the quoted record's id) or `nested:` (a record)",
        "give one, not both" if len(given) > 1 else "add one of them",
    )


def _unknown_field(document: Document, path: tuple, name: str, allowed: list[str]) -> Problem:
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known fields: {', '.join(allowed)}"
    return document.problem((*path, name), f"unknown field {name!r}", hint, at_key=True)


def _wrong_type(error: ValidationError, document: Document, path: tuple) -> Problem:
    expected = error.validator_value
    expected = [expected] if isinstance(expected, str) else expected
    value = error.instance
    wanted = " or ".join(_TYPE_WORDS.get(t, t) for t in expected)
    if path and path[-1] in DATE_FIELDS:
        wanted = "a date" + (" or empty" if "null" in expected else "")
    hint = ""
    if path in document.booleans:
        hint = "YAML reads unquoted yes/no/on/off/true/false as true/false: put it in quotes"
    elif path and path[-1] in DATE_FIELDS:
        hint = "use YYYY-MM-DD, e.g. 2017-11-23"
    elif isinstance(value, int | float) and "string" in expected:
        hint = "YAML reads it as a number: put it in quotes"
    elif isinstance(value, float) and "integer" in expected:
        hint = "write a whole number, without a decimal point"
    elif isinstance(value, str) and "integer" in expected:
        plain = value.strip().isdecimal()
        hint = "write it without quotes" if plain else "write a plain whole number, e.g. 3"
    return document.problem(
        path, f"{field_name(path)} should be {wanted}, not {_type_of(value)}", hint
    )


def _wrong_form(error: ValidationError, document: Document, path: tuple) -> Problem:
    value, pattern = error.instance, error.validator_value
    if pattern == r"\S" or (isinstance(value, str) and not value.strip()):
        return document.problem(path, f"{field_name(path)} is empty", "remove it or fill it in")
    if "a-z0-9" in pattern:
        return document.problem(
            path,
            f"{field_name(path)} is not a valid id: {value!r}",
            "ids are lowercase ASCII words joined by '-', e.g. 'ali-khamenei'",
        )
    return document.problem(
        path, f"{field_name(path)} has the wrong form: {value!r}", f"it must match {pattern}"
    )
