"""Inputs that cannot hurt: record text that looks like markup, script or a formula is inert.

A copy of the seed archive gets hostile text in a speaker's name, a quote's paragraph and a
theme's name (script elements, an attribute break-out with an event handler, a
`javascript:` URL, a right-to-left override), markup in a headline, an `&` in an outlet's
name, and cells a spreadsheet would run as formulas. It is built for real, and every page,
structured-data block, feed, search answer and export must show that text as text.
"""

from __future__ import annotations

import csv
import html
import json
import re
import threading
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import REPO, copy_records

from onrecord.build import build, settings_for
from onrecord.problems import RecordError
from onrecord.records import load_archive
from onrecord.search.query import search
from onrecord.serve import create_app

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</script><script>alert(2)</script>",
    "javascript:alert(1)",
    RLO + "gnp.exe",
)
HOSTILE_TEXT = " ".join(HOSTILE)
SPEAKER_NAME = "Hossein Salami " + HOSTILE_TEXT
PARAGRAPH_START = "Beware " + HOSTILE_TEXT + " "  # put before the first paragraph's words
HEADLINE = "<b>Bold</b> claims & more"
OUTLET_NAME = "Kayhan & Sons"
THEME_NAME = "Israel <script>alert(4)</script>"
FORMULA = '=HYPERLINK("http://x") '
SOURCE_URL = 'https://example.org/"><script>alert(3)</script>'

STATEMENT = "salami-martyrs-conference"
STATEMENT_PATH = f"statements/{STATEMENT}/"
STATEMENTS = Path("content/statements/2017")


def set_field(path: Path, line_start: str, value: str, *, before: bool = False) -> None:
    """Set the value on the first line of `path` starting with `line_start` to `value`.

    With `before`, `value` goes before the text already there (so that claims quoting the
    paragraph's words still find them).
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if line.startswith(line_start))
    if before:
        value += yaml.safe_load(lines[number].removeprefix(line_start))
    # A JSON string is a YAML double-quoted scalar (\u escapes included).
    lines[number] = line_start.rstrip() + " " + json.dumps(value)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def hostile_records(root: Path) -> Path:
    copy_records(root)
    statement = root / STATEMENTS / f"{STATEMENT}.yaml"
    set_field(root / "speakers/hossein-salami.yaml", "name:", SPEAKER_NAME)
    set_field(statement, "headline:", HEADLINE)
    set_field(statement, "- ", PARAGRAPH_START, before=True)  # the first paragraph
    set_field(statement, "role:", "@SUM(A1)")
    set_field(statement, "venue:", "+1+1")
    set_field(statement, "notes:", "-2+3")
    set_field(statement, "outlet:", "kayhan")
    set_field(root / "content/outlets/kayhan.yaml", "name:", OUTLET_NAME)
    set_field(root / "content/themes/israel.yaml", "name:", THEME_NAME)
    set_field(root / "content/sources/sochi-triumph-report.yaml", "url:", SOURCE_URL)
    set_field(root / STATEMENTS / "jafari-press-conference.yaml", "- ", FORMULA, before=True)
    return root


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("hostile")
    root = hostile_records(base / "archive")
    output, index_dir = base / "output", base / "var" / "index"
    build(REPO / "pelicanconf.py", output=output, index_dir=index_dir, ONRECORD_ROOT=str(root))
    return output, index_dir


@pytest.fixture(scope="module")
def output(hostile_site) -> Path:
    return hostile_site[0]


@pytest.fixture(scope="module")
def pages(output) -> dict[str, tuple[str, BeautifulSoup]]:
    """Every HTML page of the site by its path: its raw text and its parse."""
    found = {}
    for file in sorted(output.rglob("*.html")):
        raw = file.read_text(encoding="utf-8")
        found[str(file.relative_to(output))] = (raw, BeautifulSoup(raw, "html.parser"))
    return found


def test_the_hostile_records_load(tmp_path):
    archive = load_archive(hostile_records(tmp_path))
    statement = archive.statements[STATEMENT]
    assert archive.speakers["hossein-salami"].name == SPEAKER_NAME
    assert statement.headline == HEADLINE
    assert statement.paragraphs[0].startswith(PARAGRAPH_START)
    assert archive.statements["jafari-press-conference"].paragraphs[0].startswith(FORMULA)


# -- HTML pages --------------------------------------------------------------------------------


def foreign_scripts(soup: BeautifulSoup, page_path: str) -> list[str]:
    """Script elements that are neither the site's own files nor JSON-LD data."""
    foreign = []
    for script in soup.find_all("script"):
        if script.get("type") == "application/ld+json":
            continue
        src = urljoin(f"http://site/{page_path}", script.get("src") or "")
        if not (re.fullmatch(r"http://site/theme/js/[a-z-]+\.js", src) and not script.string):
            foreign.append(str(script))
    return foreign


def handlers(soup: BeautifulSoup) -> list[str]:
    return [
        f"{tag.name} {name}"
        for tag in soup.find_all(True)
        for name in tag.attrs
        if name.lower().startswith("on")
    ]


def javascript_hrefs(soup: BeautifulSoup) -> list[str]:
    # Browsers ignore leading spaces and control characters, and tabs or newlines anywhere.
    found = []
    for tag in soup.find_all(href=True):
        href = re.sub(r"[\x00-\x20]", "", tag["href"]).lower()
        if href.startswith("javascript:"):
            found.append(tag["href"])
    return found


def test_the_site_has_pages_with_the_hostile_text(pages):
    assert len(pages) > 30
    with_name = [path for path, (_, soup) in pages.items() if SPEAKER_NAME in soup.get_text()]
    assert len(with_name) > 10


def test_no_page_has_a_script_other_than_the_sites_own_and_json_ld(pages):
    found = {
        path: scripts
        for path, (_, soup) in pages.items()
        if (scripts := foreign_scripts(soup, str(Path(path).parent) + "/"))
    }
    assert found == {}


def test_no_page_has_an_event_handler_attribute(pages):
    found = {path: names for path, (_, soup) in pages.items() if (names := handlers(soup))}
    assert found == {}


def test_no_page_has_an_image(pages):
    assert [path for path, (raw, soup) in pages.items() if soup.find("img") or "<img" in raw] == []


def test_no_href_is_a_javascript_url(pages):
    found = {path: hrefs for path, (_, soup) in pages.items() if (hrefs := javascript_hrefs(soup))}
    assert found == {}


def test_statement_page_shows_the_hostile_text_as_text(pages):
    _, soup = pages[STATEMENT_PATH + "index.html"]
    assert soup.find("h1").get_text() == HEADLINE
    assert soup.find("b") is None
    assert PARAGRAPH_START in soup.select_one("#p1 > p").get_text()
    assert soup.find("a", class_="speaker").get_text() == SPEAKER_NAME


def test_title_and_description_hold_the_hostile_text_as_text(pages):
    _, soup = pages[STATEMENT_PATH + "index.html"]
    assert soup.find("title").get_text().startswith(f"{HEADLINE} · {SPEAKER_NAME}")
    assert HOSTILE[1] in soup.find("meta", attrs={"name": "description"})["content"]


def test_source_url_stays_inside_its_href(pages):
    _, soup = pages["sources/sochi-triumph-report/index.html"]
    link = soup.find("a", string=SOURCE_URL)
    assert link["href"] == SOURCE_URL


def test_ampersand_in_an_outlet_name_is_escaped_once(pages):
    raw, soup = pages["outlets/kayhan/index.html"]
    assert soup.find("h1").get_text() == OUTLET_NAME
    assert "Kayhan &amp; Sons" in raw
    assert "&amp;amp;" not in raw


def test_right_to_left_override_is_kept_verbatim(pages):
    _, soup = pages[STATEMENT_PATH + "index.html"]
    assert RLO + "gnp.exe" in soup.select_one("#p1 > p").get_text()


# -- structured data ---------------------------------------------------------------------------


def json_ld_blocks(pages) -> Iterator[tuple[str, str]]:
    for path, (_, soup) in pages.items():
        for script in soup.find_all("script", type="application/ld+json"):
            yield path, script.string or ""


def test_json_ld_blocks_never_hold_a_closing_script_tag(pages):
    blocks = list(json_ld_blocks(pages))
    assert len(blocks) >= 17  # 9 statements and 8 speakers
    assert [path for path, raw in blocks if "</script" in raw.lower() or "<!--" in raw] == []


def test_json_ld_blocks_parse_as_json(pages):
    for path, raw in json_ld_blocks(pages):
        assert isinstance(json.loads(raw), dict), path


def test_json_ld_holds_the_hostile_strings_as_text(pages):
    _, statement_page = pages[STATEMENT_PATH + "index.html"]
    data = json.loads(statement_page.find("script", type="application/ld+json").string)
    assert data["creator"]["name"] == SPEAKER_NAME
    assert data["text"].startswith(PARAGRAPH_START)
    assert THEME_NAME in [term["name"] for term in data["about"]]
    _, speaker_page = pages["speakers/hossein-salami/index.html"]
    data = json.loads(speaker_page.find("script", type="application/ld+json").string)
    assert data["name"] == SPEAKER_NAME


# -- feeds -------------------------------------------------------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"


def test_feeds_parse_as_xml_with_no_markup_elements(output):
    feeds = sorted((output / "feeds").rglob("*.atom.xml"))
    assert feeds
    for feed in feeds:
        names = {element.tag.rpartition("}")[2] for element in ET.parse(feed).iter()}
        assert not names & {"script", "img", "b"}, feed


def test_feed_holds_the_hostile_text_as_text(output):
    tree = ET.parse(output / "feeds/speakers/hossein-salami.atom.xml")
    entry = tree.getroot().find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == HEADLINE
    assert entry.find(f"{ATOM}author/{ATOM}name").text == SPEAKER_NAME
    paragraphs = [p.text for p in entry.iter("{http://www.w3.org/1999/xhtml}p")]
    assert paragraphs[0].startswith(PARAGRAPH_START)
    assert THEME_NAME in [c.get("label") for c in entry.findall(f"{ATOM}category")]


# -- search ------------------------------------------------------------------------------------


def unmarked(snippet: str) -> str:
    return snippet.replace("<mark>", "").replace("</mark>", "")


@pytest.mark.parametrize(
    "words, speaker",
    [("alert", None), ('"onerror alert"', None), ("", "hossein-salami")],
    ids=["word", "phrase", "listing"],
)
def test_search_snippets_escape_everything_but_mark(hostile_site, words, speaker):
    _, index_dir = hostile_site
    answer = search(index_dir, words, speaker=speaker)
    snippets = [hit["snippet"] for hit in answer["hits"] if hit["id"] == STATEMENT]
    assert snippets, answer
    for snippet in snippets:
        assert "<" not in unmarked(snippet) and ">" not in unmarked(snippet), snippet
        assert "<script>" in html.unescape(unmarked(snippet))


@pytest.fixture(scope="module")
def service(hostile_site) -> Iterator[str]:
    from waitress.server import create_server

    output, index_dir = hostile_site
    settings = settings_for(REPO / "pelicanconf.py")
    app = create_app(output, index_dir, Path(settings["THEME"]) / "templates", settings)
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, name="hostile-search-service", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


RESULT_PAGES = {
    "word": "/search/?q=alert",
    "hostile query": "/search/?q=" + quote(HOSTILE[0] + " " + HOSTILE[1]),
    "speaker facet": "/search/?speaker=hossein-salami",
    "theme facet": "/search/?theme=israel",
}


@pytest.mark.parametrize("path", RESULT_PAGES.values(), ids=RESULT_PAGES.keys())
def test_search_service_results_have_no_injected_elements(service, path):
    with urllib.request.urlopen(service + path, timeout=10) as response:
        raw = response.read().decode("utf-8")
    soup = BeautifulSoup(raw, "html.parser")
    assert STATEMENT in raw  # the hostile statement is among the results
    assert foreign_scripts(soup, "search/") == []
    assert handlers(soup) == []
    assert soup.find("img") is None and soup.find("b") is None
    assert javascript_hrefs(soup) == []


def test_search_service_echoes_a_hostile_query_as_text(service):
    with urllib.request.urlopen(service + RESULT_PAGES["hostile query"], timeout=10) as response:
        soup = BeautifulSoup(response.read().decode("utf-8"), "html.parser")
    assert soup.find("input", id="page-search-q")["value"] == HOSTILE[0] + " " + HOSTILE[1]
    assert HOSTILE[1] in soup.find(id="results-h").get_text()


# -- exports -----------------------------------------------------------------------------------


def csv_rows(output: Path) -> list[dict[str, str]]:
    with (output / "data/statements.csv").open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def test_no_csv_cell_starts_a_formula(output):
    rows = csv_rows(output)
    assert len(rows) == 9
    cells = [(row["id"], name, value) for row in rows for name, value in row.items()]
    assert [cell for cell in cells if cell[2].startswith(("=", "+", "-", "@"))] == []


def test_csv_cells_that_would_start_a_formula_begin_with_a_quote(output):
    rows = {row["id"]: row for row in csv_rows(output)}
    assert rows["jafari-press-conference"]["text"].startswith("'" + FORMULA)
    salami = rows[STATEMENT]
    assert (salami["role"], salami["venue"], salami["notes"]) == ("'@SUM(A1)", "'+1+1", "'-2+3")


def test_csv_keeps_other_cells_as_they_are(output):
    salami = {row["id"]: row for row in csv_rows(output)}[STATEMENT]
    assert (salami["speaker"], salami["outlet"]) == (SPEAKER_NAME, OUTLET_NAME)
    assert salami["headline"] == HEADLINE


def test_json_export_keeps_the_text_unaltered(output):
    items = {i["id"]: i for i in json.loads((output / "data/statements.json").read_text("utf-8"))}
    assert items["jafari-press-conference"]["paragraphs"][0].startswith(FORMULA)
    assert items[STATEMENT]["speaker"]["name"] == SPEAKER_NAME
    assert items[STATEMENT]["paragraphs"][0].startswith(PARAGRAPH_START)


# -- URLs from records -------------------------------------------------------------------------


def test_a_javascript_url_is_refused_as_a_source_address(tmp_path):
    root = copy_records(tmp_path)
    set_field(root / "content/sources/sochi-triumph-report.yaml", "url:", "javascript:alert(1)")
    with pytest.raises(RecordError) as error:
        load_archive(root)
    assert [p.path for p in error.value.problems] == ["content/sources/sochi-triumph-report.yaml"]
