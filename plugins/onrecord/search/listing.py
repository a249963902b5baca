"""Listings: a search without words, what its filters let through, newest first.

Whoosh answers one by sorting every statement the filters let through on each query:
at 100,000 statements 40 ms for one speaker's 481, 60 ms for a year's 9,000, 135 ms for a
half-year date range and 380 ms for everything, in one process. Here the order is made
once per opened build (`OpenedIndex.newest_first`, Whoosh's own sort of every statement),
and a listing takes the filters' statements in that order: the same page, total and
facets as Whoosh's sorted search (tests/test_search_query.py holds it to that).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from heapq import nsmallest
from itertools import chain

from whoosh import query as whoosh_query

from . import facets
from .answers import Found, answer_hit
from .opened import OpenedIndex, Order
from .postings import term_documents
from .snippets import plain_snippet


def listing(
    opened: OpenedIndex,
    filters: list[whoosh_query.Query],
    page: int,
    per_page: int,
    site: str,
) -> Found:
    """The page of statements `filters` let through (all, without filters), newest first."""
    order = opened.newest_first()
    start, stop = (page - 1) * per_page, page * per_page
    if filters:
        docs = _let_through(opened, filters, order)
        picked = nsmallest(stop, docs, key=order.rank.__getitem__)[start:]
    else:
        docs = order.docnums
        picked = order.docnums[start:stop]
    stored = map(opened.searcher.stored_fields, picked)
    hits = [answer_hit(fields, None, plain_snippet(fields), site) for fields in stored]
    return len(docs), hits, facets.count(opened, docs)


def _let_through(opened: OpenedIndex, filters: list[whoosh_query.Query], order: Order) -> set[int]:
    """The live documents every filter matches (Whoosh's filter=And(filters))."""
    searcher = opened.searcher
    found: set[int] | None = None
    for fq in filters:
        # A date range is a union of a term per date, which Whoosh walks as a tree of
        # matchers: 90 ms for half a year at 100,000 statements. Each term's documents
        # read in turn: 10 ms.
        terms = fq.simplify(searcher.reader()).leaves() if fq.is_range() else (fq,)
        docs = set(chain.from_iterable(map(partial(_documents, opened), terms)))
        found = docs if found is None else found & docs
    live, rank = len(order.docnums), order.rank
    return {docnum for docnum in found or () if rank[docnum] < live}


def _documents(opened: OpenedIndex, fq: whoosh_query.Query) -> Iterable[int]:
    if type(fq) is whoosh_query.Term:  # a block of postings at a time
        return term_documents(opened, fq.fieldname, fq.text)
    return opened.searcher.docs_for_query(fq)
