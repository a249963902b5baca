"""`onrecord new KIND`: a new record with a free id that passes `onrecord check` as written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEED

from onrecord import cli, scaffold
from onrecord.records import Layout, load_archive
from onrecord.yamlfile import Document, parse

KHAMENEI = [
    "--speaker",
    "ali-khamenei",
    "--date",
    "2017-11-23",
    "--venue",
    "Supporters of Ahl Al-Bayt Conference in Tehran",
    "--source",
    "sochi-triumph-report",
    "--text",
    "That day will be a holiday for the Islamic world.",
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the seed fixture's records."""
    shutil.copytree(SEED / "content", tmp_path / "content")
    shutil.copytree(SEED / "speakers", tmp_path / "speakers")
    return tmp_path


def new(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["--root", str(root), "new", *args])
    captured = capsys.readouterr()
    return code, captured.out.strip(), captured.err


def check_passes(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["--root", str(root), "check"])
    assert code == 0, capsys.readouterr().err


def record(path: str) -> dict:
    document = parse(path, Path(path).read_bytes())
    assert isinstance(document, Document)
    assert isinstance(document.data, dict)
    return document.data


def test_new_statement_is_written_in_its_year_folder(root, capsys):
    code, out, _ = new(root, capsys, "statement", *KHAMENEI)
    assert code == 0
    assert Path(out) == root / "content/statements/2017/ali-khamenei-2017-11-23.yaml"


def test_new_statement_passes_check(root, capsys):
    new(root, capsys, "statement", *KHAMENEI)
    check_passes(root, capsys)


def test_new_statement_holds_the_given_values(root, capsys):
    _, out, _ = new(root, capsys, "statement", *KHAMENEI)
    data = record(out)
    assert data["text"] == ["That day will be a holiday for the Islamic world."]
    assert (data["speaker"], data["date"], data["attribution"]) == (
        "ali-khamenei",
        "2017-11-23",
        "secondary",
    )


def test_new_statement_takes_several_paragraphs(root, capsys):
    _, out, _ = new(root, capsys, "statement", *KHAMENEI, "--text", "A second paragraph.")
    assert len(record(out)["text"]) == 2


def test_second_identical_call_picks_another_free_id(root, capsys):
    _, first, _ = new(root, capsys, "statement", *KHAMENEI)
    before = Path(first).read_bytes()
    code, second, _ = new(root, capsys, "statement", *KHAMENEI)
    assert code == 0
    assert Path(second).name == "ali-khamenei-2017-11-23-2.yaml"
    assert Path(first).read_bytes() == before
    check_passes(root, capsys)


def test_new_speaker_passes_check(root, capsys):
    code, out, _ = new(root, capsys, "speaker", "--name", "Qassem Soleimani", "--kind", "person")
    assert (code, Path(out).name) == (0, "qassem-soleimani.yaml")
    check_passes(root, capsys)


def test_new_outlet_passes_check(root, capsys):
    code, out, _ = new(root, capsys, "outlet", "--name", "Tasnim News Agency")
    assert (code, Path(out).name) == (0, "tasnim-news-agency.yaml")
    check_passes(root, capsys)


def test_new_theme_passes_check(root, capsys):
    args = ["--name", "Bahrain", "--description", "Statements that mention Bahrain."]
    code, out, _ = new(root, capsys, "theme", *args)
    assert (code, Path(out).name) == (0, "bahrain.yaml")
    check_passes(root, capsys)


def test_new_source_passes_check_with_no_footnotes_yet(root, capsys):
    code, out, _ = new(root, capsys, "source", "--title", "Another Report")
    assert code == 0
    assert record(out)["footnotes"] == []
    check_passes(root, capsys)


def test_new_record_is_loaded_into_the_archive(root, capsys):
    new(root, capsys, "speaker", "--name", "Qassem Soleimani", "--kind", "person")
    assert load_archive(root).speakers["qassem-soleimani"].kind == "person"


def test_name_in_another_script_gives_an_ascii_id(root, capsys):
    _, out, _ = new(root, capsys, "theme", "--name", "Ḥizbullāh Café", "--description", "x")
    assert Path(out).name == "hizbullah-cafe.yaml"


def test_missing_required_flag_without_a_terminal_exits_1_with_a_message(root):
    result = subprocess.run(
        [sys.executable, "-m", "onrecord.cli", "--root", str(root), "new", "theme", "--name", "X"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "--description is required" in result.stderr
    assert "Traceback" not in result.stderr


def test_taken_explicit_id_exits_1_and_keeps_the_file(root, capsys):
    before = (root / "content/themes/iraq.yaml").read_bytes()
    code, _, err = new(root, capsys, "theme", "--id", "iraq", "--name", "X", "--description", "Y")
    assert code == 1
    assert "'iraq' is already a theme's id or former id" in err
    assert (root / "content/themes/iraq.yaml").read_bytes() == before


def test_explicit_id_that_is_a_former_id_is_refused(root, capsys):
    theme = root / "content/themes/iraq.yaml"
    theme.write_text(
        theme.read_text(encoding="utf-8").replace(
            'id: "iraq"\n', 'id: "iraq"\naliases:\n- "mesopotamia"\n'
        ),
        encoding="utf-8",
    )
    check_passes(root, capsys)
    code, _, err = new(
        root, capsys, "theme", "--id", "mesopotamia", "--name", "X", "--description", "Y"
    )
    assert code == 1
    assert "'mesopotamia' is already a theme's id or former id" in err
    assert not (root / "content/themes/mesopotamia.yaml").exists()


def test_id_that_climbs_out_of_the_archive_is_refused(root, capsys):
    args = ["--id", "../../escaped", "--name", "X", "--description", "Y"]
    code, _, err = new(root, capsys, "theme", *args)
    assert code == 1
    assert "is not a valid id" in err
    assert not (root.parent / "escaped.yaml").exists()


def test_impossible_date_is_refused_before_writing(root, capsys):
    args = [a if a != "2017-11-23" else "2017-02-30" for a in KHAMENEI]
    code, _, err = new(root, capsys, "statement", *args)
    assert code == 1
    assert "`date` is not a real date: '2017-02-30'" in err
    assert not list((root / "content/statements/2017").glob("ali-khamenei-*"))


def test_misspelt_choice_is_refused_with_a_suggestion(root, capsys):
    code, _, err = new(root, capsys, "speaker", "--name", "X", "--kind", "persn")
    assert code == 1
    assert "did you mean 'person'?" in err


def test_non_number_footnote_exits_1_with_a_message(root, capsys):
    with pytest.raises(SystemExit) as stopped:
        new(root, capsys, "statement", *KHAMENEI, "--footnote", "three")
    assert "'three' is not a whole number" in str(stopped.value.code)


# -- editing that cannot go wrong quietly ---------------------------------------------------


def a_speaker(root: Path) -> dict:
    return record(str(sorted((root / "speakers").glob("*.yaml"))[0]))


@pytest.mark.parametrize("which", ["name", "spelling", "spelling in other case and accents"])
def test_new_speaker_with_a_name_another_speaker_has_is_refused(root, capsys, which):
    existing = a_speaker(root)
    spelling = existing["other_names"][0] if existing["other_names"] else existing["name"]
    name = {
        "name": existing["name"],
        "spelling": spelling,
        "spelling in other case and accents": spelling.upper().replace("A", "Á", 1),
    }[which]
    before = sorted(p.name for p in (root / "speakers").iterdir())
    code, out, err = new(root, capsys, "speaker", "--name", name, "--kind", "person")
    assert (code, out) == (1, "")
    assert f"speaker {existing['id']!r} (speakers/{existing['id']}.yaml)" in err
    assert "`other_names`" in err and "--force" in err
    assert sorted(p.name for p in (root / "speakers").iterdir()) == before


def test_forced_speaker_of_a_shared_name_is_written_and_check_warns(root, capsys):
    existing = a_speaker(root)
    code, out, _ = new(
        root, capsys, "speaker", "--name", existing["name"], "--kind", "person", "--force"
    )
    assert code == 0 and Path(out).is_file()
    code = cli.main(["--root", str(root), "check"])
    err = capsys.readouterr().err
    assert code == 0
    assert "warning: 2 speakers share the name or spelling" in err
    assert f"speakers/{existing['id']}.yaml" in err and Path(out).name in err


def test_new_never_hands_out_a_former_id(root, capsys):
    # The id `new statement` would make is already another statement's alias.
    statement = sorted((root / "content" / "statements").rglob("*.yaml"))[0]
    text = statement.read_text(encoding="utf-8")
    alias = "ali-khamenei-undated"
    if "\naliases: []\n" in text:
        text = text.replace("\naliases: []\n", f'\naliases:\n- "{alias}"\n')
    else:
        text = text.replace("\nspeaker:", f'\naliases:\n- "{alias}"\nspeaker:', 1)
    statement.write_text(text, encoding="utf-8")
    check_passes(root, capsys)
    code, out, _ = new(
        root,
        capsys,
        "statement",
        "--speaker",
        "ali-khamenei",
        "--source",
        "sochi-triumph-report",
        "--text",
        "Words.",
    )
    assert code == 0
    assert Path(out).stem == f"{alias}-2"
    check_passes(root, capsys)


def test_new_never_hands_out_a_nested_statements_id(root):
    # A nested statement has no file of its own: its id is in its quoting statement's file.
    nested = next(s for s in load_archive(root).statements.values() if s.quoted_in)
    assert not list((root / "content").rglob(f"{nested.id}.yaml"))
    assert scaffold.free_id(Layout(root), "statement", nested.id) == f"{nested.id}-2"


def test_each_kind_has_its_own_help(root, capsys):
    with pytest.raises(SystemExit):
        cli.main(["new", "speaker", "--help"])
    speaker_help = capsys.readouterr().out
    assert "--other-names" in speaker_help and "--force" in speaker_help
    assert "--footnote" not in speaker_help and "--publisher" not in speaker_help
    with pytest.raises(SystemExit):
        cli.main(["new", "source", "--help"])
    source_help = capsys.readouterr().out
    assert "--publisher" in source_help and "--other-names" not in source_help
