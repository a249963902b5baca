"""Where a statement's words stand in its source's text, as W3C Web Annotation selectors.

One function (`statement_selectors`) makes them for the statement's JSON (`selector`) and
its JSON-LD alike: a `TextQuoteSelector` (the words as the source's text has them, with up
to `CONTEXT` characters before and after) and a `TextPositionSelector` (their start and end
offsets in that text). Offsets count Unicode code points of `content/sources/<id>.txt`
decoded as UTF-8, as Python's `str` indexes it and as the W3C model asks ("character
positions", not UTF-16 code units as JavaScript counts them, nor bytes): so
`text[start:end] == exact` in Python. A statement of several paragraphs is selected from its
first word to its last, with what the source sets between its paragraphs (line breaks,
quotation marks). None when the source has no text or the words are not in it.

`text_fragment` is the same place as a text directive for the source's live page.
"""

from __future__ import annotations

from . import urls
from .model import Archive, Statement

CONTEXT = 32  # characters of `prefix` and `suffix`
FRAGMENT_WORDS = 4  # words at each end of a text directive's `start,end`


def statement_selectors(statement: Statement, archive: Archive) -> list[dict] | None:
    """`[TextQuoteSelector, TextPositionSelector]` of the statement in its source's text."""
    passage = archive.passages.get(statement.id)
    if passage is None:
        return None
    text = archive.texts[passage.source_id]
    start, end = passage.start, passage.end
    return [
        {
            "type": "TextQuoteSelector",
            "exact": text[start:end],
            "prefix": text[max(0, start - CONTEXT) : start],
            "suffix": text[end : end + CONTEXT],
        },
        {"type": "TextPositionSelector", "start": start, "end": end},
    ]


def text_fragment(statement: Statement, archive: Archive) -> str | None:
    """`:~:text=start,end` for the statement's words on its source's live page, or None.

    The words are the source text's own (its quotation marks, its spelling): the first
    `FRAGMENT_WORDS` of the first paragraph and the last of the last, each within one
    paragraph (a browser matches a term within one block); a short one-paragraph statement
    is matched whole.
    """
    passage = archive.passages.get(statement.id)
    if passage is None:
        return None
    text = archive.texts[passage.source_id]
    first = text[slice(*passage.spans[0])].split()
    last = text[slice(*passage.spans[-1])].split()
    if len(passage.spans) == 1 and len(first) <= 2 * FRAGMENT_WORDS:
        return urls.text_fragment(" ".join(first))
    return urls.text_fragment_range(
        " ".join(first[:FRAGMENT_WORDS]), " ".join(last[-FRAGMENT_WORDS:])
    )
