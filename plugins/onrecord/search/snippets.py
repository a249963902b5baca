"""Snippets: a hit's text, escaped, with the words it matched in <mark>.

For the direct path `Highlighter` transcribes Whoosh's highlighting (ContextFragmenter,
MarkFormatter) so that it gives Whoosh's snippets at a fraction of the cost; for Whoosh's
own search `whoosh_snippet` takes the hit's highlights. A hit with no marked word gets the
start of its text (`plain_snippet`).
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from itertools import accumulate, compress

from whoosh import highlight
from whoosh.analysis import Token

from .answers import Unsupported
from .index import WORD_PATTERN
from .opened import Analysed, OpenedIndex
from .whoosh_internals import SnippetFormatter

SNIPPET_CHARS = 240
SNIPPET_FIELDS = ("text", "headline")  # the first with a marked word gives the snippet


class Highlighter:
    """Whoosh's highlighting of a hit (ContextFragmenter, MarkFormatter), without its costs.

    Whoosh runs every word of the hit's text through the analyzer's chain of generators
    and its fragmenter through every token. Here each distinct word is analysed once per
    searcher, a text is cut into words by one regular-expression split, and the fragmenter
    (`_fragments`) steps only through the tokens of fragments.
    """

    def __init__(self, opened: OpenedIndex, words: dict[str, frozenset[str]]) -> None:
        self.opened = opened
        self.words = words

    def snippet(self, fields: dict) -> str:
        for fieldname in SNIPPET_FIELDS:
            if fieldname not in fields:
                raise Unsupported  # Whoosh's KeyError for a field not stored
            snippet = self.highlight(fieldname, fields[fieldname])
            if snippet:
                return snippet
        return plain_snippet(fields)

    def highlight(self, fieldname: str, text: str) -> str:
        words = self.words[fieldname]
        if not words:
            return ""
        analyzer = self.opened.searcher.schema[fieldname].analyzer
        tokens = _Tokens(text, self.opened.analysed(analyzer), words)
        if not tokens.matched:
            return ""
        best = highlight.top_fragments(_fragments(tokens), 2, _FRAGMENT_SCORER, highlight.FIRST)
        return _MARK.format(best)


_FRAGMENT_SCORER = highlight.BasicFragmentScorer()
SURROUND_CHARS = 60
# The tokenizer's own pattern. Made possessive (r"\w++(?:['’]\w++)*+") it split 6% faster,
# but Python 3.11.2 (Debian's) matched "Israelis'" with its apostrophe that way.
_WORD_SPLIT = re.compile(f"({WORD_PATTERN})")


class _Tokens:
    """A text's words as the highlighter's analyzer tokenizes them: where each is, which match."""

    def __init__(self, text: str, analysed: Analysed, words: frozenset[str]) -> None:
        self.text = text
        self.analysed = analysed
        # Gaps and words alternate: [gap, word, gap, ..., word, gap].
        parts = _WORD_SPLIT.split(text)
        self.words = parts[1::2]
        bounds = list(accumulate(map(len, parts)))
        self.starts = bounds[0:-1:2]
        self.ends = bounds[1::2]
        found = map(words.__contains__, map(analysed.__getitem__, self.words))
        self.matched = list(compress(range(len(self.words)), found))  # word numbers, in order

    def term(self, i: int) -> str:
        return self.analysed[self.words[i]]


def _fragments(tokens: _Tokens) -> list[highlight.Fragment]:
    """ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60).fragment_tokens, transcribed.

    Outside a fragment Whoosh's loop only keeps the starts of the last words within
    `surround` characters (a fragment's context before its first match); this jumps to the
    next matched word and finds that context by bisection. Fragments without a match (an
    edge of Whoosh's loop) are left out: they score 0 and the highlighter drops them.
    Whoosh merges matched tokens that touch first; words of WORD_PATTERN never touch (each
    ends before a character no word holds), so there is nothing to merge.
    """
    maxchars, surround = SNIPPET_CHARS, SURROUND_CHARS
    text, starts, ends = tokens.text, tokens.starts, tokens.ends
    matched = set(tokens.matched)
    # Whoosh stops at the first word ending past its character limit.
    limit = bisect_right(ends, highlight.DEFAULT_CHARLIMIT)
    fragments = []
    matches: list[Token] = []
    first = None
    countdown = -1
    currentlen = 0
    reset_at = 0  # the first word since the last fragment ended
    upcoming = iter(tokens.matched)
    i = 0
    while i < limit:
        context = None  # Whoosh's firsts[0]: where a fragment starting at word i would start
        if countdown < 0:  # outside a fragment: on to the next matched word
            i = next((m for m in upcoming if m >= i), limit)
            if i >= limit:
                break
            if i > reset_at:
                k = bisect_left(starts, ends[i - 1] - surround, reset_at, i)
                context = starts[k] if k < i else None
        startchar, endchar = starts[i], ends[i]
        tlength = endchar - startchar
        if currentlen + tlength > maxchars:
            countdown = 0
        elif i in matched:
            countdown = surround
            if first is None:
                if context is not None:
                    first = context
                else:
                    first = startchar
                    countdown += surround
            matches.append(Token(text=tokens.term(i), startchar=startchar, endchar=endchar))
        if countdown >= 0:
            currentlen += tlength
            countdown -= tlength
            if countdown <= 0:
                if matches:
                    fragments.append(highlight.mkfrag(text, matches, first, endchar))
                matches = []
                first = None
                currentlen = 0
                reset_at = i + 1
        i += 1
    if matches:  # Whoosh's last fragment ends at the word it stopped at
        last = ends[limit] if limit < len(ends) else ends[-1]
        fragments.append(highlight.mkfrag(text, matches, first, last))
    return fragments


def whoosh_snippet(hit) -> str:
    """An HTML fragment: the record's text escaped, the matched words in <mark>."""
    for fieldname in SNIPPET_FIELDS:
        snippet = hit.highlights(fieldname, top=2)
        if snippet:
            return snippet
    return plain_snippet(hit)


def plain_snippet(fields: dict) -> str:
    """The start of the record's text (or headline), escaped: a hit with no marked word."""
    text = fields.get("text") or fields.get("headline") or ""
    if len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return html.escape(text, quote=False)


class MarkFormatter(SnippetFormatter):
    """Escapes all record text and wraps matches in <mark>: the only markup in a snippet."""

    between = " … "

    def format_text(self, text: str) -> str:
        return html.escape(text, quote=False)

    def format_token(self, text, token, replace=False) -> str:
        return f"<mark>{html.escape(highlight.get_text(text, token, replace), quote=False)}</mark>"


_MARK = MarkFormatter()
