"""schema.org JSON-LD of the seed statements and speakers, and its safe embedding."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import SEED
from jinja2 import Environment

from onrecord import jsonld
from onrecord.model import Archive
from onrecord.records import load_archive

SITE = "https://onrecord.example"
HOSTILE = "</script><script>alert(1)</script>"


@pytest.fixture(scope="module")
def archive() -> Archive:
    return load_archive(SEED)


def statement_data(archive: Archive, statement_id: str, site_url: str = SITE) -> dict:
    url = f"{site_url}/statements/{statement_id}/"
    return jsonld.statement_jsonld(archive.statements[statement_id], archive, url, site_url)


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


# -- statements ------------------------------------------------------------------------------


def test_statement_is_a_quotation_with_id_and_permalink(archive):
    data = statement_data(archive, "salami-martyrs-conference")
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Quotation"
    assert data["identifier"] == "salami-martyrs-conference"
    assert data["url"] == f"{SITE}/statements/salami-martyrs-conference/"
    assert data["inLanguage"] == "en"


def test_text_is_the_paragraphs_joined_by_blank_lines(archive):
    statement = archive.statements["salami-martyrs-conference"]
    text = statement_data(archive, statement.id)["text"]
    assert text.split("\n\n") == list(statement.paragraphs)


def test_person_creator_has_role_at_the_time_and_speaker_page(archive):
    creator = statement_data(archive, "salami-martyrs-conference")["creator"]
    assert creator == {
        "@type": "Person",
        "name": "Hossein Salami",
        "jobTitle": "Deputy IRGC commander",
        "url": f"{SITE}/speakers/hossein-salami/",
    }


def test_organisation_creator_is_an_organization_without_job_title(archive):
    creator = statement_data(archive, "fatemiyoun-communique")["creator"]
    assert creator["@type"] == "Organization"
    assert creator["name"] == "Fatemiyoun Division"
    assert "jobTitle" not in creator


def test_publication_creator_is_an_organization(archive):
    assert statement_data(archive, "kayhan-sochi-editorial")["creator"]["@type"] == "Organization"


def test_date_created_is_the_iso_date(archive):
    assert statement_data(archive, "salami-martyrs-conference")["dateCreated"] == "2017-11-22"


def test_undated_statement_has_no_date_created(archive):
    assert "dateCreated" not in statement_data(archive, "ramadan-al-arabiya-interview")


def test_based_on_the_source_without_facts_its_record_lacks(archive):
    based_on = statement_data(archive, "salami-martyrs-conference")["isBasedOn"]
    assert based_on == {
        "@type": "CreativeWork",
        "name": archive.sources["sochi-triumph-report"].title,
    }


def test_source_url_appears_when_the_record_has_one(tmp_path):
    path = "content/sources/sochi-triumph-report.yaml"
    archive = edited_archive(tmp_path, path, "url", "https://reports.example/sochi")
    based_on = statement_data(archive, "salami-martyrs-conference")["isBasedOn"]
    assert based_on["url"] == "https://reports.example/sochi"
    assert "publisher" not in based_on


def test_citation_names_the_source_and_footnote(archive):
    citation = statement_data(archive, "salami-martyrs-conference")["citation"]
    assert citation == f"{archive.sources['sochi-triumph-report'].title}, footnote 6"


def test_about_lists_each_theme_with_its_page_in_record_order(archive):
    about = statement_data(archive, "salami-martyrs-conference")["about"]
    assert about == [
        {"@type": "DefinedTerm", "name": archive.themes[theme_id].name, "url": url}
        for theme_id, url in [
            ("united-states", f"{SITE}/themes/united-states/"),
            ("israel", f"{SITE}/themes/israel/"),
            ("palestine", f"{SITE}/themes/palestine/"),
            ("resistance-axis", f"{SITE}/themes/resistance-axis/"),
        ]
    ]


def test_urls_are_root_relative_without_a_site_url(archive):
    data = statement_data(archive, "salami-martyrs-conference", site_url="")
    assert data["creator"]["url"] == "/speakers/hossein-salami/"
    assert data["about"][0]["url"] == "/themes/united-states/"


def test_a_trailing_slash_in_the_site_url_is_not_doubled(archive):
    data = statement_data(archive, "salami-martyrs-conference", site_url=SITE + "/")
    assert data["creator"]["url"] == f"{SITE}/speakers/hossein-salami/"


# -- speakers --------------------------------------------------------------------------------


def test_person_speaker_has_other_names_and_roles(archive):
    url = f"{SITE}/speakers/mohammad-ali-jafari/"
    data = jsonld.speaker_jsonld(archive.speakers["mohammad-ali-jafari"], url)
    assert data["@type"] == "Person"
    assert data["name"] == "Mohammad Ali Jafari"
    assert data["alternateName"] == ["Ali Jafari", "Jafari"]
    assert data["jobTitle"] == [
        "Islamic Revolutionary Guards Corps (IRGC) commander",
        "IRGC commander",
    ]
    assert data["url"] == url
    assert "description" not in data


def test_publication_speaker_is_an_organization_with_its_description(archive):
    data = jsonld.speaker_jsonld(archive.speakers["kayhan"], "/speakers/kayhan/")
    assert data["@type"] == "Organization"
    assert data["description"] == "the mouthpiece of the ideological camp"
    assert "alternateName" not in data
    assert "jobTitle" not in data


# -- embedding in <script> -------------------------------------------------------------------


def test_hostile_speaker_name_stays_inside_the_script_element(tmp_path):
    archive = edited_archive(tmp_path, "speakers/hossein-salami.yaml", "name", HOSTILE)
    raw = str(jsonld.script_json(statement_data(archive, "salami-martyrs-conference")))
    assert "</" not in raw
    assert "<" not in raw and ">" not in raw
    assert json.loads(raw)["creator"]["name"] == HOSTILE


def test_hostile_speaker_page_data_stays_inside_the_script_element(tmp_path):
    archive = edited_archive(tmp_path, "speakers/hossein-salami.yaml", "name", HOSTILE)
    data = jsonld.speaker_jsonld(archive.speakers["hossein-salami"], "/speakers/hossein-salami/")
    raw = str(jsonld.script_json(data))
    assert "</" not in raw
    assert json.loads(raw)["name"] == HOSTILE


def test_script_json_escapes_ampersands_and_line_separators():
    data = {"text": "a & b <!-- c \u2028 d \u2029 e"}
    raw = str(jsonld.script_json(data))
    assert "&" not in raw and "<!--" not in raw
    assert "\u2028" not in raw and "\u2029" not in raw
    assert json.loads(raw) == data


def test_script_json_keeps_other_text_readable():
    raw = str(jsonld.script_json({"name": "Vis-À-Vis – communiqué"}))
    assert "Vis-À-Vis – communiqué" in raw


def test_script_json_is_not_escaped_again_by_the_template():
    value = jsonld.script_json({"text": 'say "no" & <go>'})
    rendered = Environment(autoescape=True).from_string("{{ value }}").render(value=value)
    assert rendered == str(value)
    assert json.loads(rendered) == {"text": 'say "no" & <go>'}
