"""Jobs are data: each page's job is a key, a writer's name and a view, and nothing else.

The seed archive is built once with `pages.run` watched: every job it was handed must
pickle, and written again from its unpickled view (by its writer, with the renderer and
nothing of the archive) must give the very bytes the build wrote. A statement's view
holds only the records its files show, and the archive never rides in Pelican's settings.
"""

from __future__ import annotations

import dataclasses
import pickle

import feedparser
import pytest
from conftest import REPO, build_records, copy_records

from onrecord import generator, handoff, pages, views, writers
from onrecord.fingerprints import Fingerprints
from onrecord.model import Archive
from onrecord.records import load_archive


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    """The seed built for real; the jobs, renderer and settings its generator ran with."""
    base = tmp_path_factory.mktemp("views")
    root = copy_records(base / "records")
    seen: dict = {}
    run, generate = pages.run, generator.ArchiveGenerator.generate_context

    def watching_run(listing, todo, folder, procs, site, ahead=None):
        # A full build lets the views it can make again go (pages.Listing): made again here.
        jobs = [
            job
            if job.view is not None
            else dataclasses.replace(job, view=listing.remakes[job.key]())
            for job in listing.jobs
        ]
        seen.update(jobs=jobs, listing=listing, prints=listing.prints, site=site)
        return run(listing, todo, folder, procs, site, ahead)

    def watching_context(self):
        seen["settings"] = dict(self.settings)
        return generate(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pages, "run", watching_run)
        patch.setattr(generator.ArchiveGenerator, "generate_context", watching_context)
        build_records(root, base)
    return base / "output", seen


def test_every_job_pickles_and_writes_the_same_bytes_from_its_unpickled_view(watched, tmp_path):
    output, seen = watched
    jobs = seen["jobs"]
    assert {job.writer for job in jobs} == set(writers.WRITERS)
    for job in jobs:
        again = pickle.loads(pickle.dumps(job))
        assert again.key == job.key
        files = seen["site"].write(again, tmp_path)
        for name in files:
            assert (tmp_path / name).read_bytes() == (output / name).read_bytes(), name


def test_a_jobs_fingerprint_is_its_views_digest(watched):
    _, seen = watched
    job = next(j for j in seen["jobs"] if j.writer == "statement")
    # A changed view (here: the name the citation gives the statement's speaker) is a
    # changed fingerprint, whether the page shows it or only a file made from it does.
    sliced = job.view.slice
    speaker = next(iter(sliced.speakers.values()))
    renamed = dataclasses.replace(speaker, name=speaker.name + " Jr")
    other = dataclasses.replace(
        job.view, slice=dataclasses.replace(sliced, speakers={speaker.id: renamed})
    )
    prints = Fingerprints(b"salt")
    assert prints.of((job.writer, job.view)) != prints.of((job.writer, other))
    assert prints.of((job.writer, job.view)) == Fingerprints(b"salt").of(
        pickle.loads(pickle.dumps((job.writer, job.view)))
    )


def test_a_full_build_holds_no_statement_view_and_its_workers_make_the_same_again(watched):
    _, seen = watched
    listing = seen["listing"]
    statements = [job for job in listing.jobs if job.writer == "statement"]
    assert statements and all(job.view is None for job in statements)
    assert all(job.view is not None for job in listing.jobs if job.writer != "statement")
    prints = Fingerprints(listing.fingerprints.salt)
    for job in statements:
        assert prints.of((job.writer, listing.remakes[job.key]())) == listing.prints[job.key]


def test_a_statements_view_holds_its_own_records_not_the_archive(watched):
    _, seen = watched
    for job in seen["jobs"]:
        if job.writer != "statement":
            assert not isinstance(job.view, views.StatementView)
            continue
        statement, sliced = job.view.statement, job.view.slice
        assert isinstance(sliced, views.Slice)
        assert set(sliced.sources) == {statement.source_id}
        assert set(sliced.themes) == set(statement.theme_ids)
        expected = {statement.id, *(q.statement_id for q in statement.quotes)}
        assert set(sliced.statements) == expected | ({statement.quoted_in} - {None})
        assert not any(isinstance(v, Archive) for v in job.view.page.variables.values())


def test_only_the_data_files_see_the_whole_archive(watched):
    _, seen = watched
    whole = [job.key for job in seen["jobs"] if isinstance(job.view, views.ExportView)]
    assert sorted(whole) == sorted([*writers.EXPORTS, writers.CLAIM_EXPORTS])


def test_the_archive_rides_in_no_setting(watched):
    _, seen = watched
    settings = seen["settings"]
    assert not any(isinstance(value, Archive | pages.Plan) for value in settings.values())
    assert not {"ONRECORD_ARCHIVE", "ONRECORD_PLAN"} & set(settings)
    # Handed over for the length of the render only.
    assert handoff.archive(settings["ONRECORD_ROOT"]) is None


def test_handoff_is_by_root_and_ends_with_the_render(tmp_path):
    archive, plan = object(), object()
    with handoff.handing(tmp_path, archive, plan):
        assert handoff.archive(str(tmp_path / ".")) is archive
        assert handoff.plan(tmp_path) is plan
        assert handoff.archive(tmp_path / "elsewhere") is None
    assert handoff.archive(tmp_path) is None


def test_without_a_handoff_the_generator_loads_the_archive_itself(tmp_path):
    """A `pelican` run that `onrecord build` did not start reads the records itself."""
    root = copy_records(tmp_path / "records")
    made = object.__new__(generator.ArchiveGenerator)
    made.settings = {"ONRECORD_ROOT": str(root)}
    made.generate_context()
    assert made.archive.statements == load_archive(root).statements
    handed = object()
    with handoff.handing(root, handed, None):
        made.generate_context()
    assert made.archive is handed


def test_a_bare_pelican_run_builds_the_site(tmp_path):
    """`pelican` itself, not `onrecord build`: no record's last change is known there."""
    from pelican import Pelican
    from pelican.settings import read_settings

    root = copy_records(tmp_path / "records")
    settings = read_settings(
        str(REPO / "pelicanconf.py"),
        override={"ONRECORD_ROOT": str(root), "OUTPUT_PATH": str(tmp_path / "output")},
    )
    Pelican(settings).run()
    feed = (tmp_path / "output" / "feeds" / "all.atom.xml").read_text(encoding="utf-8")
    assert "<updated>None" not in feed and feedparser.parse(feed).feed.updated
    statements = load_archive(root).chronological
    assert all(
        (tmp_path / "output" / "statements" / s.id / "index.html").is_file() for s in statements
    )
