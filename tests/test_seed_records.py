"""The committed seed records: they load, their references resolve, their words are the report's."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import SEED

from onrecord.model import Archive
from onrecord.records import load_archive

# The seed report's text (a copy of ../shared/seed/*.txt).
SEED_REPORT = SEED.parent / "seed-report.txt"


@pytest.fixture(scope="module")
def archive() -> Archive:
    return load_archive(SEED)


@pytest.fixture(scope="module")
def report() -> str:
    return SEED_REPORT.read_text(encoding="utf-8")


def test_seed_loads(archive):
    assert archive.statements
    assert archive.sources


def test_every_statement_speaker_exists(archive):
    assert [s.id for s in archive.statements.values() if s.speaker_id not in archive.speakers] == []


def test_every_statement_outlet_exists(archive):
    missing = [
        s.id
        for s in archive.statements.values()
        if s.outlet_id is not None and s.outlet_id not in archive.outlets
    ]
    assert missing == []


def test_every_statement_theme_exists(archive):
    missing = [
        (s.id, t)
        for s in archive.statements.values()
        for t in s.theme_ids
        if t not in archive.themes
    ]
    assert missing == []


def test_every_statement_source_exists(archive):
    assert [s.id for s in archive.statements.values() if s.source_id not in archive.sources] == []


def test_every_quoted_statement_exists(archive):
    missing = [
        (s.id, q.statement_id)
        for s in archive.statements.values()
        for q in s.quotes
        if q.statement_id not in archive.statements
    ]
    assert missing == []


def test_nested_ramadan_record_is_a_statement_quoted_in_the_kayhan_editorial(archive):
    ramadan = archive.statements["ramadan-al-arabiya-interview"]
    assert ramadan.quoted_in == "kayhan-sochi-editorial"
    assert ramadan.speaker_id == "ahmad-ramadan"


def test_khamenei_speech_is_quoted_by_the_kayhan_editorial(archive):
    quoting = [s.id for s in archive.quoted_by["khamenei-ahl-al-bayt-speech"]]
    assert "kayhan-sochi-editorial" in quoting


def test_every_paragraph_occurs_verbatim_in_the_seed_report(archive, report):
    missing = [
        (s.id, number)
        for s in archive.statements.values()
        for number, paragraph in enumerate(s.paragraphs, start=1)
        if paragraph not in report
    ]
    assert missing == []


def test_every_statement_is_known_through_the_report(archive):
    assert {s.attribution for s in archive.statements.values()} == {"secondary"}


def test_footnotes_3_to_10_each_have_exactly_one_top_level_statement(archive):
    top_level = Counter(s.footnote for s in archive.statements.values() if s.quoted_in is None)
    assert {number: top_level[number] for number in range(3, 11)} == dict.fromkeys(range(3, 11), 1)


def test_every_statement_footnote_is_listed_in_its_source(archive):
    unlisted = [
        s.id
        for s in archive.statements.values()
        if s.footnote is not None
        and s.footnote not in {f.number for f in archive.sources[s.source_id].footnotes}
    ]
    assert unlisted == []
