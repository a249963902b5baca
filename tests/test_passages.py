"""A source's text as a page of passages (`/sources/<id>/text/`), and the quotes placed in it.

Built from a copy of the seed fixture whose source is given the seed report's text, a live
address and an archived copy (the fixture itself has neither, so other tests are unchanged).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import SEED, build_records, copy_records
from hypothesis import given
from hypothesis import strategies as st

from onrecord import selectors, sourcetext
from onrecord.records import load_archive

TEXT = SEED.parent / "seed-report.txt"
SOURCE = "sochi-triumph-report"
LIVE = "https://reports.example/sochi-triumph"
ARCHIVED = "https://web.archive.org/web/20171201000000/https://reports.example/sochi-triumph"
NESTED, QUOTING = "ramadan-al-arabiya-interview", "kayhan-sochi-editorial"


def give_text(root: Path, text: str, **fields: str) -> Path:
    """The archive at `root` with its source's text and, in its record, `fields`."""
    (root / "content/sources" / f"{SOURCE}.txt").write_text(text, encoding="utf-8")
    record = root / "content/sources" / f"{SOURCE}.yaml"
    data = record.read_text(encoding="utf-8")
    for name, value in fields.items():
        if re.search(rf"^{name}: ", data, flags=re.M):
            data = re.sub(rf"^{name}: .*$", f"{name}: {json.dumps(value)}", data, flags=re.M)
        else:  # after `url:`, where the schema puts them
            data = re.sub(r"^(url: .*)$", rf"\1\n{name}: {json.dumps(value)}", data, flags=re.M)
    record.write_text(data, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = copy_records(tmp_path_factory.mktemp("passages") / "archive")
    return give_text(
        root,
        TEXT.read_text(encoding="utf-8"),
        url=LIVE,
        archived_url=ARCHIVED,
        archived_on="2017-12-01",
    )


@pytest.fixture(scope="module")
def archive(root):
    return load_archive(root)


@pytest.fixture(scope="module")
def output(root, tmp_path_factory) -> Path:
    return build_records(root, tmp_path_factory.mktemp("passages-site")) / "output"


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_bytes(), "html.parser")


def text_page(output: Path) -> Path:
    return output / "sources" / SOURCE / "text" / "index.html"


def resolve(page: Path, href: str, output: Path) -> tuple[Path, str]:
    """The file a relative link from `page` points to, and its fragment."""
    base = "file://" + str(page)
    target = urlsplit(urljoin(base, href))
    path = Path(unquote(target.path))
    if path.is_dir():
        path /= "index.html"
    assert output in path.parents, href
    return path, target.fragment


# -- placing the quotes -------------------------------------------------------------------------


def test_every_statement_is_placed_and_its_words_are_at_its_offsets(archive):
    text = archive.texts[SOURCE]
    assert set(archive.passages) == set(archive.statements)
    for statement in archive.statements.values():
        passage = archive.passages[statement.id]
        assert len(passage.spans) == len(statement.paragraphs)
        for (start, end), paragraph in zip(passage.spans, statement.paragraphs, strict=True):
            words = sourcetext.normalised(text[start:end])
            assert words == sourcetext.unquoted(paragraph)
        starts = [start for start, _ in sourcetext.paragraphs(text)]
        assert starts[passage.anchor - 1] <= passage.start
        assert passage.anchor == len(starts) or passage.start < starts[passage.anchor]


def test_a_nested_statement_is_placed_inside_its_quoting_statements_passage(archive):
    nested, quoting = archive.passages[NESTED], archive.passages[QUOTING]
    assert quoting.start <= nested.start < nested.end <= quoting.end
    assert archive.statements[NESTED].quoted_in == QUOTING


def test_nested_words_that_also_stand_elsewhere_are_found_in_the_quoting_passage(archive):
    text = archive.texts[SOURCE]
    nested = archive.statements[NESTED]
    words = text[slice(*archive.passages[NESTED].spans[0])]
    # The same words early in the text (the report's own analysis quoting them, say).
    first = sourcetext.paragraphs(text)[1]
    earlier = text[: first[1]] + "\n\n" + words + "\n\n" + text[first[1] :]
    placed = sourcetext.locate([archive.statements[QUOTING], nested], {SOURCE: earlier})
    assert placed[QUOTING].start <= placed[NESTED].start < placed[QUOTING].end
    unnested = sourcetext.locate([nested], {SOURCE: earlier})  # no quoting passage to look in
    assert unnested[NESTED].start < first[1] + 10


@given(st.text(alphabet=" \t\n\r\u00a0ab“”‘’\"'«»", max_size=60))
def test_the_offset_map_normalises_as_the_checker_does(text):
    mapped = sourcetext.mapped(text)
    assert mapped.text == sourcetext.normalised(text)
    assert len(mapped.origin) == len(mapped.text)
    assert list(mapped.origin) == sorted(set(mapped.origin))
    for at, char in zip(mapped.origin, mapped.text, strict=True):
        source = text[at]
        assert sourcetext.normalised(source) == char or (char == " " and source.isspace())


def test_paragraphs_are_the_blocks_between_blank_lines():
    text = "  Title\r\n\r\nFirst line\nsame paragraph.\n \n\n\tSecond.  \n"
    assert [text[a:b] for a, b in sourcetext.paragraphs(text)] == [
        "Title",
        "First line\nsame paragraph.",
        "Second.",
    ]


# -- the passage page ---------------------------------------------------------------------------


def test_the_passage_page_marks_every_quote_and_links_it_to_its_statement(output, archive):
    soup = soup_of(text_page(output))
    linked: set[str] = set()
    covered: dict[str, list[str]] = {}  # statement → its marked words, paragraph by paragraph
    for paragraph in soup.select("section.source-paragraphs .paragraph"):
        here: dict[str, str] = {}
        for link in paragraph.select("a.quoted-words"):
            assert link.find("mark") is not None, link
            linked.add(Path(urlsplit(link["href"]).path).parent.name)
            for statement_id in link["data-statements"].split():
                here[statement_id] = here.get(statement_id, "") + link.get_text()
        for statement_id, words in here.items():
            covered.setdefault(statement_id, []).append(words)
    published = {s.id for s in archive.chronological}
    assert linked == published
    for statement_id in published:
        marked = sourcetext.normalised(" ".join(covered[statement_id]))
        for paragraph in archive.statements[statement_id].paragraphs:
            assert sourcetext.unquoted(paragraph) in marked


def test_the_nested_quote_links_to_itself_inside_the_quoting_one(output):
    soup = soup_of(text_page(output))
    nested = [a for a in soup.select("a.quoted-words") if NESTED in a["href"]]
    assert nested and all("nested" in a["class"] for a in nested)
    assert all(a["data-statements"].split() == [NESTED, QUOTING] for a in nested)


def test_the_reports_own_words_stay_as_context(output, archive):
    soup = soup_of(text_page(output))
    paragraphs = soup.select("section.source-paragraphs .paragraph")
    assert len(paragraphs) == len(sourcetext.paragraphs(archive.texts[SOURCE]))
    unquoted = [p for p in paragraphs if "quoted" not in p["class"]]
    assert unquoted and not any(p.find("mark") for p in unquoted)
    page_words = sourcetext.normalised(" ".join(p.p.get_text().lstrip("¶ ") for p in paragraphs))
    assert page_words == sourcetext.normalised(archive.texts[SOURCE])


def test_statement_pages_link_to_their_passage_and_the_passage_back(output, archive):
    for statement in archive.chronological:
        page = output / "statements" / statement.id / "index.html"
        link = soup_of(page).select_one("a.passage-link")
        assert link is not None and link.get_text() == "Read it in the source"
        anchor = archive.passages[statement.id].anchor
        assert link["href"].endswith(f"sources/{SOURCE}/text/index.html#s{anchor}")
        target, fragment = resolve(page, link["href"], output)
        assert target == text_page(output)
        paragraph = soup_of(target).find(id=fragment)
        assert paragraph is not None, fragment
        back = {Path(urlsplit(a["href"]).path).parent.name for a in paragraph.select("a")}
        assert statement.id in back


def test_the_source_page_links_to_its_text(output):
    page = output / "sources" / SOURCE / "index.html"
    link = soup_of(page).select_one("a.source-text-link")
    assert resolve(page, link["href"], output)[0] == text_page(output)


def test_the_pages_are_valid_and_every_link_and_anchor_resolves(output):
    from content_checks import broken_links, html_errors

    assert broken_links(output) == []
    assert html_errors(output) == []


def test_without_a_text_there_is_no_passage_page_and_no_link(tmp_path):
    root = copy_records(tmp_path / "archive")
    output = build_records(root, tmp_path / "site") / "output"
    assert not (output / "sources" / SOURCE / "text").exists()
    assert soup_of(output / "sources" / SOURCE / "index.html").select("a.source-text-link") == []
    page = output / "statements" / QUOTING / "index.html"
    assert soup_of(page).select("a.passage-link") == []
    assert json.loads((output / "statements" / f"{QUOTING}.json").read_text())["selector"] is None
    ld = json.loads(soup_of(page).find("script", type="application/ld+json").string)
    assert "selector" not in ld and ld["@context"] == "https://schema.org"


# -- selectors ----------------------------------------------------------------------------------


def check_selectors(found: list[dict], text: str, statement, passage) -> None:
    quote, position = found
    assert quote["type"] == "TextQuoteSelector" and position["type"] == "TextPositionSelector"
    exact, prefix, suffix = quote["exact"], quote["prefix"], quote["suffix"]
    assert text[position["start"] : position["end"]] == exact
    assert (position["start"], position["end"]) == (passage.start, passage.end)
    assert 0 < len(prefix) <= selectors.CONTEXT and 0 < len(suffix) <= selectors.CONTEXT
    # The quote selector alone finds the words again, at the same place.
    assert text.count(prefix + exact + suffix) == 1
    assert text.index(prefix + exact + suffix) + len(prefix) == position["start"]
    normal = sourcetext.normalised(exact)
    for paragraph in statement.paragraphs:
        assert sourcetext.unquoted(paragraph) in normal


def test_statement_json_carries_both_selectors(output, archive):
    text = archive.texts[SOURCE]
    for statement in archive.chronological:
        data = json.loads((output / "statements" / f"{statement.id}.json").read_text())
        check_selectors(data["selector"], text, statement, archive.passages[statement.id])
    listed = json.loads((output / "data" / "statements.json").read_text())
    assert all(item["selector"] for item in listed)


def test_jsonld_carries_the_same_selectors_with_their_vocabulary(output, archive):
    text = archive.texts[SOURCE]
    for statement in archive.chronological:
        page = soup_of(output / "statements" / statement.id / "index.html")
        data = json.loads(page.find("script", type="application/ld+json").string)
        check_selectors(data["selector"], text, statement, archive.passages[statement.id])
        schema, terms = data["@context"]
        assert schema == "https://schema.org"
        assert terms["selector"]["@id"] == "oa:hasSelector"
        assert terms["oa"] == "http://www.w3.org/ns/oa#"
        assert data["isBasedOn"]["url"] == LIVE
        assert data["isBasedOn"]["archivedAt"] == ARCHIVED


def test_offsets_count_code_points_not_utf16_units_or_bytes(tmp_path):
    root = copy_records(tmp_path / "archive")
    # Characters outside the BMP (two UTF-16 units, four bytes) before every quote.
    give_text(root, "𝕿𝖍𝖊 report 🙂\n\n" + TEXT.read_text(encoding="utf-8"))
    archive = load_archive(root)
    text = archive.texts[SOURCE]
    for statement in archive.chronological:
        quote, position = selectors.statement_selectors(statement, archive)
        assert text[position["start"] : position["end"]] == quote["exact"]
        assert position["start"] == len(text[: position["start"]])


# -- the source's web page: Robust Links, text fragments ----------------------------------------


def web_links(output: Path) -> list:
    found = []
    for page in output.rglob("*.html"):
        for link in soup_of(page).select("a[href]"):
            if link["href"].startswith((LIVE, ARCHIVED)):
                found.append((page, link))
    return found


def test_every_link_to_the_sources_web_page_carries_robust_links_attributes(output):
    links = web_links(output)
    assert len(links) > 10
    for page, link in links:
        assert link["data-originalurl"] == LIVE, page
        assert link["data-versionurl"] == ARCHIVED, page
        assert link["data-versiondate"] == "2017-12-01", page


def test_pages_offer_the_live_page_and_the_archived_copy(output):
    for page in (
        output / "sources" / SOURCE / "index.html",
        output / "statements" / QUOTING / "index.html",
        text_page(output),
    ):
        soup = soup_of(page)
        live = soup.select_one("a.live-link")
        archived = soup.select_one("a.archived-link")
        label = LIVE if page.parent.parent.name == "sources" else "live page"
        assert live.get_text() == label and live["href"].startswith(LIVE)
        assert archived.get_text() == "archived copy of 1 December 2017"
        assert archived["href"] == ARCHIVED


def test_the_statements_live_link_goes_to_its_words(output, archive):
    text = archive.texts[SOURCE]
    for statement in archive.chronological:
        page = soup_of(output / "statements" / statement.id / "index.html")
        href = page.select_one("a.live-link")["href"]
        assert href.startswith(f"{LIVE}#:~:text=")
        terms = href.split(":~:text=", 1)[1].split(",")
        assert all(re.fullmatch(r"[A-Za-z0-9_.~%]*", term) for term in terms), terms
        words = [unquote(term) for term in terms]
        passage = archive.passages[statement.id]
        first = " ".join(text[slice(*passage.spans[0])].split())
        last = " ".join(text[slice(*passage.spans[-1])].split())
        assert first.startswith(words[0])
        assert last.endswith(words[-1])


def test_a_source_without_an_archived_copy_links_its_live_page_only(tmp_path):
    root = give_text(copy_records(tmp_path / "archive"), TEXT.read_text(), url=LIVE)
    output = build_records(root, tmp_path / "site") / "output"
    soup = soup_of(output / "sources" / SOURCE / "index.html")
    (live,) = soup.select("a.live-link")
    assert live["data-originalurl"] == LIVE and not live.has_attr("data-versionurl")
    assert soup.select("a.archived-link") == []


# -- user text is text -------------------------------------------------------------------------


HOSTILE = '<script>alert("passage")</script> & <b>bold</b> "quoted" <!-- comment -->'


def test_hostile_text_and_addresses_are_escaped(tmp_path):
    text = TEXT.read_text(encoding="utf-8")
    first_break = text.index("\n\n")
    hostile = text[:first_break] + "\n\n" + HOSTILE + "\n\n" + text[first_break + 2 :]
    root = give_text(
        copy_records(tmp_path / "archive"),
        hostile,
        url='https://reports.example/a"onmouseover="alert(1)',
        archived_url="https://web.archive.org/web/1/<script>",
        archived_on="2017-12-01",
    )
    output = build_records(root, tmp_path / "site") / "output"
    raw = text_page(output).read_text(encoding="utf-8")
    assert "<script>alert" not in raw and "<b>bold" not in raw and "<!-- comment" not in raw
    assert "&lt;script&gt;alert(&#34;passage&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold" in raw
    soup = soup_of(text_page(output))
    assert soup.find(id="s2").p.get_text().lstrip("¶ ") == HOSTILE
    assert not soup.find_all(onmouseover=True)
    statement = soup_of(output / "statements" / QUOTING / "index.html")
    assert not statement.find_all(onmouseover=True)
    live = statement.select_one("a.live-link")
    assert live["data-originalurl"] == 'https://reports.example/a"onmouseover="alert(1)'
    assert statement.select_one("a.archived-link")["href"].endswith("/<script>")
    # The quotes after the hostile paragraph are placed one paragraph further on.
    archive = load_archive(root)
    assert archive.passages[QUOTING].anchor == 50


# -- rebuilds ----------------------------------------------------------------------------------


def test_a_rebuild_after_the_text_changes_equals_a_full_build(tmp_path):
    from test_incremental import Archive, files, full_build_of

    site = Archive(tmp_path / "archive")
    site.build()
    text_file = site.root / "content/sources" / f"{SOURCE}.txt"
    # The text added: its page, the links to it and every statement's selectors appear.
    text_file.write_text(TEXT.read_text(encoding="utf-8"), encoding="utf-8")
    site.build()
    assert files(site.output) == full_build_of(site, tmp_path / "full-1")
    json_file = site.output / "statements" / f"{QUOTING}.json"
    before = json.loads(json_file.read_text())["selector"][0]
    # Words right after a quote change (its offsets do not): its suffix must follow.
    after = before["exact"] + before["suffix"][:2]
    text = text_file.read_text(encoding="utf-8")
    assert text.count(after) == 1
    text_file.write_text(text.replace(after, after + " (sic)"), encoding="utf-8")
    site.build()
    assert files(site.output) == full_build_of(site, tmp_path / "full-2")
    suffix = json.loads(json_file.read_text())["selector"][0]["suffix"]
    assert suffix != before["suffix"] and "(sic)" in suffix
    # The text removed: its page goes, and so do the links and selectors.
    text_file.unlink()
    site.build()
    assert not (site.output / "sources" / SOURCE / "text").exists()
    assert files(site.output) == full_build_of(site, tmp_path / "full-3")
