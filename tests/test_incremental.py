"""A rebuild renders only what changed, and ends with the very site a full build makes.

Each test builds a copy of the seed archive for real, changes its records as an editor
would, rebuilds, and compares: what was rendered, which files changed, and, above all,
the incremental result against a full build of the same records into an empty folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import pickle
import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import REPO, SEED, copy_records, database_content
from pelican import signals
from test_static_shards import indexed_words

from onrecord import pages
from onrecord.build import BuildError, build
from onrecord.fingerprints import Fingerprints
from onrecord.records import load_archive
from onrecord.staticindex import SHARDS_DIR

STATEMENT = "content/statements/2017/salami-martyrs-conference.yaml"
HEADLINE = 'headline: "Deputy IRGC Commander Salami: '


class Archive:
    """A copy of the seed records with its own output/ and index, built on demand."""

    def __init__(self, base: Path) -> None:
        self.root = copy_records(base)
        shutil.copy(SEED / "permalinks.txt", base / "permalinks.txt")
        self.output = base / "output"
        self.index = base / "var" / "index"

    def build(self, **settings) -> dict:
        settings.setdefault("ONRECORD_PAGEFIND", False)
        return build(
            REPO / "pelicanconf.py",
            output=self.output,
            index_dir=self.index,
            ONRECORD_ROOT=str(self.root),
            **settings,
        )

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def drop_appearances(self, statement_id: str) -> None:
        """Take the statement out of every claim (a withdrawn statement makes none)."""
        block = re.compile(rf'- statement: "{statement_id}"\n(  .*\n)+')
        for path in (self.root / "content" / "claims").glob("*.yaml"):
            path.write_text(block.sub("", path.read_text(encoding="utf-8")), encoding="utf-8")

    def add_statement(self, new_id: str) -> None:
        text = (self.root / STATEMENT).read_text(encoding="utf-8")
        text = text.replace('id: "salami-martyrs-conference"', f'id: "{new_id}"')
        text = text.replace('date: "2017-11-22"', 'date: "2017-11-23"')
        (self.root / STATEMENT).with_name(f"{new_id}.yaml").write_text(text, encoding="utf-8")


def files(folder: Path) -> dict[str, str]:
    """Every file under `folder` (Pagefind's index aside) by its bytes' hash.

    A database counts by what a reader finds in it: an updated one has the rows of a new
    one, but on other pages of the file.
    """
    return {
        str(path.relative_to(folder)): hashlib.blake2b(
            database_content(path) if path.suffix == ".db" else path.read_bytes()
        ).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "pagefind" not in path.relative_to(folder).parts[0]
    }


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def full_build_of(archive: Archive, base: Path) -> dict[str, str]:
    """The same records built from nothing into a fresh output folder."""
    build(
        REPO / "pelicanconf.py",
        output=base / "output",
        index_dir=base / "var" / "index",
        ONRECORD_ROOT=str(archive.root),
        ONRECORD_PAGEFIND=False,
    )
    return files(base / "output")


@pytest.fixture
def archive(tmp_path) -> Archive:
    archive = Archive(tmp_path / "archive")
    archive.build()
    return archive


def test_the_first_build_is_a_full_build(tmp_path):
    figures = Archive(tmp_path).build()
    assert figures["full"] and figures["rendered"] == figures["jobs"]


def test_a_rebuild_with_nothing_changed_renders_nothing(archive):
    before = files(archive.output)
    figures = archive.build()
    assert (figures["full"], figures["rendered"]) == (False, 0)
    assert files(archive.output) == before


def test_an_edited_statement_is_on_its_page_after_a_rebuild(archive):
    archive.edit(STATEMENT, HEADLINE, 'headline: "Edited: ')
    archive.build()
    page = archive.output / "statements" / "salami-martyrs-conference" / "index.html"
    assert "Edited: " in page.read_text(encoding="utf-8")


def test_an_edit_rewrites_only_the_files_that_show_the_statement(archive):
    before = files(archive.output)
    archive.edit(STATEMENT, HEADLINE, 'headline: "Edited: ')
    figures = archive.build()
    rewritten = changed(before, files(archive.output))
    assert not figures["full"]
    assert figures["rendered"] < figures["jobs"] / 4
    assert {
        "statements/salami-martyrs-conference/index.html",
        "statements/salami-martyrs-conference/cite.bib",
        "statements/salami-martyrs-conference.json",
        "speakers/hossein-salami/index.html",
        "data/statements.json",
    } <= rewritten
    others = {
        f"statements/{i}/index.html" for i in ("fatemiyoun-communique", "jafari-basij-conference")
    }
    assert not others & rewritten


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda a: a.edit(STATEMENT, HEADLINE, 'headline: "Edited: '), id="headline"),
        pytest.param(
            lambda a: a.edit(
                "speakers/hossein-salami.yaml", 'name: "Hossein Salami"', 'name: "H. Salami"'
            ),
            id="speaker-renamed",
        ),
        pytest.param(
            lambda a: a.edit("content/outlets/kayhan.yaml", "name: ", "name: The "),
            id="outlet-renamed",
        ),
        pytest.param(lambda a: a.add_statement("salami-second-conference"), id="statement-added"),
        pytest.param(
            lambda a: a.edit(STATEMENT, 'role: "Deputy IRGC commander"', "role: null"),
            id="role-removed",
        ),
    ],
)
def test_an_incremental_rebuild_equals_a_full_build(archive, tmp_path, change):
    change(archive)
    archive.build()
    assert files(archive.output) == full_build_of(archive, tmp_path / "full")


def test_an_edit_build_holds_the_views_of_the_stale_jobs_alone(archive, monkeypatch):
    seen = {}
    run = pages.run

    def watching(listing, todo, folder, procs, site, ahead=None):
        kept = [job.key for job in listing.jobs if job.view is not None]
        seen.update(kept=kept, remade=set(listing.remakes), todo=todo)
        return run(listing, todo, folder, procs, site, ahead)

    monkeypatch.setattr(pages, "run", watching)
    archive.edit(STATEMENT, HEADLINE, 'headline: "Edited: ')
    figures = archive.build()
    assert not figures["full"] and 0 < figures["rendered"] < figures["jobs"] / 4
    # The stale statements' views are made again where they run; the others are held.
    todo = {job.key for job in seen["todo"]}
    assert seen["remade"] and seen["remade"] <= todo
    assert sorted(seen["kept"]) == sorted(todo - seen["remade"])


def test_a_build_that_turns_full_after_listing_links_the_unchanged_files(
    archive, tmp_path, monkeypatch
):
    """Most jobs stale (here: any) makes a full build into a fresh folder, after the views of
    the unchanged jobs were let go: their files come from the previous output."""
    monkeypatch.setattr(pages, "FULL_BUILD_SHARE", 0.0)
    archive.edit(STATEMENT, HEADLINE, 'headline: "Edited: ')
    figures = archive.build()
    assert figures["full"] and 0 < figures["rendered"] < figures["jobs"] / 4
    assert files(archive.output) == full_build_of(archive, tmp_path / "full")


def test_a_file_gone_from_the_output_stops_such_a_build_with_a_hint(archive, monkeypatch):
    monkeypatch.setattr(pages, "FULL_BUILD_SHARE", 0.0)
    gone = archive.output / "statements" / "fatemiyoun-communique" / "cite.ris"
    gone.unlink()
    archive.edit(STATEMENT, HEADLINE, 'headline: "Edited: ')
    with pytest.raises(BuildError, match=r"cite.ris is gone from the last build's output: delete"):
        archive.build()


def test_the_devserver_puts_an_edited_statement_in_place_before_the_rest(archive, tmp_path, caplog):
    """Its page is in output/ before the other jobs are listed: a Pelican plugin's
    `content_written` for the page fires while no other job has run."""
    page = archive.output / "statements" / "salami-martyrs-conference" / "index.html"
    archive.edit(STATEMENT, HEADLINE, 'headline: "Edited first: ')
    seen: list[tuple[str, bool]] = []

    def written(path, context=None):
        if Path(path).name == "index.html" and "salami-martyrs-conference" in str(path):
            seen.append((str(path), "Edited first" in page.read_text(encoding="utf-8")))

    signals.content_written.connect(written)
    try:
        figures = archive.build(first_pages=True, ONRECORD_PROCS=1)  # signals seen here
    finally:
        signals.content_written.disconnect(written)
    assert figures["first"] == 1
    assert figures["rendered"] < figures["jobs"] / 2  # an incremental build, not a full one
    # Written twice (first, then by the build, which finds the same bytes in place); the
    # page in output/ already held the edit when the build wrote its own copy.
    assert len(seen) == 2 and seen[1][1], seen
    assert files(archive.output) == full_build_of(archive, tmp_path / "full")


def test_without_the_devserver_nothing_is_put_in_place_first(archive):
    archive.edit(STATEMENT, HEADLINE, 'headline: "Edited: ')
    assert archive.build()["first"] == 0
    archive.edit(STATEMENT, 'headline: "Edited: ', 'headline: "Edited twice: ')
    assert archive.build(first_pages=True)["first"] == 1


def test_a_statement_removed_again_leaves_no_file_behind(archive, tmp_path):
    archive.add_statement("salami-second-conference")
    archive.build()
    assert (archive.output / "statements" / "salami-second-conference" / "index.html").exists()
    (archive.root / STATEMENT).with_name("salami-second-conference.yaml").unlink()
    archive.build()
    assert not (archive.output / "statements" / "salami-second-conference").exists()
    assert not (archive.output / "statements" / "salami-second-conference.json").exists()
    assert files(archive.output) == full_build_of(archive, tmp_path / "full")


def test_a_withdrawn_statement_becomes_a_tombstone_the_sitemap_leaves_out(archive, tmp_path):
    archive.drop_appearances("salami-martyrs-conference")
    archive.edit(
        STATEMENT,
        'attribution: "secondary"\nattribution_note: null',
        'attribution: "withdrawn"\nattribution_note: "Test."\nwithdrawn_on: "2024-01-02"',
    )
    archive.build()
    page = archive.output / "statements" / "salami-martyrs-conference" / "index.html"
    assert "withdrawn" in page.read_text(encoding="utf-8")
    assert "/statements/salami-martyrs-conference/" not in (
        archive.output / "sitemap.xml"
    ).read_text(encoding="utf-8")
    assert files(archive.output) == full_build_of(archive, tmp_path / "full")


def test_a_renamed_statement_redirects_from_its_old_url(archive, tmp_path):
    archive.edit(
        STATEMENT,
        'id: "salami-martyrs-conference"',
        'id: "salami-martyrs-speech"\naliases:\n- "salami-martyrs-conference"',
    )
    for claim in ("every-new-war-ends-israel", "soleimani-command-behind-successes"):
        archive.edit(
            f"content/claims/{claim}.yaml", "salami-martyrs-conference", "salami-martyrs-speech"
        )
    path = archive.root / STATEMENT
    path.rename(path.with_name("salami-martyrs-speech.yaml"))
    archive.build()
    old = archive.output / "statements" / "salami-martyrs-conference" / "index.html"
    assert "statements/salami-martyrs-speech/" in old.read_text(encoding="utf-8")
    sitemap = (archive.output / "sitemap.xml").read_text(encoding="utf-8")
    assert "/statements/salami-martyrs-speech/" in sitemap
    assert "/statements/salami-martyrs-conference/" not in sitemap
    assert files(archive.output) == full_build_of(archive, tmp_path / "full")


def test_files_whose_bytes_did_not_change_keep_their_dates(archive):
    css = archive.output / "theme" / "css" / "site.css"
    home = archive.output / "index.html"
    dates = (css.stat().st_mtime_ns, home.stat().st_mtime_ns)
    archive.edit(STATEMENT, 'role: "Deputy IRGC commander"', 'role: "Deputy commander"')
    archive.build()
    assert (css.stat().st_mtime_ns, home.stat().st_mtime_ns) == dates


def test_the_large_files_an_edit_replaces_go_to_an_attic_removed_in_the_background(
    archive, monkeypatch
):
    from onrecord import build as building

    monkeypatch.setattr(pages, "RETIRE_FROM", 1024)  # the seed's data files are small
    swept: list[Path] = []
    monkeypatch.setattr(
        building, "_sweep", lambda attic, name: swept.extend(attic.glob(f".{name}.old-*"))
    )
    data = archive.output / "data" / "statements.json"
    before = data.read_bytes()
    old_inode = data.stat().st_ino
    archive.edit(STATEMENT, HEADLINE, HEADLINE + "Edited ")
    archive.build()
    assert b"Edited" in data.read_bytes()
    # The old file, whole, in the one attic the build handed to the sweep; nothing small.
    [attic] = swept
    retired = {path.stat().st_ino: path for path in attic.iterdir()}
    assert retired[old_inode].read_bytes() == before
    assert all(path.stat().st_size >= 1024 for path in retired.values())
    assert not any(attic.name in p.name for p in archive.output.rglob("*"))


def test_an_edit_on_a_file_system_without_hard_links_replaces_the_files_as_ever(
    archive, monkeypatch, tmp_path
):
    monkeypatch.setattr(pages, "RETIRE_FROM", 0)

    def refused(*_):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(pages.os, "link", refused)
    archive.edit(STATEMENT, HEADLINE, HEADLINE + "Edited ")
    archive.build()
    assert files(archive.output) == full_build_of(archive, tmp_path / "full")
    assert not list(archive.output.parent.glob(f".{archive.output.name}.old-*"))


def test_a_changed_setting_rebuilds_every_page(archive):
    figures = archive.build(SITENAME="Another Archive")
    assert figures["full"] and figures["rendered"] == figures["jobs"]
    assert "Another Archive" in (archive.output / "index.html").read_text(encoding="utf-8")


def test_an_output_folder_made_by_something_else_gets_a_full_build(archive):
    shutil.rmtree(archive.output)
    archive.output.mkdir()
    figures = archive.build()
    assert figures["full"]
    assert (archive.output / "statements" / "salami-martyrs-conference" / "index.html").exists()


def test_an_output_folder_changed_since_the_last_build_is_said_in_one_line(archive, caplog):
    (archive.output / "sitemap.xml").unlink()  # how the build knows its own output folder
    with caplog.at_level(logging.WARNING, logger="onrecord"):
        figures = archive.build()
    assert figures["full"] and figures["rendered"] == figures["jobs"]
    said = [r.getMessage() for r in caplog.records if "rendering every page" in r.getMessage()]
    assert said == [
        f"onrecord: {archive.output} is not as the last build left it: rendering every page"
    ]


@pytest.mark.parametrize("damage", [b"", b"not a pickle", pickle.dumps((0, "old"))])
def test_a_damaged_manifest_gives_a_full_build_said_in_one_line(archive, caplog, damage):
    manifest = archive.index.parent / "cache" / "pages.pickle"
    assert manifest.exists()
    manifest.write_bytes(damage)
    archive.edit(STATEMENT, HEADLINE, 'headline: "Edited: ')
    with caplog.at_level(logging.WARNING, logger="onrecord"):
        figures = archive.build()
    assert figures["full"] and figures["rendered"] == figures["jobs"]
    said = [r.getMessage() for r in caplog.records if "pages.pickle" in r.getMessage()]
    assert len(said) == 1 and said[0].endswith(": rendering every page")
    assert archive.build()["rendered"] == 0  # and the next build trusts what this one wrote


def test_a_manifest_in_parts_is_read_whole_and_a_cut_one_is_not_trusted(
    archive, caplog, monkeypatch
):
    monkeypatch.setattr(pages, "JOBS_PART", 5)  # the seed's jobs in many parts
    archive.edit(STATEMENT, HEADLINE, 'headline: "Edited: ')
    archive.build()  # writes its manifest in parts
    archive.edit(STATEMENT, 'headline: "Edited: ', 'headline: "Edited again: ')
    figures = archive.build()  # reads them all: only the edited statement's jobs run
    assert not figures["full"] and 0 < figures["rendered"] < figures["jobs"] / 4
    manifest = archive.index.parent / "cache" / "pages.pickle"
    manifest.write_bytes(manifest.read_bytes()[:-200])  # its last part cut short
    archive.edit(STATEMENT, 'headline: "Edited again: ', 'headline: "Edited once more: ')
    with caplog.at_level(logging.WARNING, logger="onrecord"):
        figures = archive.build()
    assert figures["full"] and figures["rendered"] == figures["jobs"]
    said = [r.getMessage() for r in caplog.records if "pages.pickle" in r.getMessage()]
    assert len(said) == 1 and said[0].endswith("is unreadable: rendering every page")


def test_a_build_that_finds_every_job_stale_holds_no_statement_view(archive, monkeypatch):
    """After a change of code or settings every job is stale, found as the jobs are listed:
    the statements' views are made again where they run, as in a first build."""
    seen = {}
    run = pages.run

    def watching_run(listing, todo, folder, procs, site, ahead=None):
        seen.update(listing=listing, todo=todo, previous=len(listing.plan.previous.jobs))
        return run(listing, todo, folder, procs, site, ahead)

    monkeypatch.setattr(pages, "run", watching_run)
    before = files(archive.output)
    figures = archive.build(SITENAME="On the Record, renamed")
    assert figures["full"] and figures["rendered"] == figures["jobs"]
    listing = seen["listing"]
    statements = [job for job in listing.jobs if job.writer == "statement"]
    assert statements and all(job.view is None for job in statements)
    assert {job.key for job in statements} <= set(listing.remakes)
    assert seen["previous"] == 0  # every job runs: nothing of the last build is kept
    after = files(archive.output)
    assert {name for name in changed(before, after) if name.startswith("statements/")}
    # An edit after it: the edited statement's job runs, its view made again.
    archive.edit(STATEMENT, HEADLINE, 'headline: "Edited: ')
    figures = archive.build(SITENAME="On the Record, renamed")
    assert not figures["full"] and "statements/salami-martyrs-conference/index.html" in {
        job.key for job in seen["todo"]
    }
    page = archive.output / "statements" / "salami-martyrs-conference" / "index.html"
    assert "Edited: " in page.read_text(encoding="utf-8")


def test_pagefind_is_rebuilt_when_a_statement_page_changes(archive):
    archive.build(ONRECORD_PAGEFIND=True)  # the first build with it: indexes every page
    entry = archive.output / "pagefind" / "pagefind-entry.json"
    first = entry.read_bytes()
    archive.edit(STATEMENT, HEADLINE, 'headline: "Edited: ')
    figures = archive.build(ONRECORD_PAGEFIND=True)
    assert not figures["full"]
    assert entry.read_bytes() != first


def test_an_edit_indexes_again_only_its_pagefind_shards(archive, tmp_path):
    """Shards of three statements: the edited statement's pages are in some; the others stay."""
    sharded = {"ONRECORD_PAGEFIND": True, "ONRECORD_PAGEFIND_PER_SHARD": 4}
    archive.build(**sharded)
    shards = archive.output / SHARDS_DIR
    before = {folder.name: folder.stat().st_ino for folder in shards.iterdir()}
    assert len(before) == 2  # and the newest, in pagefind/
    archive.edit(STATEMENT, 'venue: "conference', 'venue: "Tehran conference')
    archive.build(**sharded)
    after = {folder.name: folder.stat().st_ino for folder in shards.iterdir()}
    kept = {name for name in before if after.get(name) == before[name]}
    assert len(after) == 2 and 0 < len(kept) < 3
    # The index is the one a full build of the same records writes.
    build(
        REPO / "pelicanconf.py",
        output=tmp_path / "output",
        index_dir=tmp_path / "var" / "index",
        ONRECORD_ROOT=str(archive.root),
        **sharded,
    )
    assert indexed_words(archive.output) == indexed_words(tmp_path / "output")


def test_pagefind_is_left_alone_when_no_statement_page_changed(archive):
    archive.build(ONRECORD_PAGEFIND=True)
    entry = archive.output / "pagefind" / "pagefind-entry.json"
    date = entry.stat().st_mtime_ns
    archive.build(ONRECORD_PAGEFIND=True)
    assert entry.stat().st_mtime_ns == date


# -- fingerprints --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def statements():
    return list(load_archive(SEED).statements.values())


def test_records_that_differ_in_one_field_have_different_fingerprints(statements):
    # Pickling a record makes temporary lists; a reused id() must not pass for the same value.
    variants = [dataclasses.replace(statements[0], footnote=n) for n in range(200)]
    fingerprints = Fingerprints(b"salt")
    assert len({fingerprints.of({"statement": s}) for s in variants}) == len(variants)


def test_fingerprints_are_the_same_in_every_build(statements):
    first, second = Fingerprints(b"salt"), Fingerprints(b"salt")
    assert [first.of((s, [s] * 20)) for s in statements] == [
        second.of((s, [s] * 20)) for s in reversed(statements)
    ][::-1]


def test_fingerprinting_leaves_no_copy_of_the_text_in_the_record(statements):
    """Pickling a str caches its UTF-8 inside it for good (CPython): 198 MB at 100,000."""
    text = "Ḥasan said: " + "words " * 200
    statement = dataclasses.replace(statements[0], paragraphs=(text,), headline="Ḥ " + text)
    size = sys.getsizeof(text), sys.getsizeof(statement.headline)
    other = dataclasses.replace(statement, paragraphs=(text.replace("Ḥ", "H"),))
    fingerprints = Fingerprints(b"salt")
    assert fingerprints.of({"s": statement}) != fingerprints.of({"s": other})
    assert (sys.getsizeof(text), sys.getsizeof(statement.headline)) == size


def test_fingerprints_refuse_what_is_not_plain_data():
    with pytest.raises(TypeError):
        Fingerprints(b"salt").of({"make": lambda: None})


def test_the_manifest_lists_the_files_pelican_wrote_beside_the_jobs(archive):
    """Theme files are no job's: the manifest lists them apart, and a rebuild keeps them."""
    manifest = pages.read_manifest(archive.index.parent / "cache" / "pages.pickle", archive.output)
    theme = REPO / "theme" / "static"
    expected = {f"theme/{p.relative_to(theme)}" for p in theme.rglob("*") if p.is_file()}
    assert set(manifest.other_files) == expected
    made = {name for _, files in manifest.jobs.values() for name in files}
    on_disk = {str(p.relative_to(archive.output)) for p in archive.output.rglob("*") if p.is_file()}
    assert on_disk - {"pagefind"} == made | expected
    archive.edit(STATEMENT, HEADLINE, 'headline: "Edited: ')
    archive.build()
    again = pages.read_manifest(archive.index.parent / "cache" / "pages.pickle", archive.output)
    assert set(again.other_files) == expected
    assert all((archive.output / name).is_file() for name in expected)
