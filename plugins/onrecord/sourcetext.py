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
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
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


def _unquoted(paragraph: str) -> str:
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
    wanted = _unquoted(paragraph)
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
