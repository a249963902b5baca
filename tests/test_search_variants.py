"""A name finds its statements however the reader spells it: the archive's spellings of an
unknown query word are searched for too, and ordinary words are left exactly as they were.

Built on the seed fixture's index, for real; the CLI and the service answer the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SEED

from onrecord import cli
from onrecord.records import load_archive
from onrecord.search import build_index, search
from onrecord.search.opened import OpenedIndex
from onrecord.search.variants import skeleton

# (as a reader may type it, as the seed fixture spells it)
SPELLINGS = [
    ("Hezbollah", "Hizbullah"),
    ("Hizbollah", "Hizbullah"),
    ("Suleimani", "Soleimani"),
    ("Soleymani", "Soleimani"),
    ("Quds", "Qods"),
    ("Shaabi", "Sha'bi"),
    ("Shabi", "Sha'bi"),  # the analyzer's own: the apostrophe goes, nothing is expanded
    ("Fatemiyun", "Fatemiyoun"),
    ("Fatimiyoun", "Fatemiyoun"),
    ("Rouhani", "Rohani"),
    ("Bagheri", "Baqeri"),
    ("Qasem", "Qassem"),
]
# Queries of ordinary words (and names spelled as the archive does): no variant may blur them.
ORDINARY = [
    "Iran", "Iraq", "Israel", "Syria", "Basij", "resistance", "conference", "Saudi",
    "Yemen", "America", "Zionism", "forces", "victory", "Lebanon", "martyrs", "revolution",
    "ISIS", "Sochi", "Assad", "Russia", "Turkey", "terrorism", "Islamic", "popular",
    "Afghanistan", "Palestine", "commander", "regime", "enemies", "defeat", "Hizbullah",
    "Soleimani", '"resistance front"', "Basij OR Israel", "Iran -Iraq",
]  # fmt: skip


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("variants")
    build_index(load_archive(SEED), folder)
    return folder


def ids(answer: dict) -> set[str]:
    return {hit["id"] for hit in answer["hits"]}


@pytest.mark.parametrize(("typed", "archived"), SPELLINGS)
def test_another_spelling_finds_what_the_archives_spelling_finds(index, typed, archived):
    wanted = search(index, archived, per_page=100)
    assert wanted["total"] > 0
    answer = search(index, typed, per_page=100)
    assert ids(answer) == ids(wanted)
    assert answer["query"] == typed
    for added in answer["expanded"].values():
        assert added and typed.casefold() not in added


@pytest.mark.parametrize("query", ORDINARY)
def test_ordinary_queries_answer_exactly_as_without_variants(index, query, monkeypatch):
    answer = search(index, query, per_page=100)
    monkeypatch.setattr(OpenedIndex, "variants", lambda self, word: [])
    plain = search(index, query, per_page=100)
    assert answer["expanded"] == {}
    assert ids(answer) == ids(plain) and answer["total"] == plain["total"]


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("hezbollah", "hizbullah", True),
        ("soleymani", "soleimani", True),
        ("quds", "qods", True),
        ("bagheri", "baqeri", True),
        ("ghasem", "qasem", True),
        ("alshabi", "shabi", True),
        ("mohamad", "mohammad", True),
        ("iran", "iraq", False),
        ("suleimani", "salman", False),
        ("israel", "israil", True),
        ("basij", "basic", False),
    ],
)
def test_skeletons_join_spellings_and_keep_names_apart(one, other, same):
    assert (skeleton(one) == skeleton(other)) is same


def test_the_cli_says_what_it_searched_for_too(index, capsys):
    assert cli.main(["--root", str(SEED), "search", "Hezbollah", "--index", str(index)]) == 0
    assert "(also searched for hizbullah: the archive's spelling of 'hezbollah')" in (
        capsys.readouterr().out
    )
    argv = ["--root", str(SEED), "search", "Hezbollah", "--json", "--index", str(index)]
    assert cli.main(argv) == 0
    assert json.loads(capsys.readouterr().out)["expanded"] == {"hezbollah": ["hizbullah"]}


def test_a_word_in_a_phrase_or_a_field_is_left_as_typed(index):
    assert search(index, '"Hezbollah"')["expanded"] == {}
    assert search(index, "speaker:Hezbollah")["expanded"] == {}


def test_the_results_page_says_which_spellings_it_searched_for(site):
    from urllib.request import urlopen

    from bs4 import BeautifulSoup

    with urlopen(f"{site}/search/?q=Hezbollah", timeout=10) as response:
        page = BeautifulSoup(response.read(), "html.parser")
    said = " ".join(page.select_one("p.expanded").get_text().split())
    assert (
        said
        == "The archive spells “hezbollah” as hizbullah: those spellings were searched for too."
    )
    assert page.select("h3.statement-item-title")


# -- synonyms the editors keep: a theme's or an outlet's other names ---------------------------


@pytest.fixture(scope="module")
def with_synonyms(tmp_path_factory) -> Path:
    from conftest import copy_records

    base = tmp_path_factory.mktemp("synonyms")
    root = copy_records(base / "archive")
    theme = root / "content/themes/isis.yaml"
    theme.write_text(
        theme.read_text(encoding="utf-8").replace(
            'name: "ISIS"\n', 'name: "ISIS"\nother_names:\n- "Daesh"\n- "ISIL"\n'
        ),
        encoding="utf-8",
    )
    outlet = root / "content/outlets/kayhan.yaml"
    outlet.write_text(
        outlet.read_text(encoding="utf-8").replace(
            'name: "Kayhan"\n', 'name: "Kayhan"\nother_names:\n- "Keyhan Daily"\n'
        ),
        encoding="utf-8",
    )
    assert cli.main(["--root", str(root), "check"]) == 0
    build_index(load_archive(root), base / "index")
    return base / "index"


@pytest.mark.parametrize("synonym", ["Daesh", "ISIL", "daesh"])
def test_a_themes_other_name_finds_its_statements(with_synonyms, synonym):
    on_theme = search(with_synonyms, "theme:isis", per_page=100)
    assert on_theme["total"] > 0
    assert ids(on_theme) <= ids(search(with_synonyms, synonym, per_page=100))


def test_an_outlets_other_name_finds_its_statements(with_synonyms):
    in_outlet = search(with_synonyms, "", outlet="kayhan", per_page=100)
    assert ids(in_outlet) and ids(in_outlet) <= ids(search(with_synonyms, '"Keyhan Daily"'))


def test_the_answer_says_which_other_names_it_used(with_synonyms, capsys):
    answer = search(with_synonyms, "daesh and Keyhan Daily")
    assert answer["synonyms"] == [["daesh", "theme", "isis"], ["Keyhan Daily", "outlet", "kayhan"]]
    assert search(with_synonyms, "Keyhan")["synonyms"] == []  # half a name names nothing
    assert search(with_synonyms, "ISIS")["synonyms"] == []  # the record's own name
    assert cli.main(["search", "ISIL", "--index", str(with_synonyms)]) == 0
    assert "(“ISIL” is another name for the theme isis: its statements were found)" in (
        capsys.readouterr().out
    )
