"""Pagination URLs cannot collide: `<list>/page/<n>/`, never Pelican's `{name}{number}`.

With Pelican's default pattern, page 2 of outlet `x1` is written as `x12`, the same file as
page 1 of outlet `x12`. Here page numbers sit in their own path segment.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import REPO, SEED, copy_records

from onrecord.build import build

X1 = ["fatemiyoun-communique", "jafari-basij-conference", "jafari-press-conference"]
X12 = ["salami-martyrs-conference"]


def set_outlet(root: Path, statement_id: str, outlet_id: str) -> None:
    path = root / "content" / "statements" / "2017" / f"{statement_id}.yaml"
    text = path.read_text(encoding="utf-8").replace("outlet: null", f'outlet: "{outlet_id}"')
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    root = copy_records(tmp_path_factory.mktemp("pages"))
    for outlet_id in ("x1", "x12"):
        (root / "content" / "outlets" / f"{outlet_id}.yaml").write_text(
            f'id: "{outlet_id}"\nname: "Outlet {outlet_id}"\n', encoding="utf-8"
        )
    for statement_id in X1:
        set_outlet(root, statement_id, "x1")
    for statement_id in X12:
        set_outlet(root, statement_id, "x12")
    return built(root, ONRECORD_PER_PAGE=1)


def built(root: Path, **settings) -> Path:
    """`root`'s records built with `settings`; the output folder."""
    build(
        REPO / "pelicanconf.py",
        output=root / "output",
        index_dir=root / "var" / "index",
        ONRECORD_ROOT=str(root),
        ONRECORD_PAGEFIND=False,
        **settings,
    )
    return root / "output"


def listed(output: Path, path: str) -> set[str]:
    soup = BeautifulSoup((output / path / "index.html").read_text(encoding="utf-8"), "html.parser")
    links = soup.select(".statement-list .statement-item-title a")
    return {a["href"].rstrip("/").removesuffix("/index.html").rsplit("/", 1)[-1] for a in links}


def test_every_page_of_outlet_x1_lists_only_its_statements(output):
    pages = ["outlets/x1"] + [f"outlets/x1/page/{n}" for n in range(2, len(X1) + 1)]
    seen = set().union(*(listed(output, page) for page in pages))
    assert seen == set(X1)


def test_outlet_x12_page_one_is_its_own(output):
    assert listed(output, "outlets/x12") == set(X12)


def test_page_numbers_sit_in_their_own_path_segment(output):
    assert not (output / "outlets" / "x12" / "page").exists()
    assert (output / "outlets" / "x1" / "page" / "2" / "index.html").is_file()


# -- the timeline --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def timeline(tmp_path_factory) -> Path:
    """The seed's timeline, three entries a page."""
    return built(copy_records(tmp_path_factory.mktemp("timeline")), ONRECORD_ENTRIES_PER_PAGE=3)


def timeline_pages(output: Path) -> list[BeautifulSoup]:
    found = [output / "timeline" / "index.html"]
    found += sorted(
        (output / "timeline" / "page").glob("*/index.html"), key=lambda p: int(p.parent.name)
    )
    return [BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser") for p in found]


def entries(soup: BeautifulSoup) -> list[str]:
    return [a["href"] for a in soup.select("main li a[href*='statements/']")]


def test_a_long_timeline_runs_over_pages_of_the_set_length(timeline):
    counts = [len(entries(soup)) for soup in timeline_pages(timeline)]
    assert counts[:-1] == [3] * (len(counts) - 1) and 1 <= counts[-1] <= 3
    assert len(counts) > 1


def test_the_timeline_pages_together_list_every_published_statement_once(timeline):
    from onrecord.records import load_archive

    listed = [href for soup in timeline_pages(timeline) for href in entries(soup)]
    published = load_archive(SEED).chronological
    assert len(listed) == len(set(listed)) == len(published)


def test_every_timeline_page_links_every_year_to_the_page_it_starts_on(timeline):
    pages = timeline_pages(timeline)
    for number, soup in enumerate(pages, start=1):
        links = {a.get_text(): a["href"] for a in soup.select("nav.years a")}
        assert "2017" in links and "Date not stated" in links
        # 2017 starts on page 1; the undated statement comes last, on the last page.
        assert links["2017"].split("#")[1] == "y2017"
        assert links["Date not stated"].endswith("#undated")
        on_last = links["Date not stated"].startswith("#")
        assert on_last == (number == len(pages))


def test_every_timeline_page_has_a_pager(timeline):
    for soup in timeline_pages(timeline):
        assert soup.select_one("nav.pager[aria-label='Pages']") is not None


# -- a source's footnotes ------------------------------------------------------------------


def test_a_long_source_runs_its_footnotes_and_their_statements_over_pages(timeline):
    from onrecord.records import load_archive

    archive = load_archive(SEED)
    source = archive.sources["sochi-triumph-report"]
    pages = source_pages(timeline, source.id)
    assert len(pages) > 1
    anchors, listed = [], []
    for soup in pages:
        items = soup.select("ol.footnotes > li")
        statements = soup.select("ol.footnotes > li > ul > li > a")
        continued = [li for li in items if not li.get("id")]
        # Three lines a page: footnotes' texts and statements; a footnote going on from
        # the page before says so, without its anchor, on top.
        assert len(items) - len(continued) + len(statements) <= 3
        assert all(li is items[0] for li in continued)
        assert all("continued" in li.get_text() for li in continued)
        anchors += [li["id"] for li in items if li.get("id")]
        listed += [
            a["href"].rstrip("/").removesuffix("/index.html").rsplit("/", 1)[-1] for a in statements
        ]
    assert anchors == [f"fn{f.number}" for f in source.footnotes]
    cited = [s.id for s in archive.by_source[source.id] if s.footnote is not None]
    assert sorted(listed) == sorted(cited) and len(set(listed)) == len(listed)
    assert any(not li.get("id") for soup in pages for li in soup.select("ol.footnotes > li"))


def test_a_statements_footnote_link_finds_its_footnote_on_whichever_page(timeline):
    linked = 0
    for page in (timeline / "statements").glob("*/index.html"):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for link in soup.select("a[href*='sources/'][href*='#fn']"):
            path, anchor = link["href"].split("#")
            target = (page.parent / path).resolve()
            target = target / "index.html" if target.is_dir() else target
            footnotes = BeautifulSoup(target.read_text(encoding="utf-8"), "html.parser")
            assert footnotes.find(id=anchor) is not None, f"{page}: {link['href']}"
            linked += 1
    assert linked >= 5


@pytest.fixture(scope="module")
def unnumbered(tmp_path_factory) -> Path:
    """The seed with no statement citing a footnote number, three entries a page."""
    root = copy_records(tmp_path_factory.mktemp("unnumbered"))
    for path in (root / "content" / "statements").rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(
            re.sub(r"(?m)^( *)footnote: \d+$", r"\1footnote: null", text), encoding="utf-8"
        )
    return built(root, ONRECORD_ENTRIES_PER_PAGE=3)


def source_pages(output: Path, source_id: str) -> list[BeautifulSoup]:
    folder = output / "sources" / source_id
    found = [folder / "index.html"]
    found += sorted((folder / "page").glob("*/index.html"), key=lambda p: int(p.parent.name))
    return [BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser") for p in found]


def test_statements_without_a_footnote_number_run_over_pages_after_the_footnotes(unnumbered):
    from onrecord.records import load_archive

    archive = load_archive(SEED)
    source = archive.sources["sochi-triumph-report"]
    quoted = {s.id for s in archive.by_source[source.id]}
    pages = source_pages(unnumbered, source.id)
    footnotes = [len(soup.select("ol.footnotes > li")) for soup in pages]
    listed = [
        [a["href"].rstrip("/").removesuffix("/index.html").rsplit("/", 1)[-1] for a in items]
        for items in (soup.select("ul.unnumbered > li > a") for soup in pages)
    ]
    entries = [f + len(s) for f, s in zip(footnotes, listed, strict=True)]
    # Every page full but the last; the footnotes first, every one of them listed once.
    assert entries[:-1] == [3] * (len(pages) - 1) and 1 <= entries[-1] <= 3
    assert sum(footnotes) == len(source.footnotes)
    assert footnotes == sorted(footnotes, reverse=True)
    # Each statement once, none on a page before the footnotes end.
    flat = [s for page in listed for s in page]
    assert len(flat) == len(set(flat)) and set(flat) == quoted
    last_footnotes = max(i for i, f in enumerate(footnotes) if f) if any(footnotes) else -1
    assert all(not page for page in listed[:last_footnotes])
    assert all(soup.select_one("nav.pager[aria-label='Pages']") for soup in pages)
