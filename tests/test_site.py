"""The built seed site: URLs, pages, cross-links, structured data, feeds.

Every test reads the real output of `onrecord build` (the `output` fixture) as parsed
HTML or XML, never substrings of templates.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import REPO, SEED

from onrecord.records import load_archive

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def archive():
    return load_archive(SEED)


def page(output: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((output / path / "index.html").read_text(encoding="utf-8"), "html.parser")


def hrefs(soup: BeautifulSoup) -> set[str]:
    return {a["href"] for a in soup.find_all("a", href=True)}


def links_to(soup: BeautifulSoup, from_path: str, target: str) -> bool:
    """Whether `soup` (the page at `from_path`) links to the page at site path `target`."""
    base = f"http://site/{from_path}"
    wanted = {f"http://site/{target}", f"http://site/{target}index.html"}
    return any(urljoin(base, href).split("#")[0] in wanted for href in hrefs(soup))


def test_every_published_url_exists(output, archive):
    expected = [
        "index.html",
        "statements/index.html",
        "speakers/index.html",
        "outlets/index.html",
        "themes/index.html",
        "timeline/index.html",
        "feeds/all.atom.xml",
        "data/statements.json",
        "data/statements.csv",
        "data/onrecord.db",
        "sitemap.xml",
        "robots.txt",
        "404.html",
    ]
    expected += [f"statements/{i}/index.html" for i in archive.statements]
    expected += [f"statements/{i}.json" for i in archive.statements]
    expected += [f"speakers/{i}/index.html" for i in archive.speakers]
    expected += [f"feeds/speakers/{i}.atom.xml" for i in archive.speakers]
    expected += [f"feeds/themes/{i}.atom.xml" for i in archive.themes]
    expected += [f"outlets/{i}/index.html" for i in archive.outlets]
    expected += [f"themes/{i}/index.html" for i in archive.themes]
    expected += [f"sources/{i}/index.html" for i in archive.sources]
    missing = [path for path in expected if not (output / path).is_file()]
    assert missing == []


def test_every_internal_link_and_anchor_resolves(output):
    broken = []
    ids_cache: dict[Path, set[str]] = {}

    def ids_of(file: Path) -> set[str]:
        if file not in ids_cache:
            soup = BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")
            ids_cache[file] = {tag["id"] for tag in soup.find_all(id=True)}
        return ids_cache[file]

    for file in output.rglob("*.html"):
        if file.name == "404.html":
            continue  # served at any depth: its links are absolute to the site's address
        soup = BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.find_all(["a", "link", "script", "form"]):
            ref = tag.get("href") or tag.get("src") or tag.get("action")
            if not ref or ref.startswith(("http://", "https://", "mailto:")) or tag.name == "form":
                continue
            parts = urlsplit(ref)
            target = (file.parent / unquote(parts.path)).resolve() if parts.path else file
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{file.relative_to(output)} -> {ref}")
            elif (
                parts.fragment and target.suffix == ".html" and parts.fragment not in ids_of(target)
            ):
                broken.append(f"{file.relative_to(output)} -> {ref} (no such anchor)")
    assert broken == []


def test_each_statement_appears_on_its_speaker_outlet_theme_and_source_pages(output, archive):
    for statement in archive.chronological:
        target = f"statements/{statement.id}/"
        pages = [f"speakers/{statement.speaker_id}/", f"sources/{statement.source_id}/"]
        pages += [f"themes/{t}/" for t in statement.theme_ids]
        if statement.outlet_id:
            pages.append(f"outlets/{statement.outlet_id}/")
        for path in pages:
            assert links_to(page(output, path), path, target), f"{path} misses {statement.id}"


def test_statement_page_shows_attribution_and_paragraph_anchors(output, archive):
    statement = archive.statements["jafari-press-conference"]
    soup = page(output, "statements/jafari-press-conference")
    assert soup.find("time")["datetime"] == "2017-11-23"
    for number in range(1, len(statement.paragraphs) + 1):
        paragraph = soup.find(id=f"p{number}")
        assert paragraph is not None
        assert paragraph.find("a", class_="pilcrow")["href"] == f"#p{number}"
    assert "Known through a report that quotes it" in soup.find(class_="attribution-status").text
    assert soup.find("a", string="Mohammad Ali Jafari") is not None


def test_statement_text_is_verbatim_on_its_page(output, archive):
    statement = archive.statements["kayhan-sochi-editorial"]
    soup = page(output, "statements/kayhan-sochi-editorial")
    rendered = soup.find(id="p4").find("p").get_text()
    assert statement.paragraphs[3] in rendered


def test_missing_fields_say_not_stated_in_the_source(output):
    soup = page(output, "statements/ramadan-al-arabiya-interview")
    missing = [tag.get_text() for tag in soup.find_all(class_="missing")]
    assert any("date not stated in the source" in text for text in missing)


def test_nested_quote_is_linked_both_ways(output):
    parent = page(output, "statements/kayhan-sochi-editorial")
    nested_link = parent.find(id="p2").find("a", href=re.compile("ramadan-al-arabiya-interview"))
    assert nested_link is not None
    child = page(output, "statements/ramadan-al-arabiya-interview")
    back = child.find(class_="quoted-by").find("a", href=re.compile("kayhan-sochi-editorial.*#p2"))
    assert back is not None


def test_referenced_statement_lists_who_quotes_it(output):
    soup = page(output, "statements/khamenei-ahl-al-bayt-speech")
    quoted_by = soup.find(class_="quoted-by")
    assert quoted_by.find("a", href=re.compile("kayhan-sochi-editorial")) is not None


def test_previous_and_next_by_the_same_speaker(output):
    first = page(output, "statements/jafari-press-conference")
    second = page(output, "statements/jafari-basij-conference")
    assert "jafari-basij-conference" in first.find("a", rel="next")["href"]
    assert "jafari-press-conference" in second.find("a", rel="prev")["href"]
    assert first.find("a", rel="prev") is None


def test_statement_jsonld_is_a_quotation_with_its_facts(output):
    soup = page(output, "statements/salami-martyrs-conference")
    data = json.loads(soup.find("script", type="application/ld+json").string)
    assert data["@type"] == "Quotation"
    assert data["creator"]["name"] == "Hossein Salami"
    assert data["creator"]["jobTitle"] == "Deputy IRGC commander"
    assert data["dateCreated"] == "2017-11-22"
    assert data["identifier"] == "salami-martyrs-conference"
    assert data["url"].endswith("/statements/salami-martyrs-conference/")
    assert "6" in data["citation"]
    assert data["isBasedOn"]["name"].startswith("At Sochi Conference")


def test_statement_page_has_canonical_and_opengraph(output):
    soup = page(output, "statements/salami-martyrs-conference")
    canonical = soup.find("link", rel="canonical")["href"]
    assert canonical.endswith("/statements/salami-martyrs-conference/")
    assert soup.find("meta", property="og:url")["content"] == canonical


def test_citations_in_three_styles_and_downloads(output):
    soup = page(output, "statements/khamenei-ahl-al-bayt-speech")
    for style in ("apa", "chicago", "mla"):
        text = soup.find(id=f"cite-{style}").get_text(" ")
        assert "Khamenei" in text and "2017" in text
    folder = output / "statements" / "khamenei-ahl-al-bayt-speech"
    assert (folder / "cite.bib").read_text(encoding="utf-8").lstrip().startswith("@")
    assert (folder / "cite.ris").read_text(encoding="utf-8").startswith("TY  -")
    assert json.loads((folder / "cite.json").read_text(encoding="utf-8"))


def test_speaker_page_lists_other_spellings_roles_and_counts(output):
    soup = page(output, "speakers/mohammad-ali-jafari")
    text = soup.get_text(" ")
    assert "Ali Jafari" in text and "IRGC commander" in text
    data = json.loads(soup.find("script", type="application/ld+json").string)
    assert data["@type"] == "Person"
    assert len(soup.select(".statement-list > li")) == 2


def test_source_page_lists_footnotes_with_their_statements(output):
    soup = page(output, "sources/sochi-triumph-report")
    footnote = soup.find(id="fn4")
    assert footnote.find("a", href=re.compile("jafari-press-conference")) is not None
    assert soup.find(id="fn1") is not None  # the report's own analysis: listed, no statement


def test_statement_footnote_links_to_its_entry_on_the_source_page(output):
    soup = page(output, "statements/javan-basij-editorial")
    assert soup.find("a", href=re.compile(r"sources/sochi-triumph-report/(index\.html)?#fn9$"))


def test_statements_list_is_newest_first(output, archive):
    soup = page(output, "statements")
    dates = [t["datetime"] for t in soup.select(".statement-list time")]
    assert dates == sorted(dates, reverse=True)
    assert len(soup.select(".statement-list > li")) == len(archive.chronological)


def test_timeline_groups_by_year_and_month(output):
    soup = page(output, "timeline")
    assert soup.find(id="y2017") is not None
    assert soup.find(id="y2017-11") is not None


def test_all_statements_feed_is_atom_with_an_entry_per_statement_dated_or_not(output, archive):
    root = ET.parse(output / "feeds" / "all.atom.xml").getroot()
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == len(archive.chronological)
    assert any(not s.date for s in archive.chronological)  # the fixture holds undated ones
    for entry in entries:
        assert entry.find(f"{ATOM}id").text.startswith("http")
        assert entry.find(f"{ATOM}updated") is not None


def test_an_undated_statement_is_in_its_feeds_updated_when_its_record_last_changed(output, archive):
    undated = next(s for s in archive.chronological if not s.date)
    page = BeautifulSoup(
        (output / "statements" / undated.id / "index.html").read_bytes(), "html.parser"
    )
    changed = page.select_one("p.version time")["datetime"]
    feed = output / "feeds" / "speakers" / f"{undated.speaker_id}.atom.xml"
    root = ET.parse(feed).getroot()
    (entry,) = [
        e
        for e in root.findall(f"{ATOM}entry")
        if e.find(f"{ATOM}id").text.endswith(f"/{undated.id}/")
    ]
    assert entry.find(f"{ATOM}updated").text == f"{changed}T00:00:00Z"
    assert entry.find(f"{ATOM}published") is None  # no date is invented
    assert not root.find(f"{ATOM}updated").text.startswith("1970")


def test_speaker_feed_holds_only_that_speakers_statements(output):
    root = ET.parse(output / "feeds" / "speakers" / "mohammad-ali-jafari.atom.xml").getroot()
    authors = {e.find(f"{ATOM}author/{ATOM}name").text for e in root.findall(f"{ATOM}entry")}
    assert authors == {"Mohammad Ali Jafari"}


def test_sitemap_lists_statement_pages(output, archive):
    root = ET.parse(output / "sitemap.xml").getroot()
    locs = {e.text for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    for statement_id in archive.statements:
        assert any(loc.endswith(f"/statements/{statement_id}/") for loc in locs)


def test_pages_declare_language_and_landmarks(output):
    soup = page(output, "statements/fatemiyoun-communique")
    assert soup.html["lang"] == "en"
    assert soup.find("main") and soup.find("header") and soup.find("footer")
    assert soup.find("nav", attrs={"aria-label": "Breadcrumb"}) is not None
    search = soup.find("form", role="search")
    field = search.find("input", type="search")
    assert search.find("label", attrs={"for": field["id"]}) is not None


def test_no_external_resources_are_loaded(output):
    for file in output.rglob("*.html"):
        soup = BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.find_all(["script", "link", "img", "iframe"]):
            ref = tag.get("src") or (
                tag.get("href")
                if tag.name != "link" or "stylesheet" in tag.get("rel", [])
                else None
            )
            assert not (ref or "").startswith(("http:", "https:", "//")), f"{file}: {ref}"


def test_no_inline_event_handlers_or_inline_scripts(output):
    for file in output.rglob("*.html"):
        soup = BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.find_all(True):
            assert not [a for a in tag.attrs if a.startswith("on")], f"{file}: {tag.name}"
        for script in soup.find_all("script"):
            assert script.get("src") or script.get("type") == "application/ld+json"


def test_a_development_build_lets_cite_this_follow_the_address_served_from(output):
    page = BeautifulSoup(
        next((output / "statements").glob("*/index.html")).read_bytes(), "html.parser"
    )
    assert page.select_one("section.cite").has_attr("data-local-build")


def test_a_published_build_keeps_its_siteurl_in_cite_this(tmp_path, monkeypatch):
    from onrecord.build import build

    monkeypatch.setenv("SITEURL", "https://archive.example.org")  # as `make publish` sets it
    build(
        REPO / "publishconf.py",
        output=tmp_path / "output",
        index_dir=tmp_path / "index",
        ONRECORD_ROOT=str(SEED),
        ONRECORD_PAGEFIND=False,
    )
    html = next((tmp_path / "output" / "statements").glob("*/index.html")).read_bytes()
    cite = BeautifulSoup(html, "html.parser").select_one("section.cite")
    assert not cite.has_attr("data-local-build")
    assert cite.select_one(".permalink a")["href"].startswith("https://archive.example.org/")
