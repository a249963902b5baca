"""The model's records, a file's outcome and its problems pickle as calls of their classes
(pickling.by_fields), and come back equal: the records cache and the saved histories are
read that way at every build."""

from __future__ import annotations

import dataclasses
import pickle

import pytest
from conftest import SEED

from onrecord import history, model
from onrecord.problems import Problem
from onrecord.records import load_archive
from onrecord.records.check import Checked

RECORDS = [
    kind
    for kind in vars(model).values()
    if isinstance(kind, type)
    and kind.__module__ == model.__name__
    and dataclasses.is_dataclass(kind)
    and "__slots__" in vars(kind)
] + [Checked, Problem]


@pytest.mark.parametrize("kind", RECORDS, ids=lambda kind: kind.__name__)
def test_each_record_kind_is_pickled_as_a_call_of_its_class(kind) -> None:
    values = {f.name: f"v{n}" for n, f in enumerate(dataclasses.fields(kind))}
    record = object.__new__(kind)
    for name, value in values.items():
        object.__setattr__(record, name, value)
    called, arguments = record.__reduce__()
    assert called is kind
    assert arguments == tuple(values.values())


def test_the_seed_archive_comes_back_equal() -> None:
    archive = load_archive(SEED)
    statements = history.dated(archive.statements.values(), SEED)  # histories, dates
    records = [
        *archive.speakers.values(),
        *archive.outlets.values(),
        *archive.themes.values(),
        *archive.sources.values(),
        *statements.values(),
        *archive.claims.values(),
    ]
    again = pickle.loads(pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == records
    assert [type(r) for r in again] == [type(r) for r in records]
    assert any(s.quotes for s in statements.values()), "the seed has nested quotes"


def test_a_files_outcome_and_its_problems_come_back_equal() -> None:
    problem = Problem("content/statements/x.yaml", 3, 5, "`date` is not a date", "YYYY-MM-DD")
    outcome = Checked(problems=(problem,), failed_id="x", emptied=frozenset({"date"}))
    again = pickle.loads(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == outcome and type(again.problems[0]) is Problem
