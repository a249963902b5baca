"""`onrecord stats`: counts that match the loaded archive, and the editor's to-do list."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import SEED

from onrecord import cli, stats
from onrecord.model import Archive
from onrecord.records import load_archive

UNFINISHED = """\
# yaml-language-server: $schema=../../../schema/statement.schema.json
id: "unfinished-statement"
speaker: "ali-khamenei"
role: null
date: null
outlet: null
source: "sochi-triumph-report"
footnote: null
text:
- "A paragraph."
themes: []
attribution: "secondary"
"""

BARE_SPEAKER = """\
# yaml-language-server: $schema=../schema/speaker.schema.json
id: "bare-speaker"
name: "Bare Speaker"
kind: "person"
"""


@pytest.fixture(scope="module")
def archive() -> Archive:
    return load_archive(SEED)


@pytest.fixture(scope="module")
def report(archive: Archive) -> dict:
    return stats.summary(archive)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(SEED / "content", tmp_path / "content")
    shutil.copytree(SEED / "speakers", tmp_path / "speakers")
    (tmp_path / "content/statements/undated").mkdir(exist_ok=True)
    (tmp_path / "content/statements/undated/unfinished-statement.yaml").write_text(UNFINISHED)
    (tmp_path / "speakers/bare-speaker.yaml").write_text(BARE_SPEAKER)
    return tmp_path


def stats_run(root: Path, capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--root", str(root), "stats", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_counts_per_kind_match_the_archive(archive, report):
    assert report["counts"] == archive.counts()


def test_statements_per_year_add_up_to_every_statement(archive, report):
    years = Counter(str(s.date.year) if s.date else "undated" for s in archive.statements.values())
    assert report["statements_per_year"] == dict(years)
    assert sum(report["statements_per_year"].values()) == len(archive.statements)


def test_statements_per_speaker_match_the_archive(archive, report):
    speakers = Counter(s.speaker_id for s in archive.statements.values())
    assert report["statements_per_speaker"] == dict(speakers)
    assert set(report["statements_per_speaker"]) <= set(archive.speakers)


def test_statements_per_theme_match_the_archive(archive, report):
    themes = Counter(t for s in archive.statements.values() for t in s.theme_ids)
    assert report["statements_per_theme"] == dict(themes)
    published = {theme: len(found) for theme, found in archive.by_theme.items()}
    assert published == report["statements_per_theme"]  # nothing in the seed is withdrawn


def test_most_frequent_first(report):
    counts = list(report["statements_per_theme"].values())
    assert counts == sorted(counts, reverse=True)


def test_unfinished_statement_is_on_the_to_do_list(root: Path):
    todo = stats.summary(load_archive(root))["incomplete"]
    entry = next(r for r in todo if r["id"] == "unfinished-statement")
    assert entry["kind"] == "statement"
    assert entry["path"] == "content/statements/undated/unfinished-statement.yaml"
    assert entry["empty"] == ["outlet", "themes", "footnote", "date", "role"]


def test_speaker_without_roles_or_description_is_on_the_to_do_list(root: Path):
    todo = stats.summary(load_archive(root))["incomplete"]
    entry = next(r for r in todo if r["id"] == "bare-speaker")
    assert (entry["kind"], entry["empty"]) == ("speaker", ["roles", "description"])


def test_nested_statement_names_the_record_it_sits_in(report):
    nested = next(r for r in report["incomplete"] if r["id"] == "ramadan-al-arabiya-interview")
    assert nested["quoted_in"] == "kayhan-sochi-editorial"
    assert nested["empty"] == ["date"]


def test_complete_records_are_not_listed(root: Path, archive):
    listed = {r["id"] for r in stats.summary(load_archive(root))["incomplete"]}
    complete = {
        s.id
        for s in archive.statements.values()
        if s.outlet_id and s.theme_ids and s.footnote and s.date and s.role
    }
    assert complete
    assert not listed & complete


def test_text_report_has_tables_and_the_to_do_list(root: Path, capsys):
    code, out, err = stats_run(root, capsys)
    assert (code, err) == (0, "")
    assert "Statements per year" in out
    assert "Statements per theme" in out
    assert (
        "  content/statements/undated/unfinished-statement.yaml: statement unfinished-statement: "
        "no outlet, themes, footnote, date, role"
    ) in out.splitlines()
    assert "  speakers/bare-speaker.yaml: speaker bare-speaker: no roles, description" in out


def test_json_report_is_the_summary(root: Path, capsys):
    code, out, _ = stats_run(root, capsys, "--json")
    assert code == 0
    assert json.loads(out) == stats.summary(load_archive(root), root)


def test_broken_archive_exits_1_with_the_problems(root: Path, capsys):
    theme = root / "content/themes/iraq.yaml"
    theme.write_text(theme.read_text(encoding="utf-8").replace("name:", "nmae:"), "utf-8")
    code, out, err = stats_run(root, capsys)
    assert (code, out) == (1, "")
    assert "unknown field 'nmae'" in err


def test_empty_folder_is_an_error(tmp_path: Path, capsys):
    code, _, err = stats_run(tmp_path, capsys)
    assert code == 1
    assert "no records under" in err


FOOTNOTELESS_SOURCE = """\
# yaml-language-server: $schema=../../schema/source.schema.json
id: "daily-review"
title: "Daily Review"
footnotes: []
"""


def test_a_withdrawn_statement_is_counted_apart_and_never_incomplete(root, capsys):
    path = root / "content/statements/undated/unfinished-statement.yaml"
    path.write_text(
        path.read_text().replace(
            'attribution: "secondary"',
            'attribution: "withdrawn"\nattribution_note: "Misquoted."\nwithdrawn_on: "2018-01-09"',
        )
    )
    code, out, err = stats_run(root, capsys, "--json")
    assert code == 0, err
    report = json.loads(out)
    total = report["counts"]["statements"]
    assert report["statements_by_status"] == {"published": total - 1, "withdrawn": 1}
    assert "unfinished-statement" not in [r["id"] for r in report["incomplete"]]


def test_a_source_without_footnotes_makes_no_footnote_to_do(root, capsys):
    (root / "content/sources/daily-review.yaml").write_text(FOOTNOTELESS_SOURCE)
    path = root / "content/statements/undated/unfinished-statement.yaml"
    path.write_text(path.read_text().replace("sochi-triumph-report", "daily-review"))
    code, out, err = stats_run(root, capsys, "--json")
    assert code == 0, err
    (entry,) = [r for r in json.loads(out)["incomplete"] if r["id"] == "unfinished-statement"]
    assert entry["empty"] == ["outlet", "themes", "date", "role"]
