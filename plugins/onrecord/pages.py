"""The site as jobs: each writes some files from its view, and runs only when it changed.

A job is data: a key (its first file), the name of the writer that makes its files
(`writers.WRITERS`) and a view (views.py), a frozen value the generator makes from the
archive, holding everything the writer may read; the writer gets the view and the
renderer (templates and settings), never the archive. A job whose fingerprint (the digest
of its view, keyed with the templates, the code and the settings) is the one the previous
build recorded for this very output/ is skipped: its files stay as they are. The others
run, on every core, into the staging folder. `onrecord build` then either swaps the
staging folder in whole (a full build) or moves the few new files into output/ one by one
and deletes the ones no job makes any more (an incremental build).

What views cost (#16), `onrecord build --no-pagefind` of a 10,000-statement synth archive
(11,551 jobs) on a 2-core machine shared with other builds and browsers, before (the
jobs' closures) and after, runs alternating, medians; user+sys CPU is the steadier figure
there, wall times swinging twofold from one run to the next:
- cold, 9 runs each: CPU 59.7 s before, 56.3 s after; wall 37.0 s, 44.7 s (range
  24.7-101.7 s before, 22.6-76.2 s after);
- one edit, 3 runs each: CPU 3.88 s, 4.04 s; wall 3.78 s, 4.34 s; 7 more each, before
  fields were read with attrgetter: CPU 4.10 s, 3.99 s; wall 3.43 s, 4.26 s;
- no-op, 9 runs each: CPU 0.58 s, 0.60 s; wall 0.60 s, 0.62 s (importing two more
  modules: the no-op stops before the generator runs);
- in one process, an edit's listing, fingerprinting and running of the jobs (the only
  code that changed), 6 builds each: 2.99 s before, 2.64 s after; fingerprinting the
  11,551 jobs alone, 5 times in 3 processes each: 0.60-0.65 s before, 0.62-0.73 s after.
"""

from __future__ import annotations

import dataclasses
import filecmp
import gc
import logging
import multiprocessing
import os
import pickle
import shutil
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO

import jinja2

from . import replacing
from .cachefiles import UNREADABLE
from .fingerprints import Digests, Fingerprints

log = logging.getLogger(__name__)

MANIFEST_VERSION = 6
# Past this share of stale jobs, rendering everything into a fresh folder and swapping it
# in beats moving thousands of files into place one by one.
FULL_BUILD_SHARE = 0.5
# Forking workers costs tens of milliseconds: not worth it for a page or two.
PARALLEL_FROM = 8
# More changed statements than this (a checkout, a search-and-replace) wait for the build.
FIRST_AT_MOST = 8


def default_procs() -> int:
    """Processes to render with: every core (this machine has two)."""
    return max(1, os.cpu_count() or 1)


class RenderError(Exception):
    """A job failed (a template mistake): the message says where."""


@dataclass(frozen=True, slots=True)
class Job:
    """Files written by the writer named `writer` from `view` (views.py), into a folder.

    `view` is everything the files are made from (records, numbers, strings): the job's
    fingerprint is its digest. `hint` only says how to make the same bytes faster (the
    previous build's copy of a data file to update, and which statements changed); it is
    left out of the fingerprint, and a writer that cannot use it makes the files anew.
    """

    key: str
    writer: str
    view: object
    hint: object = None


# Views made again where their jobs run, by job key (`Listing.add`'s `remake`).
Remakes = dict[str, Callable[[], object]]


@dataclass
class Manifest:
    """What a build wrote: per job its fingerprint and files; which output/ it wrote them to."""

    output: str = ""
    output_id: tuple[int, ...] = ()
    jobs: dict[str, tuple[bytes, tuple[str, ...]]] = field(default_factory=dict)
    other_files: tuple[str, ...] = ()  # written by Pelican itself (theme files, pages)
    count: int = 0  # jobs, when `jobs` is not read yet (`read_manifest(..., jobs=False)`)
    # This build's own name: what a build's reach (reach.py) is told apart by.
    token: str = field(default_factory=lambda: os.urandom(8).hex())

    def files(self) -> set[str]:
        return {f for _, files in self.jobs.values() for f in files} | set(self.other_files)

    def gone_from(self, previous: Manifest) -> set[str]:
        """The files `previous` lists that this manifest does not: what a build deletes.

        A job kept as it was lists the very tuple of files it listed: only the others are
        compared, and the whole list of files (560,000 at 100,000 statements, 0.9 s) is
        made only when some file went.
        """
        gone = set(previous.other_files).difference(self.other_files)
        for key, (_, files) in previous.jobs.items():
            now = self.jobs.get(key)
            if now is None:
                gone.update(files)
            elif now[1] is not files and now[1] != files:
                gone.update(set(files).difference(now[1]))
        return gone - self.files() if gone else gone


@dataclass
class Plan:
    """One build's decisions, shared by `onrecord build` and the generator."""

    previous: Manifest
    manifest_file: Path | None = None  # where `previous` was read from
    full: bool = True
    written: Manifest = field(default_factory=Manifest)
    rendered: list[str] = field(default_factory=list)  # keys of the jobs that ran
    # Statements whose own pages go to the output folder first, before the other jobs are
    # even listed: the devserver shows an edited statement in the time a few views take
    # rather than a whole build's (generator.ArchiveGenerator.first_pages).
    first: frozenset[str] = frozenset()
    put_first: int = 0  # how many of them were
    # A build an edit reaches only in part (reach.py): the jobs to list anew, the rest kept
    # as the last build left them. None: every job is listed and fingerprinted. Worked out
    # by `reaching` when the listing starts (after the devserver's first pages are out).
    reaching: Callable[[], Reach | None] = lambda: None
    reach: Reach | None = None
    # Told the reach as soon as the listing has it (None: every job is listed): the build
    # starts the search index then, to index again only the statements an edit reached.
    reached: Callable[[Reach | None], None] = lambda reach: None
    held: dict[str, tuple[str, ...]] = field(default_factory=dict)  # written: see Listing
    salt: bytes = b""  # written: the fingerprints' key (the site digest)
    # Written: the statements' digests this build made (`Listing.finish`).
    digests: Digests = ([], b"")


@dataclass(frozen=True)
class Reach:
    """The jobs an edit reaches (reach.py), as the last build's listing tells them."""

    jobs: frozenset[str]  # the keys of the jobs listed anew; any other is kept as it was
    # The ids of the statements whose data-file entries and search documents are made
    # again: those in the changed files (beyond the words, any whose page it may change).
    statements: frozenset[str]
    salt: bytes  # the last build's fingerprint key: with another, every job may change
    held: dict[str, tuple[str, ...]]  # the last build's `Plan.held`
    # The statements' shapes, the edited ones' as they are now; the others' with the last
    # build's digests of them (reach.py).
    shapes: dict[str, bytes]
    # An edit of statements' words alone: the jobs holding them run unfingerprinted. Else
    # every job reached is fingerprinted: an edit beyond the words may move a statement
    # into views that did not hold it.
    words_only: bool = True


# How an edit reaches a job (`Listing.add`'s `reach`) in a build of one reach:
HELD = "held"  # through the records its view holds (those marked FINGERPRINT_HELD)
# Its view holds values made from statements it does not hold (the feeds' and the sitemap's
# dates, the places of quotes in a source's text): listed anew.
ANY_EDIT = "any edit"
WHOLE = "whole"  # its view holds the whole archive: run, its view left unfingerprinted


# -- deciding and running ------------------------------------------------------------------


class Listing:
    """The build's jobs as the generator lists them, each fingerprinted as it comes.

    A job whose fingerprint is the one the previous build recorded keeps its key and files
    but lets its view go at once (`view` None): an edit build never holds every view. At
    100,000 statements the 112,000 views were 240 MB of the build's memory, which held
    them all until every one was fingerprinted. A job that runs keeps its view, unless it
    can be made again (`add`'s `remake`, the statements'): where the job runs, it is.
    """

    def __init__(self, plan: Plan, fingerprints: Fingerprints) -> None:
        self.plan = plan
        self.fingerprints = fingerprints
        self.jobs: list[Job] = []
        self.stale: list[Job] = []  # the jobs whose fingerprint is not the previous build's
        self.prints: dict[str, bytes] = {}
        self.keep_views = plan.full or not plan.previous.jobs
        # The jobs of a full build whose views the worker running them makes again.
        self.remakes: Remakes = {}
        # A reach of another build, or made with other code or settings, reaches nothing.
        reach = None if plan.full else plan.reaching()
        usable = reach is not None and not plan.full and reach.salt == fingerprints.salt
        self.reach = reach if usable else None
        plan.reach, plan.held, plan.salt = self.reach, {}, fingerprints.salt
        plan.reached(self.reach)

    def reaches(self, key: str) -> bool:
        """Whether the job at `key` is to be listed anew: it is, unless this build has a
        reach (reach.py) that leaves it out and the last build made it."""
        reach = self.reach
        return reach is None or key in reach.jobs or key not in self.plan.previous.jobs

    def keep(self, key: str) -> None:
        """List the job at `key` as the last build left it: a job the edit cannot reach."""
        self.keep_all([key])

    def keep_all(self, keys: list[str]) -> None:
        """`keep` of each of `keys`, in order, in a few passes in C: an edit at 100,000
        statements keeps 100,000 statement jobs. With the generator's statements kept in
        runs, their listing took 0.69-0.89 s where it took 0.96-1.21 s a job at a time
        (three edit builds each, alternated)."""
        assert self.reach is not None, "only a build of one reach keeps jobs unlisted"
        prints, before = self.prints, len(self.prints)
        previous = self.plan.previous.jobs
        prints.update(zip(keys, map(itemgetter(0), map(previous.__getitem__, keys)), strict=True))
        if len(prints) != before + len(keys):
            listed = {job.key for job in self.jobs}
            twice = next(k for k, n in Counter(keys).items() if n > 1 or k in listed)
            raise RenderError(f"two jobs write {twice}")
        self.plan.held.update(zip(keys, map(self.reach.held.get, keys, repeat(())), strict=True))
        self.jobs.extend(map(Job, keys, repeat(""), repeat(None)))

    def add(
        self, job: Job, remake: Callable[[], object] | None = None, *, reach: str = HELD
    ) -> None:
        """List `job`; `remake`, if given, makes its view again (the same value); `reach`,
        how an edit reaches it (HELD, ANY_EDIT, WHOLE).

        A full build runs every job, so it keeps every view, except those it can make again:
        their workers do. At 100,000 statements the statements' views were 230 MiB of the
        build's process (820 → 1,053 MiB) and of every worker forked from it. So does a
        stale job's: a build after a change of code or templates finds every job stale only
        as it lists them (then turns full), and held every statement's view (1.18 GiB).
        """
        if reach == HELD and not self.reaches(job.key):
            self.keep(job.key)
            return
        if self.assumed_changed(job.key, reach):
            # An edit of a statement it holds (or of any, for the data files) changes it:
            # its fingerprint would only say so, at the cost of its records' digests (a page
            # holding every statement: 3.4 s at 100,000). One that no build shares makes the
            # next build that fingerprints every job run it. The statements it holds are the
            # ones it held: an edit of the words alone moves no statement.
            fingerprint = os.urandom(16)
            if reach == HELD:
                self.plan.held[job.key] = self.reach.held.get(job.key, ())
        else:
            fingerprint = self.fingerprints.of((job.writer, job.view))
            if reach == HELD:
                self.plan.held[job.key] = tuple(self.fingerprints.held)
        if job.key in self.prints:  # two jobs writing one file: a mistake in the generator
            raise RenderError(f"two jobs write {job.key}")
        self.prints[job.key] = fingerprint
        stale = self.plan.previous.jobs.get(job.key, (None,))[0] != fingerprint
        if remake is not None and (stale or self.keep_views):
            self.remakes[job.key] = remake
            job = dataclasses.replace(job, view=None)
        elif not stale and not self.keep_views:
            job = dataclasses.replace(job, view=None)
        if stale:
            self.stale.append(job)
        self.jobs.append(job)

    def assumed_changed(self, key: str, reach: str) -> bool:
        """Whether the job at `key`, listed anew, is taken as changed unfingerprinted: in a
        build of one reach, a job holding the whole archive, and a job holding a statement
        whose words alone were edited."""
        if self.reach is None or key not in self.plan.previous.jobs:
            return False
        return reach == WHOLE or (reach == HELD and self.reach.words_only)

    def finish(self) -> None:
        """The listing is over: the records' digests go (at 100,000 statements 300,000
        entries, some 80 MB of the build's process while it renders and commits), the
        statements' kept for the next build (`Plan.digests`)."""
        self.plan.digests = self.fingerprints.held_digests()
        self.fingerprints.records.clear()

    def runs(self, job: Job) -> bool:
        """Whether `job` can run: its view is held, or made again where it runs."""
        return job.view is not None or job.key in self.remakes


def stale(listing: Listing) -> list[Job]:
    """The jobs to run; sets `plan.full` (when most jobs are stale, every job runs).

    A full build takes from the previous build only the files of the jobs it does not run
    (`run`): the rest of its manifest goes before the render. After a change of code every
    job is stale, and the previous build's 112,000 jobs (their files' paths) were 70 MiB of
    the build's process to its end at 100,000 statements (1,043 MiB, 969 without them).
    """
    plan, jobs = listing.plan, listing.jobs
    plan.full = plan.full or len(listing.stale) > FULL_BUILD_SHARE * len(jobs)
    if not plan.full:
        return listing.stale
    todo, previous, linked = [], plan.previous.jobs, {}
    for job in jobs:
        if listing.runs(job):
            todo.append(job)
        elif job.key in previous:
            linked[job.key] = previous[job.key]
    plan.previous.jobs = linked
    return todo


class Site:
    """What runs jobs: writes a job's files from its view (`write`). The generator's renderer
    (the templates and settings, which every fingerprint covers through the site digest)."""

    def write(self, job: Job, folder: Path) -> list[str]:  # pragma: no cover - an interface
        raise NotImplementedError


def run(
    listing: Listing,
    todo: list[Job],
    folder: Path,
    procs: int,
    site: Site,
    ahead: Ahead | None = None,
) -> None:
    """Run `todo` into `folder` on `procs` processes; record every job's files in the plan.

    The jobs of `todo` that `ahead` runs already are not run again: their files are its.
    A full build whose listing let go of unchanged jobs' views (it turned full when most
    jobs proved stale) links their files from the previous build's output instead.
    """
    plan = listing.plan
    rest = todo if ahead is None else [job for job in todo if job.key not in ahead.keys]
    made = _run_all(rest, folder, procs, site, listing.remakes)
    if ahead is not None:
        made.update(ahead.made())
    if plan.full:
        for job in listing.jobs:
            if not listing.runs(job):
                made[job.key] = _link_previous(plan, job.key, folder)
    written = plan.written
    for job in listing.jobs:
        files = made.get(job.key)
        if files is None:
            files = plan.previous.jobs[job.key][1]
        else:  # the worker's copy of the job's key (its first file, mostly) goes
            files = (job.key if name == job.key else name for name in files)
        written.jobs[job.key] = (listing.prints[job.key], tuple(files))
    plan.rendered = [job.key for job in todo]


def forkable(procs: int) -> bool:
    """Whether jobs can run in forked processes beside this one."""
    return procs >= 2 and "fork" in multiprocessing.get_all_start_methods()


class Ahead:
    """Jobs run in a process of their own from the moment they are listed, while the
    listing goes on: an edit build's data files (generator.py). Their updates are 2.3 s of
    CPU at 100,000 statements, which waited for the listing (1.9 s) before they began.
    """

    def __init__(self, jobs: list[Job], folder: Path, site: Site, remakes: Remakes) -> None:
        self.keys = frozenset(job.key for job in jobs)
        # Forked (the views and the archive are shared, never pickled: see _run_all) at
        # the first task, with the collector on as in the pool's workers.
        self._executor = ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_receive_ahead,
            initargs=(jobs, folder, site, remakes),
        )
        self._future = self._executor.submit(_worker, (0, len(jobs)))

    def made(self) -> dict[str, list[str]]:
        """Each job's files, once all are written; raises what a job raised."""
        try:
            return dict(self._future.result())
        finally:
            self._executor.shutdown()

    def close(self) -> None:
        """Wait for the process to end (a build that failed while it ran)."""
        self._executor.shutdown(wait=True, cancel_futures=True)


def _receive_ahead(todo: list[Job], folder: Path, site: Site, remakes: Remakes) -> None:
    gc.enable()  # forked while the listing had it paused
    _receive(todo, folder, site, remakes)


def _link_previous(plan: Plan, key: str, folder: Path) -> list[str]:
    """The files the previous build's job `key` wrote, linked (or copied) into `folder`."""
    files = plan.previous.jobs[key][1]
    for name in files:
        old, new = Path(plan.previous.output, name), folder / name
        new.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(old, new)
        except FileNotFoundError:
            raise RenderError(
                f"{old} is gone from the last build's output: delete {plan.previous.output} "
                "and build again to make every page afresh"
            ) from None
        except OSError:  # a file system without hard links
            shutil.copyfile(old, new)
    return list(files)


def _run_all(
    todo: list[Job], folder: Path, procs: int, site: Site, remakes: Remakes
) -> dict[str, list[str]]:
    if len(todo) < PARALLEL_FROM or not forkable(procs):
        return dict(_run_share(site, todo, folder, remakes))
    # Small chunks, handed out as workers free up: the first jobs (the data files) are
    # long, the statement pages short.
    chunk = max(1, min(64, len(todo) // (procs * 16)))
    # Each worker receives the jobs (plain data: a key, a writer's name, a view, which every
    # job's fingerprint covers), the folder and the renderer as its start arguments, which a
    # forked process has as they are in memory. The views pickle (tests/test_views.py
    # writes every job from its unpickled copy), but sending them through the pool's pipes
    # costs more than it saves: at 10,000 statements the list and data files' views are
    # 230 MB of pickles (the data files' each hold the archive), 4 s of pickling and
    # unpickling, and an edit build took 19.5 s against 8-12 s; the fork shares them.
    context = multiprocessing.get_context("fork")
    received = (todo, folder, site, remakes)
    with context.Pool(procs, initializer=_receive, initargs=received) as pool:
        spans = [(start, start + chunk) for start in range(0, len(todo), chunk)]
        shares = pool.imap_unordered(_worker, spans, chunksize=1)
        return {key: files for share in shares for key, files in share}


# In a worker only: what it received when the pool started it.
_RECEIVED: tuple[list[Job], Path, Site, Remakes] | None = None


def _receive(todo: list[Job], folder: Path, site: Site, remakes: Remakes) -> None:
    global _RECEIVED
    _RECEIVED = (todo, folder, site, remakes)


def _worker(span: tuple[int, int]) -> list[tuple[str, list[str]]]:
    assert _RECEIVED is not None, "a worker runs only jobs it received"
    todo, folder, site, remakes = _RECEIVED
    return list(_run_share(site, todo[span[0] : span[1]], folder, remakes))


def _run_share(
    site: Site, todo: list[Job], folder: Path, remakes: Remakes
) -> Iterable[tuple[str, list[str]]]:
    for job in todo:
        if job.view is None:  # a view the listing let go, made again here
            job = dataclasses.replace(job, view=remakes[job.key]())
        try:
            yield job.key, site.write(job, folder)
        except Exception as error:  # a template's mistake: say where, not a traceback
            where = template_place(error)
            if where is None and not isinstance(error, jinja2.TemplateError):
                raise
            raise RenderError(f"{where or 'template'}: template error: {error}") from None


def template_place(error: Exception) -> str | None:
    """`file:line` in the template that raised `error`, or None if no template did.

    Syntax errors carry it; errors while rendering (an undefined name, a failing filter)
    only in the traceback, whose template frames Jinja names after the template file.
    """
    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}"
    frames = traceback.extract_tb(error.__traceback__)
    frames = [f for f in frames if f.filename.endswith((".html", ".xml"))]  # the theme's
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else None


# -- the manifest --------------------------------------------------------------------------


def folder_id(folder: Path) -> tuple[int, ...]:
    """Which output folder this is, as the build that wrote it left it.

    The folder's inode alone is not enough (a deleted folder's number comes back for the
    next one made); its sitemap, rewritten whenever a page comes or goes, tells them apart.
    """
    try:
        status, sitemap = folder.stat(), (folder / "sitemap.xml").stat()
    except OSError:
        return ()
    return (status.st_dev, status.st_ino, sitemap.st_ino, sitemap.st_mtime_ns, sitemap.st_size)


def read_manifest(path: Path, output: Path, *, jobs: bool = True) -> Manifest:
    """The manifest of the build that made `output`, or an empty one (a full build follows).

    A manifest that is there but cannot be trusted is said in one line: a full build of a
    large archive takes minutes, and the editor should know why this one does. Without
    `jobs`, only its head is read (`count` says how many jobs it has): which output folder
    it is of, enough to put an edited statement's page there first (`read_jobs` reads the
    rest; at 100,000 statements it takes 0.27 s).
    """
    try:
        with open(path, "rb") as handle:
            version, manifest = pickle.load(handle)
            if version == MANIFEST_VERSION and isinstance(manifest, Manifest) and jobs:
                manifest.jobs = _read_jobs(handle, manifest.count)
    except FileNotFoundError:
        return Manifest()
    except UNREADABLE:
        log.warning("onrecord: %s is unreadable: rendering every page", path)
        return Manifest()
    if version != MANIFEST_VERSION or not isinstance(manifest, Manifest):
        log.warning("onrecord: %s is from another version: rendering every page", path)
        return Manifest()
    if manifest.output != str(output) or not manifest.output_id:
        return Manifest()  # another output folder: its first build
    if manifest.output_id != folder_id(output):
        log.warning("onrecord: %s is not as the last build left it: rendering every page", output)
        return Manifest()
    return manifest


def read_jobs(plan: Plan) -> None:
    """`plan.previous` read whole, when only its head was (`read_manifest`)."""
    if plan.previous.count and not plan.previous.jobs and plan.manifest_file is not None:
        output = Path(plan.previous.output)
        plan.previous = read_manifest(plan.manifest_file, output)
        plan.full = plan.full or not plan.previous.jobs


def _read_jobs(handle: BinaryIO, count: int) -> dict[str, tuple[bytes, tuple[str, ...]]]:
    jobs: dict[str, tuple[bytes, tuple[str, ...]]] = {}
    while len(jobs) < count:
        part = pickle.load(handle)
        if not part:
            raise ValueError("an empty part of the jobs")
        jobs.update(part)
    return jobs


# Jobs pickled a part at a time (`write_manifest`): one pickle of 112,000 jobs keeps a memo of
# every object in it while it runs, 49 MiB more at the end of the build, in its own process.
JOBS_PART = 10_000


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Its head (every field but `jobs`), then its jobs: the head can be read alone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    head = dataclasses.replace(manifest, jobs={}, count=len(manifest.jobs))
    jobs = iter(manifest.jobs.items())
    with open(temporary, "wb") as handle:
        pickle.dump((MANIFEST_VERSION, head), handle, protocol=pickle.HIGHEST_PROTOCOL)
        while part := dict(islice(jobs, JOBS_PART)):
            pickle.dump(part, handle, protocol=pickle.HIGHEST_PROTOCOL)
    replacing.replace(temporary, path)


# -- committing an incremental build -------------------------------------------------------


def commit(staging: Path, output: Path, obsolete: Iterable[str], attic: Path | None = None) -> int:
    """Move the files in `staging` into `output`, delete `obsolete` ones; return files moved.

    A file whose bytes did not change is left alone (its date too, which keeps rsync and
    caches quiet); each new one replaces the old with a rename, so no reader ever sees half.
    With `attic` (a folder on the same file system, for the caller to remove), a large file
    replaced is linked there first (`_retire`).
    """
    moved = 0
    for folder, _, names in os.walk(staging):
        target = output / Path(folder).relative_to(staging)
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            new, old = Path(folder, name), target / name
            if _same_bytes(new, old):
                continue
            if attic is not None:
                _retire(old, attic)
            replacing.replace(new, old)
            moved += 1
    for relative in sorted(obsolete, reverse=True):
        path = output / relative
        path.unlink(missing_ok=True)
        _remove_empty_parents(path.parent, output)
    return moved


# Replacing a file frees the old one's blocks there and then: the three data files an edit
# replaces at 100,000 statements (1.3 GB) took 0.65 s of the rename. Linked into the attic
# first, the old copy's blocks go with the attic, which the build removes in the background.
# (The rename's other cost, the new file's forced write-out, `replacing.replace` avoids.)
RETIRE_FROM = 16 << 20  # bytes


def _retire(old: Path, attic: Path) -> None:
    """Link `old` into `attic` if it is large; nothing if it is small, missing, or the file
    system has no hard links (the rename then frees it, as it would have)."""
    try:
        if old.stat().st_size < RETIRE_FROM:
            return
        attic.mkdir(exist_ok=True)
        os.link(old, attic / f"{len(os.listdir(attic))}-{old.name}")
    except OSError:
        pass


def _same_bytes(new: Path, old: Path) -> bool:
    try:
        # Sizes first, then chunk by chunk: a changed database differs in its first page
        # (its change counter), and is not read whole twice to find that out.
        return filecmp.cmp(new, old, shallow=False)
    except OSError:
        return False


def _remove_empty_parents(folder: Path, top: Path) -> None:
    while folder != top and folder.is_relative_to(top):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
