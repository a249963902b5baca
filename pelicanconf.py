"""Pelican settings for On the Record (development: relative links, the local server's URL)."""

import os

ROOT = os.path.dirname(os.path.abspath(__file__))

SITENAME = "On the Record"
SITE_DESCRIPTION = "An archive of quoted statements and the people who made them."
# Absolute URL used where a link must stand on its own: canonical links, citations, feeds, sitemap.
SITEURL = "http://127.0.0.1:8000"
# Links between pages are relative, so output/ browses from disk and from any folder on a host.
RELATIVE_URLS = True
# A development build's absolute URLs name the local server; "Cite this" then shows the
# address the page is actually served from (site.js). publishconf.py sets it True.
ONRECORD_PUBLISHED = False
DEFAULT_LANG = "en"
TIMEZONE = "UTC"

PATH = "content"
OUTPUT_PATH = "output"
THEME = os.path.join(ROOT, "theme")
THEME_STATIC_DIR = "theme"
PLUGIN_PATHS = [os.path.join(ROOT, "plugins")]
PLUGINS = ["onrecord"]

# The archive's records: where they live, and where the search index is built.
ONRECORD_ROOT = ROOT
ONRECORD_INDEX_DIR = os.path.join(ROOT, "var", "index")
ONRECORD_PER_PAGE = 50
# Pages of one-line entries (the timeline; a source's footnotes, then its statements
# without a footnote number) hold more.
ONRECORD_ENTRIES_PER_PAGE = 500
# URLs in one sitemap file: past it, sitemap.xml is an index of sitemap-1.xml, … (the
# sitemaps.org protocol's most is 50,000).
ONRECORD_SITEMAP_URLS = 50_000
# Search on a plain static host: `onrecord build` also indexes the statement pages with
# Pagefind into output/pagefind/, which /search/ queries in the browser when no search
# service answers there. It runs in shards of at most 5,000 statements, two at a time
# (0.9 GiB and about two minutes at 100,000 statements: bench/results.json); switch it
# off for archives that only run the service (`onrecord build --no-pagefind` does for one
# build; the devserver always does).
ONRECORD_PAGEFIND = True

JINJA_ENVIRONMENT = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True}

# Statements are not Pelican articles (its per-term pages are quadratic at scale): switch off
# everything Pelican would write for articles; the onrecord generator writes the archive.
ARTICLE_PATHS = []
PAGE_PATHS = ["pages"]
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
DIRECT_TEMPLATES = []
for _kind in ("ARTICLE", "ARTICLE_LANG", "DRAFT", "DRAFT_LANG", "DRAFT_PAGE", "PAGE_LANG",
              "CATEGORY", "CATEGORIES", "TAG", "TAGS", "AUTHOR", "AUTHORS", "ARCHIVES",
              "YEAR_ARCHIVE", "MONTH_ARCHIVE", "DAY_ARCHIVE"):
    globals()[f"{_kind}_SAVE_AS"] = ""
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
STATIC_PATHS = []

