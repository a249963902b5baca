"""`onrecord build` (what `make html` runs): check, render, index, then swap in atomically.

The site is rendered into a fresh folder beside `output/` and the index into a new build
folder; only when both succeeded do they replace the published ones, so a failing build
(bad record, template error) leaves the previous output and index exactly as they were.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import jinja2
from pelican import Pelican
from pelican.settings import read_settings

from . import permalinks
from .history import with_history
from .load import load_archive
from .problems import RecordError
from .search import index as search_index


class BuildError(Exception):
    """A build that failed for a reason the user can fix; the message says how."""


def settings_for(settings_file: Path, **override) -> dict:
    return read_settings(str(settings_file), override=override or None)


def build(
    settings_file: Path,
    *,
    output: Path | None = None,
    index_dir: Path | None = None,
    quiet: bool = True,
    **override,
) -> dict:
    """Build site and index per `settings_file`; return figures. Raises RecordError/BuildError.

    `output` and `index_dir` default to the settings' OUTPUT_PATH and ONRECORD_INDEX_DIR;
    `override` replaces other settings (tests point ONRECORD_ROOT at a copy of the records).
    """
    started = time.perf_counter()
    settings = settings_for(settings_file, **override)
    root = Path(settings["ONRECORD_ROOT"])
    output = Path(output or settings["OUTPUT_PATH"]).resolve()
    index_dir = Path(index_dir or settings["ONRECORD_INDEX_DIR"]).resolve()
    # Caches of derived data (parsed records, citations) live beside the index, outside output/.
    cache_dir = Path(override.get("ONRECORD_CACHE_DIR") or index_dir.parent / "cache")
    archive = with_history(load_archive(root, cache_file=cache_dir / "records.pickle"), root)
    lost = permalinks.broken(permalinks.read(root / permalinks.FILE_NAME), archive)
    if lost:
        raise BuildError("\n".join(permalinks.explain(url) for url in lost))
    loaded = time.perf_counter()

    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.building-", dir=output.parent))
    try:
        override.setdefault("ONRECORD_CACHE_DIR", str(cache_dir))
        settings = settings_for(
            settings_file,
            **override,
            OUTPUT_PATH=str(staging),
            ONRECORD_ARCHIVE=archive,
            DELETE_OUTPUT_DIRECTORY=False,
        )
        if quiet:
            logging.getLogger("pelican").setLevel(logging.WARNING)
            logging.getLogger("onrecord").setLevel(logging.WARNING)
        _reset_sitemap_plugin()
        try:
            Pelican(settings).run()
        except Exception as error:  # a mistake in a template: say where, not a traceback
            where = _template_place(error)
            if where is None and not isinstance(error, jinja2.TemplateError):
                raise
            raise BuildError(f"{where or 'template'}: template error: {error}") from None
        rendered = time.perf_counter()
        if settings.get("ONRECORD_PAGEFIND", True):
            build_pagefind(staging, archive)
        pagefound = time.perf_counter()
        index_build = search_index.build_index(archive, index_dir, activate=False)
        indexed = time.perf_counter()
        _swap(staging, output)
        search_index.activate(index_dir, index_build)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return {
        "statements": len(archive.statements),
        "load_s": loaded - started,
        "render_s": rendered - loaded,
        "pagefind_s": pagefound - rendered,
        "index_s": indexed - pagefound,
        "total_s": time.perf_counter() - started,
    }


# Written beside pagefind/: facet values are ids (as the search service's), shown by name.
PAGEFIND_LABELS = "pagefind-labels.json"


def build_pagefind(site: Path, archive) -> None:
    """Index the statement pages of the rendered `site` with Pagefind into `site/pagefind/`.

    Only statement pages carry `data-pagefind-body`, so only they are indexed (tombstones and
    redirect pages under statements/ have none); the glob spares Pagefind reading the rest.
    Raises BuildError when Pagefind fails.
    """
    command = [sys.executable, "-m", "pagefind", "--site", str(site), "--quiet"]
    command += ["--glob", "statements/*/index.html"]
    try:
        # Pagefind resolves its own working directory: run it where the site is.
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=site)
    except OSError as error:
        raise BuildError(f"Pagefind could not be started: {error}") from None
    if done.returncode != 0:
        said = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()][:3]
        raise BuildError(
            f"Pagefind failed (exit {done.returncode}): {' / '.join(said) or 'no message'} "
            "(set ONRECORD_PAGEFIND = False in the settings to build without it)"
        )
    labels = {
        "speaker": {key: record.name for key, record in archive.speakers.items()},
        "outlet": {key: record.name for key, record in archive.outlets.items()},
        "theme": {key: record.name for key, record in archive.themes.items()},
    }
    (site / PAGEFIND_LABELS).write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")


def _reset_sitemap_plugin() -> None:
    """Clear pelican-sitemap's process-wide state before a build.

    The plugin writes sitemap.xml only when the first Pelican it saw finishes; one whose
    build failed never does, so every later build in the same process (tests, `build()`
    called as a library) would silently have no sitemap and keep the failed build's pages.
    """
    from pelican.plugins.sitemap import sitemap

    sitemap.generator.__init__()


def _template_place(error: Exception) -> str | None:
    """`file:line` in the template that raised `error`, or None if no template did.

    Syntax errors carry it; errors while rendering (an undefined name, a failing filter)
    only in the traceback, whose template frames Jinja names after the template file.
    """
    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}"
    frames = traceback.extract_tb(error.__traceback__)
    frames = [f for f in frames if f.filename.endswith((".html", ".xml"))]  # the theme's
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else None


def _swap(staging: Path, output: Path) -> None:
    """Replace `output` by `staging` with two renames; the old tree is removed afterwards.

    Unlinking a big tree takes longer than building it on some file systems (20 s for
    12,000 files here), so the retired tree is removed by a detached `rm`, and any tree an
    earlier build left behind is swept up by the next.
    """
    retired = None
    if output.exists():
        retired = output.with_name(f".{output.name}.old-{os.getpid()}-{time.time_ns()}")
        os.replace(output, retired)
    os.replace(staging, output)
    leftovers = [str(p) for p in output.parent.glob(f".{output.name}.old-*")]
    if leftovers and shutil.which("rm"):
        subprocess.Popen(
            ["rm", "-rf", "--", *leftovers],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    else:
        for path in leftovers:
            shutil.rmtree(path, ignore_errors=True)


def main(settings_file: str) -> int:
    try:
        figures = build(Path(settings_file))
    except RecordError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(
            f"build stopped: {len(error.problems)} problem(s) in the records; "
            "output/ and the index are unchanged",
            file=sys.stderr,
        )
        return 1
    except BuildError as error:
        print(f"build stopped: {error}; output/ and the index are unchanged", file=sys.stderr)
        return 1
    print(
        f"built {figures['statements']} statements in {figures['total_s']:.2f} s "
        f"(load {figures['load_s']:.2f}, render {figures['render_s']:.2f}, "
        f"index {figures['index_s']:.2f}, pagefind {figures['pagefind_s']:.2f})"
    )
    return 0
