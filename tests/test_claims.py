"""Claims: checkable assertions as records of their own, checked against the statements' words.

The span check runs on a copy of the small good archive with one claim added; the pages,
structured data, exports and search are read from the seed site `onrecord build` makes
(the `output` and `index_dir` fixtures), as parsed HTML, JSON, CSV and SQLite.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from wsgiref.util import setup_testing_defaults

import pytest
from bs4 import BeautifulSoup
from conftest import REPO, SEED
from playwright.sync_api import expect

from onrecord import cli, jsonld, permalinks, urls
from onrecord.build import settings_for
from onrecord.fmt import canonical_text, schema_comment
from onrecord.model import Archive
from onrecord.problems import RecordError
from onrecord.records import claim_kinds, load_archive
from onrecord.search.query import search
from onrecord.serve import create_app
from onrecord.writers import paragraph_segments

GOOD = Path(__file__).resolve().parent / "fixtures" / "good"
SPEECH = "khamenei-ahl-al-bayt-speech"
CLAIM_FILE = "content/claims/test-claim.yaml"
# A claim the seed records make twice, in two speakers' words.
NEW_WAR = "every-new-war-ends-israel"
JAFARI_WORDS = "every new war will cause the eradication of the Zionist regime"


@pytest.fixture(scope="module")
def archive() -> Archive:
    return load_archive(SEED)


def page(output: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((output / path / "index.html").read_text(encoding="utf-8"), "html.parser")


def site_path(page_path: str, href: str) -> tuple[str, str]:
    """The site path (`statements/x/`) and fragment a link on the page at `page_path` opens."""
    parts = urlsplit(urljoin(f"http://site/{page_path}", href))
    return parts.path.lstrip("/").removesuffix("index.html"), parts.fragment


# -- the span check --------------------------------------------------------------------------


def with_claim(tmp_path: Path, reviews: list | None = None, **appearance) -> Path:
    """The good archive plus one claim whose single appearance is in Khamenei's speech."""
    root = tmp_path / "archive"
    shutil.copytree(GOOD, root)
    data = {
        "id": "test-claim",
        "summary": "A test claim.",
        "kind": "threat",
        "appearances": [{"statement": SPEECH, **appearance}],
        "reviews": reviews or [],
        "notes": None,
    }
    path = root / CLAIM_FILE
    path.parent.mkdir(parents=True)
    path.write_text(canonical_text(data, "claim", schema_comment(root, "claim", path)), "utf-8")
    return root


def problems_of(root: Path) -> list[str]:
    with pytest.raises(RecordError) as caught:
        load_archive(root)
    return [str(problem) for problem in caught.value.problems]


def test_words_found_once_are_placed_at_their_offset(tmp_path):
    exact = "The cancerous growth Israel must be fought"
    archive = load_archive(with_claim(tmp_path, paragraph=4, exact=exact))
    [span] = archive.claim_spans["test-claim"]
    text = archive.statements[SPEECH].paragraphs[3]
    assert (span.start, span.before + span.exact + span.after) == (text.index(exact), text)


def test_words_missing_from_the_paragraph_are_reported_at_exact(tmp_path):
    root = with_claim(tmp_path, paragraph=4, exact="The cancerous growth Israel must be beaten")
    assert problems_of(root) == [
        f"{CLAIM_FILE}:8:10: `exact` not found in paragraph 4 of '{SPEECH}' "
        "(copy the words exactly from the statement's text)"
    ]


def test_words_found_twice_are_ambiguous(tmp_path):
    root = with_claim(tmp_path, paragraph=4, exact="The issue of Palestine")
    assert problems_of(root) == [
        f"{CLAIM_FILE}:8:10: `exact` occurs 2 times in paragraph 4: add `prefix` or `suffix` "
        "(the text right before or after the words you mean, to single them out)"
    ]


def test_a_prefix_picks_the_place_it_comes_right_before(tmp_path):
    exact = "The issue of Palestine"
    root = with_claim(tmp_path, paragraph=4, exact=exact, prefix="for the Islamic world. ")
    [span] = load_archive(root).claim_spans["test-claim"]
    assert span.start == span.text.index(exact, 1)


def test_a_suffix_picks_the_place_it_comes_right_after(tmp_path):
    exact = "The issue of Palestine"
    root = with_claim(tmp_path, paragraph=4, exact=exact, suffix=" is top priority")
    [span] = load_archive(root).claim_spans["test-claim"]
    assert span.start == 0


def test_a_prefix_that_is_not_right_before_the_words_is_reported(tmp_path):
    root = with_claim(tmp_path, paragraph=4, exact="The issue of Palestine", prefix="Iran. ")
    assert problems_of(root) == [
        f"{CLAIM_FILE}:9:11: `prefix` is not the text right before `exact` in paragraph 4 "
        "(copy the words just before, exactly, spaces included)"
    ]


def test_an_appearance_in_a_withdrawn_statement_is_refused(tmp_path):
    root = with_claim(tmp_path, paragraph=1, exact="Iran stands, and will stand")
    record = root / "content/statements/2017" / f"{SPEECH}.yaml"
    text = record.read_text(encoding="utf-8")
    text = text.replace('attribution: "secondary"', 'attribution: "withdrawn"')
    text = text.replace("attribution_note: null", 'attribution_note: "A test."')
    record.write_text(text + 'withdrawn_on: "2024-01-02"\n', encoding="utf-8")
    assert problems_of(root) == [
        f"{CLAIM_FILE}:6:14: statement '{SPEECH}' is withdrawn "
        "(claims appear only in published statements: remove this appearance)"
    ]


def test_seed_claims_pass_the_check(capsys):
    assert cli.main(["--root", str(SEED), "check"]) == 0
    assert capsys.readouterr().err == ""


def test_seed_claims_are_tidy(capsys):
    paths = [str(path) for path in sorted((SEED / "content" / "claims").glob("*.yaml"))]
    assert paths
    assert cli.main(["--root", str(SEED), "fmt", "--check", *paths]) == 0
    assert capsys.readouterr().err == ""


def test_claim_kinds_come_from_the_schema():
    schema = json.loads((REPO / "schema" / "claim.schema.json").read_text(encoding="utf-8"))
    assert claim_kinds() == tuple(schema["properties"]["kind"]["enum"])


def test_seed_claims_recur_across_statements(archive):
    spans = archive.claim_spans[NEW_WAR]
    assert {span.statement.id for span in spans} == {
        "jafari-press-conference",
        "salami-martyrs-conference",
    }


def test_new_claim_is_written_with_every_field(tmp_path, capsys):
    root = tmp_path / "archive"
    shutil.copytree(GOOD, root)
    args = ["--root", str(root), "new", "claim", "--summary", "Israel must be fought."]
    assert cli.main([*args, "--kind", "threat"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path == root / "content/claims/israel-must-be-fought.yaml"
    assert "appearances: []\nreviews: []\nnotes: null\n" in path.read_text(encoding="utf-8")


def test_new_claim_without_appearances_fails_the_check(tmp_path, capsys):
    root = tmp_path / "archive"
    shutil.copytree(GOOD, root)
    cli.main(["--root", str(root), "new", "claim", "--summary", "X.", "--kind", "threat"])
    capsys.readouterr()
    assert cli.main(["--root", str(root), "check"]) == 1
    assert "a claim needs at least one appearance" in capsys.readouterr().err


# -- statement text cut into segments ---------------------------------------------------------


def test_overlapping_claims_link_their_shared_words_to_the_narrowest(archive):
    spans = archive.claims_by_statement["jafari-basij-conference"]
    in_paragraph = [span for span in spans if span.paragraph == 2]
    segments = paragraph_segments(in_paragraph[0].text, in_paragraph)
    shared = next(s for s in segments if len(s.claims) == 2)
    assert shared.text == "nearly 100,000 popular forces were formed"
    assert shared.claim.id == "nearly-100000-popular-forces-in-syria"


def test_segments_join_back_into_the_paragraph(archive):
    for spans in archive.claims_by_statement.values():
        for number in {span.paragraph for span in spans}:
            at = [span for span in spans if span.paragraph == number]
            joined = "".join(s.text for s in paragraph_segments(at[0].text, at))
            assert joined == at[0].text


# -- pages -----------------------------------------------------------------------------------


def test_claims_page_lists_every_claim_under_its_kind(output, archive):
    soup = page(output, "claims")
    for claim in archive.claims.values():
        section = soup.find(id=f"kind-{claim.kind}-h").parent
        targets = {site_path("claims/", a["href"])[0] for a in section.find_all("a")}
        assert f"claims/{claim.id}/" in targets


def test_claims_page_ranks_claims_by_appearances(output, archive):
    ranked = page(output, "claims").find(id="most-h").parent
    counts = [int(tag.get_text()) for tag in ranked.select("li .count")]
    assert counts == sorted(counts, reverse=True)
    assert len(counts) == len(archive.claims)


def test_header_navigation_links_to_the_claims(output):
    nav = page(output, "statements/salami-martyrs-conference").find("nav", class_="site-nav")
    link = nav.find("a", string="Claims")
    assert site_path("statements/salami-martyrs-conference/", link["href"])[0] == "claims/"


def test_claim_page_marks_the_words_inside_their_paragraph(output, archive):
    soup = page(output, f"claims/{NEW_WAR}")
    for item, span in zip(soup.select("li.appearance"), archive.claim_spans[NEW_WAR], strict=True):
        assert item.find("mark").get_text() == span.exact
        assert item.find("blockquote").get_text() == span.text


def test_claim_page_links_each_appearance_to_its_paragraph(output, archive):
    soup = page(output, f"claims/{NEW_WAR}")
    for item, span in zip(soup.select("li.appearance"), archive.claim_spans[NEW_WAR], strict=True):
        opened = {site_path(f"claims/{NEW_WAR}/", a["href"]) for a in item.find_all("a")}
        assert (f"statements/{span.statement.id}/", f"p{span.paragraph}") in opened


def test_claim_page_lists_appearances_in_date_order(output):
    soup = page(output, f"claims/{NEW_WAR}")
    dates = [item.find("time")["datetime"] for item in soup.select("li.appearance")]
    assert dates == sorted(dates) == ["2017-11-22", "2017-11-23"]


def test_claim_page_names_the_first_appearance(output):
    soup = page(output, f"claims/{NEW_WAR}")
    first = soup.find("dt", string="First appearance").find_next_sibling("dd")
    assert "Hossein Salami" in first.get_text()
    assert first.find("time")["datetime"] == "2017-11-22"


def test_text_fragment_terms_encode_the_directive_characters():
    fragment = urls.text_fragment("a-b, c&d", prefix="x y", suffix="é")
    assert fragment == ":~:text=x%20y-,a%2Db%2C%20c%26d,-%C3%A9"


def test_claim_page_deep_link_highlights_the_words_by_prefix_exact_and_suffix(output, archive):
    claim = "hashd-al-shabi-modelled-on-basij"
    span = next(s for s in archive.claim_spans[claim] if s.appearance.suffix)
    item = page(output, f"claims/{claim}").select("li.appearance")[
        archive.claim_spans[claim].index(span)
    ]
    href = item.find("a", class_="text-fragment")["href"]
    page_url, _, directive = href.partition("#")
    assert page_url.endswith(f"/statements/{span.statement.id}/")
    place, _, terms = directive.partition(":~:text=")
    assert place == f"p{span.paragraph}"
    assert [unquote(term) for term in terms.split(",")] == [span.exact, "-, and for this reason"]


def test_statement_page_marks_claim_words_with_a_link_to_the_claim(output):
    path = "statements/salami-martyrs-conference/"
    mark = page(output, path).find(id="p3").find("mark", class_="claim-words")
    assert mark.get_text() == "every new war means wiping Israel off the geography of the world"
    assert site_path(path, mark.find("a")["href"])[0] == f"claims/{NEW_WAR}/"


def test_statement_page_keeps_the_marked_paragraph_verbatim(output, archive):
    path = "statements/jafari-basij-conference"
    rendered = page(output, path).find(id="p2").find("p").get_text()
    assert rendered == "¶ " + archive.statements["jafari-basij-conference"].paragraphs[1]


def test_statement_page_lists_its_claims(output, archive):
    path = "statements/jafari-press-conference/"
    section = page(output, path).find(id="claims-h").parent
    listed = {site_path(path, a["href"])[0] for a in section.find_all("a")}
    expected = {f"claims/{s.claim.id}/" for s in archive.claims_by_statement[path.split("/")[1]]}
    assert expected <= listed


def test_speaker_page_lists_the_claims_and_who_else_made_them(output):
    path = "speakers/hossein-salami/"
    item = next(
        li
        for li in page(output, path).find(id="claims-h").parent.find_all("li")
        if site_path(path, li.find("a")["href"])[0] == f"claims/{NEW_WAR}/"
    )
    others = {site_path(path, a["href"])[0] for a in item.find_all("a")[1:]}
    assert others == {"speakers/mohammad-ali-jafari/"}


def test_claim_pages_are_in_the_sitemap(output, archive):
    sitemap = (output / "sitemap.xml").read_text(encoding="utf-8")
    locs = set(re.findall(r"<loc>([^<]+)</loc>", sitemap))
    for claim_id in archive.claims:
        assert any(loc.endswith(f"/claims/{claim_id}/") for loc in locs)


def test_claim_pages_are_permalinks(archive):
    produced = permalinks.produced(archive)
    assert {f"/claims/{claim_id}/" for claim_id in archive.claims} <= produced
    assert permalinks.unlisted(permalinks.read(SEED / permalinks.FILE_NAME), archive) == []


# -- structured data ---------------------------------------------------------------------------


def claim_ld(output: Path, claim_id: str) -> dict:
    script = page(output, f"claims/{claim_id}").find("script", type="application/ld+json")
    return json.loads(script.string)


def test_claim_jsonld_is_a_claim_by_the_first_speaker(output):
    data = claim_ld(output, NEW_WAR)
    assert (data["@type"], data["identifier"]) == ("Claim", NEW_WAR)
    assert data["author"]["name"] == "Hossein Salami"
    assert data["datePublished"] == "2017-11-22"


def test_claim_jsonld_lists_every_appearance_with_its_url(output, archive):
    data = claim_ld(output, NEW_WAR)
    assert data["firstAppearance"] == data["appearance"][0]
    assert [a["@type"] for a in data["appearance"]] == ["Quotation", "Quotation"]
    assert [a["url"].split("/statements/")[1] for a in data["appearance"]] == [
        f"{span.statement.id}/#p{span.paragraph}" for span in archive.claim_spans[NEW_WAR]
    ]


def test_claim_jsonld_gives_reviews_as_claim_reviews(tmp_path):
    review = {"by": "A Checker", "date": "2020-01-02", "url": "https://x.test/r", "verdict": "Odd"}
    root = with_claim(tmp_path, [review], paragraph=4, exact="The cancerous growth")
    archive = load_archive(root)
    data = jsonld.claim_jsonld(archive.claims["test-claim"], archive, "https://s/c/", "https://s")
    [given] = data["review"]
    assert (given["@type"], given["author"]["name"], given["datePublished"]) == (
        "ClaimReview",
        "A Checker",
        "2020-01-02",
    )


# -- exports ---------------------------------------------------------------------------------


def test_claims_json_holds_every_claim_with_its_appearances(output, archive):
    items = json.loads((output / "data" / "claims.json").read_text(encoding="utf-8"))
    assert {item["id"]: len(item["appearances"]) for item in items} == {
        claim_id: len(spans) for claim_id, spans in archive.claim_spans.items()
    }


def test_claims_json_appearance_points_at_its_paragraph(output):
    items = json.loads((output / "data" / "claims.json").read_text(encoding="utf-8"))
    first = next(item for item in items if item["id"] == NEW_WAR)["appearances"][1]
    assert (first["statement"], first["paragraph"], first["exact"]) == (
        "jafari-press-conference",
        10,
        JAFARI_WORDS,
    )
    assert first["url"].endswith("/statements/jafari-press-conference/#p10")


def test_claims_csv_has_a_row_per_appearance(output, archive):
    with (output / "data" / "claims.csv").open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == sum(len(spans) for spans in archive.claim_spans.values())
    assert {row["claim_id"] for row in rows} == set(archive.claims)


@pytest.fixture(scope="module")
def database(output):
    connection = sqlite3.connect(output / "data" / "onrecord.db")
    yield connection
    connection.close()


def test_sqlite_has_claims_and_their_appearances(database, archive):
    claims = {row[0] for row in database.execute("SELECT id FROM claims")}
    (appearances,) = database.execute("SELECT count(*) FROM claim_appearances").fetchone()
    assert claims == set(archive.claims)
    assert appearances == sum(len(spans) for spans in archive.claim_spans.values())


def test_sqlite_claim_appearances_reference_claims_statements_and_paragraphs(database):
    rows = database.execute("PRAGMA foreign_key_list(claim_appearances)").fetchall()
    references = {(row[3], row[2], row[4]) for row in rows}
    assert references == {
        ("claim_id", "claims", "id"),
        ("statement_id", "statements", "id"),
        ("statement_id", "paragraphs", "statement_id"),
        ("paragraph", "paragraphs", "number"),
    }
    assert database.execute("PRAGMA foreign_key_check").fetchall() == []


# -- search ----------------------------------------------------------------------------------


def making(archive: Archive, kind: str) -> set[str]:
    return {
        statement_id
        for statement_id, spans in archive.claims_by_statement.items()
        if any(span.claim.kind == kind for span in spans)
    }


def test_search_filters_statements_by_claim_kind(index_dir, archive):
    answer = search(index_dir, "", claim="threat", per_page=100)
    assert {hit["id"] for hit in answer["hits"]} == making(archive, "threat")


def test_search_command_takes_a_claim_kind(index_dir, archive, capsys):
    args = ["--root", str(SEED), "search", "--index", str(index_dir), "--json"]
    assert cli.main([*args, "--claim", "accusation", "Israel"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    unfiltered = {hit["id"] for hit in search(index_dir, "Israel", per_page=100)["hits"]}
    assert {hit["id"] for hit in hits} == making(archive, "accusation") & unfiltered


def test_search_service_takes_a_claim_kind(output, index_dir, archive):
    settings = settings_for(REPO / "pelicanconf.py")
    app = create_app(output, index_dir, Path(settings["THEME"]) / "templates", settings)
    environ = {"PATH_INFO": "/api/search.json", "QUERY_STRING": "claim=prediction"}
    setup_testing_defaults(environ)
    body = b"".join(app(environ, lambda status, headers, exc_info=None: None))
    assert {hit["id"] for hit in json.loads(body)["hits"]} == making(archive, "prediction")


# -- in a browser ----------------------------------------------------------------------------


@pytest.mark.browser
def test_an_appearance_link_lands_on_the_paragraph_with_the_words_marked(site, browser):
    page = browser.new_page(base_url=site, viewport={"width": 1280, "height": 800})
    try:
        page.goto(f"/claims/{NEW_WAR}/")

        page.get_by_role("link", name="Paragraph 10 of the statement").click()

        page.wait_for_url(re.compile(r"/statements/jafari-press-conference/.*#p10$"))
        assert page.evaluate("document.querySelector(':target').id") == "p10"
        mark = page.locator("#p10 mark.claim-words")
        expect(mark).to_have_text(JAFARI_WORDS)
        expect(mark).to_be_in_viewport()
        background = mark.evaluate("el => getComputedStyle(el).backgroundColor")
        assert background != "rgba(0, 0, 0, 0)"
    finally:
        page.close()
