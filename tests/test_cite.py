"""Citations of the seed statements: one CSL-JSON item, and every format built from it."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import SEED

from onrecord import cite
from onrecord.model import Archive
from onrecord.records import load_archive

SITE = "https://onrecord.example"
HOSTILE = "</script><script>alert(1)</script>"


def permalink(statement_id: str) -> str:
    return f"{SITE}/statements/{statement_id}/"


@pytest.fixture(scope="module")
def archive() -> Archive:
    return load_archive(SEED)


def item_of(archive: Archive, statement_id: str) -> dict:
    return item_of_statement(archive, archive.statements[statement_id])


def item_of_statement(archive: Archive, statement) -> dict:
    return cite.csl_item(statement, archive, permalink(statement.id))


def edited_archive(tmp_path: Path, path: str, field: str, value: str) -> Archive:
    """The seed records copied to `tmp_path`, with one top-level field of one file changed."""
    for folder in ("content", "speakers"):
        shutil.copytree(SEED / folder, tmp_path / folder)
    record = tmp_path / path
    text = record.read_text(encoding="utf-8")
    # A JSON string is a valid YAML double-quoted scalar, whatever it holds.
    changed, count = re.subn(
        rf"^{field}: .*$", f"{field}: {json.dumps(value)}", text, count=1, flags=re.M
    )
    assert count == 1
    record.write_text(changed, encoding="utf-8")
    return load_archive(tmp_path)


def balanced(text: str) -> bool:
    depth = 0
    for char in re.sub(r"\\[{}]", "", text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def tags_in(markup: str) -> list[str]:
    return [element.name for element in BeautifulSoup(markup, "html.parser").find_all(True)]


# -- the CSL-JSON item -----------------------------------------------------------------------


def test_person_name_splits_into_family_and_given(archive):
    item = item_of(archive, "jafari-press-conference")
    assert item["author"] == [{"family": "Jafari", "given": "Mohammad Ali"}]


def test_publication_speaker_is_a_literal_author(archive):
    item = item_of(archive, "kayhan-sochi-editorial")
    assert item["author"] == [{"literal": "Kayhan"}]


def test_organisation_speaker_is_a_literal_author(archive):
    item = item_of(archive, "fatemiyoun-communique")
    assert item["author"] == [{"literal": "Fatemiyoun Division"}]


def test_editorial_in_an_outlet_is_a_newspaper_article_in_that_outlet(archive):
    item = item_of(archive, "kayhan-sochi-editorial")
    assert item["type"] == "article-newspaper"
    assert item["container-title"] == "Kayhan"
    assert "event-title" not in item


def test_conference_speech_is_a_speech_with_its_venue_as_event(archive):
    item = item_of(archive, "khamenei-ahl-al-bayt-speech")
    assert item["type"] == "speech"
    assert item["event-title"] == "Supporters of Ahl Al-Bayt Conference in Tehran"
    assert "container-title" not in item


def test_title_is_the_sources_headline(archive):
    statement = archive.statements["khamenei-ahl-al-bayt-speech"]
    assert item_of(archive, statement.id)["title"] == statement.headline


def test_statement_without_headline_is_titled_from_its_venue_and_opening_words(archive):
    assert item_of(archive, "ramadan-al-arabiya-interview")["title"] == (
        "Statement in an interview: “The delegation comprises 11 opponents [of Assad] who are "
        "holding …”"
    )


def test_two_headline_less_statements_at_one_venue_get_distinct_titles(archive):
    statement = archive.statements["ramadan-al-arabiya-interview"]
    other = dataclasses.replace(statement, id="other", paragraphs=("Other words entirely.",))
    titles = {item_of_statement(archive, s)["title"] for s in (statement, other)}
    assert len(titles) == 2
    assert "Statement in an interview: “Other words entirely.”" in titles


def test_issued_is_the_statement_date(archive):
    item = item_of(archive, "khamenei-ahl-al-bayt-speech")
    assert item["issued"] == {"date-parts": [[2017, 11, 23]]}


def test_undated_statement_has_no_issued_date(archive):
    assert "issued" not in item_of(archive, "ramadan-al-arabiya-interview")


def test_url_is_the_permalink_and_no_access_date(archive):
    item = item_of(archive, "khamenei-ahl-al-bayt-speech")
    assert item["URL"] == permalink("khamenei-ahl-al-bayt-speech")
    assert "accessed" not in item


def test_note_names_the_quoting_source_and_its_footnote(archive):
    item = item_of(archive, "khamenei-ahl-al-bayt-speech")
    title = archive.sources["sochi-triumph-report"].title
    assert item["note"] == f"Quoted in {title}, footnote 3"


def test_nested_statement_note_names_the_statement_it_is_known_through(archive):
    note = item_of(archive, "ramadan-al-arabiya-interview")["note"]
    assert note.startswith("Quoted by Kayhan; quoted in At Sochi Conference")
    assert note.endswith("footnote 8")


def test_no_field_the_records_lack(archive):
    # The seed source has no publisher, URL or date; no statement has a place.
    for statement_id in archive.statements:
        item = item_of(archive, statement_id)
        for field in ("publisher", "publisher-place", "accessed", "DOI", "event-place"):
            assert field not in item
        assert "http" not in item["note"]


def test_source_publisher_and_url_appear_only_when_the_record_has_them(tmp_path):
    path = "content/sources/sochi-triumph-report.yaml"
    archive = edited_archive(tmp_path, path, "publisher", "Example Institute")
    note = item_of(archive, "khamenei-ahl-al-bayt-speech")["note"]
    assert "(Example Institute), footnote 3" in note
    assert "http" not in note


# -- APA, Chicago, MLA -----------------------------------------------------------------------


@pytest.mark.parametrize("style", ["apa", "chicago", "mla"])
def test_citation_has_speaker_year_and_permalink(archive, style):
    text = cite.citation_html(item_of(archive, "khamenei-ahl-al-bayt-speech"), style)
    assert "Khamenei" in text
    assert "2017" in text
    assert permalink("khamenei-ahl-al-bayt-speech") in text


@pytest.mark.parametrize("style", ["chicago", "mla"])
def test_chicago_and_mla_keep_the_full_given_name(archive, style):
    text = cite.citation_text(item_of(archive, "jafari-press-conference"), style)
    assert text.startswith("Jafari, Mohammad Ali.")


def test_apa_gives_initials(archive):
    text = cite.citation_text(item_of(archive, "jafari-press-conference"), "apa")
    assert text.startswith("Jafari, M. A. (2017, November 23).")


def test_mla_dates_a_speech(archive):
    text = cite.citation_text(item_of(archive, "khamenei-ahl-al-bayt-speech"), "mla")
    assert "Supporters of Ahl Al-Bayt Conference in Tehran, 23 Nov. 2017," in text


def test_chicago_prints_no_label_for_an_absent_edition(archive):
    text = cite.citation_text(item_of(archive, "kayhan-sochi-editorial"), "chicago")
    assert "Edition" not in text
    assert "Kayhan, November 26." in text


def test_publication_is_cited_under_its_name_and_in_italics_as_the_newspaper(archive):
    html = cite.citation_html(item_of(archive, "kayhan-sochi-editorial"), "apa")
    assert html.startswith("Kayhan. (2017, November 26).")
    assert "<i>Kayhan</i>" in html


@pytest.mark.parametrize("style", ["apa", "chicago", "mla"])
def test_hostile_speaker_name_is_escaped_in_html(tmp_path, style):
    archive = edited_archive(tmp_path, "speakers/ali-khamenei.yaml", "name", HOSTILE)
    html = cite.citation_html(item_of(archive, "khamenei-ahl-al-bayt-speech"), style)
    assert "script" not in tags_in(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_hostile_headline_is_escaped_and_markup_free_in_text(tmp_path):
    path = "content/statements/2017/khamenei-ahl-al-bayt-speech.yaml"
    archive = edited_archive(tmp_path, path, "headline", "A <b>bold</b> & odd title")
    item = item_of(archive, "khamenei-ahl-al-bayt-speech")
    # APA keeps a title's case as given (MLA and Chicago would title-case it).
    assert "A &lt;b&gt;bold&lt;/b&gt; &amp; odd title" in cite.citation_html(item, "apa")
    assert "A <b>bold</b> & odd title" in cite.citation_text(item, "apa")


def test_citation_text_has_no_markup(archive):
    item = item_of(archive, "kayhan-sochi-editorial")
    assert "<i>" in cite.citation_html(item, "mla")
    text = cite.citation_text(item, "mla")
    assert "<" not in text
    assert "Kayhan, 26 Nov. 2017" in text


def test_unknown_style_is_refused(archive):
    with pytest.raises(ValueError, match="unknown citation style"):
        cite.citation_html(item_of(archive, "khamenei-ahl-al-bayt-speech"), "harvard")


def test_each_style_is_loaded_once_per_process(archive):
    for statement_id in archive.statements:
        cite.citation_html(item_of(archive, statement_id), "apa")
    assert cite._style("apa") is cite._style("apa")
    assert cite._style.cache_info().currsize <= len(cite.STYLES)


# -- BibTeX, RIS, CSL-JSON -------------------------------------------------------------------


def test_bibtex_speech_is_misc_with_balanced_braces_and_the_permalink(archive):
    entry = cite.bibtex(item_of(archive, "khamenei-ahl-al-bayt-speech"))
    assert entry.startswith("@misc{khamenei-ahl-al-bayt-speech,\n")
    assert balanced(entry)
    assert f"url = {{{permalink('khamenei-ahl-al-bayt-speech')}}}" in entry
    assert "author = {Khamenei, Ali}" in entry
    assert "year = {2017}" in entry


def test_bibtex_editorial_is_an_article_in_its_newspaper(archive):
    entry = cite.bibtex(item_of(archive, "kayhan-sochi-editorial"))
    assert entry.startswith("@article{kayhan-sochi-editorial,")
    assert "author = {{Kayhan}}" in entry
    assert "journal = {Kayhan}" in entry


def test_bibtex_escapes_special_characters(tmp_path):
    path = "content/statements/2017/khamenei-ahl-al-bayt-speech.yaml"
    archive = edited_archive(tmp_path, path, "headline", "100% {sure} & #1_x $")
    entry = cite.bibtex(item_of(archive, "khamenei-ahl-al-bayt-speech"))
    assert r"title = {{100\% \{sure\} \& \#1\_x \$}}" in entry
    assert balanced(entry)


def test_bibtex_leaves_out_an_absent_date(archive):
    entry = cite.bibtex(item_of(archive, "ramadan-al-arabiya-interview"))
    assert "year" not in entry and "date" not in entry


def test_ris_starts_with_type_and_ends_with_end_of_record(archive):
    record = cite.ris(item_of(archive, "khamenei-ahl-al-bayt-speech"))
    lines = record.split("\r\n")
    assert lines[0] == "TY  - SPEECH"
    assert lines[-2:] == ["ER  - ", ""]
    assert f"UR  - {permalink('khamenei-ahl-al-bayt-speech')}" in lines
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line) for line in lines[:-1])


def test_ris_editorial_is_news(archive):
    record = cite.ris(item_of(archive, "kayhan-sochi-editorial"))
    assert record.startswith("TY  - NEWS\r\nAU  - Kayhan\r\n")
    assert "T2  - Kayhan\r\n" in record


def test_csl_json_round_trips(archive):
    for statement_id in archive.statements:
        item = item_of(archive, statement_id)
        assert json.loads(cite.csl_json(item)) == [item]


def test_csl_json_keeps_non_ascii_text_readable(archive):
    assert '"event-title": "communiqué"' in cite.csl_json(item_of(archive, "fatemiyoun-communique"))


# -- the report that quotes it ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "words"), [("apa", "As cited in"), ("chicago", "Quoted in"), ("mla", "Quoted in")]
)
def test_every_style_names_the_report_that_quotes_the_statement(archive, style, words):
    statement = next(
        s for s in archive.chronological if s.attribution == "secondary" and not s.quoted_in
    )
    source = archive.sources[statement.source_id]
    html_entry, text = cite.citations(item_of(archive, statement.id))[style]
    assert f"{words} {source.title}" in text
    assert f"{words} {html.escape(source.title)}" in html_entry


def test_a_source_url_is_in_the_citation(archive):
    statement = next(s for s in archive.chronological if not s.quoted_in)
    source = archive.sources[statement.source_id]
    with_url = dataclasses.replace(source, url="https://reports.example/daily/9")
    sources = {**archive.sources, source.id: with_url}
    changed = dataclasses.replace(archive, sources=sources)
    item = cite.csl_item(statement, changed, permalink(statement.id))
    for style, (_, text) in cite.citations(item).items():
        assert "https://reports.example/daily/9" in text, style


def test_a_primary_statement_names_no_report(archive):
    statement = next(s for s in archive.chronological if not s.quoted_in)
    item = item_of(archive, statement.id)
    for _, text in cite.citations(item, secondary=False).values():
        assert "cited in" not in text.lower() and "quoted in" not in text.lower()


def test_an_undated_apa_entry_gives_the_bare_url_not_retrieved(archive):
    undated = next(s for s in archive.chronological if not s.date)
    item = item_of(archive, undated.id)
    _, text = cite.citations(item)["apa"]
    assert "Retrieved" not in text
    assert item["URL"] in text
