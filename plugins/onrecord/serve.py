"""The search service: the built site through WhiteNoise, plus `/search/` and `/api/search.json`.

The only long-running process. It reads `output/`, the search index and the theme's
templates; it never imports the generator. A rebuilt index is picked up on the next
request (the search package watches the index's `current` link).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import jinja2
from whitenoise import WhiteNoise

from . import templating
from .search import query as search_query

SECURITY_HEADERS = [
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
]
FILTERS = ("speaker", "outlet", "theme", "year")
MAX_PARAM = 10_000  # characters kept of any one parameter

Environ = dict
StartResponse = Callable


def _params(environ: Environ) -> dict[str, str]:
    raw = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    return {key: values[0][:MAX_PARAM] for key, values in raw.items() if values}


def _search(index_dir: Path, params: dict[str, str], site_url: str) -> dict:
    try:
        page = max(1, int(params.get("page", "1") or 1))
    except ValueError:
        page = 1
    return search_query.search(
        index_dir,
        params.get("q", ""),
        **{name: params.get(name) or None for name in FILTERS},
        date_from=params.get("from") or None,
        date_to=params.get("to") or None,
        page=page,
        site_url=site_url,
    )


def create_app(output_dir: Path, index_dir: Path, templates_dir: Path, settings: dict) -> Callable:
    """The WSGI application serving `output_dir` with search over `index_dir`."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templating.install(env, link_index=False)
    env.globals.update(
        SITENAME=settings.get("SITENAME", "On the Record"),
        SITEURL="",
        DEFAULT_LANG=settings.get("DEFAULT_LANG", "en"),
        SITE_DESCRIPTION=settings.get("SITE_DESCRIPTION", ""),
    )
    not_found = output_dir / "404.html"

    def link(params: dict[str, str], **change: str | None) -> str:
        # Narrowing or widening the query starts again at page 1; the pager sets `page` itself.
        merged = {key: value for key, value in params.items() if key != "page"}
        merged.update(change)
        return "?" + urlencode({key: value for key, value in merged.items() if value})

    def respond(
        start_response: StartResponse, status: str, content_type: str, body: bytes
    ) -> Iterable[bytes]:
        start_response(
            status,
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-cache"),
            ],
        )
        return [body]

    def dynamic(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path in ("/search", "/search/", "/search/index.html"):
            params = _params(environ)
            results = _search(index_dir, params, "")
            labels = search_query.labels(index_dir)
            html = env.get_template("search.html").render(
                results=results,
                query=params.get("q", ""),
                params=params,
                labels=labels,
                link=lambda **change: link(params, **change),
                filters=FILTERS,
                canonical="",
            )
            return respond(start_response, "200 OK", "text/html; charset=utf-8", html.encode())
        if path == "/api/search.json":
            results = _search(index_dir, _params(environ), "")
            body = json.dumps(results, ensure_ascii=False).encode()
            return respond(start_response, "200 OK", "application/json; charset=utf-8", body)
        body = not_found.read_bytes() if not_found.exists() else b"Not found"
        return respond(start_response, "404 Not Found", "text/html; charset=utf-8", body)

    # autorefresh: `onrecord build` swaps output/ for a new tree; files are looked up per
    # request, so a rebuilt site is served at once, never with a stale length or ETag.
    static = WhiteNoise(
        dynamic, root=str(output_dir), index_file=True, autorefresh=True, max_age=60
    )

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        def with_headers(status: str, headers: list, exc_info=None):
            return start_response(status, headers + SECURITY_HEADERS, exc_info)

        path = environ.get("PATH_INFO", "")
        if path.startswith(("/search", "/api/")):
            return dynamic(environ, with_headers)
        return static(environ, with_headers)

    return app


def serve(
    output_dir: Path,
    index_dir: Path,
    templates_dir: Path,
    settings: dict,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    from waitress import serve as waitress_serve

    print(f"Serving On the Record on http://{host}:{port}/ (Ctrl-C stops)")
    waitress_serve(
        create_app(output_dir, index_dir, templates_dir, settings),
        host=host,
        port=port,
        threads=8,
        ident="onrecord",
    )
