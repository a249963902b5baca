"""`onrecord build` (what `make html` runs): check, render, index, then swap in atomically.

The site is rendered into a fresh folder beside `output/` and the index into a new build
folder; only when both succeeded do they replace the published ones, so a failing build
(bad record, template error) leaves the previous output and index exactly as they were.

A rebuild renders only the pages whose inputs changed (pages.py) into that folder, and once
everything succeeded moves them into `output/` one rename each; when most pages changed
(new templates, a renamed speaker on every list) the whole folder is swapped in instead.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from datetime import date
from functools import partial
from pathlib import Path

import jinja2
from pelican import Pelican
from pelican.log import console as pelican_console
from pelican.settings import read_settings

from . import (
    buildstate,
    fingerprints,
    handoff,
    history,
    pages,
    permalinks,
    reach,
    staticindex,
)
from .problems import RecordError
from .records import CACHE_FILE, collector_paused, load_archive_and_changes
from .resident import Loaded
from .search import index as search_index
from .search.static_table import write_table


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
    first_pages: bool = False,
    loaded: Loaded | None = None,
    **override,
) -> dict:
    """Build site and index per `settings_file`; return figures. Raises RecordError/BuildError.

    `output` and `index_dir` default to the settings' OUTPUT_PATH and ONRECORD_INDEX_DIR;
    `override` replaces other settings (tests point ONRECORD_ROOT at a copy of the records).
    With `first_pages` (the devserver's builds), the pages of the few statements whose files
    changed are put in `output` as soon as they are rendered, before the rest is listed
    (`pages.Plan.first`). `loaded` is the archive as the devserver's builder keeps it
    (resident.py), used when it is of this build's records and caches.
    """
    started = time.perf_counter()
    settings = settings_for(settings_file, **override)
    root = Path(settings["ONRECORD_ROOT"])
    output = Path(output or settings["OUTPUT_PATH"]).resolve()
    index_dir = Path(index_dir or settings["ONRECORD_INDEX_DIR"]).resolve()
    cache_dir = cache_dir_of(settings, index_dir)
    pagefind = settings.get("ONRECORD_PAGEFIND", True)
    # Read before anything else: a file saved while this build runs makes the next one work.
    if loaded is not None and not loaded.serves(root, cache_dir):
        loaded = None  # the settings point elsewhere now: loaded here, as by `onrecord build`
    stats: dict[str, os.stat_result] = {}  # each file's status, for the load
    if loaded is not None and loaded.files is not None:
        files, records = loaded.files, loaded.records_key
    else:
        files = buildstate.signatures(root, stats)
        records = buildstate.records_key(root, files)
    inputs = inputs_key(settings, root, output, index_dir, pagefind, records)
    state = buildstate.read(cache_dir)
    if buildstate.unchanged(state, inputs, pages.folder_id(output), _index_build(index_dir)):
        return (
            {**state["figures"], "full": False, "rendered": 0, "unchanged": True}
            | {key: 0.0 for key in ("load_s", "render_s", "pagefind_s", "index_s")}
            | {"total_s": time.perf_counter() - started}
        )
    if loaded is None:
        # The collector is paused for the load, and what it made moved out of its sight at
        # once: re-enabled between the steps, its first pass walked the millions of new
        # objects (0.6 s at 100,000 statements) to find no cycle. The render freezes them.
        with collector_paused():
            archive, fresh = load_archive_and_changes(
                root,
                cache_file=cache_dir / CACHE_FILE,
                dating=partial(history.dated, root=root, cache_dir=cache_dir),
                stats=stats,
            )
            del stats
            gc.freeze()
    elif loaded.error is not None:
        raise loaded.error
    else:
        archive, fresh = loaded.archive, loaded.fresh
    lost = permalinks.broken(permalinks.read(root / permalinks.FILE_NAME), archive)
    if lost:
        raise BuildError("\n".join(permalinks.explain(url) for url in lost))
    loaded = time.perf_counter()

    output.parent.mkdir(parents=True, exist_ok=True)
    manifest_file = cache_dir / "pages.pickle"
    previous = pages.read_manifest(manifest_file, output, jobs=False)  # the rest: read_jobs
    plan = pages.Plan(previous=previous, manifest_file=manifest_file, full=not previous.count)
    plan.first = fresh if first_pages and len(fresh) <= pages.FIRST_AT_MOST else frozenset()
    # What the edits since the last build can reach (reach.py): the jobs to list anew,
    # worked out as the listing starts (the devserver's first pages are out by then).
    today, head = date.today(), buildstate.git_head(root)
    files = buildstate.with_root_files(root, files)
    token = previous.token
    plan.reaching = lambda: reach.reach(reach.read(cache_dir), token, files, head, today, archive)
    override.setdefault("ONRECORD_CACHE_DIR", str(cache_dir))
    if quiet:
        logging.getLogger("pelican").setLevel(logging.WARNING)
        logging.getLogger("onrecord").setLevel(logging.WARNING)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.building-", dir=output.parent))
    try:
        with _archive_frozen(), _indexing(archive, index_dir) as indexing:
            plan.reached = indexing.start
            rendered_s = _render(settings_file, override, archive, plan, staging)
            per_shard = settings.get("ONRECORD_PAGEFIND_PER_SHARD")
            pagefind_s = (
                _time(build_pagefind, staging, archive, _page_prints(plan), per_shard)
                if pagefind and plan.full
                else 0.0
            )
        index_build, index_s = indexing.result()
        if plan.full:
            if pagefind:
                _write_search_table(staging, index_build, archive)
            _swap(staging, output)
        else:
            _commit(plan, staging, output)
            if pagefind:  # the shards whose pages changed (the table: when its words did)
                prints = _page_prints(plan)
                pagefind_s = _time(refresh_pagefind, output, archive, prints, per_shard)
                _write_search_table(output, index_build, archive)
        search_index.activate(index_dir, index_build)
        plan.written.output, plan.written.output_id = str(output), pages.folder_id(output)
        pages.write_manifest(manifest_file, plan.written)
        jobs = len(plan.written.jobs)
        # Written: its 112,000 jobs' files (100 MiB at 100,000 statements) go before the
        # statements' shapes are made and the reach state pickled (30 MiB more, once).
        plan.written.jobs.clear()
        # A build of one reach knows every statement's shape (reach.reach).
        shapes = plan.reach.shapes if plan.reach else reach.shapes(archive.statements.values())
        shapes = reach.with_digests(shapes, plan.digests)
        state = reach.State(
            plan.written.token, plan.salt, head, today.isoformat(), files, shapes, plan.held
        )
        reach.write(cache_dir, state)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    figures = {
        "statements": len(archive.statements),
        "full": plan.full,
        "unchanged": False,
        "jobs": jobs,
        "rendered": len(plan.rendered),
        # The jobs an edit reached (reach.py), when only those were listed anew.
        "reached": None if plan.reach is None else len(plan.reach.jobs),
        "first": plan.put_first,  # statements put in place before the rest (`first_pages`)
        "load_s": loaded - started,
        "render_s": rendered_s,
        "pagefind_s": pagefind_s,
        "index_s": index_s,  # in its own process, while the pages were rendered
        "total_s": time.perf_counter() - started,
    }
    buildstate.write(cache_dir, inputs, plan.written.output_id, _index_build(index_dir), figures)
    return figures


def cache_dir_of(settings: dict, index_dir: Path) -> Path:
    """Where the caches of derived data (parsed records, citations, history) live: beside the
    index, outside output/, unless the settings say."""
    return Path(settings.get("ONRECORD_CACHE_DIR") or index_dir.parent / "cache")


def inputs_key(
    settings: dict,
    root: Path,
    output: Path,
    index_dir: Path,
    pagefind: bool,
    records: str | None = None,
) -> str:
    """The key of everything a build with `settings` reads (buildstate.py); `records`, the
    key of the records (`buildstate.records_key`) if taken before they were loaded."""
    from .generator import VOLATILE_SETTINGS

    folders = [Path(__file__).parent, Path(settings["THEME"], "templates")]
    digest = fingerprints.site_digest(settings, folders, VOLATILE_SETTINGS)
    where = {"root": str(root), "output": str(output), "index": str(index_dir)}
    return buildstate.inputs_key(root, digest, {**where, "pagefind": bool(pagefind)}, records)


def _index_build(index_dir: Path) -> str | None:
    try:
        return str(search_index.current_build(index_dir))
    except search_index.IndexMissing:
        return None


def _render(settings_file: Path, override: dict, archive, plan: pages.Plan, staging: Path) -> float:
    """Run Pelican (and so the generator) into `staging`; its seconds. BuildError on failure."""
    started = time.perf_counter()
    settings = settings_for(
        settings_file, **override, OUTPUT_PATH=str(staging), DELETE_OUTPUT_DIRECTORY=False
    )
    try:
        with _pelican_console_quiet(), handoff.handing(settings["ONRECORD_ROOT"], archive, plan):
            Pelican(settings).run()
    except pages.RenderError as error:
        raise BuildError(str(error)) from None
    except Exception as error:  # a mistake in a template: say where, not a traceback
        where = pages.template_place(error)
        if where is None and not isinstance(error, jinja2.TemplateError):
            raise
        raise BuildError(f"{where or 'template'}: template error: {error}") from None
    plan.written.other_files = _other_files(staging, plan)
    return time.perf_counter() - started


@contextmanager
def _pelican_console_quiet() -> Iterator[None]:
    """Pelican's own summary ("Processed 0 articles…") unsaid: it counts none of our pages."""
    quiet, pelican_console.quiet = pelican_console.quiet, True
    try:
        yield
    finally:
        pelican_console.quiet = quiet


def _commit(plan: pages.Plan, staging: Path, output: Path) -> None:
    """Move an incremental build's files into `output`, and delete those no job makes now;
    the large files replaced are removed in the background (`pages.commit`'s attic)."""
    attic = _retired(output.parent, output.name)
    pages.commit(staging, output, plan.written.gone_from(plan.previous), attic)
    if attic.exists():
        _sweep(output.parent, output.name)


def _time(function: Callable, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


@contextmanager
def _archive_frozen() -> Iterator[None]:
    """The loaded archive moved out of the garbage collector's sight for the build.

    It lives to the end and holds no cycles to find: the collector's passes over it cost
    time, and its writes to the objects' headers would unshare the forked workers' pages.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class _Indexing:
    """The search index, built in a forked process while this one renders the pages.

    It starts when the listing knows the build's reach (`start`, as `Plan.reached`): an
    edit of a few statements' words then makes only their documents again.
    """

    def __init__(self, archive, index_dir: Path, worker: ProcessPoolExecutor) -> None:
        self.archive, self.index_dir, self.worker = archive, index_dir, worker
        self.future: Future | None = None

    def start(self, reach: pages.Reach | None) -> None:
        if self.future is not None:
            return
        global _TO_INDEX
        # Inherited by the worker, forked at its first task, never pickled.
        _TO_INDEX = (self.archive, self.index_dir, reach.statements if reach else None)
        self.future = self.worker.submit(_build_index)
        _TO_INDEX = None

    def result(self) -> tuple[Path, float]:
        """`(index build folder, seconds)`, once the `_indexing` block has ended."""
        assert self.future is not None, "the index starts at the latest as its block ends"
        return self.future.result()


@contextmanager
def _indexing(archive, index_dir: Path) -> Iterator[_Indexing]:
    """The index's worker for the `with` body (started by the listing, or as it ends).

    If the body fails, the index build is waited for and thrown away: the current index
    stays as it was.
    """
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as worker:
        indexing = _Indexing(archive, index_dir, worker)
        try:
            yield indexing
            indexing.start(None)  # a build whose listing never started it
        except BaseException:
            if indexing.future is not None:
                with suppress(Exception):  # the first failure is the one to report
                    shutil.rmtree(indexing.future.result()[0], ignore_errors=True)
            raise


_TO_INDEX: tuple | None = None


def _build_index() -> tuple[Path, float]:
    archive, index_dir, only = _TO_INDEX  # type: ignore[misc]
    started = time.perf_counter()
    build = search_index.build_index(archive, index_dir, activate=False, only=only)
    return build, time.perf_counter() - started


def _other_files(staging: Path, plan: pages.Plan) -> tuple[str, ...]:
    """The files Pelican itself wrote (theme files, ordinary pages), which no job made.

    Only the jobs that ran wrote into an incremental build's folder, and each wrote the
    files it says. A top-level entry holding as many files as the jobs wrote under it holds
    no other: only the rest are listed file by file. (A set of every job's file, 560,000 at
    100,000 statements, was the last 40 MiB of a full build's process.)
    """
    jobs = plan.written.jobs
    ran = [jobs[key][1] for key in (jobs if plan.full else plan.rendered)]
    made = Counter(name.partition("/")[0] for files in ran for name in files)
    others = []
    for entry in os.scandir(staging):
        folder = entry.is_dir(follow_symlinks=False)
        found = (
            (
                os.path.relpath(os.path.join(here, name), staging)
                for here, _, names in os.walk(entry.path)
                for name in names
            )
            if folder
            else (entry.name,)
        )
        held = sum(len(names) for _, _, names in os.walk(entry.path)) if folder else 1
        if held != made.get(entry.name, 0):
            under = entry.name + "/"
            mine = {n for files in ran for n in files if n == entry.name or n.startswith(under)}
            others += (name for name in found if name not in mine)
    return tuple(sorted(others))


def _page_prints(plan: pages.Plan) -> dict[str, bytes]:
    """The statement pages' fingerprints, by path: what their Pagefind shards are keyed by."""
    return {
        key: fingerprint
        for key, (fingerprint, _) in plan.written.jobs.items()
        if key.startswith("statements/")
    }


def build_pagefind(
    site: Path, archive, prints: dict[str, bytes], per_shard: int | None = None
) -> None:
    """Pagefind's index of the statement pages of `site` (staticindex.py), into
    `site/pagefind/`. Raises BuildError when Pagefind fails."""
    try:
        staticindex.build_pagefind(site, archive, prints=prints, per_shard=per_shard)
    except staticindex.PagefindError as error:
        raise BuildError(str(error)) from None


def _write_search_table(site: Path, index_build: Path, archive) -> None:
    """The static page's spellings, other names and words (search/static_table.py), made
    from the vocabulary of the index build the service will answer from."""
    write_table(site, search_index.read_spellings(index_build), archive)


def refresh_pagefind(
    site: Path, archive, prints: dict[str, bytes], per_shard: int | None = None
) -> list[str]:
    """Index again the Pagefind shards of `site` whose pages an incremental build changed
    (staticindex.py); the rest stay as they are. The shards' keys, newest first."""
    try:
        return staticindex.refresh_pagefind(
            site, archive, _swap, _retire, prints=prints, per_shard=per_shard
        )
    except staticindex.PagefindError as error:
        raise BuildError(str(error)) from None


def _swap(staging: Path, output: Path, attic: Path | None = None) -> None:
    """Replace `output` by `staging` with two renames; the old tree is removed afterwards.

    Unlinking a big tree takes longer than building it on some file systems (20 s for
    12,000 files here), so the retired tree is moved into `attic` (beside `output`, or
    outside the site for output/pagefind/) and removed by a detached `rm`; any tree an
    earlier build left behind is swept up by the next.
    """
    attic = attic or output.parent
    if output.exists():
        os.replace(output, _retired(attic, output.name))
    os.replace(staging, output)
    _sweep(attic, output.name)


def _retire(folder: Path) -> None:
    """Remove `folder` (output/pagefind-shards/<key>/, a shard no longer listed), detached."""
    attic, name = folder.parent.parent.parent, folder.parent.name  # beside output/
    os.replace(folder, _retired(attic, name, folder.name))
    _sweep(attic, name)


def _retired(attic: Path, name: str, *more: str) -> Path:
    return attic / "-".join((f".{name}.old", str(os.getpid()), str(time.time_ns()), *more))


def _sweep(attic: Path, name: str) -> None:
    """Remove the trees retired into `attic` under `name` (`_retired`), detached."""
    leftovers = [str(p) for p in attic.glob(f".{name}.old-*")]
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


def main(
    settings_file: str,
    *,
    pagefind: bool = True,
    first_pages: bool = False,
    loaded: Loaded | None = None,
    report: dict | None = None,
) -> int:
    """`onrecord build`: its exit code; `report`, if given, gets the build's figures."""
    try:
        figures = build(
            Path(settings_file),
            first_pages=first_pages,
            loaded=loaded,
            **({} if pagefind else {"ONRECORD_PAGEFIND": False}),
        )
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
    if report is not None:
        report.update(figures)
    if figures["unchanged"]:
        print(
            f"nothing changed since the last build ({figures['statements']} statements; "
            f"checked in {figures['total_s']:.2f} s)"
        )
        return 0
    print(
        f"built {figures['statements']} statements in {figures['total_s']:.2f} s "
        f"(load {figures['load_s']:.2f}, render {figures['render_s']:.2f}, "
        f"index {figures['index_s']:.2f}, pagefind {figures['pagefind_s']:.2f}; "
        f"{figures['rendered']} of {figures['jobs']} pages and files remade)"
    )
    return 0
