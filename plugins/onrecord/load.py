"""Records on disk → the `Archive`, or every `Problem` found on the way.

Each file is parsed line-aware (`yamlfile`), checked against its kind's JSON Schema
(`schema/*.schema.json`, the single source of truth for structure), turned into model
objects, and the whole set is then checked by the cross-record `rules`. Nothing
downstream ever sees a record that failed any of these.
"""

from __future__ import annotations

import dataclasses
import difflib
import gc
import hashlib
import json
import operator
import os
import pickle
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from . import rules, sourcetext
from .model import (
    Appearance,
    Archive,
    Claim,
    Footnote,
    LocalizedText,
    Outlet,
    PartialDate,
    Quote,
    Review,
    Source,
    Speaker,
    Statement,
    Theme,
)
from .problems import Problem, RecordError
from .yamlfile import Document, parse

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, FormatChecker
    from jsonschema.exceptions import ValidationError

# The schemas live at the repository root, beside the records editors point them at, and
# ship inside the package (`onrecord/schema` links to them; setuptools copies the files into
# the wheel), so an installed `onrecord` checks records with no repository beside it.
SCHEMA_DIR = resources.files(__package__).joinpath("schema")
KINDS = ("statement", "speaker", "outlet", "theme", "source", "claim")
DATE_FIELDS = frozenset({"date", "published", "withdrawn_on", "archived_on"})


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
        for kind, shown, _ in self.entries():
            yield kind, self.root / shown

    def entries(self) -> Iterator[tuple[str, str, os.DirEntry]]:
        """Every record file: its kind, its path relative to `root`, its directory entry.

        The same files, in the same order, as `sorted(folder.glob(...))` would give (statements
        in any subfolder not reached through a link), found with one `scandir` per folder.
        """
        for kind, folder in self.folders().items():
            if not folder.is_dir():
                continue
            relative = str(folder.relative_to(self.root))
            for parts, entry in _listing(folder, recursive=kind == "statement"):
                if _is_record_name(entry.name) and _is_file(entry):
                    yield kind, os.sep.join((relative, *parts)), entry


def _listing(folder: Path, *, recursive: bool) -> list[tuple[tuple[str, ...], os.DirEntry]]:
    """Entries under `folder`, each with its path's parts below it, sorted by those parts."""
    found: list[tuple[tuple[str, ...], os.DirEntry]] = []
    pending: list[tuple[tuple[str, ...], str]] = [((), str(folder))]
    while pending:
        parts, directory = pending.pop()
        try:
            with os.scandir(directory) as scanned:
                entries = list(scanned)
        except PermissionError:  # as glob: an unreadable folder holds nothing
            continue
        for entry in entries:
            here = (*parts, entry.name)
            found.append((here, entry))
            if recursive and entry.is_dir(follow_symlinks=False):
                pending.append((here, entry.path))
    found.sort(key=operator.itemgetter(0))
    return found


def _is_record_name(name: str) -> bool:
    # Path.suffix: `.yaml` alone is a hidden file's whole name, not a suffix.
    stem, _, suffix = name.rpartition(".")
    return bool(stem) and suffix in ("yaml", "yml")


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


@cache
def schema(kind: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))


def claim_kinds() -> tuple[str, ...]:
    """The kinds a claim can be, in the schema's order (the list lives in the schema)."""
    return tuple(schema("claim")["properties"]["kind"]["enum"])


def _is_whole_number(checker, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


@cache
def _format_checker() -> FormatChecker:
    from jsonschema import FormatChecker  # see _validator

    checker = FormatChecker()
    checker.checks("partial-date")(is_partial_date)
    return checker


@cache
def _validator(kind: str) -> Draft202012Validator:
    # Imported here: most loads find every record in the cache or passing the quick check,
    # and never need jsonschema (a tenth of a rebuild's start-up).
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    # JSON Schema counts 3.0 as an integer; a footnote or paragraph number written 3.0 is a
    # typo, and would reach the model as a float (and fail as a list index).
    checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_whole_number)
    validator = extend(Draft202012Validator, type_checker=checker)
    return validator(schema(kind), format_checker=_format_checker())


# -- the quick schema check ---------------------------------------------------------------------
#
# jsonschema explains every problem, but takes most of a cold load to find that a record has
# none. The schemas are compiled once more into plain predicates for the keywords they use:
# a record they accept is one jsonschema accepts, and any other record goes to jsonschema,
# which finds and explains its problems exactly as before. A keyword or value the predicates
# cannot judge exactly (`_Unsure`) also sends the record to jsonschema.

Check = Callable[[object], bool]

# The JSON types of each Python type a parsed record holds (YAML gives no other). "integer"
# is a whole number and never true/false (see `_is_whole_number`).
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


def _conforms(kind: str, data: object) -> bool:
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
        formats = _format_checker()
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


# -- loading ------------------------------------------------------------------------------------

Records = tuple[tuple[object, tuple], ...]
"""A file's records, each with its path in the file: the record itself at `()`, then, in a
statement file, its nested records, depth first."""


@dataclass(frozen=True, slots=True)
class _Checked:
    """What one file's own checks found: its records, or its problems."""

    records: Records = ()
    problems: tuple[Problem, ...] = ()
    failed_id: str | None = None  # the id a failed record gives, if any
    # A statement with problems in some fields still meets the cross-record rules with those
    # fields left empty, so that one run lists every problem; the rules' problems about the
    # fields it left empty are not told (the file's own problem about them is).
    emptied: frozenset[str] = frozenset()


def load_archive(
    root: Path | str, *, today: date | None = None, cache_file: Path | None = None
) -> Archive:
    """Load and check every record under `root`; raise `RecordError` listing all problems.

    With `cache_file`, each file that passed its own checks is remembered by its bytes:
    parsing and schema checks (most of the time a load takes) are skipped for files that
    did not change since, and a file whose size, times and inode are as they were is not
    even read again. Cross-record rules always run on everything.
    """
    layout = Layout(Path(root))
    with collector_paused():
        cache = _Cache(cache_file)
        checked = _check_files(layout, cache)
        cache.save()
        return _assemble(checked, today or date.today(), layout.root)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (as it was, after).

    A load allocates millions of objects and keeps most of them: the collector would walk
    the growing heap again and again (a third of a cold load) to find no cycles.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


_File = tuple[str, str, str]  # kind, path shown in problems, path to read


def _check_files(layout: Layout, cache: _Cache) -> list[tuple[_File, _Checked]]:
    """Each file and its own checks, in file order; unchanged files from the cache."""
    done: list[tuple[_File, _Checked]] = []
    fresh: list[tuple[int, _Signature | None]] = []  # where in `done`, and the file's signature
    for kind, shown, entry in layout.entries():
        signature = cache.signature(entry)
        records = cache.unchanged(shown, signature)
        if records is None:
            records = cache.same_bytes(shown, signature, entry.path)
        if records is None:
            fresh.append((len(done), signature))
            records = ()  # for now: the fresh files are checked below, all together
        done.append(((kind, shown, entry.path), _Checked(records)))
    checked = _check_all([done[index][0] for index, _ in fresh])
    for (index, signature), (outcome, digest) in zip(fresh, checked, strict=True):
        file = done[index][0]
        done[index] = (file, outcome)
        if not outcome.problems:
            cache.remember(file[1], signature, digest, outcome.records)
    return done


# Checking a file takes about a tenth of a millisecond: a process of its own pays off for a
# thousand files or more (forking and sending the records back cost some tens of ms).
_SHARE = 1000
_MOST_PROCESSES = 4


def _check_all(files: list[_File]) -> list[tuple[_Checked, bytes]]:
    """Each file's own checks and the digest of its bytes, in order: for a large archive
    read for the first time, shared between processes (this one and forked ones)."""
    processes = _processes(len(files))
    if processes == 1:
        return [_check_path(*file) for file in files]
    # This process checks its share, the others take theirs in parts, each written to a file:
    # through a pipe, the parts would wait for this busy process to read them.
    mine = -(-len(files) // processes)
    parts = [files[start : start + _SHARE] for start in range(mine, len(files), _SHARE)]
    try:
        with (
            tempfile.TemporaryDirectory(prefix="onrecord-load-") as spool,
            ProcessPoolExecutor(processes - 1, mp_context=get_context("fork")) as pool,
        ):
            futures = [
                pool.submit(_check_part, part, os.path.join(spool, f"{number}.pickle"))
                for number, part in enumerate(parts)
            ]
            done = [_check_path(*file) for file in files[:mine]]
            for future in futures:
                with open(future.result(), "rb") as handle:
                    done.extend(pickle.load(handle))
    except (OSError, BrokenProcessPool):  # no process to be had: check them all here
        return [_check_path(*file) for file in files]
    return done


def _processes(files: int) -> int:
    # Forking is fast and shares everything loaded so far, but is only safe with no other
    # thread running (one could hold a lock the child then waits for forever).
    if sys.platform != "linux" or threading.active_count() > 1:
        return 1
    return max(1, min(files // _SHARE, len(os.sched_getaffinity(0)), _MOST_PROCESSES))


def _check_part(files: list[_File], spool: str) -> str:
    """In a forked process: the outcomes, pickled into `spool` (as the cache is: fast)."""
    with open(spool, "wb") as handle:
        _dump([_check_path(*file) for file in files], handle)
    return spool


def _check_path(kind: str, shown: str, path: str) -> tuple[_Checked, bytes]:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        problem = Problem(shown, 1, 1, f"cannot read the file: {error.strerror}", "")
        return _Checked(problems=(problem,)), b""
    return _check_file(kind, shown, raw), _digest(raw)


def _check_file(kind: str, shown: str, raw: bytes) -> _Checked:
    document, found = read_record(kind, shown, raw)
    if document is None:
        return _Checked(problems=tuple(found))
    if found:
        salvaged = _salvaged(kind, document)
        if salvaged is not None:
            emptied = frozenset(k for k, v in salvaged.data.items() if v != document.data[k])
            records = ((build_record(kind, salvaged), ()), *nested_statements(salvaged.data, shown))
            return _Checked(records, tuple(found), emptied=emptied)
        data = document.data
        failed_id = data.get("id") if isinstance(data, dict) else None
        return _Checked(
            problems=tuple(found), failed_id=failed_id if isinstance(failed_id, str) else None
        )
    record = build_record(kind, document)
    if kind != "statement":
        return _Checked(((record, ()),))
    return _Checked(((record, ()), *nested_statements(document.data, document.path)))


def _salvaged(kind: str, document: Document) -> Document | None:
    """A statement with its failing top-level fields emptied, if that is a valid record.

    Only for statements (the rules check most about them), and only where every problem
    lies in an optional field: an id, speaker or text that fails leaves nothing to check.
    """
    data = document.data
    if kind != "statement" or not isinstance(data, dict):
        return None
    failing = {
        error.absolute_path[0]
        for error in _validator(kind).iter_errors(data)
        if error.absolute_path
    }
    failing |= {path[0] for path in document.timestamps if path and path[-1] not in DATE_FIELDS}
    required = set(schema(kind).get("required", ()))
    if not failing or failing & required or failing - data.keys():
        return None
    emptied = {key: (None if key in failing else value) for key, value in data.items()}
    if any(True for _ in _validator(kind).iter_errors(emptied)):
        return None
    return dataclasses.replace(document, data=emptied, timestamps=set(), booleans=set())


def _assemble(checked: list[tuple[_File, _Checked]], today: date, root: Path) -> Archive:
    """The archive from every file's records, once the cross-record rules find no problem."""
    problems: list[Problem] = []
    records: dict[str, list[tuple[object, rules.Located]]] = {kind: [] for kind in KINDS}
    statements: list[rules.StatementEntry] = []
    # Ids of records that failed their own checks: references to them are not reported
    # again, so one typo in a source does not make every statement's `source` "unknown".
    failed: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for (kind, shown, path), outcome in checked:
        problems.extend(outcome.problems)
        if outcome.failed_id is not None:
            failed[kind].add(outcome.failed_id)
        if not outcome.records:
            continue
        document = _Reread(shown, path, outcome.emptied)
        records[kind].append((outcome.records[0][0], document))
        if kind == "statement":
            statements.extend((record, document, base) for record, base in outcome.records)
    problems.extend(p for p in rules.check(records, statements, today, failed) if p is not None)
    texts = {}
    for source, _ in records["source"]:
        text, problem = sourcetext.read(root, source.id)
        if problem is not None:
            problems.append(problem)
        elif text is not None:
            texts[source.id] = text
    normalised = {key: sourcetext.normalised(text) for key, text in texts.items()}
    problems.extend(sourcetext.problems(statements, normalised))
    if problems:
        raise RecordError(problems)
    return Archive.of(
        speakers={r.id: r for r, _ in records["speaker"]},
        outlets={r.id: r for r, _ in records["outlet"]},
        themes={r.id: r for r, _ in records["theme"]},
        sources={r.id: r for r, _ in records["source"]},
        statements={statement.id: statement for statement, _, _ in statements},
        claims={r.id: r for r, _ in records["claim"]},
        texts=texts,
    )


class _Reread:
    """A file that passed its own checks, as the rules see it: its path, and problems placed
    in it. Positions are not kept for every file: the few files a rule finds a problem in
    are parsed again to place it."""

    __slots__ = ("path", "_file", "_document", "_emptied")

    def __init__(self, path: str, file: str, emptied: frozenset[str] = frozenset()):
        self.path = path
        self._file = file
        self._document: Document | None = None
        self._emptied = emptied  # fields left empty for the rules (see _Checked.emptied)

    def problem(
        self, path: tuple, message: str, hint: str = "", *, at_key: bool = False
    ) -> Problem | None:
        """The problem at `path`; None for one about a field the file's own problems name."""
        if self._emptied and (
            (path and path[0] in self._emptied)
            or any(f"`{name}`" in message for name in self._emptied)
        ):
            return None
        if self._document is None:
            self._document = self._parsed()
        return self._document.problem(path, message, hint, at_key=at_key)

    def _parsed(self) -> Document:
        try:
            with open(self._file, "rb") as handle:
                raw = handle.read()
        except OSError:  # gone since it was read: the problem is still told, at its first line
            raw = b""
        document = parse(self.path, raw)
        return document if isinstance(document, Document) else Document(self.path, None)


# -- the records cache --------------------------------------------------------------------------

_CACHE_VERSION = 2
# A file changed within this long before a load may change again within the same tick of the
# file system's clock without its times changing (as git's "racily clean" entries): its
# size and times are not trusted, and it is read and compared by its bytes at the next load.
_RACY_NS = 3_000_000_000

_RESAVE_SHARE = 100  # written again when out of date by one entry in this many (see `save`)
_Signature = tuple[int, int, int, int]  # size, modification and change times, inode
_Entry = tuple[_Signature | None, bytes, Records]  # signature, digest of the bytes, records
# Model records (and a file's outcome) are pickled as their class and field values: rebuilt
# by their constructor, several times faster than the generic state of a slotted dataclass.
_RECORD_TYPES = (
    Speaker,
    Outlet,
    Theme,
    Footnote,
    Source,
    LocalizedText,
    Quote,
    Statement,
    Appearance,
    Review,
    Claim,
)


class _Cache:
    """Records of the files that passed their own checks, by path, kept between loads."""

    def __init__(self, file: Path | None):
        self.file = file
        self.started = time.time_ns()
        self.entries = _read_cache(file) if file is not None else {}
        self.kept: dict[str, _Entry] = {}
        self.changes = 0  # entries added or updated

    def signature(self, entry: os.DirEntry) -> _Signature | None:
        if self.file is None:
            return None
        try:
            stat = entry.stat()
        except OSError:
            return None
        if max(stat.st_mtime_ns, stat.st_ctime_ns) >= self.started - _RACY_NS:
            return None
        return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino

    def unchanged(self, shown: str, signature: _Signature | None) -> Records | None:
        """The records of a file whose size, times and inode are those it was cached with."""
        cached = self.entries.get(shown)
        if signature is None or cached is None or cached[0] != signature:
            return None
        self.kept[shown] = cached
        return cached[2]

    def same_bytes(self, shown: str, signature: _Signature | None, path: str) -> Records | None:
        """The records of a file whose bytes are those it was cached with."""
        cached = self.entries.get(shown)
        if cached is None:
            return None
        try:
            with open(path, "rb") as handle:
                digest = _digest(handle.read())
        except OSError:  # told when the file is checked
            return None
        if cached[1] != digest:
            return None
        self.remember(shown, signature, digest, cached[2])
        return cached[2]

    def remember(self, shown: str, signature: _Signature | None, digest: bytes, records: Records):
        if self.file is not None:
            self.kept[shown] = (signature, digest, records)
            self.changes += 1

    def save(self) -> None:
        """Write the cache again when it is out of date by one entry in a hundred or more.

        Below that, the few files it is out of date for are cheaper to check again at each
        load (a tenth of a millisecond each) than the cache is to write (all the records):
        editing one statement and building does not write them all again.
        """
        if self.file is None:
            return
        differing = self.changes + len(self.entries.keys() - self.kept.keys())
        if differing and differing * _RESAVE_SHARE >= len(self.kept):
            _write_cache(self.file, self.kept)


def _digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def _read_cache(cache_file: Path) -> dict[str, _Entry]:
    # The cache is ours, written beside the index outside output/: never a downloaded file.
    try:
        with open(cache_file, "rb") as handle:
            version, fingerprint, entries = pickle.load(handle)
    except Exception:  # a cache that cannot be read is no cache: every file is read again
        return {}
    return entries if (version, fingerprint) == (_CACHE_VERSION, _fingerprint()) else {}


def _write_cache(cache_file: Path, entries: dict[str, _Entry]) -> None:
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = cache_file.with_name(f".{cache_file.name}.{os.getpid()}")
    with open(temporary, "wb") as handle:
        _dump((_CACHE_VERSION, _fingerprint(), entries), handle)
    os.replace(temporary, cache_file)


def _dump(value: object, handle: BinaryIO) -> None:
    pickler = pickle.Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _reducers()
    pickler.dump(value)


@cache
def _reducers() -> dict[type, Callable[[object], tuple]]:
    return {kind: _reducer(kind) for kind in (*_RECORD_TYPES, _Checked, Problem)}


def _reducer(kind: type) -> Callable[[object], tuple]:
    names = [field.name for field in dataclasses.fields(kind)]
    values = operator.attrgetter(*names)
    if len(names) == 1:
        return lambda record: (kind, (values(record),))
    return lambda record: (kind, values(record))


@cache
def _fingerprint() -> str:
    # A changed schema, model or reader invalidates every cached record.
    parts = [(SCHEMA_DIR / f"{kind}.schema.json").read_bytes() for kind in KINDS]
    here = Path(__file__)
    parts += [here.with_name(name).read_bytes() for name in ("model.py", "yamlfile.py")]
    parts.append(here.read_bytes())
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
    problems = _schema_problems(kind, document)
    problems.extend(_misplaced_timestamps(document))
    # jsonschema reports each missing field, and an empty string both as too short and as
    # blank: the explanations coincide, and each should be read once.
    return document, list(dict.fromkeys(problems))


def _schema_problems(kind: str, document: Document) -> list[Problem]:
    if _conforms(kind, document.data):  # most records: no need to ask jsonschema
        return []
    return [
        problem
        for error in _validator(kind).iter_errors(document.data)
        for problem in _explain(error, document, kind)
    ]


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
        from jsonschema.exceptions import best_match  # see _validator

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


def _partial_date(value: str | None) -> PartialDate | None:
    return PartialDate.parse(value) if value else None


def is_partial_date(value: object) -> bool:
    """The `partial-date` format: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`, a real one."""
    if not isinstance(value, str):
        return True  # formats judge strings only; the type is checked apart
    try:
        PartialDate.parse(value)
    except ValueError:
        return False
    return True


def build_record(kind: str, document: Document) -> object:
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
            honorific=data.get("honorific"),
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
            other_names=_ids(data.get("other_names")),
        )
    if kind == "theme":
        return Theme(
            id=data["id"],
            name=data["name"],
            description=data["description"],
            aliases=_ids(data.get("aliases")),
            path=document.path,
            other_names=_ids(data.get("other_names")),
        )
    if kind == "claim":
        return _claim(data, document.path)
    return Source(
        id=data["id"],
        title=data["title"],
        footnotes=tuple(Footnote(f["number"], f.get("text")) for f in data.get("footnotes") or ()),
        publisher=data.get("publisher"),
        url=data.get("url"),
        published=_partial_date(data.get("published")),
        summary=data.get("summary"),
        notes=data.get("notes"),
        aliases=_ids(data.get("aliases")),
        path=document.path,
        archived_url=data.get("archived_url"),
        archived_on=_date(data.get("archived_on")),
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
        date=_partial_date(data.get("date")),
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
        speaker_as=data.get("speaker_as"),
        section=data.get("section"),
        position=data.get("position"),
        form=data.get("form") or "quotation",
        truncated=bool(data.get("truncated")),
    )


def nested_statements(data: dict, path: str) -> Iterator[tuple[Statement, tuple]]:
    """Nested records inside a statement mapping, depth first, with their path in the file."""
    for index, quote in enumerate(data.get("quotes") or ()):
        if "nested" in quote:
            nested_path = ("quotes", index, "nested")
            yield _statement(quote["nested"], path, data["id"]), nested_path
            for inner, inner_path in nested_statements(quote["nested"], path):
                yield inner, (*nested_path, *inner_path)
