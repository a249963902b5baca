"""The sitemap: one `sitemap.xml` while it fits the protocol's 50,000 URLs, past that an index
of parts at the site's root, each within the limit."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from conftest import SEED, copy_records
from test_pagination import built

from onrecord.records import load_archive
from onrecord.sitemaps import MOST_URLS, sitemap_files

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SITE = "https://example.org/archive"


def parsed(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def locs(root: ET.Element) -> list[str]:
    return [e.text for e in root.iter(f"{NS}loc")]


def test_a_sitemap_within_the_limit_is_one_urlset():
    entries = [(f"{SITE}/p/{n}/", date(2020, 1, n + 1)) for n in range(3)]
    [(name, text)] = sitemap_files(entries, SITE, most=3)
    root = parsed(text)
    assert name == "sitemap.xml" and root.tag == f"{NS}urlset"
    assert locs(root) == [loc for loc, _ in entries]
    assert MOST_URLS == 50_000  # the protocol's


def test_a_sitemap_past_the_limit_is_an_index_of_parts_at_the_root():
    entries = [(f"{SITE}/p/{n}/?a&b", date(2020, 1, 1 + n) if n % 3 else None) for n in range(7)]
    files = dict(sitemap_files(entries, SITE, most=3))
    index = parsed(files.pop("sitemap.xml"))
    assert index.tag == f"{NS}sitemapindex"
    named = locs(index)
    assert named == [f"{SITE}/sitemap-{n}.xml" for n in (1, 2, 3)]
    assert sorted(files) == ["sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml"]
    parts = [parsed(files[f"sitemap-{n}.xml"]) for n in (1, 2, 3)]
    assert [len(locs(part)) for part in parts] == [3, 3, 1]
    assert [loc for part in parts for loc in locs(part)] == [loc for loc, _ in entries]
    # Each part's last change: the newest of its URLs'.
    changed = [e.findtext(f"{NS}lastmod") for e in index.iter(f"{NS}sitemap")]
    assert changed == ["2020-01-03", "2020-01-06", None]


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    return built(copy_records(tmp_path_factory.mktemp("sitemaps")), ONRECORD_SITEMAP_URLS=5)


def test_a_built_sites_sitemap_index_names_parts_it_wrote_each_within_the_limit(output):
    index = ET.parse(output / "sitemap.xml").getroot()
    assert index.tag == f"{NS}sitemapindex"
    listed = []
    for loc in locs(index):
        part = ET.parse(output / loc.rsplit("/", 1)[1]).getroot()
        assert part.tag == f"{NS}urlset" and 1 <= len(locs(part)) <= 5
        listed += locs(part)
    assert len(listed) == len(set(listed)) > 5
    published = load_archive(SEED).chronological
    assert {f"/statements/{s.id}/" for s in published} <= {
        loc.removeprefix(loc.split("/statements/")[0]) for loc in listed if "/statements/" in loc
    }
    assert sorted(p.name for p in output.glob("sitemap-*.xml")) == sorted(
        loc.rsplit("/", 1)[1] for loc in locs(index)
    )
    robots = (output / "robots.txt").read_text(encoding="utf-8")
    assert robots.rstrip().endswith("/sitemap.xml")
