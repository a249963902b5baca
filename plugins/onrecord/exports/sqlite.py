"""`data/onrecord.db`: write and update."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from ..model import Archive
from .data import (
    LIST_SEPARATOR,
    PARAGRAPH_BREAK,
    References,
    claims_data,
    page_url,
    published_data,
    shape_statement,
)
from .files import replace_atomically

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
                page_url(site_url, "speaker", s.id),
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
                page_url(site_url, "outlet", o.id),
            )
            for o in _sorted_values(archive.outlets)
        ),
        "themes": (
            (t.id, t.name, t.description, page_url(site_url, "theme", t.id))
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
                page_url(site_url, "source", s.id),
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


def write_sqlite_records(archive: Archive, records: list[dict], path: Path, site_url: str) -> Path:
    numbered = list(enumerate(records, start=1))
    tables = _record_tables(archive, site_url) | _statement_tables(numbered)
    tables |= _claim_tables(claims_data(archive, References(archive, site_url)))

    def write(temporary: Path) -> None:
        with _connected(temporary) as connection:
            _fill_database(connection, tables)

    return replace_atomically(path, write)


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
    records = published_data(archive, References(archive, site_url))
    return write_sqlite_records(archive, records, Path(path), site_url)


_STATEMENT_TABLES = ("statements", "paragraphs", "statement_themes", "quotes")


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
    references = References(archive, site_url)
    numbered = [
        (rowid, shape_statement(archive.statements[i], archive, references)) for rowid, i in redo
    ]
    tables = _record_tables(archive, site_url) | _statement_tables(numbered)
    tables |= _claim_tables(claims_data(archive, references))
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

    replace_atomically(path, write)
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
