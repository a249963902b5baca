"""The static host's search index: Pagefind over the rendered statement pages, in shards.

Pagefind holds every page it indexes in memory until it writes the index: about 160 KB a
statement page, 1.6 GB at 10,000 statements and 15 GiB at 100,000 in one run (issue #20).
So the statements are indexed in shards of at most `PER_SHARD` (one Pagefind run each, `JOBS`
at a time) and static-search.js searches them all in the browser and merges the
answers. A shard is a run of the listing order (newest first, as `listing_key` sorts): the
listing without query words is the shards' listings one after the other, and facet counts
are the shards' added up. An archive up to `PER_SHARD` statements (the seed, the fixtures)
is one shard, exactly the index one Pagefind run over the site writes.

Layout, swapped in whole (`refresh_pagefind`)::

    output/pagefind/               the newest shard, with pagefind.js (as one run writes it)
    output/pagefind/shards/<n>/    the older shards, each a Pagefind index of its own
    output/pagefind/shards.json    ["shards/1/", ...]: the other shards, newest first
    output/pagefind-labels.json    the facet values' display names

Each run reads what Pagefind indexes of the very pages the site publishes: a folder of
excerpts (`statements/<id>/index.html`), each a page's `<html>` tag and its
`data-pagefind-body` element as published (`excerpt`), so the filters, meta, sort keys and
weights stay declared once, as data-pagefind-* attributes in theme/templates/statement.html.
Pagefind parses 40% less HTML than the whole page (the head, header, navigation and
footer), and writes the same page records (tests/test_static_shards.py compares them on the
seed): 5,000 statement pages of a 100,000 archive took 10.9 s of Pagefind's CPU as hard links
to the pages, 8.8 s as excerpts.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import urls
from .model import Statement
from .search import index as search_index

# Written beside pagefind/: facet values are ids (as the search service's), shown by name.
PAGEFIND_LABELS = "pagefind-labels.json"
# In pagefind/: the folders of the shards other than pagefind/ itself, newest first.
SHARDS = "shards.json"
SHARDS_DIR = "shards"
# Statements a Pagefind run indexes at most, and the runs at a time. Pagefind's peak memory
# grows with the pages of a run, some 160 KB each (measured on synthetic archives: 188 MB for
# 1,065 pages, 455 MB for 2,656, 1.5 GiB for 9,906 in one run), and a run keeps about one
# core busy: two runs of at most 5,000 at a time hold some 0.85 GiB each, 1.7 GiB together
# (100,000 statements: 20 shards; 13 shards of 7,620 one after the other took 1.3 GiB and
# 212 s of Pagefind; README).
PER_SHARD = 5_000
JOBS = min(2, os.cpu_count() or 1)
STATEMENT_PAGES = "statements/*/index.html"
# Where the excerpts Pagefind reads are written: in memory where the system has a tmpfs.
# Creating files is what costs on a disk here: 100,000 excerpts took 1 ms a file of CPU on
# this machine's ext4 (0.4 ms as hard links), 0.17 ms in /dev/shm; a shard's excerpts are
# some 35 MB, removed when its run ends.
SCRATCH = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None


class PagefindError(Exception):
    """Pagefind could not be started or failed; build.py reports it as a BuildError."""


def listing_key(statement: Statement) -> str:
    """The statement's place in the static page's listing without query words (sorted
    descending): date, then id, undated ones last. The statement template's
    `data-pagefind-sort="listing:…"` and the shards' order both use it."""
    date = statement.date.isoformat() if statement.date else "0000-00-00"
    return f"{date} {statement.id}"


def shards(statements: Sequence[Statement], per_shard: int = PER_SHARD) -> list[list[Statement]]:
    """`statements` in listing order, cut into as few shards as `per_shard` allows, of even
    size (newest shard first). No statements: one empty shard (Pagefind writes an index)."""
    ordered = sorted(statements, key=listing_key, reverse=True)
    count = max(1, math.ceil(len(ordered) / max(1, per_shard)))
    size = math.ceil(len(ordered) / count) or 1
    return [ordered[start : start + size] for start in range(0, len(ordered), size)] or [[]]


def pagefind_command(
    site: Path, into: Path | None = None, glob: str = STATEMENT_PAGES
) -> list[str]:
    """The Pagefind run over `site` (into `site/pagefind/`, or `into`), from `site`."""
    command = [sys.executable, "-m", "pagefind", "--site", str(site), "--quiet"]
    command += ["--glob", glob]
    return command + (["--output-path", str(into)] if into is not None else [])


def build_pagefind(
    site: Path,
    archive,
    into: Path | None = None,
    *,
    per_shard: int | None = None,
    jobs: int | None = None,
) -> None:
    """Index the statement pages of the rendered `site` with Pagefind into `site/pagefind/`.

    Only statement pages carry `data-pagefind-body`, so only they are indexed (tombstones and
    redirect pages under statements/ have none); the glob spares Pagefind reading the rest.
    With `into`, the index is written there instead. More statements than `per_shard`
    (default `PER_SHARD`) are indexed in shards, one Pagefind run each. Raises
    PagefindError when Pagefind fails.
    """
    target = Path(into) if into is not None else site / "pagefind"
    groups = shards(archive.chronological, per_shard or PER_SHARD)
    _build_shards(site, groups, target, jobs or JOBS)
    _write_labels(site, archive)


def _build_shards(site: Path, groups: list[list[Statement]], target: Path, jobs: int) -> None:
    """One Pagefind run per shard (`jobs` at a time), each over the excerpts of its pages,
    assembled in `target` (which is replaced whole: nothing of an earlier index is left)."""
    work = target.parent / f".{target.name}.shards-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    folders = ["" if number == 0 else f"{SHARDS_DIR}/{number}/" for number in range(len(groups))]
    scratch = Path(tempfile.mkdtemp(prefix="onrecord-pagefind-", dir=SCRATCH))

    def index(number: int) -> None:
        pages = scratch / str(number)
        pages.mkdir()
        written = 0
        for statement in groups[number]:
            page = urls.record("statement", statement.id) + "index.html"
            written += _write_excerpt(site / page, pages / page)
        # Nothing to index (no statement published yet): as one run over the site, which
        # Pagefind needs a page for.
        read = pages if written else site
        _run(pagefind_command(read, work / "index" / folders[number]), site)
        shutil.rmtree(pages, ignore_errors=True)

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            # list(): the first failure is raised here (the runs already started finish).
            list(pool.map(index, range(len(groups))))
        if len(groups) > 1:  # one shard: the index one Pagefind run writes, and no list
            written = work / "index" / SHARDS
            written.write_text(json.dumps(folders[1:]), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(work / "index", target)
        except OSError as error:  # a file where the index goes, say
            raise PagefindError(f"Pagefind's index could not be put in {target}: {error}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)


BODY = "data-pagefind-body"


def excerpt(html: str) -> str | None:
    """What Pagefind indexes of a page: its `<html …>` tag (the language) and the element
    carrying `data-pagefind-body`, as printed; the whole page when any other data-pagefind-*
    attribute stands outside that element (Pagefind reads filters and meta anywhere), and
    None when the page has no such element (as Pagefind, which skips those pages once any
    page has one)."""
    marker = html.find(BODY)
    if marker < 0 or html.find(BODY, marker + len(BODY)) >= 0:
        return None if marker < 0 else html
    start = html.rfind("<", 0, marker)
    name = html[start + 1 : marker].split(None, 1)[0].lower() if start >= 0 else ""
    end = _closing(html, name, start) if name.isalnum() else -1
    opening = re.search(r"<html\b[^>]*>", html[:start], re.IGNORECASE) if start >= 0 else None
    if end < 0 or opening is None or "data-pagefind-" in html[:start] + html[end:]:
        return html
    return f"{opening.group(0)}<body>{html[start:end]}</body></html>"


def _closing(html: str, name: str, start: int) -> int:
    """Where the element named `name` that opens at `start` ends (after its closing tag),
    or -1."""
    tags = re.compile(rf"<(/?){name}\b", re.IGNORECASE)
    depth = 0
    for tag in tags.finditer(html, start):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            close = html.find(">", tag.end())
            return -1 if close < 0 else close + 1
    return -1


def _write_excerpt(page: Path, into: Path) -> bool:
    """The excerpt of `page` (`excerpt`) at `into`, and True; nothing for a page that is not
    there (as the glob: a statement without a page is not indexed) or has nothing to index."""
    try:
        html = page.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    indexed = excerpt(html)
    if indexed is None:
        return False
    into.parent.mkdir(parents=True, exist_ok=True)
    into.write_text(indexed, encoding="utf-8")
    return True


def _run(command: list[str], site: Path) -> None:
    try:
        # Pagefind resolves its own working directory: run it where the site is.
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=site)
    except OSError as error:
        raise PagefindError(f"Pagefind could not be started: {error}") from None
    if done.returncode != 0:
        said = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()][:3]
        raise PagefindError(
            f"Pagefind failed (exit {done.returncode}): {' / '.join(said) or 'no message'} "
            "(set ONRECORD_PAGEFIND = False in the settings to build without it)"
        )


def _write_labels(site: Path, archive) -> None:
    labels = search_index.facet_labels(archive)
    written = site / f".{PAGEFIND_LABELS}.new"
    written.write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")
    os.replace(written, site / PAGEFIND_LABELS)


def refresh_pagefind(site: Path, archive, swap: Callable[..., None]) -> None:
    """Rebuild `site/pagefind/` after an incremental build, swapping the new one in whole
    with `swap(new, old, attic=…)` (build.py's, which removes the old tree detached).

    Pagefind cannot update an index in place; until the new one is in, the old one answers.
    """
    fresh = site.parent / f".{site.name}.pagefind-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        build_pagefind(site, archive, into=fresh)
        swap(fresh, site / "pagefind", attic=site.parent)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m onrecord.staticindex SITE INTO --root ROOT`: the index alone (the bench).

    Prints the seconds the index took, the archive loaded (as a build has it already).
    """
    import argparse
    import time

    from .records import load_archive

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("site", type=Path)
    parser.add_argument("into", type=Path)
    parser.add_argument("--root", type=Path, required=True, help="the archive's folder")
    parser.add_argument("--records-cache", type=Path, default=None, help="a build's records cache")
    parser.add_argument("--per-shard", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    site, into = args.site.resolve(), args.into.resolve()
    try:
        archive = load_archive(args.root, cache_file=args.records_cache)
        started = time.perf_counter()
        build_pagefind(site, archive, into, per_shard=args.per_shard, jobs=args.jobs)
    except PagefindError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{time.perf_counter() - started:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
