"""The site's sitemap (sitemaps.org): `sitemap.xml`, and its parts when the site is large.

The protocol allows a sitemap 50,000 URLs (and 50 MB): at 100,000 statements the site has
about 112,000 pages, and a single `sitemap.xml` (11 MB) listed more than search engines
read. Past that, `sitemap.xml` is a sitemap index naming `sitemap-1.xml`, `sitemap-2.xml`, …
each of at most 50,000 URLs. They sit at the site's root: a sitemap may only list URLs
under its own folder. robots.txt names `sitemap.xml` either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape as xml_escape

from . import urls

# The protocol's most URLs in one sitemap.
MOST_URLS = 50_000
NAME = "sitemap.xml"

Entry = tuple[str, date | None]  # absolute URL, last changed (or not known)


def sitemap_files(
    entries: Sequence[Entry], site_url: str, most: int = MOST_URLS
) -> list[tuple[str, str]]:
    """Each file of the sitemap of `entries`: its name (from the site's root) and its text."""
    if len(entries) <= most:
        return [(NAME, urlset(entries))]
    parts = [entries[start : start + most] for start in range(0, len(entries), most)]
    names = [f"sitemap-{number}.xml" for number in range(1, len(parts) + 1)]
    index = [
        (
            urls.absolute(site_url, name),
            max(filter(None, (lastmod for _, lastmod in part)), default=None),
        )
        for name, part in zip(names, parts, strict=True)
    ]
    return [(NAME, _document("sitemapindex", "sitemap", index))] + [
        (name, urlset(part)) for name, part in zip(names, parts, strict=True)
    ]


def urlset(entries: Sequence[Entry]) -> str:
    """A sitemaps.org urlset of `(absolute URL, last changed or None)`."""
    return _document("urlset", "url", entries)


def _document(root: str, element: str, entries: Sequence[Entry]) -> str:
    lines = ['<?xml version="1.0" encoding="utf-8"?>']
    lines.append(f'<{root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
    for loc, lastmod in entries:
        changed = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
        lines.append(f"<{element}><loc>{xml_escape(loc)}</loc>{changed}</{element}>")
    lines.append(f"</{root}>")
    return "\n".join(lines) + "\n"
