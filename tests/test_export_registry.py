"""The export registry (onrecord.exports.columns/tables): every format made from it, and
README.md's table of export fields made from it too.

Each SQLite column and each CSV cell is compared with the JSON value of the field it
comes from, for every field of the registry, so two columns swapped (in a declaration or
in the rows written) fail here.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from conftest import REPO, SEED

from onrecord import exports
from onrecord.exports import docs
from onrecord.exports.columns import STATEMENTS, Field, Table, field
from onrecord.exports.references import References
from onrecord.exports.tables import CLAIMS, SOURCES, SPEAKERS, TABLES
from onrecord.model import Archive
from onrecord.records import load_archive

SITE = "https://archive.example.org"


@pytest.fixture(scope="module")
def archive():
    return load_archive(SEED)


@pytest.fixture(scope="module")
def exported(archive, tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("registry")
    exports.write_exports(archive, output, SITE)
    exports.write_claim_exports(archive, output, SITE)
    return output


@pytest.fixture(scope="module")
def listed(exported) -> dict[str, dict]:
    items = json.loads((exported / "data" / "statements.json").read_text(encoding="utf-8"))
    return {item["id"]: item for item in items}


def sqlite_mismatches(path: Path, listed: dict[str, dict]) -> list[tuple[str, str]]:
    """(statement id, column) of each SQLite value that is not made from its JSON value.

    Two checks: the value is what the column's field makes of the JSON value, and a column
    named like a JSON key holds that key's value as it is.
    """
    found = []
    with closing(sqlite3.connect(path)) as connection:
        connection.row_factory = sqlite3.Row
        for row in connection.execute("SELECT * FROM statements ORDER BY rowid"):
            data = listed[row["id"]]
            for name, column in STATEMENTS.sql_columns():
                value = row[column.name]
                made = value == column.make(data[name])
                as_is = column.name not in data or value == data[column.name]
                if not (made and as_is):
                    found.append((row["id"], column.name))
    return found


def test_the_json_keys_are_the_registry_fields_in_order(listed, exported):
    keys = [f.name for f in STATEMENTS.json_fields()]
    assert {tuple(item) for item in listed.values()} == {tuple(keys)}
    one = json.loads((exported / "statements" / "kayhan-sochi-editorial.json").read_text("utf-8"))
    assert list(one) == keys


def test_id_comes_first_in_json_and_csv():
    # The updates find a previous file's lines by the id they start with.
    assert STATEMENTS.fields[0].name == "id"
    assert STATEMENTS.csv_cells()[0][1].name == "id"


def test_every_sqlite_column_holds_its_json_value(exported, listed):
    names = [column.name for _, column in STATEMENTS.sql_columns()]
    with closing(sqlite3.connect(exported / "data" / "onrecord.db")) as connection:
        declared = [row[1] for row in connection.execute("PRAGMA table_info(statements)")]
    assert declared == names
    assert sqlite_mismatches(exported / "data" / "onrecord.db", listed) == []


def test_every_claims_column_holds_its_json_value(exported):
    items = json.loads((exported / "data" / "claims.json").read_text(encoding="utf-8"))
    assert items and all(list(item) == [f.name for f in CLAIMS.json_fields()] for item in items)
    by_id = {item["id"]: item for item in items}
    with closing(sqlite3.connect(exported / "data" / "onrecord.db")) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute("SELECT * FROM claims").fetchall()
    assert sorted(row["id"] for row in rows) == sorted(by_id)
    for row in rows:
        for name, column in CLAIMS.sql_columns():
            value = by_id[row["id"]][name]
            assert row[column.name] == column.make(value) == value, (row["id"], column.name)


def test_two_sqlite_columns_swapped_are_caught(exported, listed, tmp_path):
    swapped = tmp_path / "swapped.db"
    swapped.write_bytes((exported / "data" / "onrecord.db").read_bytes())
    with closing(sqlite3.connect(swapped)) as connection, connection:
        connection.execute("UPDATE statements SET role = venue, venue = role")
    found = sqlite_mismatches(swapped, listed)
    assert {column for _, column in found} == {"role", "venue"}


def test_every_csv_cell_is_made_from_its_json_value(exported, listed):
    text = (exported / "data" / "statements.csv").read_text(encoding="utf-8-sig")
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    assert header == [cell.name for _, cell in STATEMENTS.csv_cells()]
    assert len(rows) == len(listed)
    for row in rows:
        data = listed[row[0]]
        for value, (name, cell) in zip(row, STATEMENTS.csv_cells(), strict=True):
            assert value == exports.csv_safe(cell.make(data[name])), (row[0], cell.name)


@pytest.mark.parametrize("table", [SPEAKERS, SOURCES], ids=lambda t: t.name)
def test_record_tables_hold_what_their_fields_read(table, archive, exported):
    references = References(archive, SITE)
    records = getattr(archive, table.name)
    with closing(sqlite3.connect(exported / "data" / "onrecord.db")) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute(f"SELECT * FROM {table.name} ORDER BY id").fetchall()
    assert [row["id"] for row in rows] == sorted(records)
    for row in rows:
        data = table.data(records[row["id"]], references)
        for name, column in table.sql_columns():
            assert row[column.name] == column.make(data[name]), (row["id"], column.name)


def test_the_database_holds_the_registry_tables_and_no_other(exported):
    with closing(sqlite3.connect(exported / "data" / "onrecord.db")) as connection:
        names = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not row[0].startswith("statements_fts")
        }
    assert names == {table.name for table in TABLES}


def test_the_readme_table_of_export_fields_is_made_from_the_registry():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert docs.with_fields_table(readme) == readme, (
        "README.md's table of export fields is out of date: python -m onrecord.exports.docs"
    )
    for table in docs.DOCUMENTED:
        for f in table.fields:
            assert f"| {f.name} | " in readme


def test_every_registry_field_is_documented():
    assert list(docs.undocumented()) == []
    assert {table.name for table in docs.DOCUMENTED} == {table.name for table in TABLES}


def test_a_field_without_documentation_fails():
    bare = Table("things", "a table", (field("id", "", lambda r, _: r, sql=str),), pk="id")
    assert list(docs.undocumented((bare,))) == ["things.id"]
    with pytest.raises(ValueError, match=r"things\.id"):
        docs.fields_markdown((bare,))
    two_lines = Field("note", "one line\nand another", lambda r, _: r)
    assert list(docs.undocumented((Table("t", "d", (two_lines,), pk="note"),))) == ["t.note"]


def test_the_readme_needs_its_markers():
    with pytest.raises(ValueError, match="export-fields"):
        docs.with_fields_table("# a README without the markers\n")


# -- fields added through the registry alone ------------------------------------------------


def test_aliases_and_the_sources_url_and_publisher_are_exported(archive, tmp_path):
    statement = archive.statements["kayhan-sochi-editorial"]
    renamed = dataclasses.replace(statement, aliases=("kayhan-editorial", "sochi-editorial"))
    # The seed's sources give neither: as an editor who found them would fill them in.
    source = dataclasses.replace(
        archive.sources[statement.source_id],
        publisher="Example Press",
        url="https://example.org/report",
    )
    edited = Archive.of(
        archive.speakers,
        archive.outlets,
        archive.themes,
        {**archive.sources, source.id: source},
        {**archive.statements, renamed.id: renamed},
    )
    exports.write_exports(edited, tmp_path, SITE)
    items = json.loads((tmp_path / "data" / "statements.json").read_text(encoding="utf-8"))
    data = {item["id"]: item for item in items}
    assert data[renamed.id]["aliases"] == ["kayhan-editorial", "sochi-editorial"]
    assert data[renamed.id]["source"]["publisher"] == "Example Press"
    assert data[renamed.id]["source"]["address"] == "https://example.org/report"
    assert data[renamed.id]["source"]["url"] == f"{SITE}/sources/{source.id}/"  # its page here
    assert all(item["aliases"] == [] for key, item in data.items() if key != renamed.id)
    text = (tmp_path / "data" / "statements.csv").read_text(encoding="utf-8-sig")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}
    assert rows[renamed.id]["aliases"] == "kayhan-editorial; sochi-editorial"
    assert rows[renamed.id]["source_publisher"] == "Example Press"
    assert rows[renamed.id]["source_address"] == "https://example.org/report"
    one = json.loads((tmp_path / "statements" / f"{renamed.id}.json").read_text("utf-8"))
    assert one["aliases"] == ["kayhan-editorial", "sochi-editorial"]
