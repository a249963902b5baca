"""The static host's index in shards (staticindex.py): the seed archive forced into three,
searched in the browser, must answer as the search service does, as one index does.

A big archive is indexed one Pagefind run per `PER_SHARD` statements (Pagefind's memory
grows with the pages of a run); static-search.js searches every shard and merges.
"""

from __future__ import annotations

import json
import shutil
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

from onrecord.records import load_archive
from onrecord.search import query as whoosh
from onrecord.staticindex import PAGEFIND_LABELS, SHARDS, build_pagefind, listing_key, shards

PER_SHARD = 3  # the seed's 9 published statements: three shards of 3


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


def test_shards_are_runs_of_the_listing_of_even_size(archive):
    statements = archive.chronological
    groups = shards(statements, PER_SHARD)
    assert [len(group) for group in groups] == [3, 3, 3]
    listing = sorted(statements, key=listing_key, reverse=True)
    assert [s for group in groups for s in group] == listing
    assert shards(statements, len(statements)) == [listing]  # one shard when it fits
    assert [len(g) for g in shards(statements * 3, 8)] == [7, 7, 7, 6]  # 27: four, even
    assert shards([], PER_SHARD) == [[]]


def test_every_statement_is_in_one_shard(sharded, archive, output):
    folders = json.loads((sharded / "pagefind" / SHARDS).read_text("utf-8"))
    assert folders == ["shards/1/", "shards/2/"]
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
    assert not (sharded.parent / "again" / "shards").exists()


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
