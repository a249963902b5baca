"""The search service: the built site through WhiteNoise, plus `/search/` and `/api/search.json`.

The only long-running process. It reads `output/`, the search index and the theme's
templates; it never imports the generator. A rebuilt index is picked up on the next
request (the search package watches the index's `current` link), a rebuilt site too
(WhiteNoise looks each file up per request).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import jinja2
from waitress import create_server as waitress_server
from whitenoise import WhiteNoise

from . import templating
from .model import PartialDate
from .search import IndexMissing
from .search import prepare as prepare_search
from .search import query as search_query

# On every response, files and search pages alike. No inline script anywhere: the only
# <script> blocks the site has are JSON-LD data, which script-src does not govern.
SECURITY_HEADERS = [
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    # Search URLs hold what a researcher looked for: other sites are not told.
    ("Referrer-Policy", "same-origin"),
]
# Parameters that narrow a search (the results page names them as they are spelled).
NARROWING = ("speaker", "outlet", "theme", "year", "source", "from", "to", "claim")
# `exact=1`: the query as typed, never replaced by its correction ("Search instead for").
PARAMETERS = ("q", *NARROWING, "page", "exact")  # every other parameter is ignored
PER_PAGE = 20  # as `onrecord search`, so the API answers exactly what `--json` prints
MAX_PARAM = 10_000  # characters kept of any one parameter; search() refuses long queries
SEARCH_PATHS = ("/search", "/search/", "/search/index.html")
API_PATH = "/api/search.json"
# WhiteNoise's table lacks the archive's citation and data formats (it would say
# application/octet-stream, and nosniff forbids browsers to guess better).
MEDIA_TYPES = {
    ".bib": "text/x-bibtex",
    ".ris": "application/x-research-info-systems",
    ".csv": "text/csv",
    ".db": "application/vnd.sqlite3",
}
STATIC_MAX_AGE = 60  # seconds: file names carry no content hash, so a rebuild must show soon

Environ = dict
StartResponse = Callable
App = Callable[[Environ, StartResponse], Iterable[bytes]]


def read_params(environ: Environ) -> dict[str, str]:
    """The known parameters: the first value of each, control characters removed."""
    # Undo the server's Latin-1 decoding: browsers send UTF-8 (and %ff decodes to U+FFFD).
    text = environ.get("QUERY_STRING", "").encode("latin-1", "replace").decode("utf-8", "replace")
    raw = parse_qs(text)
    params = {name: raw[name][0][:MAX_PARAM] for name in PARAMETERS if name in raw}
    cleaned = {name: search_query.clean_query(value) for name, value in params.items()}
    return {name: value for name, value in cleaned.items() if value}


def run_search(index_dir: Path, params: dict[str, str]) -> dict:
    """The answer object for `params`, as `onrecord search --json` prints it."""
    return search_query.search(
        index_dir,
        params.get("q", ""),
        speaker=params.get("speaker"),
        outlet=params.get("outlet"),
        source=params.get("source"),
        theme=params.get("theme"),
        year=params.get("year"),
        date_from=params.get("from"),
        date_to=params.get("to"),
        claim=params.get("claim"),  # a claim kind: statements making such a claim
        page=params.get("page", 1),  # search() reads "abc", "-1" and overflows as page 1
        per_page=PER_PAGE,
        exact=params.get("exact") == "1",
    )


def unavailable(params: dict[str, str]) -> dict:
    """The answer when there is no index to search (the site is served all the same)."""
    return {
        "query": params.get("q", ""),
        "total": 0,
        "page": 1,
        "pages": 0,
        "hits": [],
        "facets": {},
        "suggestion": None,
        "expanded": {},
        "synonyms": [],
        "corrected": None,
        "error": "Search is not available yet: the search index has not been built.",
    }


def link(params: dict[str, str], **change: str | None) -> str:
    """A query string for `params` changed by `change` (None removes a parameter).

    Any change starts again at page 1 unless it sets the page itself.
    """
    merged = {name: value for name, value in params.items() if name != "page"}
    merged.update(change)
    return "?" + urlencode({name: value for name, value in merged.items() if value})


def iso_to_human(value: str | None) -> str:
    """`2017-11-23` as `23 November 2017` (`2017-11` as `November 2017`), as pages show dates."""
    return templating.human_date(PartialDate.parse(value)) if value else ""


def template_environment(templates_dir: Path, settings: dict) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templating.install(env, link_index=False)
    env.filters["iso_to_human"] = iso_to_human
    # Links from the site root: a results page answers at /search/ and /search/index.html.
    env.globals.update(
        SITENAME=settings.get("SITENAME", "On the Record"),
        SITEURL="",
        DEFAULT_LANG=settings.get("DEFAULT_LANG", "en"),
        SITE_DESCRIPTION=settings.get("SITE_DESCRIPTION", ""),
    )
    return env


def status_of(answer: dict, index_ready: bool) -> str:
    if not index_ready:
        return "503 Service Unavailable"
    return "400 Bad Request" if "error" in answer else "200 OK"


def respond(
    environ: Environ,
    start_response: StartResponse,
    status: str,
    content_type: str,
    body: bytes,
) -> Iterable[bytes]:
    start_response(
        status,
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            # Answers change with every index build; the search pages are not for engines.
            ("Cache-Control", "no-cache"),
            ("X-Robots-Tag", "noindex"),
        ],
    )
    # Waitress sends whatever the application returns, HEAD or not.
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


def create_app(output_dir: Path, index_dir: Path, templates_dir: Path, settings: dict) -> App:
    """The WSGI application serving `output_dir` with search over `index_dir`."""
    env = template_environment(templates_dir, settings)
    not_found_page = Path(output_dir) / "404.html"

    def results_page(params: dict[str, str]) -> tuple[str, bytes]:
        try:
            answer = run_search(index_dir, params)
            labels = search_query.labels(index_dir)
            index_ready = True
        except IndexMissing:
            answer, labels, index_ready = unavailable(params), {}, False
        html = env.get_template("search.html").render(
            results=answer,
            query=answer["query"],
            params=params,
            labels=labels,
            narrowing=NARROWING,
            per_page=PER_PAGE,
            link=lambda **change: link(params, **change),
            unfiltered=link(params, **dict.fromkeys(NARROWING)),
            canonical="",
        )
        return status_of(answer, index_ready), html.encode()

    def api_answer(params: dict[str, str]) -> tuple[str, bytes]:
        try:
            answer, index_ready = run_search(index_dir, params), True
        except IndexMissing:
            answer, index_ready = unavailable(params), False
        return status_of(answer, index_ready), json.dumps(answer, ensure_ascii=False).encode()

    def search_routes(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response(
                "405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Length", "0")]
            )
            return []
        params = read_params(environ)
        if environ.get("PATH_INFO") == API_PATH:
            status, body = api_answer(params)
            return respond(environ, start_response, status, "application/json; charset=utf-8", body)
        status, body = results_page(params)
        return respond(environ, start_response, status, "text/html; charset=utf-8", body)

    def not_found(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        # Read per request: a rebuilt site brings its own 404 page.
        body = not_found_page.read_bytes() if not_found_page.is_file() else b"Not found"
        return respond(environ, start_response, "404 Not Found", "text/html; charset=utf-8", body)

    # autorefresh: `onrecord build` swaps output/ for a new tree; files are looked up per
    # request, so a rebuilt site is served at once, never with a stale length or ETag.
    # WhiteNoise serves `x.gz` (and `x.br`) in place of `x` to clients accepting them.
    static = WhiteNoise(
        not_found,
        root=str(output_dir),
        index_file=True,
        autorefresh=True,
        max_age=STATIC_MAX_AGE,
        mimetypes=MEDIA_TYPES,
        add_headers_function=atom_feed_type,
    )

    moves = Redirects(Path(output_dir) / REDIRECTS_FILE)

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        def with_security_headers(status: str, headers: list, exc_info=None):
            return start_response(status, headers + SECURITY_HEADERS, exc_info)

        path = environ.get("PATH_INFO", "")
        # output/search/index.html is for hosts without the service; here the service answers.
        if path in (*SEARCH_PATHS, API_PATH):
            return search_routes(environ, with_security_headers)
        # A former URL moved permanently, as `_redirects` tells static hosts that read it;
        # the page at the old URL (a meta refresh) is for the hosts that do not.
        target = moves.target(path)
        if target is not None:
            query = environ.get("QUERY_STRING")
            location = target + (f"?{query}" if query else "")
            headers = [("Location", location), ("Content-Length", "0")]
            with_security_headers("301 Moved Permanently", headers)
            return []
        return static(environ, with_security_headers)

    return app


REDIRECTS_FILE = "_redirects"  # `old new 301` lines, written by the build


class Redirects:
    """The build's `_redirects` file as a lookup, read again whenever it changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: tuple[int, int] | None = None
        self.moved: dict[str, str] = {}
        self.lock = threading.Lock()

    def target(self, path: str) -> str | None:
        """Where `path` (a former page, with or without `index.html`) moved, or None."""
        try:
            status = self.path.stat()
        except OSError:
            return None
        with self.lock:
            if self.seen != (status.st_mtime_ns, status.st_size):
                self.moved = dict(self._lines())
                self.seen = (status.st_mtime_ns, status.st_size)
            moved = self.moved
        page = path.removesuffix("index.html")
        return moved.get(page) or moved.get(page + "/")

    def _lines(self) -> Iterable[tuple[str, str]]:
        for line in self.path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].startswith("/"):
                yield parts[0], parts[1]


def atom_feed_type(headers, path: str, url: str) -> None:
    # Feeds are `*.atom.xml`; WhiteNoise types files by their last extension only.
    if path.endswith(".atom.xml"):
        headers["Content-Type"] = "application/atom+xml; charset=utf-8"


def create_server(
    output_dir: Path,
    index_dir: Path,
    templates_dir: Path,
    settings: dict,
    host: str = "127.0.0.1",
    port: int = 8000,
):
    """A waitress server for the service, listening but not yet running (port 0: any free one)."""
    return waitress_server(
        create_app(output_dir, index_dir, templates_dir, settings),
        host=host,
        port=port,
        threads=8,
        ident="onrecord",
    )


def serve(
    output_dir: Path,
    index_dir: Path,
    templates_dir: Path,
    settings: dict,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Serve until Ctrl-C; logs the address it listens on (the real port when `port` is 0)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    server = create_server(output_dir, index_dir, templates_dir, settings, host, port)
    # Opened now rather than at the first query: its files are read ahead meanwhile.
    with suppress(IndexMissing):
        prepare_search(index_dir)
    server.print_listen("Serving On the Record on http://{}:{}/ (Ctrl-C stops)")
    server.run()
