"""Archive → Whoosh index: the schema, the analyzer, and an atomic swap of whole builds.

Layout under the index root (by default `var/index`, outside `output/`: Whoosh pickles
the stored fields, so the index must never be published)::

    builds/<name>/   one complete, checked Whoosh index per build
    current          symlink → builds/<name>, replaced atomically by os.replace

Readers only ever open the target of `current`, so they never see a half-written index;
the previous build is kept, so a searcher opened just before a swap keeps working.
"""

from __future__ import annotations

import fcntl
import hashlib
import heapq
import json
import marshal
import os
import pickle
import re
import shutil
import struct
import tempfile
import time
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain, groupby, repeat
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import whoosh
from whoosh import index as whoosh_index
from whoosh.analysis import (
    STOP_WORDS,
    CharsetFilter,
    CompositeAnalyzer,
    Filter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    SubstitutionFilter,
)
from whoosh.codec.whoosh3 import W3FieldWriter
from whoosh.fields import ID, KEYWORD, STORED, TEXT, FieldType, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.query import Term
from whoosh.support.charset import accent_map

from ..model import Archive, Statement, statement_title
from ..records import collector_paused
from .answers import UNDATED, UNDATED_LABEL
from .whoosh_internals import BulkSegmentWriter, use_block_writer

if TYPE_CHECKING:
    from ..exports.references import References

DEFAULT_INDEX_DIR = Path("var", "index")  # relative to the archive's root folder
CURRENT = "current"
BUILDS = "builds"
# In each build beside Whoosh's files: every indexed word as written (analysed, unstemmed)
# and the number of statements using it, one a line, for "did you mean". A word list costs
# a fraction of what a second, unstemmed field of postings would.
SPELLINGS = "spellings.txt"
SPELLED_FIELDS = ("headline", "text", "speaker", "outlet", "themes")
# Display names of the facet values (speaker, outlet and theme ids), so the search service
# can label facets without loading the archive.
LABELS = "labels.json"
# The themes' and outlets' other names, analysed → the record: answers say "Daesh is another
# name for the theme ISIS" (the statements are found through the indexed names themselves).
OTHER_NAMES = "other_names.json"
MANIFEST = "documents.json"  # id → fingerprint of the fields indexed for it
# Postings a cold build holds in memory (some 30 MB) before it writes them to a run file.
SPILL_POSTINGS = 1_000_000
# Field values up to this long (names, labels, ids, dates) are analysed once between spills.
REPEATED_CHARS = 300
# A field's repr shows neither its analyzer nor how the spellings are counted, so a build
# written by another version of this module is never copied and corrected, only replaced.
_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()

# A word is letters/digits joined by intra-word apostrophes, straight or curly, so that
# "Sha'bi" stays one token instead of "sha" + "bi"; hyphens split ("vis-à-vis"). Letters
# each followed by a full stop are one word too ("U.S.", "U.N.": `CaseAwareLowercase`).
WORD_PATTERN = r"(?:[^\W\d_]\.){2,}(?!\w)|\w+(?:['’]\w+)*"
APOSTROPHES = "['’]"
# A cold build counts a document's words for the spellings just before the writer indexes
# them: remembering the last few fields' words spares splitting every text twice.
_words_of = lru_cache(maxsize=32)(re.compile(WORD_PATTERN).findall)


class IndexBuildError(Exception):
    """The new index could not be built or failed its check; `current` was not touched."""


class IndexMissing(Exception):
    """There is no built index where one was expected."""


def name_analyzer():
    """Tokenize, lowercase, fold accents, drop apostrophes: "Sha’bi", "Sha'bi", "Shabi" agree.

    Stop words go here too: a query word must match in some field, so a stop word kept
    in the name fields alone would make "the Basij" find nothing. No stemming: names and
    spelling suggestions keep their words as written.
    """
    return (
        RegexTokenizer(WORD_PATTERN)
        | CaseAwareLowercase()
        | CharsetFilter(accent_map)
        | SubstitutionFilter(APOSTROPHES, "")
        | CapitalsKept()
        | StopFilter()
    )


# The query language's operators: a stray one ("Basij OR") is never a word in capitals.
QUERY_OPERATORS = frozenset({"AND", "OR", "NOT", "TO"})


class CaseAwareLowercase(Filter):
    """Lower case, except a stop word written in capitals: `US` is the country, `us` is not.

    An abbreviation loses its full stops first ("U.S." is `US`, "U.N." is `un`). A capital
    stop word is lowered here too, for the filters between (Whoosh's `accent_map` folds
    the case of some letters: "US" would become "Us"), and marked, for `CapitalsKept` to
    raise again before the stop list (which holds lower-case words): `US` and `U.S.` find
    each other, and `us` finds nothing.
    """

    def __call__(self, tokens):
        for t in tokens:
            text = t.text.replace(".", "") if "." in t.text else t.text
            t.capitals = (
                len(text) > 1
                and text.isupper()
                and text.lower() in STOP_WORDS
                and text not in QUERY_OPERATORS
            )
            t.text = text.lower()
            yield t


class CapitalsKept(Filter):
    """A stop word `CaseAwareLowercase` found in capitals, in capitals again."""

    def __call__(self, tokens):
        for t in tokens:
            if getattr(t, "capitals", False):
                t.text = t.text.upper()
            yield t


def text_analyzer():
    """`name_analyzer` plus stemming, for running text ("triumphs" → "triumph")."""
    return name_analyzer() | StemFilter()


def _text(analyzer, **options) -> TEXT:
    # One query word that analyses to several ("vis-à-vis", "mohammad-ali-jafari") must
    # match them in order, not anywhere in the statement.
    return TEXT(analyzer=analyzer, multitoken_query="phrase", **options)


def index_schema() -> Schema:
    """How each field is analysed, stored and sorted: the fields whose values the export
    registry makes (`Field.index`) and the index's own (`OWN_FIELDS`)."""
    text, names = text_analyzer(), name_analyzer()
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        headline=_text(text, stored=True, field_boost=2.0),
        text=_text(text, stored=True),
        # The fields whose words are counted for "did you mean" are all stored: an incremental
        # build takes a changed statement's old words out of the counts.
        speaker=_text(names, stored=True, field_boost=1.5),  # name and every other spelling
        speaker_id=ID(stored=True, sortable=True),
        speaker_name=STORED(),
        title=STORED(),  # model.statement_title: what a hit is shown as
        role=_text(text),
        venue=_text(text),
        outlet=_text(names, stored=True),
        outlet_id=ID(stored=True, sortable=True),
        source_id=ID(stored=True, sortable=True),  # the report quoting it: a facet, a filter
        themes=_text(names, stored=True),
        theme_ids=KEYWORD(stored=True, commas=True, scorable=False),
        # ISO dates and four-digit years sort and range-compare as strings, and a record
        # without a date has no value at all (a number column would invent one).
        date=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        quoted_speakers=_text(names),  # speakers of the statements quoted in it
        # Kinds of the claims the statement makes (`threat`, `prediction`, ...): a filter.
        claim_kinds=KEYWORD(stored=True, commas=True, scorable=False),
    )


def _speaker_names(archive: Archive, speaker_id: str) -> list[str]:
    speaker = archive.speakers.get(speaker_id)
    if speaker is None:
        return [speaker_id]
    names = [speaker.name, *speaker.other_names]
    if speaker.honorific:  # "Ayatollah Jannati", "General Soleimani" find the speaker
        names.append(speaker.honorific)
    if speaker.name_original:
        names.extend(speaker.name_original.paragraphs)
    return names


# The index's own fields, made by `document` for searching and showing hits alone. Every
# other field of `index_schema` holds an exported statement field's value and is declared
# with it in the export registry (`exports.columns.STATEMENTS`, `Field.index`); a test
# fails when the two lists and the schema disagree.
OWN_FIELDS = ("speaker", "title", "outlet", "themes", "quoted_speakers", "claim_kinds", "year")


@lru_cache(maxsize=1)
def _from_registry() -> tuple[tuple[Callable, tuple[tuple[str, Callable], ...]], ...]:
    """(read, ((index field, make), ...)) of each registry field the index holds.

    The registry, not a table here, names them: an exported field's reading (and its
    string form, as for a CSV cell) is then spelled in one place for JSON, CSV, SQLite
    and the index, and a field added to the index is one `Indexed` beside its other forms.
    A table here would name each exported field a second time, and would not be seen by
    whoever changes the field in the registry.
    Imported when the first document is made, not with this module: `onrecord search` and
    the search service import this module only to open an index, and `exports` brings
    sqlite-utils: 50 ms more start-up (`python -X importtime`) for a search that itself
    takes some 10 ms.
    """
    from ..exports.columns import STATEMENTS

    return tuple(
        (f.read, tuple((value.name, value.make) for value in f.index))
        for f in STATEMENTS.fields
        if f.index
    )


def _references(archive: Archive) -> References:
    """What registry fields are read with, made once per build: each `{id, name, url}` of a
    speaker, outlet, source or theme is then made once, not once per statement."""
    from ..exports.references import References

    return References(archive, "")  # the index stores ids and names, never a page's URL


def document(archive: Archive, statement: Statement, references: References | None = None) -> dict:
    """The fields Whoosh indexes and stores for one statement.

    First the exported fields' values, each read and made by the registry, then the
    index's own (`OWN_FIELDS`). `references`, made once for many documents, shares the
    records' `{id, name, url}` between them.
    """
    if references is None:
        references = _references(archive)
    fields = {}
    for read, values in _from_registry():
        exported = read(statement, references)
        for name, make in values:
            value = make(exported)
            # Whoosh rejects None; leaving a field out is how "no value" is said.
            if value is not None:
                fields[name] = value
    speaker_names = _speaker_names(archive, statement.speaker_id)
    speaker = archive.speakers.get(statement.speaker_id)
    outlet = archive.outlets.get(statement.outlet_id) if statement.outlet_id else None
    # A theme's and an outlet's other names (synonyms the editors keep) are words of it.
    themes = [
        name
        for t in statement.theme_ids
        if t in archive.themes
        for name in (archive.themes[t].name, *archive.themes[t].other_names)
    ]
    quoted_speakers = []
    for quote in statement.quotes:
        quoted = archive.statements.get(quote.statement_id)
        if quoted is not None:
            quoted_speakers.extend(_speaker_names(archive, quoted.speaker_id))
    # The name as this statement's source prints it is a name of the speaker here.
    fields["speaker"] = "\n".join([*speaker_names, statement.speaker_as or ""]).strip()
    fields["title"] = statement_title(statement, speaker) if speaker else statement.id
    fields["outlet"] = "\n".join((outlet.name, *outlet.other_names)) if outlet else ""
    fields["themes"] = "\n".join(themes)
    fields["quoted_speakers"] = "\n".join(quoted_speakers)
    fields["claim_kinds"] = ",".join(
        sorted({span.claim.kind for span in archive.claims_by_statement.get(statement.id, ())})
    )
    fields["year"] = f"{statement.date.year:04d}" if statement.date else UNDATED
    return fields


def build_index(
    archive: Archive,
    index_root: Path = DEFAULT_INDEX_DIR,
    *,
    procs: int = 1,
    activate: bool = True,
    only: frozenset[str] | None = None,
) -> Path:
    """Write a new index of the published statements, check it, and (by default) swap it in.

    Returns the new build's folder. With `activate=False` the build is only written and
    checked; `activate(index_root, build)` swaps it in later (the site build does this
    once the pages are rendered, so site and index change together). `only`: the ids of
    the statements whose documents can differ from the previous build's, as an edit of
    their words (reach.py) tells; the others' documents are not made again.
    Raises `IndexBuildError`; on failure `current` still points to the previous index.
    """
    index_root = Path(index_root)
    previous = _reusable(index_root)
    build = _new_build_dir(index_root)
    try:
        _write(archive, build, procs, previous, only)
        _check(archive, build)
    except BaseException as error:
        shutil.rmtree(build, ignore_errors=True)
        if not isinstance(error, Exception):  # Ctrl-C: clean up, but let it through
            raise
        raise IndexBuildError(
            f"search index not built in {build}: {error}; the current index is unchanged"
        ) from error
    if activate:
        _swap_in(index_root, build)
    return build


def activate(index_root: Path, build: Path) -> None:
    """Point `index_root/current` at `build` atomically; delete builds older than the previous."""
    _swap_in(Path(index_root), Path(build))


def _swap_in(index_root: Path, build: Path) -> None:
    if not whoosh_index.exists_in(str(build)):
        raise IndexBuildError(f"{build} holds no index; the current index is unchanged")
    current = index_root / CURRENT
    with _lock(index_root):
        previous = current.resolve() if current.is_symlink() else None
        if current.exists() and not current.is_symlink():
            raise IndexBuildError(f"{current} is not a symlink; remove it and build again")
        temporary = index_root / f".{CURRENT}-{os.getpid()}-{time.monotonic_ns()}"
        # A relative target keeps the index root movable (and valid inside containers).
        os.symlink(os.path.relpath(build.resolve(), index_root.resolve()), temporary)
        os.replace(temporary, current)
        _prune(index_root / BUILDS, build.resolve(), previous)


def current_build(index_root: Path) -> Path:
    """The build folder `current` points to; `IndexMissing` when there is none."""
    current = Path(index_root) / CURRENT
    if not current.is_symlink():
        raise IndexMissing(_missing(current))
    return Path(os.path.realpath(current))


def open_build(build: Path) -> whoosh_index.Index:
    """Open one build's index (`IndexMissing` if it is not there)."""
    if not whoosh_index.exists_in(str(build)):
        raise IndexMissing(_missing(build))
    return whoosh_index.open_dir(str(build))


def _open_unmapped(build: Path) -> whoosh_index.Index:
    """A build's index read through its files, for the builder's own few reads.

    Whoosh copies a memory-mapped segment into memory when it opens it: at 100,000
    statements that is 200 MB copied and 200 MB of mapped pages, for one check query.
    """
    return FileStorage(str(build), supports_mmap=False).open_index()


def open_index(index_root: Path) -> whoosh_index.Index:
    """Open the index `current` points to; `IndexMissing` (with what to run) when there is none."""
    return open_build(current_build(index_root))


def _missing(where: Path) -> str:
    return f"no search index at {where}: run `make html` (or `onrecord build`) to build it"


def _new_build_dir(index_root: Path) -> Path:
    builds = index_root / BUILDS
    stamp = time.strftime("%Y%m%dT%H%M%S")
    try:
        builds.mkdir(parents=True, exist_ok=True)
        # Names sort in build order; the counter keeps two builds in one second apart.
        for counter in range(1000):
            build = builds / f"{stamp}-{counter:03d}"
            try:
                build.mkdir()
            except FileExistsError:
                continue
            return build
    except OSError as error:
        raise IndexBuildError(f"cannot create a build folder in {builds}: {error}") from error
    raise IndexBuildError(f"too many builds in {builds} this second")


def read_spellings(build: Path) -> dict[str, int]:
    """A build's words, sorted, with the number of statements using each."""
    try:
        lines = (Path(build) / SPELLINGS).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    return {word: int(count) for word, count in (line.split(" ") for line in lines if line)}


def _fingerprint(fields: dict[str, str]) -> str:
    """A digest of a document as `document` makes it (every value a string).

    Every build hashes every document to find the changed ones, so no JSON: escaping the
    texts took over a second of a 3 s rebuild after one edit at 100,000 statements. The lengths
    up front keep the joined parts apart whatever characters the values hold.
    """
    parts = [*chain.from_iterable(fields.items())]
    joined = "\x1f".join([",".join(map(str, map(len, parts))), *parts])
    return hashlib.blake2b(joined.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _schema_fingerprint() -> str:
    described = {
        "fields": {name: repr(field) for name, field in index_schema().items()},
        "code": _CODE,
        "whoosh": whoosh.versionstring(),
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


def _reusable(index_root: Path) -> tuple[Path, dict[str, str]] | None:
    """The current build and its manifest, when a new build can start from a copy of it."""
    try:
        build = current_build(index_root)
        manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    except (IndexMissing, OSError, ValueError):
        return None
    if manifest.get("schema") != _schema_fingerprint():
        return None
    return build, manifest["documents"]


def _write(
    archive: Archive,
    build: Path,
    procs: int,
    previous: tuple[Path, dict[str, str]] | None,
    only: frozenset[str] | None = None,
) -> None:
    """Index every published statement into `build`.

    With a previous build of the same schema, its files are copied and only the statements
    whose indexed fields changed are deleted and added again: a rebuild after one edit
    re-indexes one document, not all of them, and corrects the word counts by that one.
    Documents are made one at a time and let go once written (at 100,000 statements their
    texts alone would take hundreds of megabytes); only their fingerprints are kept.
    With `only`, only those statements' documents are made and compared; every other one
    keeps the previous build's: making all 100,000 to find the one that changed took 3.1 s
    of an edit build's CPU, in a process beside the two rendering on this 2-core machine.
    """
    fingerprints: dict[str, str] = {}
    if previous is None:
        words: Counter[str] = Counter()
        _write_all(build, _documents(archive, fingerprints, words), procs)
        spellings = _spelled(words)
    else:
        old_build, old = previous
        published = [statement.id for statement in archive.chronological]
        if only is not None and not all(key in old or key in only for key in published):
            only = None  # a statement the previous build left out: every document is made
        fresh = [
            fields
            for fields in _documents(archive, fingerprints, only=only)
            if old.get(fields["id"]) != fingerprints[fields["id"]]
        ]
        if only is not None:  # in list order, as a build making every document has them
            fingerprints = {key: fingerprints.get(key) or old[key] for key in published}
        stale = [key for key, print_ in old.items() if fingerprints.get(key) != print_]
        removed = _write_changes(old_build, build, stale, fresh)
        spellings = Counter(read_spellings(old_build)) - _spellings(removed) + _spellings(fresh)
    _write_spellings(build, spellings)
    _write_labels(build, archive)
    (build / OTHER_NAMES).write_text(json.dumps(other_names(archive), ensure_ascii=False), "utf-8")
    manifest = {"schema": _schema_fingerprint(), "documents": fingerprints}
    (build / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _documents(
    archive: Archive,
    fingerprints: dict[str, str],
    words: Counter[str] | None = None,
    *,
    only: frozenset[str] | None = None,
) -> Iterator[dict]:
    """Each published statement's document (of those in `only`, when given), fingerprinted
    (and its words counted) on the way."""
    references = _references(archive)
    for statement in archive.chronological:
        if only is not None and statement.id not in only:
            continue
        fields = document(archive, statement, references)
        fingerprints[statement.id] = _fingerprint(fields)
        if words is not None:
            words.update(_raw_words(fields))
        yield fields


def _write_all(build: Path, documents: Iterable[dict], procs: int) -> None:
    ix = whoosh_index.create_in(str(build), index_schema())
    # Several processes each write their own segment; merging them costs more than it saves.
    writer = ix.writer(procs=procs, multisegment=True) if procs > 1 else _BulkWriter(ix)
    # The writer makes and drops millions of objects, none in a cycle: at 100,000 statements
    # the collector's passes over them took 3 s of the build, to find nothing.
    with collector_paused(), writer:  # the writer commits, or cancels on an exception
        for fields in documents:
            writer.add_document(**fields)


def _write_changes(old_build: Path, build: Path, stale: list[str], fresh: list[dict]) -> list[dict]:
    """Copy `old_build` into `build`, then delete `stale` and add `fresh` documents.

    Returns the stored fields the stale documents had, whose words leave the spellings.
    """
    shutil.copytree(old_build, build, dirs_exist_ok=True, copy_function=_linked_or_copied)
    ix = _open_unmapped(build)
    with ix.searcher() as searcher:
        removed = [searcher.document(id=key) for key in stale]
    writer = ix.writer()
    try:
        for key in stale:
            writer.delete_by_term("id", key)
        for fields in fresh:
            writer.add_document(**fields)
    except BaseException:
        writer.cancel()
        raise
    writer.commit(mergetype=merge_small_segments)
    return [fields for fields in removed if fields is not None]


def _linked_or_copied(source: str, target: str) -> str:
    """A segment file linked into the new build, any other file copied.

    Whoosh writes a segment's file once and never changes it (the deletions go in the new
    table of contents), so both builds can hold it: copying it was 1.2 s of an edit build at
    100,000 statements (258 MB). Our own files (spellings, labels...) are rewritten in
    place, so they are copied, as a segment is where the file system cannot link.
    """
    if source.endswith(SEGMENT_SUFFIX):
        try:
            os.link(source, target)
            return target
        except OSError:
            pass
    return shutil.copy2(source, target)


SEGMENT_SUFFIX = ".seg"  # Whoosh's compound segment files (W3Codec)


# A segment this much smaller than the largest is merged at every update (`_write_changes`).
SMALL_SEGMENT_SHARE = 0.1


def merge_small_segments(writer, segments: list) -> list:
    """Whoosh's merge policy for an update: every segment but the large ones merged into the
    new one. Each edit build adds a segment, and a query pays for each (term lookups, a
    matcher, the facets' tables); Whoosh's own policy (MERGE_SMALL) merges nothing until
    there are five and keeps segments whose documents were all replaced. A segment of
    `SMALL_SEGMENT_SHARE` of the largest or more is kept: merging it would copy it at every
    edit.
    """
    from whoosh.reading import SegmentReader

    largest = max((s.doc_count_all() for s in segments), default=0)
    kept = []
    for segment in segments:
        if segment.doc_count_all() >= largest * SMALL_SEGMENT_SHARE and segment.doc_count():
            kept.append(segment)
            continue
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return kept


class _BulkWriter(BulkSegmentWriter):
    """Whoosh's segment writer for a whole new index, without its costs per posting.

    Whoosh queues every posting in a sorting pool, looks each posting's document length up
    again on disk while writing it, runs the analyzer's chain of generators on every word,
    and hands the postings writer one posting per call. This writer keeps each term's
    postings in memory in document order (documents arrive in order, so nothing needs
    sorting but the terms), keeps the lengths, analyses each distinct word once, and hands
    over whole blocks. Past `SPILL_POSTINGS` the held postings go to a run file on disk,
    sorted by term; the runs are merged term by term into the one segment at the end, so
    memory stays flat however large the archive.

    It writes the index Whoosh's writer would (a test compares every posting), in bigger
    blocks pickled for the search to read fast (see `block_pickle`). The internals of
    whoosh-reloaded 2.7.5 it relies on are touched in `whoosh_internals` (BulkSegmentWriter,
    BlockWriter). It takes documents as `document` makes them: no boosts, no None.
    """

    def __init__(self, ix: whoosh_index.Index) -> None:
        super().__init__(ix)
        if self.segments:
            raise ValueError("the bulk writer writes a new index, not into an existing one")
        words = [_Words(analyzer) for analyzer in (name_analyzer(), text_analyzer())]
        self.postings = {
            name: _FieldPostings(
                field, next((w for w in words if w.analyzer == field.analyzer), None)
            )
            for name, field in self.schema.items()
            if field.indexed
        }
        self.runs: list[BinaryIO] = []

    def add_document(self, **fields) -> None:
        docnum = self.docnum
        perdoc = self.perdocwriter
        perdoc.start_doc(docnum)
        for name in sorted(fields):  # Whoosh's order: column and stored values in field order
            field, value = self.schema[name], fields[name]
            length = self.postings[name].add(docnum, value) if field.indexed else 0
            perdoc.add_field(name, field, value if field.stored else None, length)
            if field.column_type:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
        self.mark_added()
        self.docnum += 1
        if sum(postings.held for postings in self.postings.values()) >= SPILL_POSTINGS:
            self._spill()

    def commit(self) -> None:
        super().commit(merge=False)  # a new index has nothing to merge

    def _spill(self) -> None:
        # An unnamed file beside the index: on the index's disk, gone when `finished` closes it.
        run = tempfile.TemporaryFile(dir=self.storage.folder)  # noqa: SIM115
        self.runs.append(run)
        for record in self._held_records():
            data = marshal.dumps(record)
            run.write(_RUN_SIZE.pack(len(data)))
            run.write(data)
        run.seek(0)
        for postings in self.postings.values():
            postings.clear()

    def _held_records(self) -> Iterator[_Record]:
        for name in sorted(self.postings):  # Whoosh writes fields, and terms, in sorted order
            yield from self.postings[name].records(name)

    def write_postings(self, fieldwriter: W3FieldWriter) -> None:
        # The runs hold earlier documents than what is still in memory, and `merge` keeps
        # the order of its sources for equal terms: each term's postings stay in order.
        sources = [*map(_read_run, self.runs), self._held_records()]
        records = heapq.merge(*sources, key=itemgetter(0, 1))
        for name, in_field in groupby(records, itemgetter(0)):
            self.postings[name].write(fieldwriter, name, in_field)

    def finished(self) -> None:  # after a commit or a cancel
        for run in self.runs:
            run.close()


# One term's postings in one field: (field name, term, the bytes of the document numbers'
# array("I") and of the weights' array("d"), the encoded values).
_Record = tuple[str, bytes, bytes, bytes, list[bytes]]
_RUN_SIZE = struct.Struct("<I")  # each record in a run file: its size, then its marshal


def _read_run(run: BinaryIO) -> Iterator[_Record]:
    while header := run.read(_RUN_SIZE.size):
        (size,) = _RUN_SIZE.unpack(header)
        yield marshal.loads(run.read(size))


class _Words:
    """What an analyzer of `name_analyzer`'s kind makes of each distinct word, learnt once.

    Its filters act on one token at a time, so a word always analyses the same: to one
    term, or to None for a stop word. Positions follow Whoosh's StopFilter: the first
    kept word keeps its place, each next kept word takes the next position.
    """

    def __init__(self, analyzer: CompositeAnalyzer) -> None:
        self.analyzer = analyzer
        self.terms: dict[str, bytes | None] = {}  # word as written → term as indexed

    def positions(self, value: str) -> dict[bytes, tuple[int, ...]]:
        """Each term of `value` with its positions, as Whoosh's Positions format counts them."""
        terms = self.terms
        positions: dict[bytes, tuple[int, ...]] = {}
        pos = None
        for place, raw in enumerate(_words_of(value)):
            term = terms[raw] if raw in terms else self._learn(raw)
            if term is None:
                continue
            pos = place if pos is None else pos + 1
            # Tuples, as the keys of `_FieldPostings.encoded`; most terms occur once or twice.
            if term in positions:
                positions[term] += (pos,)
            else:
                positions[term] = (pos,)
        return positions

    def _learn(self, raw: str) -> bytes | None:
        token = next(iter(self.analyzer(raw, mode="index")), None)
        term = self.terms[raw] = None if token is None else token.text.encode()
        return term


# A value's postings, (term, (weight, encoded value)) in the order found, and its length.
_ValuePostings = tuple[list[tuple[bytes, tuple[float, bytes]]], int]


class _FieldPostings:
    """One field's postings: by term, the held documents and values, in document order."""

    def __init__(self, field: FieldType, words: _Words | None) -> None:
        self.field = field
        self.words = words  # None: the field's own analysis (ids, keywords: one word or few)
        self.terms: dict[bytes, tuple[array, list[tuple[float, bytes]]]] = {}
        self.held = 0  # postings in `terms`
        # Words indexed, by document (Whoosh stores it rounded). Kept for every document, not
        # emptied with the held postings: the merge at the end wants each posting's.
        self.lengths = array("I")
        # Most words occur once in a statement, at one of a few hundred positions: their
        # (weight, encoded positions) repeat, so each is encoded once and shared. Emptied
        # with the held postings: the keys of words occurring more than once seldom repeat.
        self.encoded: dict[tuple[int, ...], tuple[float, bytes]] = {}
        self.value_postings: dict[str, _ValuePostings] = {}  # short values (`_value_postings`)

    def add(self, docnum: int, value: str) -> int:
        """Index `value` for document `docnum`; returns its length (the words indexed)."""
        postings, length = self._value_postings(value)
        self.held += len(postings)
        terms = self.terms
        for term, weight_value in postings:
            entry = terms.get(term)
            if entry is None:
                terms[term] = (array("I", (docnum,)), [weight_value])
            else:
                entry[0].append(docnum)
                entry[1].append(weight_value)
        if not self.field.scorable:
            return 0
        lengths = self.lengths
        lengths.extend(repeat(0, docnum - len(lengths)))  # documents without this field
        lengths.append(length)
        return length

    def _value_postings(self, value: str) -> _ValuePostings:
        """`value`'s terms with their (weight, encoded value), and the words indexed."""
        known = self.value_postings.get(value)
        if known is not None:
            return known
        found = self._index(value) if self.words is None else self._positions(value)
        # Names, labels, ids and dates repeat from statement to statement; texts do not,
        # and would only take memory.
        if len(value) <= REPEATED_CHARS:
            self.value_postings[value] = found
        return found

    def _positions(self, value: str) -> _ValuePostings:
        positions = self.words.positions(value)
        encoded = self.encoded
        postings = [
            (term, encoded.get(key) or self._encode(key)) for term, key in positions.items()
        ]
        return postings, sum(map(len, positions.values()))

    def _index(self, value: str) -> _ValuePostings:
        # Ids, dates, years, keywords: Whoosh's own analysis.
        items = list(self.field.index(value))
        postings = [(term, (weight, vbytes or b"")) for term, _, weight, vbytes in items]
        return postings, sum(freq for _, freq, _, _ in items)

    def _encode(self, positions: tuple[int, ...]) -> tuple[float, bytes]:
        form = self.field.format
        encoded = self.encoded[positions] = (
            len(positions) * form.field_boost,
            form.encode(list(positions)),
        )
        return encoded

    def records(self, name: str) -> Iterator[_Record]:
        """The held postings, term by term in sorted order."""
        for term in sorted(self.terms):
            docnums, values = self.terms[term]
            weights = array("d", map(itemgetter(0), values))
            yield name, term, docnums.tobytes(), weights.tobytes(), list(map(itemgetter(1), values))

    def clear(self) -> None:
        self.terms = {}
        self.held = 0
        self.encoded = {}
        self.value_postings = {}

    def write(self, writer: W3FieldWriter, name: str, records: Iterable[_Record]) -> None:
        """Write the field's terms from `records`, sorted by term, several for one term."""
        writer.start_field(name, self.field)
        blocks = use_block_writer(writer, BLOCK_POSTINGS, block_pickle)
        lengths = self.lengths if self.field.scorable else None
        for term, parts in groupby(records, itemgetter(1)):
            docnums, weights, values = array("I"), array("d"), []
            for _, _, part_docnums, part_weights, part_values in parts:
                docnums.frombytes(part_docnums)
                weights.frombytes(part_weights)
                values += part_values
            writer.start_term(term)
            blocks.add_postings(docnums, weights, values, lengths)
            writer.finish_term()
        writer.finish_field()


# Postings a block holds: Whoosh writes 128; the search reads whole terms, a block at a time,
# and each block costs as much again in reads and calls as its postings' decoding.
BLOCK_POSTINGS = 512
# A block's pickle opens with PROTO 4, then pushes and pops the length of the part holding
# the ids and the weights: a no-op for Whoosh, the place `ids_and_weights` reads it from.
_PROTO_4 = b"\x80\x04"
_LENGTH_NOTE = struct.Struct("<cHc")  # BININT2 n, POP
_NOTE = _LENGTH_NOTE.size


def block_pickle(ids: tuple, weights, values) -> bytes:
    """The pickle of a block's (ids, weights, values), noting where the values start.

    The bulk writer's blocks are pickled by this rather than by Whoosh's protocol 2, which
    writes every posting's encoded positions as a call to codecs.encode: reading a block
    back took four times as long, and blocks were twice the size (compressed). Whoosh
    unpickles either (whoosh_internals.BlockWriter).
    """
    data = pickle.dumps((ids, weights, values), 4)
    head = _unframed(pickle.dumps((ids, weights), 4))
    body = _unframed(data)
    # The opcodes of ids and weights are the same in both pickles, TUPLE2 MEMOIZE aside.
    if head is None or body is None or not head.endswith(b"\x86\x94"):
        return data
    head = head[:-2]
    if len(head) > 0xFFFF or not body.startswith(head):
        return data
    return _PROTO_4 + _LENGTH_NOTE.pack(b"M", len(head), b"0") + body + b"."


def _unframed(data: bytes) -> bytes | None:
    """A protocol-4 pickle's opcodes after PROTO, without its one frame and STOP."""
    if not data.startswith(_PROTO_4) or not data.endswith(b"."):
        return None
    if data[2:3] != b"\x95":  # too short to be framed
        return data[2:-1]
    if int.from_bytes(data[3:11], "little") != len(data) - 11:  # several frames
        return None
    return data[11:-1]


def ids_and_weights(data: bytes, compressed: bool) -> tuple | None:
    """A block's (ids, weights) from its stored data, skipping the values; None if not noted."""
    if compressed:
        inflate = zlib.decompressobj()
        note = inflate.decompress(data, _NOTE + 2)
    else:
        note = data[: _NOTE + 2]
    if note[:2] != _PROTO_4 or note[2:3] != b"M" or note[_NOTE + 1 : _NOTE + 2] != b"0":
        return None
    _, length, _ = _LENGTH_NOTE.unpack(note[2:])
    start = _NOTE + 2
    head = (
        inflate.decompress(inflate.unconsumed_tail, length)
        if compressed
        else data[start : start + length]
    )
    return pickle.loads(_PROTO_4 + head + b"\x86.")


def _write_labels(build: Path, archive: Archive) -> None:
    (build / LABELS).write_text(json.dumps(facet_labels(archive), ensure_ascii=False), "utf-8")


def other_names(archive: Archive) -> dict[str, list[str]]:
    """Each theme's and outlet's other name, its words analysed and joined by a space,
    → `[kind, id]` of the record (the first record naming it, in id order)."""
    named: dict[str, list[str]] = {}
    analyze = name_analyzer()
    for kind, records in (("theme", archive.themes), ("outlet", archive.outlets)):
        for record_id, record in sorted(records.items()):
            for name in record.other_names:
                key = " ".join(token.text for token in analyze(name))
                if key:
                    named.setdefault(key, [kind, record_id])
    return named


def read_other_names(build: Path) -> dict[str, list[str]]:
    """`other_names` as the build recorded them ({} for a build from before they were)."""
    try:
        return json.loads((Path(build) / OTHER_NAMES).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def facet_labels(archive: Archive) -> dict[str, dict[str, str]]:
    """What each facet value (an id, or `undated`) is shown as, on either search page."""
    return {
        "speaker": {key: record.name for key, record in archive.speakers.items()},
        "outlet": {key: record.name for key, record in archive.outlets.items()},
        "theme": {key: record.name for key, record in archive.themes.items()},
        "source": {key: record.title for key, record in archive.sources.items()},
        "year": {UNDATED: UNDATED_LABEL},
    }


def read_labels(build: Path) -> dict[str, dict[str, str]]:
    """`{"speaker": {id: name}, "outlet": {...}, "theme": {...}}` as the build recorded them."""
    try:
        return json.loads((Path(build) / LABELS).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"speaker": {}, "outlet": {}, "theme": {}}


def _spellings(documents: Iterable[dict]) -> Counter[str]:
    """Each analysed word of the spelled fields, with the number of statements using it.

    A statement counts once for each way it writes a word ("Sha'bi" and "Shabi" are two).
    """
    words: Counter[str] = Counter()
    for fields in documents:
        words.update(_raw_words(fields))
    return _spelled(words)


def _raw_words(fields: dict) -> set[str]:
    """The words of a document's spelled fields as written, each once."""
    return set().union(*map(_words_of, map(fields.__getitem__, SPELLED_FIELDS)))


def _spelled(words: Counter[str]) -> Counter[str]:
    """Statements by analysed word, from statements by word as written."""
    # Each distinct raw word is analysed once, exactly as a query word will be.
    analyze = name_analyzer()
    spellings: Counter[str] = Counter()
    for raw, count in words.items():
        for token in analyze(raw):
            spellings[token.text] += count
    return spellings


def _write_spellings(build: Path, spellings: Counter[str]) -> None:
    lines = "".join(f"{word} {spellings[word]}\n" for word in sorted(spellings))
    (build / SPELLINGS).write_text(lines, encoding="utf-8")


def _check(archive: Archive, build: Path) -> None:
    expected = len(archive.chronological)
    with _open_unmapped(build).searcher() as searcher:
        if searcher.doc_count() != expected:
            raise IndexBuildError(
                f"the index holds {searcher.doc_count()} statements, the archive {expected}"
            )
        if not expected:
            return
        # A word of a known statement's text must find it through the text analyzer.
        known = archive.chronological[-1]
        words = [t.text for t in text_analyzer()("\n".join(known.paragraphs))]
        query = Term("text", words[0]) if words else Term("id", known.id)
        # Only whether it is among the hits: a common word has thousands, each a stored read.
        if searcher.search(query, filter=Term("id", known.id), limit=1).is_empty():
            raise IndexBuildError(f"the index does not find {known.id!r} by its own words")


def _prune(builds: Path, new: Path, previous: Path | None) -> None:
    if not builds.is_dir():  # the activated build was written elsewhere
        return
    for build in builds.iterdir():
        # Only older builds: a newer folder may be another build still being written.
        if build.name < new.name and build.resolve() != previous:
            shutil.rmtree(build, ignore_errors=True)


@contextmanager
def _lock(index_root: Path) -> Iterator[None]:
    """Serialise swaps between processes (two `make html` at once)."""
    index_root.mkdir(parents=True, exist_ok=True)
    with open(index_root / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
