"""Read one YAML file safely, keeping the line and column of every value.

PyYAML's own loaders lose positions, silently keep the last of two duplicate keys,
and expand aliases (a few hundred bytes can become millions of nodes). Here the file
is *composed* into nodes (the C parser when present), and the nodes are turned into
plain JSON-like values by hand: duplicate keys, aliases (found in the event stream,
before composing), merge keys, every tag but the plain ones, and whole numbers YAML 1.1
reads surprisingly (`010` is 8) are refused with a `Problem` pointing at the spot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NoReturn

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from .problems import Problem

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path_ = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (
    f"{_TAG}{name}" for name in ("str", "int", "float", "bool", "null")
)
_SEQ, _MAP, _MERGE = f"{_TAG}seq", f"{_TAG}map", f"{_TAG}merge"
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, f"{_TAG}timestamp"}
_MAX_BYTES = 2_000_000  # a single record is a few KB; anything this big is a mistake or an attack
# A statement nests a record inside a quote inside a list: a handful of levels. The cap keeps
# the recursive conversion (and the schema check after it) far from Python's recursion limit.
_MAX_DEPTH = 32
# YAML 1.1 reads 010 as 8, 0x1F as 31, 1_000 as 1000 and 1:20 as 80: only plain numbers pass.
_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_constructor = SafeConstructor()


class _Loader(Loader):
    """The safe loader, remembering the tag of each short plain scalar: the parser asks for
    the tag of every scalar, and field names, `null` and small numbers come back again and
    again (resolving one tries a few regular expressions)."""

    _plain_tags: dict[str, str] = {}

    def resolve(self, kind, value, implicit) -> str:
        if kind is not yaml.ScalarNode or not implicit[0] or self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)
        tag = self._plain_tags.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(value) <= 32 and len(self._plain_tags) < 10_000:
                self._plain_tags[value] = tag
        return tag


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


def _shown(tag: str) -> str:
    """A tag as it is written in the file: `!!binary`, not `tag:yaml.org,2002:binary`."""
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


def _position(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def _offset_position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _reader_problem(path: str, text: str, error: yaml.reader.ReaderError) -> Problem:
    """A character YAML refuses (a control character, say), at its line and column.

    libyaml counts the offset in UTF-8 bytes, the pure-Python reader in characters.
    """
    offset = error.position
    if Loader is not yaml.SafeLoader:
        offset = len(text.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))
    line, column = _offset_position(text, offset)
    return Problem(
        path,
        line,
        column,
        f"character U+{error.character:04X} is not allowed in YAML ({error.reason})",
        "remove it: invisible control characters usually come from copying and pasting",
    )


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


def _first_alias(text: str) -> yaml.AliasEvent | None:
    # Aliases are refused in the event stream, before anything is composed: the problem points
    # at the `*name` itself, and no expansion (a billion-laughs alias bomb) can ever start.
    events = yaml.parse(text, Loader=Loader)
    return next((event for event in events if isinstance(event, yaml.AliasEvent)), None)


def _compose(text: str) -> yaml.AliasEvent | yaml.Node | None:
    """The first alias in `text`, else its root node (None for an empty stream)."""
    # An alias is written `*name`: text without a `*` has none, and one pass is enough. When
    # that pass fails, the two passes below run after all, so the error reported is the one
    # the event stream meets first, as for any other text.
    if "*" not in text:
        try:
            return yaml.compose(text, Loader=_Loader)
        except yaml.YAMLError:
            pass
    alias = _first_alias(text)
    return alias if alias else yaml.compose(text, Loader=_Loader)


def _indentation(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _syntax_problem(path: str, text: str, error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, column = _position(mark) if mark else (1, 1)
    # PyYAML's context ("while scanning a quoted scalar") says what the problem interrupted,
    # and where it began: an unclosed quote is found only lines later.
    said = "; ".join(part for part in (error.context, error.problem) if part) or str(error)
    scanning = (error.context or "").startswith("while scanning")
    if scanning and error.context_mark and error.context_mark.line + 1 != line:
        said += f" (the part that failed began on line {error.context_mark.line + 1})"
    hint = "check indentation, colons and quotes on this line or the one before"
    lines = text.splitlines()
    if line <= len(lines) and "\t" in _indentation(lines[line - 1]):
        hint = "indent with spaces: YAML does not allow tabs for indentation"
    return Problem(path, line, column, f"YAML syntax error: {said}", hint)


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
        root = _compose(text)
    except yaml.MarkedYAMLError as error:
        return _syntax_problem(path, text, error)
    except yaml.reader.ReaderError as error:
        return _reader_problem(path, text, error)
    except yaml.YAMLError as error:
        return Problem(path, 1, 1, f"YAML error: {error}", "")
    if isinstance(root, yaml.AliasEvent):
        line, column = _position(root.start_mark)
        return Problem(
            path,
            line,
            column,
            "anchors and aliases (&name / *name) are not allowed in records",
            "write the value out in full",
        )
    document = Document(path=path, data=None)
    if root is None:
        return Problem(path, 1, 1, "the file is empty", "a record is a mapping of fields")
    try:
        document.data = _convert(root, (), document)
    except _Refused as refused:
        line, column = _position(refused.node.start_mark)
        return Problem(path, line, column, refused.message, refused.hint)
    return document


def _convert(node: yaml.Node, path: Path_, document: Document) -> object:
    # Aliases were refused before composing, so every node here is met once: the conversion
    # is linear in the file's size.
    if len(path) > _MAX_DEPTH:
        raise _Refused(
            node,
            f"values are nested more than {_MAX_DEPTH} levels deep",
            "a record nests a few levels at most",
        )
    mark = node.start_mark
    document.marks[path] = (mark.line + 1, mark.column + 1)
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, path, document)
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            raise _Refused(
                node, f"tag {_shown(node.tag)} is not allowed", "remove the tag: plain lists only"
            )
        return [_convert(item, (*path, index), document) for index, item in enumerate(node.value)]
    if node.tag != _MAP:
        raise _Refused(
            node, f"tag {_shown(node.tag)} is not allowed", "remove the tag: plain mappings only"
        )
    mapping: dict[str, object] = {}
    key_marks = document.key_marks
    for key_node, value_node in node.value:
        if key_node.tag != _STR or not isinstance(key_node, yaml.ScalarNode):
            _refuse_key(key_node)
        key = key_node.value
        at = (*path, key)
        if key in mapping:
            raise _Refused(
                key_node,
                f"duplicate field {key!r} (first given on line {key_marks[at][0]})",
                "YAML would silently keep only the last one: remove one of them",
            )
        mark = key_node.start_mark
        key_marks[at] = (mark.line + 1, mark.column + 1)
        mapping[key] = _convert(value_node, at, document)
    return mapping


def _refuse_key(key_node: yaml.Node) -> NoReturn:
    if key_node.tag == _MERGE:
        raise _Refused(
            key_node, "merge keys (<<) are not allowed in records", "write the fields out"
        )
    shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a collection"
    raise _Refused(
        key_node, f"field name {shown!r} is not text", "field names are plain words like `speaker`"
    )


def _scalar(node: yaml.ScalarNode, path: Path_, document: Document) -> object:
    tag = node.tag
    if tag == _STR:
        return node.value
    if tag not in _SCALAR_TAGS:
        raise _Refused(
            node,
            f"tag {_shown(tag)} is not allowed",
            "records use plain values only (safe loading refuses other tags)",
        )
    try:
        if tag == _NULL:
            return None
        if tag == _BOOL:
            document.booleans.add(path)
            return _constructor.construct_yaml_bool(node)
        if tag == _INT:
            if not _PLAIN_INT.fullmatch(node.value):
                value = _constructor.construct_yaml_int(node)
                raise _Refused(
                    node,
                    f"YAML 1.1 reads {node.value!r} as the number {value}",
                    "write a plain whole number, or quote it if it is text",
                )
            return _constructor.construct_yaml_int(node)
        if tag == _FLOAT:
            return _constructor.construct_yaml_float(node)
    except (ConstructorError, ValueError, KeyError):
        # Only explicit tags get here (`!!int abc`, `!!bool maybe`): plain values always resolve.
        raise _Refused(
            node, f"cannot read {node.value!r} as {tag.removeprefix(_TAG)}", "remove the tag"
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
