"""The committed records, checked without naming or counting any of them.

Whatever the editors add, these hold: every record passes `check`, is tidy and has its
permalinks listed; the site builds; every internal link and anchor resolves; every page is
valid HTML (the Nu checker); every feed parses; every statement page has its JSON-LD.
The second half proves each site check fails on a site that breaks it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO
from content_checks import (
    broken_links,
    build_site,
    feed_problems,
    html_errors,
    jsonld_problems,
    record_problems,
)


@pytest.fixture(scope="module")
def committed_output(tmp_path_factory) -> Path:
    return build_site(REPO, tmp_path_factory.mktemp("committed"))


def test_committed_records_pass_check_fmt_and_permalinks():
    assert record_problems(REPO) == []


def test_every_internal_link_and_anchor_resolves(committed_output: Path):
    assert broken_links(committed_output) == []


def test_every_page_is_valid_html(committed_output: Path):
    assert html_errors(committed_output) == []


def test_every_feed_parses(committed_output: Path):
    assert feed_problems(committed_output) == []


def test_every_statement_page_has_its_jsonld(committed_output: Path):
    assert jsonld_problems(REPO, committed_output) == []


# -- each check catches what it is for (on a copy of the seed fixture's built site) ------------


@pytest.fixture
def spoilt(output: Path, tmp_path: Path) -> Path:
    """A copy of the seed fixture's built site, for a test to break."""
    return Path(shutil.copytree(output, tmp_path / "output"))


def first_statement_page(site: Path) -> Path:
    return next(p for p in sorted((site / "statements").glob("*/index.html")))


def test_a_missing_page_and_a_missing_anchor_are_reported(spoilt: Path):
    page = first_statement_page(spoilt)
    html = page.read_text(encoding="utf-8")
    html = html.replace(
        "</main>", '<a href="../no-such-page/">x</a><a href="#no-such">y</a></main>'
    )
    page.write_text(html, encoding="utf-8")
    broken = broken_links(spoilt)
    assert any("no file statements/no-such-page/index.html" in line for line in broken)
    assert any("no #no-such in index.html" in line for line in broken)
    assert len(broken) == 2


def test_invalid_html_is_reported_with_its_file(spoilt: Path):
    page = first_statement_page(spoilt)
    html = page.read_text(encoding="utf-8").replace("</main>", '<form action=""></form></main>')
    page.write_text(html, encoding="utf-8")
    errors = html_errors(spoilt)
    assert any('Bad value "" for attribute "action"' in line for line in errors)
    assert any(page.parent.name in line for line in errors)


def test_a_feed_that_does_not_parse_is_reported(spoilt: Path):
    feed = next(spoilt.rglob("*.atom.xml"))
    feed.write_text(feed.read_text(encoding="utf-8").replace("</feed>", ""), encoding="utf-8")
    assert [line for line in feed_problems(spoilt) if "does not parse" in line]


def test_a_statement_page_without_jsonld_is_reported(spoilt: Path):
    from bs4 import BeautifulSoup
    from conftest import SEED

    page = first_statement_page(spoilt)
    soup = BeautifulSoup(page.read_bytes(), "html.parser")
    soup.find("script", type="application/ld+json").decompose()
    page.write_text(str(soup), encoding="utf-8")
    problems = jsonld_problems(SEED, spoilt)
    assert problems == [f"{page.relative_to(spoilt)}: no JSON-LD Quotation"]
