"""The direct path: queries answered from the index's postings, as Whoosh answers them.

Whoosh scores every hit through a tree of matcher objects, microseconds a hit: a word in
half of 100,000 statements took a quarter of a second, the phrase "vis-à-vis" a second.
Its top-N shortcut is no way out: it skips a union's blocks by the sum of its children's
block qualities, but those blocks cover different documents, so it lost page-one hits
(the blocks' own statistics are right: tests/test_search_index.py checks them).
So words, phrases, AND, OR and NOT are answered here. Each term's postings are read a
block at a time (_read_postings), every hit gets its terms' scores from a table by
(weight, length) and their sum (_SegmentMatches), the page's hits are ranked by Whoosh's
exact scores, worked out on Whoosh's own matcher tree (_page, _Sums), and their snippets
are Whoosh's highlights (Highlighter). Anything else, Whoosh answers (query._through_whoosh).
The Whoosh internals read on the way are read through `whoosh_internals`.
"""

from __future__ import annotations

import pickle
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from heapq import nlargest
from itertools import accumulate, compress, repeat
from operator import add, contains, itemgetter, mul

from whoosh import query as whoosh_query
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import (
    ArrayUnionMatcher,
    FilterMatcher,
    IntersectionMatcher,
    InverseMatcher,
    NullMatcher,
    UnionMatcher,
    WrappingMatcher,
)
from whoosh.query.spans import SpanNear2
from whoosh.scoring import BM25FScorer, WeightScorer
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from . import facets
from .answers import Found, Unsupported, answer_hit
from .index import ids_and_weights
from .opened import OpenedIndex, Segment
from .snippets import SNIPPET_FIELDS, Highlighter
from .whoosh_internals import (
    array_union_parts,
    excluded_ids,
    inverse_weight,
    leaf_blocks,
    weight_length_score,
)


class _Unbounded(Exception):
    """The page ranks hits that were only given a bound, not a score."""


# A term with fewer postings than this is scored whole, not bounded (see bounded_union).
BOUND_FROM = 5000
# A phrase's word with this many times more postings than documents holding the whole
# phrase's words has its positions read by skipping to those documents (`values_at`).
SKIP_FROM = 16


@dataclass
class _Postings:
    """One term's postings in one segment, in document order, deleted documents included."""

    ids: list[int]
    weights: list[float]  # as the matcher's weight() gives them
    values: list[bytes]  # the encoded positions, when asked for


def _read_postings(segment: Segment, fieldname: str, btext: bytes, values: bool) -> _Postings:
    """The term's postings; their encoded positions too when `values` (phrases need them)."""
    reader = segment.searcher.reader()
    if (fieldname, btext) not in reader:
        return _Postings([], [], [])
    matcher = reader.postings(fieldname, btext)
    if type(matcher) is FilterMatcher:  # it leaves out deleted documents; so do the hits
        matcher = matcher.child
    if type(matcher) is not W3LeafMatcher:
        return _read_one_by_one(matcher)
    ids: list[int] = []
    weights: list[float] = []
    found: list[bytes] = []
    # The blocks' own reads, without the matcher's calls per posting. The bulk writer's
    # blocks note where their values start (see index.block_pickle): without `values`,
    # their ids and weights are read alone.
    for deltas, block_weights, block_values, size in leaf_blocks(
        matcher, None if values else ids_and_weights
    ):
        if block_values:
            found += block_values
        ids += accumulate(deltas)  # each block's first id is stored whole
        if block_weights is None:
            weights += repeat(1.0, size)
        elif isinstance(block_weights, float):
            # Whoosh holds a block's one weight in an array of C floats.
            weights += repeat(_as_c_float(block_weights), size)
        else:
            weights += block_weights
    return _Postings(ids, weights, found)


def _as_c_float(value: float) -> float:
    return array("f", (value,))[0]


def _read_one_by_one(matcher) -> _Postings:
    # Postings Whoosh keeps inline in the term's entry: a few at most.
    found = _Postings([], [], [])
    while matcher.is_active():
        found.ids.append(matcher.id())
        found.weights.append(matcher.weight())
        found.values.append(matcher.value())
        matcher.next()
    return found


class _ScoreTable(dict):
    """A term's score by (weight, length byte): few pairs occur, each is computed once."""

    def __init__(self, scorer: BM25FScorer) -> None:
        super().__init__()
        self.score = weight_length_score(scorer)

    def __missing__(self, key: tuple[float, int]) -> float:
        weight, length_byte = key
        # What BM25FScorer.score gives a posting: the length as doc_field_length decodes it.
        score = self[key] = self.score(weight, byte_to_length(length_byte))
        return score


@dataclass
class _Leaf:
    """A term or phrase of the query, and the segment's documents it matches."""

    fieldname: str
    btexts: tuple[bytes, ...]  # the term, or the phrase's words
    docnums: list[int]  # in order
    phrase: bool
    # The scores Whoosh adds up for a hit it matches: one a word (0 under a NOT).
    addends: int


class _SegmentMatches:
    """A query's hits in one segment, each with a score within rounding of Whoosh's.

    The scores add the same terms' scores as Whoosh does, in another order; the last bits
    may differ, and `_page` settles the order with Whoosh's own scores.
    """

    def __init__(self, segment: Segment, weighting, need: int = 0) -> None:
        self.segment = segment
        self.weighting = weighting
        self.read: dict[tuple[str, bytes, bool], _Postings] = {}  # (field, term, values)
        # Each term and phrase of the query, with the documents it matches: what Whoosh's
        # term recording (terms=True) reports a hit matched.
        self.leaves: list[_Leaf] = []
        self.shift = 0.0  # what Whoosh adds to the score of every hit of the whole query
        self.negated = False  # reading what a NOT leaves out
        self.need = need  # the hits the page needs ranked (0: all)
        # When the biggest term's hits are held at a bound (see bounded_union): the bound,
        # and the hits that have their scores, the only ones to rank.
        self.bound = 0.0
        self.pool: dict[int, float] | None = None
        self.nested_bonus = False  # an AND below the top has a NOT (see `settled`)

    def matches(self, q: whoosh_query.Query, *, top: bool = False) -> dict[int, float]:
        """The hits of `q` (the whole query when `top`) with their scores, less `shift`."""
        kind = type(q)
        if q.boost != 1.0:
            raise Unsupported
        if kind is whoosh_query.Term:
            return self.term(q)
        if kind is whoosh_query.Phrase:
            return self.phrase(q)
        if kind is whoosh_query.Or and not q.scale and not q.minmatch:
            found = self.bounded_union(q.subqueries) if top and self.need else None
            if found is None:
                found = self.union([self.matches(sub) for sub in q.subqueries])
            return found
        if kind is whoosh_query.And:
            return self.intersection(q.subqueries, top=top)
        raise Unsupported

    def postings(self, fieldname: str, btext: bytes, *, values: bool = False) -> _Postings:
        """The term's postings in the segment, read once per query."""
        for key in ((fieldname, btext, True), (fieldname, btext, values)):
            if key in self.read:
                return self.read[key]
        found = self.read[key] = _read_postings(self.segment, fieldname, btext, values)
        return found

    def scores(
        self, fieldname: str, btext: bytes, postings: _Postings, places: list[int] | None = None
    ) -> list[float]:
        """The scores of the term's postings (of those at `places`, when given)."""
        ids, weights = postings.ids, postings.weights
        if places is not None:
            ids = list(map(ids.__getitem__, places))
            weights = list(map(weights.__getitem__, places))
        scorer = self.weighting.scorer(self.segment.searcher, fieldname, btext)
        if type(scorer) is BM25FScorer:
            table = _ScoreTable(scorer)
            lengths = self.segment.length_bytes(fieldname)
            return list(
                map(table.__getitem__, zip(weights, map(lengths.__getitem__, ids), strict=True))
            )
        if type(scorer) is WeightScorer:  # fields without lengths score their weights
            return weights
        raise Unsupported

    def term(self, q: whoosh_query.Term) -> dict[int, float]:
        btext = _term_bytes(self.segment.searcher, q.fieldname, q.text)
        if btext is None:
            return {}
        postings = self.postings(q.fieldname, btext)
        if not postings.ids:  # not in this segment
            return {}
        addends = 0 if self.negated else 1
        self.leaves.append(_Leaf(q.fieldname, (btext,), postings.ids, False, addends))
        return dict(zip(postings.ids, self.scores(q.fieldname, btext, postings), strict=True))

    def phrase(self, q: whoosh_query.Phrase) -> dict[int, float]:
        schema = self.segment.searcher.schema
        if q.slop != 1 or not q.words:
            raise Unsupported
        if q.fieldname not in schema:
            return {}
        form = schema[q.fieldname].format
        if not form or not form.supports("positions"):
            raise Unsupported  # Whoosh's error, which the caller reports
        searcher = self.segment.searcher
        btexts = tuple(_term_bytes(searcher, q.fieldname, word) for word in q.words)
        if None in btexts:
            return {}
        # Ids first: the positions are read only for the documents holding every word.
        words = {btext: self.postings(q.fieldname, btext) for btext in btexts}
        if not all(postings.ids for postings in words.values()):
            return {}  # Whoosh's phrase matches nothing when a word is missing
        if len(words) == 1:
            found = self.repeated_word(q.fieldname, btexts, form)
        else:
            found = self.several_words(q.fieldname, btexts, words, form)
        addends = 0 if self.negated else len(btexts)
        self.leaves.append(_Leaf(q.fieldname, btexts, sorted(found), True, addends))
        return found

    def repeated_word(self, fieldname: str, btexts: tuple[bytes, ...], form) -> dict:
        # "vis-à-vis" is the phrase "vi vi": one term's positions decide, once per value.
        postings = self.postings(fieldname, btexts[0], values=True)
        distinct = list(set(postings.values))
        deltas = _position_deltas(distinct, form)
        n = len(btexts)
        if n == 2:  # a delta of 1 past the first (in C: most hits of "vis-à-vis" are checked)
            found = map(contains, map(_PAST_FIRST, deltas), repeat(1))
        else:
            found = (_repeats(delta, n) for delta in deltas)
        good = set(compress(distinct, found))
        places = list(compress(range(len(postings.ids)), map(good.__contains__, postings.values)))
        scores = self.scores(fieldname, btexts[0], postings, places)
        # Whoosh adds the word's score once for each time the phrase has it.
        return dict(
            zip(map(postings.ids.__getitem__, places), map(mul, scores, repeat(n)), strict=True)
        )

    def several_words(
        self, fieldname: str, btexts: tuple[bytes, ...], words: dict[bytes, _Postings], form
    ) -> dict:
        common = set.intersection(*(set(postings.ids) for postings in words.values()))
        if not common:
            return {}
        # Each word's places in its postings for the documents holding every word: the
        # same documents, in the same order, for every word.
        places = {
            btext: list(compress(range(len(p.ids)), map(common.__contains__, p.ids)))
            for btext, p in words.items()
        }
        # Word i of the phrase stands at p + i: the positions of each word less its place
        # in the phrase have a position in common.
        starts = []
        for i, btext in enumerate(btexts):
            values = self.values_at(fieldname, btext, places[btext], common)
            distinct = list(set(values))
            deltas = _position_deltas(distinct, form)
            less = dict(
                zip(
                    distinct,
                    (frozenset(map((-i).__add__, accumulate(d))) for d in deltas),
                    strict=True,
                )
            )
            starts.append(map(less.__getitem__, values))
        kept = list(map(bool, map(frozenset.intersection, *starts)))
        scores = [
            self.scores(fieldname, btext, words[btext], list(compress(places[btext], kept)))
            for btext in btexts
        ]
        docnums = compress(map(words[btexts[0]].ids.__getitem__, places[btexts[0]]), kept)
        return dict(zip(docnums, map(sum, zip(*scores, strict=True)), strict=True))

    def values_at(
        self, fieldname: str, btext: bytes, places: list[int], docs: set[int]
    ) -> list[bytes]:
        """The term's encoded positions at `places` in its postings (those of `docs`).

        When the documents are few beside the term's postings (a common word in a phrase
        with a rare one), the term's matcher skips to each, decoding only their blocks:
        at 100,000 statements, "security ḥadunwa" (7 documents, against "security"'s tens
        of thousands) took 185 ms with every position read.
        """
        postings = self.postings(fieldname, btext)
        if len(docs) * SKIP_FROM >= len(postings.ids) or (fieldname, btext, True) in self.read:
            every = self.postings(fieldname, btext, values=True).values
            return list(map(every.__getitem__, places))
        matcher = self.segment.searcher.reader().postings(fieldname, btext)
        if type(matcher) is FilterMatcher:  # it leaves out deleted documents; `docs` may not
            matcher = matcher.child
        found = []
        for docnum in map(postings.ids.__getitem__, places):
            if matcher.id() < docnum:
                matcher.skip_to(docnum)
            found.append(matcher.value())
        return found

    def bounded_union(self, subqueries: list[whoosh_query.Query]) -> dict[int, float] | None:
        """The whole query's OR, leaving the hits of its biggest term alone unscored.

        A word in half the statements is mostly matched in their text alone, where its
        score is at most the term's best (Whoosh's max_quality, the bound): when more hits
        than the page needs score above that through the other terms, no hit of the big
        term alone can make the page, and only the hits of the others need scores (`pool`).
        None when that is not so; `_page` checks it again, after NOTs and deletions.
        """
        reader = self.segment.searcher.reader()
        terms = [sub for sub in subqueries if type(sub) is whoosh_query.Term and sub.boost == 1.0]
        sizes = {}
        for sub in terms:
            btext = _term_bytes(self.segment.searcher, sub.fieldname, sub.text)
            if btext is not None and (sub.fieldname, btext) in reader:
                sizes[sub, btext] = reader.doc_frequency(sub.fieldname, btext)
        if not sizes:
            return None
        (big, btext), size = max(sizes.items(), key=lambda item: item[1])
        if size < BOUND_FROM:
            return None
        scorer = self.weighting.scorer(self.segment.searcher, big.fieldname, btext)
        if type(scorer) is not BM25FScorer:
            return None
        bound = scorer.max_quality()
        others = self.union([self.matches(sub) for sub in subqueries if sub is not big])
        above = bound + 2 * _rounding(bound)
        if sum(map(above.__lt__, others.values())) < self.need:
            return self.union([others, self.term(big)])
        postings = self.postings(big.fieldname, btext)
        addends = 0 if self.negated else 1
        self.leaves.append(_Leaf(big.fieldname, (btext,), postings.ids, False, addends))
        self.bound = bound
        # Keyed by every hit, valued by the big term's weight until a hit of the others
        # gets its score: only those are ranked (`pool`).
        found = dict(zip(postings.ids, postings.weights, strict=True))
        both = list(filter(found.__contains__, others))
        table = _ScoreTable(scorer)
        lengths = self.segment.length_bytes(big.fieldname)
        pairs = zip(map(found.__getitem__, both), map(lengths.__getitem__, both), strict=True)
        totals = map(add, map(others.__getitem__, both), map(table.__getitem__, pairs))
        others.update(zip(both, totals, strict=True))
        found.update(others)
        self.pool = others
        return found

    def union(self, parts: list[dict[int, float]]) -> dict[int, float]:
        parts = sorted(parts, key=len, reverse=True)
        if not parts:
            return {}
        found = parts[0]
        for part in parts[1:]:
            both = {docnum: found[docnum] + part[docnum] for docnum in found.keys() & part.keys()}
            found.update(part)
            found.update(both)
        return found

    def intersection(self, subqueries: list[whoosh_query.Query], *, top: bool) -> dict[int, float]:
        required = [sub for sub in subqueries if type(sub) is not whoosh_query.Not]
        excluded = [sub.query for sub in subqueries if type(sub) is whoosh_query.Not]
        if not required:
            raise Unsupported  # everything but: Whoosh walks the whole index for it
        # One required part ranks the hits alone: held at bounds as the whole query's OR.
        alone = top and len(required) == 1
        parts = sorted((self.matches(sub, top=alone) for sub in required), key=len)
        if len(parts) == 1:
            found = parts[0]
            gone = set().union(*map(self.docnums, excluded))
            for held in (found, self.pool) if alone and self.pool else (found,):
                deque(map(held.pop, gone, repeat(None)), maxlen=0)
        else:
            kept = list(
                set(parts[0]).intersection(*parts[1:]).difference(*map(self.docnums, excluded))
            )
            found = dict(
                zip(
                    kept,
                    map(sum, zip(*[map(part.__getitem__, kept) for part in parts], strict=True)),
                    strict=True,
                )
            )
        # Whoosh's NOT matches every other document with a score of 1. The whole query's
        # NOTs add the same to every hit: `_page` adds it where it compares with Whoosh.
        bonus = float(len(excluded))
        if top:
            self.shift = bonus
            return found
        if not bonus:
            return found
        self.nested_bonus = True
        return dict(zip(found, map(add, found.values(), repeat(bonus)), strict=True))

    def docnums(self, q: whoosh_query.Query) -> Iterable[int]:
        """The documents `q` matches, unscored: what a NOT leaves out."""
        if type(q) is whoosh_query.Term:
            btext = _term_bytes(self.segment.searcher, q.fieldname, q.text)
            return self.postings(q.fieldname, btext).ids if btext is not None else ()
        if type(q) is whoosh_query.Or:
            return set().union(*map(self.docnums, q.subqueries))
        self.negated, negated = True, self.negated
        try:
            return self.matches(q).keys()
        finally:
            self.negated = negated

    def settled(self, docnum: int) -> bool:
        """Whether the hit's score here is Whoosh's to the last bit.

        Both add the same scores: one or two add up alike in any order (a + b == b + a),
        more may round differently in Whoosh's order.
        """
        if self.nested_bonus:
            return False
        addends = int(self.shift)  # Whoosh's NOTs each add 1
        for leaf in self.leaves:
            if leaf.addends:
                at = bisect_left(leaf.docnums, docnum)
                if at < len(leaf.docnums) and leaf.docnums[at] == docnum:
                    addends += leaf.addends
        return addends <= 2


def _position_deltas(values: list[bytes], form) -> list[list[int]]:
    """The position deltas each value of Whoosh's Positions format holds.

    A value is a 4-byte count and a protocol-2 pickle of the deltas. Unpickled one by one
    (Whoosh's decode_positions) they cost microseconds each; their pickles' bodies joined
    into the pickle of one list unpickle in one call.
    """
    # As Positions.encode writes them: the count, PROTO 2, the list's opcodes, STOP.
    if set(map(_PICKLE_HEAD, values)) <= {b"\x80\x02"} and set(map(_LAST, values)) <= {46}:
        try:
            found = pickle.loads(b"\x80\x02(" + b"".join(v[6:-1] for v in values) + b"l.")
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError):
            found = None  # anything odd: one by one, as Whoosh decodes them
        if found is not None and len(found) == len(values):
            return found
    return [_differences(form.decode_positions(value)) for value in values]


_PICKLE_HEAD = itemgetter(slice(4, 6))  # a value's pickle protocol header
_LAST = itemgetter(-1)  # its last byte: STOP (46) when whole
_PAST_FIRST = itemgetter(slice(1, None))


def _differences(positions: list[int]) -> list[int]:
    return [b - a for a, b in zip([0, *positions], positions, strict=False)]


def _repeats(deltas: list[int], n: int) -> bool:
    """Whether one word stands n times in a row: n - 1 deltas of 1, past the first."""
    if n == 2:
        return 1 in deltas[1:]
    run = 0
    for delta in deltas[1:]:
        run = run + 1 if delta == 1 else 0
        if run == n - 1:
            return True
    return n == 1


def term_documents(opened: OpenedIndex, fieldname: str, text: str | bytes) -> Iterator[int]:
    """The numbers of the documents holding the term in the whole index, deleted ones
    included, read a block of postings at a time (Whoosh's matcher takes a call each)."""
    btext = text if isinstance(text, bytes) else _term_bytes(opened.searcher, fieldname, text)
    if btext is None:
        return
    for segment in opened.segments:
        ids = _read_postings(segment, fieldname, btext, values=False).ids
        yield from map(segment.offset.__add__, ids) if segment.offset else ids


def _term_bytes(searcher: Searcher, fieldname: str, text: str) -> bytes | None:
    """The term as indexed, None where Whoosh's Term matches nothing (as Term.matcher)."""
    if fieldname not in searcher.schema:
        return None
    try:
        return searcher.schema[fieldname].to_bytes(text)
    except ValueError:
        return None


@dataclass
class _Matched:
    """A query's hits in the whole index, with what the page and the snippets need."""

    # Every hit; with its score within rounding of Whoosh's, less `shift`, if in `pool`.
    scores: dict[int, float]
    # (field, term) pairs a hit matched, as Whoosh's terms=True records them; and those it
    # might record besides (see `_record`).
    recorded: set[tuple[str, bytes]]
    unsure: set[tuple[str, bytes]]
    shift: float = 0.0
    evaluations: list[_SegmentMatches] = field(default_factory=list)
    # The hits the page is ranked from, with their scores: all of `scores`, or, when the hits
    # of a big term alone went unscored (see bounded_union), the others; the page must then
    # rank above `bound`, the best score those can have.
    pool: dict[int, float] = field(default_factory=dict)
    bound: float = 0.0


def _matched(
    opened: OpenedIndex,
    q: whoosh_query.Query,
    filters: list[whoosh_query.Query],
    *,
    terms: bool,
    need: int = 0,
) -> _Matched:
    """The hits in every segment; `need` > 0 lets hits that cannot rank that high go unscored."""
    found = _Matched({}, set(), set())
    weighting = opened.searcher.weighting
    every, ranked = [], []  # each segment's (offset, hits) and (offset, hits to rank)
    for segment in opened.segments:
        evaluation = _SegmentMatches(segment, weighting, need)
        scores = evaluation.matches(q, top=True)
        pool = scores if evaluation.pool is None else evaluation.pool
        found.shift = evaluation.shift
        found.bound = max(found.bound, evaluation.bound)
        found.evaluations.append(evaluation)
        for docnum in segment.deleted:
            scores.pop(docnum, None)
            pool.pop(docnum, None)
        if filters:  # no bounds with filters (see direct)
            scores = pool = _filtered(scores, _allowed(evaluation, filters))
        if terms:
            _record(evaluation, scores, found)
        every.append((segment.offset, scores))
        ranked.append((segment.offset, pool))
    found.scores, found.pool = _gathered(every), _gathered(ranked)
    found.unsure -= found.recorded
    return found


def _gathered(parts: list[tuple[int, dict[int, float]]]) -> dict[int, float]:
    """The segments' scores by document number in the whole index (one segment: no copy)."""
    if len(parts) == 1 and parts[0][0] == 0:
        return parts[0][1]
    found: dict[int, float] = {}
    for offset, scores in parts:
        found.update({docnum + offset: s for docnum, s in scores.items()} if offset else scores)
    return found


def _record(evaluation: _SegmentMatches, scores: dict[int, float], found: _Matched) -> None:
    """The terms Whoosh's terms=True records in this segment, and those it might.

    It records a term for a hit where the term's matcher stands on the hit: a word's where
    the hit holds it, a phrase's words where the phrase matches. But when a phrase runs out,
    its words' matchers stay where they stopped, and one stopped on a later hit is recorded
    there too; where that is depends on Whoosh's walk, so such words are only "unsure".
    """
    for leaf in evaluation.leaves:
        if not scores.keys().isdisjoint(leaf.docnums):
            found.recorded.update((leaf.fieldname, btext) for btext in leaf.btexts)
        elif leaf.phrase:
            for btext in leaf.btexts:
                held = evaluation.postings(leaf.fieldname, btext).ids
                if not scores.keys().isdisjoint(held):
                    found.unsure.add((leaf.fieldname, btext))


def _allowed(evaluation: _SegmentMatches, filters: list[whoosh_query.Query]) -> set[int]:
    """The segment's documents every filter lets through (Whoosh's filter=And(filters))."""
    allowed = None
    segment = evaluation.segment
    for fq in filters:
        if type(fq) is whoosh_query.Term and fq.boost == 1.0:
            btext = _term_bytes(segment.searcher, fq.fieldname, fq.text)
            docnums = set(evaluation.postings(fq.fieldname, btext).ids if btext else ())
            docnums -= segment.deleted
        else:
            docnums = set(fq.docs(segment.searcher))
        allowed = docnums if allowed is None else allowed & docnums
    return allowed or set()


def _filtered(scores: dict[int, float], allowed: set[int]) -> dict[int, float]:
    if len(allowed) < len(scores):
        return {docnum: scores[docnum] for docnum in allowed if docnum in scores}
    return {docnum: s for docnum, s in scores.items() if docnum in allowed}


def direct(
    opened: OpenedIndex,
    q: whoosh_query.Query,
    filters: list[whoosh_query.Query],
    page: int,
    per_page: int,
    site: str,
    *,
    terms: bool,
) -> Found | None:
    """The page answered from the postings, or None for a query Whoosh must answer."""
    try:
        start, stop = (page - 1) * per_page, page * per_page
        try:
            # Filters can leave few of the hits that rank above a bound: no bounds with them.
            matched = _matched(opened, q, filters, terms=terms, need=0 if filters else stop)
            ranked = _page(opened, q, matched, start, stop, terms)
        except _Unbounded:  # the page reaches hits only bounded: score them all
            matched = _matched(opened, q, filters, terms=terms)
            ranked = _page(opened, q, matched, start, stop, terms)
        scores = matched.scores
        stored = [opened.searcher.stored_fields(docnum) for docnum, _ in ranked]
        snippets = _snippets(opened, q, matched, stored, terms)
    except Unsupported:
        return None
    hits = [
        answer_hit(fields, score, snippet, site)
        for (_, score), fields, snippet in zip(ranked, stored, snippets, strict=True)
    ]
    return len(scores), hits, facets.count(opened, scores.keys())


def _snippets(
    opened: OpenedIndex, q: whoosh_query.Query, matched: _Matched, stored: list[dict], terms: bool
) -> list[str]:
    def snippets(recorded: set[tuple[str, bytes]]) -> list[str]:
        highlighter = Highlighter(opened, _words(opened, q, recorded, terms=terms))
        return [highlighter.snippet(fields) for fields in stored]

    try:
        return snippets(matched.recorded | _stranded(opened, q, matched, terms))
    except Unsupported:  # unsure words Whoosh may or may not record: do they matter?
        found = snippets(matched.recorded)
        if found != snippets(matched.recorded | matched.unsure):
            raise
        return found


def _stranded(
    opened: OpenedIndex, q: whoosh_query.Query, matched: _Matched, terms: bool
) -> set[tuple[str, bytes]]:
    """The unsure words (see `_record`) that Whoosh's term recording does report.

    In an OR of phrases Whoosh moves a phrase's matcher only on to its next match, so
    where its word matchers stop is where they stop walking the phrase alone; a word is
    recorded for a hit it stopped on. Elsewhere the walk depends on the rest of the query
    (Unsupported): `_snippets` then sends the query to Whoosh, unless the page's snippets
    are the same whether or not the unsure words count.
    """
    if not matched.unsure:
        return set()
    phrases = [q] if type(q) is whoosh_query.Phrase else None
    if type(q) is whoosh_query.Or:
        phrases = [sub for sub in q.subqueries if type(sub) is whoosh_query.Phrase]
        phrases = None if len(phrases) + len(_term_leaves(q)) < len(q.subqueries) else phrases
    if phrases is None:
        raise Unsupported
    context = opened.searcher.context(needs_current=terms)
    unsure_fields = {fieldname for fieldname, _ in matched.unsure}
    found = set()
    for evaluation in matched.evaluations:
        segment = evaluation.segment
        for phrase in phrases:
            if phrase.fieldname not in unsure_fields:
                continue
            m = phrase.matcher(segment.searcher, context)
            if m is NullMatcher:
                continue
            if type(m) is not SpanNear2.SpanNear2Matcher:
                raise Unsupported
            while m.is_active():  # Whoosh's walk of the phrase, to its end
                m.next()
            for word in map(_unwrapped, m.ms):
                if word.is_active() and word.id() + segment.offset in matched.scores:
                    found.add(word.term())
    return found & matched.unsure


def _term_leaves(q: whoosh_query.Or) -> list[whoosh_query.Term]:
    return [sub for sub in q.subqueries if type(sub) is whoosh_query.Term]


def _page(
    opened: OpenedIndex,
    q: whoosh_query.Query,
    matched: _Matched,
    start: int,
    stop: int,
    terms: bool,
) -> list[tuple[int, float]]:
    """The hits ranked start..stop, by Whoosh's score (highest first) then document number.

    Only the page's hits and those scored within rounding of them get Whoosh's score: a hit
    whose score here is further from another's ranks against it the same either way. The
    hits come from `matched.pool`: _Unbounded when the page would reach a hit left unscored.
    """
    stop = min(stop, len(matched.scores))
    if start >= stop:
        return []
    pool = matched.pool
    if len(pool) < stop:
        raise _Unbounded
    cut = nlargest(stop, pool.values())[-1]
    lowest = cut - _rounding(cut)
    if matched.bound and lowest <= matched.bound:
        raise _Unbounded
    kept = compress(pool.items(), map(lowest.__le__, pool.values()))
    candidates = sorted(((s, docnum) for docnum, s in kept), reverse=True)
    runs = []  # (rank of the run's first hit, the run) for the runs the page takes from
    rank = 0
    for run in _close_scores(candidates):
        if rank + len(run) > start:
            runs.append((rank, run))
        rank += len(run)
        if rank >= stop:
            break
    shift = matched.shift
    needed = {d: s + shift for _, run in runs for d, s in run.items()}
    exact = {d: s for d, s in needed.items() if _settled(matched, d)}
    unsettled = {d: s for d, s in needed.items() if d not in exact}
    if unsettled:
        exact |= _whoosh_scores(opened, matched, q, unsettled, terms)
    page: list[tuple[int, float]] = []
    for first, run in runs:
        ordered = sorted(((exact[d], d) for d in run), key=lambda item: (-item[0], item[1]))
        page += [(d, s) for s, d in ordered[max(0, start - first) : stop - first]]
    return page


def _settled(matched: _Matched, docnum: int) -> bool:
    for evaluation in matched.evaluations:
        segment = evaluation.segment
        if 0 <= docnum - segment.offset < segment.count:
            return evaluation.settled(docnum - segment.offset)
    return False


def _rounding(score: float) -> float:
    # Scores here add the same floats as Whoosh in another order: they differ in the last
    # bits, far below this. Scores closer than this are ranked by Whoosh's own.
    return 1e-9 * max(1.0, abs(score))


def _close_scores(candidates: list[tuple[float, int]]) -> Iterable[dict[int, float]]:
    """The candidates (best first) in runs whose neighbouring scores are within rounding."""
    run: dict[int, float] = {}
    previous = None
    for score, docnum in candidates:
        if previous is not None and previous - score > _rounding(previous):
            yield run
            run = {}
        run[docnum] = score
        previous = score
    if run:
        yield run


def _whoosh_scores(
    opened: OpenedIndex, matched: _Matched, q: whoosh_query.Query, approximate: dict, terms: bool
) -> dict[int, float]:
    """Whoosh's score of each hit, on the matcher tree its search would use."""
    # The context the search's collector gives the query: terms=True asks for matchers
    # positioned on each hit, which picks Or's matcher in small segments.
    context = opened.searcher.context(needs_current=terms)
    exact = {}
    for evaluation in matched.evaluations:
        segment = evaluation.segment
        mine = sorted(
            d - segment.offset for d in approximate if 0 <= d - segment.offset < segment.count
        )
        if not mine:
            continue
        matcher = q.matcher(segment.searcher, context)
        try:
            scores = dict(
                zip(mine, map(partial(_Sums(evaluation).score, matcher), mine), strict=True)
            )
        except Unsupported:  # a matcher _Sums does not know: walk Whoosh's matcher
            scores = _walked_scores(matcher, mine)
        for docnum, score in scores.items():
            if score is None:  # not a hit for Whoosh: never seen, but Whoosh decides
                raise Unsupported
            exact[segment.offset + docnum] = score
            if abs(score - approximate[segment.offset + docnum]) > _rounding(score) / 4:
                raise Unsupported
    return exact


def _walked_scores(matcher, docnums: list[int]) -> dict[int, float | None]:
    """The scores as Whoosh's collector gets them: skipping the matcher to each hit in turn."""
    scores = {}
    for docnum in docnums:
        if matcher.is_active() and matcher.id() < docnum:
            matcher.skip_to(docnum)
        found = matcher.is_active() and matcher.id() == docnum
        scores[docnum] = matcher.score() if found else None
    return scores


class _Sums:
    """A hit's score worked out on Whoosh's matcher tree, without walking the postings.

    Whoosh's score of a hit is the sum its matcher tree makes of its terms' scores, in the
    tree's order (floats: the order can change the last bit). Walking the matchers to a hit
    reads every block header before it; here the tree is only read, and each term's score
    comes from the postings the query has read already.
    """

    def __init__(self, evaluation: _SegmentMatches) -> None:
        self.evaluation = evaluation
        self.phrases = {
            (leaf.fieldname, leaf.btexts): leaf.docnums for leaf in evaluation.leaves if leaf.phrase
        }

    def score(self, m, docnum: int) -> float | None:
        """The score `m` gives the document, None where it does not match it."""
        kind = type(m)
        if kind is UnionMatcher:
            a, b = self.score(m.a, docnum), self.score(m.b, docnum)
            return b if a is None else a if b is None else a + b
        if kind is IntersectionMatcher:
            a = self.score(m.a, docnum)
            b = None if a is None else self.score(m.b, docnum)
            return None if b is None else a + b
        if kind is InverseMatcher:
            return inverse_weight(m) if self.score(m.child, docnum) is None else None
        if kind is FilterMatcher and (deleted := excluded_ids(m)) is not None:
            # a segment's deleted documents
            found = None if docnum in deleted else self.score(m.child, docnum)
            return None if found is None else found * m.boost
        if kind is WrappingMatcher:
            found = self.score(m.child, docnum)
            return None if found is None else found * m.boost
        if kind is SpanNear2.SpanNear2Matcher:
            words = [_unwrapped(word).term() for word in m.ms]
            key = (words[0][0], tuple(btext for _, btext in words))
            if not _holds(self.phrases.get(key, ()), docnum):
                return None
            found = self.score(m.child, docnum)
            return None if found is None else found * m.boost
        if kind is W3LeafMatcher:
            return self.leaf(m, docnum)
        if kind is ArrayUnionMatcher:  # Or's matcher in small segments: an array of sums
            return self.array_sum(m, docnum)
        if m is NullMatcher:
            return None
        raise Unsupported

    def array_sum(self, m: ArrayUnionMatcher, docnum: int) -> float | None:
        # ArrayUnionMatcher adds each submatcher's score times the boost, in order, to 0.0
        # (or sets 1, unscored), and matches the documents whose sum is above 0.
        submatchers, scored, boost = array_union_parts(m)
        found = [self.score(sub, docnum) for sub in submatchers]
        if not scored:
            return None if found.count(None) == len(found) else 1
        total = 0.0
        for score in found:
            if score is not None:
                total += score * boost
        return total if total > 0 else None

    def leaf(self, m: W3LeafMatcher, docnum: int) -> float | None:
        fieldname, btext = m.term()
        postings = self.evaluation.postings(fieldname, btext)
        at = bisect_left(postings.ids, docnum)
        if at == len(postings.ids) or postings.ids[at] != docnum:
            return None
        weight = postings.weights[at]
        scorer = m.scorer
        if scorer is None:  # an unscored search: a NOT's
            return weight
        if type(scorer) is BM25FScorer:
            length = self.evaluation.segment.length_bytes(fieldname)[docnum]
            return weight_length_score(scorer)(weight, byte_to_length(length))
        if type(scorer) is WeightScorer:
            return weight
        raise Unsupported


def _unwrapped(m):
    return m.child if type(m) is FilterMatcher else m


def _holds(docnums: list[int], docnum: int) -> bool:
    at = bisect_left(docnums, docnum)
    return at < len(docnums) and docnums[at] == docnum


def _words(
    opened: OpenedIndex, q: whoosh_query.Query, recorded: set[tuple[str, bytes]], *, terms: bool
) -> dict[str, frozenset[str]]:
    """The words a snippet marks in each field, as Whoosh's highlighter collects them."""
    searcher = opened.searcher
    words = {}
    for fieldname in SNIPPET_FIELDS:
        if terms:  # the terms the hits matched
            btexts = [btext for name, btext in recorded if name == fieldname]
        else:  # the query's terms (see _plain_words)
            found = q.existing_terms(searcher.reader(), fieldname=fieldname, expand=True)
            btexts = [btext for _, btext in found]
        from_bytes = searcher.schema[fieldname].from_bytes
        words[fieldname] = frozenset(map(from_bytes, btexts))
    return words
