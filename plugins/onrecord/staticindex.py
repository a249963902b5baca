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

Each run reads the very pages the site publishes, through a folder of hard links to them
(`statements/<id>/index.html`): the filters, meta, sort keys and weights stay declared once,
as data-pagefind-* attributes in theme/templates/statement.html.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
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
    if len(groups) == 1:
        _run(pagefind_command(site, into), site)
        # Pagefind leaves the files it did not write: a list of shards would be stale.
        (target / SHARDS).unlink(missing_ok=True)
        shutil.rmtree(target / SHARDS_DIR, ignore_errors=True)
    else:
        _build_shards(site, groups, target, jobs or JOBS)
    _write_labels(site, archive)


def _build_shards(site: Path, groups: list[list[Statement]], target: Path, jobs: int) -> None:
    """One Pagefind run per shard (`jobs` at a time), each over hard links to its pages,
    assembled in `target`."""
    work = target.parent / f".{target.name}.shards-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    folders = ["" if number == 0 else f"{SHARDS_DIR}/{number}/" for number in range(len(groups))]

    def index(number: int) -> None:
        pages = work / "pages" / str(number)
        for statement in groups[number]:
            page = urls.record("statement", statement.id) + "index.html"
            _link(site / page, pages / page)
        _run(pagefind_command(pages, work / "index" / folders[number]), site)
        shutil.rmtree(pages, ignore_errors=True)

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            # list(): the first failure is raised here (the runs already started finish).
            list(pool.map(index, range(len(groups))))
        written = work / "index" / SHARDS
        written.write_text(json.dumps(folders[1:]), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(work / "index", target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _link(page: Path, link: Path) -> None:
    """`link` to the same file as `page` (a copy where the file system has no hard links)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    if not page.is_file():
        return  # as the glob: a statement without a page is not indexed
    try:
        os.link(page, link)
    except OSError:
        shutil.copyfile(page, link)


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
    """`python -m onrecord.staticindex SITE INTO --root ROOT`: the index alone (the bench)."""
    import argparse

    from .records import load_archive

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("site", type=Path)
    parser.add_argument("into", type=Path)
    parser.add_argument("--root", type=Path, required=True, help="the archive's folder")
    parser.add_argument("--per-shard", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    site, into = args.site.resolve(), args.into.resolve()
    try:
        archive = load_archive(args.root)
        build_pagefind(site, archive, into, per_shard=args.per_shard, jobs=args.jobs)
    except PagefindError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
