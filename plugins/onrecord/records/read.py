"""One file read on its own: parsed line-aware, checked against its kind's schema, and every
problem explained at its line."""

from __future__ import annotations

from collections.abc import Iterable

from ..problems import Problem
from ..yamlfile import Document, parse
from .explain import explain, field_name
from .schemas import DATE_FIELDS
from .validate import conforms, validator


def read_record(kind: str, shown_path: str, raw: bytes) -> tuple[Document | None, list[Problem]]:
    """Parse and schema-check one file; the document is returned even when it has problems."""
    document = parse(shown_path, raw)
    if isinstance(document, Problem):
        return None, [document]
    if not isinstance(document.data, dict):
        return document, [
            document.problem(
                (),
                f"a {kind} record must be a mapping of fields",
                "start with `id: ...` on the first line",
            )
        ]
    problems = _schema_problems(kind, document)
    problems.extend(_misplaced_timestamps(document))
    # jsonschema reports each missing field, and an empty string both as too short and as
    # blank: the explanations coincide, and each should be read once.
    return document, list(dict.fromkeys(problems))


def _schema_problems(kind: str, document: Document) -> list[Problem]:
    if conforms(kind, document.data):  # most records: no need to ask jsonschema
        return []
    return [
        problem
        for error in validator(kind).iter_errors(document.data)
        for problem in explain(error, document, kind)
    ]


def _misplaced_timestamps(document: Document) -> Iterable[Problem]:
    for path in sorted(document.timestamps, key=str):
        if not path or path[-1] not in DATE_FIELDS:
            yield document.problem(
                path,
                f"{field_name(path)} reads as a date, where text is expected",
                "put it in quotes",
            )
