"""What an edit can reach: the jobs to list anew when only statements changed.

An edit build used to make and fingerprint the view of every job to find the few that
changed: at 100,000 statements, 112,000 views and their digests were half of an edit's
30 s. Each build now records, per job, the statements its view holds (the statements met
while fingerprinting it, `fingerprints.Fingerprints.reduce`) in `var/cache/reach.pickle`, with
what it was made from: every input file's stat signature, git's HEAD, the day, the
fingerprints' key (code, templates, settings) and each statement's *shape* (its fields but
the words, below). The next build lists anew only some jobs when everything else is as it
was: the files that changed are statement files, none added or removed, and their
statements keep their ids; git's HEAD, the day, the code and the settings are the last
build's. Then:

- An edit of the words alone (the paragraphs, the headline, the venue, the notes; `WORDS`),
  which no other record and no list's order or grouping reads, reaches the jobs whose views
  hold an edited statement. They are run without being fingerprinted.
- An edit beyond the words (a role, a date, the themes, the speaker, the outlet, the
  quotes, an attribution that keeps it published; not its place among its source's
  footnotes, below) may move the statement in and out of lists, counts and neighbours:
  every job but the statements' pages is listed anew and fingerprinted, and of the
  statements' pages, those holding an edited statement, those of its neighbours now (a
  page links to the speaker's statements before and after it) and those of the
  statements it quotes now (their pages list who quotes them). The lists hold every
  statement: the state keeps each statement's digest as the last build's
  fingerprints made it, and such a build takes those of the statements it left as they
  were (`kept_digests`). At 100,000 statements a theme's edit took 20.3-25.0 s with
  every job fingerprinted, 19.1-21.0 s with the other statements' pages kept, and
  13.4-16.2 s with their digests kept too.
- An edit of `PLACED` fields (the source, the footnote, the place in the source, the
  former ids, the nesting), and a withdrawal or its undoing, lists every job: where each
  footnote's text lies among its source's pages follows from how many published
  statements cite the footnotes before it, and every page citing that source links there.

Views that hold values made from many statements rather than the statements (the feeds and
the sitemap, dated by the statements' last changes) are listed anew in every such build
(`pages.ANY_EDIT`), and the data files, which hold the whole archive, run (`pages.WHOLE`).
tests/test_reach.py checks, edit by edit, that the jobs whose fingerprints change are among
the jobs reached.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import pickle
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from . import urls
from .cachefiles import UNREADABLE, write_pickle
from .fingerprints import DIGEST_SIZE, Digests
from .model import Archive, Statement
from .pages import Reach

log = logging.getLogger(__name__)

FILE_NAME = "reach.pickle"  # in a build's cache folder
VERSION = 4  # 3: shapes in two halves (`shape`), and digests; 4: withdrawn, not attribution
STATEMENTS = os.path.join("content", "statements", "")
# A statement's fields that only its own pages, its entries in lists and the data files
# show, as they are: an edit of these alone reaches the jobs whose views hold the statement.
# The role is not among them (a speaker's pages list the roles of all their statements),
# nor anything that places a statement in a list (date, speaker, outlet, themes, source).
WORDS = frozenset({"paragraphs", "headline", "venue", "notes", "attribution_note", "section"})
# Set from git, not the record: the jobs made from them are listed anew (pages.ANY_EDIT).
DATED = frozenset({"last_changed", "history"})
# A statement's fields whose edit lists every job (see above), with whether it is withdrawn:
# the place of its source's footnotes on that source's pages moves with them.
PLACED = frozenset({"source_id", "footnote", "position", "aliases", "quoted_in"})
_PLACED = tuple(f.name for f in dataclasses.fields(Statement) if f.name in PLACED)
_SHAPED = tuple(
    f.name for f in dataclasses.fields(Statement) if f.name not in WORDS | DATED | PLACED
)
_HALF = 8  # bytes: a shape is the digest of its PLACED fields, then of the rest
# In the state, each statement's shape, then the digest the last build's fingerprints made of
# it (fingerprints.Fingerprints.held_digests), when it made one.
SHAPE = 2 * _HALF


@dataclass
class State:
    """What the last build was made from, and which statements each of its jobs held."""

    token: str  # the manifest's (pages.Manifest.token): the build this state is of
    salt: bytes  # the fingerprints' key
    head: str | None  # git's HEAD
    day: str  # the day it ran (ISO)
    files: dict[str, bytes]  # each input file's stat signature (buildstate.signatures)
    shapes: dict[str, bytes]  # each statement's shape (`shape`) and digest, by id
    held: dict[str, tuple[str, ...]]  # each job's held statements (pages.Plan.held)


def shape(statement: Statement) -> bytes:
    """A digest of the statement's fields but its words (`WORDS`) and its dates from git: of
    its `PLACED` fields and whether it is withdrawn, then of the others."""
    placed = (*(getattr(statement, name) for name in _PLACED), statement.withdrawn)
    return _digest(placed) + _digest(tuple(getattr(statement, name) for name in _SHAPED))


def _digest(values: tuple) -> bytes:
    return hashlib.blake2b(repr(values).encode(), digest_size=_HALF).digest()


def shapes(statements: Iterable[Statement]) -> dict[str, bytes]:
    return {statement.id: shape(statement) for statement in statements}


def with_digests(shapes: dict[str, bytes], digests: Digests) -> dict[str, bytes]:
    """`shapes` (changed in place), each statement's digest in `digests` after its shape."""
    ids, made = digests
    for at, key in enumerate(ids):
        known = shapes.get(key)
        if known is not None:
            shapes[key] = known[:SHAPE] + made[at * DIGEST_SIZE : (at + 1) * DIGEST_SIZE]
    return shapes


def kept_digests(
    found: Reach | None, statements: Mapping[str, Statement]
) -> Iterator[tuple[Statement, bytes]]:
    """The last build's digests of the `statements` an edit beyond the words left as they
    were, for the fingerprints to take (`Fingerprints.seed`): such a build lists every list
    anew, and they hold every statement. At 100,000 statements digesting them all again
    took about 6 s of a theme's edit's 20 s. None for any other build."""
    if found is None or found.words_only:
        return
    for key, value in found.shapes.items():
        if len(value) > SHAPE and key in statements:
            yield statements[key], value[SHAPE:]


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
    if len(state.shapes) != len(archive.statements):
        return None
    edited = [s for s in archive.statements.values() if s.path in changed]
    ids = {s.id for s in edited}
    if not ids <= state.shapes.keys():
        return None  # an id changed
    now = {s.id: shape(s) for s in edited}
    moved = [s for s in edited if state.shapes[s.id][:SHAPE] != now[s.id]]
    if any(state.shapes[s.id][:_HALF] != now[s.id][:_HALF] for s in moved):
        return None  # its place among its source's footnotes may have moved
    # In place (a copy is 100,000 entries more in the build's peak): the edited statements'
    # shapes as they are now, without the last build's digests of them.
    state.shapes.update(now)
    jobs = {key for key, held in state.held.items() if not ids.isdisjoint(held)}
    if not moved:
        return Reach(frozenset(jobs), frozenset(ids), state.salt, state.held, state.shapes)
    jobs.update(key for key in state.held if urls.record_of("statement", key) is None)
    jobs.update(pages_reaching(archive, moved))
    # Every statement whose page may change: their entries in the data files and their search
    # documents are made from their pages' views (a document names the speakers its
    # statement quotes).
    statements = ids | set(filter(None, (urls.record_of("statement", key) for key in jobs)))
    return Reach(
        jobs=frozenset(jobs),
        statements=frozenset(statements),
        salt=state.salt,
        held=state.held,
        shapes=state.shapes,
        words_only=False,
    )


def pages_reaching(archive: Archive, statements: list[Statement]) -> set[str]:
    """The pages of the statements that may hold `statements` now without having held them:
    each one's neighbours among its speaker's statements, and the statements it quotes."""
    found: set[str] = set()
    for statement in statements:
        listed = archive.by_speaker.get(statement.speaker_id, [])
        at = next((n for n, s in enumerate(listed) if s.id == statement.id), None)
        near = [] if at is None else listed[max(at - 1, 0) : at + 2]
        quoted = [quote.statement_id for quote in statement.quotes]
        found.update(urls.save_as(urls.record("statement", s.id)) for s in near)
        found.update(urls.save_as(urls.record("statement", i)) for i in quoted)
    return found
