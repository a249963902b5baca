"""`onrecord check`, run as the installed command: exit codes, the counts line, messages."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import SEED

from onrecord.records import load_archive

GOOD = Path(__file__).resolve().parent / "fixtures" / "good"
COUNTS = re.compile(
    r"ok: \d+ statements?, \d+ speakers?, \d+ outlets?, \d+ themes?, \d+ sources?, \d+ claims?"
)


def onrecord(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The `onrecord` console script beside this Python (the module when it is missing)."""
    script = Path(sys.executable).with_name("onrecord")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "onrecord.cli"]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def broken_copy(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    shutil.copytree(GOOD, root)
    theme = root / "content" / "themes" / "iraq.yaml"
    theme.write_text(theme.read_text(encoding="utf-8").replace("name:", "nmae:"), "utf-8")
    return root


def test_seed_records_pass_with_the_counts_line():
    result = onrecord("--root", str(SEED), "check")
    assert (result.returncode, result.stderr) == (0, "")
    assert COUNTS.fullmatch(result.stdout.strip())


def test_counts_line_matches_the_loaded_archive():
    counts = load_archive(SEED).counts()
    result = onrecord("--root", str(SEED), "check")
    assert f"{counts['statements']} statements" in result.stdout
    assert f"{counts['speakers']} speakers" in result.stdout


def test_root_defaults_to_the_current_folder():
    result = onrecord("check", cwd=SEED)
    assert result.returncode == 0
    assert COUNTS.fullmatch(result.stdout.strip())


def test_broken_record_exits_1_with_path_line_and_column_on_stderr(tmp_path):
    result = onrecord("--root", str(broken_copy(tmp_path)), "check")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "content/themes/iraq.yaml:3:1: unknown field 'nmae' (did you mean 'name'?)" in (
        result.stderr
    )


def test_broken_record_gives_no_traceback(tmp_path):
    result = onrecord("--root", str(broken_copy(tmp_path)), "check")
    assert "Traceback" not in result.stderr


def test_broken_record_output_ends_with_the_number_of_problems(tmp_path):
    result = onrecord("--root", str(broken_copy(tmp_path)), "check")
    # The unknown `nmae` and the missing `name` are both reported.
    assert result.stderr.splitlines()[-1] == "2 problems found"


def test_folder_without_records_is_an_error(tmp_path):
    result = onrecord("--root", str(tmp_path / "nowhere"), "check")
    assert result.returncode == 1
    assert "no records under" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_dropped_published_url_fails_the_check_at_its_line_in_permalinks(tmp_path: Path):
    # A URL listed as published that no record answers any more (its record was deleted or
    # renamed without an alias): `check` says so, as the build would.
    root = tmp_path / "archive"
    shutil.copytree(SEED, root)
    listed = (root / "permalinks.txt").read_text(encoding="utf-8").splitlines()
    listed.insert(3, "/statements/a-deleted-statement/")
    (root / "permalinks.txt").write_text("\n".join(listed) + "\n", encoding="utf-8")
    result = onrecord("--root", str(root), "check")
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith(
        "permalinks.txt:4:1: /statements/a-deleted-statement/ was published but would no longer"
    )
    assert "`aliases`" in result.stderr
    assert result.stderr.splitlines()[-1] == "1 problem found"


def test_new_urls_not_yet_listed_are_a_note_not_a_failure(tmp_path: Path):
    root = tmp_path / "archive"
    shutil.copytree(SEED, root)
    lines = (root / "permalinks.txt").read_text(encoding="utf-8").splitlines()
    (root / "permalinks.txt").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    result = onrecord("--root", str(root), "check")
    assert result.returncode == 0
    assert "note: 1 new URL is not in permalinks.txt yet" in result.stderr


def test_every_problem_is_told_in_one_run_field_and_rule_together(tmp_path: Path):
    # A bad `withdrawn_on` and a missing `attribution_note` in one file: both at once,
    # not the second only after the first is fixed.
    root = tmp_path / "archive"
    shutil.copytree(SEED, root)
    statement = sorted((root / "content" / "statements").rglob("*.yaml"))[0]
    text = statement.read_text(encoding="utf-8")
    text = re.sub(
        r"^attribution: .*$", 'attribution: "withdrawn"\nwithdrawn_on: "9 Jan."', text, flags=re.M
    )
    statement.write_text(text, encoding="utf-8")
    result = onrecord("--root", str(root), "check")
    assert result.returncode == 1
    own = [
        line
        for line in result.stderr.splitlines()
        if line.startswith(f"content/statements/{statement.parent.name}/{statement.name}")
    ]
    assert any("`withdrawn_on` is not a real date" in line for line in own)
    assert any("needs an `attribution_note`" in line for line in own)
    # Nothing said twice about the field that failed: no "needs `withdrawn_on`" as well.
    assert not any("needs `withdrawn_on`" in line for line in own)
