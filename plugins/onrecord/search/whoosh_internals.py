"""Every touch of a Whoosh private member, here and nowhere else in the package.

The search's fast paths read and write what whoosh-reloaded 2.7.5 (pinned in
pyproject.toml, checked at import below) keeps behind a leading underscore. Each is
wrapped here in a small public function or class, for `index`, `postings`, `opened`,
`query` and `snippets` to call; a test (tests/test_imports.py) fails when any other
module of the package touches a private member of a Whoosh object, imports a private
name from Whoosh, or overrides or sets a private member its Whoosh base class has. What
each relies on, and the figures that justified relying on it:

The cold-build writer (`BulkSegmentWriter`, `BlockWriter`; used by `index._BulkWriter`).
    Whoosh's SegmentWriter queues every posting in a sorting pool, looks each posting's
    document length up again on disk while writing it, runs the analyzer's chain of
    generators on every word, and hands the postings writer one posting per call. The
    bulk writer keeps each term's postings in document order, analyses each distinct word
    once and hands over whole blocks: a cold build of 10,000 statements went from 25 s to
    7 s, with the same postings (ea68055); spilling to sorted runs kept the peak at
    100,000 statements to 750 MB instead of 2.0 GB (0be7f86). A test compares every
    posting, block header and length with what Whoosh's own writer writes
    (tests/test_search_index.py). It relies on:

    - `SegmentWriter._flush_segment`, which `commit` calls to write the segment's
      postings from the pool: replaced by a hook that writes them from the runs
      (`write_postings`), between Whoosh's own closing of the per-document and field
      writers.
    - `SegmentWriter._finish`, which `commit` and `cancel` call last: extended by a hook
      (`finished`) that closes the run files.
    - `SegmentWriter._added`, which `add_document` sets and `commit` reads to decide
      whether there is a segment to write (`mark_added`).
    - `W3FieldWriter._postwriter`, the postings writer `start_field` makes for a field:
      replaced by a `BlockWriter` made like it, from its `_postfile`, `_byteids`,
      `_compression` and `_inlinelimit`, with blocks of the caller's size.
    - The block buffer `W3PostingsWriter.add_posting` fills, one posting a call:
      `_ids`, `_weights`, `_values`, `_maxweight`, `_minlength`, `_maxlength`, filled
      here a whole block at a time (`BlockWriter.add_postings`), `_blocklimit` postings
      each, and `_write_block` called for each full block as `add_posting` calls it;
      `finish_postings` writes the last.
    - `W3PostingsWriter._write_block`, copied with one change: the block's data is
      pickled by the caller's function (`index.block_pickle`) instead of
      `pickle.dumps(data, 2)`. It uses `_postfile`, `_blockcount`, `_terminfo`,
      `_mini_ids`, `_mini_weights`, `_mini_values`, `_compression`, `_ids`,
      `_maxweight`, `_minlength`, `_maxlength` and `_new_block` as Whoosh's does.
      Protocol 2 writes every posting's encoded positions as a call to codecs.encode:
      reading a block back took four times as long, and blocks were twice the size
      (compressed). Protocol 4, led by the length of the ids and weights, lets the
      search read those without the positions; Whoosh unpickles either. With blocks of
      512 postings (Whoosh writes 128), the direct path answers at 100,000 statements
      in 7.5/31 ms p50/p99 through the service instead of 37/446 ms (2ed9adc).

The direct path's reads (`leaf_blocks`, `length_column_bytes`, `weight_length_score`;
used by `postings` and `opened`). Whoosh scores every hit through a tree of matchers,
microseconds a hit: a word in half of 100,000 statements took a quarter of a second,
the phrase "vis-à-vis" a second. The direct path reads each term's postings a block at a
time and scores by table; its answers are compared with Whoosh's on every query the
tests know (tests/test_search_query.py). It relies on:

    - `W3LeafMatcher._postfile`, `_dataoffset`, `_nextoffset` and `_compression`: the
      block's stored bytes, for the ids and weights alone (`index.ids_and_weights`);
      `_read_data` and `_data`: the whole block, as Whoosh reads it; `_blocklength`,
      `_lastblock` and `_next_block`: the block's size and the walk from block to block,
      without the matcher's calls per posting.
    - `SegmentReader._perdoc`, its `W3PerDocReader._cached_reader`, the lengths
      column's name (`whoosh.codec.whoosh3._lenfield`) and the column reader's
      `_dbfile`, `_basepos` and `_count`: a field's lengths, one byte a document, cut
      short after the last document with words in the field, in one read instead of one
      `doc_field_length` call a document.
    - `WeightLengthScorer._score` (BM25FScorer's): a posting's score from its weight and
      length, computed once per distinct (weight, length) pair, as `score` computes it.

The page's exact scores (`inverse_weight`, `excluded_ids`, `array_union_parts`; used by
`postings._Sums`). A page's hits get Whoosh's own scores, worked out on Whoosh's matcher
tree without walking it: walking the matchers to a hit reads every block header before
it. The sums need what each matcher adds, which these keep private:

    - `InverseMatcher._weight`: the score a NOT's matcher gives a document it matches.
    - `FilterMatcher._exclude` and `_ids`: a segment's deleted documents, left out.
    - `ArrayUnionMatcher._submatchers`, `_scored` and `_boost`: the terms an OR adds in
      small segments, whether it scores them, and its boost.

Hooks Whoosh means subclasses to override, though their names are private:

    - `spelling.ListCorrector._suggestions` (`RescoringListCorrector.rescored`): the
      "did you mean" ranks the closest words first, the most used at one distance, and
      never offers a correction shorter than the typed word's stem.
    - `highlight.Formatter._text` (`SnippetFormatter.format_text`): the text between the marked
      words of a snippet, escaped as HtmlFormatter escapes it.
"""

from __future__ import annotations

import pickle
import zlib
from array import array
from collections.abc import Callable, Container, Iterable, Iterator, Sequence

import whoosh
from whoosh import highlight, spelling
from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3FieldWriter,
    W3LeafMatcher,
    W3PostingsWriter,
)
from whoosh.matching import ArrayUnionMatcher, FilterMatcher, InverseMatcher, Matcher
from whoosh.reading import SegmentReader
from whoosh.scoring import WeightLengthScorer
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

# The whoosh-reloaded release whose internals are described above (pyproject.toml pins it):
# another is refused before any of them is touched.
WHOOSH_VERSION = (2, 7, 5)
if whoosh.__version__ != WHOOSH_VERSION:
    raise ImportError(
        f"onrecord's search relies on internals of whoosh-reloaded "
        f"{'.'.join(map(str, WHOOSH_VERSION))} (see {__name__}), but whoosh "
        f"{whoosh.versionstring()} is installed: install the version pyproject.toml pins"
    )


# The cold-build writer


class BulkSegmentWriter(SegmentWriter):
    """Whoosh's segment writer, whose postings a subclass writes itself (`write_postings`)."""

    def mark_added(self) -> None:
        """Note that a document was added, as `add_document` does: `commit` writes a segment."""
        self._added = True

    def write_postings(self, fieldwriter: W3FieldWriter) -> None:
        """Write every field's postings to `fieldwriter` (at `commit`, once)."""
        raise NotImplementedError

    def finished(self) -> None:
        """After a commit or a cancel, before Whoosh releases the lock."""

    def _flush_segment(self) -> None:
        # SegmentWriter._flush_segment, with the postings written by the subclass rather
        # than from Whoosh's pool.
        self.perdocwriter.close()
        self.write_postings(self.fieldwriter)
        self.fieldwriter.close()

    def _finish(self) -> None:
        self.finished()
        super()._finish()


# A block's (ids, weights, values) → the bytes stored (before compression).
BlockPickle = Callable[[Sequence[int], array, list[bytes]], bytes]


class BlockWriter(W3PostingsWriter):
    """Whoosh's postings writer, given a term's postings a whole block at a time, each block
    pickled by `pickle_block`; the block's header stays as Whoosh writes it."""

    def __init__(self, postfile, blocklimit: int, pickle_block: BlockPickle, **options) -> None:
        super().__init__(postfile, blocklimit, **options)
        self.pickle_block = pickle_block

    def add_postings(
        self, docnums: array, weights: array, values: list[bytes], lengths: array | None
    ) -> None:
        """Fill the block as `add_posting` would, a whole block at a time.

        `weights` by posting, `values` the encoded values (b"" for none), `lengths` each
        document's length in the field (None: the field has none). A full block is written
        when the next posting comes; the last block, full or not, by `finish_postings`
        (the field writer's `finish_term`).
        """
        size = self._blocklimit
        starts = range(0, len(docnums), size)
        for start in starts:
            ids = docnums[start : start + size]
            block_weights = weights[start : start + size]
            self._ids = ids
            self._weights = array("f", block_weights)
            self._values = list(filter(None, values[start : start + size]))
            self._maxweight = max(0, max(block_weights))
            if lengths is not None:
                block_lengths = list(filter(None, map(lengths.__getitem__, ids)))
                self._minlength = min(block_lengths, default=None)
                self._maxlength = max(block_lengths, default=0)
            if start != starts[-1]:
                self._write_block()

    def _write_block(self, last: bool = False) -> None:
        # W3PostingsWriter._write_block of whoosh-reloaded 2.7.5, but for the data's pickle.
        postfile = self._postfile
        if not self._blockcount:
            postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        databytes = self.pickle_block(self._mini_ids(), self._mini_weights(), self._mini_values())
        comp = self._compression
        if comp:
            databytes = zlib.compress(databytes, comp)
        ids = self._ids
        info = (
            len(ids),
            ids[-1],
            self._maxweight,
            comp,
            length_to_byte(self._minlength),
            length_to_byte(self._maxlength),
        )
        infobytes = pickle.dumps(info, 2)
        blocklength = len(infobytes) + len(databytes)
        postfile.write_int(-blocklength if last else blocklength)  # the last block: negative
        postfile.write(infobytes)
        postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


def use_block_writer(
    fieldwriter: W3FieldWriter, blocklimit: int, pickle_block: BlockPickle
) -> BlockWriter:
    """Give the field `start_field` began a `BlockWriter` like Whoosh's, and return it."""
    postings = fieldwriter._postwriter
    writer = fieldwriter._postwriter = BlockWriter(
        postings._postfile,
        blocklimit,
        pickle_block,
        byteids=postings._byteids,
        compression=postings._compression,
        inlinelimit=postings._inlinelimit,
    )
    return writer


# The direct path's reads

# A block's stored data, and whether it is compressed → its (ids, weights), or None.
NotedRead = Callable[[bytes, bool], tuple | None]


def leaf_blocks(matcher: W3LeafMatcher, noted: NotedRead | None) -> Iterator[tuple]:
    """Each block of the matcher's term in turn, from the first: (the ids as stored, the
    weights as stored, the encoded values or None, the number of postings).

    With `noted`, a block's ids and weights are read by it from the stored data when it
    can (the values are then None); otherwise, and when it gives None, the whole block as
    Whoosh reads it. The matcher is left at the last block.
    """
    while True:
        block = None
        if noted is not None:
            start = matcher._dataoffset
            data = matcher._postfile.get(start, matcher._nextoffset - start)
            block = noted(data, bool(matcher._compression))
        if block is None:
            matcher._read_data()
            ids, weights, values = matcher._data
        else:
            (ids, weights), values = block, None
        yield ids, weights, values, matcher._blocklength
        if matcher._lastblock:
            return
        matcher._next_block()


def length_column_bytes(reader: SegmentReader, fieldname: str) -> bytes | None:
    """The segment's stored length bytes of the field, one a document, cut short after the
    last document with words in it; None when the segment has no lengths for it."""
    column = reader._perdoc._cached_reader(whoosh3._lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    return bytes(column._dbfile.get(column._basepos, column._count))


def weight_length_score(scorer: WeightLengthScorer) -> Callable[[float, float], float]:
    """The scorer's score of a posting by its weight and its (decoded) length."""
    return scorer._score


# The page's exact scores


def inverse_weight(matcher: InverseMatcher) -> float:
    """The score a NOT's matcher gives each document it matches."""
    return matcher._weight


def excluded_ids(matcher: FilterMatcher) -> Container[int] | None:
    """The ids a filter leaves out (a segment's deleted documents); None if it keeps ids."""
    return matcher._ids if matcher._exclude else None


def array_union_parts(matcher: ArrayUnionMatcher) -> tuple[list[Matcher], bool, float]:
    """An array union's submatchers, whether it scores, and its boost."""
    return matcher._submatchers, matcher._scored, matcher._boost


# Hooks Whoosh means to be overridden


class RescoringListCorrector(spelling.ListCorrector):
    """A corrector over a sorted word list whose suggestions a subclass filters and
    rescores (`rescored`)."""

    def rescored(
        self, text: str, suggestions: Iterable[tuple[float, str]]
    ) -> Iterable[tuple[float, str]]:
        """The (score, word) suggestions for `text` to keep (higher scores rank first)."""
        return suggestions

    def _suggestions(self, text, maxdist, prefix):
        return self.rescored(text, super()._suggestions(text, maxdist, prefix))


class SnippetFormatter(highlight.Formatter):
    """A highlight formatter whose text between marked words a subclass formats."""

    def format_text(self, text: str) -> str:
        """The text between the marked words, as the snippet shows it."""
        return text

    def _text(self, text):
        return self.format_text(text)
