"""What an answer is made of, however it was found: the facets it counts and its hits.

Shared by every way of answering a query, Whoosh's own search (`query`), the direct
path from the postings (`postings`) and the listings (`listing`), and by the snippets
and the facets' tables (`facets`): `Unsupported` is how the
direct path and the snippets hand a query they cannot answer as Whoosh does to Whoosh.
"""

from __future__ import annotations

from collections import Counter
from itertools import chain

from .. import urls

# Facet name in the answer → the field it counts.
FACET_FIELDS = {
    "speaker": "speaker_id",
    "outlet": "outlet_id",
    "theme": "theme_ids",
    "year": "year",
    "source": "source_id",
    "claim": "claim_kinds",
}
# The year of a statement whose source gives no date: a value of the year facet and filter
# (`year=undated`), labelled in words, so undated statements are counted, not left out.
UNDATED = "undated"
UNDATED_LABEL = "date not stated"
# Facets over fields holding several values per statement (themes, claim kinds).
LIST_FACETS = {"theme": "theme_ids", "claim": "claim_kinds"}

# A page as `query._run` shows it: the total, the page's hits, the facet counts.
Found = tuple[int, list[dict], dict[str, dict]]


class Unsupported(Exception):
    """The direct path does not answer this query the way Whoosh does: Whoosh answers it."""


def facet_counts(facet_keys: dict[str, tuple], docs: set[int]) -> dict[str, dict]:
    """Counts over every matching statement, not just the page, biggest first."""
    return {name: _counts(facet_keys[name], docs, name in LIST_FACETS) for name in FACET_FIELDS}


def _counts(keys: tuple, docs: set[int], several: bool) -> dict:
    found = map(keys.__getitem__, docs)
    counts = Counter(chain.from_iterable(found) if several else found)
    # Statements without an outlet or a date fall in a None group: not a value to offer.
    shown = {key: n for key, n in counts.items() if key not in (None, "")}
    return dict(sorted(shown.items(), key=lambda item: (-item[1], str(item[0]))))


def answer_hit(fields: dict, score: float | None, snippet: str, site_url: str) -> dict:
    """A hit as the answer shows it, from its stored fields."""
    statement_id = fields["id"]
    return {
        "id": statement_id,
        "url": urls.absolute(site_url, urls.record("statement", statement_id)),
        "title": fields.get("title"),
        "speaker": fields.get("speaker_name"),
        "date": fields.get("date"),
        "score": None if score is None else round(score, 4),
        "snippet": snippet,
    }
