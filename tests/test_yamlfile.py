"""`yamlfile.parse`: positions kept, and everything YAML would do silently refused."""

from __future__ import annotations

import time

import pytest

from onrecord.problems import Problem
from onrecord.yamlfile import Document, dump, parse

RECORD = b"""# a comment
id: "x"
text:
- "first"
- "second"
quotes:
- paragraph: 2
  statement: "y"
"""


def parsed(raw: bytes) -> Document:
    document = parse("r.yaml", raw)
    assert isinstance(document, Document), document
    return document


def refused(raw: bytes) -> Problem:
    problem = parse("r.yaml", raw)
    assert isinstance(problem, Problem), problem
    return problem


def where(problem: Problem) -> tuple[int, int]:
    return problem.line, problem.column


# -- positions ---------------------------------------------------------------------------------


def test_data_is_plain_values():
    assert parsed(RECORD).data == {
        "id": "x",
        "text": ["first", "second"],
        "quotes": [{"paragraph": 2, "statement": "y"}],
    }


def test_value_position_is_line_and_column_of_the_value():
    assert parsed(RECORD).mark(("id",)) == (2, 5)


def test_list_item_position_is_its_own_line():
    assert parsed(RECORD).mark(("text", 1)) == (5, 3)


def test_nested_value_position():
    assert parsed(RECORD).mark(("quotes", 0, "statement")) == (8, 14)


def test_key_position_is_where_the_field_name_starts():
    assert parsed(RECORD).key_mark(("quotes", 0, "statement")) == (8, 3)


def test_missing_path_falls_back_to_the_nearest_ancestor():
    assert parsed(RECORD).mark(("quotes", 0, "nested", "id")) == (7, 3)


def test_problem_is_placed_at_the_value():
    problem = parsed(RECORD).problem(("text", 0), "bad", "fix it")
    assert str(problem) == "r.yaml:4:3: bad (fix it)"


def test_unquoted_dates_are_kept_as_written_and_remembered():
    document = parsed(b"date: 2017-11-23\nvenue: '2017-11-23'\n")
    assert document.data == {"date": "2017-11-23", "venue": "2017-11-23"}
    assert document.timestamps == {("date",)}


def test_unquoted_yes_no_are_remembered_as_booleans():
    document = parsed(b"a: no\nb: 'no'\n")
    assert document.data == {"a": False, "b": "no"}
    assert document.booleans == {("a",)}


def test_utf8_bom_is_ignored():
    assert parsed(b"\xef\xbb\xbfid: x\n").data == {"id": "x"}


def test_explicit_str_tag_is_plain_text():
    assert parsed(b"id: !!str 123\n").data == {"id": "123"}


def test_an_anchor_never_used_is_harmless():
    assert parsed(b"id: &a x\n").data == {"id": "x"}


# -- refusals ----------------------------------------------------------------------------------


def test_syntax_error_is_placed_at_the_problem():
    problem = refused(b'id: "x"\nspeaker: "a": b\n')
    assert where(problem) == (2, 13)
    assert "YAML syntax error" in problem.message


def test_unclosed_quote_says_where_the_text_began():
    problem = refused(b'id: "x\nspeaker: a\n')
    assert "began on line 1" in problem.message


def test_tab_indentation_hint_names_tabs():
    problem = refused(b"text:\n- a\n\t- b\n")
    assert "tabs" in problem.hint


def test_duplicate_key_is_refused_at_the_second_with_the_first_line():
    problem = refused(b"id: a\nname: b\nid: c\n")
    assert where(problem) == (3, 1)
    assert problem.message == "duplicate field 'id' (first given on line 1)"


def test_duplicate_key_in_a_nested_mapping_is_refused():
    assert "duplicate field 'n'" in refused(b"q:\n- n: 1\n  n: 2\n").message


def test_alias_is_refused_at_the_alias():
    problem = refused(b"a: &x hello\nb: *x\n")
    assert where(problem) == (2, 4)
    assert "aliases" in problem.message


def test_alias_bomb_is_refused_in_well_under_a_second():
    lines = [b'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, 12):
        refs = ",".join([f"*a{n - 1}"] * 9).encode()
        lines.append(f"a{n}: &a{n} [".encode() + refs + b"]")
    raw = b"\n".join(lines) + b"\n"
    assert len(raw) < 1000
    start = time.perf_counter()
    problem = refused(raw)
    assert time.perf_counter() - start < 0.2
    assert "aliases" in problem.message


def test_recursive_alias_is_refused():
    assert "aliases" in refused(b"a: &x [*x]\n").message


def test_merge_key_is_refused():
    problem = refused(b"id: x\n<<: {name: y}\n")
    assert where(problem) == (2, 1)
    assert "merge keys" in problem.message


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (b"!!python/object/apply:os.system ['true']", "!!python/object/apply:os.system"),
        (b"!!python/name:os.system", "!!python/name:os.system"),
        (b"!!binary aGVsbG8=", "!!binary"),
        (b"!!set {a: null}", "!!set"),
        (b"!!omap [{a: 1}]", "!!omap"),
        (b"!local x", "!local"),
    ],
)
def test_tags_are_refused(value, shown):
    problem = refused(b"id: x\nnotes: " + value + b"\n")
    assert where(problem) == (2, 8)
    assert problem.message == f"tag {shown} is not allowed"


def test_unreadable_explicit_bool_is_refused():
    assert refused(b"a: !!bool maybe\n").message == "cannot read 'maybe' as bool"


def test_unreadable_explicit_int_is_refused():
    assert refused(b"a: !!int ten\n").message == "cannot read 'ten' as int"


@pytest.mark.parametrize(("written", "read_as"), [("010", 8), ("0x1F", 31), ("1:20", 80)])
def test_yaml11_numbers_that_are_not_plain_are_refused(written, read_as):
    problem = refused(f"footnote: {written}\n".encode())
    assert problem.message == f"YAML 1.1 reads {written!r} as the number {read_as}"


def test_non_text_field_name_is_refused():
    assert refused(b"on: x\n").message == "field name 'on' is not text"


def test_collection_as_field_name_is_refused():
    assert refused(b"? [a, b]\n: x\n").message == "field name 'a collection' is not text"


def test_empty_file_is_refused():
    assert refused(b"").message == "the file is empty"


def test_comment_only_file_is_refused():
    assert refused(b"# nothing here\n").message == "the file is empty"


def test_non_utf8_bytes_are_placed_at_the_byte():
    problem = refused(b"id: x\nname: caf\xe9\n")
    assert where(problem) == (2, 10)
    assert "not UTF-8" in problem.message


def test_control_character_is_placed_counting_characters_not_bytes():
    problem = refused('id: x\nname: "ééé\x07"\n'.encode())
    assert where(problem) == (2, 11)
    assert "U+0007" in problem.message


def test_oversized_file_is_refused_unread():
    assert "bytes" in refused(b"a: " + b"x" * 2_100_000 + b"\n").message


def test_deep_nesting_is_refused_without_recursion_error():
    depth = 900
    raw = b"a:\n" + b"".join(b"  " * i + b"- \n" for i in range(1, depth))
    assert "nested more than" in refused(raw).message


def test_second_document_is_refused():
    assert "single document" in refused(b"id: a\n---\nid: b\n").message


# -- dump --------------------------------------------------------------------------------------


def test_dump_reads_back_yaml11_lookalikes_as_text():
    data = {"a": "no", "b": "on", "c": "1e3", "d": "2017-11-23", "e": "010", "f": "12:30"}
    assert parsed(dump(data, "x.json").encode()).data == data


def test_dump_starts_with_the_schema_comment_and_keeps_field_order():
    text = dump({"z": "1", "a": "2"}, "../schema/theme.schema.json")
    assert text.splitlines()[:3] == [
        "# yaml-language-server: $schema=../schema/theme.schema.json",
        "z: '1'",
        "a: '2'",
    ]
