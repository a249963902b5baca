"""`onrecord synth`: an archive that checks, builds, searches, and is the same every time."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from onrecord import synth
from onrecord.model import Archive
from onrecord.records import load_archive


def onrecord(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed `onrecord` command beside this Python (the module when it is missing)."""
    script = Path(sys.executable).with_name("onrecord")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "onrecord.cli"]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def tree_hash(folder: Path) -> str:
    """One hash over every file's relative path and bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@pytest.fixture(scope="module")
def archive_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "archive"
    result = onrecord("synth", "50", "--out", str(root))
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def archive(archive_dir: Path) -> Archive:
    return load_archive(archive_dir)


def test_onrecord_check_accepts_it(archive_dir: Path):
    result = onrecord("--root", str(archive_dir), "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: 50 statements, 10 speakers, 3 outlets, 5 themes, 1 source")


def test_same_n_and_seed_give_the_same_bytes(tmp_path: Path):
    for name, seed in (("first", 0), ("second", 0), ("other-seed", 1)):
        synth.write(120, tmp_path / name, seed)
    assert tree_hash(tmp_path / "first") == tree_hash(tmp_path / "second")
    assert tree_hash(tmp_path / "first") != tree_hash(tmp_path / "other-seed")


def test_it_refuses_a_folder_that_is_not_empty(archive_dir: Path):
    result = onrecord("synth", "5", "--out", str(archive_dir))
    assert result.returncode == 1
    assert "not empty" in result.stderr


def test_nested_quotes_sit_verbatim_in_their_parent(archive: Archive):
    nested = [s for s in archive.statements.values() if s.quoted_in]
    assert len(nested) == synth.plan(50).nested == 2
    for statement in nested:
        parent = archive.statements[statement.quoted_in]
        (quote,) = [q for q in parent.quotes if q.statement_id == statement.id]
        assert quote.nested
        assert statement.paragraphs[0] in parent.paragraphs[quote.paragraph - 1]


def test_some_statements_quote_others(archive: Archive):
    references = [q for s in archive.statements.values() for q in s.quotes if not q.nested]
    assert references
    assert all(q.statement_id in archive.statements for q in references)


def test_names_and_words_carry_apostrophes_and_accents(archive: Archive):
    names = {speaker.name for speaker in archive.speakers.values()}
    assert {"José Ñúñez", "Al-Ḥasan Sha'bi"} <= names
    assert "Vis-À-Vis Weekly" in {outlet.name for outlet in archive.outlets.values()}
    text = " ".join(p for s in archive.statements.values() for p in s.paragraphs)
    assert "vis-à-vis" in text
    assert "Sha'bi" in text


def test_dates_are_past_and_spread_over_years(archive: Archive):
    dates = [s.date.first_day for s in archive.statements.values() if s.date]
    assert all(synth.FIRST_DAY <= day <= synth.LAST_DAY for day in dates)
    assert len({day.year for day in dates}) >= 5


def test_paragraphs_are_one_to_six_of_40_to_150_words(archive: Archive):
    for statement in archive.statements.values():
        if statement.quoted_in:
            continue
        assert 1 <= len(statement.paragraphs) <= 6
        holding = {q.paragraph - 1 for q in statement.quotes if q.nested}
        for index, paragraph in enumerate(statement.paragraphs):
            if index not in holding:
                # An editorial [insertion] adds a word or three to the 40–150 drawn.
                assert 40 <= len(paragraph.split()) <= 160


def test_the_source_has_the_footnotes_statements_use(archive: Archive):
    (source,) = archive.sources.values()
    numbers = {footnote.number for footnote in source.footnotes}
    used = {s.footnote for s in archive.statements.values() if s.footnote is not None}
    assert used and used <= numbers


@pytest.mark.parametrize("n", [1000, 10_000, 100_000])
def test_counts_reach_their_caps_at_scale(n: int):
    plan = synth.plan(n)
    assert (plan.speakers, plan.outlets, plan.themes) == (200, 30, 40)
    assert plan.files + plan.nested == n
    assert 0.04 * n <= plan.nested <= 0.05 * n


@pytest.mark.parametrize("n", [1, 20, 21, 50, 419, 420, 1001])
def test_the_files_hold_exactly_the_planned_nested_records(n: int):
    plan = synth.plan(n)
    assert sum(synth.has_nested(plan, index) for index in range(plan.files)) == plan.nested


def test_speakers_outlets_and_themes_scale_down_for_small_archives():
    small, large = synth.plan(50), synth.plan(100_000)
    assert small.speakers < large.speakers and small.outlets < large.outlets
    assert len(synth.speakers(large)) == 200
    assert len({s["id"] for s in synth.speakers(large)}) == 200
    assert len(synth.outlets(large)) == 30 and len(synth.themes(large)) == 40


def test_it_builds_and_searches(archive_dir: Path):
    result = onrecord("build", "--settings", str(archive_dir / "pelicanconf.py"))
    assert result.returncode == 0, result.stderr
    assert (archive_dir / "output" / "index.html").is_file()
    assert (archive_dir / "output" / "statements").is_dir()
    found = onrecord("search", "Ñúñez", "--json", "--index", str(archive_dir / "var" / "index"))
    assert found.returncode == 0, found.stderr
    answer = json.loads(found.stdout)
    assert answer["total"] > 0
