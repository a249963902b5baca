"""Records on disk → the `Archive`, or every `Problem` found on the way.

Each file is parsed line-aware (`yamlfile`), checked against its kind's JSON Schema
(`schema/*.schema.json`, the single source of truth for structure), turned into model
objects, and the whole set is then checked by the cross-record `rules`. Nothing
downstream ever sees a record that failed any of these.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import pickle
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.validators import extend

from . import rules
from .model import (
    Appearance,
    Archive,
    Claim,
    Footnote,
    LocalizedText,
    Outlet,
    Quote,
    Review,
    Source,
    Speaker,
    Statement,
    Theme,
)
from .problems import Problem, RecordError
from .yamlfile import Document, parse

# The schemas live at the repository root, beside the records editors point them at.
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"
KINDS = ("statement", "speaker", "outlet", "theme", "source", "claim")
DATE_FIELDS = frozenset({"date", "published", "withdrawn_on"})


@dataclass(frozen=True)
class Layout:
    """Where each kind of record lives under an archive's root folder."""

    root: Path

    def folders(self) -> dict[str, Path]:
        return {
            "statement": self.root / "content" / "statements",
            "speaker": self.root / "speakers",
            "outlet": self.root / "content" / "outlets",
            "theme": self.root / "content" / "themes",
            "source": self.root / "content" / "sources",
            "claim": self.root / "content" / "claims",
        }

    def files(self) -> Iterator[tuple[str, Path]]:
        """Every record file, with its kind, in a stable order."""
        for kind, folder in self.folders().items():
            if not folder.is_dir():
                continue
            pattern = "**/*" if kind == "statement" else "*"
            for path in sorted(folder.glob(pattern)):
                if path.suffix in (".yaml", ".yml") and path.is_file():
                    yield kind, path


@cache
def schema(kind: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))


def claim_kinds() -> tuple[str, ...]:
    """The kinds a claim can be, in the schema's order (the list lives in the schema)."""
    return tuple(schema("claim")["properties"]["kind"]["enum"])


def _is_whole_number(checker, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


# JSON Schema counts 3.0 as an integer; a footnote or paragraph number written 3.0 is a typo,
# and would reach the model as a float (and fail as a list index).
_Validator = extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_whole_number),
)


@cache
def _validator(kind: str) -> Draft202012Validator:
    return _Validator(schema(kind), format_checker=FormatChecker())


def load_archive(
    root: Path | str, *, today: date | None = None, cache_file: Path | None = None
) -> Archive:
    """Load and check every record under `root`; raise `RecordError` listing all problems.

    With `cache_file`, each file that passed its own checks is remembered by its bytes:
    parsing and schema checks (most of the time a load takes) are skipped for files that
    did not change since. Cross-record rules always run on everything.
    """
    layout = Layout(Path(root))
    cache = _read_cache(cache_file)
    seen: dict[bytes, tuple[object, Document]] = {}
    problems: list[Problem] = []
    records: dict[str, list[tuple[object, Document]]] = {kind: [] for kind in KINDS}
    # Ids of records that failed their own checks: references to them are not reported
    # again, so one typo in a source does not make every statement's `source` "unknown".
    failed: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for kind, path in layout.files():
        shown = os.path.relpath(path, layout.root)
        try:
            raw = path.read_bytes()
        except OSError as error:
            problems.append(Problem(shown, 1, 1, f"cannot read the file: {error.strerror}", ""))
            continue
        key = hashlib.blake2b(raw + kind.encode() + shown.encode(), digest_size=16).digest()
        if key in cache:
            records[kind].append(cache[key])
            seen[key] = cache[key]
            continue
        document, found = read_record(kind, shown, raw)
        problems.extend(found)
        if document is not None and not found:
            records[kind].append((build(kind, document), document))
            seen[key] = records[kind][-1]
        elif document is not None and isinstance(document.data, dict):
            failed_id = document.data.get("id")
            if isinstance(failed_id, str):
                failed[kind].add(failed_id)
    if cache_file is not None and seen.keys() != cache.keys():
        _write_cache(cache_file, seen)
    statements = list(_statement_entries(records["statement"]))
    problems.extend(rules.check(records, statements, today or date.today(), failed))
    if problems:
        raise RecordError(problems)
    return Archive.of(
        speakers={r.id: r for r, _ in records["speaker"]},
        outlets={r.id: r for r, _ in records["outlet"]},
        themes={r.id: r for r, _ in records["theme"]},
        sources={r.id: r for r, _ in records["source"]},
        statements={statement.id: statement for statement, _, _ in statements},
        claims={r.id: r for r, _ in records["claim"]},
    )


_CACHE_VERSION = 1


def _read_cache(cache_file: Path | None) -> dict[bytes, tuple[object, Document]]:
    # The cache is ours, written beside the index outside output/: never a downloaded file.
    try:
        with open(cache_file, "rb") as handle:  # type: ignore[arg-type]
            version, schemas, entries = pickle.load(handle)
    except (TypeError, OSError, EOFError, pickle.UnpicklingError, ValueError, AttributeError):
        return {}
    return entries if (version, schemas) == (_CACHE_VERSION, _schemas_fingerprint()) else {}


def _write_cache(cache_file: Path, entries: dict[bytes, tuple[object, Document]]) -> None:
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = cache_file.with_name(f".{cache_file.name}.{os.getpid()}")
    with open(temporary, "wb") as handle:
        pickle.dump(
            (_CACHE_VERSION, _schemas_fingerprint(), entries),
            handle,
            protocol=pickle.HIGHEST_PROTOCOL,
        )
    os.replace(temporary, cache_file)


@cache
def _schemas_fingerprint() -> str:
    # A changed schema or model module invalidates every cached record.
    parts = [(SCHEMA_DIR / f"{kind}.schema.json").read_bytes() for kind in KINDS]
    parts.append(Path(__file__).with_name("model.py").read_bytes())
    parts.append(Path(__file__).read_bytes())
    return hashlib.blake2b(b"".join(parts), digest_size=16).hexdigest()


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
    problems = [
        problem
        for error in _validator(kind).iter_errors(document.data)
        for problem in _explain(error, document, kind)
    ]
    problems.extend(_misplaced_timestamps(document))
    # jsonschema reports each missing field, and an empty string both as too short and as
    # blank: the explanations coincide, and each should be read once.
    return document, list(dict.fromkeys(problems))


def _misplaced_timestamps(document: Document) -> Iterable[Problem]:
    for path in sorted(document.timestamps, key=str):
        if not path or path[-1] not in DATE_FIELDS:
            yield document.problem(
                path, f"{_field(path)} reads as a date, where text is expected", "put it in quotes"
            )


def _field(path: Iterable[str | int]) -> str:
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
        return [best_match(relevant)]
    return relevant


def _explain(error: ValidationError, document: Document, kind: str) -> list[Problem]:
    """Turn a jsonschema error into messages an editor can act on, at the right line."""
    if error.validator in ("oneOf", "anyOf"):
        branches = error.validator_value
        if all(set(branch) == {"required"} for branch in branches):
            return [_one_of_fields(error, document)]
        complaints = _union_branch(error)
        if complaints:
            return [p for complaint in complaints for p in _explain(complaint, document, kind)]
    path = tuple(error.absolute_path)
    field = _field(path)
    value = error.instance
    validator = error.validator
    if validator == "required":
        missing = [name for name in error.validator_value if name not in value]
        return [
            document.problem(
                path,
                f"missing required field {', '.join(map(repr, missing))}",
                f"add `{missing[0]}:` to " + (_field(path) if path else f"the {kind} record"),
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
        f"{_field(path)} needs exactly one of "
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
    return document.problem(path, f"{_field(path)} should be {wanted}, not {_type_of(value)}", hint)


def _wrong_form(error: ValidationError, document: Document, path: tuple) -> Problem:
    value, pattern = error.instance, error.validator_value
    if pattern == r"\S" or (isinstance(value, str) and not value.strip()):
        return document.problem(path, f"{_field(path)} is empty", "remove it or fill it in")
    if "a-z0-9" in pattern:
        return document.problem(
            path,
            f"{_field(path)} is not a valid id: {value!r}",
            "ids are lowercase ASCII words joined by '-', e.g. 'ali-khamenei'",
        )
    return document.problem(
        path, f"{_field(path)} has the wrong form: {value!r}", f"it must match {pattern}"
    )


# -- model building (records already passed their schema) --------------------------------------


def _ids(values: list[str] | None) -> tuple[str, ...]:
    return tuple(values or ())


def _localized(value: dict | None, key: str = "text") -> LocalizedText | None:
    if not value:
        return None
    text = value[key]
    return LocalizedText(value["language"], tuple(text) if isinstance(text, list) else (text,))


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def build(kind: str, document: Document) -> object:
    data = document.data
    assert isinstance(data, dict)
    if kind == "statement":
        return _statement(data, document.path, None)
    if kind == "speaker":
        return Speaker(
            id=data["id"],
            name=data["name"],
            kind=data["kind"],
            other_names=_ids(data.get("other_names")),
            name_original=_localized(data.get("name_original")),
            roles=_ids(data.get("roles")),
            description=data.get("description"),
            notes=data.get("notes"),
            aliases=_ids(data.get("aliases")),
            path=document.path,
        )
    if kind == "outlet":
        return Outlet(
            id=data["id"],
            name=data["name"],
            kind=data.get("kind"),
            described_as=_ids(data.get("described_as")),
            notes=data.get("notes"),
            aliases=_ids(data.get("aliases")),
            path=document.path,
        )
    if kind == "theme":
        return Theme(
            id=data["id"],
            name=data["name"],
            description=data["description"],
            aliases=_ids(data.get("aliases")),
            path=document.path,
        )
    if kind == "claim":
        return _claim(data, document.path)
    return Source(
        id=data["id"],
        title=data["title"],
        footnotes=tuple(Footnote(f["number"], f.get("text")) for f in data.get("footnotes") or ()),
        publisher=data.get("publisher"),
        url=data.get("url"),
        published=_date(data.get("published")),
        summary=data.get("summary"),
        notes=data.get("notes"),
        aliases=_ids(data.get("aliases")),
        path=document.path,
    )


def _claim(data: dict, path: str) -> Claim:
    return Claim(
        id=data["id"],
        summary=data["summary"],
        kind=data["kind"],
        appearances=tuple(
            Appearance(
                statement_id=a["statement"],
                paragraph=a["paragraph"],
                exact=a["exact"],
                prefix=a.get("prefix"),
                suffix=a.get("suffix"),
            )
            for a in data["appearances"]
        ),
        reviews=tuple(
            Review(r["by"], date.fromisoformat(r["date"]), r["url"], r["verdict"])
            for r in data.get("reviews") or ()
        ),
        notes=data.get("notes"),
        aliases=_ids(data.get("aliases")),
        path=path,
    )


def _statement(data: dict, path: str, quoted_in: str | None) -> Statement:
    return Statement(
        id=data["id"],
        speaker_id=data["speaker"],
        source_id=data["source"],
        paragraphs=tuple(data["text"]),
        attribution=data["attribution"],
        role=data.get("role"),
        date=_date(data.get("date")),
        venue=data.get("venue"),
        outlet_id=data.get("outlet"),
        footnote=data.get("footnote"),
        headline=data.get("headline"),
        language=data.get("language") or "en",
        original=_localized(data.get("original")),
        theme_ids=_ids(data.get("themes")),
        quotes=tuple(
            Quote(
                q["paragraph"],
                q["statement"] if "statement" in q else q["nested"]["id"],
                nested="nested" in q,
            )
            for q in data.get("quotes") or ()
        ),
        attribution_note=data.get("attribution_note"),
        withdrawn_on=_date(data.get("withdrawn_on")),
        notes=data.get("notes"),
        aliases=_ids(data.get("aliases")),
        path=path,
        quoted_in=quoted_in,
    )


def nested_statements(data: dict, path: str) -> Iterator[tuple[Statement, tuple]]:
    """Nested records inside a statement mapping, depth first, with their path in the file."""
    for index, quote in enumerate(data.get("quotes") or ()):
        if "nested" in quote:
            nested_path = ("quotes", index, "nested")
            yield _statement(quote["nested"], path, data["id"]), nested_path
            for inner, inner_path in nested_statements(quote["nested"], path):
                yield inner, (*nested_path, *inner_path)


def _statement_entries(entries: list[tuple[Statement, Document]]) -> Iterator[rules.StatementEntry]:
    for statement, document in entries:
        yield statement, document, ()
        for nested, path in nested_statements(document.data, document.path):
            yield nested, document, path
