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
import json
import os
import re
import shutil
import time
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import whoosh
from whoosh import index as whoosh_index
from whoosh.analysis import (
    CharsetFilter,
    CompositeAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    SubstitutionFilter,
)
from whoosh.codec.base import FieldWriter
from whoosh.fields import ID, KEYWORD, STORED, TEXT, FieldType, Schema
from whoosh.query import Term
from whoosh.support.charset import accent_map
from whoosh.writing import SegmentWriter

from ..model import Archive, Statement

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
MANIFEST = "documents.json"  # id → fingerprint of the fields indexed for it
# A field's repr shows neither its analyzer nor how the spellings are counted, so a build
# written by another version of this module is never copied and corrected, only replaced.
_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()

# A word is letters/digits joined by intra-word apostrophes, straight or curly, so that
# "Sha'bi" stays one token instead of "sha" + "bi"; hyphens split ("vis-à-vis").
WORD_PATTERN = r"\w+(?:['’]\w+)*"
APOSTROPHES = "['’]"
_WORD = re.compile(WORD_PATTERN)


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
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | SubstitutionFilter(APOSTROPHES, "")
        | StopFilter()
    )


def text_analyzer():
    """`name_analyzer` plus stemming, for running text ("triumphs" → "triumph")."""
    return name_analyzer() | StemFilter()


def _text(analyzer, **options) -> TEXT:
    # One query word that analyses to several ("vis-à-vis", "mohammad-ali-jafari") must
    # match them in order, not anywhere in the statement.
    return TEXT(analyzer=analyzer, multitoken_query="phrase", **options)


def schema() -> Schema:
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
        role=_text(text),
        venue=_text(text),
        outlet=_text(names, stored=True),
        outlet_id=ID(stored=True, sortable=True),
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
    if speaker.name_original:
        names.extend(speaker.name_original.paragraphs)
    return names


def document(archive: Archive, statement: Statement) -> dict:
    """The fields Whoosh indexes and stores for one statement."""
    speaker_names = _speaker_names(archive, statement.speaker_id)
    outlet = archive.outlets.get(statement.outlet_id) if statement.outlet_id else None
    themes = [archive.themes[t].name for t in statement.theme_ids if t in archive.themes]
    quoted_speakers = []
    for quote in statement.quotes:
        quoted = archive.statements.get(quote.statement_id)
        if quoted is not None:
            quoted_speakers.extend(_speaker_names(archive, quoted.speaker_id))
    text = "\n\n".join(statement.paragraphs)
    fields = {
        "id": statement.id,
        "headline": statement.headline or "",
        "text": text,
        "speaker": "\n".join(speaker_names),
        "speaker_id": statement.speaker_id,
        "speaker_name": speaker_names[0],
        "role": statement.role or "",
        "venue": statement.venue or "",
        "outlet": outlet.name if outlet else "",
        "themes": "\n".join(themes),
        "theme_ids": ",".join(statement.theme_ids),
        "quoted_speakers": "\n".join(quoted_speakers),
        "claim_kinds": ",".join(
            sorted({span.claim.kind for span in archive.claims_by_statement.get(statement.id, ())})
        ),
    }
    # Whoosh rejects None; leaving a field out is how "no value" is said.
    if statement.outlet_id:
        fields["outlet_id"] = statement.outlet_id
    if statement.date:
        fields["date"] = statement.date.isoformat()
        fields["year"] = f"{statement.date.year:04d}"
    return fields


def build_index(
    archive: Archive,
    index_root: Path = DEFAULT_INDEX_DIR,
    *,
    procs: int = 1,
    activate: bool = True,
) -> Path:
    """Write a new index of the published statements, check it, and (by default) swap it in.

    Returns the new build's folder. With `activate=False` the build is only written and
    checked; `activate(index_root, build)` swaps it in later (the site build does this
    once the pages are rendered, so site and index change together).
    Raises `IndexBuildError`; on failure `current` still points to the previous index.
    """
    index_root = Path(index_root)
    previous = _reusable(index_root)
    build = _new_build_dir(index_root)
    try:
        _write(archive, build, procs, previous)
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


def _fingerprint(fields: dict) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def _schema_fingerprint() -> str:
    return _fingerprint(
        {
            "fields": {name: repr(field) for name, field in schema().items()},
            "code": _CODE,
            "whoosh": whoosh.versionstring(),
        }
    )[:16]


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
    archive: Archive, build: Path, procs: int, previous: tuple[Path, dict[str, str]] | None
) -> None:
    """Index every published statement into `build`.

    With a previous build of the same schema, its files are copied and only the statements
    whose indexed fields changed are deleted and added again: a rebuild after one edit
    re-indexes one document, not all of them, and corrects the word counts by that one.
    """
    documents = {s.id: document(archive, s) for s in archive.chronological}
    fingerprints = {key: _fingerprint(fields) for key, fields in documents.items()}
    if previous is None:
        _write_all(build, documents.values(), procs)
        spellings = _spellings(documents.values())
    else:
        old_build, old = previous
        stale = [key for key, print_ in old.items() if fingerprints.get(key) != print_]
        fresh = [documents[key] for key, print_ in fingerprints.items() if old.get(key) != print_]
        removed = _write_changes(old_build, build, stale, fresh)
        spellings = Counter(read_spellings(old_build)) - _spellings(removed) + _spellings(fresh)
    _write_spellings(build, spellings)
    _write_labels(build, archive)
    manifest = {"schema": _schema_fingerprint(), "documents": fingerprints}
    (build / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _write_all(build: Path, documents: Iterable[dict], procs: int) -> None:
    ix = whoosh_index.create_in(str(build), schema())
    # Several processes each write their own segment; merging them costs more than it saves.
    writer = ix.writer(procs=procs, multisegment=True) if procs > 1 else _BulkWriter(ix)
    with writer:  # commits, or cancels on an exception
        for fields in documents:
            writer.add_document(**fields)


def _write_changes(old_build: Path, build: Path, stale: list[str], fresh: list[dict]) -> list[dict]:
    """Copy `old_build` into `build`, then delete `stale` and add `fresh` documents.

    Returns the stored fields the stale documents had, whose words leave the spellings.
    """
    shutil.copytree(old_build, build, dirs_exist_ok=True)
    ix = whoosh_index.open_dir(str(build))
    with ix.searcher() as searcher:
        removed = [searcher.document(id=key) for key in stale]
    with ix.writer() as writer:
        for key in stale:
            writer.delete_by_term("id", key)
        for fields in fresh:
            writer.add_document(**fields)
    return [fields for fields in removed if fields is not None]


class _BulkWriter(SegmentWriter):
    """Whoosh's segment writer for a whole new index, without its costs per posting.

    Whoosh queues every posting in a sorting pool (pickled to temporary files beyond
    `limitmb`), looks each posting's document length up again on disk while writing it,
    and runs the analyzer's chain of generators on every word: three quarters of the time
    of a build of 3 million words. This writer keeps each term's postings in memory in
    document order (documents arrive in order, so nothing needs sorting), keeps the lengths,
    and analyses each distinct word once. It writes the index Whoosh's writer would (a test
    compares every posting). It overrides internals of whoosh-reloaded 2.7.5, which
    pyproject.toml pins, and takes documents as `document` makes them: no boosts, no None.
    """

    def __init__(self, ix: whoosh_index.Index) -> None:
        super().__init__(ix)
        if self.segments:
            raise ValueError("the bulk writer writes a new index, not into an existing one")
        words = [_Words(analyzer) for analyzer in (name_analyzer(), text_analyzer())]
        self.postings = {
            name: _Postings(field, next((w for w in words if w.analyzer == field.analyzer), None))
            for name, field in self.schema.items()
            if field.indexed
        }

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
        self._added = True
        self.docnum += 1

    def commit(self) -> None:
        super().commit(merge=False)  # a new index has nothing to merge

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        for name in sorted(self.postings):  # Whoosh writes fields, and terms, in sorted order
            self.postings[name].write(self.fieldwriter, name)
        self.fieldwriter.close()


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
        for place, raw in enumerate(_WORD.findall(value)):
            term = terms[raw] if raw in terms else self._learn(raw)
            if term is None:
                continue
            pos = place if pos is None else pos + 1
            # Tuples, as the keys of `_Postings.encoded`; most terms occur once or twice.
            if term in positions:
                positions[term] += (pos,)
            else:
                positions[term] = (pos,)
        return positions

    def _learn(self, raw: str) -> bytes | None:
        token = next(iter(self.analyzer(raw, mode="index")), None)
        term = self.terms[raw] = None if token is None else token.text.encode()
        return term


class _Postings:
    """One field's postings for a new segment: by term, document numbers and values in order."""

    def __init__(self, field: FieldType, words: _Words | None) -> None:
        self.field = field
        self.words = words  # None: the field's own analysis (ids, keywords: one word or few)
        self.terms: dict[bytes, tuple[array, list[tuple[float, bytes]]]] = {}
        self.lengths: dict[int, int] = {}  # document → words indexed (Whoosh stores it rounded)
        # Most words occur once in a statement, at one of a few hundred positions: their
        # (weight, encoded positions) repeat, so each is encoded once and shared.
        self.encoded: dict[tuple[int, ...], tuple[float, bytes]] = {}

    def add(self, docnum: int, value: str) -> int:
        """Index `value` for document `docnum`; returns its length (the words indexed)."""
        if self.words is None:
            postings = [
                (tbytes, freq, (weight, vbytes or b""))
                for tbytes, freq, weight, vbytes in self.field.index(value)
            ]
        else:
            encoded = self.encoded
            postings = [
                (term, len(key), encoded.get(key) or self._encode(key))
                for term, key in self.words.positions(value).items()
            ]
        terms = self.terms
        length = 0
        for term, freq, weight_value in postings:
            length += freq
            entry = terms.get(term)
            if entry is None:
                terms[term] = (array("I", [docnum]), [weight_value])
            else:
                entry[0].append(docnum)
                entry[1].append(weight_value)
        if not self.field.scorable:
            return 0
        if length:
            self.lengths[docnum] = length
        return length

    def _encode(self, positions: tuple[int, ...]) -> tuple[float, bytes]:
        form = self.field.format
        encoded = self.encoded[positions] = (
            len(positions) * form.field_boost,
            form.encode(list(positions)),
        )
        return encoded

    def write(self, writer: FieldWriter, name: str) -> None:
        if not self.terms:
            return
        lengths = self.lengths
        writer.start_field(name, self.field)
        for tbytes in sorted(self.terms):
            docnums, values = self.terms[tbytes]
            writer.start_term(tbytes)
            for docnum, (weight, vbytes) in zip(docnums, values, strict=True):
                writer.add(docnum, weight, vbytes, lengths.get(docnum, 0))
            writer.finish_term()
        writer.finish_field()


def _write_labels(build: Path, archive: Archive) -> None:
    labels = {
        "speaker": {key: record.name for key, record in archive.speakers.items()},
        "outlet": {key: record.name for key, record in archive.outlets.items()},
        "theme": {key: record.name for key, record in archive.themes.items()},
    }
    (build / LABELS).write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")


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
    raw_words: Counter[str] = Counter()
    for fields in documents:
        raw_words.update({word for name in SPELLED_FIELDS for word in _WORD.findall(fields[name])})
    # Each distinct raw word is analysed once, exactly as a query word will be.
    analyze = name_analyzer()
    spellings: Counter[str] = Counter()
    for raw, count in raw_words.items():
        for token in analyze(raw):
            spellings[token.text] += count
    return spellings


def _write_spellings(build: Path, spellings: Counter[str]) -> None:
    lines = "".join(f"{word} {spellings[word]}\n" for word in sorted(spellings))
    (build / SPELLINGS).write_text(lines, encoding="utf-8")


def _check(archive: Archive, build: Path) -> None:
    expected = len(archive.chronological)
    with whoosh_index.open_dir(str(build)).searcher() as searcher:
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
