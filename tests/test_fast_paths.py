"""Small fast paths held to the plain code they replace, on generated input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from onrecord import jsonld, model, writers

# Text with what each path treats apart: the escaped characters, every kind of space and
# line end, letters beyond Latin-1.
TEXT = st.text(
    st.sampled_from(list('ab é<>&\u2028\u2029\t\n\r\u00a0\u3000ḥ’"\\')) | st.characters(),
    max_size=200,
)


@given(st.dictionaries(st.text(max_size=5), TEXT | st.lists(TEXT, max_size=3), max_size=4))
def test_script_json_escapes_as_a_translation_table(data):
    table = str.maketrans(jsonld.SCRIPT_ESCAPES)
    made = jsonld.script_json(data)
    assert str(made) == json.dumps(data, ensure_ascii=False).translate(table)
    assert json.loads(made) == data


def opening_words_splitting_all(text: str, words: int) -> str:
    parts = text.split()
    return text if len(parts) <= words else " ".join(parts[:words]) + " …"


@given(TEXT, st.integers(0, 12))
def test_opening_words_are_those_of_splitting_the_whole_text(text, words):
    assert model.opening_words(text, words) == opening_words_splitting_all(text, words)


@settings(max_examples=50)
@given(TEXT, TEXT)
@example("", "\ud800")  # a lone surrogate, which UTF-8 cannot hold
def test_write_text_writes_what_path_write_text_writes(tmp_path_factory, first, second):
    folder = tmp_path_factory.mktemp("written")
    ours, reference = folder / "new" / "page.html", folder / "reference.html"
    try:
        reference.write_text(first, encoding="utf-8")
        reference.write_text(second, encoding="utf-8")
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            writers.write_text(ours, first)
            writers.write_text(ours, second)
        return
    writers.write_text(ours, first)  # its folder made
    writers.write_text(ours, second)  # a file there already, maybe longer: replaced whole
    assert ours.read_bytes() == reference.read_bytes()
    assert ours.stat().st_mode == reference.stat().st_mode


def test_write_text_in_a_missing_folder_of_a_missing_folder(tmp_path: Path):
    writers.write_text(tmp_path / "a" / "b" / "index.html", "<p>é</p>")
    assert (tmp_path / "a" / "b" / "index.html").read_text(encoding="utf-8") == "<p>é</p>"
