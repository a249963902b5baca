"""`replacing.replace` leaves the files as `os.replace` does, by an exchange where it can."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from onrecord import replacing


def tree(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def twin_folders(tmp_path: Path, files: dict[str, bytes]) -> tuple[Path, Path]:
    ours, reference = tmp_path / "ours", tmp_path / "reference"
    for folder in (ours, reference):
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
    return ours, reference


@pytest.mark.parametrize(
    "files",
    [
        {"new.tmp": b"new bytes", "data.json": b"old, longer bytes"},  # over an old file
        {"new.tmp": b"new bytes"},  # nothing to swap with
        {"new.tmp": b"", "data.json": b"old"},  # an empty file in
    ],
)
@pytest.mark.parametrize("exchange", [True, False])
def test_replace_leaves_the_files_as_os_replace(tmp_path, monkeypatch, files, exchange):
    if not exchange:
        monkeypatch.setattr(replacing, "_RENAMEAT2", None)
    ours, reference = twin_folders(tmp_path, files)
    moved_inode = (ours / "new.tmp").stat().st_ino
    replacing.replace(ours / "new.tmp", ours / "data.json")
    os.replace(reference / "new.tmp", reference / "data.json")
    assert tree(ours) == tree(reference) == {"data.json": files["new.tmp"]}
    assert (ours / "data.json").stat().st_ino == moved_inode  # the file itself, not a copy


def test_a_missing_new_file_raises_as_os_replace(tmp_path):
    (tmp_path / "data.json").write_bytes(b"old")
    with pytest.raises(FileNotFoundError):
        os.replace(tmp_path / "gone.tmp", tmp_path / "data.json")
    with pytest.raises(FileNotFoundError):
        replacing.replace(tmp_path / "gone.tmp", tmp_path / "data.json")
    assert tree(tmp_path) == {"data.json": b"old"}


def test_a_reader_of_the_old_file_keeps_reading_it(tmp_path):
    old, new = tmp_path / "data.json", tmp_path / "new.tmp"
    old.write_bytes(b"old bytes")
    new.write_bytes(b"new bytes")
    with open(old, "rb") as reader:
        replacing.replace(new, old)
        assert reader.read() == b"old bytes"
    assert old.read_bytes() == b"new bytes"


@pytest.mark.skipif(sys.platform != "linux", reason="renameat2 is Linux's")
def test_on_linux_an_old_file_is_swapped_not_renamed_over(tmp_path, monkeypatch):
    def refused(*args):
        raise AssertionError("os.replace was used")

    (tmp_path / "data.json").write_bytes(b"old")
    (tmp_path / "new.tmp").write_bytes(b"new")
    monkeypatch.setattr(replacing.os, "replace", refused)
    replacing.replace(tmp_path / "new.tmp", tmp_path / "data.json")
    assert tree(tmp_path) == {"data.json": b"new"}


def test_a_folder_in_the_way_is_refused_as_by_os_replace(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "new.tmp").write_bytes(b"new")
    with pytest.raises(IsADirectoryError):
        replacing.replace(tmp_path / "new.tmp", tmp_path / "data")
    assert (tmp_path / "data").is_dir() and (tmp_path / "new.tmp").read_bytes() == b"new"
