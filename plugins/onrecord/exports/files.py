"""Writing an export file safely, and remaking a list from the previous build's entries."""

from __future__ import annotations

import errno
import os
import pickle
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .. import replacing
from ..cachefiles import UNREADABLE, write_pickle
from ..model import Archive
from .data import shape_statement
from .references import References


def replace_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Write through `write` into a temporary file beside `path`, then rename it into place.

    Readers (the search service, a rsync in progress) see the old file or the new one, never
    half of one. The temporary file is made with normal permissions (not `mkstemp`'s 0600),
    so the published file stays readable by a web server.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        write(temporary)
        replacing.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


Span = tuple[int, int]  # where an entry's bytes lie in the previous file: start, end


def kept_or_made(
    archive: Archive,
    site_url: str,
    kept: dict[str, Span],
    changed: set[str],
    make: Callable[[dict], bytes],
) -> Iterator[Span | bytes]:
    """Each published statement's entry, in list order: its span in the previous file, as
    `kept` has it, or its bytes made anew."""
    references = References(archive, site_url)
    for statement in archive.chronological:
        entry = None if statement.id in changed else kept.get(statement.id)
        yield entry if entry is not None else make(shape_statement(statement, references))


@dataclass(frozen=True)
class ListFile:
    """How a list of statements (`data/statements.json`, `.csv`) lies in its file."""

    scan: Callable[[Path], dict[str, Span] | None]  # each entry's span, read from the file
    head: bytes  # before the first entry
    between: bytes  # between two entries
    make: Callable[[dict], bytes]  # an entry, from a statement's data
    tail: bytes = b""  # after the last entry
    empty: bytes | None = None  # the whole file when it lists none (else `head`)


def update_list(
    form: ListFile,
    archive: Archive,
    previous: Path,
    path: Path,
    site_url: str,
    changed: set[str],
    spans: Path | None = None,
) -> bool:
    """Write the list at `path` from `previous`, remaking `changed` statements; False when
    `previous` is not such a list.

    The kept entries are copied from `previous` as bytes, never decoded (`splice`). With
    `spans` (a folder), where each lies is read from there if it was kept for `previous`
    (`recall_spans`), and kept for the new file.
    """
    kept = recall_spans(previous, spans) or form.scan(previous)
    if kept is None:
        return False
    made: list[Span] = []

    def write(temporary: Path) -> None:
        with temporary.open("wb") as file, previous.open("rb") as old:
            file.write(form.head)
            entries = kept_or_made(archive, site_url, kept, changed, form.make)
            if splice(file, old, entries, form.between, made):
                file.write(form.tail)
            elif form.empty is not None:
                file.seek(0)
                file.write(form.empty)

    replace_atomically(path, write)
    remember_spans(path, dict(zip(published_ids(archive), made, strict=True)), spans)
    return True


def published_ids(archive: Archive) -> list[str]:
    """The ids of the entries `kept_or_made` gives, in its order."""
    return [statement.id for statement in archive.chronological]


def splice(
    out: BinaryIO,
    previous: BinaryIO,
    entries: Iterable[Span | bytes],
    between: bytes,
    spans: list[Span] | None = None,
) -> int:
    """Write `entries` to `out`, `between` separating them; return how many were written.
    `spans`, if given, gets where each entry lies in `out`, in order.

    A span is copied from `previous`, and spans that follow one another there (with the same
    `between` between them) are copied as one: an edit build's data file is a few copies of
    long runs and its few new entries. Memory stays flat whatever the file's size, where
    reading the previous `statements.json` (339 MB at 100,000 statements) into a dict of
    its lines raised the build's peak from 1.5 GB to 3.3 GB.
    """
    run: Span | None = None
    written = 0
    at = out.tell()
    for entry in entries:
        if spans is not None:
            at += len(between) if written else 0
            size = entry[1] - entry[0] if isinstance(entry, tuple) else len(entry)
            spans.append((at, at + size))
            at += size
        if isinstance(entry, tuple) and run is not None and entry[0] == run[1] + len(between):
            run = (run[0], entry[1])
            written += 1
            continue
        if run is not None:
            _copy(previous, out, run)
            run = None
        if written:
            out.write(between)
        if isinstance(entry, tuple):
            run = entry
        else:
            out.write(entry)
        written += 1
    if run is not None:
        _copy(previous, out, run)
    return written


def _copy(source: BinaryIO, target: BinaryIO, span: Span) -> None:
    start, end = span
    if _COPY_FILE_RANGE is not None:
        start = _copy_in_kernel(source, target, start, end)
    source.seek(start)
    left = end - start
    while left > 0:
        chunk = source.read(min(left, 1 << 20))
        if not chunk:
            raise OSError(f"{source.name} ended before byte {end}")
        target.write(chunk)
        left -= len(chunk)


# Linux copies between files in the kernel: the bytes of the runs kept, nearly all of an
# edit build's data files (590 MB at 100,000 statements), never pass through this process.
_COPY_FILE_RANGE = getattr(os, "copy_file_range", None)
# What a file system or kernel answers when it cannot: the copy goes on through the process.
_NOT_HERE = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF}


def _copy_in_kernel(source: BinaryIO, target: BinaryIO, start: int, end: int) -> int:
    """Copy bytes `start`..`end` of `source` to the end of `target` in the kernel, as far as
    it goes; return where the copy stopped (`end` when it went through)."""
    target.flush()
    try:
        while start < end:
            copied = _COPY_FILE_RANGE(source.fileno(), target.fileno(), end - start, start)
            if not copied:
                raise OSError(f"{source.name} ended before byte {end}")
            start += copied
    except OSError as error:
        if error.errno not in _NOT_HERE:
            raise
    finally:
        # The descriptor moved on; the buffered file learns where it stands.
        target.seek(0, os.SEEK_END)
    return start


# -- where each entry lies in a list, kept beside the build's caches ----------------------

# Finding every entry's span in the previous statements.json or .csv meant reading it whole
# (at 100,000 statements 342 and 249 MB: 0.3-0.6 s each, in the process that updates it,
# which an edit build waits for). Each list's spans are kept after it is written, stamped
# with the file's size, time and inode: the next update reads them, not the file, while
# the stamp holds (any other file there, or none, is read as before).
SPANS_SUFFIX = ".spans.pickle"
SPANS_VERSION = 1


def recall_spans(data_file: Path, folder: Path | None) -> dict[str, Span] | None:
    """The spans `remember_spans` kept for `data_file` as it is now; None if none hold."""
    if folder is None:
        return None
    try:
        with open(folder / (data_file.name + SPANS_SUFFIX), "rb") as handle:
            version, stamp, spans = pickle.load(handle)
        if (version, stamp) != (SPANS_VERSION, _stamp(data_file)):
            return None
    except UNREADABLE:
        return None
    return spans


def remember_spans(data_file: Path, spans: dict[str, Span], folder: Path | None) -> None:
    """Keep `spans` for `data_file` (as it is now) in `folder`, for the next update."""
    if folder is not None:
        write_pickle(
            folder / (data_file.name + SPANS_SUFFIX), (SPANS_VERSION, _stamp(data_file), spans)
        )


def _stamp(path: Path) -> tuple[int, int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns, status.st_ino
