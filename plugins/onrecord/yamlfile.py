"""Read one YAML file safely, keeping the line and column of every value.

PyYAML's own loaders lose positions, silently keep the last of two duplicate keys,
and expand aliases (a few hundred bytes can become millions of nodes). Here the file
is *composed* into nodes (the C parser when present), and the nodes are turned into
plain JSON-like values by hand: duplicate keys, aliases, merge keys and every tag but
the plain ones are refused with a `Problem` pointing at the spot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from .problems import Problem

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path_ = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")}
_MAX_BYTES = 2_000_000  # a single record is a few KB; anything this big is a mistake or an attack
_constructor = SafeConstructor()


@dataclass
class Document:
    """A YAML file's data, with the position of each value and key."""

    path: str
    data: object
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)  # value positions
    key_marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)  # key positions
    timestamps: set[Path_] = field(default_factory=set)  # unquoted values YAML reads as dates
    booleans: set[Path_] = field(default_factory=set)  # unquoted yes/no/on/off/true/false

    def mark(self, path: Path_) -> tuple[int, int]:
        """The position of the value at `path`, or of its nearest ancestor."""
        path = tuple(path)
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (1, 1))

    def key_mark(self, path: Path_) -> tuple[int, int]:
        return self.key_marks.get(tuple(path)) or self.mark(path)

    def problem(
        self, path: Path_, message: str, hint: str = "", *, at_key: bool = False
    ) -> Problem:
        line, column = self.key_mark(path) if at_key else self.mark(path)
        return Problem(self.path, line, column, message, hint)


class _Refused(Exception):
    def __init__(self, node: yaml.Node, message: str, hint: str = ""):
        self.node, self.message, self.hint = node, message, hint


def _position(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def _decode(path: str, raw: bytes) -> str | Problem:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        return Problem(
            path,
            line,
            column,
            f"bytes that are not UTF-8 ({raw[error.start : error.end]!r})",
            "save the file as UTF-8",
        )


def parse(path: str, raw: bytes) -> Document | Problem:
    """Parse `raw` (the bytes of the file at `path`) into a `Document`, or the first problem."""
    if len(raw) > _MAX_BYTES:
        return Problem(path, 1, 1, f"file is {len(raw):,} bytes", "a record should be far smaller")
    text = _decode(path, raw)
    if isinstance(text, Problem):
        return text
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        root = yaml.compose(text, Loader=Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = _position(mark) if mark else (1, 1)
        return Problem(
            path,
            line,
            column,
            f"YAML syntax error: {error.problem or error}",
            "check indentation, colons and quotes on this line or the one before",
        )
    except yaml.YAMLError as error:
        return Problem(path, 1, 1, f"YAML error: {error}", "")
    document = Document(path=path, data=None)
    if root is None:
        return Problem(path, 1, 1, "the file is empty", "a record is a mapping of fields")
    try:
        document.data = _convert(root, (), document, set())
    except _Refused as refused:
        line, column = _position(refused.node.start_mark)
        return Problem(path, line, column, refused.message, refused.hint)
    return document


def _convert(node: yaml.Node, path: Path_, document: Document, seen: set[int]) -> object:
    # The composer turns `*alias` into a second reference to the anchored node; refusing any
    # node met twice refuses aliases, so expansion (and alias bombs) can never happen.
    if id(node) in seen:
        raise _Refused(
            node,
            "anchors and aliases (&name / *name) are not allowed in records",
            "write the value out in full",
        )
    seen.add(id(node))
    document.marks[path] = _position(node.start_mark)
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, path, document)
    if isinstance(node, yaml.SequenceNode):
        if node.tag != f"{_TAG}seq":
            raise _Refused(
                node, f"tag {node.tag!r} is not allowed", "remove the tag: plain lists only"
            )
        return [
            _convert(item, (*path, index), document, seen) for index, item in enumerate(node.value)
        ]
    if node.tag != f"{_TAG}map":
        raise _Refused(
            node, f"tag {node.tag!r} is not allowed", "remove the tag: plain mappings only"
        )
    mapping: dict[str, object] = {}
    for key_node, value_node in node.value:
        if key_node.tag == f"{_TAG}merge":
            raise _Refused(
                key_node, "merge keys (<<) are not allowed in records", "write the fields out"
            )
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != f"{_TAG}str":
            shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a collection"
            raise _Refused(
                key_node,
                f"field name {shown!r} is not text",
                "field names are plain words like `speaker`",
            )
        key = key_node.value
        if key in mapping:
            first_line = document.key_marks[(*path, key)][0]
            raise _Refused(
                key_node,
                f"duplicate field {key!r} (first given on line {first_line})",
                "YAML would silently keep only the last one: remove one of them",
            )
        document.key_marks[(*path, key)] = _position(key_node.start_mark)
        mapping[key] = _convert(value_node, (*path, key), document, seen)
    return mapping


def _scalar(node: yaml.ScalarNode, path: Path_, document: Document) -> object:
    tag = node.tag
    if tag not in _SCALAR_TAGS:
        raise _Refused(
            node,
            f"tag {tag!r} is not allowed",
            "records use plain values only (safe loading refuses other tags)",
        )
    try:
        if tag == f"{_TAG}str":
            return node.value
        if tag == f"{_TAG}null":
            return None
        if tag == f"{_TAG}bool":
            document.booleans.add(path)
            return _constructor.construct_yaml_bool(node)
        if tag == f"{_TAG}int":
            return _constructor.construct_yaml_int(node)
        if tag == f"{_TAG}float":
            return _constructor.construct_yaml_float(node)
    except (ConstructorError, ValueError) as error:
        raise _Refused(
            node, f"cannot read {node.value!r}: {error}", "quote it if it is text"
        ) from None
    # A timestamp is kept as written; the schema's `format: date` checks it is a real date.
    document.timestamps.add(path)
    return node.value


def dump(data: dict, schema_comment: str) -> str:
    """A record as YAML text in the canonical layout: the schema comment, then fields in order.

    PyYAML's safe dumper quotes every string that YAML 1.1 would read as something else
    (`no`, `on`, `1e3`, dates), so the text reads back exactly as it was written.
    """
    body = yaml.dump(
        data,
        Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
        allow_unicode=True,
        sort_keys=False,
        width=100_000,
        default_flow_style=False,
    )
    return f"# yaml-language-server: $schema={schema_comment}\n{body}"
