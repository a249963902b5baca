"""Records on disk → the `Archive`, or every `Problem` found on the way.

Each file is parsed line-aware (`yamlfile`), checked against its kind's JSON Schema
(`schema/*.schema.json`, the single source of truth for structure), turned into model
objects, and the whole set is then checked by the cross-record `rules`. Nothing
downstream ever sees a record that failed any of these.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from .. import rules, sourcetext
from ..model import Archive, Claim, Statement
from ..problems import Problem, RecordError
from ..yamlfile import Document, parse
from .cache import Cache, Signature
from .check import Checked
from .layout import Layout
from .parallel import File, check_all
from .schemas import KINDS


def load_archive(
    root: Path | str, *, today: date | None = None, cache_file: Path | None = None
) -> Archive:
    """Load and check every record under `root`; raise `RecordError` listing all problems.

    With `cache_file`, each file that passed its own checks is remembered by its bytes:
    parsing and schema checks (most of the time a load takes) are skipped for files that
    did not change since, and a file whose size, times and inode are as they were is not
    even read again. Cross-record rules always run on everything.
    """
    return load_archive_and_changes(root, today=today, cache_file=cache_file)[0]


def load_archive_and_changes(
    root: Path | str,
    *,
    today: date | None = None,
    cache_file: Path | None = None,
    dating: Dating | None = None,
    stats: Mapping[str, os.stat_result] | None = None,
) -> tuple[Archive, frozenset[str]]:
    """`load_archive`, and the ids of the statements in files read afresh: changed since the
    cache's last load (with no cache, or a new one, every statement). With `dating`, the
    archive holds the statements it returns (`history.dated`: with their last changes).
    `stats`: the files' status by path from `root`, if taken (`buildstate.signatures`)."""
    layout = Layout(Path(root))
    with collector_paused():
        cache = Cache(cache_file)
        checked, fresh = check_files(layout, cache, stats)
        cache.save()
        archive = assemble(checked, today or date.today(), layout.root, dating).archive
    return archive, fresh_statements(checked, fresh)


def fresh_statements(checked: list[tuple[File, Checked]], fresh: list[int]) -> frozenset[str]:
    """The ids of the statements in the files at `fresh` (nested ones included)."""
    return frozenset(
        record.id
        for (kind, _, _), outcome in (checked[index] for index in fresh)
        if kind == "statement"
        for record, _ in outcome.records
    )


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


def check_files(
    layout: Layout, cache: Cache, stats: Mapping[str, os.stat_result] | None = None
) -> tuple[list[tuple[File, Checked]], list[int]]:
    """Each file and its own checks, in file order (unchanged files from the cache), and where
    in that list the files read afresh are; each file's status from `stats` where it is."""
    listed: Iterable[tuple[str, str, Listed]] = layout.entries()
    if stats:
        listed = ((k, shown, Stated(e.path, stats.get(shown))) for k, shown, e in listed)
    return check_listed(listed, cache)


class Listed(Protocol):
    """A file as `check_listed` reads it: an `os.DirEntry`, or any path that can be stat-ed."""

    path: str

    def stat(self) -> os.stat_result: ...


class Stated:
    """A file by its path, stat-ed as an `os.DirEntry` would be (once), or with its status
    as taken already."""

    __slots__ = ("path", "_status")

    def __init__(self, path: str, status: os.stat_result | None = None) -> None:
        self.path = path
        self._status = status

    def stat(self) -> os.stat_result:
        if self._status is None:
            self._status = os.stat(self.path)
        return self._status


def check_listed(
    listed: Iterable[tuple[str, str, Listed]], cache: Cache
) -> tuple[list[tuple[File, Checked]], list[int]]:
    """`check_files` of the files `listed` (kind, path as shown, the file), in that order."""
    done: list[tuple[File, Checked]] = []
    fresh: list[tuple[int, Signature | None]] = []  # where in `done`, and the file's signature
    for kind, shown, entry in listed:
        signature = cache.signature(entry)
        records = cache.unchanged(shown, signature)
        if records is None:
            records = cache.same_bytes(shown, signature, entry.path)
        if records is None:
            fresh.append((len(done), signature))
            records = ()  # for now: the fresh files are checked below, all together
        done.append(((kind, shown, entry.path), Checked(records)))
    checked = check_all([done[index][0] for index, _ in fresh])
    for (index, signature), (outcome, digest) in zip(fresh, checked, strict=True):
        file = done[index][0]
        done[index] = (file, outcome)
        if not outcome.problems:
            cache.remember(file[1], signature, digest, outcome.records)
    return done, [index for index, _ in fresh]


@dataclass(frozen=True)
class Assembled:
    """An archive, and what the rules checked it with: what a resident archive keeps so that
    the next load checks only the files that changed (records/resident.py)."""

    archive: Archive
    context: rules.Context
    claims: list[tuple[Claim, rules.Located]]  # each claim and its file
    normalised: dict[str, str]  # each source's text, normalised (sourcetext.normalised)


# The statements as the archive is to hold them, by id, from those the records hold.
Dating = Callable[[list[Statement]], dict[str, Statement]]


def assemble(
    checked: list[tuple[File, Checked]], today: date, root: Path, dating: Dating | None = None
) -> Assembled:
    """The archive from every file's records, once the cross-record rules find no problem;
    its statements made by `dating` if given, before its lookups are (once: at 100,000
    statements they take 0.4-0.8 s, which dating the archive afterwards spent again)."""
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
        document = Reread(shown, path, outcome.emptied)
        records[kind].append((outcome.records[0][0], document))
        if kind == "statement":
            statements.extend((record, document, base) for record, base in outcome.records)
    context, found = rules.context(records, statements, today, failed)
    problems.extend(p for p in found if p is not None)
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
    by_id = {statement.id: statement for statement, _, _ in statements}
    archive = Archive.of(
        speakers={r.id: r for r, _ in records["speaker"]},
        outlets={r.id: r for r, _ in records["outlet"]},
        themes={r.id: r for r, _ in records["theme"]},
        sources={r.id: r for r, _ in records["source"]},
        statements=by_id if dating is None else dating(list(by_id.values())),
        claims={r.id: r for r, _ in records["claim"]},
        texts=texts,
    )
    return Assembled(archive, context, records["claim"], normalised)  # type: ignore[arg-type]


class Reread:
    """A file that passed its own checks, as the rules see it: its path, and problems placed
    in it. Positions are not kept for every file: the few files a rule finds a problem in
    are parsed again to place it."""

    __slots__ = ("path", "_file", "_document", "_emptied")

    def __init__(self, path: str, file: str, emptied: frozenset[str] = frozenset()):
        self.path = path
        self._file = file
        self._document: Document | None = None
        self._emptied = emptied  # fields left empty for the rules (see Checked.emptied)

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
