"""The static host's index in shards (staticindex.py): the seed archive forced into three,
searched in the browser, must answer as the search service does, as one index does.

A big archive is indexed one Pagefind run per `PER_SHARD` statements (Pagefind's memory
grows with the pages of a run); static-search.js searches every shard and merges.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from conftest import SEED, listed_ids
from test_static_search import (
    AGREED_QUERIES,
    TYPO_QUERIES,
    VARIANT_QUERIES,
    found_ids,
    searched,
    static_server,
)

from onrecord import staticindex
from onrecord.build import BuildError, refresh_pagefind
from onrecord.records import load_archive
from onrecord.search import query as whoosh
from onrecord.staticindex import (
    PAGEFIND_LABELS,
    SHARDS,
    SHARDS_DIR,
    build_pagefind,
    excerpt,
    listing_key,
    pagefind_command,
    shard_keys,
    shards,
    statement_page,
)

PER_SHARD = 4  # the seed's 9 published statements: three shards of 3


@pytest.fixture(scope="module")
def archive():
    return load_archive(SEED)


@pytest.fixture(scope="module")
def sharded(output, archive, tmp_path_factory) -> Path:
    """The seed's built site, its Pagefind index rebuilt in shards of `PER_SHARD`."""
    site = tmp_path_factory.mktemp("sharded") / "output"
    shutil.copytree(output, site)
    build_pagefind(site, archive, per_shard=PER_SHARD)
    return site


def page_count(index: Path) -> int:
    entry = json.loads((index / "pagefind-entry.json").read_text("utf-8"))
    return sum(language["page_count"] for language in entry["languages"].values())


def test_shards_are_runs_of_the_listing_of_at_most_per_shard(archive):
    statements = archive.chronological
    groups = shards(statements, PER_SHARD)
    assert [len(group) for group in groups] == [3, 3, 3]
    listing = sorted(statements, key=listing_key, reverse=True)
    assert [s for group in groups for s in group] == listing
    assert shards(statements, len(statements)) == [listing]  # one shard when it fits
    assert shards([], PER_SHARD) == [[]]
    many = numbered(statements, 1000)
    groups = shards(many, 100)
    assert [s for group in groups for s in group] == sorted(many, key=listing_key, reverse=True)
    assert all(80 <= len(group) <= 100 for group in groups[:-1]) and len(groups[-1]) <= 100


def numbered(statements: list, count: int, prefix: str = "s") -> list:
    """`count` statements made from `statements` (their dates), each with an id of its own."""
    return [
        dataclasses.replace(statements[n % len(statements)], id=f"{prefix}{n:04d}")
        for n in range(count)
    ]


def test_adding_a_statement_changes_the_shard_it_joins_not_the_others(archive):
    """Shards are cut where their statements say, not by count: one more statement (any
    date) leaves all but one or two shards as they were, so their indexes are kept."""
    many = numbered(archive.chronological, 1000)
    before = {tuple(s.id for s in group) for group in shards(many, 100)}
    changed = []
    for new in numbered(archive.chronological, 30, prefix="new"):
        after = {tuple(s.id for s in group) for group in shards([*many, new], 100)}
        changed.append(len(after - before))
    assert max(changed) <= 2 and sum(changed) <= 1.5 * len(changed), changed


def test_every_statement_is_in_one_shard(sharded, archive, output):
    folders = json.loads((sharded / "pagefind" / SHARDS).read_text("utf-8"))
    assert len(folders) == 2 and all(f.startswith(f"../{SHARDS_DIR}/") for f in folders)
    assert sorted(p.name for p in (sharded / SHARDS_DIR).iterdir()) == sorted(
        Path(f).name for f in folders
    )
    indexes = [sharded / "pagefind", *(sharded / "pagefind" / folder for folder in folders)]
    assert [page_count(index) for index in indexes] == [3, 3, 3]
    assert (sharded / "pagefind" / "pagefind.js").is_file()
    assert json.loads((sharded / PAGEFIND_LABELS).read_text("utf-8"))["speaker"]
    # One shard (the seed with the default size): the index one Pagefind run writes, and
    # nothing left of the shards written before.
    build_pagefind(sharded, archive, into=sharded.parent / "whole")
    assert not (sharded.parent / "whole" / SHARDS).exists()
    assert page_count(sharded.parent / "whole") == page_count(output / "pagefind") == 9
    shutil.copytree(sharded / "pagefind", sharded.parent / "again")
    build_pagefind(sharded, archive, into=sharded.parent / "again")
    assert not (sharded.parent / "again" / SHARDS).exists()
    assert not (sharded.parent / SHARDS_DIR).exists()


def fragments(index: Path) -> dict[str, dict]:
    """Pagefind's page records in `index` (gzip, a signature, then JSON), by URL."""
    found = {}
    for file in (index / "fragment").iterdir():
        data = gzip.decompress(file.read_bytes())
        record = json.loads(data[data.index(b"{") :])
        found[record["url"]] = record
    return found


def test_pagefind_indexes_the_excerpts_as_it_indexes_the_whole_pages(output, archive, tmp_path):
    """The reference: one Pagefind run over the published statement pages themselves."""
    whole, excerpts = tmp_path / "whole", tmp_path / "excerpts"
    subprocess.run(pagefind_command(output, whole), cwd=output, check=True, capture_output=True)
    build_pagefind(output, archive, into=excerpts)
    expected = fragments(whole)
    assert len(expected) == 9 and fragments(excerpts) == expected
    # The word index numbers the pages in the order Pagefind finds their files (the file
    # system's): what it finds is compared with the service in the browser (below).
    assert page_count(excerpts) == page_count(whole) == 9


def indexed_words(site: Path) -> dict[str, str]:
    """Every page record of the site's index (each shard's), by URL: its indexed words."""
    index = site / "pagefind"
    listed = json.loads((index / SHARDS).read_text("utf-8")) if (index / SHARDS).exists() else []
    found = {}
    for folder in [index, *(index / name for name in listed)]:
        found.update({url: record["content"] for url, record in fragments(folder).items()})
    return found


def identity(folder: Path) -> tuple[int, int]:
    """A folder's inode and its index's entry file's: the same while nothing rewrote them."""
    return folder.stat().st_ino, (folder / "pagefind-entry.json").stat().st_ino


def test_a_refresh_indexes_again_only_the_shards_whose_pages_changed(output, archive, tmp_path):
    site = tmp_path / "output"
    shutil.copytree(output, site, ignore=shutil.ignore_patterns("pagefind*"))
    groups = shards(archive.chronological, PER_SHARD)
    pages = [[statement_page(s) for s in group] for group in groups]
    prints = {page: b"first" for group in pages for page in group}
    keys = build_pagefind(site, archive, prints=prints, per_shard=PER_SHARD)
    older = {key: site / SHARDS_DIR / key for key in keys[1:]}
    before = {"newest": identity(site / "pagefind")} | {k: identity(f) for k, f in older.items()}

    def refresh() -> list[str]:
        return refresh_pagefind(site, archive, prints, per_shard=PER_SHARD)

    assert refresh() == keys  # nothing changed: nothing indexed again
    assert identity(site / "pagefind") == before["newest"]
    assert {k: identity(f) for k, f in older.items()} == {k: before[k] for k in older}

    # A page of the oldest shard changes: that shard alone is indexed again, under a new key.
    edited = site / pages[2][0]
    edited.write_text(
        edited.read_text("utf-8").replace("data-pagefind-body>", "data-pagefind-body>Zyxwvut "),
        "utf-8",
    )
    prints[pages[2][0]] = b"second"
    again = refresh()
    assert again[:2] == keys[:2] and again[2] != keys[2]
    assert identity(site / "pagefind") == before["newest"]
    assert identity(older[keys[1]]) == before[keys[1]]
    assert sorted(p.name for p in (site / SHARDS_DIR).iterdir()) == sorted(again[1:])
    words = indexed_words(site)
    assert (
        len(words) == 9 and "zyxwvut" in words[f"/{pages[2][0].removesuffix('index.html')}"].lower()
    )

    # A page of the newest shard changes: the newest is swapped in, the others stay.
    prints[pages[0][1]] = b"second"
    last = refresh()
    assert last[1:] == again[1:] and last[0] != again[0]
    assert identity(site / "pagefind") != before["newest"]
    assert identity(older[keys[1]]) == before[keys[1]]
    assert indexed_words(site) == words  # the same pages (their bytes did not change)
    # The same pages from nothing: the same index.
    whole = tmp_path / "whole"
    shutil.copytree(site, whole, ignore=shutil.ignore_patterns("pagefind*"))
    build_pagefind(whole, archive, prints=prints, per_shard=PER_SHARD)
    assert indexed_words(whole) == words


def test_a_refresh_that_fails_leaves_the_index_as_it_was(output, archive, tmp_path, monkeypatch):
    site = tmp_path / "output"
    shutil.copytree(output, site, ignore=shutil.ignore_patterns("pagefind*"))
    groups = shards(archive.chronological, PER_SHARD)
    prints = {statement_page(s): b"first" for group in groups for s in group}
    build_pagefind(site, archive, prints=prints, per_shard=PER_SHARD)
    listed = (site / "pagefind" / SHARDS).read_text("utf-8")
    folders = sorted(p.name for p in (site / SHARDS_DIR).iterdir())
    words = indexed_words(site)
    prints[statement_page(groups[0][0])] = prints[statement_page(groups[2][0])] = b"second"
    failing = [sys.executable, "-c", "import sys; print('no pages'); sys.exit(3)"]
    monkeypatch.setattr(staticindex, "pagefind_command", lambda *args: failing)
    with pytest.raises(BuildError, match=r"Pagefind failed \(exit 3\): no pages"):
        refresh_pagefind(site, archive, prints, per_shard=PER_SHARD)
    assert (site / "pagefind" / SHARDS).read_text("utf-8") == listed
    assert sorted(p.name for p in (site / SHARDS_DIR).iterdir()) == folders  # nothing half-made
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]
    assert indexed_words(site) == words


def test_a_page_without_a_fingerprint_is_never_taken_for_indexed(archive):
    groups = shards(archive.chronological, PER_SHARD)
    prints = {statement_page(s): b"same" for group in groups for s in group}
    assert shard_keys(groups, prints) == shard_keys(groups, dict(prints))
    del prints[statement_page(groups[1][0])]
    first, second = shard_keys(groups, prints), shard_keys(groups, prints)
    assert first[0] == second[0] and first[2] == second[2] and first[1] != second[1]
    assert shard_keys([[]], {}) != shard_keys([[]], {})  # nothing to index: read the site


PAGE = (
    '<!DOCTYPE html><html lang="fa" dir="rtl"><head><title>T</title></head><body>'
    "<header><nav>Menu</nav></header><main>"
    '<article class="statement" data-pagefind-body><h1>Words</h1>'
    "<article><p>nested</p></article><p>more</p></article>"
    "<footer>Foot</footer></main></body></html>"
)


def test_an_excerpt_is_the_html_tag_and_the_indexed_element_as_printed():
    body = PAGE[PAGE.index('<article class="statement"') : PAGE.index("<footer>")]
    assert excerpt(PAGE) == f'<html lang="fa" dir="rtl"><body>{body}</body></html>'


@pytest.mark.parametrize(
    "page",
    [
        # Pagefind reads filters, meta and sort keys anywhere in a page.
        PAGE.replace("<footer>", '<footer data-pagefind-filter="speaker">'),
        PAGE.replace("<title>", '<meta data-pagefind-meta="image:x.png"><title>'),
        PAGE.replace("<p>more</p></article>", "<p>more</p>"),  # never closed
        PAGE.replace("<h1>", "<div data-pagefind-body>"),  # two bodies
    ],
)
def test_a_page_an_excerpt_might_not_index_alike_is_indexed_whole(page):
    assert excerpt(page) == page


def test_a_page_without_an_indexed_element_is_left_out():
    assert excerpt(PAGE.replace(" data-pagefind-body", "")) is None


@pytest.fixture(scope="module")
def sharded_host(sharded) -> Iterator[str]:
    yield from static_server(sharded)


@pytest.fixture
def sharded_page(browser, sharded_host):
    context = browser.new_context(base_url=sharded_host)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.mark.browser
def test_the_shards_find_what_the_service_finds(sharded_page, index_dir):
    found_somewhere = 0
    for q in [*AGREED_QUERIES, *VARIANT_QUERIES, *TYPO_QUERIES]:
        answer = whoosh.search(index_dir, q, per_page=100)
        searched(sharded_page, f"/search/?q={quote_plus(q)}")
        assert found_ids(sharded_page) == {hit["id"] for hit in answer["hits"]}, q
        found_somewhere += bool(answer["hits"])
    assert found_somewhere >= 20


@pytest.mark.browser
def test_the_shards_facets_and_listings_are_the_services(sharded_page, sharded, index_dir):
    labels = json.loads((sharded / PAGEFIND_LABELS).read_text("utf-8"))
    answer = whoosh.search(index_dir, "Basij", per_page=100)
    searched(sharded_page, "/search/?q=Basij")
    for name in ("speaker", "outlet", "theme", "year", "source"):
        shown = sharded_page.locator(f"#facet-{name}-h + ul > li").all_inner_texts()
        expected = [
            f"{labels[name].get(value, value)} {n}" for value, n in answer["facets"][name].items()
        ]
        assert sorted(" ".join(text.split()) for text in shown) == sorted(expected), name
    # Without words, every statement of every shard, in the service's order.
    for params, path in (
        ({}, "/search/"),
        ({"theme": "basij"}, "/search/?theme=basij"),
        ({"year": "undated"}, "/search/?year=undated"),
        ({"speaker": "mohammad-ali-jafari"}, "/search/?speaker=mohammad-ali-jafari"),
    ):
        listing = whoosh.search(index_dir, "", per_page=100, **params)
        searched(sharded_page, path)
        ids = listed_ids(sharded_page)
        assert ids == [hit["id"] for hit in listing["hits"]], path
        assert params or len(ids) == 9  # every statement of the three shards
