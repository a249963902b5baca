"""An archive's records kept loaded between loads: the next load checks what changed.

The devserver's builder keeps one (onrecord/resident.py) for the whole session. A load
stats every file, as any load does (the records cache, cache.py), and reads and checks the
files that changed. Then, when those are statement files that keep their records' ids and
former ids (an edit of a statement's words, its role, its date, its themes), the
cross-record rules run only where such a change can matter: on the changed statements
(their references, footnotes, dates, quotes and nested records), on the claims that name
them, and on their words against their source's text. Everything the rules check a
statement against (`rules.Context`: ids and former ids by kind, the sources and their
footnotes, the day) is then the same as at the last load, which found no problem. Any
other change (a file added, removed or refused, an id or a former id changed, a speaker,
outlet, theme, source, claim or source text edited, a new day) loads and checks
everything, as a fresh build does: a renamed speaker id is caught either way.

What it saves at 100,000 statements: see `ResidentArchive` (onrecord/resident.py).
"""

from __future__ import annotations

import dataclasses
import os
from collections import ChainMap
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .. import rules, sourcetext
from ..model import Archive, Claim, Statement
from ..problems import RecordError
from .archive import (
    Reread,
    Stated,
    assemble,
    check_files,
    check_listed,
    collector_paused,
    fresh_statements,
)
from .cache import Cache
from .check import Checked
from .layout import Layout, holds_any
from .parallel import File


@dataclass(frozen=True)
class Update:
    """What a load found: the whole archive anew, or only some statements changed."""

    fresh: frozenset[str]  # ids of the statements in files read afresh
    archive: Archive | None = None  # everything was loaded and checked: the archive
    changed: dict[str, Statement] | None = None  # else: these statements, by id, changed


@dataclass
class _Loaded:
    files: list[tuple[File, Checked]]  # every file's own checks, in file order
    shown: list[str]  # each file's path, as told in problems, in that order
    where: dict[str, int]  # each file's place in that order, by its path as shown
    context: rules.Context
    claims: list[tuple[Claim, rules.Located]]  # each claim and its file
    normalised: dict[str, str]  # each source's text, normalised
    statements: dict[str, Statement]  # as loaded (`Archive.statements`)
    texts: dict[str, tuple[int, ...]]  # each source text file's size, times and inode
    today: date


class Resident:
    """The records under `root`, loaded again by `load` at the cost of what changed."""

    def __init__(self, root: Path, cache_file: Path | None = None) -> None:
        self.layout = Layout(Path(root))
        self.cache_file = cache_file
        self._entries: dict | None = None  # the records cache as the last good load kept it
        self._loaded: _Loaded | None = None
        self._pending: set[str] = set()  # paths changed since the last good load

    def load(self, today: date | None = None, changed: Iterable[str] | None = None) -> Update:
        """The records now; raises `RecordError` (and keeps the last good load) on problems.

        `changed` are the paths that changed since the last load, as a watcher of the
        files reports them (the devserver's): only those are looked at, unless one is a
        record file that came or went, or a folder. None: every file is looked at.
        """
        today = today or date.today()
        if changed is not None:  # with those of a load that failed: not read since
            changed = self._pending = self._pending | set(changed)
        with collector_paused():
            cache = Cache(self.cache_file, entries=self._entries)
            at = None if changed is None else self._where(changed)
            if at is None:
                files, fresh = check_files(self.layout, cache)
            else:
                files, fresh = self._check_at(at, cache)
            cache.save()
            # The files the last load listed, when only some of them were looked at again.
            shown = self._loaded.shown if at is not None else [f[1] for f, _ in files]
            texts = _texts(self.layout)  # before they are read: a later edit is seen next time
            update, loaded = self._checked_again(files, shown, fresh, texts, today) or (
                self._loaded_anew(files, shown, fresh, texts, today)
            )
        self._entries, self._loaded, self._pending = cache.kept, loaded, set()
        return update

    def _where(self, changed: Iterable[str]) -> list[int] | None:
        """Where the changed record files are in the last load's list; None if that list
        may change (a record file added or removed, a folder, a path never seen)."""
        if self._loaded is None:
            return None
        where = self._loaded.where
        top = os.path.join(self.layout.root, "")
        found: set[int] = set()
        for path in changed:
            if not path.startswith(top):
                if path.endswith((".yaml", ".yml")):
                    return None  # the root by another name (a link)? Look at every file
                continue  # the theme, the settings: not records
            index = where.get(path[len(top) :])
            if index is not None and os.path.isfile(path):
                found.add(index)
            elif index is not None or path.endswith((".yaml", ".yml")):
                return None  # a record file removed, or a new one
            elif os.path.isdir(path) or holds_any(path[len(top) :], where):
                return None  # a folder came, or went with records in it: look at every file
            # else: another file (a source's text: its stamp tells), or one that came and
            # went (an editor's test of the folder)
        return sorted(found)

    def _check_at(self, at: list[int], cache: Cache) -> tuple[list[tuple[File, Checked]], list]:
        """`check_files` when only the files `at` (places in the last load's list) changed."""
        before = self._loaded
        assert before is not None and self._entries is not None
        cache.kept.update(self._entries)  # every other file's records, as they were
        listed = []
        for index in at:
            kind, shown, path = before.files[index][0]
            cache.kept.pop(shown, None)  # kept again below if it passes its own checks
            listed.append((kind, shown, Stated(path)))
        done, fresh = check_listed(listed, cache)
        files = list(before.files)
        for index, checked in zip(at, done, strict=True):
            files[index] = checked
        return files, [at[index] for index in fresh]

    def _loaded_anew(self, files, shown, fresh, texts, today) -> tuple[Update, _Loaded]:
        found = assemble(files, today, self.layout.root)
        archive = found.archive
        loaded = _Loaded(
            files,
            shown,
            {name: index for index, name in enumerate(shown)},
            found.context,
            found.claims,
            found.normalised,
            archive.statements,
            texts,
            today,
        )
        return Update(fresh_statements(files, fresh), archive=archive), loaded

    def _checked_again(
        self, files: list, shown: list[str], fresh: list[int], texts: dict, today: date
    ) -> tuple[Update, _Loaded] | None:
        """The load, when only statements changed and kept their ids; None otherwise."""
        before = self._loaded
        if before is None or before.today != today or before.shown != shown:
            return None
        if before.texts != texts:
            return None
        entries: list[rules.StatementEntry] = []
        for index in fresh:
            (kind, name, path), outcome = files[index]
            old = before.files[index][1]
            if kind != "statement" or outcome.problems or not outcome.records or old.problems:
                return None
            if _names(outcome) != _names(old):
                return None
            document = Reread(name, path)
            entries.extend((record, document, base) for record, base in outcome.records)
        changed = {statement.id: statement for statement, _, _ in entries}
        statements = ChainMap(changed, before.statements)
        claims = [
            (claim, document)
            for claim, document in before.claims
            if any(a.statement_id in changed for a in claim.appearances)
        ]
        problems = [
            *rules.file_name_problems("statement", entries),
            *rules.statement_problems(before.context, entries),
            *rules.claim_problems(before.context, claims, statements),
            *sourcetext.problems(entries, before.normalised),
        ]
        problems = [problem for problem in problems if problem is not None]
        if problems:
            raise RecordError(problems)
        loaded = dataclasses.replace(
            before, files=files, statements={**before.statements, **changed}
        )
        return Update(frozenset(changed), changed=changed), loaded


def _texts(layout: Layout) -> dict[str, tuple[int, ...]]:
    """Each source text file (`content/sources/*.txt`): its size, times and inode."""
    found: dict[str, tuple[int, ...]] = {}
    folder = sourcetext.text_file(layout.root, "").parent
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.endswith(sourcetext.SUFFIX):
                    status = entry.stat()
                    found[entry.name] = (
                        status.st_size,
                        status.st_mtime_ns,
                        status.st_ctime_ns,
                        status.st_ino,
                    )
    except OSError:  # no such folder: no texts
        pass
    return found


def _names(outcome: Checked) -> list[tuple]:
    """A file's records' ids and former ids, each where it sits."""
    return [(record.id, record.aliases, base) for record, base in outcome.records]
