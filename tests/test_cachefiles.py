"""Cache files are written whole or not at all."""

from __future__ import annotations

import pickle

import pytest

from onrecord.cachefiles import write_pickle


def test_a_cache_file_holds_what_was_written_and_a_failed_write_leaves_it_as_it_was(tmp_path):
    path = tmp_path / "cache" / "state.pickle"
    write_pickle(path, {"kept": (1, 2)})
    assert pickle.loads(path.read_bytes()) == {"kept": (1, 2)}
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        write_pickle(path, {"kept": lambda: None})  # a lambda does not pickle
    assert pickle.loads(path.read_bytes()) == {"kept": (1, 2)}
    assert [p.name for p in path.parent.iterdir()] == ["state.pickle"]  # no temporary left
