"""`data/statements.csv` and `data/claims.csv`: write and update."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..model import Archive
from .data import LIST_SEPARATOR, PARAGRAPH_BREAK, References, published_data
from .files import kept_or_made, replace_atomically

# Characters a spreadsheet reads as the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = (
    "id",
    "url",
    "speaker_id",
    "speaker",
    "role",
    "date",
    "venue",
    "outlet_id",
    "outlet",
    "source_id",
    "source",
    "footnote",
    "headline",
    "language",
    "text",
    "original_language",
    "original_text",
    "theme_ids",
    "themes",
    "quotes",
    "quoted_in",
    "quoted_by",
    "attribution",
    "attribution_note",
    "notes",
)

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


def _csv_fields(data: dict) -> dict[str, object]:
    outlet = data["outlet"] or {}
    original = data["original"] or {}
    return {
        "id": data["id"],
        "url": data["url"],
        "speaker_id": data["speaker"]["id"],
        "speaker": data["speaker"]["name"],
        "role": data["role"],
        "date": data["date"],
        "venue": data["venue"],
        "outlet_id": outlet.get("id"),
        "outlet": outlet.get("name"),
        "source_id": data["source"]["id"],
        "source": data["source"]["title"],
        "footnote": data["footnote"],
        "headline": data["headline"],
        "language": data["language"],
        "text": PARAGRAPH_BREAK.join(data["paragraphs"]),
        "original_language": original.get("language"),
        "original_text": PARAGRAPH_BREAK.join(original.get("paragraphs", ())) or None,
        "theme_ids": LIST_SEPARATOR.join(t["id"] for t in data["themes"]),
        "themes": LIST_SEPARATOR.join(t["name"] for t in data["themes"]),
        "quotes": LIST_SEPARATOR.join(q["statement"] for q in data["quotes"]),
        "quoted_in": data["quoted_in"],
        "quoted_by": LIST_SEPARATOR.join(data["quoted_by"]),
        "attribution": data["attribution"],
        "attribution_note": data["attribution_note"],
        "notes": data["notes"],
    }


def csv_row(data: dict) -> list[str]:
    """One statement's CSV cells, in `CSV_COLUMNS` order, guarded against formulas."""
    fields = _csv_fields(data)
    return [csv_safe(fields[column]) for column in CSV_COLUMNS]


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
    records = published_data(archive, References(archive, site_url))
    return write_csv_records(records, Path(path))


def update_csv(
    archive: Archive, previous: Path, path: Path, site_url: str, changed: set[str]
) -> bool:
    """Write `data/statements.csv` at `path` from `previous`, remaking `changed` statements."""
    rows = _csv_rows_by_id(previous)
    if rows is None:
        return False

    def write(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8-sig", newline="") as file:
            file.write(csv_text([CSV_COLUMNS]))
            made = kept_or_made(archive, site_url, rows, changed, lambda d: csv_text([csv_row(d)]))
            file.writelines(made)

    replace_atomically(path, write)
    return True


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    """`rows` as the csv module writes them (CRLF ends, cells quoted only where needed)."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def _csv_rows_by_id(path: Path) -> dict[str, str] | None:
    """The row texts of a `statements.csv` this module wrote, by id; None if not one."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:  # CRLF kept as written
            text = file.read()
    except (OSError, UnicodeDecodeError):
        return None
    header = csv_text([CSV_COLUMNS])
    if not text.startswith(header):
        return None
    rows, row = {}, ""
    # A row ends at a CRLF outside quotes: where the quotes seen so far pair up. Cells are
    # quoted whole and quotes inside them doubled, so a CRLF inside a cell has an odd count.
    for piece in text[len(header) :].split("\r\n")[:-1]:
        row += piece + "\r\n"
        if row.count('"') % 2 == 0:
            rows[row[: row.index(",")]] = row  # ids are [a-z0-9-]: never quoted
            row = ""
    return rows if not row else None
