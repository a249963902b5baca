"""`data/statements.csv` and `data/claims.csv`: write and update."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..model import Archive
from .columns import STATEMENTS
from .data import each_published
from .files import ListFile, Span, replace_atomically, update_list
from .references import References

# Characters a spreadsheet reads as the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# (field name, cell) of each column: the registry's statement fields that have a CSV form.
_CELLS = tuple((name, cell.make) for name, cell in STATEMENTS.csv_cells())
CSV_COLUMNS = tuple(cell.name for _, cell in STATEMENTS.csv_cells())

CLAIM_CSV_COLUMNS = (
    "claim_id",
    "claim_url",
    "kind",
    "summary",
    "position",
    "statement_id",
    "paragraph",
    "exact",
    "prefix",
    "suffix",
    "speaker_id",
    "speaker",
    "role",
    "date",
    "venue",
    "url",
    "text_fragment_url",
    "notes",
)


def claim_csv_rows(data: dict) -> list[list[str]]:
    """One claim's CSV rows, one per appearance, in `CLAIM_CSV_COLUMNS` order, formula-safe."""
    rows = []
    for position, appearance in enumerate(data["appearances"], start=1):
        fields = {
            "claim_id": data["id"],
            "claim_url": data["url"],
            "kind": data["kind"],
            "summary": data["summary"],
            "position": position,
            "statement_id": appearance["statement"],
            "speaker_id": appearance["speaker"]["id"],
            "speaker": appearance["speaker"]["name"],
            "notes": data["notes"],
        }
        for column in CLAIM_CSV_COLUMNS:
            fields.setdefault(column, appearance.get(column))
        rows.append([csv_safe(fields[column]) for column in CLAIM_CSV_COLUMNS])
    return rows


def csv_safe(value: object) -> str:
    """The cell for `value`: "" for None, and a leading `'` where a formula could start."""
    if value is None:
        return ""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_row(data: dict) -> list[str]:
    """One statement's CSV cells, in `CSV_COLUMNS` order, guarded against formulas."""
    return [csv_safe(make(data[name])) for name, make in _CELLS]


def _write_csv_rows(rows: Iterable[list[str]], path: Path) -> Path:
    def write(temporary: Path) -> None:
        # newline="" lets the csv module write CRLF row ends and keep newlines inside cells.
        with temporary.open("w", encoding="utf-8-sig", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(CSV_COLUMNS)
            writer.writerows(rows)

    return replace_atomically(path, write)


def write_csv_records(records: Iterable[dict], path: Path) -> Path:
    return _write_csv_rows(map(csv_row, records), path)


def write_claim_csv_records(claims: list[dict], path: Path) -> Path:
    def write(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8-sig", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(CLAIM_CSV_COLUMNS)
            writer.writerows(row for data in claims for row in claim_csv_rows(data))

    return replace_atomically(path, write)


def write_csv(archive: Archive, path: Path, site_url: str) -> Path:
    """Write `data/statements.csv`: one row per published statement, in list order."""
    records = each_published(References(archive, site_url))
    return write_csv_records(records, Path(path))


def update_csv(
    archive: Archive,
    previous: Path,
    path: Path,
    site_url: str,
    changed: set[str],
    spans: Path | None = None,
) -> bool:
    """Write `data/statements.csv` at `path` from `previous`, remaking `changed` statements
    (`files.update_list`: the kept rows copied as bytes, their spans kept in `spans`)."""
    form = ListFile(csv_spans, _csv_header(), b"", _encoded_row)
    return update_list(form, archive, previous, path, site_url, changed, spans)


def _csv_header() -> bytes:
    """The file's first bytes as `write_csv` writes them: a byte-order mark, the header row."""
    return csv_text([CSV_COLUMNS]).encode("utf-8-sig")


def _encoded_row(data: dict) -> bytes:
    return csv_text([csv_row(data)]).encode("utf-8")


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    """`rows` as the csv module writes them (CRLF ends, cells quoted only where needed)."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def csv_spans(path: Path) -> dict[str, Span] | None:
    """Where each row (with its CRLF) lies in a `statements.csv` this module wrote, by id;
    None if the file is not one."""
    header = _csv_header()
    rows: dict[str, Span] = {}
    try:
        with path.open("rb") as file:
            if file.read(len(header)) != header:
                return None
            start = offset = len(header)
            quotes, first = 0, b""
            # A row ends at a CRLF outside quotes: where the quotes seen so far pair up. Cells
            # are quoted whole and quotes inside them doubled: a CRLF in a cell has an odd count.
            for piece in file:  # pieces end at each LF, a row's own or one inside a cell
                first = first or piece
                offset += len(piece)
                quotes += piece.count(b'"')
                if quotes % 2 == 0 and piece.endswith(b"\r\n"):
                    if b"," not in first:
                        return None
                    # ids are [a-z0-9-]: never quoted
                    rows[first[: first.index(b",")].decode("ascii")] = (start, offset)
                    start, quotes, first = offset, 0, b""
    except (OSError, UnicodeDecodeError):
        return None
    return rows if start == offset else None
