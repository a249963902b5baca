"""Splicing a data file from the previous one: the kept runs copied, the new entries written."""

from __future__ import annotations

import errno
import os
import random

import pytest

from onrecord.exports import files


def _previous(tmp_path, entries: list[bytes], between: bytes):
    path = tmp_path / "previous"
    path.write_bytes(between.join(entries))
    spans, at = [], 0
    for entry in entries:
        spans.append((at, at + len(entry)))
        at += len(entry) + len(between)
    return path, spans


def _spliced(tmp_path, previous, entries, between: bytes, spans=None) -> bytes:
    out = tmp_path / "out"
    with out.open("wb") as target, previous.open("rb") as source:
        target.write(b"[")
        assert files.splice(target, source, entries, between, spans) == len(entries)
        target.write(b"]")
    return out.read_bytes()


@pytest.mark.parametrize("copy", ["kernel", "process"])
def test_a_splice_is_the_kept_entries_and_the_new_ones_in_order(tmp_path, monkeypatch, copy):
    if copy == "process":
        monkeypatch.setattr(files, "_COPY_FILE_RANGE", None)
    rng = random.Random(3)
    between = b",\n"
    old = [f'{{"id": {i}, "text": "{"x" * rng.randrange(1, 3000)}"}}'.encode() for i in range(300)]
    previous, spans = _previous(tmp_path, old, between)
    # Runs of kept entries, edited ones, new ones between, one dropped.
    entries, expected = [], []
    for i, span in enumerate(spans):
        if i % 37 == 5:
            continue  # dropped
        if i % 11 == 0:
            made = f'{{"id": {i}, "edited": true}}'.encode()
            entries.append(made)
            expected.append(made)
        else:
            entries.append(span)
            expected.append(old[i])
    made: list[tuple[int, int]] = []
    got = _spliced(tmp_path, previous, entries, between, made)
    assert got == b"[" + between.join(expected) + b"]"
    # Where each entry lies in the new file.
    assert [got[start:end] for start, end in made] == expected


def test_a_kernel_copy_refused_partway_goes_on_through_the_process(tmp_path, monkeypatch):
    previous, spans = _previous(tmp_path, [bytes([65 + i % 26]) * 5000 for i in range(20)], b"\n")
    calls = []

    def refusing(src: int, dst: int, count: int, offset_src: int) -> int:
        calls.append(count)
        if len(calls) > 1:
            raise OSError(errno.EXDEV, "cross-device")
        return os.copy_file_range(src, dst, min(count, 1234), offset_src)

    monkeypatch.setattr(files, "_COPY_FILE_RANGE", refusing)
    got = _spliced(tmp_path, previous, [spans[0], b"new", *spans[2:]], b"\n")
    old = previous.read_bytes().split(b"\n")
    assert got == b"[" + b"\n".join([old[0], b"new", *old[2:]]) + b"]"
    assert calls[:2] == [5000, 5000 - 1234]  # refused partway through the first run


@pytest.mark.parametrize("copy", ["kernel", "process"])
def test_a_span_past_the_end_of_the_previous_file_is_an_error(tmp_path, monkeypatch, copy):
    if copy == "process":
        monkeypatch.setattr(files, "_COPY_FILE_RANGE", None)
    previous, _ = _previous(tmp_path, [b"a" * 100], b"")
    with pytest.raises(OSError, match="ended before byte 200"):
        _spliced(tmp_path, previous, [(0, 200)], b"")
