"""A build with nothing to do stops before it starts; anything a build reads makes it work.

Each test builds a copy of the seed fixture for real, then changes one kind of input (a
record, a file beside the records, a setting, git's HEAD, the output folder, the state
file) and checks that the next build notices it, or, with nothing changed, that it stops
without touching a file.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, SEED, copy_records

from onrecord import buildstate
from onrecord.build import build


class Archive:
    def __init__(self, base: Path) -> None:
        self.root = copy_records(base / "archive")
        shutil.copy(SEED / "permalinks.txt", self.root / "permalinks.txt")
        self.output = base / "output"
        self.index = base / "var" / "index"

    def build(self, **override) -> dict:
        return build(
            REPO / "pelicanconf.py",
            output=self.output,
            index_dir=self.index,
            ONRECORD_ROOT=str(self.root),
            ONRECORD_PAGEFIND=False,
            **override,
        )

    def stamps(self) -> dict[str, int]:
        return {
            str(path.relative_to(self.output)): path.stat().st_mtime_ns
            for path in self.output.rglob("*")
            if path.is_file()
        }


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    built = Archive(tmp_path)
    assert built.build()["unchanged"] is False
    return built


def test_nothing_changed_stops_before_loading_and_touches_no_file(archive: Archive):
    before = archive.stamps()
    figures = archive.build()
    assert figures["unchanged"] is True
    assert figures["rendered"] == 0 and figures["statements"] > 0
    assert archive.stamps() == before


def test_an_edited_record_is_built(archive: Archive):
    theme = next((archive.root / "content" / "themes").glob("*.yaml"))
    text = theme.read_text(encoding="utf-8")
    theme.write_text(text.replace("\nname: ", "\nname: Renamed "), encoding="utf-8")
    figures = archive.build()
    assert figures["unchanged"] is False and figures["rendered"] > 0
    page = archive.output / "themes" / theme.stem / "index.html"
    assert "Renamed " in page.read_text(encoding="utf-8")


def test_a_new_file_beside_the_records_is_noticed(archive: Archive):
    # A source's text (content/sources/<id>.txt) is an input though it is no record.
    (archive.root / "content" / "sources" / "notes.txt").write_text("x", encoding="utf-8")
    assert archive.build()["unchanged"] is False
    assert archive.build()["unchanged"] is True


def test_a_changed_permalinks_file_is_noticed(archive: Archive):
    (archive.root / "permalinks.txt").touch()  # a new time is enough to look again
    assert archive.build()["unchanged"] is False


def test_another_setting_is_another_build(archive: Archive):
    figures = archive.build(SITEURL="https://archive.example.org")
    assert figures["unchanged"] is False
    page = next((archive.output / "statements").glob("*/index.html"))
    assert "https://archive.example.org/" in page.read_text(encoding="utf-8")


def test_a_removed_output_or_index_is_rebuilt(archive: Archive):
    shutil.rmtree(archive.output)
    assert archive.build()["unchanged"] is False
    assert (archive.output / "index.html").is_file()
    shutil.rmtree(archive.index)
    assert archive.build()["unchanged"] is False
    assert (archive.index / "current").is_symlink()


def test_a_new_commit_is_noticed(archive: Archive):
    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-C", str(archive.root), "-c", "user.name=t", "-c", "user.email=t@t", *args],
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "records")
    assert archive.build()["unchanged"] is False  # the dates now come from git
    assert archive.build()["unchanged"] is True
    git("commit", "-q", "--allow-empty", "-m", "again")
    assert archive.build()["unchanged"] is False


def test_a_corrupted_state_falls_back_to_a_full_check_with_one_line(archive: Archive, caplog):
    state = archive.index.parent / "cache" / "inputs.json"
    state.write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="onrecord"):
        figures = archive.build()
    assert figures["unchanged"] is False
    said = [r.getMessage() for r in caplog.records if "inputs.json" in r.getMessage()]
    assert len(said) == 1 and "checking everything" in said[0]
    assert archive.build()["unchanged"] is True


def walked(root: Path) -> dict[str, bytes]:
    """The reference: `os.walk` of each watched folder, each file `os.stat`-ed by its path."""
    found = {}
    for folder in buildstate.WATCHED:
        for here, _, names in os.walk(root / folder):
            for name in names:
                path = os.path.join(here, name)
                found[os.path.relpath(path, root)] = buildstate.signature(
                    path, os.path.relpath(path, root)
                )
    return found


def test_the_files_signatures_are_os_walks_in_its_order(tmp_path):
    root = copy_records(tmp_path / "archive")
    statements = root / "content" / "statements"
    (statements / "deeper" / "still").mkdir(parents=True)
    (statements / "deeper" / "still" / "note.txt").write_text("a file beside the records")
    (statements / "linked.yaml").symlink_to(min(statements.rglob("*.yaml")))
    (statements / "broken.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (statements / "folder-link").symlink_to(statements / "deeper", target_is_directory=True)
    stats: dict[str, os.stat_result] = {}
    found = buildstate.signatures(root, stats)
    assert list(found.items()) == list(walked(root).items())
    assert "content/statements/folder-link" not in found  # a link to a folder is not walked
    assert found["content/statements/broken.yaml"] == b"content/statements/broken.yaml\0-\n"
    assert stats.keys() == found.keys() - {"content/statements/broken.yaml"}
    assert stats["content/statements/deeper/still/note.txt"].st_size == 25
