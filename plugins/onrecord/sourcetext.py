"""A source's own text, and every quote checked against it.

A source may carry its text as published, beside its record: `content/sources/<id>.txt`
(plain UTF-8). Then each paragraph of each statement it quotes must be found in that
text. The comparison sets aside only what the source's layout adds: quotation marks
around the paragraph and line breaks; it reads curly and straight quotation marks alike
and any run of white space as one space. Nothing else: a changed letter, a dropped
bracket or ellipsis is a problem, told at the paragraph with the first character where
record and source part, in context.

Quotes nested in another statement are found in the text too (they stand inside their
quoting statement's passage). Checking costs one `in` per paragraph over the normalised
text (microseconds for a report of 30,000 characters); an archive without texts pays
nothing.

The same comparison places each statement in the text (`locate`): `Mapped` keeps, for each
character of the normalised text, its offset in the text as written, so a paragraph found
in the normalised text has a start and an end in the original. Offsets count Python `str`
characters, i.e. Unicode code points of the file decoded as UTF-8 (nothing else is changed:
a `\r\n` is two), which is what the W3C Web Annotation `TextPositionSelector` counts. The
source's own paragraphs are its blocks between blank lines, numbered from 1 (`#s1`, ...).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .problems import Problem

SUFFIX = ".txt"
# Quotation marks a source may set in another style than the record: compared as one.
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'"})
_SPACE = re.compile(r"\s+")
CONTEXT = 14  # characters shown on each side of the first difference


def text_file(root: Path, source_id: str) -> Path:
    return root / "content" / "sources" / f"{source_id}{SUFFIX}"


def normalised(text: str) -> str:
    """Quotation marks made straight, any white space one space."""
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip()


def unquoted(paragraph: str) -> str:
    """The words of a paragraph as sought in a text: normalised, without quotation marks
    of its own around it (they are layout)."""
    # A paragraph in quotation marks of its own: the marks are layout, the words are sought.
    text = normalised(paragraph)
    if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1].strip()
    return text


def read(root: Path, source_id: str) -> tuple[str | None, Problem | None]:
    """The source's text (None when it has none), or the problem with its file."""
    path = text_file(root, source_id)
    if not path.is_file():
        return None, None
    shown = str(path.relative_to(root))
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        return None, Problem(
            shown, 1, 1, f"is not UTF-8 (byte {error.start})", "save the text as UTF-8"
        )
    if not text.strip():
        return None, Problem(shown, 1, 1, "is empty", "put the source's text in it, or remove it")
    return text, None


def difference(paragraph: str, source: str) -> str | None:
    """None when `paragraph` is in `source` (both normalised); else where they part, in words.

    The longest start of the paragraph found in the source is looked for by bisection
    (a start found means every shorter one is too), then shown beside what follows it
    in the source.
    """
    wanted = unquoted(paragraph)
    if wanted in source:
        return None
    low, high = 0, len(wanted)  # wanted[:low] is in the source, wanted[:high + 1] is not
    while low < high:
        middle = (low + high + 1) // 2
        if wanted[:middle] in source:
            low = middle
        else:
            high = middle - 1
    at = source.find(wanted[:low]) if low else -1
    before = wanted[max(0, low - CONTEXT) : low]
    record = before + wanted[low : low + CONTEXT]
    theirs = before + (source[at + low : at + low + CONTEXT] if at >= 0 else "")
    if low == 0:
        return f'its first words are not in the source\'s text: the record has "{record}…"'
    return f'the source has "…{theirs}…", the record has "…{record}…"'


def problems(
    statements: Iterable[tuple[object, object, tuple]], texts: dict[str, str]
) -> Iterator[Problem]:
    """Each paragraph not found in its source's text, at the paragraph in its file.

    `statements` are (statement, its located file, its path in that file) as the rules
    get them; `texts` the normalised text of each source that has one.
    """
    for statement, document, base in statements:
        source = texts.get(statement.source_id)
        if source is None:
            continue
        for number, paragraph in enumerate(statement.paragraphs, start=1):
            said = difference(paragraph, source)
            if said is not None:
                found = document.problem(
                    (*base, "text", number - 1),
                    f"paragraph {number} is not in the source's text: {said}",
                    f"copy it from {statement.source_id}{SUFFIX} as printed",
                )
                if found is not None:
                    yield found


# -- where each quote stands in the text -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mapped:
    """A text normalised as `normalised` does it, with where each of its characters came from:
    `origin[i]` is the offset in the original text of `text[i]` (a run of white space made
    one space comes from the run's first character)."""

    text: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of the normalised `text[start:end]` (not empty)."""
        return self.origin[start], self.origin[end - 1] + 1

    def at(self, offset: int) -> int:
        """The first normalised position whose character is at `offset` or after it."""
        return bisect_left(self.origin, offset)


def mapped(text: str) -> Mapped:
    """`normalised(text)` and, per character, its offset in `text` (quotation marks are one
    character for one, so only white space moves anything)."""
    translated = text.translate(_QUOTES)
    pieces: list[str] = []
    origin: list[int] = []
    at = 0
    for run in _SPACE.finditer(translated):
        pieces.append(translated[at : run.start()])
        origin.extend(range(at, run.start()))
        pieces.append(" ")
        origin.append(run.start())
        at = run.end()
    pieces.append(translated[at:])
    origin.extend(range(at, len(translated)))
    joined = "".join(pieces)
    # `normalised` strips: at most one space at each end.
    if joined.startswith(" "):
        joined, origin = joined[1:], origin[1:]
    if joined.endswith(" "):
        joined, origin = joined[:-1], origin[:-1]
    return Mapped(joined, tuple(origin))


_BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each of the text's paragraphs (blocks between blank lines), in
    order, white space around each left out; paragraph n is `paragraphs(text)[n - 1]`."""
    found = []
    at = 0
    for gap in [*_BLANK_LINE.finditer(text), None]:
        end = gap.start() if gap else len(text)
        block = text[at:end]
        if block.strip():
            start = at + len(block) - len(block.lstrip())
            found.append((start, at + len(block.rstrip())))
        at = gap.end() if gap else end
    return found


@dataclass(frozen=True, slots=True)
class Passage:
    """Where a statement's words stand in its source's text.

    `spans` holds each of its paragraphs' (start, end) in the text, in code points (the
    words without the quotation marks that only lay the paragraph out); `anchor` is the
    source paragraph where the first one begins (`#s<anchor>` on the text's page).
    """

    statement_id: str
    source_id: str
    spans: tuple[tuple[int, int], ...]
    anchor: int

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def end(self) -> int:
        return max(end for _, end in self.spans)


def _find_all(text: str, wanted: str, low: int, high: int) -> Iterator[int]:
    at = text.find(wanted, low, high)
    while at != -1:
        yield at
        at = text.find(wanted, at + 1, high)


def _place(source: Mapped, paragraphs_: Sequence[str], low: int, high: int):
    """Each paragraph's normalised (start, end) in `source.text[low:high]`, in order, the
    first place where all of them follow one another; None when some is not there."""
    wanted = [w for w in map(unquoted, paragraphs_) if w]
    if not wanted:
        return None
    for first in _find_all(source.text, wanted[0], low, high):
        places = [(first, first + len(wanted[0]))]
        for words in wanted[1:]:
            at = source.text.find(words, places[-1][1], high)
            if at == -1:
                break
            places.append((at, at + len(words)))
        else:
            return places
    # Not in order (or not all there): each where it first stands, if all are there.
    places = []
    for words in wanted:
        at = source.text.find(words, low, high)
        if at == -1:
            return None
        places.append((at, at + len(words)))
    return places


def locate(statements: Iterable, texts: dict[str, str]) -> dict[str, Passage]:
    """The passage of each statement whose source has a text and whose words are in it.

    A nested statement (`quoted_in`) is looked for within its quoting statement's passage
    first (the same words may stand elsewhere too), then anywhere.
    """
    if not texts:
        return {}
    pending = [s for s in statements if s.source_id in texts]
    if not pending:
        return {}
    sources = {key: mapped(text) for key, text in texts.items()}
    starts = {key: [start for start, _ in paragraphs(text)] for key, text in texts.items()}
    passages: dict[str, Passage] = {}
    # Parents before the statements nested in them: by depth.
    by_id = {s.id: s for s in pending}

    def depth(statement) -> int:
        level, parent = 0, statement.quoted_in
        while parent in by_id and level < 50:
            level, parent = level + 1, by_id[parent].quoted_in
        return level

    for statement in sorted(pending, key=depth):
        source = sources[statement.source_id]
        places = None
        parent = passages.get(statement.quoted_in) if statement.quoted_in else None
        if parent is not None:
            places = _place(
                source, statement.paragraphs, source.at(parent.start), source.at(parent.end)
            )
        if places is None:
            places = _place(source, statement.paragraphs, 0, len(source.text))
        if places is None:
            continue
        spans = tuple(source.span(start, end) for start, end in places)
        anchor = max(1, bisect_right(starts[statement.source_id], spans[0][0]))
        passages[statement.id] = Passage(statement.id, statement.source_id, spans, anchor)
    return passages
