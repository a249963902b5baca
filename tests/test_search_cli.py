"""`onrecord search`: ranked hits as plain text, or the answer object as JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import ANSWER_KEYS, HIT_KEYS, SEED

from onrecord.cli import main
from onrecord.model import statement_title
from onrecord.records import load_archive
from onrecord.search import DEFAULT_INDEX_DIR, build_index


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("index")
    build_index(load_archive(SEED), index_dir)
    return index_dir


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["--root", str(SEED), "search", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_search_prints_ranked_hits_with_permalinks(seed_index, capsys):
    code, out, _ = run(capsys, "Basij", "--index", str(seed_index))
    assert code == 0
    assert out.startswith("3 statements for “Basij”")
    first = load_archive(SEED).statements["jafari-basij-conference"]
    title = statement_title(first, load_archive(SEED).speakers[first.speaker_id])
    assert f"1. 2017-11-26  {title}" in out
    assert "/statements/jafari-basij-conference/" in out


def test_search_shows_matches_as_bold_plain_text(seed_index, capsys):
    _, out, _ = run(capsys, "Basij", "--index", str(seed_index))
    assert "**Basij**" in out
    assert "<mark>" not in out and "&lt;" not in out


def test_search_prints_facet_counts(seed_index, capsys):
    _, out, _ = run(capsys, "Basij", "--index", str(seed_index))
    assert "speaker: mohammad-ali-jafari (2), javan (1)" in out
    assert "year: 2017 (3)" in out


def test_search_prints_did_you_mean_for_a_misspelling(seed_index, capsys):
    code, out, _ = run(capsys, "basj", "--exact", "--index", str(seed_index))
    assert code == 0
    assert "Did you mean: basij" in out


def test_search_shows_the_corrections_results_when_the_typed_words_find_nothing(seed_index, capsys):
    code, out, _ = run(capsys, "basj", "--index", str(seed_index))
    assert code == 0
    assert out.startswith("Showing results for basij. Search instead for: --exact")
    assert "statements for “basj”" in out
    assert "Did you mean" not in out


def test_search_json_prints_the_answer_object(seed_index, capsys):
    code, out, _ = run(capsys, "Basij", "--json", "--index", str(seed_index))
    answer = json.loads(out)
    assert code == 0
    assert set(answer) == ANSWER_KEYS
    assert answer["total"] == 3
    assert set(answer["hits"][0]) == HIT_KEYS


def test_search_filters_narrow_the_results(seed_index, capsys):
    argv = ["--theme", "basij", "--from", "2017-11-27", "--json", "--index", str(seed_index)]
    _, out, _ = run(capsys, *argv)
    assert [hit["id"] for hit in json.loads(out)["hits"]] == ["javan-basij-editorial"]


def test_search_bad_filter_exits_1_with_the_message(seed_index, capsys):
    code, _, err = run(capsys, "Basij", "--from", "someday", "--index", str(seed_index))
    assert code == 1
    assert "2017-11-23" in err


def test_search_without_an_index_exits_1_saying_make_html(tmp_path, capsys):
    code, out, err = run(capsys, "Basij", "--index", str(tmp_path / "nothing"))
    assert code == 1
    assert "make html" in err
    assert out == ""


def test_search_defaults_to_var_index_under_the_root(tmp_path, seed_index, capsys):
    shutil.copytree(seed_index, tmp_path / DEFAULT_INDEX_DIR, symlinks=True)
    code = main(["--root", str(tmp_path), "search", "Basij", "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["total"] == 3
