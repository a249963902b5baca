"""Queries against a real index of the seed records: matching, filters, facets, safety."""

from __future__ import annotations

import dataclasses
import gc
import math
import os
import random
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import ANSWER_KEYS, HIT_KEYS, SEED
from whoosh.query import And, Every
from whoosh.sorting import FieldFacet

from onrecord import synth
from onrecord.model import Archive
from onrecord.records import load_archive
from onrecord.search import answers as answers_module
from onrecord.search import build_index, prepare, search
from onrecord.search import facets as facets_module
from onrecord.search import index as search_index
from onrecord.search import opened as opened_module
from onrecord.search import postings as postings_module
from onrecord.search import query as query_module
from onrecord.search.opened import bit_set, facet_table, opened_index
from onrecord.search.query import labels, snippet_as_text

JAFARI = {"jafari-basij-conference", "jafari-press-conference"}


@pytest.fixture(scope="module")
def archive() -> Archive:
    return load_archive(SEED)


@pytest.fixture(scope="module")
def seed_index(archive, tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("index")
    build_index(archive, index_dir)
    return index_dir


def ids(answer: dict) -> set[str]:
    return {hit["id"] for hit in answer["hits"]}


def find(index_dir: Path, q: str, **filters) -> set[str]:
    answer = search(index_dir, q, per_page=100, **filters)
    assert "error" not in answer, answer["error"]
    return ids(answer)


def with_statements(archive: Archive, statements: dict) -> Archive:
    return Archive.of(
        archive.speakers, archive.outlets, archive.themes, archive.sources, statements
    )


# -- matching ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Jafari", "Ali Jafari", "Mohammad Ali Jafari", "jafari", "mohammad-ali-jafari"]
)
def test_every_spelling_of_a_name_finds_the_speaker(seed_index, name):
    assert find(seed_index, name) == JAFARI


@pytest.mark.parametrize("q", ["speaker:jafari", "speaker:mohammad-ali-jafari", "speaker:Jafari"])
def test_speaker_field_matches_name_or_id(seed_index, q):
    assert find(seed_index, q) == JAFARI


def test_phrase_matches_words_in_order(seed_index):
    assert find(seed_index, '"great satan"') == {"jafari-press-conference"}
    assert find(seed_index, '"satan great"') == set()


def test_all_words_must_match(seed_index):
    assert find(seed_index, "Basij Khomeini") == find(seed_index, "Basij") & find(
        seed_index, "Khomeini"
    )


def test_or_matches_either_word(seed_index):
    either = find(seed_index, "Basij") | find(seed_index, "Sochi")
    assert find(seed_index, "Basij OR Sochi") == either


@pytest.mark.parametrize("q", ["the Basij", "Basij OR", "AND Basij", "(Basij"])
def test_stop_words_and_stray_operators_do_not_empty_the_results(seed_index, q):
    assert find(seed_index, q) == find(seed_index, "Basij")


@pytest.mark.parametrize("q", ["Basij -Yemen", "Basij NOT Yemen"])
def test_minus_and_not_exclude_a_word(seed_index, q):
    expected = find(seed_index, "Basij") - find(seed_index, "Yemen")
    assert expected
    assert find(seed_index, q) == expected


@pytest.mark.parametrize("q", ["Sha'bi", "Sha’bi", "Shabi", "SHA'BI"])
def test_apostrophe_spellings_agree(seed_index, q):
    assert find(seed_index, q) == {
        "jafari-basij-conference",
        "jafari-press-conference",
        "javan-basij-editorial",
    }


@pytest.mark.parametrize("q", ["vis-a-vis", "Vis-À-Vis", "vis-à-vis"])
def test_accents_fold_in_vis_a_vis(seed_index, q):
    assert find(seed_index, q) == {"jafari-press-conference"}


@pytest.mark.parametrize("q", ["triumphs", "triumph", "triumphing"])
def test_stemming_matches_word_forms(seed_index, q):
    assert "khamenei-ahl-al-bayt-speech" in find(seed_index, q)


def test_wildcard_matches_word_beginnings(seed_index):
    assert find(seed_index, "basi*") == find(seed_index, "Basij")


def test_wildcard_with_too_few_letters_is_refused_with_a_message(seed_index):
    assert "at least 3 letters" in search(seed_index, "a*")["error"]


def test_lone_star_lists_everything(seed_index, archive):
    assert search(seed_index, "*")["total"] == len(archive.chronological)


# -- filters -----------------------------------------------------------------------------------


def test_theme_in_query_matches_the_theme(seed_index, archive):
    expected = {s.id for s in archive.by_theme["basij"]}
    assert find(seed_index, "theme:basij") == expected


def test_theme_filter_keeps_the_theme(seed_index, archive):
    expected = {s.id for s in archive.by_theme["hashd-al-shabi"]}
    assert find(seed_index, "", theme="hashd-al-shabi") == expected


def test_year_in_query_matches_the_year(seed_index, archive):
    assert find(seed_index, "year:2017") == {s.id for s in archive.by_year[2017]}


def test_year_filter_keeps_the_year(seed_index, archive):
    assert find(seed_index, "", year=2017) == {s.id for s in archive.by_year[2017]}
    assert find(seed_index, "", year="2016") == set()


def test_outlet_in_query_matches_name_or_id(seed_index, archive):
    expected = {s.id for s in archive.by_outlet["javan"]}
    assert find(seed_index, "outlet:javan") == expected
    assert find(seed_index, "", outlet="javan") == expected


def test_date_range_keeps_statements_within(seed_index, archive):
    expected = {
        s.id
        for s in archive.chronological
        if s.date and "2017-11-22" <= str(s.date) <= "2017-11-23"
    }
    assert find(seed_index, "", date_from="2017-11-22", date_to="2017-11-23") == expected


def test_filter_narrows_a_query(seed_index):
    assert find(seed_index, "Basij", speaker="javan") == {"javan-basij-editorial"}


# -- listing and paging ------------------------------------------------------------------------


def test_empty_query_lists_everything(seed_index, archive):
    answer = search(seed_index, "", per_page=100)
    assert answer["total"] == len(archive.chronological)


def test_empty_query_with_filter_lists_newest_first(seed_index, archive):
    answer = search(seed_index, "", theme="syria", per_page=100)
    *dated, undated = answer["hits"]
    dates = [hit["date"] for hit in dated]
    assert dates == sorted(dates, reverse=True)
    assert len(answer["hits"]) == len(archive.by_theme["syria"])
    assert (undated["id"], undated["date"]) == ("ramadan-al-arabiya-interview", None)


def test_pages_split_the_hits(seed_index):
    first = search(seed_index, "", per_page=4, page=1)
    third = search(seed_index, "", per_page=4, page=3)
    assert (first["pages"], len(first["hits"]), len(third["hits"])) == (3, 4, 1)


def test_pages_of_a_scored_search_follow_the_full_ranking(seed_index):
    ranked = [hit["id"] for hit in search(seed_index, "Israel", per_page=100)["hits"]]
    paged = [
        hit["id"]
        for page in range(1, len(ranked) + 1)
        for hit in search(seed_index, "Israel", per_page=1, page=page)["hits"]
    ]
    assert len(ranked) > 3 and paged == ranked


def test_page_beyond_the_last_is_empty(seed_index):
    answer = search(seed_index, "Basij", page=99)
    assert answer["hits"] == [] and answer["total"] == 3


# -- facets ------------------------------------------------------------------------------------


def test_facets_count_like_the_archive(seed_index, archive):
    facets = search(seed_index, "", per_page=1)["facets"]
    assert facets["speaker"] == {key: len(v) for key, v in archive.by_speaker.items()}
    assert facets["outlet"] == {key: len(v) for key, v in archive.by_outlet.items()}
    assert facets["theme"] == {key: len(v) for key, v in archive.by_theme.items()}
    undated = sum(1 for s in archive.chronological if s.date is None)
    assert undated  # the seed has one: it is counted, as "undated"
    assert facets["year"] == {str(key): len(v) for key, v in archive.by_year.items()} | {
        "undated": undated
    }


def test_facets_count_every_match_not_only_the_page(seed_index, archive):
    matched = find(seed_index, "Basij")
    themes = Counter(t for i in matched for t in archive.statements[i].theme_ids)
    answer = search(seed_index, "Basij", per_page=1)
    assert len(answer["hits"]) == 1
    assert answer["facets"]["theme"] == dict(themes)


def test_facets_count_only_what_the_filters_let_through(seed_index, archive):
    year = max(archive.by_year)
    kept = [archive.statements[i] for i in find(seed_index, "", year=year)]
    facets = search(seed_index, "", year=year, per_page=1)["facets"]
    assert facets["year"] == {str(year): len(kept)}
    assert facets["speaker"] == dict(Counter(s.speaker_id for s in kept))
    assert facets["theme"] == dict(Counter(t for s in kept for t in s.theme_ids))


def test_labels_name_the_facet_values(seed_index):
    names = labels(seed_index)
    assert names["speaker"]["mohammad-ali-jafari"] == "Mohammad Ali Jafari"
    assert names["theme"]["hashd-al-shabi"] == "Hashd Al-Sha'bi"
    assert names["outlet"]["javan"] == "Javan"


# -- the answer --------------------------------------------------------------------------------


def test_answer_has_exactly_the_documented_keys(seed_index):
    answer = search(seed_index, "Basij")
    assert set(answer) == ANSWER_KEYS
    assert set(answer["facets"]) == {"speaker", "outlet", "theme", "year", "source", "claim"}
    assert all(set(hit) == HIT_KEYS for hit in answer["hits"])


def test_hit_links_to_the_statement_page(seed_index):
    answer = search(seed_index, "vis-a-vis", site_url="https://example.org/")
    assert answer["hits"][0]["url"] == "https://example.org/statements/jafari-press-conference/"
    assert answer["hits"][0]["speaker"] == "Mohammad Ali Jafari"
    assert answer["hits"][0]["date"] == "2017-11-23"


def test_snippet_marks_the_matched_words(seed_index):
    snippet = search(seed_index, "Basij")["hits"][0]["snippet"]
    assert "<mark>Basij</mark>" in snippet


@pytest.mark.parametrize(
    "q",
    [
        "Basij",
        "Israel resistance",
        "Israel OR Basij",
        "Israel -Basij",
        "text:Israel -headline:Israel",
    ],
)
def test_snippets_of_plain_words_mark_what_the_hits_matched(seed_index, monkeypatch, q):
    shortcut = search(seed_index, q, per_page=100)
    monkeypatch.setattr(query_module, "_plain_words", lambda q: False)
    assert shortcut["hits"] and shortcut == search(seed_index, q, per_page=100)


def test_snippet_escapes_the_record_text(archive, tmp_path):
    statement = archive.statements["javan-basij-editorial"]
    hostile = dataclasses.replace(
        statement, paragraphs=("Quoted markup <script>alert('Basij')</script> & more.",)
    )
    build_index(with_statements(archive, {**archive.statements, hostile.id: hostile}), tmp_path)
    snippet = search(tmp_path, "alert")["hits"][0]["snippet"]
    assert "&lt;script&gt;" in snippet
    assert set(re.findall(r"<[^>]*>", snippet)) <= {"<mark>", "</mark>"}


def test_snippet_as_text_renders_marks_plainly():
    assert snippet_as_text("a <mark>Basij</mark> &lt;b&gt;\n x") == "a **Basij** <b> x"


# -- suggestions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "suggestion"),
    [("basj", "basij"), ("speaker:jafri", "speaker:jafari")],
)
def test_misspelling_gets_a_suggestion(seed_index, q, suggestion):
    assert search(seed_index, q, exact=True)["suggestion"] == suggestion


@pytest.mark.parametrize(
    ("q", "corrected"), [("basj", "basij"), ("speaker:jafri", "speaker:jafari")]
)
def test_a_misspelling_finding_nothing_shows_the_corrections_results(seed_index, q, corrected):
    answer = search(seed_index, q)
    assert answer["query"] == q  # what was typed, for "Search instead for"
    assert answer["corrected"] == corrected
    assert answer["suggestion"] is None
    assert answer["total"] > 0
    assert ids(answer) == ids(search(seed_index, corrected))
    typed = search(seed_index, q, exact=True)
    assert (typed["total"], typed["corrected"]) == (0, None)


def test_a_misspelling_that_finds_something_is_not_replaced(seed_index):
    # "basj OR Basij" finds Basij's statements: the reader gets those, and a suggestion.
    answer = search(seed_index, "basj OR Basij")
    assert answer["corrected"] is None
    assert answer["total"] == search(seed_index, "Basij")["total"]


def test_a_correction_is_never_shorter_than_the_typed_words_stem(archive, tmp_path):
    # "dash" is one letter from "daesh" but shorter than its stem: never offered for it.
    statement = archive.statements["javan-basij-editorial"]
    dashed = dataclasses.replace(statement, paragraphs=("A dash across the border.",))
    build_index(with_statements(archive, {statement.id: dashed}), tmp_path)
    assert search(tmp_path, "daesh", exact=True)["suggestion"] is None
    assert search(tmp_path, "dahs", exact=True)["suggestion"] == "dash"


def test_us_in_capitals_is_the_country_and_in_lower_case_a_stop_word(archive, tmp_path):
    statements = {
        "a": ("The U.S. will leave the region.",),
        "b": ("Sanctions by the US are war.",),
        "c": ("Let us be clear about the region.",),
        "d": ("BASIJ IN THE REGION",),
    }
    template = archive.statements["javan-basij-editorial"]
    made = {
        key: dataclasses.replace(
            template,
            id=key,
            paragraphs=text,
            quotes=(),
            quoted_in=None,
            theme_ids=(),
            headline=None,
        )
        for key, text in statements.items()
    }
    build_index(with_statements(archive, made), tmp_path)
    assert find(tmp_path, "US") == find(tmp_path, "U.S.") == {"a", "b"}
    assert find(tmp_path, "us") == set()  # a stop word alone finds nothing
    assert find(tmp_path, "us region") == {"a", "c", "d"}
    assert find(tmp_path, "US region") == {"a"}
    # Caps lock on, or a stop word the archive never writes in capitals: still a stop word.
    assert find(tmp_path, "THE REGION") == find(tmp_path, "the region") == {"a", "c", "d"}
    assert find(tmp_path, "AT region") == {"a", "c", "d"}
    assert find(tmp_path, "region OR") == {"a", "c", "d"}


def test_undated_statements_are_a_value_of_the_year_facet_and_filter(archive, tmp_path):
    statement = archive.statements["javan-basij-editorial"]
    undated = dataclasses.replace(statement, date=None)
    build_index(with_statements(archive, {statement.id: undated}), tmp_path)
    answer = search(tmp_path, "")
    assert answer["facets"]["year"] == {"undated": 1}
    assert find(tmp_path, "", year="undated") == {statement.id}
    assert labels(tmp_path)["year"] == {"undated": "date not stated"}
    assert "undated" in search(tmp_path, "", year="someday")["error"]


def test_a_misspelling_that_is_a_spelling_variant_is_answered_at_once(seed_index):
    # Vowels swapped within a run ("ie" for "ei") are a spelling, not a typo (variants.py).
    answer = search(seed_index, "soliemani")
    assert answer["expanded"] == {"soliemani": ["soleimani"]}
    assert answer["total"] == search(seed_index, "soleimani")["total"] > 0
    assert answer["suggestion"] is None


def test_enough_hits_get_no_suggestion(seed_index):
    assert search(seed_index, "Basij")["suggestion"] is None


def test_unknown_word_without_a_neighbour_gets_no_suggestion(seed_index):
    assert search(seed_index, "qwxzvbn")["suggestion"] is None


# -- robustness --------------------------------------------------------------------------------

HOSTILE = [
    "speaker:(",
    "speaker:",
    '"unbalanced quote',
    '"',
    "*",
    "?",
    "*:*",
    "(((",
    ")))",
    "AND",
    "OR OR",
    "NOT",
    "-",
    "--",
    "NOT NOT NOT",
    "foo:bar",
    "basij^",
    "basij^abc",
    "year:[abc TO",
    "year:[2016 TO",
    "date:{",
    "theme:",
    ":",
    "~",
    "basij~x",
    "\x00",
    "basij\x00iraq",
    "\x01\x02\x1b[31m",
    "\ud800",
    "x" * 900,
    "lorem ipsum " * 900,
    "a" * 10_000,
    "<script>alert(1)</script>",
    "'",
    "’’’",
    "\\",
    "/regex/",
    "[a TO z]",
    "{}",
    "%s%n%x",
    "😀 basij",
    "a*b*c*d*e*f*g*h*",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_query_gives_results_or_an_error(seed_index, q):
    answer = search(seed_index, q)
    assert ANSWER_KEYS <= set(answer) <= ANSWER_KEYS | {"error"}
    assert isinstance(answer["total"], int)
    if "error" in answer:
        assert answer["error"] and answer["hits"] == []


@pytest.mark.parametrize(
    "filters",
    [
        {"year": "abc"},
        {"year": -5},
        {"date_from": "2017-13-01"},
        {"date_to": "yesterday"},
        {"date_from": "2017-12-01", "date_to": "2017-11-01"},
        {"page": "abc"},
        {"page": -3, "per_page": 10**9},
        {"speaker": "\x00"},
    ],
)
def test_hostile_filter_gives_results_or_an_error(seed_index, filters):
    answer = search(seed_index, "Basij", **filters)
    assert set(answer) >= ANSWER_KEYS
    assert "error" in answer or answer["page"] >= 1


def test_overlong_query_is_refused_with_a_message(seed_index):
    assert "too long" in search(seed_index, "a" * 10_000)["error"]


def test_bad_year_in_a_filter_is_explained(seed_index):
    assert "year" in search(seed_index, "", year="abc")["error"]


# -- a new build -------------------------------------------------------------------------------


def test_cached_searcher_picks_up_a_new_build(archive, tmp_path):
    without = {k: v for k, v in archive.statements.items() if k != "javan-basij-editorial"}
    build_index(with_statements(archive, without), tmp_path)
    assert "javan-basij-editorial" not in find(tmp_path, "Basij")
    build_index(archive, tmp_path)
    assert "javan-basij-editorial" in find(tmp_path, "Basij")


# -- answering from the postings ---------------------------------------------------------------
#
# Most queries are answered from the postings, not by Whoosh's search; the answers must be
# Whoosh's to the last hit, score, snippet and count. A synthetic archive gives terms long
# enough to span many blocks, words in several fields, and the spellings that bite.

SYNTHETIC_STATEMENTS = 1500
WORDS = [word for word in synth.VOCABULARY[40:2000] if len(word) > 3]
COMMON, FREQUENT, RARE, OTHER = "resistance", "régime", WORDS[500], WORDS[1500]
DIRECT_QUERIES = [
    COMMON,
    RARE,
    f"{COMMON} {RARE}",
    f"{COMMON} council",
    f"{COMMON} OR {RARE}",
    f"{FREQUENT} OR {OTHER} OR council",
    f"{COMMON} -{RARE}",
    f"{FREQUENT} -{COMMON} -council",
    f"({COMMON} OR threat) -{FREQUENT}",
    f'"{COMMON} forces"',
    f'"the {COMMON} forces"',
    f'"{RARE} {OTHER}" OR {COMMON}',
    "vis-à-vis",
    "Sha'bi",
    "Qur’an",
    "Ñúñez",
    "speaker:nunez",
    f"headline:{COMMON} text:council",
    f"year:2019 {COMMON}",
    "theme:syria",
]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synthetic")
    synth.write(SYNTHETIC_STATEMENTS, root / "archive")
    build_index(load_archive(root / "archive"), root / "index")
    return root / "index"


def whoosh_search(index_dir: Path, q: str, **params) -> dict:
    """The answer of Whoosh's own search, which the direct path must give."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(query_module, "direct", lambda *args, **kwargs: None)
        return search(index_dir, q, **params)


def direct_search(index_dir: Path, q: str, **params) -> dict:
    """The answer of the direct path; an error answer where it hands the query to Whoosh."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(query_module, "_through_whoosh", None)
        return search(index_dir, q, **params)


@pytest.mark.parametrize("q", DIRECT_QUERIES)
def test_direct_answer_is_whoosh_answer(synthetic, q):
    answer = direct_search(synthetic, q)
    assert answer["total"] and answer == whoosh_search(synthetic, q)


CONTENT_WORDS = set(WORDS)


def sparse_phrases(root: Path, count: int = 3) -> list[str]:
    """Phrases of a frequent word and a rare one, as the archive's texts have them: the
    frequent word's positions are read only where the rare one is (`values_at`)."""
    archive = load_archive(root)
    texts = [p for s in archive.statements.values() if not s.withdrawn for p in s.paragraphs]
    frequency = Counter(w for text in texts for w in re.findall(r"[a-z]{4,}", text.lower()))
    found: list[str] = []
    for text in texts:
        pairs = zip(text.split(), text.split()[1:], strict=False)
        for first, second in pairs:
            if first.lower() not in CONTENT_WORDS or second.lower() not in CONTENT_WORDS:
                continue  # a function word ("from") is no word of a phrase: not indexed
            often, seldom = frequency[first.lower()], frequency[second.lower()]
            if seldom and often >= 40 * seldom and f'"{first} {second}"' not in found:
                found.append(f'"{first} {second}"')
        if len(found) >= count:
            return found
    return found


def test_a_phrase_of_a_frequent_and_a_rare_word_is_whoosh_answer(synthetic):
    phrases = sparse_phrases(synthetic.parent / "archive")
    assert len(phrases) == 3
    for q in phrases:
        answer = direct_search(synthetic, q)
        assert answer["total"] and answer == whoosh_search(synthetic, q)


@pytest.mark.parametrize("q", [COMMON, f"{COMMON} OR {RARE}", '"vis-à-vis"', f"{COMMON} -{RARE}"])
def test_direct_pages_are_whoosh_pages(synthetic, q):
    pages = math.ceil(whoosh_search(synthetic, q)["total"] / 7)
    for page in (2, 3, pages // 2, pages, pages + 1):
        answer = direct_search(synthetic, q, page=page, per_page=7)
        assert answer == whoosh_search(synthetic, q, page=page, per_page=7)


@pytest.mark.parametrize(
    "filters", [{"year": 2019}, {"theme": "syria"}, {"date_from": "2018-01-01"}]
)
def test_direct_answer_with_filters_is_whoosh_answer(synthetic, filters):
    answer = direct_search(synthetic, COMMON, **filters)
    assert answer["total"] and answer == whoosh_search(synthetic, COMMON, **filters)


@pytest.mark.parametrize("q", [COMMON, "vis-à-vis", f"{COMMON} OR {RARE}", f"{COMMON} -council"])
def test_top_page_through_bounds_is_the_page_of_scoring_every_hit(synthetic, monkeypatch, q):
    bounded = []
    original = postings_module._SegmentMatches.bounded_union

    def spy(self, subqueries):
        found = original(self, subqueries)
        bounded.append(found is not None)
        return found

    monkeypatch.setattr(postings_module, "BOUND_FROM", 1)
    monkeypatch.setattr(postings_module._SegmentMatches, "bounded_union", spy)
    for page in (1, 2):
        assert direct_search(synthetic, q, page=page) == whoosh_search(synthetic, q, page=page)
    assert any(bounded) or q == "vis-à-vis"  # an OR of phrases holds no term at a bound


def test_facets_of_many_hits_count_like_whoosh(synthetic, monkeypatch):
    monkeypatch.setattr(facets_module, "FACET_TABLES_FROM", 1)
    whoosh_search(synthetic, COMMON)  # the tables are made from a searcher's second search
    for q in (COMMON, f"{COMMON} OR {RARE}", "Sha'bi"):
        assert direct_search(synthetic, q)["facets"] == whoosh_search(synthetic, q)["facets"]
    assert opened_index(synthetic).has_facet_tables


def test_scores_worked_out_on_the_matcher_tree_are_whoosh_scores(synthetic):
    opened = opened_index(synthetic)
    # A context with the current match needed makes Whoosh build unions even in small
    # segments, the tree `_Sums` reads (for others, Whoosh's walk is the fallback).
    context = opened.searcher.context(needs_current=True)
    for text in DIRECT_QUERIES:
        q = query_module._parse(
            opened.searcher, query_module._minus_as_not(text), query_module.DEFAULT_FIELDS
        )
        matched = postings_module._matched(opened, q, [], terms=True)
        for evaluation in matched.evaluations:
            docnums = sorted(matched.scores)
            sums = postings_module._Sums(evaluation)
            worked_out = [sums.score(q.matcher(opened.searcher, context), d) for d in docnums]
            walked = postings_module._walked_scores(q.matcher(opened.searcher, context), docnums)
            assert worked_out == [walked[d] for d in docnums]


@pytest.mark.parametrize(
    "q",
    [
        "resis*",  # words by wildcard
        # Whoosh records a NOT phrase's words where its matchers stop: on hits, maybe.
        f'{FREQUENT} -"{COMMON} forces"',
    ],
)
def test_query_the_direct_path_leaves_aside_is_answered_by_whoosh(synthetic, q):
    answer = search(synthetic, q)
    assert answer["total"] and answer == whoosh_search(synthetic, q)
    assert "error" in direct_search(synthetic, q)


def test_index_of_several_segments_with_deletions_answers_like_whoosh(
    archive, tmp_path, monkeypatch
):
    monkeypatch.setattr(search_index, "SMALL_SEGMENT_SHARE", 0.0)  # the new segment kept
    build_index(with_statements(archive, archive.statements), tmp_path)
    edited = dataclasses.replace(
        archive.statements["javan-basij-editorial"], paragraphs=("Basij resistance, again.",)
    )
    build_index(with_statements(archive, {**archive.statements, edited.id: edited}), tmp_path)
    segments = opened_index(tmp_path).segments
    assert len(segments) > 1 and any(segment.deleted for segment in segments)
    for q in ("Basij", "resistance", "Basij -Israel", '"Basij resistance"', "Basij OR Israel"):
        assert direct_search(tmp_path, q) == whoosh_search(tmp_path, q)
    for filters in ({}, {"speaker": edited.speaker_id}, {"theme": edited.theme_ids[0]}):
        assert listed(tmp_path, per_page=100, **filters) == whoosh_listing(
            tmp_path, per_page=100, **filters
        )


# -- listings: no words, newest first ----------------------------------------------------------
#
# A search without words lists what its filters let through, newest first, from an order
# made once per build; the page, total and facets must be those of Whoosh's sorted search.


def listed(index_dir: Path, **params) -> dict:
    answer = search(index_dir, "", **params)
    assert "error" not in answer, answer["error"]
    return {
        "total": answer["total"],
        "hits": [(hit["id"], hit["date"]) for hit in answer["hits"]],
        "facets": answer["facets"],
    }


def whoosh_listing(index_dir: Path, page: int = 1, per_page: int = 20, **params) -> dict:
    """Whoosh's own sorted search for every statement the filters let through."""
    opened = opened_index(index_dir)
    names = ("speaker", "outlet", "theme", "year", "date_from", "date_to", "claim", "source")
    filters = query_module._filters(*map(params.get, names))
    found = opened.searcher.search(
        Every(),
        filter=And(filters) if filters else None,
        sortedby=[FieldFacet("date"), FieldFacet("id")],
        reverse=True,
        limit=None,
    )
    page_hits = found[(page - 1) * per_page : page * per_page]
    return {
        "total": len(found.docs()),
        "hits": [(hit["id"], hit.get("date")) for hit in page_hits],
        "facets": answers_module.facet_counts(opened.facet_keys, found.docs()),
    }


LISTED = [
    {},
    {"year": 2019},
    {"year": "undated"},
    {"date_from": "2018-03-01", "date_to": "2019-02-28"},
    {"date_from": "2020-01-01"},
    {"theme": "syria", "year": 2021},
    {"speaker": "jose-nunez"},
    {"speaker": "jose-nunez", "date_to": "2017-12-31"},
    {"theme": "no-such-theme"},
]


@pytest.mark.parametrize("filters", LISTED)
def test_a_listing_is_whoosh_sorted_search(synthetic, monkeypatch, filters):
    monkeypatch.setattr(facets_module, "FACET_TABLES_FROM", 1)  # counted from the tables too
    first = listed(synthetic, **filters)
    assert first == whoosh_listing(synthetic, **filters)
    assert first["total"] or filters == {"theme": "no-such-theme"}
    pages = math.ceil(first["total"] / 7)
    for page in {2, pages // 2, pages, pages + 1} - {0}:
        assert listed(synthetic, page=page, per_page=7, **filters) == whoosh_listing(
            synthetic, page=page, per_page=7, **filters
        )


def test_a_listing_puts_undated_statements_last(synthetic):
    everything = listed(synthetic, per_page=100, page=10**6)
    assert everything["hits"] == []
    total = everything["total"]
    last = listed(synthetic, per_page=10, page=math.ceil(total / 10))["hits"]
    first = listed(synthetic, per_page=10)["hits"]
    assert last[-1][1] is None and first[0][1] is not None


# Texts the highlighter's fragmenter treats apart: a word longer than a fragment, a text
# past Whoosh's character limit, matches close enough to share a fragment and far apart.
HIGHLIGHTED = {
    "long-word": "Zyxalpha " + "z" * 300 + " zyxalpha once more, then zyxalpha.",
    "past-limit": "Filler words here. " * 2000 + "Zyxalpha at the end. " * 3,
    "crowded": "Zyxalpha, zyxalpha; zyxalpha's zyxalpha’s! " * 40,
    "sparse": ("Zyxalpha starts. " + "Nothing to see in this part of the text. " * 30) * 3,
}


def test_snippets_are_whoosh_highlights(archive, tmp_path):
    statement = archive.statements["javan-basij-editorial"]
    texts = {
        key: dataclasses.replace(statement, id=key, paragraphs=(text,))
        for key, text in HIGHLIGHTED.items()
    }
    build_index(with_statements(archive, {**archive.statements, **texts}), tmp_path)
    for q in ("zyxalpha", '"zyxalpha zyxalpha"', "zyxalpha -nothing", "zyxalpha OR filler"):
        answer = direct_search(tmp_path, q, per_page=100)
        assert answer["hits"] and answer == whoosh_search(tmp_path, q, per_page=100)


def test_preparing_an_index_asks_the_kernel_to_read_its_segments_ahead(
    archive, tmp_path, monkeypatch
):
    build = build_index(archive, tmp_path)
    advised = []

    def advise(descriptor: int, offset: int, length: int, advice: int) -> None:
        advised.append((os.readlink(f"/proc/self/fd/{descriptor}"), offset, length, advice))

    monkeypatch.setattr(os, "posix_fadvise", advise)
    monkeypatch.setattr(opened_module, "_serving", False)
    search(tmp_path, "Basij")  # a one-off search (`onrecord search`) reads only what it needs
    assert not advised
    prepare(tmp_path)  # a service's: read ahead
    assert opened_module._serving
    rebuilt = build_index(archive, tmp_path)  # and every build it opens after
    search(tmp_path, "Basij")
    segments = sorted(str(path.resolve()) for b in (build, rebuilt) for path in b.glob("*.seg"))
    assert len(segments) == 2
    assert sorted(advised) == [(path, 0, 0, os.POSIX_FADV_WILLNEED) for path in segments]


def test_a_prepared_index_answers_its_first_listing_with_what_it_made_ahead(
    archive, tmp_path, monkeypatch
):
    build_index(archive, tmp_path)
    monkeypatch.setattr(opened_module, "_serving", False)  # restored after the test
    prepare(tmp_path)  # the service's start: the order and the facets' tables made now
    assert opened_index(tmp_path).has_facet_tables

    def made_at_a_query(*args, **kwargs):
        raise AssertionError("made at the first query, not when the index was prepared")

    monkeypatch.setattr(opened_module.Order, "of", classmethod(made_at_a_query))
    monkeypatch.setattr(opened_module, "facet_table", made_at_a_query)
    listed = search(tmp_path, "", per_page=100)
    assert listed["total"] == len(listed["hits"]) > 1
    dates = [hit["date"] or "" for hit in listed["hits"]]
    assert dates == sorted(dates, reverse=True)  # newest first


def test_a_prepared_index_opens_each_new_build_before_its_first_query(
    archive, tmp_path, monkeypatch
):
    build_index(archive, tmp_path)
    monkeypatch.setattr(opened_module, "_serving", False)  # restored after the test
    opened_builds: list[str] = []
    open_build = opened_module.OpenedIndex.open.__func__

    def noting(cls, target: str):
        opened_builds.append(target)
        return open_build(cls, target)

    monkeypatch.setattr(opened_module.OpenedIndex, "open", classmethod(noting))
    prepare(tmp_path)
    rebuilt = str(build_index(archive, tmp_path).resolve())  # as a rebuild moves `current`
    deadline = time.monotonic() + 10 * opened_module.WATCH_EVERY
    while rebuilt not in opened_builds and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rebuilt in opened_builds, "the new build is opened without a query"
    assert opened_index(tmp_path).has_facet_tables
    listed = search(tmp_path, "")
    assert listed["total"] > 1
    assert opened_builds.count(rebuilt) == 1  # the query answered from the build opened ahead


def test_the_facets_tables_by_statement_leave_the_collector_nothing_to_walk(synthetic):
    # One tracked container per statement (or one holding a reference per statement) is
    # walked by every full collection in the service, as added time on one query.
    opened = opened_index(synthetic)
    size = opened.searcher.doc_count_all()
    tables = opened.facet_tables()
    gc.collect()
    for name, keys in opened.facet_keys.items():
        assert len(keys) == size
        assert not gc.is_tracked(keys), name
        assert not gc.is_tracked(tables[name].codes), name


def test_facet_counted_by_codes_or_bit_sets_is_counted_as_by_keys(synthetic):
    opened = opened_index(synthetic)
    size = opened.searcher.doc_count_all()
    rng = random.Random(7)
    for name, keys in opened.facet_keys.items():
        facet = facet_table(keys, size)
        several = name in answers_module.LIST_FACETS
        for count in (1, 50, size // 2, size):
            docs = rng.sample(range(size), count)
            by_keys = list(answers_module._counts(keys, docs, several).items())
            by_codes = facets_module.code_counts(facet, docs, several)
            by_bits = facets_module.bit_counts(facet.bits, bit_set(docs, size))
            assert list(by_codes.items()) == list(by_bits.items()) == by_keys
