"""Writing an export file safely, and remaking a list from the previous build's entries."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

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
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def kept_or_made(
    archive: Archive,
    site_url: str,
    kept: dict[str, str],
    changed: set[str],
    make: Callable[[dict], str],
) -> Iterator[str]:
    """Each published statement's entry, in list order: as `kept` has it, or made anew."""
    references = References(archive, site_url)
    for statement in archive.chronological:
        entry = None if statement.id in changed else kept.get(statement.id)
        yield entry if entry is not None else make(shape_statement(statement, references))
