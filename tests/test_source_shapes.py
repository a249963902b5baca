"""A source of another shape: a daily review that prints honorifics, sections and an order,
cuts quotes off, paraphrases, and names a speaker its own way.

The seed fixture is copied and such a source added with records written as an editor
would, then built for real and searched.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import SEED, build_records, copy_records

from onrecord.search import search

SOURCE = """\
id: "daily-review"
title: "Daily Review of the Iranian Press"
publisher: "An Example Institute"
url: "https://review.example/daily/1"
published: "2017-11"
footnotes: []
"""
SPEAKER = """\
id: "ahmad-jannati"
name: "Ahmad Jannati"
honorific: "Ayatollah"
kind: "person"
"""


def statement(statement_id: str, speaker: str, position: int, text: str, **fields: object) -> str:
    lines = [
        f'id: "{statement_id}"',
        f'speaker: "{speaker}"',
        'source: "daily-review"',
        'section: "Regional affairs"',
        f"position: {position}",
        f"text:\n- {json.dumps(text)}",
        'attribution: "secondary"',
    ]
    lines += [f"{name}: {json.dumps(value)}" for name, value in fields.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = copy_records(tmp_path_factory.mktemp("shapes") / "archive")
    (root / "permalinks.txt").write_bytes((SEED / "permalinks.txt").read_bytes())
    (root / "content/sources/daily-review.yaml").write_text(SOURCE, encoding="utf-8")
    (root / "speakers/ahmad-jannati.yaml").write_text(SPEAKER, encoding="utf-8")
    undated = root / "content/statements/undated"
    undated.mkdir(exist_ok=True)
    # Written in the reverse of the review's order: the source page must follow `position`.
    (undated / "review-second.yaml").write_text(
        statement(
            "review-second",
            "mohammad-ali-jafari",
            2,
            "Zyxwords of the second item.",
            speaker_as="Major General Jafari",
            role="IRGC commander",
            form="paraphrase",
        ),
        encoding="utf-8",
    )
    (undated / "review-first.yaml").write_text(
        statement(
            "review-first",
            "ahmad-jannati",
            1,
            "Zyxwords of the first item …",
            truncated=True,
        ),
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="module")
def built(root: Path, tmp_path_factory) -> Path:
    return build_records(root, tmp_path_factory.mktemp("shapes-site"))


def page(built: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((built / "output" / path / "index.html").read_bytes(), "html.parser")


def described(soup: BeautifulSoup) -> dict[str, str]:
    terms = soup.select_one("dl.attribution")
    return {
        dt.get_text(strip=True): " ".join(dt.find_next_sibling("dd").get_text().split())
        for dt in terms.find_all("dt")
    }


def test_the_statement_page_says_how_the_source_printed_it(built):
    second = described(page(built, "statements/review-second"))
    assert second["Named in the source as"] == "Major General Jafari"
    assert second["Place in the source"] == "under “Regional affairs”, item 2"
    assert "a paraphrase" in second["As printed"]
    first = described(page(built, "statements/review-first"))
    assert "cut off by the source" in first["As printed"]
    assert "footnote" not in " ".join(first.values())


def test_the_honorific_stands_before_the_name(built):
    assert page(built, "speakers/ahmad-jannati").find("h1").get_text(" ", strip=True) == (
        "Ayatollah Ahmad Jannati"
    )
    assert described(page(built, "statements/review-first"))["Speaker"].startswith(
        "Ayatollah Ahmad Jannati"
    )


def test_the_speaker_page_gives_each_spelling_and_role_with_its_source(built):
    terms = described(page(built, "speakers/mohammad-ali-jafari"))
    assert (
        "Major General Jafari (in Daily Review of the Iranian Press)"
        in terms["Named in the sources as"]
    )
    roles = terms["Roles, as the sources state them"]
    assert "IRGC commander (in Daily Review of the Iranian Press" in roles


def test_the_source_page_lists_its_statements_in_its_own_order(built):
    links = page(built, "sources/daily-review").select("main li a[href*='statements/']")
    order = [re.search(r"statements/([^/]+)/", a["href"]).group(1) for a in links]
    assert order[:2] == ["review-first", "review-second"]


def test_exports_carry_the_new_fields_and_the_sources_address(built):
    output = built / "output"
    second = json.loads((output / "statements/review-second.json").read_text("utf-8"))
    assert (second["speaker_as"], second["form"], second["truncated"]) == (
        "Major General Jafari",
        "paraphrase",
        False,
    )
    assert (second["section"], second["position"]) == ("Regional affairs", 2)
    assert second["source"]["address"] == "https://review.example/daily/1"
    assert second["source"]["publisher"] == "An Example Institute"
    with (output / "data/statements.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    assert rows["review-first"]["truncated"] == "true"
    assert rows["review-second"]["source_address"] == "https://review.example/daily/1"
    assert rows["review-second"]["aliases"] == ""


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("Ayatollah Jannati", "review-first"),
        ("speaker:ayatollah", "review-first"),
        ('"Major General Jafari"', "review-second"),
    ],
)
def test_honorifics_and_the_names_sources_print_are_searchable(built, query, found):
    answer = search(built / "index", query)
    assert found in [hit["id"] for hit in answer["hits"]], answer


def test_its_pages_are_valid_html(built):
    from content_checks import broken_links, html_errors

    assert html_errors(built / "output") == []
    assert broken_links(built / "output") == []


def test_source_is_a_facet_a_filter_and_a_query_field(built):
    everything = search(built / "index", "", per_page=100)
    assert everything["facets"]["source"]["daily-review"] == 2
    assert everything["facets"]["source"]["sochi-triumph-report"] == everything["total"] - 2
    only = search(built / "index", "", source="daily-review", per_page=100)
    assert {hit["id"] for hit in only["hits"]} == {"review-first", "review-second"}
    by_field = search(built / "index", "zyxwords source:daily-review", per_page=100)
    assert {hit["id"] for hit in by_field["hits"]} == {"review-first", "review-second"}
    assert search(built / "index", "zyxwords source:sochi-triumph-report")["total"] == 0
