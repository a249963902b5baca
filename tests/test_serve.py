"""The search service over real HTTP: `onrecord serve` on 127.0.0.1, the seed site and index."""

from __future__ import annotations

import dataclasses
import gzip
import http.client
import json
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import ANSWER_KEYS, HIT_KEYS, REPO, SEED

from onrecord.cli import main
from onrecord.model import Archive
from onrecord.records import load_archive
from onrecord.search import build_index

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")
SERVER_START_S = 20


@dataclasses.dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def html(self) -> BeautifulSoup:
        return BeautifulSoup(self.body, "html.parser")

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@contextmanager
def running_server(output: Path, index_dir: Path, log: Path) -> Iterator[int]:
    """`onrecord serve` on 127.0.0.1 on a free port; yields the port, stops the server after."""
    command = [sys.executable, "-m", "onrecord.cli", "serve", "--port", "0"]
    command += ["--settings", str(REPO / "pelicanconf.py")]
    command += ["--output", str(output), "--index", str(index_dir)]
    with log.open("w") as log_file:
        server = subprocess.Popen(command, cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        yield _port_from_log(server, log)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _port_from_log(server: subprocess.Popen, log: Path) -> int:
    # Port 0 lets the system pick a free port; the server logs the one it got.
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", log.read_text())
        if found:
            return int(found.group(1))
        if server.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"onrecord serve did not start:\n{log.read_text()}")


def fetch(port: int, path: str, method: str = "GET", headers: dict | None = None) -> Reply:
    """One request, the path sent exactly as given (http.client neither quotes nor normalises)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def archive_with(archive: Archive, texts: dict[str, str]) -> Archive:
    """`archive` plus a statement for each id in `texts`, saying that text."""
    model = archive.statements["salami-martyrs-conference"]
    added = {
        statement_id: dataclasses.replace(model, id=statement_id, paragraphs=(text,), headline=text)
        for statement_id, text in texts.items()
    }
    return Archive.of(
        archive.speakers,
        archive.outlets,
        archive.themes,
        archive.sources,
        {**archive.statements, **added},
    )


def hit_links(page: Reply) -> list[str]:
    return [a["href"] for a in page.html.select("h3.statement-item-title a")]


def hit_ids(page: Reply) -> set[str]:
    return {href.strip("/").split("/")[-1] for href in hit_links(page)}


@pytest.fixture(scope="module")
def archive() -> Archive:
    return load_archive(SEED)


@pytest.fixture(scope="module")
def port(output, index_dir, tmp_path_factory) -> Iterator[int]:
    """The service over the session's seed site and index."""
    with running_server(output, index_dir, tmp_path_factory.mktemp("serve") / "log") as port:
        yield port


@pytest.fixture(scope="module")
def small_site(tmp_path_factory) -> Path:
    """A folder holding `output/` (a page and a precompressed file) and, beside it, a secret."""
    base = tmp_path_factory.mktemp("small")
    output = base / "output"
    output.mkdir()
    (output / "index.html").write_text("<!doctype html><title>home</title>", encoding="utf-8")
    (output / "notes.txt").write_text("plain notes " * 100, encoding="utf-8")
    # Different words in the .gz than in the file: the test can tell which one was sent.
    (output / "notes.txt.gz").write_bytes(gzip.compress(b"compressed notes " * 100))
    (base / "secret.txt").write_text("SECRET-OUTSIDE-OUTPUT", encoding="utf-8")
    return base


@pytest.fixture(scope="module")
def small_port(small_site, tmp_path_factory) -> Iterator[int]:
    """The service over `small_site`, with no search index at all."""
    log = tmp_path_factory.mktemp("serve-small") / "log"
    with running_server(small_site / "output", small_site / "no-index", log) as port:
        yield port


# -- files --------------------------------------------------------------------------------------


def test_home_page_is_html_with_the_security_headers(port):
    home = fetch(port, "/")
    assert home.status == 200
    assert home.headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in home.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in home.headers["Content-Security-Policy"]
    assert home.headers["X-Content-Type-Options"] == "nosniff"
    assert home.headers["Referrer-Policy"]


@pytest.mark.parametrize(
    "path", ["/search/?q=Basij", "/api/search.json?q=Basij", "/no/such/page/", "/theme/js/site.js"]
)
def test_every_response_carries_the_security_headers(port, path):
    headers = fetch(port, path).headers
    assert all(headers[name] for name in SECURITY_HEADERS)


def test_stylesheet_is_css_with_cache_control(port):
    css = fetch(port, "/theme/css/site.css")
    assert css.status == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert "max-age=" in css.headers["Cache-Control"]


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/statements/jafari-basij-conference/cite.bib", "text/x-bibtex"),
        ("/statements/jafari-basij-conference/cite.ris", "application/x-research-info-systems"),
        ("/feeds/all.atom.xml", "application/atom+xml"),
        ("/data/statements.csv", "text/csv"),
        ("/data/statements.json", "application/json"),
    ],
)
def test_data_and_citation_files_have_their_media_types(port, path, media_type):
    reply = fetch(port, path)
    assert reply.status == 200
    assert reply.headers["Content-Type"].split(";")[0] == media_type


def test_precompressed_file_is_sent_to_clients_accepting_gzip(small_port):
    reply = fetch(small_port, "/notes.txt", headers={"Accept-Encoding": "gzip"})
    assert reply.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(reply.body).startswith(b"compressed notes")


def test_plain_file_is_sent_to_clients_without_gzip(small_port):
    reply = fetch(small_port, "/notes.txt")
    assert reply.headers["Content-Encoding"] is None
    assert reply.body.startswith(b"plain notes")


def test_missing_page_is_the_site_404_page(port):
    reply = fetch(port, "/statements/no-such-statement/")
    assert reply.status == 404
    assert reply.html.h1.get_text() == "Not found"


TRAVERSALS = [
    "/../secret.txt",
    "/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/.%2e/secret.txt",
    "/..%2fsecret.txt",
    "/..%2Fsecret.txt",
    "/%2e%2e%2fsecret.txt",
    "/%252e%252e%252fsecret.txt",
    "/%252e%252e/secret.txt",
    "/..\\secret.txt",
    "/..%5csecret.txt",
    "/%5c..%5csecret.txt",
    "/index.html/../../secret.txt",
    "/./../secret.txt",
    "//../secret.txt",
    "/..%00/secret.txt",
    "/%00/../secret.txt",
    "/secret.txt%00",
    "/search/../../secret.txt",
    "/api/../../secret.txt",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_outside_output_is_not_found(small_port, path):
    reply = fetch(small_port, path)
    assert reply.status == 404
    assert b"SECRET" not in reply.body


def test_absolute_path_to_a_file_outside_output_is_not_found(small_port, small_site):
    # "//abs/path" survives normalisation; joined to output/ naively it would leave it.
    reply = fetch(small_port, "/" + str(small_site / "secret.txt"))
    assert reply.status == 404
    assert b"SECRET" not in reply.body


# -- the results page ---------------------------------------------------------------------------


def test_results_mark_the_words_and_link_the_matching_statements(port, archive):
    page = fetch(port, "/search/?q=Basij")
    assert page.status == 200
    assert page.html.select_one(".excerpt mark").get_text() == "Basij"
    said_basij = {s.id for s in archive.chronological if "basij" in " ".join(s.paragraphs).lower()}
    assert hit_ids(page) == said_basij
    assert all(fetch(port, href).status == 200 for href in hit_links(page))


def test_results_are_titled_with_the_statement_headlines(port, archive):
    page = fetch(port, "/search/?q=Basij")
    titles = {a.get_text() for a in page.html.select("h3.statement-item-title a")}
    assert archive.statements["javan-basij-editorial"].headline in titles


def test_results_page_works_without_script(port):
    # The form submits to the service by GET; nothing on the page needs JavaScript.
    form = fetch(port, "/search/?q=Basij").html.select_one("form.big-search")
    assert form["method"] == "get"
    assert form.select_one("input[name=q]")["value"] == "Basij"


def test_facet_link_narrows_the_results(port):
    before = fetch(port, "/search/?q=Basij")
    facet = before.html.select_one("section[aria-labelledby=facet-speaker-h] a")
    after = fetch(port, urljoin("/search/?q=Basij", facet["href"]))
    speakers = {
        meta.get_text().split(" · ")[0] for meta in after.html.select(".statement-item .meta")
    }
    assert 0 < len(hit_links(after)) <= len(hit_links(before))
    assert speakers == {facet.get_text()}


def test_facet_link_keeps_the_query(port):
    page = fetch(port, "/search/?q=Basij")
    facet = page.html.select_one("section[aria-labelledby=facet-theme-h] a")
    assert parse_qs(urlsplit(facet["href"]).query)["q"] == ["Basij"]


def test_active_filter_can_be_removed(port):
    page = fetch(port, "/search/?q=Basij&speaker=javan")
    remove = page.html.select_one(".active-filters a")
    assert parse_qs(urlsplit(remove["href"]).query) == {"q": ["Basij"]}


def test_misspelling_finding_nothing_shows_the_corrections_results(port):
    page = fetch(port, "/search/?q=basj")
    notice = page.html.select_one(".suggestion")
    assert notice.get_text(" ", strip=True) == (
        "Showing results for basij . Search instead for basj ."
    )
    assert len(hit_links(page)) == 3
    corrected, typed = notice.select("a")
    assert parse_qs(urlsplit(corrected["href"]).query) == {"q": ["basij"]}
    assert parse_qs(urlsplit(typed["href"]).query) == {"q": ["basj"], "exact": ["1"]}
    instead = fetch(port, urljoin("/search/?q=basj", typed["href"]))
    assert hit_links(instead) == []
    suggestion = instead.html.select_one(".suggestion a")
    assert suggestion.get_text() == "basij"  # "did you mean" when the words are kept as typed
    assert len(hit_links(fetch(port, urljoin("/search/", suggestion["href"])))) == 3


def test_zero_results_page_helps(port):
    page = fetch(port, "/search/?q=xylophone&speaker=javan")
    help_text = page.html.select_one(".zero-results").get_text(" ", strip=True)
    assert page.status == 200
    assert "No statement matches “xylophone”" in help_text
    assert "Check the spelling" in help_text
    assert page.html.select_one(".zero-results a[href='?q=xylophone']")  # without the filters


def test_query_error_is_explained_not_failed(port):
    page = fetch(port, "/search/?year=abc")
    assert page.status == 400
    assert "year must be a number" in page.html.select_one("[role=alert]").get_text()


def test_head_request_has_headers_and_no_body(port):
    # http.client reads no body after HEAD whatever comes; a raw socket sees what is sent.
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(
            b"HEAD /search/?q=Basij HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        received = b"".join(iter(lambda: connection.recv(65536), b""))
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert re.search(rb"\r\nContent-Length: [1-9]", head)
    assert body == b""


def test_post_to_search_is_not_allowed(port):
    reply = fetch(port, "/search/?q=Basij", method="POST")
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET, HEAD"


def test_search_without_an_index_says_it_is_unavailable(small_port):
    reply = fetch(small_port, "/search/?q=Basij")
    assert reply.status == 503
    assert "index has not been built" in reply.html.select_one("[role=alert]").get_text()


# -- paging -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paged_port(archive, output, tmp_path_factory) -> Iterator[int]:
    """The service over an index with 25 statements saying "quokka": two pages of results."""
    base = tmp_path_factory.mktemp("paged")
    texts = {f"quokka-{n:02d}": f"The quokka number {n} spoke." for n in range(25)}
    build_index(archive_with(archive, texts), base / "index")
    with running_server(output, base / "index", base / "log") as port:
        yield port


def test_pager_links_to_the_next_page(paged_port):
    first = fetch(paged_port, "/search/?q=quokka")
    following = first.html.select_one(".pager a[rel=next]")
    second = fetch(paged_port, urljoin("/search/?q=quokka", following["href"]))
    assert (len(hit_links(first)), len(hit_links(second))) == (20, 5)
    assert not hit_ids(first) & hit_ids(second)
    assert second.html.select_one(".statement-list")["start"] == "21"


def test_page_past_the_last_links_back(paged_port):
    page = fetch(paged_port, "/search/?q=quokka&page=99")
    last = page.html.find("a", string="the last page")
    assert parse_qs(urlsplit(last["href"]).query)["page"] == ["2"]


# -- the API ------------------------------------------------------------------------------------


def test_api_answers_what_the_cli_prints(port, index_dir, capsys):
    main(["search", "Basij", "--theme", "syria", "--json", "--index", str(index_dir)])
    printed = json.loads(capsys.readouterr().out)
    reply = fetch(port, "/api/search.json?q=Basij&theme=syria")
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.json == printed


def test_api_answer_has_the_documented_shape(port):
    answer = fetch(port, "/api/search.json?q=Basij").json
    assert set(answer) == ANSWER_KEYS
    assert set(answer["hits"][0]) == HIT_KEYS
    assert set(answer["facets"]) == {"speaker", "outlet", "theme", "year", "source", "claim"}


def test_api_facets_count_like_the_archive(port, archive):
    facets = fetch(port, "/api/search.json").json["facets"]
    published = archive.chronological
    assert facets["speaker"] == Counter(s.speaker_id for s in published)
    assert facets["outlet"] == Counter(s.outlet_id for s in published if s.outlet_id)
    assert facets["theme"] == Counter(t for s in published for t in s.theme_ids)
    years = Counter(f"{s.date.year:04d}" if s.date else "undated" for s in published)
    assert facets["year"] == years


def test_api_filter_facets_count_like_the_archive(port, archive):
    facets = fetch(port, "/api/search.json?speaker=mohammad-ali-jafari").json["facets"]
    jafari = archive.by_speaker["mohammad-ali-jafari"]
    assert facets["theme"] == Counter(t for s in jafari for t in s.theme_ids)


def test_api_error_is_a_400_with_the_message(port):
    reply = fetch(port, "/api/search.json?from=2018-01-01&to=2017-01-01")
    assert reply.status == 400
    assert "date range is empty" in reply.json["error"]


# -- hostile input ------------------------------------------------------------------------------

HOSTILE_QUERIES = [
    "q=speaker%3A%28",
    "q=speaker:(",
    'q="unbalanced',
    "q=%22unbalanced%22%22",
    "q=*",
    "q=*:*",
    "q=" + "x" * 10_240,
    "q=" + "Basij+" * 1_700,
    "q=%01%02%1b%7f%c2%85",
    "q=%00",
    "q=Basij%00speaker",
    "q=%ff%fe",
    "q=%c3",
    "q=%ed%a0%80",
    "speaker=%ff",
    "q=%",
    "q=%zz%%",
    "page=999999999999999999999999999999",
    "page=" + "9" * 5_000,
    "q=Basij&page=-1",
    "q=Basij&page=abc",
    "q=Basij&page=1.5",
    "q=Basij&page=",
    "q=Basij&page=0x10",
    "q=Basij&unknown=1&utm_source=x",
    "q=Basij&q=Jafari&page=1&page=2&speaker=a&speaker=javan",
    "year=abc",
    "year=99999",
    "year=-2017",
    "from=2017-13-45",
    "from=2018-01-01&to=2017-01-01",
    "theme=" + "x" * 10_000,
    "q=NOT+NOT",
    "q=OR+OR+AND",
    "q=(((((",
    "q=)))",
    "q=a:b:c",
    "q=year:[2017+TO",
    "q=theme:*",
    "q=ba*",
    "q=%5C%5C",
    "q=<script>alert(1)</script>",
    "=x&&&q",
    "q;speaker=javan",
]


@pytest.mark.parametrize("endpoint", ["/search/", "/api/search.json"])
@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=lambda q: q[:40])
def test_hostile_input_never_gets_a_server_error(port, endpoint, query):
    assert fetch(port, f"{endpoint}?{query}").status < 500


def test_markup_in_the_query_is_shown_as_text(port):
    page = fetch(port, "/search/?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert b"<script>alert" not in page.body


# -- a rebuilt index ----------------------------------------------------------------------------


def test_service_uses_a_rebuilt_index_without_restart(archive, output, tmp_path):
    build_index(archive, tmp_path / "index")
    with running_server(output, tmp_path / "index", tmp_path / "log") as port:
        before = fetch(port, "/api/search.json?q=axolotl").json
        build_index(
            archive_with(archive, {"axolotl-statement": "The axolotl spoke."}), tmp_path / "index"
        )
        after = fetch(port, "/api/search.json?q=axolotl").json
    assert before["total"] == 0
    assert [hit["id"] for hit in after["hits"]] == ["axolotl-statement"]
