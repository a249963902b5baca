"""The opened index: one object per index build, made here and nowhere else.

`opened_index(index_dir)` gives the `OpenedIndex` of the build `current` points to (one
per build, reopened when `current` moves). It holds what is worth computing once per
build: the searcher and its segments as the direct path reads them (`Segment`), each
facet's values by document, the spellings and labels, and, made on first need by its own
methods, the facets' count tables (`Facet`), the statements' order newest first (`Order`)
and the highlighter's analysed words (`Analysed`). The Whoosh path (`query`), the direct
path (`postings`), the listings (`listing`) and the snippets (`snippets`) read it; none of
them assigns to it.

A field's lengths are read in one read instead of one call a document, through
internals of whoosh-reloaded 2.7.5 (`whoosh_internals.length_column_bytes`).
"""

from __future__ import annotations

import os
import threading
import time
from array import array
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain, repeat
from pathlib import Path

from whoosh import sorting
from whoosh.query import Every
from whoosh.searching import Searcher

from .answers import FACET_FIELDS, LIST_FACETS, Unsupported
from .index import (
    SEGMENT_SUFFIX,
    current_build,
    open_build,
    read_labels,
    read_other_names,
    read_spellings,
)
from .variants import by_skeleton, variants
from .whoosh_internals import length_column_bytes


@dataclass
class OpenedIndex:
    """A searcher on one build, with what is worth computing once per build."""

    target: str  # the build folder `current` pointed to when this searcher was opened
    searcher: Searcher
    spellings: dict[str, int]  # every word, sorted, with the statements using it
    # Facet values by document number: one key per statement, a tuple for LIST_FACETS.
    # Tuples of atoms, as the facets' codes: the collector stops tracking them. As lists
    # (a million references at 100,000 statements) they made each full collection in the
    # service take 35-48 ms, the added time of one query in a few hundred.
    facet_keys: dict[str, tuple]
    labels: dict[str, dict[str, str]]  # facet value → display name
    segments: list[Segment]  # what the direct path reads
    other_names: dict[str, list[str]]  # a theme's or outlet's other name → [kind, id]
    # Whoosh searchers read through shared file objects, so one thread at a time; queries
    # are pure Python under the GIL anyway, so the lock costs no throughput.
    lock: threading.Lock = field(default_factory=threading.Lock)
    # What is made on first need and kept for the build, by this object alone (the readers
    # call the methods below; none assigns to these).
    _facet_tables: dict[str, Facet] | None = None
    # By analyzer, each word as written → the term its highlighter compares (Highlighter).
    _analysed: dict[int, Analysed] = field(default_factory=dict)
    _searches: int = 0
    _skeletons: dict[str, list[str]] | None = None  # variants.by_skeleton of the spellings
    _newest_first: Order | None = None

    @classmethod
    def open(cls, target: str) -> OpenedIndex:
        build = Path(target)
        if _serving:
            read_ahead(build)
        searcher = open_build(build).searcher()
        return cls(
            target,
            searcher,
            read_spellings(build),
            _facet_keys(searcher),
            read_labels(build),
            segments(searcher),
            read_other_names(build),
        )

    @property
    def searches(self) -> int:
        """The queries answered so far (`note_search`)."""
        return self._searches

    def note_search(self) -> None:
        """Count one more query (callers hold `lock`)."""
        self._searches += 1

    @property
    def has_facet_tables(self) -> bool:
        return self._facet_tables is not None

    def facet_tables(self) -> dict[str, Facet]:
        """Each facet's codes and bit sets (`facet_table`), made on the first call.

        They take a fifth of a second at 100,000 statements: worth it for a searcher that
        answers many queries, which is why the direct path asks only from the second one.
        """
        if self._facet_tables is None:
            size = self.searcher.doc_count_all()
            self._facet_tables = {
                name: facet_table(keys, size) for name, keys in self.facet_keys.items()
            }
        return self._facet_tables

    def newest_first(self) -> Order:
        """Every statement, newest first, as Whoosh sorts them (`NEWEST_FIRST`), made on the
        first call: 0.3-0.4 s at 100,000 statements, where each listing sorted by Whoosh took
        40 ms (one speaker's 481) to 380 ms (everything)."""
        if self._newest_first is None:
            self._newest_first = Order.of(self.searcher)
        return self._newest_first

    def variants(self, word: str) -> list[str]:
        """The archive's other spellings of `word`, an analysed query word it lacks."""
        if word in self.spellings:
            return []
        if self._skeletons is None:  # one pass over the vocabulary, on first need
            self._skeletons = by_skeleton(self.spellings)
        return variants(word, self.spellings, self._skeletons)

    def analysed(self, analyzer) -> Analysed:
        """The words `analyzer` has analysed for highlighting in this build, as a cache."""
        found = self._analysed.get(id(analyzer))
        if found is None:
            found = self._analysed[id(analyzer)] = Analysed(analyzer)
        return found


# Listings without words, newest first. The whole sort is reversed, not the date facet
# alone (Whoosh reverses a string column by a list lookup per document); undated
# statements come last, and the id orders statements of one date.
NEWEST_FIRST = ("date", "id")


@dataclass(frozen=True)
class Order:
    """The index's live documents in one order: `docnums` in it, and each document's place
    in it (`rank`; deleted documents rank `len(docnums)`, past every live one)."""

    docnums: array
    rank: array

    @classmethod
    def of(cls, searcher: Searcher) -> Order:
        """The order of Whoosh's search for every document sorted by `NEWEST_FIRST`."""
        found = searcher.search(
            Every(),
            sortedby=[sorting.FieldFacet(name) for name in NEWEST_FIRST],
            reverse=True,
            limit=None,
        )
        docnums = array("i", (docnum for _, docnum in found.top_n))
        rank = array("i", repeat(len(docnums), searcher.doc_count_all()))
        for place, docnum in enumerate(docnums):
            rank[docnum] = place
        return cls(docnums, rank)


def read_ahead(build: Path) -> None:
    """Ask the kernel to read the build's segment files into memory, in the background.

    The searcher maps them and reads a term's postings where they lie, so a query's first
    read of a block the page cache lost waits on this disk. In the bench's service run at
    100,000 (after the site's files had pushed the index out of the page cache) the first
    pass over its 200 queries gave a p99 of 70.8 ms and the next 40.0 ms; with the segment
    read beforehand, 43.3 ms and 40.8 ms.
    """
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    for path in build.glob(f"*{SEGMENT_SUFFIX}"):
        try:
            descriptor = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            advise(descriptor, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass
        finally:
            os.close(descriptor)


def _facet_keys(searcher: Searcher) -> dict[str, list]:
    # Grouping through Whoosh asks its categorizers for every hit's keys on every query
    # (most of the time of a query matching half the archive); they only change with
    # the build, so each facet's keys are read once here and counted per query.
    return {
        name: _keys_of(searcher, fieldname) if name in LIST_FACETS else _key_of(searcher, fieldname)
        for name, fieldname in FACET_FIELDS.items()
    }


def _key_of(searcher: Searcher, fieldname: str) -> tuple:
    # The keys Whoosh's FieldFacet groups by, so counts stay what grouping gave.
    facet = sorting.FieldFacet(fieldname)
    categorizer = facet.categorizer(searcher)
    key_of: list = [None] * searcher.doc_count_all()
    for leaf, offset in searcher.leaf_searchers():
        categorizer.set_searcher(leaf, offset)
        for docnum in range(leaf.doc_count_all()):
            key = categorizer.key_for(None, docnum)
            key_of[offset + docnum] = categorizer.key_to_name(key)
    return tuple(key_of)


def _keys_of(searcher: Searcher, fieldname: str) -> tuple[tuple[str, ...], ...]:
    reader = searcher.reader()
    keys_of: list[list[str]] = [[] for _ in range(reader.doc_count_all())]
    if fieldname in reader.schema:
        for term in reader.lexicon(fieldname):
            key = term.decode("utf-8")
            for docnum in reader.postings(fieldname, term).all_ids():
                keys_of[docnum].append(key)
    return tuple(tuple(keys) if keys else () for keys in keys_of)


_open_searchers: dict[str, OpenedIndex] = {}
_open_searchers_lock = threading.Lock()


def opened_index(index_dir: Path) -> OpenedIndex:
    """The cached searcher for `index_dir`, reopened when `current` points to a new build.

    Whoosh's `up_to_date()` cannot see a symlink swap (the new index has the same
    generation), so the symlink's target is compared instead.
    """
    key = os.path.abspath(index_dir)
    target = str(current_build(Path(index_dir)))
    with _open_searchers_lock:
        cached = _open_searchers.get(key)
        if cached is None or cached.target != target:
            # The old searcher is dropped, not closed: a query still running on it keeps it
            # alive, and its files are released when that query lets go of it.
            cached = _open_searchers[key] = OpenedIndex.open(target)
        return cached


# Set by `prepare`: this process answers many queries (the search service), and every
# build it opens is read ahead. `onrecord search`'s one query reads only what it needs.
_serving = False


def prepare(index_dir: Path) -> None:
    """Open the index under `index_dir` ahead of its first query, for a process that will
    answer many: this build's files, and every later build's, are read ahead
    (`read_ahead`), and what its first listing and its first query over many statements
    would make (the order newest first, 0.33 s at 100,000 statements; the facets' tables,
    0.2 s) is made now. Each later build is opened and made ready as soon as `current`
    points to it (`_open_each_build`), not at the first query after it. `IndexMissing` when
    there is no index yet (a later one is opened all the same)."""
    global _serving
    _watch(Path(index_dir))
    opened = opened_index(index_dir)
    read_ahead(Path(opened.target))
    _serving = True
    _made_ready(opened)


def _made_ready(opened: OpenedIndex) -> None:
    with opened.lock:
        opened.newest_first()
        opened.facet_tables()
        # Whoosh opens a segment's stored-field columns at the first read of a hit: 0.1 s of
        # the first query at 100,000 statements.
        for segment in opened.segments:
            if segment.count:
                segment.searcher.stored_fields(0)


# How often a serving process looks whether `current` points to a new build (`prepare`).
# At 100,000 statements the first query after a rebuild paid 1.2-1.5 s: opening the build
# 0.94 s, the order 0.30 s, the facets' tables 0.24 s, the stored fields' columns 0.1 s.
WATCH_EVERY = 1.0  # seconds
_watched: set[str] = set()


def _watch(index_dir: Path) -> None:
    """One thread per index folder opening each new build (`_open_each_build`)."""
    key = os.path.abspath(index_dir)
    with _open_searchers_lock:
        if key in _watched:
            return
        _watched.add(key)
    watcher = threading.Thread(
        target=_open_each_build, args=(Path(key),), name="onrecord-index-watch", daemon=True
    )
    watcher.start()


def _open_each_build(index_dir: Path) -> None:
    """Open each build `current` points to and make it ready (`_made_ready`), until the index
    folder goes. A query that comes meanwhile waits for it, as it would have opened it."""
    seen = None
    while index_dir.is_dir():
        try:
            target = current_build(index_dir)
            if target != seen:
                _made_ready(opened_index(index_dir))
                seen = target
        # No index yet, or a build removed as it was opened: looked for again, and a query
        # meanwhile reports what it meets. The thread must outlive any one build.
        except Exception:  # noqa: BLE001
            pass
        time.sleep(WATCH_EVERY)
    with _open_searchers_lock:
        _watched.discard(str(index_dir))


@dataclass
class Segment:
    """One segment of the index as the direct path reads it."""

    searcher: Searcher  # the segment's own searcher (the index's, for a one-segment index)
    offset: int  # the number of its first document in the whole index
    count: int  # its documents, deleted ones included
    deleted: frozenset[int]
    lengths: dict[str, bytes] = field(default_factory=dict)  # see `length_bytes`

    def length_bytes(self, fieldname: str) -> bytes:
        """Each document's length in the field, as the byte Whoosh stores (0: no words)."""
        found = self.lengths.get(fieldname)
        if found is None:
            found = self.lengths[fieldname] = _length_column(self, fieldname)
        return found


def segments(searcher: Searcher) -> list[Segment]:
    return [
        Segment(leaf, offset, leaf.doc_count_all(), leaf.reader().deleted_docs_set)
        for leaf, offset in searcher.leaf_searchers()
    ]


def _length_column(segment: Segment, fieldname: str) -> bytes:
    # Whoosh reads one document's length a call; the column is one read, one byte a
    # document, cut short after the last document with words in the field.
    stored = length_column_bytes(segment.searcher.reader(), fieldname)
    if stored is None:
        return bytes(segment.count)
    return stored + bytes(segment.count - len(stored))


@dataclass
class Facet:
    """One facet as many hits are counted: each value's number, and each value's bit set."""

    names: list  # number → the value, as facet_keys holds it
    codes: bytes | array | tuple  # by document: its value's number (several: bytes of them)
    bits: dict  # value → a bit set of its documents; no entry for None and ""


def facet_table(keys: tuple, size: int) -> Facet:
    several = bool(keys) and isinstance(keys[0], tuple)
    names = sorted({*chain.from_iterable(keys)} if several else set(keys), key=repr)
    number = {name: i for i, name in enumerate(names)}
    if several:
        codes: bytes | array | tuple = tuple(bytes(map(number.__getitem__, each)) for each in keys)
        if len(names) > 256:
            codes = tuple(array("I", map(number.__getitem__, each)) for each in keys)
    elif len(names) <= 256:
        codes = bytes(map(number.__getitem__, keys))
    else:
        codes = array("I", map(number.__getitem__, keys))
    docnums = defaultdict(list)
    for docnum, key in enumerate(keys):
        for each in key if several else (key,):
            docnums[each].append(docnum)
    # No group for statements without the value, as in _counts.
    bits = {key: bit_set(found, size) for key, found in docnums.items() if key not in (None, "")}
    return Facet(names, codes, bits)


# Bit j of a byte set for value 1: to pack one byte per document into one bit.
_BIT_TABLES = [bytes.maketrans(b"\x00\x01", bytes((0, 1 << j))) for j in range(8)]


def bit_set(docnums: Iterable[int], size: int) -> int:
    """An int with bit d set for each document number d."""
    # One byte a document first (set in C), then packed eight to a byte with slices.
    flags = bytearray(size + -size % 8)
    deque(map(flags.__setitem__, docnums, repeat(1)), maxlen=0)
    packed = 0
    for j, table in enumerate(_BIT_TABLES):
        packed |= int.from_bytes(flags[j::8].translate(table), "little")
    return packed


class Analysed(dict):
    """Each word as written → the term an analyzer makes of it in a highlighter's call."""

    def __init__(self, analyzer) -> None:
        super().__init__()
        self.analyzer = analyzer

    def __missing__(self, word: str) -> str:
        # The analyzer's filters each act on one token, so a word analyses alike in any text.
        tokens = [
            token.text
            for token in self.analyzer(
                word, positions=True, chars=True, mode="index", removestops=False
            )
        ]
        if len(tokens) != 1:
            raise Unsupported
        self[word] = tokens[0]
        return tokens[0]
