"""An edit of a statement's words lists anew only the jobs it reaches, and misses none.

Each test builds a copy of the seed archive (its files dated in the past, so that an edit
moves the edited statement's last change and the feeds and sitemap see it), edits one
statement as an editor would, and compares. The reference is a build that fingerprints
every job (its reach state deleted): every job whose fingerprint that build changes must
be among the jobs the reach lists anew, and the build of one reach must give the very
files a cold build gives.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import SEED
from test_incremental import STATEMENT, Archive, changed, files, full_build_of

from onrecord import buildstate, pages, reach, urls
from onrecord.fingerprints import Fingerprints
from onrecord.records import load_archive
from onrecord.search import index as search_index
from onrecord.search import open_index
from onrecord.search.index import current_build, read_spellings

PAST = 1_577_836_800  # 2020-01-01: the copy's files changed long before the edit

# An edit of each of reach.WORDS, in STATEMENT (old text, new text).
WORD_EDITS = {
    "paragraphs": ('."\noriginal:', '. Edited."\noriginal:'),
    "headline": ('headline: "Deputy IRGC Commander Salami: ', 'headline: "Edited: '),
    "venue": ('venue: "conference', 'venue: "a conference'),
    "notes": ("notes: null", 'notes: "An editor\'s note."'),
    "attribution_note": ("attribution_note: null", 'attribution_note: "As reported."'),
    "section": ('language: "en"', 'language: "en"\nsection: "Part two"'),
}
# Edits beyond the words, in STATEMENT: every job but the statements' pages is listed anew,
# with the pages of the statements that hold it, or may now.
BEYOND_WORDS = {
    "role": ('role: "Deputy IRGC commander"', 'role: "IRGC commander"'),
    "date": ('date: "2017-11-22"', 'date: "2017-11-21"'),
    "themes": ("themes:\n", 'themes:\n- "basij"\n'),
    # To Jafari, between his two statements: each now links to it as the one before or after.
    "speaker": (
        'speaker: "hossein-salami"\nrole: "Deputy IRGC commander"\ndate: "2017-11-22"',
        'speaker: "mohammad-ali-jafari"\nrole: "Deputy IRGC commander"\ndate: "2017-11-24"',
    ),
    # The quoted statement's page lists who quotes it.
    "quotes": ("quotes: []", 'quotes:\n- paragraph: 1\n  statement: "jafari-press-conference"'),
    "attribution": ('attribution: "secondary"', 'attribution: "primary"'),  # still published
}
# Pages the edit changes though they did not hold STATEMENT before it.
NEWLY_HOLDING = {
    "speaker": {"jafari-press-conference", "jafari-basij-conference"},
    "quotes": {"jafari-press-conference"},
}
# Edits of its place among its source's footnotes: every job is listed anew.
PLACED_EDITS = {"footnote": ("footnote: 6", "footnote: 5")}


def page_key(statement_id: str) -> str:
    return f"statements/{statement_id}/index.html"


def test_every_word_field_is_an_edit_that_reaches(archive_in_past):
    assert set(WORD_EDITS) == reach.WORDS


@pytest.fixture
def archive_in_past(tmp_path) -> Archive:
    archive = Archive(tmp_path / "archive")
    for folder, _, names in os.walk(archive.root):
        for name in names:
            os.utime(os.path.join(folder, name), (PAST, PAST))
    archive.build()
    return archive


def prints(archive: Archive) -> dict[str, bytes]:
    manifest = pages.read_manifest(cache_dir(archive) / "pages.pickle", archive.output.resolve())
    return {key: fingerprint for key, (fingerprint, _) in manifest.jobs.items()}


def cache_dir(archive: Archive) -> Path:
    return archive.index.parent / "cache"


def reach_now(archive: Archive, state: reach.State | None) -> pages.Reach | None:
    """The reach a build of the archive as it is now would take from `state`."""
    now = buildstate.with_root_files(archive.root, buildstate.signatures(archive.root))
    manifest = pages.read_manifest(cache_dir(archive) / "pages.pickle", archive.output.resolve())
    edited = load_archive(archive.root)
    return reach.reach(state, manifest.token, now, None, date.today(), edited)


def reached_and_moved(archive: Archive, edit: tuple[str, str]):
    """Edit STATEMENT: the last build's state, the reach the edit's build would take, and the
    jobs whose fingerprints a build listing every job then changes (the reference)."""
    state = reach.read(cache_dir(archive))
    assert state is not None and state.held
    before = prints(archive)
    archive.edit(STATEMENT, *edit)
    found = reach_now(archive, state)
    reach.forget(cache_dir(archive))
    assert archive.build()["reached"] is None
    moved = {key for key, fingerprint in prints(archive).items() if before[key] != fingerprint}
    # Jobs no view holds statements of are listed anew in every build of one reach.
    anew = before.keys() - state.held.keys()
    return found, moved, anew, len(before)


@pytest.mark.parametrize("field", sorted(WORD_EDITS))
def test_the_jobs_an_edit_of_the_words_changes_are_among_those_it_reaches(archive_in_past, field):
    found, moved, anew, jobs = reached_and_moved(archive_in_past, WORD_EDITS[field])
    assert found is not None, f"an edit of the {field} must reach only some jobs"
    assert moved - anew, "the edit must change a page that holds the statement"
    assert moved <= found.jobs | anew, f"missed: {sorted(moved - found.jobs - anew)}"
    assert len(found.jobs) < jobs / 4


@pytest.mark.parametrize("field", sorted(WORD_EDITS.keys() | BEYOND_WORDS.keys()))
def test_a_build_of_one_reach_equals_a_cold_build(archive_in_past, tmp_path, field):
    archive = archive_in_past
    before = files(archive.output)
    archive.edit(STATEMENT, *(WORD_EDITS.get(field) or BEYOND_WORDS[field]))
    figures = archive.build()
    assert figures["reached"] is not None and not figures["full"]
    if field in WORD_EDITS:
        assert figures["reached"] < figures["jobs"] / 4
    after = files(archive.output)
    assert changed(before, after), "the edit shows somewhere"
    assert after == full_build_of(archive, tmp_path / "cold")
    assert indexed(archive.index) == indexed(tmp_path / "cold" / "var" / "index")


def test_a_build_of_one_reach_writes_its_data_files_while_the_listing_goes_on(
    archive_in_past, monkeypatch
):
    archive = archive_in_past
    events: list[tuple[str, list[str]]] = []
    ahead, stale, run_all = pages.Ahead, pages.stale, pages._run_all

    def watching_ahead(jobs, *rest):
        events.append(("ahead", sorted(job.key for job in jobs)))
        return ahead(jobs, *rest)

    def watching_stale(listing):
        events.append(("listed", []))
        return stale(listing)

    def watching_run_all(todo, *rest):
        events.append(("pool", sorted(job.key for job in todo)))
        return run_all(todo, *rest)

    monkeypatch.setattr(pages, "Ahead", watching_ahead)
    monkeypatch.setattr(pages, "stale", watching_stale)
    monkeypatch.setattr(pages, "_run_all", watching_run_all)
    archive.edit(STATEMENT, *WORD_EDITS["paragraphs"])
    assert archive.build(ONRECORD_PROCS=2)["reached"] is not None
    (first, exports), (second, _), (third, pooled) = events
    assert (first, second, third) == ("ahead", "listed", "pool")
    assert "data/statements.json" in exports and "data/onrecord.db" in exports
    assert not set(exports) & set(pooled) and pooled
    assert "Edited." in (archive.output / "data" / "statements.json").read_text("utf-8")


def test_a_build_listing_every_job_writes_its_data_files_with_the_rest(
    archive_in_past, monkeypatch
):
    started: list = []
    monkeypatch.setattr(pages, "Ahead", lambda *args: started.append(args))
    reach.forget(cache_dir(archive_in_past))
    archive_in_past.edit(STATEMENT, *WORD_EDITS["paragraphs"])
    assert archive_in_past.build(ONRECORD_PROCS=2)["reached"] is None
    assert started == []
    assert "Edited." in (archive_in_past.output / "data" / "statements.csv").read_text("utf-8")


def test_every_build_keeps_the_lists_spans_for_the_next_update(archive_in_past):
    from onrecord import exports
    from onrecord.exports.files import recall_spans

    archive, folder = archive_in_past, cache_dir(archive_in_past) / "spans"
    for step in ("cold", "edit"):
        for name, scan in (
            ("statements.json", exports.json_spans),
            ("statements.csv", exports.csv_spans),
        ):
            published = archive.output / "data" / name
            kept = recall_spans(published, folder)
            assert kept is not None and kept == scan(published), (step, name)
        archive.edit(STATEMENT, *WORD_EDITS["paragraphs"])
        assert archive.build(ONRECORD_PROCS=2)["reached"] is not None


def indexed(index_root: Path) -> tuple[dict[str, dict], dict[str, int]]:
    """Every document the current index build stores, by id, and its spellings."""
    with open_index(index_root).searcher() as searcher:
        documents = {fields["id"]: fields for fields in searcher.all_stored_fields()}
    return documents, read_spellings(current_build(index_root))


def test_a_build_of_one_reach_makes_only_its_statements_documents(
    archive_in_past, tmp_path, monkeypatch
):
    archive = archive_in_past
    archive.edit(STATEMENT, *WORD_EDITS["paragraphs"])
    ids = {s.id for s in load_archive(archive.root).statements.values() if s.path == STATEMENT}
    made = search_index.document

    def only_reached(the_archive, statement, references=None):
        # In the index's process, forked from this one: a stray document fails the build.
        assert statement.id in ids, f"{statement.id} was not edited"
        return made(the_archive, statement, references)

    monkeypatch.setattr(search_index, "document", only_reached)
    assert archive.build()["reached"] is not None
    monkeypatch.undo()
    full_build_of(archive, tmp_path / "cold")
    assert indexed(archive.index) == indexed(tmp_path / "cold" / "var" / "index")
    assert "Edited" in indexed(archive.index)[0][sorted(ids)[0]]["text"]


def test_builds_of_one_reach_after_another_stay_right(archive_in_past, tmp_path):
    archive = archive_in_past
    for n, field in enumerate(sorted(WORD_EDITS)):
        archive.edit(STATEMENT, *WORD_EDITS[field])
        assert archive.build()["reached"] is not None, n
    assert files(archive.output) == full_build_of(archive, tmp_path / "cold")


@pytest.mark.parametrize("field", sorted(BEYOND_WORDS))
def test_the_jobs_an_edit_beyond_the_words_changes_are_among_those_it_reaches(
    archive_in_past, field
):
    found, moved, anew, _ = reached_and_moved(archive_in_past, BEYOND_WORDS[field])
    assert found is not None and not found.words_only
    assert moved <= found.jobs | anew, f"missed: {sorted(moved - found.jobs - anew)}"
    newly = {page_key(i) for i in NEWLY_HOLDING.get(field, ())}
    assert newly <= moved, "the pages that did not hold it change"
    statement_pages = {page_key(i) for i in load_archive(archive_in_past.root).statements}
    assert statement_pages - found.jobs, "the statements' pages it cannot reach are kept"


def test_edits_beyond_the_words_one_after_another_stay_right(archive_in_past, tmp_path):
    archive = archive_in_past
    for n, field in enumerate(["themes", "paragraphs", "speaker", "role", "quotes", "headline"]):
        archive.edit(STATEMENT, *(BEYOND_WORDS.get(field) or WORD_EDITS[field]))
        assert archive.build()["reached"] is not None, n
    assert files(archive.output) == full_build_of(archive, tmp_path / "cold")
    # The state keeps the statement's shape as edited: an edit of its words alone is one.
    archive.edit(STATEMENT, *WORD_EDITS["venue"])
    found = reach_now(archive, reach.read(cache_dir(archive)))
    assert found is not None and found.words_only


@pytest.mark.parametrize("field", sorted(PLACED_EDITS))
def test_an_edit_of_a_statements_place_in_its_source_lists_every_job(
    archive_in_past, tmp_path, field
):
    archive = archive_in_past
    archive.edit(STATEMENT, *PLACED_EDITS[field])
    figures = archive.build()
    assert figures["reached"] is None
    assert files(archive.output) == full_build_of(archive, tmp_path / "cold")


def test_a_statement_added_or_a_speaker_edited_lists_every_job(archive_in_past):
    archive = archive_in_past
    archive.add_statement("salami-second-conference")
    assert archive.build()["reached"] is None
    speaker = next((archive.root / "speakers").glob("*.yaml"))
    speaker.write_text(speaker.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert archive.build()["reached"] is None


def test_a_damaged_reach_state_lists_every_job_said_in_one_line(archive_in_past, caplog):
    archive = archive_in_past
    (cache_dir(archive) / reach.FILE_NAME).write_bytes(b"not a pickle")
    archive.edit(STATEMENT, *WORD_EDITS["headline"])
    with caplog.at_level(logging.WARNING, logger="onrecord"):
        figures = archive.build()
    assert figures["reached"] is None
    assert [r.message for r in caplog.records if reach.FILE_NAME in r.message]
    assert reach.read(cache_dir(archive)) is not None  # written again by that build


def test_a_state_of_another_build_another_day_or_head_reaches_nothing(archive_in_past):
    archive = archive_in_past
    state = reach.read(cache_dir(archive))
    manifest = pages.read_manifest(cache_dir(archive) / "pages.pickle", archive.output.resolve())
    archive.edit(STATEMENT, *WORD_EDITS["headline"])
    now = buildstate.with_root_files(archive.root, buildstate.signatures(archive.root))
    edited = load_archive(archive.root)
    today = date.today()
    assert reach.reach(state, manifest.token, now, None, today, edited) is not None
    assert reach.reach(state, "another", now, None, today, edited) is None
    assert reach.reach(state, manifest.token, now, "abc", today, edited) is None
    tomorrow = today + timedelta(days=1)
    assert reach.reach(state, manifest.token, now, None, tomorrow, edited) is None
    assert reach.reach(None, manifest.token, now, None, today, edited) is None
    # Nothing changed at all: no reach (the build has nothing to do, or more than files).
    same = dataclasses.replace(state, files=now)
    assert reach.reach(same, manifest.token, now, None, today, edited) is None


def test_a_changed_setting_lists_every_job(archive_in_past):
    archive = archive_in_past
    archive.edit(STATEMENT, *WORD_EDITS["headline"])
    figures = archive.build(ONRECORD_PER_PAGE=7)
    assert figures["reached"] is None and figures["rendered"] == figures["jobs"]


def test_the_shape_leaves_out_the_words_alone():
    statement = next(iter(load_archive(SEED).statements.values()))
    for name in reach.WORDS | reach.DATED:
        value = getattr(statement, name)
        other = (
            ("x",) if isinstance(value, tuple) else date(2001, 1, 1) if name in reach.DATED else "x"
        )
        assert reach.shape(dataclasses.replace(statement, **{name: other})) == reach.shape(
            statement
        )
    for name in ("role", "speaker_id", "theme_ids", "footnote", "path", "aliases"):
        value = getattr(statement, name)
        other = ("x",) if isinstance(value, tuple) else 99 if name == "footnote" else "x"
        assert reach.shape(dataclasses.replace(statement, **{name: other})) != reach.shape(
            statement
        )


def kept_listing(previous: dict[str, bytes], held: dict[str, tuple[str, ...]]) -> pages.Listing:
    """A listing of a build of one reach that reaches none of `previous`'s jobs."""
    manifest = pages.Manifest(jobs={key: (fp, (key,)) for key, fp in previous.items()})
    state = pages.Reach(frozenset(), frozenset(), b"salt", held, {})
    plan = pages.Plan(manifest, full=False, reaching=lambda: state)
    return pages.Listing(plan, Fingerprints(b"salt"))


def test_jobs_kept_in_runs_are_kept_as_one_by_one():
    previous = {f"statements/s{n}/index.html": bytes([n]) for n in range(6)}
    held = {key: (f"s{n}",) for n, key in enumerate(previous) if n % 2}
    keys = list(previous)
    one_by_one, in_runs = kept_listing(previous, held), kept_listing(previous, held)
    for key in keys:
        one_by_one.keep(key)
    in_runs.keep_all(keys[:4])
    in_runs.keep_all(keys[4:])
    for listing in (one_by_one, in_runs):
        assert listing.prints == previous
        assert listing.plan.held == {key: held.get(key, ()) for key in keys}
        assert [job.key for job in listing.jobs] == keys
        assert all(job.view is None for job in listing.jobs)


@pytest.mark.parametrize("runs", [[[0, 1, 1]], [[0, 1], [2, 1]]])
def test_a_job_kept_twice_is_named(runs):
    previous = {f"statements/s{n}/index.html": bytes([n]) for n in range(3)}
    keys = list(previous)
    listing = kept_listing(previous, {})
    with pytest.raises(pages.RenderError, match="two jobs write statements/s1/index.html"):
        for run in runs:
            listing.keep_all([keys[n] for n in run])


def test_an_edit_lists_anew_only_the_feeds_its_statements_are_in(archive_in_past, monkeypatch):
    archive = archive_in_past
    archive.edit(STATEMENT, *WORD_EDITS["paragraphs"])
    edited = next(s for s in load_archive(archive.root).statements.values() if s.path == STATEMENT)
    listed: dict[str, str] = {}
    run = pages.run

    def watching(listing, todo, *args, **kwargs):
        listed.update((job.key, job.writer) for job in listing.jobs)
        return run(listing, todo, *args, **kwargs)

    monkeypatch.setattr(pages, "run", watching)
    assert archive.build()["reached"] is not None
    feeds = {key: writer for key, writer in listed.items() if key.endswith(".atom.xml")}
    its_feeds = {
        "feeds/all.atom.xml",
        f"feeds/speakers/{edited.speaker_id}.atom.xml",
        *(f"feeds/themes/{theme}.atom.xml" for theme in edited.theme_ids),
    }
    assert its_feeds <= feeds.keys()
    assert all(feeds[key] == "page" for key in its_feeds), "its feeds are made again"
    others = {key for key in feeds if key.startswith("feeds/speakers/")} - its_feeds
    assert others and all(feeds[key] == "" for key in others), "the others are kept unmade"


@pytest.mark.parametrize("statement_id", ["salami-martyrs-conference", "a", "page", "x-2-3"])
def test_a_statement_page_file_names_its_statement(statement_id):
    saved = urls.save_as(urls.record("statement", statement_id))
    assert urls.record_of("statement", saved) == statement_id
    assert urls.record_of("speaker", saved) is None


@pytest.mark.parametrize(
    "saved",
    [
        "statements/index.html",  # the list's first page
        "statements/page/2/index.html",
        "statements/salami-martyrs-conference/cite.bib",
        "statements/salami-martyrs-conference.json",
        "speakers/hossein-salami/index.html",
        "index.html",
    ],
)
def test_no_other_file_is_a_statement_page(saved):
    assert urls.record_of("statement", saved) is None


def test_the_state_keeps_each_statements_digest_as_the_fingerprints_make_it(archive_in_past):
    from onrecord import history

    archive = archive_in_past

    def kept_and_made() -> tuple[dict[str, str], dict[str, str]]:
        state = reach.read(cache_dir(archive))
        assert state is not None
        dated = history.with_history(load_archive(archive.root), archive.root, cache_dir(archive))
        made = {key: Fingerprints(b"").reduce(s)[1][0] for key, s in dated.statements.items()}
        kept = {key: value[reach.SHAPE :].hex() for key, value in state.shapes.items()}
        return {key: digest for key, digest in kept.items() if digest}, made

    kept, made = kept_and_made()
    assert kept == made
    # After an edit, every digest kept is the statement's as it is now (the edited one's made
    # again by the jobs that fingerprinted it, or dropped).
    for field in ("paragraphs", "themes"):
        archive.edit(STATEMENT, *(WORD_EDITS.get(field) or BEYOND_WORDS[field]))
        assert archive.build()["reached"] is not None
        kept, made = kept_and_made()
        assert kept.items() <= made.items() and len(kept) >= len(made) - 2, field


def test_a_withdrawal_or_its_undoing_lists_every_job(archive_in_past):
    """A withdrawn statement leaves its source's footnote counts: the pages every statement
    citing that source links to may move. (In the fixture a withdrawal also edits claims,
    which lists every job anyway: the reach is asked of the records alone.)"""
    from onrecord.model import Archive as Records

    archive = archive_in_past
    state = reach.read(cache_dir(archive))
    manifest = pages.read_manifest(cache_dir(archive) / "pages.pickle", archive.output.resolve())
    records = load_archive(archive.root)
    statement = next(s for s in records.statements.values() if s.path == STATEMENT)
    files = {**state.files, STATEMENT: b"edited"}

    def reach_of(**fields):
        changed = {**records.statements, statement.id: dataclasses.replace(statement, **fields)}
        edited = Records.of(
            records.speakers, records.outlets, records.themes, records.sources, changed
        )
        return reach.reach(state, manifest.token, files, None, date.today(), edited)

    withdrawn = {"attribution_note": "Test.", "withdrawn_on": date(2018, 1, 1)}
    assert reach_of(attribution="withdrawn", **withdrawn) is None
    found = reach_of(attribution="primary")
    assert found is not None and not found.words_only
