"""`onrecord check`, run as the installed command: exit codes, the counts line, messages."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import SEED

from onrecord.load import load_archive

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
