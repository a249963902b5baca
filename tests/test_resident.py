"""The devserver builder's resident archive loads what a fresh load gives, edit after edit.

`ResidentArchive.load` checks only the changed statements when their ids stay (and patches
the model's lookups); anything else loads everything. Either way the archive, or the
problems, must be exactly those of a fresh load (`load_archive` and `with_history`), which
is the reference here: Hypothesis draws edits of every kind, breaking ones and their undoing
among them, and compares after each.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from conftest import SEED, copy_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_corrections import git
from test_incremental_property import EDITS, STATEMENTS, replace_line

from onrecord import builder, buildstate, history, rules
from onrecord.history import with_history
from onrecord.problems import RecordError
from onrecord.records import cache, load_archive
from onrecord.resident import ResidentArchive

TODAY = date(2030, 1, 1)
TEXT = SEED.parent / "seed-report.txt"


def with_text(root: Path) -> Path:
    """The seed with its source's text: statements' passages are located in it."""
    shutil.copy(TEXT, root / "content" / "sources" / "sochi-triumph-report.txt")
    return root


def reference(root: Path) -> object:
    """What a fresh load gives: the archive with its history, or every problem as printed."""
    try:
        return with_history(load_archive(root, today=TODAY), root)
    except RecordError as error:
        return [str(problem) for problem in error.problems]


def resident_outcome(resident: ResidentArchive, changed: set[str] | None = None) -> object:
    loaded = resident.load(TODAY, changed)
    # The key the build state records is the one a fresh look at the files gives.
    assert loaded.records_key == buildstate.records_key(resident.root)
    if loaded.error is not None:
        return [str(problem) for problem in loaded.error.problems]
    return loaded.archive


def unknown_theme(root: Path, n: int) -> None:
    statement = STATEMENTS[n % len(STATEMENTS)]
    replace_line(root / statement.path, "themes", f'themes:\n- "no-such-theme-{n}"')


def disputed_without_note(root: Path, n: int) -> None:
    statement = STATEMENTS[n % len(STATEMENTS)]
    path = root / statement.path
    text = re.sub(r"^attribution_note:.*\n", "", path.read_text(encoding="utf-8"), flags=re.M)
    path.write_text(text, encoding="utf-8")
    replace_line(path, "attribution", 'attribution: "disputed"')


def claim_words_gone(root: Path, n: int) -> None:
    """A statement's words changed under a claim that quotes them."""
    claims = sorted((root / "content" / "claims").glob("*.yaml"))
    text = claims[n % len(claims)].read_text(encoding="utf-8")
    statement_id = re.search(r'statement: "([^"]+)"', text)[1]
    exact = re.search(r'exact: "([^"]+)"', text)[1]
    for path in (root / "content" / "statements").rglob(f"{statement_id}.yaml"):
        record = path.read_text(encoding="utf-8")
        path.write_text(record.replace(exact, exact.upper(), 1), encoding="utf-8")


def add_statement(root: Path, n: int) -> None:
    """A new statement file: a copy of another under a new id."""
    statement = STATEMENTS[n % len(STATEMENTS)]
    text = (root / statement.path).read_text(encoding="utf-8")
    new_id = f"{statement.id}-copy-{n}"
    text = text.replace(f'id: "{statement.id}"', f'id: "{new_id}"', 1)
    text = re.sub(r"^quotes:(\n[- ] .*)*", "quotes: []", text, count=1, flags=re.M)
    (root / statement.path).with_name(f"{new_id}.yaml").write_text(text, encoding="utf-8")


def undo_all(root: Path, n: int) -> None:
    """Every statement file back as the seed has it (a `git checkout .`)."""
    shutil.rmtree(root / "content" / "statements")
    shutil.copytree(SEED / "content" / "statements", root / "content" / "statements")
    shutil.rmtree(root / "content" / "claims")
    shutil.copytree(SEED / "content" / "claims", root / "content" / "claims")


BREAKING: dict[str, Callable[[Path, int], None]] = {
    "unknown theme": unknown_theme,
    "disputed without a note": disputed_without_note,
    "claim's words gone": claim_words_gone,
    "undo": undo_all,
    "new statement": add_statement,
}
# A rename moves a file (and the property test's fixture lists its statements once).
ALL = {**{k: v for k, v in EDITS.items() if k != "rename"}, **BREAKING}


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples every run: CI never meets a new one
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(ALL)), st.integers(min_value=0, max_value=1000)),
        min_size=1,
        max_size=5,
    )
)
def test_a_resident_load_after_any_edits_is_a_fresh_load(steps):
    """Two resident archives: one looks at every file, one is told the changed paths."""
    with tempfile.TemporaryDirectory(prefix="onrecord-resident-") as scratch:
        base = Path(scratch)
        root = with_text(copy_records(base / "archive"))
        looking = ResidentArchive(root, base / "cache")
        told = ResidentArchive(root, base / "told")
        first = reference(root)
        assert resident_outcome(looking) == first
        assert resident_outcome(told) == first
        for number, (kind, n) in enumerate(steps):
            before = watched(root)
            ALL[kind](root, n)
            expected = reference(root)
            assert resident_outcome(looking) == expected, steps[: number + 1]
            assert resident_outcome(told, changes(before, watched(root))) == expected


def watched(root: Path) -> dict[str, tuple]:
    """Every file and folder under the archive, by path: what a watcher would tell apart
    (a file written, even with the same bytes, is reported)."""
    return {
        str(path): (path.is_dir(), *(() if path.is_dir() else (path.read_bytes(), stamp(path))))
        for folder in ("content", "speakers")
        for path in (root / folder).rglob("*")
    }


def stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_ino


def changes(before: dict[str, tuple], after: dict[str, tuple]) -> set[str]:
    """The paths a watcher reports between two looks: added, removed or changed."""
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}


@pytest.fixture
def full_checks(monkeypatch) -> list[int]:
    """One entry per run of every cross-record rule over the whole archive."""
    runs: list[int] = []
    real = rules.context

    def counting(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(rules, "context", counting)
    return runs


@pytest.fixture
def trusted_times(monkeypatch):
    """Files just written count as settled: the cache may skip them by their size and times."""
    monkeypatch.setattr(cache, "_RACY_NS", -(10**18))


def test_an_edited_statement_is_checked_alone_and_a_new_speaker_id_checks_everything(
    tmp_path, full_checks, trusted_times
):
    root = with_text(copy_records(tmp_path / "archive"))
    resident = ResidentArchive(root, tmp_path / "cache")
    first = resident.load(TODAY)
    assert len(full_checks) == 1
    EDITS["role"](root, 0)
    EDITS["date"](root, 1)
    edited = resident.load(TODAY)
    assert len(full_checks) == 1  # the two statements alone
    assert edited.archive == reference(root)
    assert len(edited.fresh) >= 2 and edited.fresh < first.fresh
    # A speaker's id changed: every reference to it must be caught.
    speaker = sorted((root / "speakers").glob("*.yaml"))[0]
    speaker.write_text(
        speaker.read_text(encoding="utf-8").replace(f'id: "{speaker.stem}"', 'id: "renamed"'),
        encoding="utf-8",
    )
    checks = len(full_checks)
    broken = resident.load(TODAY)
    assert len(full_checks) == checks + 1
    assert broken.error is not None
    assert [str(p) for p in broken.error.problems] == reference(root)
    assert any("unknown speaker" in str(p) for p in broken.error.problems)


def test_a_source_text_edited_loads_everything(tmp_path, full_checks, trusted_times):
    root = with_text(copy_records(tmp_path / "archive"))
    resident = ResidentArchive(root, tmp_path / "cache")
    resident.load(TODAY)
    text = root / "content" / "sources" / "sochi-triumph-report.txt"
    text.write_text(text.read_text(encoding="utf-8") + "\n\nA new paragraph.\n", encoding="utf-8")
    loaded = resident.load(TODAY)
    assert len(full_checks) == 2
    assert loaded.archive == reference(root)


def test_edits_in_a_git_checkout_date_again_only_the_edited_statements(
    tmp_path, monkeypatch, trusted_times
):
    """History is looked up for the edited statements alone while HEAD and the other files'
    state in git stay; a commit dates everything again."""
    root = copy_records(tmp_path / "archive")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "records")
    everything: list[int] = []
    real = history.with_history
    monkeypatch.setattr(history, "with_history", lambda *args: everything.append(1) or real(*args))
    resident = ResidentArchive(root, tmp_path / "cache")
    resident.load(TODAY)
    for n in range(3):  # three statements edited one after the other, none committed
        EDITS["role"](root, n)
        loaded = resident.load(TODAY)
        assert loaded.archive == with_history(load_archive(root, today=TODAY), root)
    assert len(everything) == 1  # the first load only
    git(root, "commit", "-q", "-am", "roles", day="2024-02-01")
    loaded = resident.load(TODAY)
    assert len(everything) == 2
    assert loaded.archive == with_history(load_archive(root, today=TODAY), root)


def test_a_kept_archive_that_fails_to_load_is_said_and_dropped(tmp_path, monkeypatch, capsys):
    """The builder's kept archive is a shortcut: if it fails, the build's child loads the
    archive itself, and the devserver's terminal says why."""
    root = copy_records(tmp_path / "archive")
    archives = builder.Archives()
    request = {"root": str(root), "cache": str(tmp_path / "cache")}
    assert archives.load(request).archive is not None
    assert archives.load({"settings": "elsewhere.py"}) is None  # no root given: not kept

    def failing(self, today=None, changed=None):
        raise ZeroDivisionError("a mistake of ours")

    monkeypatch.setattr(ResidentArchive, "load", failing)
    assert archives.load(request) is None
    said = capsys.readouterr().err
    assert "could not be loaded again" in said and "ZeroDivisionError" in said
    assert archives.kept == {}
