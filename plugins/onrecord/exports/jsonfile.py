"""`data/statements.json`, `data/claims.json` and `statements/<id>.json`: write and update."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..model import Archive, Statement
from .data import published_data, statement_data
from .files import kept_or_made, replace_atomically
from .references import References


def json_line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _json_array(lines: Iterable[str]) -> Iterator[str]:
    """A JSON array of compact records, one per line, as chunks to write in turn."""
    separator = "[\n"
    for line in lines:
        yield separator
        yield line
        separator = ",\n"
    yield "\n]\n" if separator == ",\n" else "[]\n"


def write_json_lines(lines: Iterable[str], path: Path) -> Path:
    def write(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8", newline="\n") as file:
            file.writelines(_json_array(lines))

    return replace_atomically(path, write)


def write_json_records(records: Iterable[dict], path: Path) -> Path:
    return write_json_lines(map(json_line, records), path)


def write_json(archive: Archive, path: Path, site_url: str) -> Path:
    """Write `data/statements.json`: every published statement, in list order."""
    records = published_data(References(archive, site_url))
    return write_json_records(records, Path(path))


def statement_json_text(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def statement_json(statement: Statement, archive: Archive, site_url: str) -> str:
    """One statement's JSON document (`statements/<id>.json`)."""
    return statement_json_text(statement_data(statement, archive, site_url))


def update_json(
    archive: Archive, previous: Path, path: Path, site_url: str, changed: set[str]
) -> bool:
    """Write `data/statements.json` at `path` from `previous`, remaking `changed` statements."""
    lines = _json_lines_by_id(previous)
    if lines is None:
        return False
    write_json_lines(kept_or_made(archive, site_url, lines, changed, json_line), path)
    return True


def _json_lines_by_id(path: Path) -> dict[str, str] | None:
    """The statement lines of a `statements.json` this module wrote, by id; None if not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    if text == "[]\n":
        return {}
    lines = text.split("\n")
    if lines[0] != "[" or lines[-2:] != ["]", ""]:
        return None
    found = {}
    prefix = '{"id":"'  # ids are [a-z0-9-]: no escapes to decode
    for line in lines[1:-2]:
        if not line.startswith(prefix):
            return None
        found[line[len(prefix) : line.index('"', len(prefix))]] = line.removesuffix(",")
    return found
