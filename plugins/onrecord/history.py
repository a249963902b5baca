"""Each record's history from git: when its file last changed, and what each commit changed.

One `git log --raw -M` walk over `content/` and `speakers/` gives every commit's changed
files with their old and new blob ids and renames. From it:

- each statement file's last-change date (the newest commit touching it; a file that is new
  or edited since, or any file outside a git checkout, takes its modification time);
- each statement's *history*: the file's chain of versions, followed back across renames
  (as `git log --follow` does, for every file in the one walk), each commit described in
  words by comparing the statement as parsed from the blob before and after it, field by
  field ("text of paragraph 3 corrected", "role changed", "withdrawn", "renamed from …").
  A commit after which the parsed statement is the same (an `onrecord fmt` rewrite, a
  comment) is left out. A commit that changed the quoted words (the text fingerprint)
  carries the old and new fingerprints: the /corrections/ log lists those.

Only blobs of files that changed after being added are read (one `git cat-file --batch`
process for all of them) and parsed with the records' own reader; the parsed statements
are kept by blob id in `var/cache/history.pickle`, so a rebuild parses only new blobs. The
walk is kept too (`var/cache/history-log.pickle`, with the commit it reached): a rebuild
walks only the commits made since, or none; after a rewritten history (the commit no
longer in HEAD's), everything again. Where there is no git history (an exported tree),
every statement's `history` is None and the pages say so.

Measured at 10,000 synthetic statements with 301 commits (300 of them editing 3 records
each, a sixth of those edits formatting-only; packed; `scripts/history_bench.py`), on this
shared 2-core machine at load 3: the whole `with_history` (walk, blobs, histories, the
archive rebuilt with them) 0.92 s cold (no cache: the full walk, 0.34 s, and 1,752 blobs
parsed), 0.35 s warm (nothing new to walk or parse). The last-change walk it replaces took
0.57-0.95 s for the dates alone at load 5.
"""

from __future__ import annotations

import dataclasses
import hashlib
import operator
import os
import pickle
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NamedTuple

from .cachefiles import UNREADABLE, write_pickle
from .model import Archive, Change, Statement
from .records import build_record, collector_paused, nested_statements
from .yamlfile import Document, parse

WATCHED = ("content", "speakers")
CACHE_FILE = "history.pickle"  # parsed versions by blob id
LOG_CACHE_FILE = "history-log.pickle"  # the walk, up to the commit it reached
_NULL = "0" * 40


def _git(root: Path, *args: str, input: bytes | None = None) -> bytes | None:
    """What `git` with `args` in `root` wrote (given `input`), or None if it failed."""
    return _finished(_git_started(root, *args, writes_to=input is not None), input)


def _git_started(root: Path, *args: str, writes_to: bool = False) -> subprocess.Popen | None:
    """`git` running with `args` in `root` (its input to come, if it `writes_to`), its
    output to be had from `_finished`."""
    try:
        return subprocess.Popen(
            ["git", "-C", str(root), *args],
            stdin=subprocess.PIPE if writes_to else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None


def _finished(started: subprocess.Popen | None, input: bytes | None = None) -> bytes | None:
    """What `started` (`_git_started`) wrote, once it ended well; None if it failed."""
    if started is None:
        return None
    try:
        out, _ = started.communicate(input, timeout=120)
    except subprocess.TimeoutExpired:
        started.kill()
        started.communicate()
        return None
    return out if started.returncode == 0 else None


# -- the walk ------------------------------------------------------------------------------


class Event(NamedTuple):
    """One commit's change to one file: `status` is git's A, M, D or R (a rename)."""

    order: int  # the commit's place in the walk, oldest first (0 = the first commit)
    day: date
    status: str
    old_blob: str
    new_blob: str
    old_path: str | None = None  # a rename's former path


@dataclass
class Log:
    """The walk's events by path (relative to the archive's root), newest first."""

    events: dict[str, list[Event]]
    dirty: set[str]  # paths edited, added or removed since the last commit
    head: str = ""  # the commit the walk reached


LOG_FORMAT = "%x01%cs"
LOG_VERSION = 1


def read_log(root: Path, cache_file: Path | None = None) -> Log | None:
    """The git history of the archive at `root`, or None outside a git checkout.

    With `cache_file`, the walk is kept there with the commit it reached: the next call
    walks only the commits made since (when that commit is still in HEAD's history), and
    none at all when HEAD has not moved.
    """
    # git's view of the working tree (0.24 s at 100,000 statements) is asked for first, and
    # read once the walk is, the two overlapping: at 100,000, eight calls each, alternated
    # in one process, 0.33-0.83 s (median 0.58) against 0.49-0.85 s (median 0.67) in turn.
    status = _git_started(
        root, "status", "--porcelain", "-z", "--untracked-files=all", "--", *WATCHED
    )
    found = _git(root, "rev-parse", "--show-prefix", "HEAD")
    if found is None:
        _finished(status)
        return None
    prefix, head = (found.decode().split("\n") + ["", ""])[:2]

    def relative(name: str) -> str:
        return name[len(prefix) :] if prefix and name.startswith(prefix) else name

    cached = _read_log_cache(cache_file, prefix)
    events: dict[str, list[Event]] = {}
    total = 0
    since = None
    if cached is not None and _is_ancestor(root, cached[0], head):
        since, total, events = cached
    if since != head:
        walked = _walk(root, relative, since, total)
        if walked is None:
            _finished(status)
            return None
        total, new = walked
        for path, newer in new.items():
            events[path] = newer + events.get(path, [])
        if cache_file is not None:
            _write_log_cache(cache_file, (LOG_VERSION, prefix, head, total, events))
    listed = _finished(status)
    if listed is None:
        return None
    dirty = set()
    entries = listed.decode("utf-8", "surrogateescape").split("\0")
    at = 0
    while at < len(entries):
        entry = entries[at]
        at += 1
        if len(entry) < 4:
            continue
        dirty.add(relative(entry[3:]))
        if entry[0] in "RC":  # `XY new\0old`: the old path follows
            dirty.add(relative(entries[at]))
            at += 1
    return Log(events, dirty, head)


def _walk(
    root: Path, relative, since: str | None, before: int
) -> tuple[int, dict[str, list[Event]]] | None:
    """The commits after `since` (all, for None): their count with the `before` already
    walked, and their events by path, newest first."""
    span = [f"{since}..HEAD"] if since else ["HEAD"]
    raw = _git(
        root,
        *("-c", "core.quotepath=off", "log", "-z", "--raw", "--no-abbrev", "-M"),
        f"--format={LOG_FORMAT}",
        *span,
        "--",
        *WATCHED,
    )
    if raw is None:
        return None
    commits = raw.decode("utf-8", "surrogateescape").split("\x01")[1:]
    events: dict[str, list[Event]] = {}
    total = before + len(commits)
    for position, commit in enumerate(commits):
        order = total - 1 - position
        head, _, body = commit.partition("\0")
        day = date.fromisoformat(head.strip())
        fields = body.lstrip("\n").split("\0")
        at = 0
        while at < len(fields):
            meta = fields[at]
            if not meta.startswith(":"):
                at += 1
                continue
            parts = meta.split()
            old_blob, new_blob, kind = parts[2], parts[3], parts[4][0]
            if kind in "RC":
                old_path, path = relative(fields[at + 1]), relative(fields[at + 2])
                at += 3
            else:
                old_path, path = None, relative(fields[at + 1])
                at += 2
            if kind == "C":  # a copy: a new file as far as this one goes
                kind, old_path, old_blob = "A", None, _NULL
            event = Event(order, day, kind, old_blob, new_blob, old_path)
            events.setdefault(path, []).append(event)
    return total, events


def _is_ancestor(root: Path, commit: str, head: str) -> bool:
    if commit == head:
        return True
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "merge-base", "--is-ancestor", commit, head],
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _read_log_cache(cache_file: Path | None, prefix: str) -> tuple | None:
    if cache_file is None:
        return None
    try:
        with open(cache_file, "rb") as handle:
            version, cached_prefix, head, total, events = pickle.load(handle)
    except UNREADABLE:
        return None
    if version != LOG_VERSION or cached_prefix != prefix:
        return None
    return head, total, events


def _write_log_cache(cache_file: Path, value: tuple) -> None:
    write_pickle(cache_file, value)


def lineage(log: Log, path: str) -> list[Event]:
    """The committed versions of the file now at `path`, oldest first, across renames."""
    chain: list[Event] = []
    before = None  # only events older than the rename that led here
    while True:
        found = log.events.get(path, ())
        older = [e for e in found if before is None or e.order < before]
        renamed = None
        for event in older:  # newest first
            chain.append(event)
            if event.status in ("A", "D", "R"):
                if event.status == "R":
                    renamed = event
                break
        if renamed is None or renamed.old_path is None or renamed.old_path == path:
            break
        path, before = renamed.old_path, renamed.order
    chain.reverse()
    # A file deleted and later added again starts over at its last addition.
    starts = [i for i, e in enumerate(chain) if e.status == "A"]
    return chain[starts[-1] :] if starts else chain


def last_changed(root: Path, paths: set[str], log: Log | None | bool = True) -> dict[str, date]:
    """Date of the last change of each path (relative to `root`).

    The walk gives every committed file's last commit date; a file that is new or edited
    since (or any file, outside a git checkout) takes its modification time.
    """
    if log is True:
        log = read_log(root)
    dates: dict[str, date] = {}
    if isinstance(log, Log):
        for path in paths:
            found = log.events.get(path)
            if found and path not in log.dirty:
                dates[path] = found[0].day
    for path in paths - dates.keys():
        try:
            stamp = os.stat(os.path.join(root, path)).st_mtime
        except OSError:
            continue
        dates[path] = datetime.fromtimestamp(stamp, tz=UTC).date()
    return dates


# -- reading versions ----------------------------------------------------------------------

# A version of a statement file: its top-level statement and the nested ones by id, or None
# when the blob does not read as a statement (a broken commit).
Version = tuple[Statement, dict[str, Statement]] | None


def _parsed(path: str, raw: bytes) -> Version:
    try:
        document = parse(path, raw)
        if not isinstance(document, Document) or not isinstance(document.data, dict):
            return None
        top = build_record("statement", document)
        nested = {s.id: s for s, _ in nested_statements(document.data, path)}
    except Exception:  # noqa: BLE001 - any blob that is not a valid statement is skipped
        return None
    return top, nested  # type: ignore[return-value]


def _cache_key() -> str:
    # Parsed versions are this code's reading of a record: any change to it starts afresh.
    here = Path(__file__).parent
    sources = [here / "model.py", here / "yamlfile.py", here / "history.py"]
    sources += sorted((here / "records").glob("*.py"))
    digest = hashlib.blake2b(digest_size=16)
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _read_cache(cache_file: Path | None) -> dict[str, tuple | None]:
    if cache_file is None:
        return {}
    try:
        with open(cache_file, "rb") as handle:
            key, versions = pickle.load(handle)
    except UNREADABLE:
        return {}
    return versions if key == _cache_key() else {}


def _write_cache(cache_file: Path, versions: dict[str, tuple | None]) -> None:
    write_pickle(cache_file, (_cache_key(), versions))


def _blobs(root: Path, wanted: Iterable[str]) -> dict[str, bytes]:
    """The bytes of each blob, read by one `git cat-file --batch`."""
    names = list(wanted)
    if not names:
        return {}
    out = _git(root, "cat-file", "--batch", input="".join(f"{n}\n" for n in names).encode())
    found: dict[str, bytes] = {}
    if out is None:
        return found
    at = 0
    for _ in names:
        end = out.index(b"\n", at)
        header = out[at:end].split()
        at = end + 1
        if len(header) < 3 or header[1] != b"blob":  # `<name> missing`
            continue
        size = int(header[2])
        found[header[0].decode()] = out[at : at + size]
        at += size + 1
    return found


def versions(
    root: Path, blobs: dict[str, str], cache_file: Path | None = None
) -> dict[str, Version]:
    """Each blob (id → a path it was at) parsed as a statement file; cached by blob id.

    The cache keeps each statement as the tuple of its fields (pickled in C, several times
    faster to write and read than the dataclasses themselves).
    """
    cached = _read_cache(cache_file)
    missing = [blob for blob in blobs if blob not in cached]
    if missing:
        for blob, raw in _blobs(root, missing).items():
            cached[blob] = _packed(_parsed(blobs[blob], raw))
        if cache_file is not None:
            _write_cache(cache_file, cached)
    return {blob: _unpacked(cached.get(blob)) for blob in blobs}


def _packed(version: Version) -> tuple | None:
    if version is None:
        return None
    top, nested = version
    return _VALUES(top), tuple(_VALUES(s) for s in nested.values())


def _unpacked(packed: tuple | None) -> Version:
    if packed is None:
        return None
    top, nested = packed
    return Statement(*top), {values[0]: Statement(*values) for values in nested}


# -- describing a change -------------------------------------------------------------------

# Fields compared in words of their own, or never (where the statement sits, not what it is).
_OWN_WORDS = {"id", "paragraphs", "original", "attribution"}
_NOT_COMPARED = {"path", "quoted_in", "last_changed", "history"}
FIELD_WORDS = {
    "speaker_id": "speaker changed",
    "source_id": "source changed",
    "role": "role changed",
    "date": "date changed",
    "venue": "venue changed",
    "outlet_id": "outlet changed",
    "footnote": "footnote changed",
    "headline": "headline changed",
    "language": "language changed",
    "theme_ids": "themes changed",
    "quotes": "quotes changed",
    "attribution_note": "attribution note changed",
    "withdrawn_on": "withdrawal date changed",
    "notes": "editor's notes changed",
    "aliases": "former ids changed",
    "speaker_as": "speaker's name as printed changed",
    "section": "section changed",
    "position": "place in the source changed",
    "form": "form changed",
    "truncated": "truncation changed",
}
_COMPARED = tuple(
    f.name
    for f in dataclasses.fields(Statement)
    if f.name not in _OWN_WORDS and f.name not in _NOT_COMPARED
)


def describe(old: Statement, new: Statement) -> list[str]:
    """What changed from `old` to `new`, in words; [] when they mean the same."""
    words = []
    if old.id != new.id:
        words.append(f"renamed from {old.id}")
    pairs = zip(old.paragraphs, new.paragraphs, strict=False)
    for number, (before, after) in enumerate(pairs, start=1):
        if before != after:
            words.append(f"text of paragraph {number} corrected")
    for number in range(len(old.paragraphs) + 1, len(new.paragraphs) + 1):
        words.append(f"paragraph {number} added")
    for number in range(len(new.paragraphs) + 1, len(old.paragraphs) + 1):
        words.append(f"paragraph {number} removed")
    if old.original != new.original:
        words.append("original-language text changed")
    withdrawal = old.attribution != new.attribution and (new.withdrawn or old.withdrawn)
    if withdrawal:
        words.append("withdrawn" if new.withdrawn else "reinstated")
    elif old.attribution != new.attribution:
        words.append("attribution changed")
    for name in _COMPARED:
        if withdrawal and name in ("withdrawn_on", "attribution_note"):
            continue  # part of the withdrawal (or of its undoing)
        if name == "aliases" and old.id != new.id and old.id in new.aliases:
            continue  # part of the renaming: the old id kept as an alias
        if getattr(old, name) != getattr(new, name):
            words.append(FIELD_WORDS.get(name, f"{name.replace('_', ' ')} changed"))
    return words


def _change(day: date, order: int, words: list[str], old: Statement | None, new: Statement):
    old_print, new_print = (old.content_hash if old else None), new.content_hash
    corrected = old is not None and old_print != new_print
    return Change(
        day,
        "; ".join(words),
        old_print if corrected else None,
        new_print if corrected else None,
        order,
    )


TOP = ""  # the file's own statement, as against the ones nested in it


def file_history(chain: list[Event], parsed: dict[str, Version]) -> dict[str, list[Change]]:
    """The changes of each statement in one file (TOP or a nested id), oldest first."""
    changes: dict[str, list[Change]] = {TOP: []}
    added_at: Event | None = None
    readable: Version = None  # the last version that read as a statement
    for event in chain:
        if event.status == "A":
            added_at, readable = event, parsed.get(event.new_blob)
            changes[TOP].append(Change(event.day, "added", order=event.order))
            continue
        if event.status == "D":
            continue
        moved = event.status == "R" and event.old_path is not None
        if event.old_blob == event.new_blob:  # moved, not edited
            if moved:
                words = [f"renamed from {event.old_path}"]
                changes[TOP].append(Change(event.day, words[0], order=event.order))
            continue
        # A version that does not read is skipped: the next one that does is compared with
        # the last one that did.
        old, new = parsed.get(event.old_blob) or readable, parsed.get(event.new_blob)
        if new is None:
            continue
        readable = new
        if old is None:
            if moved:
                changes[TOP].append(
                    Change(event.day, f"renamed from {event.old_path}", order=event.order)
                )
            continue
        words = describe(old[0], new[0])
        if moved and old[0].id == new[0].id:
            words.insert(0, f"renamed from {event.old_path}")
        if words:
            changes[TOP].append(_change(event.day, event.order, words, old[0], new[0]))
        for key, statement in new[1].items():
            before = old[1].get(key)
            words = ["added"] if before is None else describe(before, statement)
            if words:
                change = _change(event.day, event.order, words, before, statement)
                changes.setdefault(key, []).append(change)
    if added_at is not None:  # nested statements there from the start were added with it
        for key, found in changes.items():
            if key != TOP and not (found and found[0].words == "added"):
                found.insert(0, Change(added_at.day, "added", order=added_at.order))
    return changes


def histories(
    root: Path, statements: Iterable[Statement], log: Log, cache_file: Path | None = None
) -> dict[str, tuple[Change, ...]]:
    """Each statement's changes (by id), oldest first, from the walk.

    A statement's changes follow from the commits alone, given its file, its id and whether
    it is nested: with `cache_file`, the last call's are kept by those (in CHANGES_FILE
    beside it) for the commit the walk reached, and a call at that commit works out only
    the statements it has not met. At 100,000 statements working them all out took 2.9 s
    of every build; an edit's build now works out none (the edit is not committed).
    """
    statements = list(statements)
    if cache_file is None or len(statements) < KEPT_FROM:
        return _worked_out(root, statements, log, cache_file)
    changes_file = cache_file.with_name(CHANGES_FILE)
    known = _read_changes(changes_file, log.head)
    found: dict[str, tuple[Change, ...]] = {}
    todo = []
    for statement in statements:
        kept = known.get(statement.id)
        if kept is not None and kept[0] == statement.path and kept[1] == statement.quoted_in:
            found[statement.id] = tuple(Change(*fields) for fields in kept[2])
        else:
            todo.append(statement)
    if todo:
        worked_out = _worked_out(root, todo, log, cache_file)
        found.update(worked_out)
        # Each change as the tuple of its fields: a slotted dataclass unpickles through its
        # generic state, 1.6 s for 100,000 statements' changes.
        known.update(
            (s.id, (s.path, s.quoted_in, tuple(map(_CHANGE_FIELDS, worked_out[s.id]))))
            for s in todo
        )
        _write_changes(changes_file, log.head, known)
    return found


_CHANGE_FIELDS = operator.attrgetter(*(field.name for field in dataclasses.fields(Change)))


CHANGES_FILE = "history-changes.pickle"  # each statement's changes at the walk's commit
# Fewer statements than this (the devserver's edited ones) are worked out, not looked up:
# reading every kept change takes 0.3 s at 100,000 statements, working out one 30 µs.
KEPT_FROM = 1000


def _read_changes(path: Path, head: str) -> dict[str, tuple]:
    """`{id: (path, quoted_in, changes)}` kept at commit `head`, or {} (another commit)."""
    try:
        with open(path, "rb") as handle:
            key, kept_head, known = pickle.load(handle)
    except UNREADABLE:
        return {}
    return known if (key, kept_head) == (_cache_key(), head) and head else {}


def _write_changes(path: Path, head: str, known: dict[str, tuple]) -> None:
    write_pickle(path, (_cache_key(), head, known))


def _worked_out(
    root: Path, statements: list[Statement], log: Log, cache_file: Path | None
) -> dict[str, tuple[Change, ...]]:
    by_path: dict[str, list[Statement]] = {}
    for statement in statements:
        by_path.setdefault(statement.path, []).append(statement)
    chains = {path: lineage(log, path) for path in by_path}
    wanted: dict[str, str] = {}
    for path, chain in chains.items():
        for event in chain:
            if event.status in "MR" and event.old_blob != event.new_blob:
                wanted.setdefault(event.old_blob, event.old_path or path)
                wanted.setdefault(event.new_blob, path)
    parsed = versions(root, wanted, cache_file)
    found: dict[str, tuple[Change, ...]] = {}
    for path, chain in chains.items():
        changes = file_history(chain, parsed)
        for statement in by_path[path]:
            key = TOP if statement.quoted_in is None else statement.id
            own = changes.get(key)
            if own is None and key != TOP and any(e.status == "A" for e in chain):
                own = [c for c in changes[TOP] if c.words == "added"][:1]
            found[statement.id] = tuple(own or ())
    return found


def with_history(archive: Archive, root: Path, cache_dir: Path | None = None) -> Archive:
    """The archive with each statement's `last_changed` and `history` filled in."""
    statements = dated(archive.statements.values(), root, cache_dir)
    with collector_paused():  # the lookups again, over the copies
        return Archive.of(
            archive.speakers,
            archive.outlets,
            archive.themes,
            archive.sources,
            statements,
            archive.claims,
            archive.texts,
        )


def dated(
    statements: Iterable[Statement],
    root: Path,
    cache_dir: Path | None = None,
    log: Log | None | bool = True,
) -> dict[str, Statement]:
    """A copy of each statement with its `last_changed` and `history` filled in, by id.

    `log` is the walk if the caller has read it (`True`: read it here). For a few
    statements (the devserver's edited ones) this costs the walk, which is cached, and
    their own versions only.
    """
    statements = list(statements)
    if log is True:
        log = read_log(root, log_cache(cache_dir))
    dates = last_changed(root, {s.path for s in statements}, log)
    if log is None:
        changes: dict[str, tuple[Change, ...]] | None = None
    else:
        cache_file = cache_dir / CACHE_FILE if cache_dir is not None else None
        changes = histories(root, statements, log, cache_file)
    with collector_paused():  # a copy of every statement
        return {
            s.id: _dated(s, dates.get(s.path), None if changes is None else changes.get(s.id, ()))
            for s in statements
        }


def log_cache(cache_dir: Path | None) -> Path | None:
    """Where the walk is kept (`read_log`) under a build's cache folder."""
    return cache_dir / LOG_CACHE_FILE if cache_dir is not None else None


def corrections(statements: Iterable[Statement]) -> list[tuple[Change, Statement]]:
    """Every change to quoted words across the archive, newest first."""
    found = [(c, s) for s in statements for c in s.history or () if c.corrects_words]
    found.sort(key=lambda pair: (pair[0].date, pair[0].order, pair[1].id), reverse=True)
    return found


_FIELDS = tuple(field.name for field in dataclasses.fields(Statement))
_VALUES = operator.attrgetter(*_FIELDS)
_LAST_CHANGED = _FIELDS.index("last_changed")
_HISTORY = _FIELDS.index("history")


def _dated(statement: Statement, day: date | None, history: tuple | None) -> Statement:
    # What dataclasses.replace does, a few times faster: it runs for every statement of every
    # build (its fields are all given to the constructor, in order).
    values = list(_VALUES(statement))
    values[_LAST_CHANGED] = day
    values[_HISTORY] = history
    return Statement(*values)
