"""Shared fixtures: the seed archive built once, for real, into a temporary folder."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
# The archive the tests build from: a frozen copy of the seed report's records (content/,
# speakers/, permalinks.txt), so an editor's new records never change what a test expects.
# The committed records get content-agnostic checks only (test_content.py).
SEED = REPO / "tests" / "fixtures" / "seed"


# What a search answer holds (the CLI's --json, /api/search.json, query.search), and a hit.
ANSWER_KEYS = frozenset(
    {"query", "total", "page", "pages", "hits", "facets", "suggestion", "expanded", "synonyms"}
    | {"corrected"}
)
HIT_KEYS = frozenset({"id", "url", "title", "speaker", "date", "score", "snippet"})


def copy_records(target: Path, source: Path = SEED) -> Path:
    """A copy of an archive's records (content/ and speakers/; the seed's by default)."""
    shutil.copytree(source / "content", target / "content")
    shutil.copytree(source / "speakers", target / "speakers")
    return target


def build_records(root: Path, base: Path, **override) -> Path:
    """The archive at `root` built with the repository's settings into `base` (output/ and
    index/, Pagefind off unless asked); returns `base`."""
    from onrecord.build import build

    override.setdefault("ONRECORD_PAGEFIND", False)
    build(
        REPO / "pelicanconf.py",
        output=base / "output",
        index_dir=base / "index",
        ONRECORD_ROOT=str(root),
        **override,
    )
    return base


def database_content(path: Path) -> bytes:
    """A database's schema and rows; its full-text index checked against its statements.

    Statements are compared with their rowids (the search index and Datasette join on
    them); the other tables' rowids are not data, so their rows are compared as sets.
    """
    with closing(sqlite3.connect(path)) as connection:
        # Fails when the full-text index does not hold exactly the statements' words.
        connection.execute("INSERT INTO statements_fts (statements_fts) VALUES ('integrity-check')")
        tables = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'statements_fts_%' "
            "ORDER BY name"
        ).fetchall()
        content = []
        for name, sql in tables:
            if not (sql or "").startswith("CREATE TABLE"):
                content.append((name, sql))
                continue
            rowid = "rowid, " if name == "statements" else ""
            rows = connection.execute(f"SELECT {rowid}* FROM {name}").fetchall()
            content.append((name, sql, sorted(rows, key=repr)))
    return repr(content).encode()


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The seed archive built by `onrecord build` into a temporary output folder.

    Returns the folder holding `output/` and `var/index/`.
    """
    from onrecord.build import build

    base = tmp_path_factory.mktemp("site")
    build(
        REPO / "pelicanconf.py",
        output=base / "output",
        index_dir=base / "var" / "index",
        ONRECORD_ROOT=str(SEED),
    )
    return base


@pytest.fixture(scope="session")
def output(built_site: Path) -> Path:
    return built_site / "output"


@pytest.fixture(scope="session")
def index_dir(built_site: Path) -> Path:
    return built_site / "var" / "index"


# -- a real server and a real browser ----------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright never downloads a browser here
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def serving(output_dir: Path, index: Path) -> Iterator[str]:
    """The search service over `output_dir` and `index`, on a free port; its base URL."""
    from waitress.server import create_server

    from onrecord.build import settings_for
    from onrecord.serve import create_app

    settings = settings_for(REPO / "pelicanconf.py")
    app = create_app(output_dir, index, Path(settings["THEME"]) / "templates", settings)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, name="test-server", daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()


@pytest.fixture(scope="module")
def site(output: Path, index_dir: Path) -> Iterator[str]:
    """The search service over the built seed site; its base URL."""
    with serving(output, index_dir) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through Playwright; a missing browser fails, never skips."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's chromium. "
            "Install it with `make browser` (or run `make test`, which does), "
            "never with `playwright install`.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def listed_ids(page) -> list[str]:
    """The ids of the statements the static search page lists, in its order."""
    links = page.locator("#static-search .statement-list h3 a")
    hrefs = [links.nth(n).get_attribute("href") for n in range(links.count())]
    return [urlsplit(href).path.split("/")[-2] for href in hrefs]
