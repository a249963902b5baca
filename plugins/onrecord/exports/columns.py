"""The registry of exported fields: each field of each exported table, declared once.

A `Field` says how its value is read from the model (a function of the record and the
export's `References`), which is its JSON value; the CSV cells and SQLite columns it makes
from that value (`Cell`, `SqlColumn`, with their SQL type and constraints); and one line
of documentation. `data/statements.json`, `statements/<id>.json`, `data/statements.csv`
and every table of `data/onrecord.db` are made from these lists alone: a field's name is
spelled here once, the order of a table's fields is the order of its JSON keys and CSV
columns, and README.md's table of export fields is made from the same lists
(`fields_markdown`; a test fails when they differ, or when a field has no documentation).

The search index's documents hold some statement fields too: a field the index stores or
searches says so here (`Indexed`: the index field's name and its string made from the JSON
value), and `search.index.document` makes those values from this list alone. How the
index analyses, stores and sorts each is the index's own (`search.index.index_schema`,
beside the fields that exist only for searching), so Whoosh stays inside `search/`.

Adding a field to an export is one `Field` here (and, for a new model attribute, the
schema, the loader and the model).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from ..selectors import statement_selectors
from .references import PARAGRAPH_BREAK, References, iso, joined


def same(value: Any) -> Any:
    """A value as it is."""
    return value


@dataclass(frozen=True)
class Cell:
    """One CSV column, made from its field's JSON value (None is an empty cell)."""

    name: str
    make: Callable[[Any], object] = same


@dataclass(frozen=True)
class SqlColumn:
    """One SQLite column, made from its field's JSON value."""

    name: str
    type: type  # str → TEXT, int → INTEGER
    make: Callable[[Any], object] = same
    not_null: bool = False
    references: str | None = None  # the table whose `id` it points to


@dataclass(frozen=True)
class Indexed:
    """One field of the search index's documents, made from its field's JSON value.

    The value is a string, or None to leave the field out of the document (Whoosh takes
    no None). Declared here, not in `search/`, so that a field's reading is spelled once
    for every format: the index is one more form of the value, like a CSV cell.
    """

    name: str
    make: Callable[[Any], str | None] = same


@dataclass(frozen=True)
class Field:
    """One field of an exported table: read once, written in every format it has."""

    name: str
    doc: str
    read: Callable[[Any, References], Any]
    json: bool = True
    csv: tuple[Cell, ...] = ()
    sql: tuple[SqlColumn, ...] = ()
    index: tuple[Indexed, ...] = ()
    # The database's column order predates this registry; a column placed elsewhere there
    # than in JSON names the column it follows.
    sql_after: str | None = None


def field(
    name: str,
    doc: str,
    read: Callable[[Any, References], Any],
    *,
    json: bool = True,
    csv: bool | tuple[Cell, ...] = True,
    sql: type | tuple[SqlColumn, ...] | None = None,
    not_null: bool = False,
    references: str | None = None,
    sql_after: str | None = None,
    index: tuple[Indexed, ...] = (),
) -> Field:
    """A `Field`; `csv=True` is one cell of the same name, `sql=str` one column of it."""
    cells = (Cell(name),) if csv is True else () if csv is False else csv
    columns = (SqlColumn(name, sql, same, not_null, references),) if isinstance(sql, type) else sql
    return Field(name, doc, read, json, cells, columns or (), index, sql_after)


def attribute(name: str) -> Callable[[Any, References], Any]:
    """Read a model attribute of that name."""
    return lambda record, _references: getattr(record, name)


def item(index: int, name: str | None = None) -> Callable[[Any, References], Any]:
    """Read part `index` of a row's tuple (and its attribute or key `name`)."""
    if name is None:
        return lambda row, _references: row[index]
    return lambda row, _references: (
        row[index][name] if isinstance(row[index], dict) else getattr(row[index], name)
    )


@dataclass(frozen=True)
class Table:
    """An exported table: its fields in order, and its SQLite keys and indexes."""

    name: str
    doc: str
    fields: tuple[Field, ...]
    pk: str | tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()  # each named `<table>_<first column>`
    compound_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()

    def data(self, record: Any, references: References) -> dict:
        """Every field's value for `record`, by name, in order."""
        return {f.name: f.read(record, references) for f in self.fields}

    def json_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.json)

    def csv_cells(self) -> list[tuple[str, Cell]]:
        """(field name, cell) of each CSV column, in order."""
        return [(f.name, cell) for f in self.fields for cell in f.csv]

    def indexed(self) -> list[tuple[Field, Indexed]]:
        """(field, index field) of each field of the search index made from this table's."""
        return [(f, value) for f in self.fields for value in f.index]

    def sql_columns(self) -> list[tuple[str, SqlColumn]]:
        """(field name, column) of each SQLite column, in the table's order."""
        placed = [(f.name, c) for f in self.fields if f.sql_after is None for c in f.sql]
        for moved in (f for f in self.fields if f.sql_after is not None):
            at = next(i for i, (_, c) in enumerate(placed) if c.name == moved.sql_after)
            placed[at + 1 : at + 1] = [(moved.name, c) for c in moved.sql]
        return placed


def _reference_id(value: dict | None) -> str | None:
    return value and value["id"]


def _or_empty(value: str | None) -> str:
    # The index stores and searches "" for no headline, role or venue (and counts no words).
    return value or ""


def _reference_cells(kind: str, label: str) -> tuple[Cell, ...]:
    """`<kind>_id` and `<kind>` (its name or title) of a `{id, name|title, url}` or None."""
    return (
        Cell(f"{kind}_id", _reference_id),
        Cell(kind, lambda value: value and value[label]),
    )


def _reference_column(kind: str, table: str, *, not_null: bool = False) -> tuple[SqlColumn]:
    return (SqlColumn(f"{kind}_id", str, _reference_id, not_null, table),)


def _quotes(statement: Any, references: References) -> list[dict]:
    return [
        {"paragraph": q.paragraph, "statement": q.statement_id, "nested": q.nested}
        for q in statement.quotes
        if references.listed(q.statement_id)
    ]


def _quoted_by(statement: Any, references: References) -> list[str]:
    # A statement quoting this one in two paragraphs quotes it once, as far as ids go.
    quoting = references.archive.quoted_by.get(statement.id, ())
    return list(dict.fromkeys(s.id for s in quoting))


def _original(statement: Any, _references: References) -> dict | None:
    original = statement.original
    if original is None:
        return None
    return {"language": original.language, "paragraphs": list(original.paragraphs)}


def _original_text(value: dict | None) -> str | None:
    return PARAGRAPH_BREAK.join(value["paragraphs"]) or None if value else None


def _history(statement: Any, _references: References) -> list[dict] | None:
    if statement.history is None:
        return None
    return [
        {"date": c.date.isoformat(), "change": c.words}
        | (
            {"old_hash": c.old_fingerprint, "new_hash": c.new_fingerprint}
            if c.corrects_words
            else {}
        )
        for c in statement.history
    ]


def _history_cell(value: list[dict] | None) -> str | None:
    return value and joined([f"{change['date']} {change['change']}" for change in value])


def _selector_part(index: int, key: str) -> Callable[[Any], object]:
    return lambda value: value and value[index][key]


# The selectors' parts as CSV cells and SQLite columns: (name, SQL type, read from the JSON).
_SELECTOR_PARTS = tuple(
    (f"quote_{key}", kind, _selector_part(index, key))
    for index, key, kind in (
        (0, "prefix", str),
        (0, "exact", str),
        (0, "suffix", str),
        (1, "start", int),
        (1, "end", int),
    )
)


STATEMENTS = Table(
    "statements",
    "every published statement (nested ones included), oldest first",
    (
        field(
            "id",
            "the statement's id; ids never change",
            attribute("id"),
            sql=str,
            index=(Indexed("id"),),
        ),
        field(
            "aliases",
            "[former ids]: each still answers at its old URL, as a redirect",
            lambda s, _: list(s.aliases),
            csv=(Cell("aliases", joined),),
        ),
        field(
            "url",
            "its page: `<site_url>/statements/<id>/`",
            lambda s, r: r.page("statement", s.id),
            sql=str,
            not_null=True,
            sql_after="original_text",
        ),
        field(
            "speaker",
            "{id, name, url} of the speaker",
            lambda s, r: r.to("speaker", s.speaker_id),
            csv=_reference_cells("speaker", "name"),
            sql=_reference_column("speaker", "speakers", not_null=True),
            index=(
                Indexed("speaker_id", _reference_id),
                Indexed("speaker_name", itemgetter("name")),
            ),
        ),
        field(
            "speaker_as",
            "the speaker's name as this source prints it",
            attribute("speaker_as"),
            sql=str,
        ),
        field(
            "role",
            "the speaker's role at the time, as the source states it",
            attribute("role"),
            sql=str,
            index=(Indexed("role", _or_empty),),
        ),
        field(
            "date",
            "`YYYY-MM-DD`, `YYYY-MM` or `YYYY`, as precise as the source; or null",
            lambda s, _: iso(s.date),
            sql=str,
            index=(Indexed("date"),),
        ),
        field(
            "venue",
            "occasion or venue (a conference, an editorial…)",
            attribute("venue"),
            sql=str,
            index=(Indexed("venue", _or_empty),),
        ),
        field(
            "outlet",
            "{id, name, url} of the outlet it was published in; or null",
            lambda s, r: r.to("outlet", s.outlet_id) if s.outlet_id else None,
            csv=_reference_cells("outlet", "name"),
            sql=_reference_column("outlet", "outlets"),
            index=(Indexed("outlet_id", _reference_id),),
        ),
        field(
            "source",
            "{id, title, url, publisher, address, archived_address, archived_on} of the report "
            "that quotes it (`url` is its page here, `address` its own web address, "
            "`archived_address` a web archive's copy of it made on `archived_on`; or null)",
            lambda s, r: r.to("source", s.source_id),
            csv=(
                *_reference_cells("source", "title"),
                Cell("source_publisher", lambda value: value["publisher"]),
                Cell("source_address", lambda value: value["address"]),
                Cell("source_archived_address", lambda value: value["archived_address"]),
            ),
            sql=_reference_column("source", "sources", not_null=True),
            index=(Indexed("source_id", _reference_id),),
        ),
        field("footnote", "the source's footnote number for it", attribute("footnote"), sql=int),
        field(
            "section", "the heading it stands under in the source", attribute("section"), sql=str
        ),
        field("position", "its place in the source, from 1", attribute("position"), sql=int),
        field(
            "headline",
            "the source's headline for it, verbatim",
            attribute("headline"),
            sql=str,
            index=(Indexed("headline", _or_empty),),
        ),
        field(
            "language",
            "BCP 47 language of `paragraphs`",
            attribute("language"),
            sql=str,
            not_null=True,
        ),
        field(
            "paragraphs",
            "the verbatim paragraphs (CSV and SQLite: `text`, joined with a blank line)",
            lambda s, _: list(s.paragraphs),
            csv=(Cell("text", PARAGRAPH_BREAK.join),),
            sql=(SqlColumn("text", str, PARAGRAPH_BREAK.join, not_null=True),),
            index=(Indexed("text", PARAGRAPH_BREAK.join),),
        ),
        field(
            "original",
            "{language, paragraphs} in the original language; or null",
            _original,
            csv=(
                Cell("original_language", lambda v: v and v["language"]),
                Cell("original_text", _original_text),
            ),
            sql=(
                SqlColumn("original_language", str, lambda v: v and v["language"]),
                SqlColumn("original_text", str, _original_text),
            ),
        ),
        field(
            "form",
            "quotation | paraphrase (printed without quotation marks)",
            attribute("form"),
            sql=str,
            not_null=True,
        ),
        field(
            "truncated",
            "true when the source cuts it off (CSV: `true` or `false`)",
            attribute("truncated"),
            csv=(Cell("truncated", lambda value: "true" if value else "false"),),
            sql=(SqlColumn("truncated", int, int, not_null=True),),
        ),
        field(
            "themes",
            "[{id, name, url}] of its themes, in the record's order (SQLite: `statement_themes`)",
            lambda s, r: [r.to("theme", theme_id) for theme_id in s.theme_ids],
            csv=(
                Cell("theme_ids", lambda v: joined([t["id"] for t in v])),
                Cell("themes", lambda v: joined([t["name"] for t in v])),
            ),
            # Whoosh's comma-separated keywords: a filter and a facet.
            index=(Indexed("theme_ids", lambda v: ",".join([t["id"] for t in v])),),
        ),
        field(
            "quotes",
            "[{paragraph, statement, nested}] quoted inside it: 1-based paragraph, the quoted "
            "id, nested when known only through this one (SQLite: `quotes`)",
            _quotes,
            csv=(Cell("quotes", lambda v: joined([q["statement"] for q in v])),),
        ),
        field(
            "quoted_in",
            "id of the statement this one is nested inside",
            lambda s, r: s.quoted_in if r.listed(s.quoted_in) else None,
            sql=(SqlColumn("quoted_in", str, references="statements"),),
            sql_after="attribution_note",
        ),
        field(
            "quoted_by",
            "[id] of the published statements that quote it, oldest first",
            _quoted_by,
            csv=(Cell("quoted_by", joined),),
        ),
        field(
            "attribution",
            "primary | secondary | disputed | misattributed | withdrawn",
            attribute("attribution"),
            sql=str,
            not_null=True,
        ),
        field(
            "attribution_note",
            "why, for disputed, misattributed or withdrawn",
            attribute("attribution_note"),
            sql=str,
        ),
        field(
            "withdrawn_on",
            "`YYYY-MM-DD` the archive withdrew it; null unless withdrawn",
            lambda s, _: iso(s.withdrawn_on),
            csv=False,
        ),
        field("notes", "editors' notes", attribute("notes"), sql=str),
        field(
            "content_hash",
            "12 hex digits of the SHA-256 of the quoted words: changes only when they do",
            attribute("content_hash"),
            csv=False,
        ),
        field(
            "last_changed",
            "`YYYY-MM-DD` the record's file last changed (git history, else the file)",
            lambda s, _: iso(s.last_changed),
            csv=False,
        ),
        field(
            "history",
            "[{date, change}]: each commit's change to the record in words, oldest first "
            "(formatting-only rewrites left out; a correction of its words adds old_hash and "
            "new_hash, its `content_hash` before and after); null with no git history "
            "(CSV: `date change` joined with '; '; SQLite: the JSON list)",
            _history,
            csv=(
                Cell("history", lambda v: v and joined([f"{c['date']} {c['change']}" for c in v])),
            ),
            sql=(SqlColumn("history", str, lambda v: None if v is None else json.dumps(v)),),
        ),
        field(
            "selector",
            "[TextQuoteSelector, TextPositionSelector] (W3C Web Annotation) placing its words "
            "in the source's text (offsets in code points); null when the source has no text",
            lambda s, r: statement_selectors(s, r.archive),
            csv=tuple(Cell(name, read) for name, _, read in _SELECTOR_PARTS),
            sql=tuple(SqlColumn(name, kind, read) for name, kind, read in _SELECTOR_PARTS),
        ),
    ),
    pk="id",
    indexes=(("speaker_id",), ("outlet_id",), ("source_id",), ("quoted_in",)),
)
