"""The site in a real browser: Debian's chromium, driven by Playwright, against the search
service (waitress + `create_app`) serving the seed archive built by the `output` and
`index_dir` fixtures on 127.0.0.1.

`make test` installs /usr/bin/chromium when it is missing; without it these tests fail (they
never skip), so a machine that cannot run them is noticed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from conftest import REPO, SEED
from playwright.sync_api import expect

from onrecord.build import settings_for
from onrecord.records import load_archive

pytestmark = pytest.mark.browser

STATEMENT = "jafari-press-conference"
STATEMENT_PATH = f"/statements/{STATEMENT}/"
# One page of every kind a reader lands on.
PAGES = {
    "home": "/",
    "statement": STATEMENT_PATH,
    "statement with nested quotes": "/statements/kayhan-sochi-editorial/",
    "speaker": "/speakers/mohammad-ali-jafari/",
    "theme": "/themes/basij/",
    "source": "/sources/sochi-triumph-report/",
    "timeline": "/timeline/",
    "search results": "/search/?q=Basij",
}


@pytest.fixture(scope="module")
def archive():
    return load_archive(SEED)


@pytest.fixture
def new_page(browser, site):
    """Make pages in fresh browser contexts (`new_page(**context_options)`), closed afterwards."""
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=site, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page(viewport={"width": 1280, "height": 900})


def test_statement_page_shows_its_heading_and_every_paragraph(page, archive):
    statement = archive.statements[STATEMENT]
    page.goto(STATEMENT_PATH)

    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("h1")).to_have_text(statement.headline)
    paragraphs = page.locator("section.text .paragraph > p")
    expect(paragraphs).to_have_count(len(statement.paragraphs))
    for n, text in enumerate(statement.paragraphs):
        expect(paragraphs.nth(n)).to_be_visible()
        expect(paragraphs.nth(n)).to_contain_text(text[:60])


def test_pilcrow_of_a_paragraph_makes_it_the_target(page):
    page.goto(STATEMENT_PATH)

    page.locator("#p2 a.pilcrow").click()

    assert page.url.endswith("#p2")
    assert page.evaluate("document.querySelector(':target').id") == "p2"
    # The targeted paragraph is highlighted, the others are not.
    background = "el => getComputedStyle(el).backgroundColor"
    assert page.locator("#p2").evaluate(background) != "rgba(0, 0, 0, 0)"
    assert page.locator("#p1").evaluate(background) == "rgba(0, 0, 0, 0)"


def test_copy_button_copies_the_apa_citation(new_page, archive):
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    page.goto(STATEMENT_PATH)
    expected = page.locator("#cite-apa [data-copy-text]").get_attribute("data-copy-text")

    button = page.get_by_role("button", name="Copy the APA citation")
    button.click()

    page.wait_for_function("() => navigator.clipboard.readText().then(text => text !== '')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == expected
    family_name = archive.speakers[archive.statements[STATEMENT].speaker_id].name.split()[-1]
    assert family_name in copied


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_page_has_no_serious_accessibility_violations(page, path):
    page.goto(path)
    violations = Axe().run(page).response["violations"]

    serious = [
        f"{v['impact']} {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


def test_keyboard_focus_is_visible(page):
    page.goto(STATEMENT_PATH)

    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.get_attribute("class") == "skip-link"
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0  # moved on screen
    page.keyboard.press("Tab")
    outline = page.locator(":focus").evaluate(
        "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert outline[0] != "none"
    assert float(outline[1].removesuffix("px")) >= 2


def test_header_search_lists_results_with_highlights(page):
    page.goto("/")
    box = page.get_by_label("Search statements")
    box.fill("Basij")
    box.press("Enter")

    page.wait_for_url("**/search/?q=Basij")
    results = page.locator(".results .statement-item")
    expect(results.first).to_be_visible()
    marks = page.locator(".results mark")
    expect(marks.first).to_be_visible()
    assert all(text.lower() == "basij" for text in marks.all_inner_texts())


def test_speaker_facet_narrows_results_to_that_speaker(page):
    page.goto("/search/?q=Basij")
    before = page.locator(".results .statement-item").count()
    facet = page.locator("section[aria-labelledby='facet-speaker-h'] a").first
    speaker = facet.inner_text().strip()

    facet.click()

    page.wait_for_url("**speaker=*")
    results = page.locator(".results .statement-item")
    expect(results.first).to_be_visible()
    assert 0 < results.count() <= before
    for meta in results.locator(".meta").all_inner_texts():
        assert meta.startswith(speaker)


def test_statement_page_works_without_javascript(new_page, archive):
    page = new_page(java_script_enabled=False)
    page.goto(STATEMENT_PATH)

    expect(page.locator("section.text .paragraph > p")).to_have_count(
        len(archive.statements[STATEMENT].paragraphs)
    )
    citations = page.locator(".citation-text")
    expect(citations).to_have_count(3)
    for n in range(3):
        expect(citations.nth(n)).to_be_visible()
        expect(citations.nth(n)).to_contain_text("Jafari")
    # The page was really read without scripts: the copy buttons they add are absent.
    expect(page.locator("button.copy")).to_have_count(0)


def test_search_works_without_javascript(new_page):
    page = new_page(java_script_enabled=False)
    page.goto(STATEMENT_PATH)
    box = page.get_by_label("Search statements")
    box.fill("Basij")
    box.press("Enter")

    page.wait_for_url("**/search/?q=Basij")
    expect(page.locator(".results .statement-item").first).to_be_visible()
    expect(page.locator(".results mark").first).to_be_visible()


@pytest.mark.parametrize(
    "path", [STATEMENT_PATH, "/statements/kayhan-sochi-editorial/", "/search/?q=Basij"]
)
def test_narrow_screen_has_no_horizontal_scroll(new_page, path):
    page = new_page(viewport={"width": 360, "height": 740})
    page.goto(path)

    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_browsing_requests_nothing_beyond_the_local_server(page):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    for path in PAGES.values():
        page.goto(path)
        page.wait_for_load_state("networkidle")

    assert requested, "no request was recorded"
    outside = [
        url
        for url in requested
        if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).hostname != "127.0.0.1"
    ]
    assert outside == []


def test_pages_log_no_errors(page):
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))

    for path in PAGES.values():
        page.goto(path)
        page.wait_for_load_state("networkidle")

    assert errors == []


def test_cite_this_names_the_address_the_page_is_served_from(page, site):
    # The test server listens on a free port, not on the SITEURL the site was built for.
    built_for = settings_for(REPO / "pelicanconf.py")["SITEURL"]
    assert not site.startswith(built_for)
    page.goto(STATEMENT_PATH)
    permalink = page.locator("section.cite .permalink a")
    expect(permalink).to_have_text(f"{site}{STATEMENT_PATH}")
    assert permalink.get_attribute("href") == f"{site}{STATEMENT_PATH}"
    apa = page.locator("#cite-apa [data-copy-text]")
    assert f"{site}{STATEMENT_PATH}" in apa.get_attribute("data-copy-text")
    assert built_for not in page.locator("section.cite").inner_text()


# -- a source's text: from a statement to its passage ------------------------------------------


@pytest.fixture(scope="module")
def passage_site(tmp_path_factory):
    """The seed archive with its source's text (the seed fixture has none), built and served."""
    import shutil

    from conftest import build_records, copy_records, serving

    root = copy_records(tmp_path_factory.mktemp("passage-browser") / "archive")
    shutil.copy(SEED.parent / "seed-report.txt", root / "content/sources/sochi-triumph-report.txt")
    base = build_records(root, tmp_path_factory.mktemp("passage-browser-site"))
    with serving(base / "output", base / "index") as url:
        yield url, load_archive(root)


@pytest.mark.parametrize("statement_id", [STATEMENT, "ramadan-al-arabiya-interview"])
def test_read_it_in_the_source_lands_on_the_marked_passage(browser, passage_site, statement_id):
    site, archive = passage_site
    anchor = archive.passages[statement_id].anchor
    context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(f"/statements/{statement_id}/")

        page.get_by_role("link", name="Read it in the source").click()

        page.wait_for_url(f"**/sources/sochi-triumph-report/text/#s{anchor}")
        target = page.locator(":target")
        expect(target).to_have_id(f"s{anchor}")
        expect(target).to_be_in_viewport()
        marked = target.locator(f'a.quoted-words[href*="/statements/{statement_id}/"] mark')
        expect(marked.first).to_be_visible()
        words = archive.statements[statement_id].paragraphs[0].strip('"')[:40]
        assert words in " ".join(target.inner_text().split())
        # The marked words lead back to the statement.
        marked.first.click()
        page.wait_for_url(f"**/statements/{statement_id}/")
    finally:
        context.close()


def test_the_source_text_page_has_no_serious_accessibility_violations(browser, passage_site):
    site, _ = passage_site
    context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto("/sources/sochi-triumph-report/text/")
        violations = Axe().run(page).response["violations"]
        serious = [
            f"{v['impact']} {v['id']}: {v['help']}"
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == []
    finally:
        context.close()
