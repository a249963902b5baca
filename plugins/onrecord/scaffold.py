"""`onrecord new KIND`: a new record file with every field its schema has, and a free id."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from .fmt import canonical_text, schema_comment
from .model import Speaker, name_key
from .problems import RecordError
from .records import Layout, read_record, schema
from .yamlfile import Document, parse


def fields(kind: str) -> dict[str, dict]:
    """The kind's fields in schema order, each with its schema (a `$ref` to `$defs` followed).

    Following the reference matters: a statement's `text` is a `$ref` to a list of
    paragraphs, and must become a repeated flag, not a single value.
    """
    whole = schema(kind)
    return {name: _followed(whole, spec) for name, spec in whole["properties"].items()}


def _followed(whole: dict, spec: dict) -> dict:
    ref = spec.get("$ref", "")
    if not ref.startswith("#/$defs/"):
        return spec
    own = {key: value for key, value in spec.items() if key != "$ref"}
    return {**whole["$defs"][ref.removeprefix("#/$defs/")], **own}


def required(kind: str) -> list[str]:
    return list(schema(kind).get("required", []))


def flag_shape(spec: dict) -> str | None:
    """How a field is given on the command line: "value", "list" (repeated flag), or not at all."""
    types = spec.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "array" in types:
        items = spec.get("items", {})
        return "list" if items.get("type") == "string" or "$ref" in items else None
    if "object" in types:
        return None
    if {"string", "integer"} & set(types) or "enum" in spec or "$ref" in spec:
        return "value"
    if "oneOf" in spec and any("$ref" in branch for branch in spec["oneOf"]):
        return "value"
    return None


def slug(text: str) -> str:
    """ASCII words joined by '-': a suggestion for a new id, fixed once the file exists."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "record"


def _empty(spec: dict) -> object:
    kinds = spec.get("type", [])
    if spec.get("type") == "array" or "array" in kinds:
        return []
    return None


def record_path(layout: Layout, kind: str, record_id: str, year: str | None = None) -> Path:
    folder = layout.folders()[kind]
    if kind == "statement":
        folder = folder / (year or "undated")
    return folder / f"{record_id}.yaml"


def _records_of(layout: Layout, kind: str) -> Iterator[dict]:
    """Every record mapping of `kind` in the files (nested statements too), as written.

    Read from the YAML alone, without the checks: `onrecord new` must work in an archive
    that does not pass `check` yet.
    """
    for file_kind, path in layout.files():
        if file_kind != kind:
            continue
        document = parse(str(path), path.read_bytes())
        if isinstance(document, Document):
            yield from _mappings(document.data)


def _mappings(data: object) -> Iterator[dict]:
    if isinstance(data, dict):
        if isinstance(data.get("id"), str):
            yield data
        for value in data.values():
            yield from _mappings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _mappings(value)


def taken_ids(layout: Layout, kind: str) -> set[str]:
    """Every id of `kind` in use: file names, records' ids and their former ids (aliases)."""
    taken = {path.stem for file_kind, path in layout.files() if file_kind == kind}
    for record in _records_of(layout, kind):
        taken.add(record["id"])
        aliases = record.get("aliases")
        if isinstance(aliases, list):
            taken.update(alias for alias in aliases if isinstance(alias, str))
    return taken


def speaker_named(layout: Layout, name: str) -> Speaker | None:
    """The speaker who already has `name` (or a spelling of it), as `name_key` compares."""
    if not name.strip():
        return None
    wanted = name_key(name)
    for kind, path in layout.files():
        if kind != "speaker":
            continue
        document = parse(str(path), path.read_bytes())
        data = document.data if isinstance(document, Document) else None
        if not isinstance(data, dict):
            continue
        names = [data.get("name"), *(data.get("other_names") or [])]
        if any(isinstance(n, str) and name_key(n) == wanted for n in names):
            shown = str(path.relative_to(layout.root))
            return Speaker(str(data.get("id")), str(data.get("name")), "", path=shown)
    return None


def free_id(layout: Layout, kind: str, wanted: str, year: str | None = None) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`, … whichever is no record's id or former id yet."""
    taken = taken_ids(layout, kind)
    candidate, n = wanted, 1
    while candidate in taken or record_path(layout, kind, candidate, year).exists():
        n += 1
        candidate = f"{wanted}-{n}"
    return candidate


def scaffold(layout: Layout, kind: str, values: dict[str, object]) -> Path:
    """Write a new `kind` record filled with `values`; every other field present but empty.

    Never overwrites: the id is made free first, and the file is opened with mode 'x'
    (`FileExistsError` when an explicit id is taken). Raises `RecordError` and writes
    nothing when the values break the schema (a bad id, date or choice).
    """
    date = values.get("date")
    year = str(date)[:4] if date else None
    if values.get("id"):
        record_id = str(values["id"])
        if record_id in taken_ids(layout, kind):  # a former id (alias) answers its old URL
            raise FileExistsError(0, "taken", str(record_path(layout, kind, record_id, year)))
    elif kind == "statement":
        wanted = slug(f"{values.get('speaker', 'statement')}-{date or 'undated'}")
        record_id = free_id(layout, kind, wanted, year)
    else:
        # A claim is named by the first words of its summary.
        summary = " ".join(str(values.get("summary") or "").split()[:6])
        wanted = values.get("name") or values.get("title") or summary or kind
        record_id = free_id(layout, kind, slug(str(wanted)))
    data: dict[str, object] = {}
    for name, spec in fields(kind).items():
        if name == "id":
            data[name] = record_id
        elif name in values:
            data[name] = values[name]
        elif name == "attribution":
            data[name] = "secondary"
        elif name == "language":
            data[name] = "en"
        else:
            data[name] = _empty(spec)
    path = record_path(layout, kind, record_id, year)
    # Written in `onrecord fmt`'s canonical layout, so a new record is tidy from the start.
    text = canonical_text(data, kind, schema_comment(layout.root, kind, path))
    # Checked before anything is written: an id like `../x` or a date like `2017-02-30`
    # would otherwise put a broken file somewhere unexpected.
    _, problems = read_record(kind, str(path), text.encode("utf-8"))
    if problems:
        raise RecordError(problems)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(text)
    return path
