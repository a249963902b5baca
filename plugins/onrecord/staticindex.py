"""The static host's search index: Pagefind over the rendered statement pages, in shards.

Pagefind holds every page it indexes in memory until it writes the index: about 160 KB a
statement page, 1.6 GB at 10,000 statements and 15 GiB at 100,000 in one run (issue #20).
So the statements are indexed in shards of at most `PER_SHARD` (one Pagefind run each, `JOBS`
at a time) and static-search.js searches them all in the browser and merges the
answers. A shard is a run of the listing order (newest first, as `listing_key` sorts): the
listing without query words is the shards' listings one after the other, and facet counts
are the shards' added up. An archive up to `PER_SHARD` statements (the seed, the fixtures)
is one shard, exactly the index one Pagefind run over the site writes.

Layout::

    output/pagefind/                      the newest shard, with pagefind.js (as one run
                                          writes it), and the key of the pages it indexes
    output/pagefind/shards.json           ["../pagefind-shards/<key>/", ...]: the other
                                          shards, newest first
    output/pagefind-shards/<key>/         each older shard, a Pagefind index of its own
    output/pagefind-labels.json           the facet values' display names

A shard's key is a digest of its statements' ids and their pages' fingerprints (the jobs'
fingerprints, pages.py: a page's bytes follow from it) and Pagefind's version: the index one
run writes over those pages. A rebuild indexes again only the shards whose key changed
(`refresh_pagefind`), and shards are cut where their statements say (`shards`), so adding a
statement changes one or two of them: at 100,000 statements an edit's Pagefind took 111 s
(every shard), now about 10 s (one or two of 24). An older shard is written beside the
others under its new key and is in use once `shards.json` names it; a new newest shard is
swapped in whole, with its `shards.json`.

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

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import metadata
from pathlib import Path

from . import urls
from .model import Statement
from .search import index as search_index

# Written beside pagefind/: facet values are ids (as the search service's), shown by name.
PAGEFIND_LABELS = "pagefind-labels.json"
# In pagefind/: the folders of the shards other than pagefind/ itself, newest first.
SHARDS = "shards.json"
# Beside pagefind/: the older shards, each in a folder named by its key.
SHARDS_DIR = "pagefind-shards"
# In pagefind/: the key of the newest shard, the one pagefind/ itself holds.
KEY_FILE = "shard-key.txt"
# Statements a Pagefind run indexes at most, and the runs at a time. Pagefind's peak memory
# grows with the pages of a run, some 160 KB each (measured on synthetic archives: 188 MB for
# 1,065 pages, 455 MB for 2,656, 1.5 GiB for 9,906 in one run), and a run keeps about one
# core busy: two runs of at most 5,000 at a time hold some 0.85 GiB each, 1.7 GiB together
# (100,000 statements: 24 shards, see `shards`; 13 shards of 7,620 one after the other took
# 1.3 GiB and 212 s of Pagefind; README).
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
    """`statements` in listing order (newest first), cut into runs of at most `per_shard`.

    Where a run ends depends on the statements there, not on how many come before it (the
    content-defined chunking of backup tools): at a statement whose id's digest is a
    multiple of `per_shard // 20` once the run holds four fifths of `per_shard`, else at
    `per_shard`. A statement added or withdrawn changes the run it is in (and the next, where
    that one was cut at `per_shard`); the other shards keep their keys. With even runs, every
    boundary moved and every shard was indexed again: 111 s at 100,000 statements for one
    statement added. Runs hold some 85% of `per_shard` (24 shards at 100,000, not 20). An
    archive of at most `per_shard` statements is one shard; none, one empty shard.
    """
    ordered = sorted(statements, key=listing_key, reverse=True)
    if len(ordered) <= per_shard:
        return [ordered]
    least, every = max(1, per_shard * 4 // 5), max(1, per_shard // 20)
    groups: list[list[Statement]] = [[]]
    for statement in ordered:
        run = groups[-1]
        run.append(statement)
        if len(run) >= per_shard or (len(run) >= least and _ends_a_run(statement, every)):
            groups.append([])
    return [run for run in groups if run]


def _ends_a_run(statement: Statement, every: int) -> bool:
    digest = hashlib.blake2b(statement.id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % every == 0


def pagefind_command(
    site: Path, into: Path | None = None, glob: str = STATEMENT_PAGES
) -> list[str]:
    """The Pagefind run over `site` (into `site/pagefind/`, or `into`), from `site`."""
    command = [sys.executable, "-m", "pagefind", "--site", str(site), "--quiet"]
    command += ["--glob", glob]
    return command + (["--output-path", str(into)] if into is not None else [])


def shard_keys(groups: list[list[Statement]], prints: Mapping[str, bytes]) -> list[str]:
    """Each shard's key: a digest of Pagefind's version and, for each of its statements, the
    id and the fingerprint of its page (`prints`, by the page's path). A page without one,
    and a shard without statements (Pagefind then reads the whole site), get a key of their
    own that no other run has: their index is never taken for another's."""
    keys = []
    for group in groups:
        digest = hashlib.blake2b(_pagefind_version().encode(), digest_size=16)
        for statement in group:
            printed = prints.get(statement_page(statement)) or os.urandom(16)
            digest.update(b"%s\0%s\n" % (statement.id.encode(), printed))
        if not group:
            digest.update(os.urandom(16))
        keys.append(digest.hexdigest())
    return keys


def statement_page(statement: Statement) -> str:
    """The path of the statement's page in the site (its job's key, as the generator's)."""
    return urls.save_as(urls.record("statement", statement.id))


@cache
def _pagefind_version() -> str:
    found = []
    for name in ("pagefind", "pagefind_bin"):
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} -")
    return ", ".join(found)


def build_pagefind(
    site: Path,
    archive,
    into: Path | None = None,
    *,
    prints: Mapping[str, bytes] | None = None,
    per_shard: int | None = None,
    jobs: int | None = None,
) -> list[str]:
    """Index the statement pages of the rendered `site` with Pagefind into `site/pagefind/`;
    return the shards' keys, newest first.

    Only statement pages carry `data-pagefind-body`, so only they are indexed (tombstones and
    redirect pages under statements/ have none); the glob spares Pagefind reading the rest.
    With `into`, the newest shard is written there instead (and the others beside it, in
    `SHARDS_DIR`). More statements than `per_shard` (default `PER_SHARD`) are indexed in
    shards, one Pagefind run each; `prints` are the pages' fingerprints by path (`shard_keys`).
    Raises PagefindError when Pagefind fails.
    """
    target = Path(into) if into is not None else site / "pagefind"
    groups = shards(archive.chronological, per_shard or PER_SHARD)
    keys = shard_keys(groups, prints or {})
    older = target.parent / SHARDS_DIR
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = _fresh_folder(target.parent, target.name)
    try:
        _build_shards(site, groups, keys, {0: fresh, **_missing(keys, older)}, jobs or JOBS)
        shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(fresh, target)
        except OSError as error:  # a file where the index goes, say
            raise PagefindError(f"Pagefind's index could not be put in {target}: {error}") from None
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    for folder in _unlisted(older, keys):
        shutil.rmtree(folder, ignore_errors=True)
    _write_labels(site, archive)
    return keys


def refresh_pagefind(
    site: Path,
    archive,
    swap: Callable[..., None],
    retire: Callable[[Path], None],
    *,
    prints: Mapping[str, bytes],
    per_shard: int | None = None,
    jobs: int | None = None,
) -> list[str]:
    """Index again the shards of `site/pagefind/` whose pages changed (their keys); return
    the shards' keys, newest first.

    Pagefind cannot update an index: a changed older shard is written anew under its new key
    beside the others, and a changed newest shard into a folder of its own, swapped in whole
    with `swap(new, old, attic=…)` (build.py's); until then the old index answers. The
    folders of shards no longer listed go to `retire` (build.py's, which removes them
    detached). Nothing changed: nothing is written.
    """
    target, older = site / "pagefind", site / SHARDS_DIR
    groups = shards(archive.chronological, per_shard or PER_SHARD)
    keys = shard_keys(groups, prints)
    newest_kept = _key_of(target) == keys[0]
    todo = _missing(keys, older)
    if newest_kept and not todo and _listed(target) == _shard_list(keys):
        return keys
    # Outside the site: a new index is never published half-written.
    fresh = None if newest_kept else _fresh_folder(site.parent, f"{site.name}.pagefind")
    try:
        _build_shards(site, groups, keys, {0: fresh, **todo} if fresh else todo, jobs or JOBS)
        if fresh is not None:
            swap(fresh, target, attic=site.parent)
        else:
            _write_list(target, keys)
    finally:
        if fresh is not None:
            shutil.rmtree(fresh, ignore_errors=True)
    for folder in _unlisted(older, keys):
        retire(folder)
    _write_labels(site, archive)
    return keys


def _fresh_folder(near: Path, name: str) -> Path:
    """An empty place for a new index named after `name`, in the folder `near`."""
    fresh = near / f".{name}.new-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    return fresh


def _missing(keys: list[str], older: Path) -> dict[int, Path]:
    """The shards but the newest whose key has no folder in `older` yet, by number: where
    each goes. (A folder appears whole when its run ends: one there is that shard's index.)"""
    folders = {number: older / key for number, key in enumerate(keys) if number}
    return {number: folder for number, folder in folders.items() if not folder.is_dir()}


def _unlisted(older: Path, keys: list[str]) -> list[Path]:
    """The folders in `older` of no shard of `keys`: an earlier index's."""
    listed = set(keys[1:])
    return [f for f in older.iterdir() if f.name not in listed] if older.is_dir() else []


def _key_of(index: Path) -> str | None:
    try:
        return (index / KEY_FILE).read_text(encoding="utf-8")
    except OSError:
        return None


def _shard_list(keys: list[str]) -> list[str] | None:
    """What `SHARDS` lists for `keys`: the older shards' folders from pagefind/, or None
    (one shard: no list, the index one Pagefind run writes)."""
    return [f"../{SHARDS_DIR}/{key}/" for key in keys[1:]] if len(keys) > 1 else None


def _listed(index: Path) -> list[str] | None:
    try:
        return json.loads((index / SHARDS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_list(index: Path, keys: list[str]) -> None:
    """`SHARDS` in `index` for `keys`, replaced at once (or removed: one shard)."""
    listed = _shard_list(keys)
    if listed is None:
        (index / SHARDS).unlink(missing_ok=True)
        return
    written = index / f".{SHARDS}.new"
    written.write_text(json.dumps(listed), encoding="utf-8")
    os.replace(written, index / SHARDS)


def _build_shards(
    site: Path, groups: list[list[Statement]], keys: list[str], into: dict[int, Path], jobs: int
) -> None:
    """One Pagefind run for each shard in `into` (its number → the folder it goes to), `jobs`
    at a time, over the excerpts of its pages. An older shard's folder appears whole, once
    its run is done; the newest's (number 0) gets the key file and the list of the others."""
    scratch = Path(tempfile.mkdtemp(prefix="onrecord-pagefind-", dir=SCRATCH))

    def index(number: int) -> None:
        pages = scratch / str(number)
        pages.mkdir()
        written = 0
        for statement in groups[number]:
            page = statement_page(statement)
            written += _write_excerpt(site / page, pages / page)
        # Nothing to index (no statement published yet): as one run over the site, which
        # Pagefind needs a page for.
        read = pages if written else site
        folder = into[number]
        run_into = folder if number == 0 else folder.with_name(f".{folder.name}.new")
        shutil.rmtree(run_into, ignore_errors=True)
        _run(pagefind_command(read, run_into), site)
        shutil.rmtree(pages, ignore_errors=True)
        if number == 0:
            (folder / KEY_FILE).write_text(keys[0], encoding="utf-8")
            _write_list(folder, keys)
        else:
            os.replace(run_into, folder)

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            # list(): the first failure is raised here (the runs already started finish).
            list(pool.map(index, sorted(into)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        for number, folder in into.items():
            if number:
                shutil.rmtree(folder.with_name(f".{folder.name}.new"), ignore_errors=True)


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
