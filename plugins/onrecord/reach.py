"""What an edit can reach: the jobs to list anew when only statements' words changed.

An edit build used to make and fingerprint the view of every job to find the few that
changed: at 100,000 statements, 112,000 views and their digests were half of an edit's
30 s. Each build now records, per job, the statements its view holds (the statements met
while fingerprinting it, `fingerprints.Fingerprints.reduce`) in `var/cache/reach.pickle`, with
what it was made from: every input file's stat signature, git's HEAD, the day, the
fingerprints' key (code, templates, settings) and each statement's *shape* (its fields but
the words, below). The next build lists anew only the jobs holding a statement whose file
changed, when everything else is as it was:

- the files that changed are statement files, none added or removed;
- their statements keep their ids and their shapes: an edit of the words alone (the
  paragraphs, the headline, the venue, the notes; `WORDS`), which no other record and no
  list's order or grouping reads;
- git's HEAD, the day, the code and the settings are the last build's.

Any other change (a role, a date, a theme, a speaker's name, a commit) lists every job, as
before. Views that hold values made from many statements rather than the statements (the
feeds and the sitemap, dated by the statements' last changes) are listed anew in every such
build (`pages.ANY_EDIT`), and the data files, which hold the whole archive, run
(`pages.WHOLE`). tests/test_reach.py checks, edit by edit, that the jobs whose fingerprints
change are among the jobs reached.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .cachefiles import UNREADABLE, write_pickle
from .model import Archive, Statement
from .pages import Reach

log = logging.getLogger(__name__)

FILE_NAME = "reach.pickle"  # in a build's cache folder
VERSION = 1
STATEMENTS = os.path.join("content", "statements", "")
# A statement's fields that only its own pages, its entries in lists and the data files
# show, as they are: an edit of these alone reaches the jobs whose views hold the statement.
# The role is not among them (a speaker's pages list the roles of all their statements),
# nor anything that places a statement in a list (date, speaker, outlet, themes, source).
WORDS = frozenset({"paragraphs", "headline", "venue", "notes", "attribution_note", "section"})
# Set from git, not the record: the jobs made from them are listed anew (pages.ANY_EDIT).
DATED = frozenset({"last_changed", "history"})
_SHAPED = tuple(f.name for f in dataclasses.fields(Statement) if f.name not in WORDS | DATED)


@dataclass
class State:
    """What the last build was made from, and which statements each of its jobs held."""

    token: str  # the manifest's (pages.Manifest.token): the build this state is of
    salt: bytes  # the fingerprints' key
    head: str | None  # git's HEAD
    day: str  # the day it ran (ISO)
    files: dict[str, bytes]  # each input file's stat signature (buildstate.signatures)
    shapes: dict[str, bytes]  # each statement's shape (`shape`), by id
    held: dict[str, tuple[str, ...]]  # each job's held statements (pages.Plan.held)


def shape(statement: Statement) -> bytes:
    """A digest of the statement's fields but its words (`WORDS`) and its dates from git."""
    values = tuple(getattr(statement, name) for name in _SHAPED)
    return hashlib.blake2b(repr(values).encode(), digest_size=8).digest()


def shapes(statements: Iterable[Statement]) -> dict[str, bytes]:
    return {statement.id: shape(statement) for statement in statements}


def read(cache_dir: Path) -> State | None:
    """The last build's state, or None (there is none, or it cannot be read)."""
    try:
        with open(cache_dir / FILE_NAME, "rb") as handle:
            version, state = pickle.load(handle)
    except FileNotFoundError:
        return None
    except UNREADABLE:
        log.warning("onrecord: %s is unreadable: listing every page", cache_dir / FILE_NAME)
        return None
    return state if version == VERSION and isinstance(state, State) else None


def write(cache_dir: Path, state: State) -> None:
    write_pickle(cache_dir / FILE_NAME, (VERSION, state))


def forget(cache_dir: Path) -> None:
    """No state: the next build lists every job (a build that records none ran)."""
    (cache_dir / FILE_NAME).unlink(missing_ok=True)


def reach(
    state: State | None,
    token: str,
    files: dict[str, bytes],
    head: str | None,
    today: date,
    archive: Archive,
) -> Reach | None:
    """The jobs the changes since the build of `state` reach, or None: list every job.

    `token` is the last manifest's, `files` the input files' signatures now, `head` git's.
    """
    if state is None or state.token != token or state.head != head:
        return None
    if state.day != today.isoformat() or state.files.keys() != files.keys():
        return None  # a new day (the rules, "today"), a file added or removed
    changed = {path for path, signature in files.items() if state.files[path] != signature}
    if not changed or not all(path.startswith(STATEMENTS) for path in changed):
        return None
    edited = [s for s in archive.statements.values() if s.path in changed]
    ids = {s.id for s in edited}
    if len(ids) != sum(1 for s in state.shapes if s in ids) or any(
        state.shapes[s.id] != shape(s) for s in edited
    ):
        return None  # an id or a field beyond the words changed
    if len(state.shapes) != len(archive.statements):
        return None
    jobs = frozenset(key for key, held in state.held.items() if not ids.isdisjoint(held))
    return Reach(
        jobs=jobs,
        statements=frozenset(ids),
        salt=state.salt,
        held=state.held,
        shapes=state.shapes,
    )
