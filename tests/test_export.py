"""The open-data exports (JSON, CSV, SQLite) of the seed records, read back as their readers do.

Expected values are copied from the seed's YAML files, so a test fails when the exports
stop matching the records, not only when they stop matching the model.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import sqlite3
import sys
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from conftest import SEED, database_content

from onrecord import exports as export
from onrecord.model import Archive, Statement
from onrecord.records import load_archive

SITE = "https://archive.example.org"
SEED_IDS = {
    "fatemiyoun-communique",
    "jafari-basij-conference",
    "jafari-press-conference",
    "javan-basij-editorial",
    "kayhan-sochi-editorial",
    "khamenei-ahl-al-bayt-speech",
    "mohammadi-javan-article",
    "salami-martyrs-conference",
    "ramadan-al-arabiya-interview",  # nested inside Kayhan's editorial
}


@pytest.fixture(scope="module")
def archive() -> Archive:
    return load_archive(SEED)


@pytest.fixture(scope="module")
def exported(archive, tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("exports")
    export.write_exports(archive, output, SITE)
    return output


@pytest.fixture(scope="module")
def listed(exported) -> dict[str, dict]:
    """data/statements.json, by id (dicts keep the file's order)."""
    items = json.loads((exported / "data" / "statements.json").read_text(encoding="utf-8"))
    return {item["id"]: item for item in items}


@pytest.fixture(scope="module")
def database(exported):
    connection = sqlite3.connect(exported / "data" / "onrecord.db")
    yield connection
    connection.close()


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file))


def replaced(archive: Archive, *statements: Statement) -> Archive:
    """The archive with some statements changed (real records, edited as an editor would)."""
    changed = {**archive.statements, **{s.id: s for s in statements}}
    return Archive.of(archive.speakers, archive.outlets, archive.themes, archive.sources, changed)


@pytest.fixture(scope="module")
def with_withdrawn(archive) -> Archive:
    speech = archive.statements["khamenei-ahl-al-bayt-speech"]
    return replaced(
        archive,
        dataclasses.replace(
            speech,
            attribution="withdrawn",
            attribution_note="Withdrawn to test the exports.",
            withdrawn_on=date(2024, 1, 2),
        ),
    )


# -- JSON ----------------------------------------------------------------------------------


def test_json_lists_every_seed_statement_including_the_nested_one(listed):
    assert set(listed) == SEED_IDS


def test_json_lists_undated_first_then_by_date_then_id(listed):
    keys = [(item["date"] or "", item["id"]) for item in listed.values()]
    assert keys == sorted(keys)
    assert next(iter(listed)) == "ramadan-al-arabiya-interview"


def test_json_keeps_a_paragraph_verbatim(listed):
    assert listed["jafari-basij-conference"]["paragraphs"][1] == (
        "Today, Hizbullah in Lebanon is the product of the transfer of Basij experience to other "
        "countries. Likewise, in Syria, nearly 100,000 popular forces were formed in order to "
        "defend their country, and they are ready to do so. In Iraq, the Hashd Al-Sha'bi were "
        "formed, and for this reason America and the treacherous Saudi Arabia have not managed "
        "to actualize their goal to destabilize this country."
    )


def test_json_keeps_every_paragraph(listed):
    assert len(listed["jafari-press-conference"]["paragraphs"]) == 16


def test_json_lists_themes_in_record_order_with_names_and_pages(listed):
    themes = listed["salami-martyrs-conference"]["themes"]
    assert themes == [
        {"id": "united-states", "name": "U.S.", "url": f"{SITE}/themes/united-states/"},
        {"id": "israel", "name": "Israel", "url": f"{SITE}/themes/israel/"},
        {"id": "palestine", "name": "Palestine", "url": f"{SITE}/themes/palestine/"},
        {
            "id": "resistance-axis",
            "name": "Resistance Axis",
            "url": f"{SITE}/themes/resistance-axis/",
        },
    ]


def test_json_links_speaker_outlet_and_source_to_their_pages(listed):
    item = listed["kayhan-sochi-editorial"]
    assert item["url"] == f"{SITE}/statements/kayhan-sochi-editorial/"
    assert item["speaker"] == {"id": "kayhan", "name": "Kayhan", "url": f"{SITE}/speakers/kayhan/"}
    assert item["outlet"] == {"id": "kayhan", "name": "Kayhan", "url": f"{SITE}/outlets/kayhan/"}
    assert item["source"] == {
        "id": "sochi-triumph-report",
        "title": "At Sochi Conference, Iran's Islamic Regime Celebrates Its Triumph Over ISIS, "
        "U.S., And Zionism",
        "url": f"{SITE}/sources/sochi-triumph-report/",
        "publisher": None,  # as the seed's source gives none
        "address": None,
        "archived_address": None,
        "archived_on": None,
    }


def test_json_keeps_the_recorded_fields(listed):
    item = listed["khamenei-ahl-al-bayt-speech"]
    assert (item["role"], item["date"], item["venue"], item["footnote"], item["language"]) == (
        "Iranian Supreme Leader",
        "2017-11-23",
        "Supporters of Ahl Al-Bayt Conference in Tehran",
        3,
        "en",
    )
    assert item["attribution"] == "secondary"


def test_json_leaves_what_the_source_does_not_state_null(listed):
    nested = listed["ramadan-al-arabiya-interview"]
    assert (nested["date"], nested["headline"], nested["original"]) == (None, None, None)
    assert listed["khamenei-ahl-al-bayt-speech"]["outlet"] is None
    assert listed["khamenei-ahl-al-bayt-speech"]["notes"] is None


def test_json_records_quotes_in_the_quoting_statement(listed):
    assert listed["kayhan-sochi-editorial"]["quotes"] == [
        {"paragraph": 2, "statement": "ramadan-al-arabiya-interview", "nested": True},
        {"paragraph": 5, "statement": "khamenei-ahl-al-bayt-speech", "nested": False},
    ]


def test_json_records_where_a_nested_statement_sits(listed):
    assert listed["ramadan-al-arabiya-interview"]["quoted_in"] == "kayhan-sochi-editorial"
    assert listed["kayhan-sochi-editorial"]["quoted_in"] is None


def test_json_records_who_quotes_a_statement(listed):
    assert listed["khamenei-ahl-al-bayt-speech"]["quoted_by"] == ["kayhan-sochi-editorial"]
    assert listed["salami-martyrs-conference"]["quoted_by"] == []


def test_json_has_the_published_keys_in_order(listed):
    # The shape readers already parse: a new key may be added, none moved or renamed.
    published = [
        "id", "aliases", "url", "speaker", "speaker_as", "role", "date", "venue", "outlet",
        "source", "footnote", "section", "position", "headline", "language", "paragraphs",
        "original", "form", "truncated", "themes", "quotes", "quoted_in", "quoted_by",
        "attribution", "attribution_note", "withdrawn_on", "notes", "content_hash",
        "last_changed",
    ]  # fmt: skip
    for item in listed.values():
        assert list(item)[: len(published)] == published


def test_urls_are_root_relative_without_a_site_url(archive):
    data = export.statement_data(archive.statements["kayhan-sochi-editorial"], archive, "")
    assert data["url"] == "/statements/kayhan-sochi-editorial/"
    assert data["speaker"]["url"] == "/speakers/kayhan/"


@pytest.mark.parametrize(
    "relative", ["data/statements.json", "statements/jafari-press-conference.json"]
)
def test_json_writes_non_ascii_text_as_is(exported, relative):
    raw = (exported / relative).read_bytes()
    assert "Vis-À-Vis".encode() in raw
    assert b"\\u" not in raw


def test_statement_json_equals_its_element_in_the_list(exported, listed):
    for statement_id, item in listed.items():
        path = exported / "statements" / f"{statement_id}.json"
        assert json.loads(path.read_text(encoding="utf-8")) == item


def test_every_statement_has_its_own_json_file(exported, archive):
    written = {path.stem for path in (exported / "statements").glob("*.json")}
    assert written == set(archive.statements) == SEED_IDS


def test_statement_json_is_the_same_bytes_as_write_exports_writes(archive, exported):
    statement = archive.statements["salami-martyrs-conference"]
    text = export.statement_json(statement, archive, SITE)
    assert text.encode() == (exported / "statements" / f"{statement.id}.json").read_bytes()


@pytest.mark.parametrize(
    ("write", "relative"),
    [
        (export.write_json, "data/statements.json"),
        (export.write_csv, "data/statements.csv"),
        (export.write_sqlite, "data/onrecord.db"),
    ],
)
def test_each_writer_alone_writes_the_same_bytes_as_write_exports(
    write, relative, archive, exported, tmp_path
):
    path = write(archive, tmp_path / Path(relative).name, SITE)
    assert path.read_bytes() == (exported / relative).read_bytes()


# -- CSV -----------------------------------------------------------------------------------


def test_csv_has_a_header_and_a_row_per_published_statement(exported, listed):
    rows = csv_rows(exported / "data" / "statements.csv")
    assert rows[0] == list(export.CSV_COLUMNS)
    assert [row[0] for row in rows[1:]] == list(listed)


def test_csv_starts_with_a_byte_order_mark_for_excel(exported):
    assert (exported / "data" / "statements.csv").read_bytes().startswith(b"\xef\xbb\xbfid,")


def test_csv_joins_paragraphs_with_a_blank_line(exported, archive):
    rows = csv_rows(exported / "data" / "statements.csv")
    row = dict(zip(rows[0], rows[2], strict=True))  # fatemiyoun-communique, the first dated
    assert row["id"] == "fatemiyoun-communique"
    assert row["text"].split("\n\n") == list(archive.statements["fatemiyoun-communique"].paragraphs)
    assert row["text"].endswith(
        "every place the voice of any oppressed is heard."
        "\n\nSigned, the commanders and soldiers of the Fatemiyoun Division."
    )


def test_csv_joins_themes_with_semicolons(exported):
    rows = csv_rows(exported / "data" / "statements.csv")
    row = next(
        dict(zip(rows[0], r, strict=True)) for r in rows if r[0] == "salami-martyrs-conference"
    )
    assert row["themes"] == "U.S.; Israel; Palestine; Resistance Axis"
    assert row["theme_ids"] == "united-states; israel; palestine; resistance-axis"


def test_csv_leaves_empty_fields_empty(exported):
    rows = csv_rows(exported / "data" / "statements.csv")
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["id"] == "ramadan-al-arabiya-interview"
    assert (row["date"], row["headline"], row["original_text"]) == ("", "", "")


def test_csv_prefixes_cells_that_would_run_as_formulas(archive, tmp_path):
    communique = archive.statements["fatemiyoun-communique"]
    hostile = dataclasses.replace(
        communique,
        paragraphs=('=HYPERLINK("https://example.com/x","Click")',),
        headline="-2+3",
        venue="@SUM(A1:A9)",
    )
    path = export.write_csv(replaced(archive, hostile), tmp_path / "statements.csv", SITE)
    rows = csv_rows(path)
    row = next(dict(zip(rows[0], r, strict=True)) for r in rows if r[0] == communique.id)
    assert row["text"] == '\'=HYPERLINK("https://example.com/x","Click")'
    assert row["headline"] == "'-2+3"
    assert row["venue"] == "'@SUM(A1:A9)"


@pytest.mark.parametrize("start", ["+", "\t", "\r"])
def test_formula_guard_covers_every_formula_start(start):
    assert export.csv_safe(f"{start}1") == f"'{start}1"


def test_formula_guard_leaves_other_text_alone():
    assert export.csv_safe("a=1, -2 and @b") == "a=1, -2 and @b"
    assert export.csv_safe(8) == "8"
    assert export.csv_safe(None) == ""


def test_csv_round_trips_through_a_reader_with_newlines_in_cells(exported):
    raw = (exported / "data" / "statements.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    assert len(rows) == 1 + len(SEED_IDS)
    assert {len(row) for row in rows} == {len(export.CSV_COLUMNS)}


# -- SQLite --------------------------------------------------------------------------------


def test_sqlite_has_the_tables(database):
    names = {
        row[0] for row in database.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {
        "statements", "paragraphs", "speakers", "outlets", "themes", "sources", "footnotes",
        "statement_themes", "quotes", "statements_fts",
    } <= names  # fmt: skip


def foreign_keys(database, table: str) -> set[tuple[str, str, str]]:
    """(column, referenced table, referenced column) for each foreign key of `table`."""
    rows = database.execute(f"PRAGMA foreign_key_list({table})").fetchall()
    return {(row[3], row[2], row[4]) for row in rows}


def test_sqlite_declares_foreign_keys(database):
    assert foreign_keys(database, "statements") == {
        ("speaker_id", "speakers", "id"),
        ("outlet_id", "outlets", "id"),
        ("source_id", "sources", "id"),
        ("quoted_in", "statements", "id"),
    }
    assert foreign_keys(database, "paragraphs") == {("statement_id", "statements", "id")}
    assert foreign_keys(database, "statement_themes") == {
        ("statement_id", "statements", "id"),
        ("theme_id", "themes", "id"),
    }
    assert foreign_keys(database, "quotes") == {
        ("statement_id", "statements", "id"),
        ("quoted_statement_id", "statements", "id"),
    }
    assert foreign_keys(database, "footnotes") == {("source_id", "sources", "id")}


def test_sqlite_indexes_every_foreign_key_column(database):
    tables = ["statements", "paragraphs", "statement_themes", "quotes", "footnotes"]
    unindexed = []
    for table in tables:
        leading = set()
        for index in database.execute(f"PRAGMA index_list({table})").fetchall():
            leading.add(database.execute(f"PRAGMA index_info({index[1]})").fetchone()[2])
        unindexed += [
            (table, col) for col, _, _ in foreign_keys(database, table) if col not in leading
        ]
    assert unindexed == []


def test_sqlite_references_all_resolve(database):
    assert database.execute("PRAGMA foreign_key_check").fetchall() == []


def test_sqlite_holds_the_published_statements(database, listed):
    ids = [row[0] for row in database.execute("SELECT id FROM statements ORDER BY rowid")]
    assert ids == list(listed)


def test_sqlite_statement_text_is_its_paragraphs_joined(database, listed):
    text, headline = database.execute(
        "SELECT text, headline FROM statements WHERE id = 'javan-basij-editorial'"
    ).fetchone()
    item = listed["javan-basij-editorial"]
    assert text == "\n\n".join(item["paragraphs"])
    assert headline == item["headline"]


def test_sqlite_full_text_search_finds_basij(database):
    found = database.execute(
        "SELECT id FROM statements WHERE rowid IN "
        "(SELECT rowid FROM statements_fts WHERE statements_fts MATCH 'Basij')"
    ).fetchall()
    assert {row[0] for row in found} == {
        "jafari-basij-conference",
        "jafari-press-conference",
        "javan-basij-editorial",
    }


def test_datasette_finds_the_search_index(database):
    # The query Datasette runs (datasette.utils.detect_fts_sql) to offer a search box.
    found = database.execute(
        """select name from sqlite_master where rootpage = 0 and (
               sql like '%VIRTUAL TABLE%USING FTS%content="statements"%'
               or sql like '%VIRTUAL TABLE%USING FTS%content=[statements]%'
               or (tbl_name = "statements" and sql like '%VIRTUAL TABLE%USING FTS%'))"""
    ).fetchall()
    assert found == [("statements_fts",)]


def test_sqlite_has_a_paragraph_row_per_paragraph(database, archive):
    counts = dict(
        database.execute("SELECT statement_id, count(*) FROM paragraphs GROUP BY statement_id")
    )
    assert counts == {s.id: len(s.paragraphs) for s in archive.chronological}
    assert counts["jafari-press-conference"] == 16


def test_sqlite_records_quotes_and_themes(database):
    quotes = database.execute("SELECT * FROM quotes ORDER BY paragraph").fetchall()
    assert quotes == [
        ("kayhan-sochi-editorial", 2, "ramadan-al-arabiya-interview", 1),
        ("kayhan-sochi-editorial", 5, "khamenei-ahl-al-bayt-speech", 0),
    ]
    themes = database.execute(
        "SELECT theme_id FROM statement_themes WHERE statement_id = 'ramadan-al-arabiya-interview'"
    ).fetchall()
    assert {row[0] for row in themes} == {"syria", "sochi-conference"}


def test_sqlite_lists_every_footnote_of_the_source(database):
    numbers = database.execute(
        "SELECT number FROM footnotes WHERE source_id = 'sochi-triumph-report' ORDER BY number"
    ).fetchall()
    assert [row[0] for row in numbers] == list(range(1, 11))


def test_write_sqlite_replaces_an_existing_file_without_leftovers(archive, tmp_path):
    path = tmp_path / "onrecord.db"
    path.write_bytes(b"an older, broken export")
    export.write_sqlite(archive, path, SITE)
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM statements").fetchone() == (9,)
    assert [p.name for p in tmp_path.iterdir()] == ["onrecord.db"]


# -- withdrawn statements ------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported_with_withdrawn(with_withdrawn, tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("withdrawn")
    export.write_exports(with_withdrawn, output, SITE)
    return output


def test_withdrawn_statement_is_left_out_of_the_lists(exported_with_withdrawn):
    items = json.loads((exported_with_withdrawn / "data/statements.json").read_text("utf-8"))
    rows = csv_rows(exported_with_withdrawn / "data" / "statements.csv")
    with sqlite3.connect(exported_with_withdrawn / "data" / "onrecord.db") as connection:
        in_database = {row[0] for row in connection.execute("SELECT id FROM statements")}
    expected = SEED_IDS - {"khamenei-ahl-al-bayt-speech"}
    assert {item["id"] for item in items} == {row[0] for row in rows[1:]} == in_database == expected


def test_withdrawn_statement_keeps_its_own_json_file(exported_with_withdrawn):
    path = exported_with_withdrawn / "statements" / "khamenei-ahl-al-bayt-speech.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert (data["attribution"], data["withdrawn_on"]) == ("withdrawn", "2024-01-02")


def test_references_to_a_withdrawn_statement_are_dropped(exported_with_withdrawn):
    path = exported_with_withdrawn / "statements" / "kayhan-sochi-editorial.json"
    quoted = [q["statement"] for q in json.loads(path.read_text(encoding="utf-8"))["quotes"]]
    assert quoted == ["ramadan-al-arabiya-interview"]


# -- the whole set -------------------------------------------------------------------------


def test_write_exports_returns_every_file_it_wrote_and_nothing_else(archive, tmp_path):
    written = export.write_exports(archive, tmp_path, SITE)
    on_disk = {path for path in tmp_path.rglob("*") if path.is_file()}
    assert set(written) == on_disk
    assert len(written) == 3 + len(SEED_IDS)


def test_exports_are_byte_identical_across_runs(archive, tmp_path):
    first = export.write_exports(archive, tmp_path / "a", SITE)
    second = export.write_exports(archive, tmp_path / "b", SITE)
    assert [p.relative_to(tmp_path / "a") for p in first] == [
        p.relative_to(tmp_path / "b") for p in second
    ]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


# -- updating the lists after an edit ------------------------------------------------------

EDITED = "jafari-press-conference"
LISTS = [
    pytest.param(export.write_json, export.update_json, id="json"),
    pytest.param(export.write_csv, export.update_csv, id="csv"),
    pytest.param(export.write_sqlite, export.update_sqlite, id="sqlite"),
]


@pytest.fixture(scope="module")
def edited(archive) -> Archive:
    statement = archive.statements[EDITED]
    paragraphs = ("Edited words about zeppelins.", *statement.paragraphs[1:])
    return replaced(
        archive, dataclasses.replace(statement, headline="Edited", paragraphs=paragraphs)
    )


def readable(path: Path) -> bytes:
    """What a reader of the list finds in it (a database: its rows, not its pages)."""
    return database_content(path) if path.suffix == ".db" else path.read_bytes()


@pytest.mark.parametrize(("write", "update"), LISTS)
def test_a_list_updated_after_an_edit_equals_the_list_written_anew(
    archive, edited, tmp_path, write, update
):
    name = {export.write_sqlite: "onrecord.db"}.get(write, f"list-{write.__name__}")
    write(archive, tmp_path / name, SITE)
    assert update(edited, tmp_path / name, tmp_path / "updated" / name, SITE, {EDITED})
    write(edited, tmp_path / "anew" / name, SITE)
    assert readable(tmp_path / "updated" / name) == readable(tmp_path / "anew" / name)


@pytest.mark.parametrize(("write", "update"), LISTS)
def test_an_update_takes_unchanged_statements_from_the_previous_list(
    archive, edited, tmp_path, write, update
):
    """Statements not named as changed are copied, not remade: the edit is not picked up."""
    name = {export.write_sqlite: "onrecord.db"}.get(write, f"list-{write.__name__}")
    write(replaced(archive), tmp_path / name, SITE)  # without claims, as `edited` is
    assert update(edited, tmp_path / name, tmp_path / "updated" / name, SITE, set())
    assert readable(tmp_path / "updated" / name) == readable(tmp_path / name)


SPANNED = [
    pytest.param(export.write_json, export.update_json, "json_spans", id="json"),
    pytest.param(export.write_csv, export.update_csv, "csv_spans", id="csv"),
]


@pytest.mark.parametrize(("write", "update", "scan"), SPANNED)
def test_an_update_reads_the_kept_spans_not_the_previous_list_and_keeps_the_new_ones(
    archive, edited, tmp_path, monkeypatch, write, update, scan
):
    from onrecord.exports import csvfile, files, jsonfile

    module = jsonfile if scan == "json_spans" else csvfile
    spans, old, new = tmp_path / "spans", tmp_path / "old" / "list", tmp_path / "new" / "list"
    write(archive, old, SITE)
    files.remember_spans(old, getattr(export, scan)(old), spans)
    scanned: list[Path] = []
    real = getattr(module, scan)
    monkeypatch.setattr(module, scan, lambda path: scanned.append(path) or real(path))
    assert update(edited, old, new, SITE, {EDITED}, spans)
    assert scanned == []  # the kept spans stood for the previous list
    write(edited, tmp_path / "anew", SITE)
    assert new.read_bytes() == (tmp_path / "anew").read_bytes()
    # The new list's spans, worked out as it was spliced, are what a scan of it finds.
    assert files.recall_spans(new, spans) == real(new)
    # A list changed since its spans were kept (here: its time) is read again.
    os.utime(new, ns=(0, 10**9))
    assert files.recall_spans(new, spans) is None
    assert update(archive, new, tmp_path / "again" / "list", SITE, {EDITED}, spans)
    assert scanned == [new]
    write(archive, tmp_path / "back", SITE)
    assert (tmp_path / "again" / "list").read_bytes() == (tmp_path / "back").read_bytes()


@pytest.mark.parametrize(("write", "update"), LISTS[:2])
def test_a_list_updated_after_a_statement_moves_equals_the_list_written_anew(
    archive, tmp_path, write, update
):
    """Kept entries are copied from the previous file in runs: a statement dated earlier
    splits a run and leaves a gap in another; its new words hold quotes and a line break
    (a CSV cell spanning lines)."""
    first, statement = archive.chronological[0], archive.statements[EDITED]
    moved = dataclasses.replace(
        statement,
        date=first.date,
        headline='A "quoted"\nheadline, split',
        paragraphs=('Line one,\r\nline "two"', *statement.paragraphs[1:]),
    )
    edited = replaced(archive, moved)
    assert [s.id for s in edited.chronological] != [s.id for s in archive.chronological]
    name = f"list-{write.__name__}"
    write(archive, tmp_path / name, SITE)
    assert update(edited, tmp_path / name, tmp_path / "updated" / name, SITE, {EDITED})
    write(edited, tmp_path / "anew" / name, SITE)
    assert readable(tmp_path / "updated" / name) == readable(tmp_path / "anew" / name)
    # And back again, from a previous file whose rows span lines.
    assert update(archive, tmp_path / "updated" / name, tmp_path / "back" / name, SITE, {EDITED})
    assert readable(tmp_path / "back" / name) == readable(tmp_path / name)


def test_the_updated_database_finds_the_new_words_and_not_the_old(archive, edited, tmp_path):
    export.write_sqlite(archive, tmp_path / "old.db", SITE)
    export.update_sqlite(edited, tmp_path / "old.db", tmp_path / "new.db", SITE, {EDITED})
    old_words = archive.statements[EDITED].paragraphs[0].split()[3]
    with closing(sqlite3.connect(tmp_path / "new.db")) as connection:
        found = (
            "SELECT id FROM statements WHERE rowid IN "
            "(SELECT rowid FROM statements_fts WHERE statements_fts = ?)"
        )
        assert connection.execute(found, ("zeppelins",)).fetchall() == [(EDITED,)]
        assert (EDITED,) not in connection.execute(found, (f'"{old_words}"',)).fetchall()


@pytest.mark.parametrize("change", ["dated a day later", "withdrawn"])
def test_the_database_updated_after_statements_move_equals_the_database_written_anew(
    archive, with_withdrawn, tmp_path, change
):
    """Rowids are list positions: the rows a statement moves past are remade at their new
    places, and a row past the list's new end goes."""
    if change == "withdrawn":
        edited, changed = with_withdrawn, {"khamenei-ahl-al-bayt-speech"}
    else:
        salami = archive.statements["salami-martyrs-conference"]
        later = archive.statements["jafari-press-conference"].date
        edited, changed = replaced(archive, dataclasses.replace(salami, date=later)), {salami.id}
    order = [s.id for s in edited.chronological]
    assert order != [s.id for s in archive.chronological][: len(order)]
    export.write_sqlite(archive, tmp_path / "old.db", SITE)
    assert export.update_sqlite(edited, tmp_path / "old.db", tmp_path / "new.db", SITE, changed)
    export.write_sqlite(edited, tmp_path / "anew.db", SITE)
    assert readable(tmp_path / "new.db") == readable(tmp_path / "anew.db")


def test_the_database_is_written_anew_when_most_rows_would_move(archive, tmp_path):
    undated = dataclasses.replace(archive.statements[EDITED], date=None)  # first in the list
    edited = replaced(archive, undated)
    export.write_sqlite(archive, tmp_path / "old.db", SITE)
    assert not export.update_sqlite(edited, tmp_path / "old.db", tmp_path / "new.db", SITE, set())
    assert not (tmp_path / "new.db").exists()


def test_a_list_that_is_not_one_of_ours_is_written_anew(edited, tmp_path):
    (tmp_path / "old.json").write_text('{"not": "a list"}\n', encoding="utf-8")
    (tmp_path / "old.csv").write_text("a,b\r\n", encoding="utf-8")
    (tmp_path / "old.db").write_bytes(b"not a database")
    for update, name in [
        (export.update_json, "old.json"),
        (export.update_csv, "old.csv"),
        (export.update_sqlite, "old.db"),
    ]:
        assert not update(edited, tmp_path / name, tmp_path / f"new-{name}", SITE, {EDITED})


def test_the_database_written_a_few_statements_at_a_time_holds_the_same_rows(
    archive, tmp_path, monkeypatch
):
    from onrecord.exports import sqlite

    whole = export.write_sqlite(archive, tmp_path / "whole.db", "https://example.org")
    monkeypatch.setattr(sqlite, "FILL_CHUNK", 2)
    chunked = export.write_sqlite(archive, tmp_path / "chunked.db", "https://example.org")
    assert len(archive.chronological) > 2 * sqlite.FILL_CHUNK
    assert database_content(chunked) == database_content(whole)
    with closing(sqlite3.connect(chunked)) as db:
        assert db.execute("SELECT count(*) FROM quotes").fetchone()[0] > 0


def test_writing_the_database_leaves_no_copy_of_the_text_in_the_records(archive, tmp_path):
    """Binding a str caches its UTF-8 inside it for good (CPython): 183 MiB at 100,000."""
    first = archive.chronological[0]
    words = "".join(["Ḥasan said: ", "words " * 200])  # made here: no other code has seen it
    edited = dataclasses.replace(first, paragraphs=(words, "and " + words))
    changed = replaced(archive, edited)
    sizes = [sys.getsizeof(p) for p in edited.paragraphs]
    path = export.write_sqlite(changed, tmp_path / "onrecord.db", SITE)
    assert [sys.getsizeof(p) for p in edited.paragraphs] == sizes
    with closing(sqlite3.connect(path)) as db:
        stored = db.execute(
            "SELECT text FROM paragraphs WHERE statement_id = ? ORDER BY rowid", (first.id,)
        ).fetchall()
    assert [text for (text,) in stored] == list(edited.paragraphs)
