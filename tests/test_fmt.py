"""`onrecord fmt`: one canonical layout, idempotent, and never a change of meaning."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import SEED, copy_records

from onrecord import cli, fmt
from onrecord.records import Layout, build_record, load_archive, read_record
from onrecord.yamlfile import Document, parse

COMMITTED = [path for _, path in Layout(SEED).files()]
KIND_OF = {path: kind for kind, path in Layout(SEED).files()}


MESSY = """\
text: ['First paragraph: with a #hash, kept.', "Second  paragraph,  two spaces kept."]
id: messy-statement
attribution: secondary
themes: [syria,
  iraq]
source: sochi-triumph-report
notes: >
  A folded note
  over two lines.
speaker: ali-khamenei
date: 2017-11-23
footnote: 3
quotes:
- statement: khamenei-ahl-al-bayt-speech
  paragraph: 1
original: {text: ['Yes', 'no', '1:20', '010', '2017-11-23', 'on'], language: fa}
headline: 'It''s a ''headline'''
"""

# The same record, one field broken: `spekaer` is not a field.
BROKEN = MESSY.replace("speaker:", "spekaer:")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_records(tmp_path)


def fmt_run(root: Path, capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--root", str(root), "fmt", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write_messy(root: Path, text: str = MESSY) -> Path:
    path = root / "content" / "statements" / "2017" / "messy-statement.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def document(kind: str, path: Path, raw: bytes) -> Document:
    found, problems = read_record(kind, path.name, raw)
    assert found is not None and not problems, problems
    return found


def messed_up(data: dict) -> str:
    """`data` as YAML an editor might write: keys shuffled, flow lists, plain or single quotes."""
    shuffled = random.Random(len(str(data)))

    def shuffle(value: object) -> object:
        if isinstance(value, dict):
            keys = list(value)
            shuffled.shuffle(keys)
            return {key: shuffle(value[key]) for key in keys}
        if isinstance(value, list):
            return [shuffle(item) for item in value]
        return value

    return yaml.safe_dump(
        shuffle(data), allow_unicode=True, sort_keys=False, default_flow_style=None, width=60
    )


# -- the seed fixture's records ------------------------------------------------------------


def test_seed_records_are_in_canonical_layout(capsys):
    code, out, err = fmt_run(SEED, capsys, "--check")
    assert (code, err) == (0, "")
    assert f"{len(COMMITTED)} records already tidy" in out


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: str(p.relative_to(SEED)))
def test_seed_record_is_its_own_canonical_text(path: Path):
    kind = KIND_OF[path]
    data = document(kind, path, path.read_bytes()).data
    text = fmt.canonical_text(data, kind, fmt.schema_comment(SEED, kind, path))
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: str(p.relative_to(SEED)))
def test_messed_up_committed_record_comes_back_exactly(tmp_path: Path, capsys, path: Path):
    root = copy_records(tmp_path)
    kind = KIND_OF[path]
    copy = root / path.relative_to(SEED)
    before = document(kind, path, path.read_bytes())
    copy.write_text(messed_up(before.data), encoding="utf-8")
    assert fmt_run(root, capsys, str(copy))[0] == 0
    assert copy.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
    after = document(kind, path, copy.read_bytes())
    assert build_record(kind, after) == build_record(kind, before)


# -- a messy hand-written record ---------------------------------------------------------------


def test_messy_record_is_rewritten_with_the_same_meaning(root: Path, capsys):
    write_messy(root)
    before = load_archive(root)
    code, out, _ = fmt_run(root, capsys)
    assert code == 0
    assert "content/statements/2017/messy-statement.yaml: reformatted" in out
    assert load_archive(root) == before


def test_messy_record_gets_the_canonical_layout(root: Path, capsys):
    path = write_messy(root)
    fmt_run(root, capsys, str(path))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../../../schema/statement.schema.json"
    keys = [line.split(":")[0] for line in lines[1:] if line[:1].isalpha()]
    assert keys == [
        "id",
        "speaker",
        "date",
        "source",
        "footnote",
        "headline",
        "text",
        "original",
        "themes",
        "quotes",
        "attribution",
        "notes",
    ]
    assert '- "First paragraph: with a #hash, kept."' in lines
    assert '- "Second  paragraph,  two spaces kept."' in lines
    assert 'notes: "A folded note over two lines.\\n"' in lines
    assert lines[lines.index('  - "no"') :][:3] == ['  - "no"', '  - "1:20"', '  - "010"']
    assert lines[-4:-2] == ["- paragraph: 1", '  statement: "khamenei-ahl-al-bayt-speech"']


def test_messy_record_keeps_yaml11_lookalikes_as_text(root: Path, capsys):
    path = write_messy(root)
    fmt_run(root, capsys, str(path))
    data = parse(str(path), path.read_bytes()).data
    assert data["original"]["text"] == ["Yes", "no", "1:20", "010", "2017-11-23", "on"]


def test_second_run_changes_nothing(root: Path, capsys):
    path = write_messy(root)
    fmt_run(root, capsys)
    once = path.read_bytes()
    code, out, _ = fmt_run(root, capsys)
    assert (code, path.read_bytes()) == (0, once)
    assert "reformatted" not in out


def test_rewritten_record_passes_fmt_check(root: Path, capsys):
    write_messy(root)
    fmt_run(root, capsys)
    assert fmt_run(root, capsys, "--check")[0] == 0


# -- --check ---------------------------------------------------------------------------------


def test_check_lists_an_untidy_record_and_writes_nothing(root: Path, capsys):
    path = write_messy(root)
    code, _, err = fmt_run(root, capsys, "--check")
    assert code == 1
    assert (
        "content/statements/2017/messy-statement.yaml: not in canonical layout (run onrecord fmt)"
        in err.splitlines()
    )
    assert path.read_text(encoding="utf-8") == MESSY


def test_check_of_a_tidy_file_given_by_path_passes(root: Path, capsys):
    theme = root / "content" / "themes" / "iraq.yaml"
    assert fmt_run(root, capsys, "--check", str(theme))[0] == 0


def test_check_of_one_file_ignores_untidy_others(root: Path, capsys):
    write_messy(root)
    theme = root / "content" / "themes" / "iraq.yaml"
    assert fmt_run(root, capsys, "--check", str(theme))[0] == 0


def test_key_order_alone_makes_a_record_untidy(root: Path, capsys):
    theme = root / "content" / "themes" / "iraq.yaml"
    lines = theme.read_text(encoding="utf-8").splitlines(keepends=True)
    theme.write_text("".join([lines[0], lines[2], lines[1], *lines[3:]]), encoding="utf-8")
    assert fmt_run(root, capsys, "--check")[0] == 1


def test_folder_argument_covers_the_records_inside(root: Path, capsys):
    write_messy(root)
    assert fmt_run(root, capsys, "--check", str(root / "content" / "themes"))[0] == 0
    assert fmt_run(root, capsys, "--check", str(root / "content" / "statements"))[0] == 1


# -- refusals --------------------------------------------------------------------------------


def test_broken_record_is_left_as_it_is_and_exits_1(root: Path, capsys):
    path = write_messy(root, BROKEN)
    code, _, err = fmt_run(root, capsys)
    assert code == 1
    assert path.read_text(encoding="utf-8") == BROKEN
    assert "unknown field 'spekaer'" in err
    assert "messy-statement.yaml: left as it is (fix the problems above first)" in err


def test_unparsable_record_is_left_as_it_is(root: Path, capsys):
    path = write_messy(root, "id: [unclosed\n")
    assert fmt_run(root, capsys, str(path))[0] == 1
    assert path.read_text(encoding="utf-8") == "id: [unclosed\n"


def test_editors_comment_is_refused_without_force(root: Path, capsys):
    path = write_messy(root, MESSY + "# ask the translator about paragraph 2\n")
    code, _, err = fmt_run(root, capsys, str(path))
    assert code == 1
    assert path.read_text(encoding="utf-8").endswith("# ask the translator about paragraph 2\n")
    assert "messy-statement.yaml:18:1: a comment would be lost" in err
    assert "--force" in err


def test_comment_after_a_value_is_found(root: Path, capsys):
    theme = root / "content" / "themes" / "iraq.yaml"
    text = theme.read_text(encoding="utf-8").replace('"Iraq"', '"Iraq"  # check the spelling')
    theme.write_text(text, encoding="utf-8")
    code, _, err = fmt_run(root, capsys, str(theme))
    assert code == 1
    assert "iraq.yaml:3:15: a comment would be lost: '# check the spelling'" in err


def test_force_drops_the_comment_and_keeps_the_meaning(root: Path, capsys):
    path = write_messy(root, "# ask the translator\n" + MESSY)
    before = load_archive(root)
    assert fmt_run(root, capsys, "--force", str(path))[0] == 0
    assert "translator" not in path.read_text(encoding="utf-8")
    assert load_archive(root) == before


def test_hash_inside_text_is_not_a_comment():
    assert fmt.editor_comments("x.yaml", MESSY) == []
    block = "notes: |\n  # not a comment\n  text\nid: x # a comment\n"
    assert [p.line for p in fmt.editor_comments("x.yaml", block)] == [4]


def test_wrong_schema_line_is_replaced_not_refused(root: Path, capsys):
    theme = root / "content" / "themes" / "iraq.yaml"
    committed = theme.read_text(encoding="utf-8")
    theme.write_text(committed.replace("../../schema", "../schema"), encoding="utf-8")
    assert fmt_run(root, capsys, str(theme))[0] == 0
    assert theme.read_text(encoding="utf-8") == committed


# -- paths -----------------------------------------------------------------------------------


def test_missing_path_exits_1(root: Path, capsys):
    code, _, err = fmt_run(root, capsys, str(root / "content" / "themes" / "nowhere.yaml"))
    assert code == 1
    assert "no such file" in err


def test_yaml_outside_the_record_folders_is_skipped(root: Path, capsys):
    other = root / "content" / "pages" / "about.yaml"
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_text("title: [flow]\n", encoding="utf-8")
    code, _, err = fmt_run(root, capsys, str(other))
    assert code == 0
    assert "not a record" in err
    assert other.read_text(encoding="utf-8") == "title: [flow]\n"


def test_kind_is_taken_from_the_folder(root: Path):
    layout = Layout(root)
    assert fmt.kind_of(layout, root / "content/statements/2017/x.yaml") == "statement"
    assert fmt.kind_of(layout, root / "speakers/x.yml") == "speaker"
    assert fmt.kind_of(layout, root / "content/themes/sub/x.yaml") is None
    assert fmt.kind_of(layout, root / "content/themes/x.txt") is None


def test_empty_archive_is_an_error(tmp_path: Path, capsys):
    code, _, err = fmt_run(tmp_path, capsys)
    assert code == 1
    assert "no records under" in err


# -- scaffolds -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["statement", "--speaker", "ali-khamenei", "--date", "2017-11-23"]
        + ["--source", "sochi-triumph-report", "--text", "no", "--text", "Yes: 1:20 #x"],
        ["speaker", "--name", "Test Person", "--kind", "person"],
        ["outlet", "--name", "Test Outlet"],
        ["theme", "--name", "Test", "--description", "Statements on a test."],
        ["source", "--title", "A test report"],
    ],
    ids=lambda args: args[0],
)
def test_fresh_scaffold_is_already_tidy(root: Path, capsys, args: list[str]):
    assert cli.main(["--root", str(root), "new", *args]) == 0
    path = Path(capsys.readouterr().out.strip())
    code, _, err = fmt_run(root, capsys, "--check", str(path))
    assert (code, err) == (0, "")


# -- the installed command -------------------------------------------------------------------


def test_installed_command_checks_the_current_folder():
    script = Path(sys.executable).with_name("onrecord")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "onrecord.cli"]
    result = subprocess.run(
        [*command, "fmt", "--check"],
        capture_output=True,
        text=True,
        cwd=SEED,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")


def test_rewrite_keeps_the_file_mode(root: Path, capsys):
    path = write_messy(root)
    path.chmod(0o640)
    fmt_run(root, capsys, str(path))
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_rewrite_that_would_change_the_meaning_is_refused(root: Path, capsys, monkeypatch):
    path = write_messy(root)
    real = fmt.canonical_text

    def losing_a_paragraph(data: dict, kind: str, comment: str) -> str:
        return real({**data, "text": data["text"][:1]}, kind, comment)

    monkeypatch.setattr(fmt, "canonical_text", losing_a_paragraph)
    code, _, err = fmt_run(root, capsys, str(path))
    assert code == 1
    assert "would not read back the same" in err
    assert path.read_text(encoding="utf-8") == MESSY


def test_byte_order_mark_and_crlf_are_rewritten(root: Path, capsys):
    iraq, isis = root / "content/themes/iraq.yaml", root / "content/themes/isis.yaml"
    iraq.write_bytes(b"\xef\xbb\xbf" + iraq.read_bytes())
    isis.write_bytes(isis.read_bytes().replace(b"\n", b"\r\n"))
    assert fmt_run(root, capsys, "--check")[0] == 1
    assert fmt_run(root, capsys)[0] == 0
    assert iraq.read_bytes() == (SEED / "content/themes/iraq.yaml").read_bytes()
    assert isis.read_bytes() == (SEED / "content/themes/isis.yaml").read_bytes()
