"""APA, Chicago (author-date) and MLA entries for the items `cite.csl_item` makes, by hand.

cite.py renders citations with citeproc-py, which costs about 9 ms a statement for the
three styles. `render` writes the same entries directly, byte for byte what
`cite.citation_html` and `cite.citation_text` return for the few item shapes `csl_item`
makes (a speech, an interview or a newspaper article by one author), citeproc-py's
quirks included: each is reproduced where it is made, with a comment that says so.
tests/test_citestyles.py holds `render` to that against citeproc itself.

An item of any other shape, or with a field `render` does not match citeproc on (blank, or
starting with a space), raises `UnsupportedItem`: render that one with citeproc.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from .model import MONTHS

STYLE_KEYS = ("apa", "chicago", "mla")

_KINDS = frozenset({"speech", "interview", "article-newspaper"})
_REQUIRED = frozenset({"id", "type", "author", "title", "language", "URL", "note"})
_OPTIONAL = frozenset({"issued", "event-title", "container-title"})

# MLA's short months are the en-US locale's: "Sept.", and no period after a short name.
_MLA_MONTHS = (
    "Jan.", "Feb.", "Mar.", "Apr.", "May", "June",
    "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.",
)  # fmt: skip

# Words that CSL's title case leaves lower case (citeproc-py's list).
_STOP_WORDS = frozenset({
    "a", "an", "and", "as", "at", "but", "by", "down", "for", "from", "in", "into", "nor",
    "of", "on", "onto", "or", "over", "so", "the", "till", "to", "up", "via", "with", "yet",
})  # fmt: skip

# cite.py hands citeproc the record's markup characters as private-use stand-ins (and drops
# any stand-in the record itself holds), so that they come out escaped; the same is done
# here, so that every comparison below sees the characters citeproc sees. (Pairs for
# str.replace, not a str.translate table: that is ten times slower on a long title.)
# The one table of them, which cite.py uses too.
STAND_INS = {"&": "\ue000", "<": "\ue001", ">": "\ue002"}
_TO_STAND_IN = [(v, "") for v in STAND_INS.values()] + list(STAND_INS.items())
_STAND_IN_HTML = [(v, html.escape(k)) for k, v in STAND_INS.items()]
_STAND_IN_TEXT = [(v, k) for k, v in STAND_INS.items()]


def _replaced(text: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        if old in text:
            text = text.replace(old, new)
    return text


class UnsupportedItem(ValueError):
    """An item `render` cannot promise to render exactly as citeproc does."""


@dataclass(frozen=True, slots=True)
class _Item:
    """The parts of an item the styles print, record text in stand-ins."""

    kind: str
    author: dict[str, str]
    title: str
    date: tuple[int, int, int] | None
    event: str | None
    container: str | None
    english: bool
    url: str


def render(item: dict) -> dict[str, tuple[str, str]]:
    """(HTML, text) of `item` in each style of `STYLE_KEYS`, as cite.py's citeproc makes them.

    Raises `UnsupportedItem` for an item of a shape `cite.csl_item` does not make, or with a
    blank field or one starting with a space.
    """
    parsed = _parse(item)
    return {
        "apa": _output(_apa(parsed)),
        "chicago": _output(_chicago(parsed)),
        "mla": _output(_mla(parsed)),
    }


def _output(entry: str) -> tuple[str, str]:
    # cite.citation_text strips the tags and unescapes entities: the only tags here are the
    # italics, and the only entities the record's (no style word holds a markup character).
    text = entry.replace("<i>", "").replace("</i>", "")
    return _replaced(entry, _STAND_IN_HTML), _replaced(text, _STAND_IN_TEXT)


# -- the item ----------------------------------------------------------------------------------


def _parse(item: dict) -> _Item:
    keys = set(item)
    if not _REQUIRED <= keys <= _REQUIRED | _OPTIONAL:
        raise UnsupportedItem(f"fields {sorted(keys)}: not the fields csl_item writes")
    kind = item["type"]
    if kind not in _KINDS:
        raise UnsupportedItem(f"type {kind!r}: one of {', '.join(sorted(_KINDS))}")
    if "event-title" in item and kind != "speech":
        raise UnsupportedItem(f"an event-title on a {kind}: csl_item gives one to a speech only")
    event, container = item.get("event-title"), item.get("container-title")
    language = item["language"]
    if not isinstance(language, str):
        raise UnsupportedItem(f"language {language!r} is not a string")
    return _Item(
        kind=kind,
        author=_author(item["author"]),
        title=_record_text(item["title"], "title"),
        date=_date(item["issued"]) if "issued" in item else None,
        event=None if event is None else _record_text(event, "event-title"),
        container=None if container is None else _record_text(container, "container-title"),
        # citeproc title-cases only English text, and knows it by the tag's first letters.
        english=language[:2] == "en",
        url=_record_text(item["URL"], "URL"),
    )


def _record_text(value: object, field: str) -> str:
    # citeproc leaves out a field that is empty, or blank once title case has split it into
    # words (another entry altogether), and strips a field's leading spaces once or more,
    # as the string types meeting at each join decide. Neither is reproduced, and `onrecord
    # check` lets both through (a quoted " Headline"): such an item is for citeproc.
    text = _replaced(value, _TO_STAND_IN) if isinstance(value, str) else ""
    if not text.strip() or text[0] == " ":
        raise UnsupportedItem(f"{field} {value!r}: blank, or starting with a space")
    return text


def _author(authors: object) -> dict[str, str]:
    if not isinstance(authors, list) or len(authors) != 1 or not isinstance(authors[0], dict):
        raise UnsupportedItem(f"author {authors!r}: csl_item writes exactly one name")
    name = authors[0]
    if set(name) not in ({"literal"}, {"family"}, {"family", "given"}):
        raise UnsupportedItem(f"name {name!r}: literal, family, or family and given")
    return {part: _record_text(value, f"author {part}") for part, value in name.items()}


def _date(issued: object) -> tuple[int, int, int]:
    match issued:
        case {"date-parts": [[int() as year, int() as month, int() as day]]} if len(issued) == 1:
            parts = year, month, day
        case _:
            raise UnsupportedItem(f"issued {issued!r}: csl_item writes one [year, month, day]")
    # citeproc makes years before 1 BC (BCE), drops a day 0 and reads True as 1: csl_item
    # takes its dates from datetime.date, which has none of them.
    calendar = year >= 1 and 1 <= month <= 12 and 1 <= day <= 31
    if not calendar or any(isinstance(part, bool) for part in parts):
        raise UnsupportedItem(f"issued {issued!r} is not a calendar date")
    return parts


# -- citeproc-py's ways with strings -----------------------------------------------------------

_SEAM = frozenset(" .,;:!?")


def _then(left: str, right: str) -> str:
    """`left + right`, where citeproc drops a doubled space or punctuation mark at the seam.

    So "Inc." + ". " is "Inc. ", but "<i>Inc.</i>" + ". " keeps both periods (and so the
    plain text has two), as does a quoted title: "“Why?”." stays.
    """
    if left and right and left[-1] == right[0] and right[0] in _SEAM:
        return left + right[1:]
    return left + right


def _join(parts: list[str | None], delimiter: str) -> str | None:
    """The parts present, joined as a CSL group joins them; None when none are."""
    present = [part for part in parts if part]
    if not present:
        return None
    joined = present[0]
    for part in present[1:]:
        joined = _then(_then(joined, delimiter), part)
    return joined


def _italic(text: str | None) -> str | None:
    return None if text is None else f"<i>{text}</i>"


def _quoted(text: str) -> str:
    return f"“{text}”"


def _capitalized(text: str | None) -> str | None:
    """CSL's capitalize-first, whatever the language."""
    return None if text is None else text[0].upper() + text[1:]


def _title_case(text: str | None, english: bool) -> str | None:
    """citeproc-py's title case: English text only, word by word, spaces collapsed.

    A word all in lower case gets a capital first letter unless it is a stop word that
    does not follow a colon or a period; any other word is left alone (so "iPhone" and
    "al-Assad" stay, and a word that starts with a quotation mark is unchanged).
    """
    if text is None or not english:
        return text
    words = []
    previous = ":"  # the first word is capitalized like one after a colon
    for word in text.split():
        if word.islower() and (word not in _STOP_WORDS or previous in ":."):
            word = word[0].upper() + word[1:]
        previous = word[-1]
        words.append(word)
    return " ".join(words)


def _initials(given: str) -> str:
    """APA's initials, as citeproc-py writes them ("Mohammad Ali" -> "M. A.").

    A given-name part that does not start with a capital is kept whole (citeproc takes it
    for a particle), and each hyphenated part is initialized apart ("Jean-Paul" -> "J.-P.").
    """
    initialized = []
    for hyphen_part in given.split("-"):
        text, capitals = "", []
        for part in hyphen_part.replace(".", " ").split():
            if part[0].isupper():
                capitals.append(part[0])
            else:
                # citeproc writes ". " even with no capital before it: "ʿAli" -> ". ʿAli .".
                text += ". ".join(capitals) + ". " + part + " "
                capitals = []
        text += ". ".join(capitals) + ". "
        initialized.append(" ".join(text.split()))
    return "-".join(initialized)


def _name(author: dict[str, str], given: str | None) -> str:
    """The name inverted ("Family, Given"), `given` as the style writes it."""
    if "literal" in author:
        return author["literal"]
    return author["family"] if given is None else f"{author['family']}, {given}"


def _year(year: int, era: str) -> str:
    # The locale's era term is appended to a year of fewer than four digits.
    return f"{year}{era}" if year < 1000 else str(year)


# -- the styles --------------------------------------------------------------------------------


def _apa(item: _Item) -> str:
    given = item.author.get("given")
    author = _name(item.author, _initials(given) if given else None)
    if item.date:
        year, month, day = item.date
        date = f"({_year(year, ' C.E.')}, {MONTHS[month - 1]} {day})"
    else:
        date = "(n.d.)"
    # A work that stands alone is italic; one in a container is not, the container is.
    title = item.title if item.container else _italic(item.title)
    if item.kind == "interview":
        title = _join([title, "[Interview]"], " ")
    if item.kind == "speech":
        # APA reads a speech's outlet as a book the speech is in: "In", and no title case.
        source = _join(
            [
                _join(["In", _italic(item.container)], " ") if item.container else None,
                _capitalized(item.event),
            ],
            ". ",
        )
    else:
        source = _italic(_title_case(item.container, item.english))
    entry = _then(_join([author, date, title, source], ". "), ".")
    # "Retrieved" only when undated, and then with no access date: the item has none.
    link = item.url if item.date else f"Retrieved {item.url}"
    return _join([entry, link], " ")


def _chicago(item: _Item) -> str:
    given = item.author.get("given")
    author = _name(item.author, given)
    year = _year(item.date[0], " AD") if item.date else "n.d."
    month_day = f"{MONTHS[item.date[1] - 1]} {item.date[2]}" if item.date else None
    container = _italic(_title_case(item.container, item.english))
    title = _title_case(item.title, item.english)
    # A newspaper article with no newspaper stands alone, so it is italic, not quoted.
    if item.kind == "article-newspaper" and not item.container:
        title = _italic(title)
    else:
        title = _quoted(title)
    if item.kind == "speech":
        # The date goes with the occasion, after the book the speech is in.
        source = _join(
            [
                _join(["In", container], " ") if container else None,
                _join([_capitalized(item.event), month_day], ", "),
            ],
            ". ",
        )
    else:
        source = _join([container, month_day], ", ")
    return _then(_join([author, year, title, source, item.url], ". "), ".")


def _mla(item: _Item) -> str:
    author = _name(item.author, item.author.get("given"))
    title = _title_case(item.title, item.english)
    if item.kind == "article-newspaper" and not item.container:
        title = _italic(title)
    else:
        title = _quoted(title)
    dates = []
    if item.date:
        year, month, day = item.date
        dates = [f"{day} {_MLA_MONTHS[month - 1]} {_year(year, ' AD')}"]
    container = _join(
        [
            _italic(_title_case(item.container, item.english)),
            _capitalized(item.event),
            *dates,
            item.url,
        ],
        ", ",
    )
    return _then(_join([author, title, container], ". "), ".")
