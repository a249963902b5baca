"""The archive the devserver's builder keeps loaded between builds: a build loads what changed.

The builder (builder.py) loads the archive here, before it forks the build's child, and
keeps it: the child inherits it as it is in memory, and the next build's load starts from
it. Only the records that changed are read and checked again (records/resident.py), their
history looked up (history.dated), and the model's lookups that hold them remade
(`Archive.patched`). Anything else (a file added or removed, an id changed, a speaker or
source edited, a commit) loads and checks everything, as `onrecord build` does.

At 100,000 statements, an edit of one statement's words reaches the devserver's page in
0.5 s in the bench (1.5 s by hand in a git checkout, where `git status` takes 0.27 s of
it), where `onrecord build` loads and checks the whole archive in about 5 s (README,
"Performance").
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from . import buildstate, history
from .model import Archive
from .problems import RecordError
from .records import CACHE_FILE, Resident, collector_paused, holds_any


@dataclass(frozen=True)
class Loaded:
    """One load of the archive at `root` for a build with `cache_dir`: the archive and the
    ids of the statements in changed files, or the problems that stopped it."""

    root: Path
    cache_dir: Path
    # The key of the files and git's HEAD as they were when the load began (buildstate.py):
    # a file saved during the load makes the next build's key differ.
    records_key: str
    archive: Archive | None = None
    fresh: frozenset[str] = frozenset()
    error: RecordError | None = None
    files: dict[str, bytes] | None = None  # the signatures the key was made from

    def serves(self, root: Path, cache_dir: Path) -> bool:
        """Whether this load is of the archive and caches a build with these settings uses."""
        return (Path(root).resolve(), Path(cache_dir).resolve()) == (
            self.root.resolve(),
            self.cache_dir.resolve(),
        )


class ResidentArchive:
    """The archive at `root`, with its history, loaded again by `load` at the cost of what
    changed since the last load."""

    def __init__(self, root: Path, cache_dir: Path) -> None:
        self.root, self.cache_dir = Path(root), Path(cache_dir)
        self.records = Resident(self.root, self.cache_dir / CACHE_FILE)
        self.archive: Archive | None = None
        self._log_key: tuple | None = None  # git's HEAD and edited files at the last load
        self._files: dict[str, bytes] | None = None  # buildstate.signatures, kept up to date

    def load(self, today: date | None = None, changed: Iterable[str] | None = None) -> Loaded:
        """The archive now (as `build` loads it: checked, with history), or its problems.

        `changed`: the paths changed since the last load, as the devserver's watcher saw
        them (records/resident.py); None when not known: every file is looked at.
        """
        changed = None if changed is None else sorted(changed)
        files = dict(self._signatures(changed))  # a copy: the next load changes them
        records_key = buildstate.records_key(self.root, files)
        try:
            archive, fresh = self._load(today, changed)
        except RecordError as error:
            return Loaded(self.root, self.cache_dir, records_key, error=error)
        return Loaded(self.root, self.cache_dir, records_key, archive, fresh, files=files)

    def _signatures(self, changed: list[str] | None) -> dict[str, bytes]:
        """Every input file's signature (buildstate.py), taken again where it changed."""
        top = os.path.join(self.root, "")
        if self._files is None or changed is None or any(os.path.isdir(p) for p in changed):
            self._files = buildstate.signatures(self.root)
            return self._files
        for path in changed:
            shown = path[len(top) :] if path.startswith(top) else None
            if shown is None or not shown.startswith(buildstate.WATCHED_PREFIXES):
                continue
            if os.path.isfile(path):
                self._files[shown] = buildstate.signature(path, shown)
            elif self._files.pop(shown, None) is None and holds_any(shown, self._files):
                self._files = buildstate.signatures(self.root)  # a folder went: look again
                break
        return self._files

    def _load(self, today: date | None, changed: list[str] | None) -> tuple[Archive, frozenset]:
        update = self.records.load(today, changed)
        log = history.read_log(self.root, history.log_cache(self.cache_dir))
        edited = {s.path for s in (update.changed or {}).values()}
        log_key = None if log is None else (log.head, frozenset(log.dirty))
        with collector_paused():
            before = self.archive
            if update.archive is not None or before is None:
                assert update.archive is not None, "a first load reads everything"
                archive = history.with_history(update.archive, self.root, self.cache_dir)
            elif _history_kept(self._log_key, log_key, edited):
                changed = history.dated(update.changed.values(), self.root, self.cache_dir, log)
                archive = before.patched(changed) or _with(before, changed)
            else:  # every statement's history may differ: dated again, all of them
                records = _with(before, update.changed)
                archive = history.with_history(records, self.root, self.cache_dir)
        self.archive, self._log_key = archive, log_key
        gc.freeze()  # out of the collector's sight: the forked builds leave its pages shared
        return archive, update.fresh


def _history_kept(before: tuple | None, now: tuple | None, edited: set[str]) -> bool:
    """Whether every statement not `edited` keeps its history: git's HEAD is the same, and
    so is git's view of the other files (edited since that commit, or not). Outside git a
    statement's date is its file's, which a file not edited keeps."""
    if before is None or now is None:
        return before is None and now is None
    return before[0] == now[0] and before[1] - edited == now[1] - edited


def _with(archive: Archive, changed: dict) -> Archive:
    """`archive`'s records, the `changed` statements in place of theirs; lookups made anew."""
    return Archive.of(
        archive.speakers,
        archive.outlets,
        archive.themes,
        archive.sources,
        {**archive.statements, **changed},
        archive.claims,
        archive.texts,
    )
