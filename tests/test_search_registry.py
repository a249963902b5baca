"""The search index's fields and the export registry (onrecord.exports.columns).

An index field holding an exported statement field's value is declared with that field in
the registry (`Field.index`, an `Indexed`); the index's other fields are its own
(`search.index.OWN_FIELDS`). Every stored value of a built index is compared with what
the registry makes of the statement's exported JSON value, for every statement of the seed
and of one statement with every optional field empty, so an index field that reads its
value another way than the export (in `document` or in the registry) fails here.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from conftest import SEED
from whoosh.fields import KEYWORD

from onrecord import exports
from onrecord.exports.columns import STATEMENTS, Indexed, Table, attribute, field
from onrecord.exports.references import LIST_SEPARATOR
from onrecord.model import Archive
from onrecord.records import load_archive
from onrecord.search import index as search_index
from onrecord.search.index import OWN_FIELDS, build_index, document, index_schema, open_index

SITE = "https://archive.example.org"


@pytest.fixture(scope="module")
def archive() -> Archive:
    """The seed, and a statement with no date, outlet, headline, role, venue or theme."""
    seed = load_archive(SEED)
    bare = dataclasses.replace(
        seed.statements["jafari-press-conference"],
        id="bare-statement",
        date=None,
        outlet_id=None,
        headline=None,
        role=None,
        venue=None,
        theme_ids=(),
        quotes=(),
    )
    return Archive.of(
        seed.speakers,
        seed.outlets,
        seed.themes,
        seed.sources,
        {**seed.statements, bare.id: bare},
    )


@pytest.fixture(scope="module")
def listed(archive, tmp_path_factory) -> dict[str, dict]:
    """Each published statement's JSON, as data/statements.json exports it."""
    output = tmp_path_factory.mktemp("exported")
    exports.write_exports(archive, output, SITE)
    items = json.loads((output / "data" / "statements.json").read_text(encoding="utf-8"))
    return {item["id"]: item for item in items}


def stored_documents(index_root: Path) -> dict[str, dict]:
    with open_index(index_root).searcher() as searcher:
        return {fields["id"]: dict(fields) for fields in searcher.all_stored_fields()}


def items(value: str | None, separator: str) -> list[str]:
    return [part for part in (value or "").split(separator) if part]


def index_mismatches(
    documents: dict[str, dict], listed: dict[str, dict], *, stored_only: bool = True
) -> list[tuple[str, str]]:
    """(statement id, index field) of each index value the registry does not make.

    Two checks, as for the SQLite columns: the value is what its `Indexed` makes of the
    field's JSON value (a field left out is None), and an index field named like a CSV
    cell holds that cell's value (an empty cell: "" or left out; keywords item by item,
    the index separating them with commas, CSV with "; ").
    """
    schema = index_schema()
    cells = {cell.name: (name, cell) for name, cell in STATEMENTS.csv_cells()}
    found = []
    for key, data in listed.items():
        fields = documents[key]
        for f, value in STATEMENTS.indexed():
            if stored_only and not schema[value.name].stored:
                continue
            held = fields.get(value.name)
            made = held == value.make(data[f.name])
            as_cell = True
            if value.name in cells:
                name, cell = cells[value.name]
                in_cell = cell.make(data[name])
                if isinstance(schema[value.name], KEYWORD):
                    as_cell = items(held, ",") == items(in_cell, LIST_SEPARATOR)
                else:
                    as_cell = (held or "") == (in_cell or "")
            if not (made and as_cell):
                found.append((key, value.name))
    return found


def test_every_stored_field_holds_what_the_registry_makes(archive, listed, tmp_path):
    build_index(archive, tmp_path)
    documents = stored_documents(tmp_path)
    assert documents.keys() == listed.keys()
    assert index_mismatches(documents, listed) == []
    # The bare statement's empty fields: left out, or "" where the index searches a text.
    bare = documents["bare-statement"]
    assert "date" not in bare and "outlet_id" not in bare
    assert bare["headline"] == bare["theme_ids"] == ""


def test_every_document_field_from_the_registry_is_what_it_makes(archive, listed):
    # Role and venue are searched, not stored: their values are checked as `document` makes them.
    documents = {key: document(archive, archive.statements[key]) for key in listed}
    assert index_mismatches(documents, listed, stored_only=False) == []


def test_a_stored_field_read_another_way_is_caught(archive, listed, tmp_path, monkeypatch):
    def swapped(archive, statement, references=None):
        fields = made(archive, statement, references)
        fields["speaker_id"], fields["source_id"] = fields["source_id"], fields["speaker_id"]
        return fields

    made = search_index.document
    monkeypatch.setattr(search_index, "document", swapped)
    build_index(archive, tmp_path)
    found = index_mismatches(stored_documents(tmp_path), listed)
    assert {name for _, name in found} == {"speaker_id", "source_id"}
    assert len(found) == 2 * len(listed)


# -- the schema: the registry's index fields and the index's own ---------------------------


def not_in_schema(table: Table, schema_names: list[str]) -> list[str]:
    """The index fields the registry declares that the index's schema does not have."""
    return [value.name for _, value in table.indexed() if value.name not in schema_names]


def test_every_registry_index_field_is_in_the_schema():
    assert not_in_schema(STATEMENTS, index_schema().names()) == []


def test_a_registry_index_field_missing_from_the_schema_is_caught():
    notes = field("notes", "editors' notes", attribute("notes"), index=(Indexed("notes"),))
    table = dataclasses.replace(STATEMENTS, fields=(*STATEMENTS.fields, notes))
    assert not_in_schema(table, index_schema().names()) == ["notes"]


def test_the_schema_is_the_registry_index_fields_and_the_index_own():
    registry = [value.name for _, value in STATEMENTS.indexed()]
    assert len(set(registry)) == len(registry)
    assert not set(registry) & set(OWN_FIELDS)
    assert sorted(index_schema().names()) == sorted([*registry, *OWN_FIELDS])


def test_a_document_holds_every_schema_field_it_has_a_value_for(archive):
    schema = set(index_schema().names())
    for statement in archive.chronological:
        fields = document(archive, statement)
        left_out = {"date"} if statement.date is None else set()
        left_out |= {"outlet_id"} if statement.outlet_id is None else set()
        assert set(fields) == schema - left_out, statement.id
