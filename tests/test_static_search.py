"""Search on a plain static host: the Pagefind index `onrecord build` writes, and /search/
run in the browser by static-search.js against it.

The seed archive built by the session's `output` fixture is served by a plain static file
server (`python -m http.server`, no search service) and driven in Debian's chromium. The
same queries go through the search service's engine (Whoosh, `search.query.search`) and
through the static page; both must find the same statements.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote_plus, urlsplit
from wsgiref.util import setup_testing_defaults

import pytest
from bs4 import BeautifulSoup
from conftest import REPO, SEED, build_records, copy_records, listed_ids
from playwright.sync_api import expect
from test_build_atomic import tree_digest

from onrecord import urls
from onrecord.build import BuildError, build, settings_for
from onrecord.records import load_archive
from onrecord.search import query as whoosh
from onrecord.search.index import current_build, read_spellings
from onrecord.search.variants import by_skeleton, skeleton
from onrecord.serve import create_app
from onrecord.staticindex import PAGEFIND_LABELS

# The service's policy, plus WebAssembly (Pagefind's search runs in it): what a static host
# serving this site with a Content-Security-Policy must send.
CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Where both engines should agree: names (other spellings too), places, an outlet, accents
# and apostrophes, a phrase, a stemmed word, and a word found nowhere.
AGREED_QUERIES = [
    "Basij",
    "Jafari",
    "Ali Jafari",
    "Soleimani",
    "Sha'bi",
    "vis-à-vis",
    '"Great Satan"',
    "triumphs",
    "Al-Arabiya",
    "November",  # only in dates, which neither indexes: Pagefind alone would find "no"
]
# Another spelling than the archive's (search/variants.py): both search the archive's too.
VARIANT_QUERIES = [
    "Hezbollah",
    "Suleimani",
    "Soleymani",
    "Quds",
    "Shaabi",
    "Fatemiyun",
    "Rouhani",
    "Bagheri",
    "Khamenie",  # two of the archive's words share its skeleton: Khamenei and Khomeini
    "Basij Sirya",  # one word as the archive spells it, one not
]
# Typos the archive holds no spelling of: both show the results of their correction.
TYPO_QUERIES = ["Bsaij", "Basj", "Kayhna", "Damascsu", "Yemne", "(Bsaij) Syria", "Bsaij, Syria!"]


@pytest.fixture(scope="module")
def archive():
    return load_archive(SEED)


def html_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def statement_ids_in(urls: list[str]) -> set[str]:
    ids = set()
    for url in urls:
        parts = urlsplit(url).path.strip("/").split("/")
        assert parts[-2] == "statements", url
        ids.add(parts[-1])
    return ids


# -- the build ----------------------------------------------------------------------------------


def test_build_writes_a_pagefind_index_of_the_published_statements(output, archive):
    entry = json.loads((output / "pagefind" / "pagefind-entry.json").read_text("utf-8"))
    assert (output / "pagefind" / "pagefind.js").is_file()
    assert sum(language["page_count"] for language in entry["languages"].values()) == len(
        archive.chronological
    )
    labels = json.loads((output / PAGEFIND_LABELS).read_text("utf-8"))
    assert labels["speaker"]["mohammad-ali-jafari"] == "Mohammad Ali Jafari"
    assert set(labels) == {"speaker", "outlet", "theme", "source", "year"}
    assert labels["year"] == {"undated": "date not stated"}  # as the service labels it


def test_the_build_writes_the_archives_words_beside_the_pagefind_index(output, index_dir):
    table = json.loads((output / urls.search_table()).read_text("utf-8"))
    vocabulary = read_spellings(current_build(index_dir))
    skeletons = {
        shape: [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]
        for shape, flat in table["skeletons"].items()
    }
    # The service's variants table, most used first, with every word's count; every word once.
    assert {shape: [w for w, _ in words] for shape, words in skeletons.items()} == by_skeleton(
        vocabulary
    )
    counted = [pair for words in skeletons.values() for pair in words]
    counted += list(table["words"].items())
    assert len(counted) == len(vocabulary) and dict(counted) == vocabulary
    assert skeletons["hazbalah"] == [("hizbullah", vocabulary["hizbullah"])]
    assert "the" in table["stop"]["words"] and table["rule"]["min_word"] == 4
    assert table["other_names"] == {}  # the seed's themes and outlets have none
    page = html_of(output / "search" / "index.html")
    assert page.select_one("#static-search")["data-spellings"] == f"../{urls.search_table()}"


def test_only_statement_pages_carry_the_pagefind_body(output, archive):
    marked = {
        str(path.relative_to(output))
        for path in output.rglob("*.html")
        if html_of(path).select("[data-pagefind-body]")
    }
    assert marked == {f"statements/{s.id}/index.html" for s in archive.chronological}


def test_a_statement_page_gives_ids_as_filters_and_the_date_as_sort(output, archive):
    statement = archive.statements["jafari-press-conference"]
    page = html_of(output / "statements" / statement.id / "index.html")
    filters = [tag["data-pagefind-filter"] for tag in page.select("[data-pagefind-filter]")]
    assert "speaker:mohammad-ali-jafari" in filters
    assert {f"theme:{theme}" for theme in statement.theme_ids} <= set(filters)
    assert "year:2017" in filters
    assert not any(value.startswith("outlet:") for value in filters)  # none stated
    sorts = [tag["data-pagefind-sort"] for tag in page.select("[data-pagefind-sort]")]
    assert sorts == ["date:2017-11-23", f"listing:2017-11-23 {statement.id}"]
    meta = [tag["data-pagefind-meta"] for tag in page.select("[data-pagefind-meta]")]
    assert f"title:{statement.headline}" in meta


def test_an_undated_statement_is_filed_under_undated(output, archive):
    undated = [s for s in archive.chronological if s.date is None]
    assert undated  # the seed has one
    for statement in undated:
        page = html_of(output / "statements" / statement.id / "index.html")
        filters = [tag["data-pagefind-filter"] for tag in page.select("[data-pagefind-filter]")]
        assert [f for f in filters if f.startswith("year:")] == ["year:undated"]


def test_the_static_search_page_has_no_inline_script(output):
    page = html_of(output / "search" / "index.html")
    scripts = page.find_all("script")
    assert any(s.get("src", "").endswith("theme/js/static-search.js") for s in scripts)
    assert all(s.get("src") or s.get("type") == "application/ld+json" for s in scripts)


@pytest.fixture(scope="module")
def withdrawn_build(tmp_path_factory) -> dict:
    """The seed records with one statement withdrawn, built into folders of their own."""
    base = tmp_path_factory.mktemp("withdrawn")
    root = copy_records(base / "archive")
    # Claims may name only published statements: this test needs none of them.
    shutil.rmtree(root / "content" / "claims", ignore_errors=True)
    # A statement no other statement quotes or is quoted in.
    records = sorted((root / "content" / "statements").rglob("*.yaml"))
    texts = {path: path.read_text(encoding="utf-8") for path in records}
    record = next(
        path
        for path in records
        if not any(f'"{path.stem}"' in text for other, text in texts.items() if other != path)
    )
    text = texts[record]
    text = text.replace('attribution: "secondary"', 'attribution: "withdrawn"')
    text = text.replace("attribution_note: null", 'attribution_note: "Test: wrong speaker."')
    text = text.replace("withdrawn_on: null", 'withdrawn_on: "2024-01-02"')
    if "withdrawn_on:" not in text:
        text = text.replace("attribution_note:", 'withdrawn_on: "2024-01-02"\nattribution_note:')
    record.write_text(text, encoding="utf-8")
    output, index_dir = base / "output", base / "var" / "index"
    build(REPO / "pelicanconf.py", output=output, index_dir=index_dir, ONRECORD_ROOT=str(root))
    return {"root": root, "output": output, "index_dir": index_dir, "withdrawn": record.stem}


def test_a_tombstone_is_not_indexed(withdrawn_build, archive):
    output = withdrawn_build["output"]
    tombstone = html_of(output / "statements" / withdrawn_build["withdrawn"] / "index.html")
    assert "withdrawn" in tombstone.h1.get_text()
    assert not tombstone.select("[data-pagefind-body]")
    entry = json.loads((output / "pagefind" / "pagefind-entry.json").read_text("utf-8"))
    pages = sum(language["page_count"] for language in entry["languages"].values())
    assert pages == len(archive.chronological) - 1


def test_a_failing_pagefind_stops_the_build_and_nothing_is_swapped(withdrawn_build, tmp_path):
    output, index_dir = withdrawn_build["output"], withdrawn_build["index_dir"]
    before = tree_digest(output), tree_digest(index_dir)
    # A file where Pagefind's folder must go: the index cannot be put there.
    content = tmp_path / "content"
    (content / "pages").mkdir(parents=True)
    (content / "blocker.txt").write_text("in the way\n", encoding="utf-8")
    with pytest.raises(BuildError, match="Pagefind.s index could not be put in"):
        build(
            REPO / "pelicanconf.py",
            output=output,
            index_dir=index_dir,
            ONRECORD_ROOT=str(withdrawn_build["root"]),
            PATH=str(content),
            STATIC_PATHS=["blocker.txt"],
            EXTRA_PATH_METADATA={"blocker.txt": {"save_as": "pagefind"}},
        )
    assert (tree_digest(output), tree_digest(index_dir)) == before
    assert not list(output.parent.glob(".output.building-*"))


def test_onrecord_pagefind_false_builds_without_it(tmp_path):
    output = tmp_path / "output"
    build(
        REPO / "pelicanconf.py",
        output=output,
        index_dir=tmp_path / "var" / "index",
        ONRECORD_PAGEFIND=False,
    )
    assert not (output / "pagefind").exists() and not (output / PAGEFIND_LABELS).exists()
    assert not (output / urls.search_table()).exists()
    page = html_of(output / "search" / "index.html")
    assert not page.select('script[src$="static-search.js"]')
    assert "search service" in page.select_one("#static-search").get_text()


def service_page(output: Path, index_dir: Path, query: str) -> tuple[list[str], BeautifulSoup]:
    """The search service's /search/?<query> page for a built site: statuses and its HTML."""
    settings = settings_for(REPO / "pelicanconf.py")
    app = create_app(output, index_dir, Path(settings["THEME"]) / "templates", settings)
    environ = {"PATH_INFO": "/search/", "QUERY_STRING": query}
    setup_testing_defaults(environ)
    statuses = []
    body = b"".join(app(environ, lambda status, headers, exc=None: statuses.append(status)))
    return statuses, BeautifulSoup(body.decode(), "html.parser")


def test_behind_the_service_search_stays_server_rendered(output, index_dir):
    statuses, page = service_page(output, index_dir, "q=Basij")
    assert statuses == ["200 OK"]
    assert page.select("#results-h") and page.select("mark")
    assert not page.select('script[src$="static-search.js"]')


# -- in the browser, on a plain static host -------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def static_server(folder: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    server = subprocess.Popen(
        [*command, "--directory", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the static file server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def host(output) -> Iterator[str]:
    """output/ on a plain static file server: no search service anywhere."""
    yield from static_server(output)


@pytest.fixture
def new_page(browser, host):
    contexts = []

    def make(base_url: str = host, **options):
        context = browser.new_context(base_url=base_url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def with_csp(page, policy: str = CSP) -> None:
    """Every response as a static host sending `policy` would give it."""

    def add_policy(route):
        response = route.fetch()
        route.fulfill(
            response=response,
            headers={**response.headers, "content-security-policy": policy},
        )

    page.route("**/*", add_policy)


def searched(page, path: str) -> None:
    page.goto(path)
    expect(page.locator("#static-search")).not_to_have_attribute("aria-busy", "true")


def found_ids(page) -> set[str]:
    links = page.locator("#static-search .statement-list h3 a")
    return statement_ids_in([links.nth(n).get_attribute("href") for n in range(links.count())])


@pytest.mark.browser
def test_a_query_from_the_header_box_shows_results_and_a_speaker_narrows_them(new_page):
    page = new_page()
    with_csp(page)
    page.goto("/")
    page.locator("#site-search-q").fill("Basij")
    page.locator("#site-search-q").press("Enter")
    page.wait_for_url("**/search/?q=Basij")
    results = page.locator("#static-search .statement-list > li")
    expect(page.locator("#results-h")).to_have_text("3 statements for “Basij”")
    expect(results).to_have_count(3)
    expect(results.first.locator("blockquote.excerpt mark").first).to_have_text("Basij")
    expect(page.locator("#page-search-q")).to_have_value("Basij")
    expect(page.locator("#site-search-q")).to_have_value("Basij")

    facet = page.locator("#facet-speaker-h + ul").get_by_role("link", name="Mohammad Ali Jafari")
    expect(facet.locator("xpath=following-sibling::span[@class='count']")).to_have_text("2")
    facet.click()
    page.wait_for_url("**/search/?q=Basij&speaker=mohammad-ali-jafari")
    expect(page.locator("#results-h")).to_have_text("2 statements for “Basij”")
    expect(results).to_have_count(2)
    expect(page.locator(".active-filters strong")).to_have_text("Mohammad Ali Jafari")
    expect(page.locator(".facets strong[aria-current='true']")).to_have_text("Mohammad Ali Jafari")
    # The narrowing stays when the query changes, as on the service's page.
    expect(page.locator("form.big-search input[name='speaker']")).to_have_value(
        "mohammad-ali-jafari"
    )
    assert found_ids(page) == {"jafari-press-conference", "jafari-basij-conference"}

    results.first.locator("h3 a").click()
    expect(page.locator("article.statement h1")).to_be_visible()


@pytest.mark.browser
def test_both_engines_find_the_same_statements(new_page, index_dir):
    page = new_page()
    found_somewhere = 0
    for q in AGREED_QUERIES:
        expected = {hit["id"] for hit in whoosh.search(index_dir, q, per_page=100)["hits"]}
        searched(page, f"/search/?q={quote_plus(q)}")
        assert found_ids(page) == expected, q
        found_somewhere += bool(expected)
    assert found_somewhere >= 8  # the comparison is about results, not about empty pages


@pytest.mark.browser
@pytest.mark.parametrize("q", VARIANT_QUERIES)
def test_another_spelling_finds_on_both_engines_what_the_archives_finds(
    new_page, output, index_dir, q
):
    answer = whoosh.search(index_dir, q, per_page=100)
    assert answer["expanded"] and answer["total"]  # the query is one the service expands
    page = new_page()
    searched(page, f"/search/?q={quote_plus(q)}")
    assert found_ids(page) == {hit["id"] for hit in answer["hits"]}
    expect(page.locator("#results-h")).to_have_text(
        f"{answer['total']} statement{'s' if answer['total'] != 1 else ''} for “{q}”"
    )
    # Counted over the merged searches' statements, as the service counts its hits.
    labels = json.loads((output / PAGEFIND_LABELS).read_text("utf-8"))
    for name in ("speaker", "theme"):
        shown = page.locator(f"#facet-{name}-h + ul > li").all_inner_texts()
        assert sorted(" ".join(text.split()) for text in shown) == sorted(
            f"{labels[name].get(value, value)} {n}" for value, n in answer["facets"][name].items()
        ), name
    # Said as the service's page says it.
    said = "; ".join(
        f"“{word}” as " + " or ".join(found) for word, found in answer["expanded"].items()
    )
    expect(page.locator("#static-search p.expanded")).to_have_text(
        f"The archive spells {said}: those spellings were searched for too."
    )


@pytest.mark.browser
@pytest.mark.parametrize("q", TYPO_QUERIES)
def test_a_typo_shows_the_results_of_the_services_correction(new_page, index_dir, q):
    answer = whoosh.search(index_dir, q, per_page=100)
    assert answer["corrected"] and answer["total"]
    page = new_page()
    searched(page, f"/search/?q={quote_plus(q)}")
    assert found_ids(page) == {hit["id"] for hit in answer["hits"]}
    notice = page.locator("#static-search p.suggestion")
    expect(notice).to_have_text(
        f"Showing results for {answer['corrected']}. Search instead for {q}."
    )
    expect(notice.locator("a em")).to_have_text(answer["corrected"])
    expect(notice.locator("a").first).to_have_attribute(
        "href", f"?q={quote_plus(answer['corrected'])}"
    )
    expect(notice.locator("a").last).to_have_attribute("href", f"?q={quote_plus(q)}&exact=1")
    # As typed (exact=1): nothing, and the correction offered, on both engines.
    exact = whoosh.search(index_dir, q, per_page=100, exact=True)
    notice.locator("a").last.click()
    expect(page.locator("#static-search .zero-results")).to_be_visible()
    assert exact["total"] == 0 and exact["suggestion"] == answer["corrected"]
    expect(notice).to_have_text(f"Did you mean {answer['corrected']}?")


@pytest.mark.browser
def test_the_pages_skeletons_stems_and_corrections_are_the_services(new_page, index_dir):
    """The page's ports (static-search.js) against the Python they are ported from, on
    every word of the seed archive's vocabulary and on typos made from them."""
    from whoosh.lang.porter import stem

    vocabulary = read_spellings(current_build(index_dir))
    words = sorted(vocabulary)
    words += ["hezbollah", "suleimani", "alshabi", "asshams", "elbaradei", "qaaf", "ghoul"]
    assert len(words) > 300
    # Typos: a letter dropped, doubled, changed or two swapped, in every fifth word.
    typos = []
    for n, word in enumerate(w for w in sorted(vocabulary) if w.isalpha() and len(w) > 4):
        if n % 5 == 0:
            at = 1 + n % (len(word) - 2)
            typos += [
                word[:at] + word[at + 1 :],
                word[:at] + word[at] + word[at:],
                word[:at] + ("x" if word[at] != "x" else "z") + word[at + 1 :],
                word[:at] + word[at + 1] + word[at] + word[at + 2 :],
            ]
    typos = sorted({t for t in typos if t not in vocabulary})
    corrector = whoosh._RankedCorrector(vocabulary)
    expected_corrections = [(corrector.suggest(t, prefix=1, maxdist=2) or [None])[0] for t in typos]
    page = new_page()
    page.goto("/")  # any page: the module is imported, not run
    table_url = f"/{urls.search_table()}"
    found = page.evaluate(
        """async ([words, typos, tableUrl]) => {
            const m = await import("/theme/js/static-search.js");
            const table = await (await fetch(tableUrl)).json();
            const archive = new m.Words(table);
            return {
                skeletons: words.map(m.skeleton),
                stems: words.map(m.porterStem),
                corrections: typos.map((t) => archive.correction(t)),
            };
        }""",
        [words, typos, table_url],
    )
    assert found["skeletons"] == [skeleton(w) for w in words]
    assert found["stems"] == [stem(w) for w in words]
    assert len(typos) > 100 and sum(map(bool, expected_corrections)) > 50
    assert found["corrections"] == expected_corrections


@pytest.fixture(scope="module")
def with_synonyms(tmp_path_factory) -> Path:
    """The seed records with other names for a theme and an outlet, built with Pagefind."""
    base = tmp_path_factory.mktemp("synonyms")
    root = copy_records(base / "archive")
    for path, name, other_names in (
        ("content/themes/isis.yaml", "ISIS", ["Daesh", "ISIL", "Islamic State"]),
        ("content/outlets/kayhan.yaml", "Kayhan", ["Keyhan Daily"]),
    ):
        record = root / path
        listed = "".join(f'- "{other}"\n' for other in other_names)
        record.write_text(
            record.read_text(encoding="utf-8").replace(
                f'name: "{name}"\n', f'name: "{name}"\nother_names:\n{listed}'
            ),
            encoding="utf-8",
        )
    return build_records(root, base, ONRECORD_PAGEFIND=True)


@pytest.fixture(scope="module")
def synonyms_host(with_synonyms) -> Iterator[str]:
    yield from static_server(with_synonyms / "output")


@pytest.mark.browser
@pytest.mark.parametrize(
    ("q", "said"),
    [
        ("Daesh", "“Daesh” is another name for the theme ISIS"),
        ("ISIL", "“ISIL” is another name for the theme ISIS"),
        ("daesh Syria", "“daesh” is another name for the theme ISIS"),
        ("Keyhan Daily", "“Keyhan Daily” is another name for the outlet Kayhan"),
    ],
)
def test_another_name_finds_on_both_engines_what_the_service_finds(
    new_page, with_synonyms, synonyms_host, q, said
):
    table = json.loads((with_synonyms / "output" / urls.search_table()).read_text("utf-8"))
    assert table["other_names"]["daesh"] == ["theme", "isis"]
    assert table["other_names"]["islamic state"] == ["theme", "isis"]
    answer = whoosh.search(with_synonyms / "index", q, per_page=100)
    assert answer["total"]
    page = new_page(base_url=synonyms_host)
    searched(page, f"/search/?q={quote_plus(q)}")
    assert found_ids(page) == {hit["id"] for hit in answer["hits"]}
    expect(page.locator("#static-search p.synonyms")).to_have_text(
        f"{said}: the statements filed under it are found by it too."
    )
    # The service's page says it in the same words.
    _, served = service_page(
        with_synonyms / "output", with_synonyms / "index", f"q={quote_plus(q)}"
    )
    assert " ".join(served.select_one("p.synonyms").get_text().split()) == (
        f"{said}: the statements filed under it are found by it too."
    )


@pytest.mark.browser
def test_facets_and_listing_agree_with_the_service(new_page, output, index_dir):
    page = new_page()
    answer = whoosh.search(index_dir, "Basij", per_page=100)
    searched(page, "/search/?q=Basij")
    labels = json.loads((output / PAGEFIND_LABELS).read_text("utf-8"))
    # The static page has no claim facet (README: the engines' differences).
    for name in ("speaker", "outlet", "theme", "year", "source"):
        counts = answer["facets"][name]
        shown = page.locator(f"#facet-{name}-h + ul > li")
        expected = [f"{labels.get(name, {}).get(value, value)} {n}" for value, n in counts.items()]
        assert sorted(" ".join(text.split()) for text in shown.all_inner_texts()) == sorted(
            expected
        ), name
    # No words: everything (the filter lets through), newest first, as the service lists it.
    for params, path in (
        ({}, "/search/"),
        ({"theme": "basij"}, "/search/?theme=basij"),
        ({"year": "undated"}, "/search/?year=undated"),  # the year facet's "date not stated"
        ({"source": "sochi-triumph-report"}, "/search/?source=sochi-triumph-report"),
    ):
        listing = whoosh.search(index_dir, "", per_page=100, **params)
        searched(page, path)
        assert listed_ids(page) == [hit["id"] for hit in listing["hits"]], path


@pytest.mark.browser
def test_without_javascript_the_page_says_so_and_links_to_the_lists(new_page):
    page = new_page(java_script_enabled=False)
    page.goto("/search/?q=Basij")
    notice = page.locator("#static-search-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("needs JavaScript")
    for name in ("speakers", "themes", "outlets"):
        link = notice.get_by_role("link", name=name, exact=True)
        expect(link).to_have_attribute("href", f"../{name}/index.html")
    page.goto("/speakers/index.html")  # the links lead somewhere
    expect(page.locator("h1")).to_be_visible()


@pytest.mark.browser
def test_without_webassembly_allowed_the_page_says_search_could_not_load(new_page):
    page = new_page()
    with_csp(page, CSP.replace(" 'wasm-unsafe-eval'", ""))
    searched(page, "/search/?q=Basij")
    expect(page.locator("#static-search [role='alert']")).to_contain_text("could not be loaded")
    expect(page.locator("#static-search").get_by_role("link", name="speakers")).to_be_visible()


@pytest.fixture(scope="module")
def subfolder_host(output) -> Iterator[str]:
    """The site one folder down (`/output/`), as on a host serving it under a path."""
    yield from static_server(output.parent)


@pytest.mark.browser
def test_search_works_when_the_site_is_hosted_under_a_path(new_page, subfolder_host):
    page = new_page(base_url=subfolder_host)
    searched(page, "/output/search/?q=Soleimani")
    links = page.locator("#static-search .statement-list h3 a")
    expect(links).to_have_count(4)
    assert links.first.get_attribute("href").startswith("/output/statements/")
    page.locator("#facet-speaker-h + ul a").first.click()
    expect(page.locator("#results-h")).to_contain_text("for “Soleimani”")
    assert urlsplit(page.url).path == "/output/search/"
    links.first.click()
    expect(page.locator("article.statement h1")).to_be_visible()


@pytest.mark.browser
@pytest.mark.parametrize(
    "q",
    [
        "<Hezbollah>",  # expanded: the query and its words said back
        "<Bsaij>",  # corrected: the query and its correction in links
    ],
)
def test_a_query_holding_markup_is_shown_as_text(new_page, q):
    page = new_page()
    with_csp(page)
    searched(page, f"/search/?q={quote_plus(q)}")
    box = page.locator("#static-search")
    expect(box.locator("h3 a").first).to_be_visible()
    assert box.locator("hezbollah, bsaij, basij").count() == 0  # no element made of it
    assert f"for “{q}”" in box.locator("#results-h").inner_text()
    if "Bsaij" in q:  # the service's correction replaces the whole query term
        expect(box.locator("p.suggestion")).to_have_text(
            "Showing results for basij. Search instead for <Bsaij>."
        )


def test_a_rebuild_brings_the_table_up_to_date(tmp_path):
    root = copy_records(tmp_path / "archive")
    output, index_dir = tmp_path / "output", tmp_path / "var" / "index"

    def rebuild() -> dict:
        build(REPO / "pelicanconf.py", output=output, index_dir=index_dir, ONRECORD_ROOT=str(root))
        return json.loads((output / urls.search_table()).read_text("utf-8"))

    before = rebuild()
    assert "zanzibarian" not in json.dumps(before)
    record = next((root / "content" / "statements").rglob("*.yaml"))
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace('text:\n- "', 'text:\n- "Zanzibarian ', 1), encoding="utf-8")
    assert record.read_text(encoding="utf-8") != text
    after = rebuild()
    assert after["skeletons"][skeleton("zanzibarian")] == ["zanzibarian", 1]
    vocabulary = read_spellings(current_build(index_dir))
    counted = sum(len(flat) // 2 for flat in after["skeletons"].values()) + len(after["words"])
    assert counted == len(vocabulary)


@pytest.mark.browser
def test_us_in_capitals_finds_on_the_static_page_what_the_service_finds(new_page, index_dir):
    # Pagefind folds case, so the pronoun "us" is found too (README: intended differences);
    # every statement the service finds for the country is among the static page's.
    country = {hit["id"] for hit in whoosh.search(index_dir, "US", per_page=100)["hits"]}
    assert country
    page = new_page()
    searched(page, "/search/?q=US")
    assert country <= found_ids(page)
