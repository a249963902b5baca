"""What one file's own checks find: its records, built, or its problems; and a statement
with problems only in optional fields, salvaged for the cross-record rules."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..pickling import by_fields
from ..problems import Problem
from ..yamlfile import Document
from .build import build_record, nested_statements
from .read import read_record
from .schemas import DATE_FIELDS, schema
from .validate import conforms, validator

Records = tuple[tuple[object, tuple], ...]
"""A file's records, each with its path in the file: the record itself at `()`, then, in a
statement file, its nested records, depth first."""


@by_fields
@dataclass(frozen=True, slots=True)
class Checked:
    """What one file's own checks found: its records, or its problems."""

    records: Records = ()
    problems: tuple[Problem, ...] = ()
    failed_id: str | None = None  # the id a failed record gives, if any
    # A statement with problems in some fields still meets the cross-record rules with those
    # fields left empty, so that one run lists every problem; the rules' problems about the
    # fields it left empty are not told (the file's own problem about them is).
    emptied: frozenset[str] = frozenset()


def check_file(kind: str, shown: str, raw: bytes) -> Checked:
    document, found = read_record(kind, shown, raw)
    if document is None:
        return Checked(problems=tuple(found))
    if found:
        rescued = salvaged(kind, document)
        if rescued is not None:
            emptied = frozenset(k for k, v in rescued.data.items() if v != document.data[k])
            records = ((build_record(kind, rescued), ()), *nested_statements(rescued.data, shown))
            return Checked(records, tuple(found), emptied=emptied)
        data = document.data
        failed_id = data.get("id") if isinstance(data, dict) else None
        return Checked(
            problems=tuple(found), failed_id=failed_id if isinstance(failed_id, str) else None
        )
    record = build_record(kind, document)
    if kind != "statement":
        return Checked(((record, ()),))
    return Checked(((record, ()), *nested_statements(document.data, document.path)))


def salvaged(kind: str, document: Document) -> Document | None:
    """A statement with its failing top-level fields emptied, if that is a valid record.

    Only for statements (the rules check most about them), and only where every problem
    lies in an optional field: an id, speaker or text that fails leaves nothing to check.
    """
    data = document.data
    if kind != "statement" or not isinstance(data, dict):
        return None
    failing = {
        error.absolute_path[0] for error in validator(kind).iter_errors(data) if error.absolute_path
    }
    failing |= {path[0] for path in document.timestamps if path and path[-1] not in DATE_FIELDS}
    required = set(schema(kind).get("required", ()))
    if not failing or failing & required or failing - data.keys():
        return None
    emptied = {key: (None if key in failing else value) for key, value in data.items()}
    if not conforms(kind, emptied) and any(True for _ in validator(kind).iter_errors(emptied)):
        return None
    return dataclasses.replace(document, data=emptied, timestamps=set(), booleans=set())
