"""Queries against a real index of the seed records: matching, filters, facets, safety."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path

import pytest

from onrecord.load import load_archive
from onrecord.model import Archive
from onrecord.search import build_index, search
from onrecord.search import query as query_module
from onrecord.search.query import labels, snippet_as_text

REPO = Path(__file__).resolve().parents[1]
ANSWER_KEYS = {"query", "total", "page", "pages", "hits", "facets", "suggestion"}
HIT_KEYS = {"id", "url", "speaker", "date", "score", "snippet"}
JAFARI = {"jafari-basij-conference", "jafari-press-conference"}


@pytest.fixture(scope="module")
def archive() -> Archive:
    return load_archive(REPO)


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
    assert facets["year"] == {str(key): len(v) for key, v in archive.by_year.items()}


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
    assert set(answer["facets"]) == {"speaker", "outlet", "theme", "year", "claim"}
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
    [("basj", "basij"), ("soliemani", "soleimani"), ("speaker:jafri", "speaker:jafari")],
)
def test_misspelling_gets_a_suggestion(seed_index, q, suggestion):
    assert search(seed_index, q)["suggestion"] == suggestion


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
