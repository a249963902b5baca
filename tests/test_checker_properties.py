"""The checker never crashes: however a valid record is mangled, the answer is problems.

Records from tests/fixtures/good/ are mutated (keys deleted, values swapped for other
types, unicode or deeply nested YAML syntax inserted, bytes truncated or replaced) and
`read_record` and `load_archive` must either accept them or report `Problem`s; any
other exception is a crash an editor would see as a traceback.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onrecord.problems import Problem, RecordError
from onrecord.records import Layout, load_archive, read_record

GOOD = Path(__file__).resolve().parent / "fixtures" / "good"
FILES = [(kind, path) for kind, path in Layout(GOOD).files()]
STATEMENTS = [(kind, path) for kind, path in FILES if kind == "statement"]
# Statements hold most of the structure (quotes, nested records): they are drawn more often.
record_files = st.sampled_from(STATEMENTS) | st.sampled_from(FILES)
TODAY = date(2024, 1, 1)

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", " ", "2017-02-30", "2999-01-01", "no", "kayhan", "Iraq", "0", 2.0, 9]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


# YAML syntax to wrap around a value, nested up to 900 times: brackets, block lists, tags,
# anchors, aliases, merge keys, YAML 1.1 numbers, or random punctuation.
wrappers = st.sampled_from(
    [("[", "]"), ("{a: ", "}"), ("- ", ""), ("!!bool ", ""), ("!!int ", ""), ("!!float ", "")]
    + [("&a ", ""), ("*a ", ""), ("<<: ", ""), ("? ", ""), ("010 ", ""), ("1:20 ", "")]
) | st.tuples(
    st.text(alphabet="[]{}:-&*!|>'\"#,?\n\t .0123456789", min_size=1, max_size=6), st.just("")
)


def paths(data: object, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside `data`, the root excluded."""
    if isinstance(data, dict):
        items = list(data.items())
    elif isinstance(data, list):
        items = list(enumerate(data))
    else:
        return []
    found = []
    for key, value in items:
        found.append((*prefix, key))
        found.extend(paths(value, (*prefix, key)))
    return found


def replaced(data: object, path: tuple, value: object, delete: bool) -> object:
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy: dict | list = dict(data) if isinstance(data, dict) else list(data)
    if delete and not rest:
        del copy[head]
    else:
        copy[head] = replaced(copy[head], rest, value, delete)
    return copy


def loaded(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@st.composite
def mutated_data(draw) -> tuple[str, Path, bytes]:
    """A record with one value deleted or replaced by a value of any type, as YAML."""
    kind, path = draw(record_files)
    data = loaded(path)
    where = draw(st.sampled_from(paths(data)))
    delete = draw(st.booleans())
    data = replaced(data, where, None if delete else draw(values), delete)
    return kind, path, yaml.safe_dump(data, allow_unicode=True).encode("utf-8")


@st.composite
def mutated_bytes(draw) -> tuple[str, Path, bytes]:
    """A record with unicode or YAML syntax inserted, its end cut off, a byte replaced, or noise."""
    kind, path = draw(record_files)
    raw = path.read_bytes()
    at = draw(st.integers(min_value=0, max_value=len(raw)))
    how = draw(st.sampled_from(["insert", "syntax", "truncate", "replace", "noise"]))
    if how == "insert":
        raw = raw[:at] + draw(st.text(min_size=1, max_size=10)).encode("utf-8") + raw[at:]
    elif how == "syntax":
        (opening, closing), times = draw(wrappers), draw(st.sampled_from([1, 2, 40, 900]))
        value = (opening * times + "x" + closing * times).encode("utf-8")
        # Half the time as a new field at the end, where it is read as YAML, not inside text.
        at_end = draw(st.booleans())
        raw = raw + b"added:\n " + value + b"\n" if at_end else raw[:at] + value + raw[at:]
    elif how == "truncate":
        raw = raw[:at]
    elif how == "replace":
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=4)) + raw[at + 1 :]
    else:
        raw = draw(st.binary(max_size=200))
    return kind, path, raw


def assert_reads_or_reports(kind: str, raw: bytes) -> None:
    document, problems = read_record(kind, "r.yaml", raw)
    assert all(isinstance(problem, Problem) for problem in problems)
    assert document is not None or problems


def assert_loads_or_reports(root: Path, path: Path, raw: bytes) -> None:
    target = root / path.relative_to(GOOD)
    target.write_bytes(raw)
    try:
        load_archive(root, today=TODAY)
    except RecordError as error:
        assert error.problems
        assert all(isinstance(problem, Problem) for problem in error.problems)
    finally:
        shutil.copyfile(path, target)


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """One copy of the good archive; each example changes one file and puts it back."""
    copy = tmp_path_factory.mktemp("archive") / "archive"
    shutil.copytree(GOOD, copy)
    return copy


@SETTINGS
@given(mutated_data())
def test_read_record_never_crashes_on_mutated_values(case):
    kind, _, raw = case
    assert_reads_or_reports(kind, raw)


@SETTINGS
@given(mutated_bytes())
def test_read_record_never_crashes_on_mangled_bytes(case):
    kind, _, raw = case
    assert_reads_or_reports(kind, raw)


@SETTINGS
@given(mutated_data())
def test_load_archive_never_crashes_on_mutated_values(root, case):
    _, path, raw = case
    assert_loads_or_reports(root, path, raw)


@SETTINGS
@given(mutated_bytes())
def test_load_archive_never_crashes_on_mangled_bytes(root, case):
    _, path, raw = case
    assert_loads_or_reports(root, path, raw)


def test_the_unmutated_archive_loads(root):
    assert load_archive(root, today=TODAY).counts()["statements"] == 3
