"""`onrecord fmt`: every record in one canonical layout, proven to mean the same after.

The canonical layout of a record:

- first line: `# yaml-language-server: $schema=<relative path to schema/<kind>.schema.json>`;
- fields in the order of the schema's `properties`, nested mappings too (a quote, a nested
  statement, `original`, a footnote, `name_original`, a claim's appearance or review); fields
  are never added or removed;
- every text value double-quoted, on one line, verbatim: no YAML 1.1 lookalike (`no`,
  `1:20`, `2017-11-23`) can change type, and no folding can change a paragraph's spaces;
- `null` for empty values, plain whole numbers, lists in block style (`[]` when empty).

Rewriting is refused for a file that fails its own checks (parse, schema), and for a file
whose rewrite would not read back as the same data and the same model objects. PyYAML
does not keep comments: a comment other than the schema line is an editor's note that
would be lost, so such a file is refused too unless `--force` says to drop it.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.representer import SafeRepresenter

from .problems import Problem
from .records import Layout, build_record, nested_statements, read_record, schema
from .yamlfile import Document

_TAG = "tag:yaml.org,2002:"
SCHEMA_LINE = "# yaml-language-server: $schema="
# The schema line is tooling, rewritten by fmt; any other comment is an editor's.
_SCHEMA_COMMENT = re.compile(r"#\s*yaml-language-server:")
# The pure-Python emitter, even where libyaml is installed: one layout on every machine.
_DUMPER = yaml.SafeDumper
# Far wider than any paragraph: a line is never broken, so text stays verbatim on one line.
_WIDTH = sys.maxsize
_representer = SafeRepresenter()


# -- the layout ------------------------------------------------------------------------------


def schema_comment(root: Path, kind: str, path: Path) -> str:
    """The schema line's target: the archive's own `schema/` folder, relative to the file.

    Relative to the archive root (not to this package) so that a copy of the archive
    elsewhere has the same canonical text.
    """
    target = Path(os.path.abspath(root)) / "schema" / f"{kind}.schema.json"
    return os.path.relpath(target, Path(os.path.abspath(path)).parent)


def _resolved(spec: dict, whole: dict) -> dict:
    # `$ref: "#"` is a nested statement: the whole schema again.
    while "$ref" in spec:
        ref = spec["$ref"]
        spec = whole if ref == "#" else whole["$defs"][ref.removeprefix("#/$defs/")]
    return spec


def _branches(spec: dict, whole: dict) -> Iterator[dict]:
    """The spec itself and each `oneOf`/`anyOf` branch (`original` is `null | object`)."""
    spec = _resolved(spec, whole)
    yield spec
    for branch in spec.get("oneOf", []) + spec.get("anyOf", []):
        yield from _branches(branch, whole)


def _properties(spec: dict, whole: dict) -> dict:
    return next((b["properties"] for b in _branches(spec, whole) if "properties" in b), {})


def _items(spec: dict, whole: dict) -> dict:
    return next((b["items"] for b in _branches(spec, whole) if "items" in b), {})


def ordered(value: object, spec: dict, whole: dict) -> object:
    """`value` with every mapping's keys in schema order; unknown keys (if any) keep theirs last."""
    if isinstance(value, dict):
        properties = _properties(spec, whole)
        keys = [k for k in properties if k in value] + [k for k in value if k not in properties]
        return {key: ordered(value[key], properties.get(key, {}), whole) for key in keys}
    if isinstance(value, list):
        items = _items(spec, whole)
        return [ordered(item, items, whole) for item in value]
    return value


def _node(value: object) -> Node:
    # Nodes are built by hand rather than through a representer: keys stay plain words,
    # while every text value is forced into double quotes.
    if isinstance(value, dict):
        pairs = [(ScalarNode(f"{_TAG}str", key), _node(item)) for key, item in value.items()]
        return MappingNode(f"{_TAG}map", pairs, flow_style=False)
    if isinstance(value, list):
        return SequenceNode(f"{_TAG}seq", [_node(item) for item in value], flow_style=not value)
    if isinstance(value, str):
        return ScalarNode(f"{_TAG}str", value, style='"')
    return _representer.represent_data(value)  # null, true/false, numbers as YAML writes them


def canonical_text(data: dict, kind: str, comment: str) -> str:
    """The canonical text of a record whose data is `data` and schema line points at `comment`."""
    stream = io.StringIO()
    yaml.serialize(
        _node(ordered(data, schema(kind), schema(kind))),
        stream,
        Dumper=_DUMPER,
        allow_unicode=True,
        width=_WIDTH,
    )
    return f"{SCHEMA_LINE}{comment}\n{stream.getvalue()}"


# -- comments --------------------------------------------------------------------------------


def _scalar_spans(text: str) -> list[tuple[int, int]]:
    """Where each scalar's text lies: a `#` inside one is text, not a comment."""
    spans = []
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if not isinstance(token, yaml.ScalarToken):
            continue
        start, end = token.start_mark.index, token.end_mark.index
        if token.style in ("|", ">"):
            # The header line of a block scalar (`| # note`) may carry a comment of its own.
            newline = text.find("\n", start, end)
            start = end if newline == -1 else newline
        spans.append((start, end))
    return spans


def editor_comments(shown: str, text: str) -> list[Problem]:
    """Every comment but the schema line, each as a problem at its line and column."""
    spans = _scalar_spans(text)
    found = []
    for match in re.finditer(r"(?:^|(?<=\s))#[^\n]*", text, flags=re.MULTILINE):
        start = match.start()
        if any(low <= start < high for low, high in spans):
            continue
        if _SCHEMA_COMMENT.match(match.group()):
            continue
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        found.append(
            Problem(
                shown,
                line,
                column,
                f"a comment would be lost: {match.group().strip()!r}",
                "move it into `notes:`, or run `onrecord fmt --force` to drop it",
            )
        )
    return found


# -- one file --------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What fmt makes of one file: its canonical text, or why it cannot have one."""

    shown: str
    canonical: str | None = None
    tidy: bool = False  # the file already holds exactly the canonical text
    problems: list[Problem] = field(default_factory=list)


def _meaning(kind: str, document: Document) -> tuple[str, object, list]:
    """What a record means: its data (types kept exact), its model object, nested ones."""
    assert isinstance(document.data, dict)
    nested = list(nested_statements(document.data, document.path)) if kind == "statement" else []
    data = json.dumps(document.data, sort_keys=True, ensure_ascii=False)
    return data, build_record(kind, document), nested


def tidy_file(root: Path, kind: str, path: Path, *, force: bool = False) -> Outcome:
    """Read one record and work out its canonical text, refusing when meaning could change."""
    shown = os.path.relpath(path, root)
    outcome = Outcome(shown)
    raw = path.read_bytes()
    before, outcome.problems = read_record(kind, shown, raw)
    if before is None or outcome.problems:
        return outcome
    text = raw.decode("utf-8")  # a byte-order mark or CRLF line ends make a file untidy
    canonical = canonical_text(before.data, kind, schema_comment(root, kind, path))
    if text == canonical:
        outcome.canonical, outcome.tidy = canonical, True
        return outcome
    if not force:
        outcome.problems = editor_comments(shown, text)
        if outcome.problems:
            return outcome
    after, problems = read_record(kind, shown, canonical.encode("utf-8"))
    if after is None or problems or _meaning(kind, after) != _meaning(kind, before):
        # Never expected: the proof that the rewrite means the same failed, so keep the file.
        outcome.problems = [
            Problem(shown, 1, 1, "the canonical layout would not read back the same", "")
        ]
        return outcome
    outcome.canonical = canonical
    return outcome


def _write(path: Path, text: str) -> None:
    # Written beside the record and renamed over it: an interrupted run leaves the old file.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


# -- which files -----------------------------------------------------------------------------


def kind_of(layout: Layout, path: Path) -> str | None:
    """The kind of record at `path`, by the folder it sits in, or None when it is not a record."""
    if path.suffix not in (".yaml", ".yml"):
        return None
    resolved = path.resolve()
    for kind, folder in layout.folders().items():
        folder = folder.resolve()
        # Statements sit in year folders at any depth; other kinds directly in their folder.
        inside = folder in resolved.parents if kind == "statement" else resolved.parent == folder
        if inside:
            return kind
    return None


def targets(layout: Layout, paths: Sequence[str]) -> tuple[list[tuple[str, Path]], list[str]]:
    """The records to format (every one when `paths` is empty), and messages for bad paths."""
    if not paths:
        return list(layout.files()), []
    found: dict[Path, str] = {}
    messages: list[str] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            inside = path.resolve()
            for kind, record in layout.files():
                if record.resolve() == inside or inside in record.resolve().parents:
                    found.setdefault(record, kind)
        elif not path.is_file():
            messages.append(f"{given}: no such file")
        elif kind := kind_of(layout, path):
            found.setdefault(path, kind)
        else:
            messages.append(f"{given}: not a record (not in a record folder): skipped")
    return [(kind, path) for path, kind in found.items()], messages


# -- the command -----------------------------------------------------------------------------


def run(root: Path, paths: Sequence[str], *, check: bool = False, force: bool = False) -> int:
    """`onrecord fmt`: rewrite (or with `check`, list) records not in canonical layout."""
    layout = Layout(root)
    files, messages = targets(layout, paths)
    failed = any(message.endswith("no such file") for message in messages)
    for message in messages:
        print(message, file=sys.stderr)
    if not paths and not files:
        print(f"onrecord fmt: no records under {str(root)!r}", file=sys.stderr)
        return 1
    untidy = refused = 0
    for kind, path in files:
        outcome = tidy_file(root, kind, path, force=force)
        if outcome.problems:
            refused += 1
            for problem in outcome.problems:
                print(problem, file=sys.stderr)
            said = "cannot be made canonical" if check else "left as it is"
            print(f"{outcome.shown}: {said} (fix the problems above first)", file=sys.stderr)
        elif not outcome.tidy:
            untidy += 1
            if check:
                print(
                    f"{outcome.shown}: not in canonical layout (run onrecord fmt)", file=sys.stderr
                )
            else:
                _write(path, outcome.canonical or "")
                print(f"{outcome.shown}: reformatted")
    code = 1 if failed or refused or (check and untidy) else 0
    print(_summary(len(files), untidy, refused, check), file=sys.stderr if code else sys.stdout)
    return code


def _summary(total: int, untidy: int, refused: int, check: bool) -> str:
    def records(n: int) -> str:
        return f"{n} record{'s' if n != 1 else ''}"

    parts = [f"{records(total - untidy - refused)} already tidy"]
    if untidy:
        parts.append(f"{records(untidy)} {'to reformat' if check else 'reformatted'}")
    if refused:
        parts.append(f"{records(refused)} with problems")
    return ", ".join(parts)
