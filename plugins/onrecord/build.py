"""`onrecord build` (what `make html` runs): check, render, index, then swap in atomically.

The site is rendered into a fresh folder beside `output/` and the index into a new build
folder; only when both succeeded do they replace the published ones, so a failing build
(bad record, template error) leaves the previous output and index exactly as they were.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
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
    archive = with_history(load_archive(root), root)
    lost = permalinks.broken(permalinks.read(root / permalinks.FILE_NAME), archive)
    if lost:
        raise BuildError("\n".join(permalinks.explain(url) for url in lost))
    loaded = time.perf_counter()

    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.building-", dir=output.parent))
    try:
        # Caches of derived data (citations) live beside the index, outside output/.
        override.setdefault("ONRECORD_CACHE_DIR", str(index_dir.parent / "cache"))
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
        try:
            Pelican(settings).run()
        except jinja2.TemplateError as error:
            where = (
                f"{getattr(error, 'filename', '') or 'template'}:{getattr(error, 'lineno', '?')}"
            )
            raise BuildError(f"{where}: template error: {error}") from None
        rendered = time.perf_counter()
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
        "index_s": indexed - rendered,
        "total_s": time.perf_counter() - started,
    }


def _swap(staging: Path, output: Path) -> None:
    """Replace `output` by `staging` with two renames; the old tree is removed afterwards."""
    retired = None
    if output.exists():
        retired = output.with_name(f".{output.name}.old-{os.getpid()}")
        os.replace(output, retired)
    os.replace(staging, output)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


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
        f"index {figures['index_s']:.2f})"
    )
    return 0
