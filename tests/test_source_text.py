"""A source's text (`content/sources/<id>.txt`): every quote is checked against it.

Built on copies of the seed fixture, its source given the seed report's text (the fixture
itself has none, so that other tests may add statements of their own to it).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import SEED

from onrecord import cli, sourcetext
from onrecord.records import load_archive

TEXT = SEED.parent / "seed-report.txt"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = Path(shutil.copytree(SEED, tmp_path / "archive"))
    shutil.copy(TEXT, root / "content" / "sources" / "sochi-triumph-report.txt")
    return root


def check(root: Path, capsys) -> tuple[int, list[str]]:
    code = cli.main(["--root", str(root), "check"])
    return code, [line for line in capsys.readouterr().err.splitlines() if " found" not in line]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def a_statement_file(root: Path) -> tuple[Path, object]:
    archive = load_archive(root)
    statement = next(s for s in archive.chronological if not s.quoted_in and len(s.paragraphs) > 1)
    return root / statement.path, statement


def test_every_seed_paragraph_is_found_in_the_seed_report(root, capsys):
    assert TEXT.is_file()
    code, problems = check(root, capsys)
    assert (code, problems) == (0, [])


def test_a_one_letter_change_is_told_at_its_paragraph_with_both_versions(root, capsys):
    path, statement = a_statement_file(root)
    paragraph = statement.paragraphs[1]
    word = max(re.findall(r"[a-z]{6,}", paragraph), key=len)
    changed = word[:-1] + ("x" if word[-1] != "x" else "y")
    edit(path, word, changed)
    code, problems = check(root, capsys)
    assert code == 1
    (problem,) = problems
    document = path.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(document, 1) if changed in text)
    assert problem.startswith(f"{path.relative_to(root)}:{line}:")
    assert "paragraph 2 is not in the source's text: the source has \"…" in problem
    source_side, record_side = re.search(
        r'source has "…(.*?)…", the record has "…(.*?)…"', problem
    ).groups()
    assert word[:-1] in source_side and word in source_side
    assert changed in record_side


def test_quotation_marks_and_line_breaks_of_the_source_are_set_aside(root, capsys):
    _, statement = a_statement_file(root)
    paragraph = statement.paragraphs[0]
    text = TEXT.read_text(encoding="utf-8")
    # The source sets the paragraph over two lines, in curly quotes the record has straight.
    middle = paragraph.index(" ", len(paragraph) // 2)
    laid_out = paragraph[:middle] + "\n" + paragraph[middle + 1 :]
    laid_out = laid_out.replace('"', "“")
    (root / "content/sources/sochi-triumph-report.txt").write_text(
        text.replace(paragraph, laid_out), encoding="utf-8"
    )
    assert check(root, capsys) == (0, [])


def test_a_nested_statement_is_checked_too(root, capsys):
    archive = load_archive(root)
    nested = next(s for s in archive.statements.values() if s.quoted_in)
    path = root / nested.path
    word = max(re.findall(r"[A-Za-z]{5,}", nested.paragraphs[0]), key=len)
    text = path.read_text(encoding="utf-8")
    # The nested record's own words (the quoting statement may hold the same ones).
    at = text.index("nested:")
    path.write_text(text[:at] + text[at:].replace(word, word.upper(), 1), encoding="utf-8")
    code, problems = check(root, capsys)
    assert code == 1
    assert any("paragraph 1 is not in the source's text" in p for p in problems)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is empty"), (b"\xff\xfe broken", "is not UTF-8")],
)
def test_an_unreadable_text_is_a_problem_of_its_file(root, capsys, content, message):
    (root / "content/sources/sochi-triumph-report.txt").write_bytes(content)
    code, problems = check(root, capsys)
    assert code == 1
    assert problems[0].startswith(f"content/sources/sochi-triumph-report.txt:1:1: {message}")


def test_stats_names_the_sources_whose_statements_are_not_verified(root, capsys):
    assert cli.main(["--root", str(root), "stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["not_verified_against_a_source_text"] == {}
    (root / "content/sources/sochi-triumph-report.txt").unlink()
    assert cli.main(["--root", str(root), "stats", "--json"]) == 0
    unverified = json.loads(capsys.readouterr().out)["not_verified_against_a_source_text"]
    assert unverified == {"sochi-triumph-report": len(load_archive(root).chronological)}


@pytest.mark.parametrize(
    ("record", "source", "record_side", "source_side"),
    [
        (
            "the arrogant front with",
            "against the arrogance front with all",
            "arrogant",
            "arrogance",
        ),
        ("Basij forces", "the Basij fighters", "Basij forces", "Basij fighters"),
    ],
)
def test_the_difference_shows_where_the_two_part(record, source, record_side, source_side):
    said = sourcetext.difference(record, sourcetext.normalised(source))
    assert said is not None
    assert f'the record has "…{record_side}' in said or record_side in said.split("record has")[1]
    assert source_side in said.split("the record has")[0]
