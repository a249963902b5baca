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

One statement as JSON (`statement_data`). Every key is always present, in this order; what
a record leaves empty is null (or [] for a list), never invented:

    id                the statement's id; ids never change
    aliases           [former ids]: each still answers at its old URL, as a redirect
    url               its page: `<site_url>/statements/<id>/` (`/statements/<id>/` without one)
    speaker           {id, name, url}
    speaker_as        the speaker's name as this source prints it; or null
    role              the speaker's role at the time, as the source states it; or null
    date              `YYYY-MM-DD`, `YYYY-MM` or `YYYY`, as precise as the source; or null
    venue             occasion or venue (a conference, an editorial…); or null
    outlet            {id, name, url} where it was published; or null
    source            {id, title, url, publisher, address}: the report that quotes it (`url`
                      is its page here, `address` its own web address; or null)
    footnote          the source's footnote number for it; or null
    section           the heading it stands under in the source; or null
    position          its place in the source, from 1; or null
    headline          the source's headline for it, verbatim; or null
    language          BCP 47 language of `paragraphs`
    paragraphs        the verbatim paragraphs, a list of strings
    original          {language, paragraphs} in the original language; or null
    form              quotation | paraphrase (printed without quotation marks)
    truncated         true when the source cuts it off
    themes            [{id, name, url}], in the record's order
    quotes            [{paragraph, statement, nested}]: statements quoted inside this one;
                      `paragraph` is 1-based, `statement` an id, `nested` is true when the
                      quoted statement is known only through this one
    quoted_in         id of the statement this one is nested inside; or null
    quoted_by         [id] of the published statements that quote this one, oldest first
    attribution       primary | secondary | disputed | misattributed | withdrawn
    attribution_note  why, for disputed, misattributed or withdrawn; or null
    withdrawn_on      `YYYY-MM-DD` the archive withdrew it; null unless withdrawn
    notes             editors' notes; or null
    content_hash      12 hex digits of the SHA-256 of the quoted words: changes only when they do
    last_changed      `YYYY-MM-DD` the record's file last changed (git history, else the file)
    history           [{date, change}]: each commit's change to the record in words, oldest
                      first (formatting-only rewrites left out); null with no git history

Formats, and why:

- `data/statements.json` is an array with one compact statement per line: the file is for
  programs, indentation would make it a tenth bigger (386 MB → 430 MB at 100,000
  statements), and one line per statement still keeps it greppable, its diffs readable,
  and lets it be written as a stream. `statements/<id>.json` is indented (2 spaces): people
  open it from the statement's page. Both are UTF-8 with the text as is
  (`ensure_ascii=False`), keys in the order above.
- `data/statements.csv` has the columns of `CSV_COLUMNS`: the statement's fields, each
  record it points to as `<kind>_id` and its name or title, `text` and `original_text`
  (paragraphs joined with a blank line), `theme_ids` and `themes` (names), `quotes` (the
  quoted statements' ids) and `quoted_by`, lists joined with "; ". It is UTF-8 *with* a
  byte-order mark: Excel, which most readers open a CSV in, reads a file without one in
  the local code page and garbles "–" or "à", while Python (`encoding="utf-8-sig"`),
  pandas, R and LibreOffice all skip the mark. Rows end in CRLF (RFC 4180); empty values
  are empty cells. Any cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return
  gets a leading `'`, so a spreadsheet shows it as text instead of running it as a formula
  (CSV injection); the JSON and SQLite exports keep the text unaltered.
- `data/onrecord.db` (SQLite): `statements` (`text` = paragraphs joined with a blank line),
  `paragraphs`, `speakers`, `outlets`, `themes`, `sources` (`url` is the page here,
  `source_url` the source's own), `footnotes`, `statement_themes` and `quotes` (`nested`
  0/1), with declared foreign keys (Datasette shows them as links) and an index on every
  foreign-key column. `statements_fts` is an FTS5 index of statements' `text` and
  `headline`, declared with `content="statements"` in double quotes: Datasette finds a
  table's search index by that text (`content='statements'` would not be found) and
  searches it by `rowid`, so statements' rowids are written explicitly, 1… in list order.
  The file is static: the index is filled once and needs no triggers.

One claim as JSON (`claim_data`), every key always present, in this order:

    id                the claim's id; ids never change
    url               its page: `<site_url>/claims/<id>/`
    summary           what is asserted, in the editor's neutral words (not whether it is true)
    kind              factual | quantitative | threat | prediction | accusation | self-description
    appearances       [{statement, paragraph, exact, prefix, suffix, start, speaker, role, date,
                      venue, url, text_fragment_url}] in date order (undated ones last), each
                      in a published statement: `exact` is verbatim from paragraph `paragraph`
                      (1-based) at character offset `start` (0-based, in code points);
                      `prefix`/`suffix` (or null) the text right before/after, as the record
                      gives it; `speaker` is {id, name, url}; `url` the statement's page at
                      `#p<paragraph>`; `text_fragment_url` the same with a text directive
                      (`:~:text=`) that makes browsers highlight the words
    first_appearance  {statement, paragraph} of the first of them; or null when there is none
    reviews           [{by, date, url, verdict}]: published fact-checks, as given
    notes             editors' notes; or null

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

import csv
import io
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path

from . import urls
from .model import Archive, Claim, ClaimSpan, Statement

STATEMENTS_JSON = "data/statements.json"
STATEMENTS_CSV = "data/statements.csv"
DATABASE = "data/onrecord.db"
CLAIMS_JSON = "data/claims.json"
CLAIMS_CSV = "data/claims.csv"

PARAGRAPH_BREAK = "\n\n"
LIST_SEPARATOR = "; "
# Characters a spreadsheet reads as the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = (
    "id",
    "aliases",
    "url",
    "speaker_id",
    "speaker",
    "speaker_as",
    "role",
    "date",
    "venue",
    "outlet_id",
    "outlet",
    "source_id",
    "source",
    "source_publisher",
    "source_address",
    "footnote",
    "section",
    "position",
    "headline",
    "language",
    "text",
    "original_language",
    "original_text",
    "form",
    "truncated",
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


# -- one statement -------------------------------------------------------------------------


def statement_data(statement: Statement, archive: Archive, site_url: str) -> dict:
    """The JSON shape of one statement (keys documented in the module docstring)."""
    return _statement_data(statement, archive, _References(archive, site_url))


class _References:
    """The `{id, name, url}` of each record a statement points to, built once per export.

    Every statement by one speaker shares the same dict, which keeps 100,000 statements'
    data small; the dicts are only ever read.
    """

    def __init__(self, archive: Archive, site_url: str) -> None:
        self.site_url = site_url
        # Looked up lazily, so one statement's data costs no pass over the whole archive.
        self.records: dict[str, dict] = {
            "speaker": archive.speakers,
            "outlet": archive.outlets,
            "theme": archive.themes,
            "source": archive.sources,
        }
        self.made: dict[tuple[str, str], dict] = {}

    def to(self, kind: str, record_id: str) -> dict:
        key = (kind, record_id)
        if key not in self.made:
            record = self.records[kind][record_id]
            self.made[key] = (
                {"id": record_id, "title": record.title}
                if kind == "source"
                else {"id": record_id, "name": record.name}
            )
            self.made[key]["url"] = _page_url(self.site_url, kind, record_id)
            if kind == "source":
                self.made[key].update(publisher=record.publisher, address=record.url)
        return self.made[key]


def _statement_data(statement: Statement, archive: Archive, references: _References) -> dict:
    original = statement.original
    return {
        "id": statement.id,
        "aliases": list(statement.aliases),
        "url": _page_url(references.site_url, "statement", statement.id),
        "speaker": references.to("speaker", statement.speaker_id),
        "speaker_as": statement.speaker_as,
        "role": statement.role,
        "date": statement.date.isoformat() if statement.date else None,
        "venue": statement.venue,
        "outlet": references.to("outlet", statement.outlet_id) if statement.outlet_id else None,
        "source": references.to("source", statement.source_id),
        "footnote": statement.footnote,
        "section": statement.section,
        "position": statement.position,
        "headline": statement.headline,
        "language": statement.language,
        "paragraphs": list(statement.paragraphs),
        "original": (
            {"language": original.language, "paragraphs": list(original.paragraphs)}
            if original
            else None
        ),
        "form": statement.form,
        "truncated": statement.truncated,
        "themes": [references.to("theme", theme_id) for theme_id in statement.theme_ids],
        "quotes": [
            {"paragraph": quote.paragraph, "statement": quote.statement_id, "nested": quote.nested}
            for quote in statement.quotes
            if _listed(archive, quote.statement_id)
        ],
        "quoted_in": statement.quoted_in if _listed(archive, statement.quoted_in) else None,
        # A statement quoting this one in two paragraphs quotes it once, as far as ids go.
        "quoted_by": list(dict.fromkeys(s.id for s in archive.quoted_by.get(statement.id, ()))),
        "attribution": statement.attribution,
        "attribution_note": statement.attribution_note,
        "withdrawn_on": statement.withdrawn_on.isoformat() if statement.withdrawn_on else None,
        "notes": statement.notes,
        "content_hash": statement.content_hash,
        "last_changed": statement.last_changed.isoformat() if statement.last_changed else None,
        "history": None
        if statement.history is None
        else [{"date": c.date.isoformat(), "change": c.words} for c in statement.history],
    }


def _page_url(site_url: str, kind: str, record_id: str) -> str:
    return urls.absolute(site_url, urls.record(kind, record_id))


def _listed(archive: Archive, statement_id: str | None) -> bool:
    """Whether the lists hold this statement (it exists and is not withdrawn)."""
    statement = archive.statements.get(statement_id) if statement_id else None
    return statement is not None and not statement.withdrawn


def _published_data(archive: Archive, references: _References) -> list[dict]:
    """The data of every published statement, in list order, each built once."""
    return [_statement_data(s, archive, references) for s in archive.chronological]


# -- one claim -----------------------------------------------------------------------------


def claim_data(claim: Claim, archive: Archive, site_url: str) -> dict:
    """The JSON shape of one claim (keys documented in the module docstring)."""
    return _claim_data(claim, archive, _References(archive, site_url))


def _appearance_data(span: ClaimSpan, references: _References) -> dict:
    statement, appearance = span.statement, span.appearance
    url = f"{_page_url(references.site_url, 'statement', statement.id)}#p{span.paragraph}"
    return {
        "statement": statement.id,
        "paragraph": span.paragraph,
        "exact": appearance.exact,
        "prefix": appearance.prefix,
        "suffix": appearance.suffix,
        "start": span.start,
        "speaker": references.to("speaker", statement.speaker_id),
        "role": statement.role,
        "date": statement.date.isoformat() if statement.date else None,
        "venue": statement.venue,
        "url": url,
        "text_fragment_url": url
        + urls.text_fragment(appearance.exact, appearance.prefix, appearance.suffix),
    }


def _claim_data(claim: Claim, archive: Archive, references: _References) -> dict:
    appearances = [
        _appearance_data(span, references) for span in archive.claim_spans.get(claim.id, ())
    ]
    first = appearances[0] if appearances else None
    return {
        "id": claim.id,
        "url": _page_url(references.site_url, "claim", claim.id),
        "summary": claim.summary,
        "kind": claim.kind,
        "appearances": appearances,
        "first_appearance": (
            {"statement": first["statement"], "paragraph": first["paragraph"]} if first else None
        ),
        "reviews": [
            {"by": r.by, "date": r.date.isoformat(), "url": r.url, "verdict": r.verdict}
            for r in claim.reviews
        ],
        "notes": claim.notes,
    }


def _claims_data(archive: Archive, references: _References) -> list[dict]:
    """Every claim's data, by id."""
    return [_claim_data(archive.claims[key], archive, references) for key in sorted(archive.claims)]


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


# -- writing files -------------------------------------------------------------------------


def _replace_atomically(path: Path, write: Callable[[Path], None]) -> Path:
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


def _json_line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _json_array(lines: Iterable[str]) -> Iterator[str]:
    """A JSON array of compact records, one per line, as chunks to write in turn."""
    separator = "[\n"
    for line in lines:
        yield separator
        yield line
        separator = ",\n"
    yield "\n]\n" if separator == ",\n" else "[]\n"


def _write_json_lines(lines: Iterable[str], path: Path) -> Path:
    def write(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8", newline="\n") as file:
            file.writelines(_json_array(lines))

    return _replace_atomically(path, write)


def _write_json_records(records: Iterable[dict], path: Path) -> Path:
    return _write_json_lines(map(_json_line, records), path)


def write_json(archive: Archive, path: Path, site_url: str) -> Path:
    """Write `data/statements.json`: every published statement, in list order."""
    records = _published_data(archive, _References(archive, site_url))
    return _write_json_records(records, Path(path))


def _statement_json_text(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def statement_json(statement: Statement, archive: Archive, site_url: str) -> str:
    """One statement's JSON document (`statements/<id>.json`)."""
    return _statement_json_text(statement_data(statement, archive, site_url))


# -- CSV -----------------------------------------------------------------------------------


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
        "aliases": LIST_SEPARATOR.join(data["aliases"]),
        "url": data["url"],
        "speaker_id": data["speaker"]["id"],
        "speaker": data["speaker"]["name"],
        "speaker_as": data["speaker_as"],
        "role": data["role"],
        "date": data["date"],
        "venue": data["venue"],
        "outlet_id": outlet.get("id"),
        "outlet": outlet.get("name"),
        "source_id": data["source"]["id"],
        "source": data["source"]["title"],
        "source_publisher": data["source"]["publisher"],
        "source_address": data["source"]["address"],
        "footnote": data["footnote"],
        "section": data["section"],
        "position": data["position"],
        "headline": data["headline"],
        "language": data["language"],
        "text": PARAGRAPH_BREAK.join(data["paragraphs"]),
        "original_language": original.get("language"),
        "original_text": PARAGRAPH_BREAK.join(original.get("paragraphs", ())) or None,
        "form": data["form"],
        "truncated": "true" if data["truncated"] else "false",
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

    return _replace_atomically(path, write)


def _write_csv_records(records: Iterable[dict], path: Path) -> Path:
    return _write_csv_rows(map(csv_row, records), path)


def _write_claim_csv_records(claims: list[dict], path: Path) -> Path:
    def write(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8-sig", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(CLAIM_CSV_COLUMNS)
            writer.writerows(row for data in claims for row in claim_csv_rows(data))

    return _replace_atomically(path, write)


def write_csv(archive: Archive, path: Path, site_url: str) -> Path:
    """Write `data/statements.csv`: one row per published statement, in list order."""
    records = _published_data(archive, _References(archive, site_url))
    return _write_csv_records(records, Path(path))


# -- SQLite --------------------------------------------------------------------------------

# `statements` keeps SQLite's implicit rowid (written explicitly, in list order) because
# FTS5 external content and Datasette's search both join on it. VACUUM may renumber such
# rowids: whoever vacuums a copy should rebuild the index
# (`INSERT INTO statements_fts(statements_fts) VALUES ('rebuild')`).
SCHEMA = """
CREATE TABLE speakers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    other_names TEXT,
    description TEXT,
    notes TEXT,
    url TEXT NOT NULL
);
CREATE TABLE outlets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT,
    described_as TEXT,
    notes TEXT,
    url TEXT NOT NULL
);
CREATE TABLE themes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    url TEXT NOT NULL
);
CREATE TABLE sources (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    publisher TEXT,
    source_url TEXT,
    published TEXT,
    summary TEXT,
    notes TEXT,
    url TEXT NOT NULL
);
CREATE TABLE footnotes (
    source_id TEXT NOT NULL REFERENCES sources(id),
    number INTEGER NOT NULL,
    text TEXT,
    PRIMARY KEY (source_id, number)
);
CREATE TABLE statements (
    id TEXT PRIMARY KEY,
    speaker_id TEXT NOT NULL REFERENCES speakers(id),
    role TEXT,
    date TEXT,
    venue TEXT,
    outlet_id TEXT REFERENCES outlets(id),
    source_id TEXT NOT NULL REFERENCES sources(id),
    footnote INTEGER,
    headline TEXT,
    language TEXT NOT NULL,
    text TEXT NOT NULL,
    original_language TEXT,
    original_text TEXT,
    url TEXT NOT NULL,
    attribution TEXT NOT NULL,
    attribution_note TEXT,
    quoted_in TEXT REFERENCES statements(id),
    notes TEXT
);
CREATE TABLE paragraphs (
    statement_id TEXT NOT NULL REFERENCES statements(id),
    number INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (statement_id, number)
);
CREATE TABLE statement_themes (
    statement_id TEXT NOT NULL REFERENCES statements(id),
    theme_id TEXT NOT NULL REFERENCES themes(id),
    PRIMARY KEY (statement_id, theme_id)
);
CREATE TABLE quotes (
    statement_id TEXT NOT NULL REFERENCES statements(id),
    paragraph INTEGER NOT NULL,
    quoted_statement_id TEXT NOT NULL REFERENCES statements(id),
    nested INTEGER NOT NULL,
    PRIMARY KEY (statement_id, paragraph, quoted_statement_id)
);
CREATE TABLE claims (
    id TEXT PRIMARY KEY,
    summary TEXT NOT NULL,
    kind TEXT NOT NULL,
    notes TEXT,
    url TEXT NOT NULL
);
CREATE TABLE claim_appearances (
    claim_id TEXT NOT NULL REFERENCES claims(id),
    position INTEGER NOT NULL,
    statement_id TEXT NOT NULL REFERENCES statements(id),
    paragraph INTEGER NOT NULL,
    exact TEXT NOT NULL,
    prefix TEXT,
    suffix TEXT,
    start INTEGER NOT NULL,
    url TEXT NOT NULL,
    PRIMARY KEY (claim_id, position),
    FOREIGN KEY (statement_id, paragraph) REFERENCES paragraphs(statement_id, number)
);
CREATE TABLE claim_reviews (
    claim_id TEXT NOT NULL REFERENCES claims(id),
    position INTEGER NOT NULL,
    reviewer TEXT NOT NULL,
    date TEXT NOT NULL,
    url TEXT NOT NULL,
    verdict TEXT NOT NULL,
    PRIMARY KEY (claim_id, position)
);
CREATE INDEX statements_speaker_id ON statements(speaker_id);
CREATE INDEX statements_outlet_id ON statements(outlet_id);
CREATE INDEX statements_source_id ON statements(source_id);
CREATE INDEX statements_quoted_in ON statements(quoted_in);
CREATE INDEX statement_themes_theme_id ON statement_themes(theme_id);
CREATE INDEX quotes_quoted_statement_id ON quotes(quoted_statement_id);
CREATE INDEX claim_appearances_statement_id ON claim_appearances(statement_id, paragraph);
-- Datasette finds a table's search index by `content="<table>"` in this very text.
CREATE VIRTUAL TABLE statements_fts USING fts5(text, headline, content="statements");
"""
# The primary keys of footnotes, paragraphs, statement_themes and quotes start with their
# first foreign-key column, so they index it already.


# Columns each insert fills, in the order the row tuples below give them.
INSERT_COLUMNS = {
    "speakers": ("id", "name", "kind", "other_names", "description", "notes", "url"),
    "outlets": ("id", "name", "kind", "described_as", "notes", "url"),
    "themes": ("id", "name", "description", "url"),
    "sources": (
        "id",
        "title",
        "publisher",
        "source_url",
        "published",
        "summary",
        "notes",
        "url",
    ),
    "footnotes": ("source_id", "number", "text"),
    "statements": (
        "rowid",
        "id",
        "speaker_id",
        "role",
        "date",
        "venue",
        "outlet_id",
        "source_id",
        "footnote",
        "headline",
        "language",
        "text",
        "original_language",
        "original_text",
        "url",
        "attribution",
        "attribution_note",
        "quoted_in",
        "notes",
    ),
    "paragraphs": ("statement_id", "number", "text"),
    "statement_themes": ("statement_id", "theme_id"),
    "quotes": ("statement_id", "paragraph", "quoted_statement_id", "nested"),
    "claims": ("id", "summary", "kind", "notes", "url"),
    "claim_appearances": (
        "claim_id",
        "position",
        "statement_id",
        "paragraph",
        "exact",
        "prefix",
        "suffix",
        "start",
        "url",
    ),
    "claim_reviews": ("claim_id", "position", "reviewer", "date", "url", "verdict"),
}


def _sorted_values(records: dict) -> list:
    return [records[key] for key in sorted(records)]


def _record_tables(archive: Archive, site_url: str) -> dict[str, Iterable[tuple]]:
    """Rows of the tables statements point to, sorted by id so the file is reproducible."""
    sources = _sorted_values(archive.sources)
    return {
        "speakers": (
            (
                s.id,
                s.name,
                s.kind,
                LIST_SEPARATOR.join(s.other_names) or None,
                s.description,
                s.notes,
                _page_url(site_url, "speaker", s.id),
            )
            for s in _sorted_values(archive.speakers)
        ),
        "outlets": (
            (
                o.id,
                o.name,
                o.kind,
                LIST_SEPARATOR.join(o.described_as) or None,
                o.notes,
                _page_url(site_url, "outlet", o.id),
            )
            for o in _sorted_values(archive.outlets)
        ),
        "themes": (
            (t.id, t.name, t.description, _page_url(site_url, "theme", t.id))
            for t in _sorted_values(archive.themes)
        ),
        "sources": (
            (
                s.id,
                s.title,
                s.publisher,
                s.url,
                s.published.isoformat() if s.published else None,
                s.summary,
                s.notes,
                _page_url(site_url, "source", s.id),
            )
            for s in sources
        ),
        "footnotes": ((s.id, f.number, f.text) for s in sources for f in s.footnotes),
    }


def _statement_row(rowid: int, data: dict) -> tuple:
    outlet = data["outlet"] or {}
    original = data["original"] or {}
    return (
        rowid,
        data["id"],
        data["speaker"]["id"],
        data["role"],
        data["date"],
        data["venue"],
        outlet.get("id"),
        data["source"]["id"],
        data["footnote"],
        data["headline"],
        data["language"],
        PARAGRAPH_BREAK.join(data["paragraphs"]),
        original.get("language"),
        PARAGRAPH_BREAK.join(original.get("paragraphs", ())) or None,
        data["url"],
        data["attribution"],
        data["attribution_note"],
        data["quoted_in"],
        data["notes"],
    )


def _quote_rows(data: dict) -> Iterable[tuple]:
    # A quote a record lists twice would only repeat the same row (and break the key).
    return dict.fromkeys(
        (data["id"], q["paragraph"], q["statement"], int(q["nested"])) for q in data["quotes"]
    )


def _statement_tables(numbered: list[tuple[int, dict]]) -> dict[str, Iterable[tuple]]:
    """Rows of statements (by rowid) and the tables hanging off them, as streams."""
    records = [d for _, d in numbered]
    return {
        "statements": (_statement_row(rowid, d) for rowid, d in numbered),
        "paragraphs": (
            (d["id"], number, text)
            for d in records
            for number, text in enumerate(d["paragraphs"], start=1)
        ),
        "statement_themes": ((d["id"], t["id"]) for d in records for t in d["themes"]),
        "quotes": (row for d in records for row in _quote_rows(d)),
    }


def _insert(connection: sqlite3.Connection, table: str, rows: Iterable[tuple]) -> None:
    columns = INSERT_COLUMNS[table]
    connection.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        rows,
    )


def _fill_database(connection: sqlite3.Connection, tables: dict[str, Iterable[tuple]]) -> None:
    connection.executescript(SCHEMA)
    # One transaction for every row: a commit per row would sync the file 100,000 times.
    connection.execute("BEGIN")
    for table in INSERT_COLUMNS:
        _insert(connection, table, tables[table])
    connection.execute(
        "INSERT INTO statements_fts (rowid, text, headline) "
        "SELECT rowid, text, headline FROM statements"
    )
    # One merged FTS b-tree: a full build's file is read-only from here on, so optimise once.
    connection.execute("INSERT INTO statements_fts (statements_fts) VALUES ('optimize')")
    _check_references(connection)
    connection.execute("COMMIT")


def _check_references(connection: sqlite3.Connection) -> None:
    # Nothing enforced the references while inserting (a nested statement can come before
    # the one it sits in); check them all once, so a broken link never ships.
    broken = connection.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise ValueError(f"the database export has dangling references: {broken[:5]}")


def _claim_tables(claims: list[dict]) -> dict[str, Iterable[tuple]]:
    return {
        "claims": ((c["id"], c["summary"], c["kind"], c["notes"], c["url"]) for c in claims),
        "claim_appearances": (
            (
                c["id"],
                position,
                a["statement"],
                a["paragraph"],
                a["exact"],
                a["prefix"],
                a["suffix"],
                a["start"],
                a["url"],
            )
            for c in claims
            for position, a in enumerate(c["appearances"], start=1)
        ),
        "claim_reviews": (
            (c["id"], position, r["by"], r["date"], r["url"], r["verdict"])
            for c in claims
            for position, r in enumerate(c["reviews"], start=1)
        ),
    }


def _write_sqlite_records(archive: Archive, records: list[dict], path: Path, site_url: str) -> Path:
    numbered = list(enumerate(records, start=1))
    tables = _record_tables(archive, site_url) | _statement_tables(numbered)
    tables |= _claim_tables(_claims_data(archive, _References(archive, site_url)))

    def write(temporary: Path) -> None:
        with _connected(temporary) as connection:
            _fill_database(connection, tables)

    return _replace_atomically(path, write)


@contextmanager
def _connected(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # A temporary file, thrown away on failure, needs no journal and no fsync.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        yield connection
    finally:
        connection.close()


def write_sqlite(archive: Archive, path: Path, site_url: str) -> Path:
    """Write `data/onrecord.db`: the published statements and every record they point to."""
    records = _published_data(archive, _References(archive, site_url))
    return _write_sqlite_records(archive, records, Path(path), site_url)


# -- updating the lists after an edit ------------------------------------------------------
#
# An edit changes a statement or two among thousands: the lists are remade from the
# previous build's files, with fresh rows for the `changed` statements only. Each function
# returns False when the previous file cannot be updated that way (another layout, or, for
# the database, statements removed or reordered); the caller then writes the file anew.
# The JSON and CSV files come out byte for byte as `write_json` and `write_csv` make them;
# the database holds the same rows (its pages lie otherwise, which SQLite does not mind).

_STATEMENT_TABLES = ("statements", "paragraphs", "statement_themes", "quotes")


def update_json(
    archive: Archive, previous: Path, path: Path, site_url: str, changed: set[str]
) -> bool:
    """Write `data/statements.json` at `path` from `previous`, remaking `changed` statements."""
    lines = _json_lines_by_id(previous)
    if lines is None:
        return False
    _write_json_lines(_kept_or_made(archive, site_url, lines, changed, _json_line), path)
    return True


def _kept_or_made(
    archive: Archive,
    site_url: str,
    kept: dict[str, str],
    changed: set[str],
    make: Callable[[dict], str],
) -> Iterator[str]:
    """Each published statement's entry, in list order: as `kept` has it, or made anew."""
    references = _References(archive, site_url)
    for statement in archive.chronological:
        entry = None if statement.id in changed else kept.get(statement.id)
        yield entry if entry is not None else make(_statement_data(statement, archive, references))


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


def update_csv(
    archive: Archive, previous: Path, path: Path, site_url: str, changed: set[str]
) -> bool:
    """Write `data/statements.csv` at `path` from `previous`, remaking `changed` statements."""
    rows = _csv_rows_by_id(previous)
    if rows is None:
        return False

    def write(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8-sig", newline="") as file:
            file.write(_csv_text([CSV_COLUMNS]))
            made = _kept_or_made(
                archive, site_url, rows, changed, lambda d: _csv_text([csv_row(d)])
            )
            file.writelines(made)

    _replace_atomically(path, write)
    return True


def _csv_text(rows: Iterable[Sequence[str]]) -> str:
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
    header = _csv_text([CSV_COLUMNS])
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


def update_sqlite(
    archive: Archive, previous: Path, path: Path, site_url: str, changed: set[str]
) -> bool:
    """Write `data/onrecord.db` at `path` from `previous`, remaking `changed` statements.

    Rowids are list positions, so this works when the previous list is the start of the
    new one (edits, and statements added at the end); the small tables are remade whole.
    """
    order = [s.id for s in archive.chronological]
    try:
        with closing(sqlite3.connect(f"{previous.resolve().as_uri()}?mode=ro", uri=True)) as old:
            before = [row[0] for row in old.execute("SELECT id FROM statements ORDER BY rowid")]
    except sqlite3.Error:
        return False
    if order[: len(before)] != before:
        return False
    redo = [
        (rowid, statement_id)
        for rowid, statement_id in enumerate(order, start=1)
        if statement_id in changed or rowid > len(before)
    ]
    references = _References(archive, site_url)
    numbered = [
        (rowid, _statement_data(archive.statements[i], archive, references)) for rowid, i in redo
    ]
    tables = _record_tables(archive, site_url) | _statement_tables(numbered)
    tables |= _claim_tables(_claims_data(archive, references))
    gone = [(rowid,) for rowid, _ in redo if rowid <= len(before)]

    def write(temporary: Path) -> None:
        shutil.copyfile(previous, temporary)
        with _connected(temporary) as connection:
            connection.execute("BEGIN")
            _forget_rows(connection, gone)
            for table in INSERT_COLUMNS:
                _insert(connection, table, tables[table])
            connection.executemany(
                "INSERT INTO statements_fts (rowid, text, headline) "
                "SELECT rowid, text, headline FROM statements WHERE rowid = ?",
                [(rowid,) for rowid, _ in redo],
            )
            _check_references(connection)
            connection.execute("COMMIT")

    _replace_atomically(path, write)
    return True


def _forget_rows(connection: sqlite3.Connection, rowids: list[tuple[int]]) -> None:
    """Delete the statements at `rowids` (and their search entries) and every small table."""
    # An external-content FTS table forgets a row only when told its old words.
    connection.executemany(
        "INSERT INTO statements_fts (statements_fts, rowid, text, headline) "
        "SELECT 'delete', rowid, text, headline FROM statements WHERE rowid = ?",
        rowids,
    )
    for table in _STATEMENT_TABLES[1:]:
        connection.executemany(
            f"DELETE FROM {table} WHERE statement_id = (SELECT id FROM statements WHERE rowid = ?)",
            rowids,
        )
    connection.executemany("DELETE FROM statements WHERE rowid = ?", rowids)
    for table in INSERT_COLUMNS:
        if table not in _STATEMENT_TABLES:
            connection.execute(f"DELETE FROM {table}")


# -- everything ----------------------------------------------------------------------------


def _write_statement_files(
    archive: Archive, records: list[dict], output_dir: Path, references: _References
) -> list[Path]:
    by_id = {data["id"]: data for data in records}
    folders: set[Path] = set()
    written = []
    for statement in archive.statements.values():
        # Withdrawn statements are not in `records`, but their pages (and files) still exist.
        data = by_id.get(statement.id) or _statement_data(statement, archive, references)
        path = output_dir / urls.statement_json(statement.id)
        if path.parent not in folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            folders.add(path.parent)
        path.write_bytes(_statement_json_text(data).encode("utf-8"))
        written.append(path)
    return written


def _write_lists(archive: Archive, records: list[dict], output_dir: Path, site_url: str) -> list:
    return [
        _write_json_records(records, output_dir / STATEMENTS_JSON),
        _write_csv_records(records, output_dir / STATEMENTS_CSV),
        _write_sqlite_records(archive, records, output_dir / DATABASE, site_url),
    ]


def write_exports(archive: Archive, output_dir: Path, site_url: str) -> list[Path]:
    """Write every export under `output_dir`: the lists and each statement's own file.

    (The site's build writes a statement's file with its page, `statement_json`, so that an
    edit rewrites one statement's file, not ten thousand.)
    """
    output_dir = Path(output_dir)
    references = _References(archive, site_url)
    records = _published_data(archive, references)
    return [
        *_write_lists(archive, records, output_dir, site_url),
        *_write_statement_files(archive, records, output_dir, references),
    ]


def write_claim_exports(archive: Archive, output_dir: Path, site_url: str) -> list[Path]:
    """Write `data/claims.json` and `data/claims.csv` under `output_dir`; return their paths.

    (The claims' SQLite tables are in `data/onrecord.db`, which `write_exports` writes.)
    """
    output_dir = Path(output_dir)
    claims = _claims_data(archive, _References(archive, site_url))
    return [
        _write_json_records(claims, output_dir / CLAIMS_JSON),
        _write_claim_csv_records(claims, output_dir / CLAIMS_CSV),
    ]
