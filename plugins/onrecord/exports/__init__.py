"""Open data: the archive as JSON, CSV and SQLite, pure functions of the `Archive`.

`write_exports` writes, under the output folder:

    data/statements.json   every published statement (a JSON array)
    data/statements.csv    the same, one row per statement, for spreadsheets
    data/onrecord.db       the same as a SQLite database (Datasette, sqlite3, any client)
    statements/<id>.json   one statement (a JSON object), for every statement
    data/claims.json       every claim with its appearances (`write_claim_exports`)
    data/claims.csv        one row per appearance of a claim, for spreadsheets

Lists hold the published statements (`Archive.chronological`): oldest first, undated ones
before dated ones, ties by id. Nested statements are statements in their own right. A
withdrawn statement keeps its own `statements/<id>.json` (its page still exists) but is left
out of every list, and so is every reference to it (`quotes`, `quoted_in`), so that each id
a list mentions resolves within that list.

One statement as JSON (`statement_data`): the fields of the registry, `columns.STATEMENTS`,
each declared there once with its JSON value, CSV cells, SQLite columns and one line of
documentation (README.md's table of export fields is made from it). Every key is always
present, in the registry's order; what a record leaves empty is null (or [] for a list),
never invented.

Modules: `columns.py` (the registry's kinds and the statements table), `tables.py` (the
database's other tables), `references.py` (what fields are read with), `data.py` (the JSON
of statements and claims), `jsonfile.py`, `csvfile.py`, `sqlite.py` (each a format's full
write and its update after an edit), `files.py` (atomic replacement, reuse of unchanged
entries), `docs.py` (README's table).

Formats, and why:

- `data/statements.json` is an array with one compact statement per line: the file is for
  programs, indentation would make it a tenth bigger (386 MB → 430 MB at 100,000
  statements), and one line per statement still keeps it greppable, its diffs readable,
  and lets it be written as a stream. `statements/<id>.json` is indented (2 spaces): people
  open it from the statement's page. Both are UTF-8 with the text as is
  (`ensure_ascii=False`), keys in the order above.
- `data/statements.csv` has the registry's CSV cells (`CSV_COLUMNS`): the statement's
  fields, each record it points to as `<kind>_id` and its name or title, `text` and
  `original_text` (paragraphs joined with a blank line), `theme_ids` and `themes` (names),
  `quotes` (the quoted statements' ids) and `quoted_by`, lists joined with "; ". It is UTF-8
  *with* a byte-order mark: Excel, which most readers open a CSV in, reads a file without
  one in the local code page and garbles "–" or "à", while Python (`encoding="utf-8-sig"`),
  pandas, R and LibreOffice all skip the mark. Rows end in CRLF (RFC 4180); empty values are
  empty cells. Any cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets
  a leading `'`, so a spreadsheet shows it as text instead of running it as a formula (CSV
  injection); the JSON and SQLite exports keep the text unaltered.
- `data/onrecord.db` (SQLite, made by sqlite-utils from the registry's tables, `sqlite.py`):
  `statements` (`text` = paragraphs joined with a blank line),
  `paragraphs`, `speakers`, `outlets`, `themes`, `sources` (`url` is the page here,
  `source_url` the source's own), `footnotes`, `statement_themes` and `quotes` (`nested`
  0/1), with declared foreign keys (Datasette shows them as links) and an index on every
  foreign-key column. `statements_fts` is an FTS5 index of statements' `text` and
  `headline`, declared with `content="statements"` in double quotes: Datasette finds a
  table's search index by that text (`content='statements'` would not be found) and
  searches it by `rowid`, so statements' rowids are written explicitly, 1… in list order.
  The file is static: the index is filled once and needs no triggers.

One claim as JSON (`claim_data`): the fields of `tables.CLAIMS`, every key always present,
in that order. Its `appearances` are in date order (undated ones last), each in a published
statement: `exact` is verbatim from paragraph `paragraph` (1-based) at character offset
`start` (0-based, in code points); `prefix`/`suffix` (or null) the text right
before/after, as the record gives it; `speaker` is {id, name, url}; `url` the statement's
page at `#p<paragraph>`; `text_fragment_url` the same with a text directive (`:~:text=`)
that makes browsers highlight the words.

`data/claims.json` is an array of them, by id, one compact claim per line; `data/claims.csv`
has the columns of `CLAIM_CSV_COLUMNS`, one row per appearance (the claim's own fields
repeated on each), with the conventions of `data/statements.csv`. In the SQLite file,
`claims` has a row per claim, `claim_appearances` one per appearance (`position` 1 is the
first appearance) with foreign keys to `claims`, to `statements` and to the paragraph in
`paragraphs`, and `claim_reviews` one per review (`reviewer` is its `by`).

Same archive, same bytes: rows are written in a fixed order, and the SQLite file is built
by the same statements each time (with the same SQLite library).
"""

from __future__ import annotations

from pathlib import Path

from .. import urls
from ..model import Archive
from .csvfile import (
    CLAIM_CSV_COLUMNS,
    CSV_COLUMNS,
    FORMULA_STARTS,
    claim_csv_rows,
    csv_row,
    csv_safe,
    csv_spans,
    update_csv,
    write_claim_csv_records,
    write_csv,
    write_csv_records,
)
from .data import claim_data, claims_data, published_data, shape_statement, statement_data
from .files import remember_spans
from .jsonfile import (
    json_spans,
    statement_json,
    statement_json_text,
    update_json,
    write_json,
    write_json_records,
)
from .references import LIST_SEPARATOR, PARAGRAPH_BREAK, References
from .sqlite import update_sqlite, write_sqlite, write_sqlite_records

STATEMENTS_JSON = urls.data_file("json")
STATEMENTS_CSV = urls.data_file("csv")
DATABASE = urls.data_file("sqlite")
CLAIMS_JSON = "data/claims.json"
CLAIMS_CSV = "data/claims.csv"


# -- everything ----------------------------------------------------------------------------


def _write_statement_files(
    archive: Archive, records: list[dict], output_dir: Path, references: References
) -> list[Path]:
    by_id = {data["id"]: data for data in records}
    folders: set[Path] = set()
    written = []
    for statement in archive.statements.values():
        # Withdrawn statements are not in `records`, but their pages (and files) still exist.
        data = by_id.get(statement.id) or shape_statement(statement, references)
        path = output_dir / urls.statement_json(statement.id)
        if path.parent not in folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            folders.add(path.parent)
        path.write_bytes(statement_json_text(data).encode("utf-8"))
        written.append(path)
    return written


def _write_lists(archive: Archive, records: list[dict], output_dir: Path, site_url: str) -> list:
    return [
        write_json_records(records, output_dir / STATEMENTS_JSON),
        write_csv_records(records, output_dir / STATEMENTS_CSV),
        write_sqlite_records(archive, records, output_dir / DATABASE, site_url),
    ]


def write_exports(archive: Archive, output_dir: Path, site_url: str) -> list[Path]:
    """Write every export under `output_dir`: the lists and each statement's own file.

    (The site's build writes a statement's file with its page, `statement_json`, so that an
    edit rewrites one statement's file, not ten thousand.)
    """
    output_dir = Path(output_dir)
    references = References(archive, site_url)
    records = published_data(references)
    return [
        *_write_lists(archive, records, output_dir, site_url),
        *_write_statement_files(archive, records, output_dir, references),
    ]


def write_claim_exports(archive: Archive, output_dir: Path, site_url: str) -> list[Path]:
    """Write `data/claims.json` and `data/claims.csv` under `output_dir`; return their paths.

    (The claims' SQLite tables are in `data/onrecord.db`, which `write_exports` writes.)
    """
    output_dir = Path(output_dir)
    claims = claims_data(References(archive, site_url))
    return [
        write_json_records(claims, output_dir / CLAIMS_JSON),
        write_claim_csv_records(claims, output_dir / CLAIMS_CSV),
    ]


__all__ = [
    "CLAIMS_CSV",
    "CLAIMS_JSON",
    "CLAIM_CSV_COLUMNS",
    "CSV_COLUMNS",
    "DATABASE",
    "FORMULA_STARTS",
    "LIST_SEPARATOR",
    "PARAGRAPH_BREAK",
    "STATEMENTS_CSV",
    "STATEMENTS_JSON",
    "claim_csv_rows",
    "claim_data",
    "csv_row",
    "csv_safe",
    "csv_spans",
    "json_spans",
    "remember_spans",
    "statement_data",
    "statement_json",
    "update_csv",
    "update_json",
    "update_sqlite",
    "write_claim_exports",
    "write_csv",
    "write_exports",
    "write_json",
    "write_sqlite",
]
