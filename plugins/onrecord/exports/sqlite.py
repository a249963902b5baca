"""`data/onrecord.db`: write it, or update it after an edit; every table from the registry.

Each table of `tables.TABLES` is created by sqlite-utils from its fields' SQL columns
(types, NOT NULL, primary key, foreign keys, the indexes it names) and filled with
`Table.insert_all`, values made by the fields themselves and inserted by column name, never
by position. The search index is `Table.enable_fts` (FTS5, external content, no triggers:
the file is static), whose `content="statements"` is the text Datasette finds a table's
search index by.

`statements` keeps SQLite's implicit rowid (written explicitly, 1… in list order) because
FTS5 external content and Datasette's search both join on it. VACUUM may renumber such
rowids: whoever vacuums a copy should rebuild the index
(`INSERT INTO statements_fts(statements_fts) VALUES ('rebuild')`).

Writing 10,000 synthetic statements (`write_sqlite` on `load_archive` of `onrecord synth
10000`, data shaping included; best of 5, five interleaved runs each, on a shared 2-core
machine at load 1–5): 1.11–1.27 s with the hand-written CREATE/INSERT text and `executemany`
this replaced, 1.32–1.84 s through sqlite-utils (+15–55 %, about +30 % on a quiet machine:
its per-value `jsonify_if_needed` and multi-row INSERT text; about 0.3 s). Kept: one
declaration per column instead of three, and rows inserted by name. The file holds the same
tables, columns, types, keys and rows as before; only the text of its CREATE statements
differs (sqlite-utils quotes every name and lays the text out its own way).
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..model import Archive
from .columns import STATEMENTS, Table
from .data import claims_data, each_published, shape_statement
from .files import replace_atomically
from .references import References
from .tables import (
    CLAIM_APPEARANCES,
    CLAIM_REVIEWS,
    CLAIMS,
    FOOTNOTES,
    OUTLETS,
    PARAGRAPHS,
    QUOTES,
    SOURCES,
    SPEAKERS,
    STATEMENT_THEMES,
    TABLES,
    THEMES,
)

# The statement columns the search index holds.
SEARCHED = ("text", "headline")
# Tables with a row per statement (or per part of one), remade statement by statement.
STATEMENT_TABLES = (STATEMENTS, PARAGRAPHS, STATEMENT_THEMES, QUOTES)


def _create(db: Database) -> None:
    for table in TABLES:
        columns = [column for _, column in table.sql_columns()]
        db[table.name].create(
            {c.name: c.type for c in columns},
            pk=table.pk,
            not_null={c.name for c in columns if c.not_null},
            foreign_keys=[(c.name, c.references, "id") for c in columns if c.references]
            + list(table.compound_keys),
        )
        for index in table.indexes:
            db[table.name].create_index(list(index), index_name=f"{table.name}_{index[0]}")
    # The primary keys of footnotes, paragraphs, statement_themes and quotes start with
    # their first foreign-key column, so they index it already.


def _sorted_values(records: dict) -> list:
    return [records[key] for key in sorted(records)]


def _unique(rows: Iterable[tuple], seen: set) -> Iterator[tuple]:
    # A quote a record lists twice would only repeat the same row (and break the key).
    for data, quote in rows:
        key = (data["id"], quote["paragraph"], quote["statement"], quote["nested"])
        if key not in seen:
            seen.add(key)
            yield data, quote


def _records(archive: Archive, claims: list[dict]) -> list[tuple[Table, Iterable]]:
    """Each table with no row per statement, and what it has a row for (its fields read them)."""
    sources = _sorted_values(archive.sources)
    return [
        (SPEAKERS, _sorted_values(archive.speakers)),
        (OUTLETS, _sorted_values(archive.outlets)),
        (THEMES, _sorted_values(archive.themes)),
        (SOURCES, sources),
        (FOOTNOTES, ((s, f) for s in sources for f in s.footnotes)),
        (
            CLAIM_APPEARANCES,
            ((c, position, a) for c in claims for position, a in enumerate(c["appearances"], 1)),
        ),
        (
            CLAIM_REVIEWS,
            ((c, position, r) for c in claims for position, r in enumerate(c["reviews"], 1)),
        ),
    ]


def _parts(statements: list[dict], quoted: set) -> list[tuple[Table, Iterable]]:
    """The tables of the statements' parts (after `statements` in STATEMENT_TABLES) and what
    they have a row for; `quoted`, the quotes given a row so far."""
    return [
        (
            PARAGRAPHS,
            ((d, n, text) for d in statements for n, text in enumerate(d["paragraphs"], 1)),
        ),
        (STATEMENT_THEMES, ((d, theme) for d in statements for theme in d["themes"])),
        (QUOTES, _unique(((d, quote) for d in statements for quote in d["quotes"]), quoted)),
    ]


# Statements whose data is made and inserted at a time (`_fill`).
FILL_CHUNK = 1_000

# Each table's (field name, how its column's value is made), in column order.
_MAKERS = {
    table.name: tuple((name, column.make) for name, column in table.sql_columns())
    for table in TABLES
}


def _values(table: Table, data: dict) -> list[Any]:
    return [_unshared(make(data[name])) for name, make in _MAKERS[table.name]]


def _unshared(value: object) -> object:
    """A copy of text that is not ASCII, for sqlite3 to bind; anything else as it is.

    Binding a string leaves its UTF-8 form cached inside it for as long as it lives
    (CPython's PyUnicode_AsUTF8AndSize), and the paragraphs bound are the records' own
    strings: at 100,000 statements the process writing the database kept 183 MiB of such
    copies (721 → 904 MiB), the build's largest process. The copy's cache goes with it.
    """
    return value.encode().decode() if type(value) is str and not value.isascii() else value


def _rows(table: Table, records: Iterable, references: References) -> Iterator[list]:
    """sqlite-utils' list mode: the column names, then each row's values."""
    yield [column.name for _, column in table.sql_columns()]
    for record in records:
        yield _values(table, table.data(record, references))


def _statement_rows(numbered: list[tuple[int, dict]]) -> Iterator[list]:
    """Statements' rows from their JSON data, each with its rowid."""
    yield ["rowid", *(column.name for _, column in STATEMENTS.sql_columns())]
    for rowid, data in numbered:
        yield [rowid, *_values(STATEMENTS, data)]


def _made_rows(table: Table, records: list[dict]) -> Iterator[list]:
    """Rows from records' JSON data already made (claims)."""
    yield [column.name for _, column in table.sql_columns()]
    for data in records:
        yield _values(table, data)


def _fill(
    db: Database, archive: Archive, numbered: Iterable[tuple[int, dict]], references: References
) -> None:
    """Every table's rows; the statements' a chunk at a time, their data made as they go.

    At 100,000 statements the statements' data made all at once (a dict each) took the
    worker writing the database to 1.42 GiB, the build's largest process.
    """
    claims = claims_data(references)
    for table, records in _records(archive, claims):
        db[table.name].insert_all(_rows(table, records, references))
    db[CLAIMS.name].insert_all(_made_rows(CLAIMS, claims))
    quoted: set = set()
    numbered = iter(numbered)
    while chunk := list(islice(numbered, FILL_CHUNK)):
        db[STATEMENTS.name].insert_all(_statement_rows(chunk))
        for table, records in _parts([data for _, data in chunk], quoted):
            db[table.name].insert_all(_rows(table, records, references))


def _check_references(connection: sqlite3.Connection) -> None:
    # Nothing enforced the references while inserting (a nested statement can come before
    # the one it sits in); check them all once, so a broken link never ships.
    broken = connection.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise ValueError(f"the database export has dangling references: {broken[:5]}")


@contextmanager
def _connected(path: Path) -> Iterator[Database]:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # A temporary file, thrown away on failure, needs no journal and no fsync.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        yield Database(connection)
    finally:
        connection.close()


def write_sqlite_records(
    archive: Archive, records: Iterable[dict], path: Path, site_url: str
) -> Path:
    """Write the database of these statements' data (`records`, in list order) at `path`."""
    references = References(archive, site_url)
    numbered = enumerate(records, start=1)

    def write(temporary: Path) -> None:
        with _connected(temporary) as db:
            # One transaction for every row: a commit per row would sync the file 100,000 times.
            with db.atomic():
                _create(db)
                _fill(db, archive, numbered, references)
            db[STATEMENTS.name].enable_fts(SEARCHED, create_triggers=False)
            # One merged FTS b-tree: the file is read-only from here on, so optimise once.
            db.execute(
                f"INSERT INTO {STATEMENTS.name}_fts ({STATEMENTS.name}_fts) VALUES ('optimize')"
            )
            _check_references(db.conn)

    return replace_atomically(path, write)


def write_sqlite(archive: Archive, path: Path, site_url: str) -> Path:
    """Write `data/onrecord.db`: the published statements and every record they point to."""
    records = each_published(References(archive, site_url))
    return write_sqlite_records(archive, records, Path(path), site_url)


# -- updating after an edit ----------------------------------------------------------------
#
# The database holds the same rows as `write_sqlite` makes (its pages lie otherwise, which
# SQLite does not mind).


def update_sqlite(
    archive: Archive, previous: Path, path: Path, site_url: str, changed: set[str]
) -> bool:
    """Write `data/onrecord.db` at `path` from `previous`, remaking `changed` statements;
    False when most rows would be remade (writing it anew is then quicker).

    Rowids are list positions: a statement whose place in the list moved (its date edited,
    one before it added or withdrawn) is remade at its new place, and so is each one it
    moved past. A row past the new list's end goes. The small tables are remade whole.
    At 100,000 statements writing it anew took 25 s of a worker's CPU: a date's edit took
    40-42 s (by hand, one build after the other), and 11.7-14.1 s with the rows it moved
    past remade.
    """
    order = [s.id for s in archive.chronological]
    try:
        with closing(sqlite3.connect(f"{previous.resolve().as_uri()}?mode=ro", uri=True)) as old:
            before = [row[0] for row in old.execute("SELECT id FROM statements ORDER BY rowid")]
    except sqlite3.Error:
        return False
    redo = [
        (rowid, statement_id)
        for rowid, statement_id in enumerate(order, start=1)
        if statement_id in changed or rowid > len(before) or before[rowid - 1] != statement_id
    ]
    gone = [(rowid,) for rowid, _ in redo if rowid <= len(before)]
    gone += [(rowid,) for rowid in range(len(order) + 1, len(before) + 1)]
    if 2 * max(len(redo), len(gone)) > max(len(order), len(before)):
        return False
    references = References(archive, site_url)
    numbered = [(rowid, shape_statement(archive.statements[i], references)) for rowid, i in redo]
    searched = ", ".join(SEARCHED)

    def write(temporary: Path) -> None:
        shutil.copyfile(previous, temporary)
        with _connected(temporary) as db, db.atomic():
            _forget_rows(db.conn, gone)
            _fill(db, archive, numbered, references)
            db.conn.executemany(
                f"INSERT INTO statements_fts (rowid, {searched}) "
                f"SELECT rowid, {searched} FROM statements WHERE rowid = ?",
                [(rowid,) for rowid, _ in redo],
            )
            _check_references(db.conn)

    replace_atomically(path, write)
    return True


def _forget_rows(connection: sqlite3.Connection, rowids: list[tuple[int]]) -> None:
    """Delete the statements at `rowids` (and their search entries) and every small table."""
    searched = ", ".join(SEARCHED)
    # An external-content FTS table forgets a row only when told its old words.
    connection.executemany(
        f"INSERT INTO statements_fts (statements_fts, rowid, {searched}) "
        f"SELECT 'delete', rowid, {searched} FROM statements WHERE rowid = ?",
        rowids,
    )
    for table in STATEMENT_TABLES[1:]:
        connection.executemany(
            f"DELETE FROM {table.name} "
            "WHERE statement_id = (SELECT id FROM statements WHERE rowid = ?)",
            rowids,
        )
    connection.executemany("DELETE FROM statements WHERE rowid = ?", rowids)
    per_statement = {table.name for table in STATEMENT_TABLES}
    for table in TABLES:
        if table.name not in per_statement:
            connection.execute(f"DELETE FROM {table.name}")


__all__ = ["update_sqlite", "write_sqlite", "write_sqlite_records"]
