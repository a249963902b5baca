"""`onrecord check` on a corpus of malformed records: each is caught, at the right spot.

tests/fixtures/good/ is a small valid archive (records copied from the seed). Each folder
tests/fixtures/bad/<case>/ holds only the files that differ from it, plus `expect.txt`:
one line per problem the check must report, written `path:line:column: part of the message`.
The test copies the good archive to a temporary folder, lays the case over it, runs the
real `onrecord check` (in process, for speed) and wants exactly those problems, exit
code 1 and no traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from onrecord import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"
CASES = sorted(path.name for path in BAD.iterdir() if path.is_dir())


def archive_with(tmp_path: Path, *cases: str) -> Path:
    """A copy of the good archive with the files of each case laid over it."""
    root = tmp_path / "archive"
    shutil.copytree(GOOD, root)
    for case in cases:
        shutil.copytree(
            BAD / case, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("expect.txt")
        )
    return root


def check(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["--root", str(root), "check"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def expected(case: str) -> list[tuple[str, str]]:
    """(where, message part) for each line of the case's expect.txt."""
    lines = (BAD / case / "expect.txt").read_text(encoding="utf-8").splitlines()
    pairs = []
    for line in filter(None, lines):
        where, _, message = line.partition(": ")
        pairs.append((where + ":", message))
    return pairs


def reported(err: str) -> list[str]:
    """The problem lines of the check's output (without the closing count)."""
    return [line for line in err.splitlines() if not line.endswith(" found")]


def test_the_corpus_has_at_least_forty_cases():
    assert len(CASES) >= 40


def test_every_case_says_what_it_expects():
    assert [case for case in CASES if not expected(case)] == []


def test_the_good_archive_passes(tmp_path, capsys):
    code, out, err = check(archive_with(tmp_path), capsys)
    assert (code, err) == (0, "")
    assert out.startswith("ok: 3 statements, 4 speakers, 2 outlets, 12 themes, 1 source")


@pytest.mark.parametrize("case", CASES)
def test_bad_record_is_reported_at_its_line(case, tmp_path, capsys):
    code, out, err = check(archive_with(tmp_path, case), capsys)
    lines = reported(err)
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    for where, message in expected(case):
        assert any(line.startswith(where) and message in line for line in lines), (
            f"{where} {message!r} not in:\n{err}"
        )
    assert len(lines) == len(expected(case)), err


def test_two_broken_files_give_two_messages(tmp_path, capsys):
    code, _, err = check(archive_with(tmp_path, "unknown-speaker", "enum-typo"), capsys)
    lines = reported(err)
    assert code == 1
    assert len(lines) == 2
    assert any("unknown-speaker.yaml:2:10: unknown speaker" in line for line in lines)
    assert any("enum-typo.yaml:9:14: `attribution` cannot be" in line for line in lines)
    assert err.splitlines()[-1] == "2 problems found"


def test_problems_of_every_kind_are_reported_in_one_run(tmp_path, capsys):
    cases = ["yaml-unclosed-quote", "unknown-field-typo", "footnote-not-in-source"]
    code, _, err = check(archive_with(tmp_path, *cases), capsys)
    assert code == 1
    assert len(reported(err)) == sum(len(expected(case)) for case in cases)


# -- files that look odd but are valid ---------------------------------------------------------

STATEMENT = Path("content/statements/2017/khamenei-ahl-al-bayt-speech.yaml")


def rewrite(root: Path, relative: Path, change) -> None:
    path = root / relative
    path.write_bytes(change(path.read_bytes()))


def test_a_file_with_a_utf8_bom_is_valid(tmp_path, capsys):
    root = archive_with(tmp_path)
    rewrite(root, STATEMENT, lambda raw: b"\xef\xbb\xbf" + raw)
    assert check(root, capsys)[0] == 0


def test_a_file_with_windows_line_endings_is_valid(tmp_path, capsys):
    root = archive_with(tmp_path)
    rewrite(root, STATEMENT, lambda raw: raw.replace(b"\n", b"\r\n"))
    assert check(root, capsys)[0] == 0


def test_an_unquoted_date_in_a_date_field_is_valid(tmp_path, capsys):
    root = archive_with(tmp_path)
    rewrite(root, STATEMENT, lambda raw: raw.replace(b'date: "2017-11-23"', b"date: 2017-11-23"))
    assert check(root, capsys)[0] == 0


def test_a_yml_extension_is_read_like_yaml(tmp_path, capsys):
    root = archive_with(tmp_path)
    theme = root / "content/themes/iraq.yaml"
    theme.rename(theme.with_suffix(".yml"))
    assert check(root, capsys)[0] == 0


def test_a_problem_in_a_yml_file_names_that_file(tmp_path, capsys):
    root = archive_with(tmp_path)
    theme = root / "content/themes/iraq.yaml"
    theme.with_suffix(".yml").write_text(theme.read_text().replace("name:", "nam:"))
    theme.unlink()
    code, _, err = check(root, capsys)
    assert code == 1
    assert "content/themes/iraq.yml:3:1: unknown field 'nam' (did you mean 'name'?)" in err
