"""Long lists cut into pages: what each page of a list, or of a source's footnotes, holds.

A page holds at most a set number of lines, however the list is shaped. A source's pages
once held a set number of footnotes, each with every statement citing it: at 100,000
statements (400 footnotes citing 80,000 of them) its first page was 16 MB of HTML, which
every edit of a statement in it made again (1.3 s of the edit build). Lines bound it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

from .model import Footnote, Statement


def pages_of(items: Sequence, per_page: int) -> Iterator[tuple[int, int, Sequence]]:
    """(page number, page count, items on that page) for a list; one empty page for none."""
    count = max(1, -(-len(items) // per_page))
    for number in range(1, count + 1):
        yield number, count, items[(number - 1) * per_page : number * per_page]


@dataclass(frozen=True, slots=True)
class FootnoteEntry:
    """A footnote as one page lists it: the statements citing it that fall on that page.

    `continued`: its text and first statements are on an earlier page (the footnote's
    anchor is there, not here). `cited`: how many statements cite it, on every page.
    """

    FINGERPRINT_INLINE: ClassVar = True  # a part of a page's view: fingerprints.Fingerprints

    footnote: Footnote
    statements: tuple[Statement, ...]
    continued: bool
    cited: int


@dataclass(frozen=True, slots=True)
class SourcePage:
    footnotes: tuple[FootnoteEntry, ...]
    unnumbered: tuple[Statement, ...]  # statements citing no footnote number, after them


def source_pages(
    footnotes: Sequence[tuple[Footnote, Sequence[Statement]]],
    unnumbered: Sequence[Statement],
    per_page: int,
) -> Iterator[tuple[int, int, SourcePage]]:
    """`pages_of` for a source's list: each footnote (a line) and the statements citing it
    (a line each), then the statements citing no number; at most `per_page` lines a page.

    A footnote whose statements run past a page goes on, `continued`, on the next.
    """
    lines: list[tuple[int, Statement | None]] = []  # (footnote's place, statement or None)
    for place, (_, statements) in enumerate(footnotes):
        lines.append((place, None))
        lines.extend((place, statement) for statement in statements)
    numbered = len(lines)
    for number, count, span in pages_of(range(numbered + len(unnumbered)), per_page):
        groups: list[tuple[int, bool, list[Statement]]] = []  # place, continued, statements
        for at in range(span.start, min(span.stop, numbered)):
            place, statement = lines[at]
            if statement is None or not groups:  # its text, or the page starts inside its list
                groups.append((place, statement is not None, []))
            if statement is not None:
                groups[-1][2].append(statement)
        entries = tuple(
            FootnoteEntry(footnotes[place][0], tuple(listed), continued, len(footnotes[place][1]))
            for place, continued, listed in groups
        )
        rest = unnumbered[max(0, span.start - numbered) : max(0, span.stop - numbered)]
        yield number, count, SourcePage(entries, tuple(rest))


def footnote_pages(
    footnotes: Sequence[tuple[Footnote, Sequence[Statement]]], per_page: int
) -> dict[int, int]:
    """Each footnote's number: the page of `source_pages` its text (and anchor) is on."""
    found: dict[int, int] = {}
    line = 0
    for footnote, statements in footnotes:
        found[footnote.number] = line // per_page + 1
        line += 1 + len(statements)
    return found
