"""`data/statements.json`, `data/claims.json` and `statements/<id>.json`: write and update."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..model import Archive, Statement
from .data import each_published, statement_data
from .files import ListFile, Span, replace_atomically, update_list
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
    records = each_published(References(archive, site_url))
    return write_json_records(records, Path(path))


def statement_json_text(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def statement_json(statement: Statement, archive: Archive, site_url: str) -> str:
    """One statement's JSON document (`statements/<id>.json`)."""
    return statement_json_text(statement_data(statement, archive, site_url))


def update_json(
    archive: Archive,
    previous: Path,
    path: Path,
    site_url: str,
    changed: set[str],
    spans: Path | None = None,
) -> bool:
    """Write `data/statements.json` at `path` from `previous`, remaking `changed` statements
    (`files.update_list`: the kept lines copied as bytes, their spans kept in `spans`)."""
    form = ListFile(json_spans, b"[\n", b",\n", _encoded_line, b"\n]\n", b"[]\n")
    return update_list(form, archive, previous, path, site_url, changed, spans)


def _encoded_line(record: dict) -> bytes:
    return json_line(record).encode("utf-8")


def json_spans(path: Path) -> dict[str, Span] | None:
    """Where each statement's line lies in a `statements.json` this module wrote, by id
    (without its comma and newline); None if the file is not one."""
    found: dict[str, Span] = {}
    prefix = b'{"id":"'  # ids are [a-z0-9-]: no escapes to decode
    start = len(prefix)
    try:
        with path.open("rb") as file:
            head = file.readline()
            if head == b"[]\n":
                return found if not file.read(1) else None
            if head != b"[\n":
                return None
            offset = len(head)
            for line in file:
                if line == b"]\n":
                    return found if not file.read(1) and found else None
                if not line.startswith(prefix) or not line.endswith(b"\n"):
                    return None
                end = offset + len(line) - (2 if line.endswith(b",\n") else 1)
                found[line[start : line.index(b'"', start)].decode("ascii")] = (offset, end)
                offset += len(line)
    except OSError:
        return None
    return None
