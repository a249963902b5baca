"""Permalinks are a promise: every URL the archive has published keeps resolving.

`permalinks.txt` (committed, sorted) lists every record page ever published. A build
fails when a listed URL would be neither produced nor redirected; `onrecord permalinks
--update` adds new URLs and never removes one.
"""

from __future__ import annotations

from pathlib import Path

from . import urls
from .model import Archive
from .problems import Problem

FILE_NAME = "permalinks.txt"


def _records(archive: Archive):
    yield from (("statement", r) for r in archive.statements.values())
    yield from (("speaker", r) for r in archive.speakers.values())
    yield from (("outlet", r) for r in archive.outlets.values())
    yield from (("theme", r) for r in archive.themes.values())
    yield from (("source", r) for r in archive.sources.values())
    yield from (("claim", r) for r in archive.claims.values())


def produced(archive: Archive) -> set[str]:
    """Root-relative URL of every record page the archive produces (tombstones included)."""
    return {"/" + urls.record(kind, record.id) for kind, record in _records(archive)}


def redirects(archive: Archive) -> dict[str, str]:
    """Former URL → current URL, from each record's `aliases`."""
    return {
        "/" + urls.record(kind, alias): "/" + urls.record(kind, record.id)
        for kind, record in _records(archive)
        for alias in record.aliases
    }


def read(path: Path) -> list[str]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def broken(listed: list[str], archive: Archive) -> list[str]:
    """Listed URLs that the archive would no longer answer."""
    answered = produced(archive) | redirects(archive).keys()
    return [url for url in listed if url not in answered]


def explain(url: str) -> str:
    kind, _, rest = url.strip("/").partition("/")
    return (
        f"{url} was published but would no longer be produced: keep the record with id "
        f"{rest!r}, or add {rest!r} to the `aliases` of the {kind[:-1]} that replaces it"
        + (
            ", or keep it with `attribution: withdrawn` to leave a tombstone page"
            if kind == "statements"
            else ""
        )
    )


def problems(path: Path, archive: Archive) -> list[Problem]:
    """Each listed URL the archive would no longer answer, at its line of `path`."""
    if not path.exists():
        return []
    answered = produced(archive) | redirects(archive).keys()
    shown = path.name
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        url = line.strip()
        if url and not url.startswith("#") and url not in answered:
            found.append(Problem(shown, number, 1, explain(url)))
    return found


def unlisted(listed: list[str], archive: Archive) -> list[str]:
    return sorted(produced(archive) - set(listed))


def update(path: Path, archive: Archive) -> list[str]:
    """Add the archive's new URLs to the file (never removing one); return those added."""
    listed = read(path)
    added = unlisted(listed, archive)
    if added:
        path.write_text("\n".join(sorted(set(listed) | set(added))) + "\n", encoding="utf-8")
    return added
