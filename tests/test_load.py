"""`load_archive`'s shortcuts change nothing but time.

The records cache (files skipped by their size, times and inode, or by their bytes), the
quick schema check that spares jsonschema for valid records, the listing of files and the
checking of many files in forked processes must each give exactly what the plain way gives:
the same archive, and the same problems at the same places.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from conftest import SEED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onrecord.model import Archive
from onrecord.problems import RecordError
from onrecord.records import KINDS, Layout, cache, check, load_archive, parallel, validate

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"
CASES = sorted(path.name for path in BAD.iterdir() if path.is_dir())
TODAY = date(2024, 1, 1)
STATEMENT = "content/statements/2017/khamenei-ahl-al-bayt-speech.yaml"


def archive(tmp_path: Path, *cases: str) -> Path:
    root = tmp_path / "archive"
    shutil.copytree(GOOD, root, dirs_exist_ok=True)
    for case in cases:
        shutil.copytree(
            BAD / case, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("expect.txt")
        )
    return root


def outcome(root: Path, cache_file: Path | None = None) -> object:
    """The archive, or every problem as printed."""
    try:
        return load_archive(root, today=TODAY, cache_file=cache_file)
    except RecordError as error:
        return [str(problem) for problem in error.problems]


@pytest.fixture
def trusted_times(monkeypatch):
    """Files just written count as settled: the cache may skip them by their size and times."""
    monkeypatch.setattr(cache, "_RACY_NS", -(10**18))


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The path of every file parsed and schema-checked from now on."""
    seen: list[str] = []
    real = check.read_record

    def counting(kind, shown, raw):
        seen.append(shown)
        return real(kind, shown, raw)

    monkeypatch.setattr(check, "read_record", counting)
    return seen


# -- the records cache --------------------------------------------------------------------------


def test_a_warm_load_gives_the_archive_a_cold_one_does(tmp_path, trusted_times, parses):
    root, cache_file = archive(tmp_path), tmp_path / "cache" / "records.pickle"
    plain = outcome(root)
    assert outcome(root, cache_file) == plain
    parsed = len(parses)
    assert outcome(root, cache_file) == plain
    assert len(parses) == parsed  # nothing parsed again


def test_a_cache_written_in_parts_is_read_whole(tmp_path, trusted_times, parses, monkeypatch):
    monkeypatch.setattr(cache, "PART", 3)  # the seed's files in parts of three
    root, cache_file = archive(tmp_path), tmp_path / "cache" / "records.pickle"
    plain = outcome(root, cache_file)
    parses.clear()
    assert outcome(root, cache_file) == plain
    assert parses == []


def test_a_part_whose_process_failed_is_written_by_this_one(
    tmp_path, trusted_times, parses, monkeypatch
):
    """A forked process that dies halfway through its part leaves no bytes of it behind."""
    # Forked even if an earlier test left a thread running: the child only pickles a part.
    monkeypatch.setattr(cache, "may_fork", lambda: sys.platform == "linux")
    monkeypatch.setattr(cache, "PART", 3)
    here, real = os.getpid(), cache._write_part

    def failing_elsewhere(path, part):
        if os.getpid() != here:
            with open(path, "ab") as handle:
                handle.write(b"half a part")
            raise OSError("no space left")
        real(path, part)

    monkeypatch.setattr(cache, "_write_part", failing_elsewhere)
    root, cache_file = archive(tmp_path), tmp_path / "records.pickle"
    plain = outcome(root, cache_file)
    parses.clear()
    assert outcome(root, cache_file) == plain
    assert parses == []


def damage_in_place(path: Path) -> None:
    """Bytes that are no cache, with the file's size, modification time and inode kept."""
    status = path.stat()
    with open(path, "r+b") as handle:
        handle.write(b"\0" * status.st_size)
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


def test_a_damaged_cache_is_no_cache(tmp_path, trusted_times, parses):
    root, cache_file = archive(tmp_path), tmp_path / "records.pickle"
    plain = outcome(root, cache_file)
    damage_in_place(cache_file)
    parses.clear()
    assert outcome(root, cache_file) == plain
    assert len(parses) > 10


def test_a_cache_another_version_wrote_is_turned_down_unread(
    tmp_path, trusted_times, parses, monkeypatch
):
    root, cache_file = archive(tmp_path), tmp_path / "records.pickle"
    plain = outcome(root, cache_file)
    monkeypatch.setattr(cache, "_fingerprint", lambda: "another version of the code")
    loaded: list[object] = []
    real_load = pickle.load

    def load(handle):
        loaded.append(real_load(handle))
        return loaded[-1]

    monkeypatch.setattr(cache.pickle, "load", load)
    parses.clear()
    assert outcome(root, cache_file) == plain
    assert len(parses) > 10  # every file read again
    # Only the version and fingerprint were unpickled, never the records.
    assert len(loaded) == 1 and not any(isinstance(part, dict) for part in loaded[0])


def test_a_file_whose_times_changed_is_compared_by_its_bytes(tmp_path, trusted_times, parses):
    root, cache_file = archive(tmp_path), tmp_path / "records.pickle"
    outcome(root, cache_file)
    path = root / STATEMENT
    path.write_bytes(path.read_bytes())
    parses.clear()
    assert isinstance(outcome(root, cache_file), Archive)
    assert parses == []


def test_an_edited_file_is_checked_again(tmp_path, trusted_times, parses):
    root, cache_file = archive(tmp_path), tmp_path / "records.pickle"
    outcome(root, cache_file)
    path = root / STATEMENT
    stat = path.stat()
    # Same size and modification time: only the change time and the bytes tell.
    path.write_bytes(path.read_bytes().replace(b'"secondary"', b'"secondarY"'))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    parses.clear()
    warm = outcome(root, cache_file)
    assert parses == [STATEMENT]
    assert warm == outcome(root)
    assert any("`attribution` cannot be 'secondarY'" in problem for problem in warm)


def test_a_load_takes_each_files_status_as_given_and_does_not_stat_it_again(
    tmp_path, trusted_times, parses
):
    """`onrecord build` stats every input file once (buildstate.signatures) and hands the
    statuses to the load: a status given is the one the cache is asked about."""
    from onrecord import buildstate
    from onrecord.records import load_archive_and_changes

    root, cache_file = archive(tmp_path), tmp_path / "records.pickle"
    stats: dict[str, os.stat_result] = {}
    buildstate.signatures(root, stats)
    assert STATEMENT in stats and all(not shown.startswith("/") for shown in stats)
    outcome(root, cache_file)
    path = root / STATEMENT
    path.write_bytes(path.read_bytes().replace(b'"secondary"', b'"primary"'))
    parses.clear()
    # Given the status from before the edit, the cache's records stand for the file.
    load_archive_and_changes(root, today=TODAY, cache_file=cache_file, stats=stats)
    assert parses == []
    # Its own status (none given) shows the edit: the file is read and checked again.
    del stats[STATEMENT]
    load_archive_and_changes(root, today=TODAY, cache_file=cache_file, stats=stats)
    assert parses == [STATEMENT]


def test_a_few_edits_do_not_write_the_whole_cache_again(
    tmp_path, trusted_times, parses, monkeypatch
):
    root, cache_file = archive(tmp_path), tmp_path / "records.pickle"
    outcome(root, cache_file)
    written = cache_file.read_bytes()
    monkeypatch.setattr(cache, "_RESAVE_SHARE", 1)  # out of date by one file in twenty: fine
    path = root / STATEMENT
    path.write_bytes(path.read_bytes().replace(b"notes: null", b'notes: "edited"'))
    parses.clear()
    for _ in range(2):
        assert outcome(root, cache_file) == outcome(root)
    assert cache_file.read_bytes() == written
    assert parses.count(STATEMENT) == 4  # twice from the cache's load, twice from the plain one


def test_a_file_changed_just_before_a_load_is_not_trusted_by_its_times(tmp_path):
    root, cache_file = archive(tmp_path), tmp_path / "records.pickle"
    outcome(root, cache_file)
    entries = cache._read_cache(cache_file)
    assert entries and all(signature is None for signature, _, _ in entries.values())


@pytest.mark.parametrize("case", CASES)
def test_problems_are_the_same_with_a_warm_cache(case, tmp_path, trusted_times):
    root, cache_file = archive(tmp_path), tmp_path / "records.pickle"
    outcome(root, cache_file)  # every good file cached
    root = archive(tmp_path, case)
    plain = outcome(root)
    assert isinstance(plain, list)
    assert outcome(root, cache_file) == plain  # cold for the case's files
    assert outcome(root, cache_file) == plain  # the case's files that passed are cached now


def test_a_rule_places_its_problem_in_a_cached_file(tmp_path, trusted_times):
    root, cache_file = archive(tmp_path), tmp_path / "records.pickle"
    outcome(root, cache_file)
    (root / "speakers/ali-khamenei.yaml").unlink()
    problems = outcome(root, cache_file)
    assert problems == outcome(root)
    assert any(p.startswith(f"{STATEMENT}:3:10: unknown speaker") for p in problems)


@pytest.mark.parametrize("content", [b"", b"not a pickle", b"\x80\x05K\x01."])
def test_an_unreadable_cache_is_no_cache(tmp_path, content):
    root, cache_file = archive(tmp_path), tmp_path / "records.pickle"
    cache_file.write_bytes(content)
    assert outcome(root, cache_file) == outcome(root)
    assert cache._read_cache(cache_file)


def test_a_cache_of_another_version_is_not_used(tmp_path, trusted_times, parses, monkeypatch):
    root, cache_file = archive(tmp_path), tmp_path / "records.pickle"
    outcome(root, cache_file)
    monkeypatch.setattr(cache, "_CACHE_VERSION", cache._CACHE_VERSION + 1)
    parses.clear()
    outcome(root, cache_file)
    assert len(parses) == len(list(Layout(root).files()))


# -- finding the files ---------------------------------------------------------------------------


def globbed(root: Path) -> list[tuple[str, Path]]:
    """The files as `Layout.files` once found them: with pathlib's glob, then sorted."""
    found = []
    for kind, folder in Layout(root).folders().items():
        if folder.is_dir():
            pattern = "**/*" if kind == "statement" else "*"
            for path in sorted(folder.glob(pattern)):
                if path.suffix in (".yaml", ".yml") and path.is_file():
                    found.append((kind, path))
    return found


def test_files_are_found_as_glob_finds_them(tmp_path):
    root = archive(tmp_path)
    statements = root / "content" / "statements"
    for name in ("a-b/x.yaml", "a/b.yaml", "a/.hidden.yaml", "2017/.yaml", "2017/..yaml"):
        (statements / name).parent.mkdir(parents=True, exist_ok=True)
        (statements / name).write_text("id: x\n")
    for name in ("B.yml", "a.yaml.txt", "b.", "Z.YAML"):
        (root / "speakers" / name).write_text("id: x\n")
    (root / "speakers" / "d.yaml").mkdir()
    (statements / "linked").symlink_to(statements / "a", target_is_directory=True)
    (statements / "2017" / "link.yaml").symlink_to(statements / "a" / "b.yaml")
    (statements / "2017" / "broken.yaml").symlink_to(statements / "missing.yaml")
    assert list(Layout(root).files()) == globbed(root)


# -- the quick schema check ----------------------------------------------------------------------

RECORDS = [(kind, yaml.safe_load(path.read_bytes())) for kind, path in Layout(GOOD).files()]
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats()
    | st.sampled_from(["", " ", "x", "ali-khamenei", "2017-02-30", "2017-11-23", "fa", "primary"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=5,
)


def places(data: object, at: tuple = ()) -> list[tuple]:
    """Every path to a value in `data`, its root included."""
    if isinstance(data, dict):
        items = list(data.items())
    elif isinstance(data, list):
        items = list(enumerate(data))
    else:
        items = []
    return [at] + [place for key, value in items for place in places(value, (*at, key))]


def changed(data: object, at: tuple, value: object) -> object:
    if not at:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)  # type: ignore[call-overload]
    copy[at[0]] = changed(copy[at[0]], at[1:], value)
    return copy


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_quick_check_accepts_only_what_jsonschema_accepts(data):
    kind, record = data.draw(st.sampled_from(RECORDS))
    for _ in range(data.draw(st.integers(1, 3))):
        record = changed(record, data.draw(st.sampled_from(places(record))), data.draw(values))
    if validate.conforms(kind, record):  # else jsonschema decides, as it always did
        assert not any(validate.validator(kind).iter_errors(record))


def test_the_quick_check_covers_every_kind():
    assert all(validate._compiled(kind) is not None for kind in KINDS)
    assert all(validate.conforms(kind, record) for kind, record in RECORDS)


def test_the_quick_check_keeps_the_archives_rules():
    statement = next(record for kind, record in RECORDS if kind == "statement")
    # 3.0 is an integer to JSON Schema (and to fastjsonschema's later drafts), not here.
    assert not validate.conforms("statement", {**statement, "footnote": 3.0})
    assert not validate.conforms("statement", {**statement, "withdrawn_on": "2017-02-30"})
    assert not validate.conforms("statement", {**statement, "date": "2017-13"})
    assert validate.conforms("statement", {**statement, "outlet": None})


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "unevaluatedProperties": False},  # a keyword it does not know
        {"properties": {"a": {"$ref": "#/$defs/a", "minLength": 2}}, "$defs": {"a": {}}},
        {"properties": {"a": {"$ref": "https://example.org/a.json"}}},  # nothing fetched
        {"properties": {"a": {"$ref": "#/$defs/a"}}, "$defs": {"a": {"$ref": "#/$defs/a"}}},
        {"enum": [1, "a"]},  # 1 == 1.0 == true: left to jsonschema
        {"items": [{"type": "string"}]},
    ],
)
def test_a_schema_the_quick_check_might_misread_gets_none(schema):
    with pytest.raises(validate._Unsupported):
        validate._prepared(schema)


# -- many files at once --------------------------------------------------------------------------


@pytest.mark.skipif(
    sys.platform != "linux", reason="files are checked in forked processes on Linux"
)
@pytest.mark.parametrize("cases", [(), ("unknown-speaker", "enum-typo", "yaml-syntax-colon")])
def test_files_checked_in_several_processes_give_the_same_outcome(cases, tmp_path, monkeypatch):
    root = archive(tmp_path, *cases)
    plain = outcome(root)
    monkeypatch.setattr(parallel, "_processes", lambda files: 3)
    assert outcome(root) == plain


SIZES_AFTER_LOADS = """
import sys
from pathlib import Path
from onrecord.records import load_archive

def sizes(archive):
    return sorted(sys.getsizeof(p) for s in archive.statements.values() for p in s.paragraphs)

cached = load_archive(Path(sys.argv[1]), cache_file=Path(sys.argv[2]))
plain = load_archive(Path(sys.argv[1]))
assert Path(sys.argv[2]).is_file()
texts = [p for s in plain.statements.values() for p in s.paragraphs]
print(sizes(cached) == sizes(plain), sum(not text.isascii() for text in texts))
"""


def test_writing_the_records_cache_leaves_the_loaded_text_as_it_was(tmp_path):
    """Pickling a non-ASCII string caches its UTF-8 inside it for good (CPython): the cache
    is written by a forked process. In a process of its own: a thread running (as in a
    test session) makes the load write it itself."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", SIZES_AFTER_LOADS, str(SEED), str(tmp_path / "records.pickle")],
        capture_output=True,
        text=True,
        check=True,
    )
    same, non_ascii = done.stdout.split()
    assert int(non_ascii) > 0 and same == "True"
