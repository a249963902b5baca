"""Queries against the built index: parsing, filters, facets, highlights, suggestions.

`search()` answers with one plain dict (the shape the CLI prints with `--json` and the
search service returns), so nothing outside this package sees a Whoosh object. Any query
text gives results or an "error" message in that dict, never an exception; only a
missing index raises (`IndexMissing`), because no query can fix that.

Most queries are answered from the postings (`postings`) and the rest by Whoosh's own
search (here); a search without words is a listing (`listing`). `snippets` makes the hits'
snippets, `facets` counts the facets of many hits, `answers` holds what every path shares.
"""

from __future__ import annotations

import html
import logging
import math
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from whoosh import highlight, qparser, spelling
from whoosh import query as whoosh_query
from whoosh.fields import TEXT, Schema
from whoosh.lang.porter import stem
from whoosh.searching import Searcher

from .answers import FACET_FIELDS, UNDATED, Found, answer_hit, facet_counts
from .index import (
    QUERY_OPERATORS,
    name_analyzer,
)
from .listing import listing
from .opened import OpenedIndex, opened_index
from .postings import direct
from .snippets import SNIPPET_CHARS, MarkFormatter, whoosh_snippet
from .whoosh_internals import RescoringListCorrector

log = logging.getLogger(__name__)

# Fields an unqualified word is looked for in; `speaker:`, `outlet:`, `theme:` and `year:`
# in the query text address one field.
DEFAULT_FIELDS = (
    "headline",
    "text",
    "speaker",
    "role",
    "venue",
    "outlet",
    "themes",
    "quoted_speakers",
)
# `speaker:x` means the speaker's name or id (and the same for outlets and themes).
ID_FIELDS = {"speaker": "speaker_id", "outlet": "outlet_id", "themes": "theme_ids"}
# `source:<id>` in the query text means the report that quotes the statement.
FIELD_ALIASES = {"themes": ["theme"], "id": ["statement"], "source_id": ["source"]}

# Query fields whose words "did you mean" corrects (unqualified words are in "words").
CORRECTED_FIELDS = ("speaker", "outlet", "theme")

MAX_QUERY_CHARS = 1000  # beyond this a query is a paste accident, and parsing it is slow
# "a*" expands to every indexed word starting with "a" in every field: seconds at 10,000
# statements, for one query. Three letters narrow it enough.
MIN_WILDCARD_PREFIX = 3
EVERYTHING = ("*", "*:*")  # asked for as a query, it is the listing of everything
MAX_PER_PAGE = 100
SUGGEST_BELOW = 3  # offer "did you mean" when fewer hits than this
MAX_SUGGESTED_WORD = 40  # edit-distance search on longer words is slow and never useful

# Control characters (NUL included) and lone surrogates cannot be indexed words and make
# encoders fail further down; they become spaces.
_UNWANTED = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# `-word` at the start of a query word (not inside "vis-a-vis", not inside quotes) means NOT.
_MINUS = re.compile(r'"[^"]*"?|(?:^|(?<=[\s(]))-(?=[^\s\-])')
# A quoted phrase, or a query word holding * or ?.
_WILDCARD_WORD = re.compile(r'"[^"]*"?|[^\s()"]*[*?][^\s()"]*')


def search(
    index_dir: Path,
    q: str,
    *,
    speaker: str | None = None,
    outlet: str | None = None,
    theme: str | None = None,
    year: int | str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    claim: str | None = None,
    source: str | None = None,
    page: int = 1,
    per_page: int = 20,
    site_url: str = "",
    exact: bool = False,
) -> dict:
    """Search the index under `index_dir` (the folder holding `current`).

    `claim` keeps the statements that make a claim of that kind (`threat`, `prediction`...).

    Returns `{"query", "total", "page", "pages", "hits", "facets", "suggestion",
    "expanded", "synonyms", "corrected"}` (`expanded`: the archive's spellings also searched
    for, by word as typed, see `with_variants`; `synonyms`: the other names of themes and
    outlets the query holds, see `synonyms`), plus "error" when the query or a filter cannot be
    understood. A query that finds nothing where its correction finds something answers
    with the correction's results and `corrected` (the query searched instead; the page
    says "Showing results for …"), unless `exact`: then only `suggestion` offers it.
    Raises `IndexMissing`.
    """
    text = clean_query(q)
    text = "" if text in EVERYTHING else text
    page = max(1, _whole(page, 1))
    per_page = min(MAX_PER_PAGE, max(1, _whole(per_page, 20)))
    answer = _empty_answer(text, page)
    if len(text) > MAX_QUERY_CHARS:
        return answer | {
            "error": f"The query is too long ({len(text):,} characters); "
            f"use at most {MAX_QUERY_CHARS:,}."
        }
    try:
        filters = _filters(speaker, outlet, theme, year, date_from, date_to, claim, source)
    except ValueError as error:
        return answer | {"error": str(error)}
    opened = opened_index(index_dir)
    with opened.lock:
        opened.note_search()
        try:
            searched, expanded = with_variants(opened, text)
            found = _run(opened, searched, filters, page, per_page, site_url)
            found |= {"query": text, "expanded": expanded, "synonyms": synonyms(opened, text)}
            if found["total"] or not found["suggestion"] or exact:
                return found
            corrected = found["suggestion"]
            searched, expanded = with_variants(opened, corrected)
            instead = _run(opened, searched, filters, page, per_page, site_url)
            return instead | {
                "query": text,
                "expanded": expanded,
                "synonyms": synonyms(opened, corrected),
                "corrected": corrected,
                "suggestion": None,
            }
        except Exception:  # a query Whoosh chokes on must not take the caller down
            log.exception("search failed for %r", text)
            return answer | {"error": "This query could not be run; try simpler words."}


def labels(index_dir: Path) -> dict[str, dict[str, str]]:
    """Display names for facet values: `{"speaker": {id: name}, "outlet": …, "theme": …}`."""
    return opened_index(index_dir).labels


def snippet_as_text(snippet: str, mark: str = "**") -> str:
    """A snippet as plain text for a terminal: <mark>x</mark> becomes **x**, entities decode."""
    # Real <mark> tags go first: escaped record text cannot contain one until unescaped.
    marked = snippet.replace("<mark>", mark).replace("</mark>", mark)
    return " ".join(html.unescape(marked).split())


def clean_query(q: object) -> str:
    """The query text with control characters removed and whitespace collapsed."""
    return " ".join(_UNWANTED.sub(" ", q if isinstance(q, str) else "").split())


# A bare query word: not in a phrase, not `field:`, not an operator, no wildcard.
_BARE_WORD = re.compile(r'"[^"]*"?|(?<![\w:*?\-])([^\W\d_][\w\'’ʿʾ]*)(?![\w:*?])')


def with_variants(opened: OpenedIndex, text: str) -> tuple[str, dict[str, list[str]]]:
    """`text` with each bare word the archive lacks also sought in its spellings there.

    `Hezbollah` becomes `(Hezbollah OR hizbullah)` when the archive writes "Hizbullah"
    (see variants.py); returns the text to search and what was added, by word as typed.
    """
    expanded: dict[str, list[str]] = {}
    analyze = name_analyzer()
    words = [w for w in _BARE_WORD.findall(text) if w and w not in QUERY_OPERATORS]
    # A query typed with caps lock on ("BASIJ IN SYRIA") holds no names in capitals.
    shouted = len(words) > 1 and all(w.isupper() for w in words)

    def expand(match: re.Match) -> str:
        word = match.group(1)
        if word is None or word in QUERY_OPERATORS:
            return match.group()
        terms = [token.text for token in analyze(word)]
        if len(terms) == 1 and terms[0].isupper():
            # A stop word in capitals (`US`) is a name where the archive writes it so, and
            # otherwise the stop word it is ("IN" finds what "in" does: everything).
            if shouted or terms[0] not in opened.spellings:
                return word.lower()
            return word
        found = opened.variants(terms[0]) if len(terms) == 1 else []
        if not found:
            return word
        expanded[word.casefold()] = found
        return "(" + " OR ".join([word, *found]) + ")"

    return _BARE_WORD.sub(expand, text), expanded


def synonyms(opened: OpenedIndex, text: str) -> list[list[str]]:
    """The themes' and outlets' other names `text` holds: `[[as typed, kind, id], …]`.

    The statements filed under such a record are found through the names the index holds
    for it; this says so ("Daesh" is another name for the theme ISIS), in the query's order.
    """
    if not opened.other_names:
        return []
    tokens = [(t.text, t.startchar, t.endchar) for t in name_analyzer()(text, chars=True)]
    terms = [term for term, _, _ in tokens]
    named = []
    for key, (kind, record_id) in opened.other_names.items():
        words = key.split(" ")
        for i in range(len(terms) - len(words) + 1):
            if terms[i : i + len(words)] == words:
                typed = text[tokens[i][1] : tokens[i + len(words) - 1][2]]
                named.append((tokens[i][1], [typed, kind, record_id]))
                break
    return [found for _, found in sorted(named, key=lambda item: item[0])]


def _whole(value: object, default: int) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return default


def _empty_answer(text: str, page: int) -> dict:
    return {
        "query": text,
        "total": 0,
        "page": page,
        "pages": 0,
        "hits": [],
        "facets": {name: {} for name in FACET_FIELDS},
        "suggestion": None,
        "expanded": {},
        "synonyms": [],
        "corrected": None,
    }


def _filters(
    speaker: str | None,
    outlet: str | None,
    theme: str | None,
    year: int | str | None,
    date_from: str | None,
    date_to: str | None,
    claim: str | None = None,
    source: str | None = None,
) -> list[whoosh_query.Query]:
    """Exact filters from the search form's fields; ValueError with a message for bad ones."""
    filters: list[whoosh_query.Query] = []
    for fieldname, value in (
        ("speaker_id", speaker),
        ("outlet_id", outlet),
        ("theme_ids", theme),
        ("claim_kinds", claim),
        ("source_id", source),
    ):
        if value:
            filters.append(whoosh_query.Term(fieldname, clean_query(value)))
    if year == UNDATED:
        filters.append(whoosh_query.Term("year", UNDATED))
    elif year not in (None, ""):
        number = _whole(year, 0)
        if not 0 < number < 10000:
            raise ValueError(
                f"The year must be a number like 2017 (or {UNDATED}), "
                f"not {clean_query(str(year))!r}."
            )
        filters.append(whoosh_query.Term("year", f"{number:04d}"))
    start, end = _iso_date(date_from, "from"), _iso_date(date_to, "to")
    if start and end and start > end:
        raise ValueError(f"The date range is empty: {start} is after {end}.")
    if start or end:
        filters.append(whoosh_query.TermRange("date", start, end))
    return filters


def _iso_date(value: str | None, which: str) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(clean_query(str(value))).isoformat()
    except ValueError:
        shown = clean_query(str(value))[:40]
        raise ValueError(f"The '{which}' date must look like 2017-11-23, not {shown!r}.") from None


def _parser(schema, default_fields: tuple[str, ...]) -> qparser.QueryParser:
    if len(default_fields) == 1:
        parser = qparser.QueryParser(default_fields[0], schema, group=qparser.AndGroup)
    else:
        parser = qparser.MultifieldParser(list(default_fields), schema, group=qparser.AndGroup)
    # 'single quotes' would make "Sha'bi s" a quoted term; only "double quotes" make phrases.
    parser.remove_plugin_class(qparser.SingleQuotePlugin)
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    parser.add_plugin(qparser.CopyFieldPlugin(ID_FIELDS))
    return parser


def _minus_as_not(text: str) -> str:
    return _MINUS.sub(lambda m: m.group() if m.group().startswith('"') else "NOT ", text)


def _parse(searcher: Searcher, text: str, default_fields: tuple[str, ...]) -> whoosh_query.Query:
    """The query for `text`; ValueError when a part of it cannot be understood."""
    _check_wildcards(text)
    try:
        parsed = _parser(searcher.schema, default_fields).parse(text, normalize=False)
    except Exception as error:  # Whoosh's parser fails on some operator soups ("NOT NOT")
        raise ValueError(
            "Could not understand the query: check its quotes, brackets, OR and NOT."
        ) from error
    errors = [str(sub.error) for sub in _walk(parsed) if getattr(sub, "error", None)]
    if errors:
        raise ValueError(f"Could not understand part of the query: {errors[0]}")
    return parsed.normalize()


def _check_wildcards(text: str) -> None:
    # Checked on the words as typed: Whoosh stems a wildcard's letters ("bas*" → "ba*").
    for match in _WILDCARD_WORD.finditer(text):
        word = match.group()
        if word.startswith('"'):
            continue  # inside a phrase * and ? are not wildcards
        letters = re.split(r"[*?]", word.rsplit(":", 1)[-1])[0]
        if len(letters) < MIN_WILDCARD_PREFIX:
            raise ValueError(
                f"Put at least {MIN_WILDCARD_PREFIX} letters before * or ? "
                f"(as in basi*), not {word!r}."
            )


def _walk(q: whoosh_query.Query):
    yield q
    for child in q.children():
        yield from _walk(child)


def _run(
    opened: OpenedIndex,
    text: str,
    filters: list[whoosh_query.Query],
    page: int,
    per_page: int,
    site: str,
) -> dict:
    answer = _empty_answer(text, page)
    if text:
        try:
            q = _parse(opened.searcher, _minus_as_not(text), DEFAULT_FIELDS)
        except ValueError as error:
            return answer | {"error": str(error)}
        terms = not _plain_words(q)
        found = direct(opened, q, filters, page, per_page, site, terms=terms)
        if found is None:
            found = _through_whoosh(opened, q, filters, page, per_page, site, terms=terms)
    else:  # no words: what the filters let through, newest first
        found = listing(opened, filters, page, per_page, site)
    total, hits, facets = found
    answer.update(total=total, pages=math.ceil(total / per_page), hits=hits, facets=facets)
    if text and total < SUGGEST_BELOW:
        answer["suggestion"] = _suggestion(opened, text, filters, total)
    return answer


def _through_whoosh(
    opened: OpenedIndex,
    q: whoosh_query.Query,
    filters: list[whoosh_query.Query],
    page: int,
    per_page: int,
    site: str,
    *,
    terms: bool = False,
) -> Found:
    """Whoosh's own search: every query the direct path leaves aside."""
    results = opened.searcher.search(
        q,
        filter=whoosh_query.And(filters) if filters else None,
        # A scored search gathers every hit (Whoosh's top-N collector skips blocks it
        # wrongly judges unable to make the page, losing hits) and so knows them all.
        limit=None,
        terms=terms,
    )
    results.formatter = MarkFormatter()
    results.fragmenter = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
    docs = results.docs()
    hits = [
        answer_hit(hit.fields(), hit.score, whoosh_snippet(hit), site)
        for hit in results[(page - 1) * per_page : page * per_page]
    ]
    return len(docs), hits, facet_counts(opened.facet_keys, docs)


def _plain_words(q: whoosh_query.Query) -> bool:
    """Whether the query is words joined by AND, OR and NOT (of a word) and nothing else.

    Snippets mark the words the hits matched. Recording those per hit costs a third of a
    query matching half the archive; for such a query the words of the query mark the
    same: a hit holds a marked field's word exactly when that word matched in it, and no
    hit holds a word NOT excludes from that field. Phrases and wildcards are left to Whoosh.
    """
    if type(q) is whoosh_query.Term:
        return True
    if type(q) is whoosh_query.Or:
        return all(_plain_words(sub) for sub in q.subqueries)
    if type(q) is whoosh_query.And:
        return all(_plain_words(sub) or _excluded_words(sub) for sub in q.subqueries)
    return False


def _excluded_words(q: whoosh_query.Query) -> bool:
    words = q.query if type(q) is whoosh_query.Not else None
    if type(words) is whoosh_query.Or:
        return all(type(sub) is whoosh_query.Term for sub in words.subqueries)
    return type(words) is whoosh_query.Term


def _spelling_parser() -> qparser.QueryParser:
    # Query words are corrected as written (unstemmed), against the build's word list.
    names = name_analyzer()
    fields = {name: TEXT(analyzer=names) for name in ("words", *CORRECTED_FIELDS)}
    parser = qparser.QueryParser("words", Schema(**fields), group=qparser.AndGroup)
    parser.remove_plugin_class(qparser.SingleQuotePlugin)
    return parser


def _suggestion(
    opened: OpenedIndex, text: str, filters: list[whoosh_query.Query], total: int
) -> str | None:
    """A corrected query string that finds more than `text` does, or None."""
    text = _minus_as_not(text)
    q = _spelling_parser().parse(text)
    unknown = [
        (token.fieldname, token.text)
        for token in q.all_tokens()
        # Words of a phrase carry no position in the query text, so they cannot be replaced.
        if token.startchar is not None
        and token.fieldname in ("words", *CORRECTED_FIELDS)
        and len(token.text) <= MAX_SUGGESTED_WORD
        and token.text not in opened.spellings
    ]
    if not unknown or not opened.spellings:
        return None
    corrector = _RankedCorrector(opened.spellings)
    correctors = {fieldname: corrector for fieldname, _ in unknown}
    corrected = spelling.SimpleQueryCorrector(correctors, unknown, prefix=1).correct_query(q, text)
    if not corrected.tokens or corrected.string == text:
        return None
    try:
        better = _parse(opened.searcher, corrected.string, DEFAULT_FIELDS)
    except ValueError:
        return None
    found = opened.searcher.search(
        better, filter=whoosh_query.And(filters) if filters else None, limit=1
    )
    return corrected.string if len(found) > total else None


class _RankedCorrector(RescoringListCorrector):
    """Closest words first and, at the same distance, the most used ("basj" → "basij")."""

    def __init__(self, frequencies: dict[str, int]) -> None:
        super().__init__(list(frequencies))  # read_spellings keeps them sorted
        self.frequencies = frequencies

    def rescored(self, text: str, suggestions: Iterable[tuple[float, str]]):
        # A correction is at least as long as the word's stem: "daesh" is not "dash".
        shortest = len(stem(text))
        for score, word in suggestions:
            if len(word) < shortest:
                continue
            used = self.frequencies.get(word, 1)
            # Scores are minus the distance; a bonus below 0.5 reorders within a distance.
            yield score + 0.5 * used / (used + 1), word
