"""paging.py: a source's footnotes and statements cut into pages of a set number of lines."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from onrecord.model import Footnote
from onrecord.paging import footnote_pages, pages_of, source_pages


def shaped(cited: list[int], unnumbered: int):
    """Footnotes 1… cited by `cited[i]` statements each (statements as plain strings: the
    pages only carry them), and `unnumbered` statements citing no number."""
    footnotes = [
        (Footnote(number=i + 1, text=None), [f"s{i + 1}.{k}" for k in range(n)])
        for i, n in enumerate(cited)
    ]
    return footnotes, [f"u{k}" for k in range(unnumbered)]


def lines_of(page) -> list:
    """A page as the lines a reader sees: a footnote's text (or its "continued" line), its
    statements; then the statements citing no number."""
    lines = []
    for entry in page.footnotes:
        lines.append(("continued" if entry.continued else "footnote", entry.footnote.number))
        lines.extend(entry.statements)
    return lines + list(page.unnumbered)


def list_lines(page) -> list:
    """`lines_of` less a continued footnote's line, which repeats one of an earlier page."""
    lines = lines_of(page)
    return lines[1:] if lines and lines[0][0] == "continued" else lines


def test_pages_of_cuts_a_list_and_gives_one_empty_page_for_none():
    assert [(n, c, list(i)) for n, c, i in pages_of([1, 2, 3, 4, 5], 2)] == [
        (1, 3, [1, 2]),
        (2, 3, [3, 4]),
        (3, 3, [5]),
    ]
    assert [(n, c, list(i)) for n, c, i in pages_of([], 2)] == [(1, 1, [])]


def test_a_footnote_cited_past_a_page_goes_on_continued_on_the_next():
    footnotes, unnumbered = shaped([0, 5, 1], 2)
    pages = [page for _, _, page in source_pages(footnotes, unnumbered, 4)]
    assert [lines_of(page) for page in pages] == [
        [("footnote", 1), ("footnote", 2), "s2.0", "s2.1"],
        [("continued", 2), "s2.2", "s2.3", "s2.4", ("footnote", 3)],
        [("continued", 3), "s3.0", "u0", "u1"],
    ]
    # A footnote's text on the last line of a page: its statements are all on the next.
    assert [(e.footnote.number, e.statements, e.cited) for e in pages[1].footnotes] == [
        (2, ("s2.2", "s2.3", "s2.4"), 5),
        (3, (), 1),
    ]
    assert footnote_pages(footnotes, 4) == {1: 1, 2: 1, 3: 2}


@given(
    st.lists(st.integers(min_value=0, max_value=12), max_size=12),
    st.integers(min_value=0, max_value=15),
    st.integers(min_value=1, max_value=7),
)
def test_source_pages_hold_every_line_once_and_at_most_per_page(cited, unnumbered, per_page):
    footnotes, loose = shaped(cited, unnumbered)
    listed = list(source_pages(footnotes, loose, per_page))
    pages = [page for _, _, page in listed]
    # The reference: every footnote then its statements, then the rest, cut every per_page.
    expected = [line for f, s in footnotes for line in (("footnote", f.number), *s)] + loose
    counted = [list_lines(page) for page in pages]
    assert [line for lines in counted for line in lines] == expected
    # Every page full but the last (a continued footnote's line is not one of the list's).
    assert all(len(lines) == per_page for lines in counted[:-1])
    assert 0 < len(counted[-1]) <= per_page or expected == []
    assert [(n, c) for n, c, _ in listed] == [(n, len(pages)) for n in range(1, len(pages) + 1)]
    # Each footnote's text (its anchor) is on the page footnote_pages names, and only there.
    anchors = {
        entry.footnote.number: number
        for number, page in enumerate(pages, start=1)
        for entry in page.footnotes
        if not entry.continued
    }
    assert anchors == footnote_pages(footnotes, per_page)
    assert all(
        entry.cited == cited[entry.footnote.number - 1]
        for page in pages
        for entry in page.footnotes
    )
