"""The archive's URL scheme: one place, because published URLs are a promise.

Every function returns a path relative to the site root, ending in `/` for pages.
"""

from __future__ import annotations

from urllib.parse import quote

PAGE_KINDS = {
    "statement": "statements",
    "speaker": "speakers",
    "outlet": "outlets",
    "theme": "themes",
    "source": "sources",
    "claim": "claims",
}


def record(kind: str, record_id: str) -> str:
    """`statements/<id>/`, `speakers/<id>/`, … for a record of `kind`."""
    return f"{PAGE_KINDS[kind]}/{record_id}/"


def record_of(kind: str, saved: str) -> str | None:
    """The id of the record of `kind` whose page is the file `saved`, or None: the inverse of
    `save_as(record(kind, record_id))`."""
    head, tail = f"{PAGE_KINDS[kind]}/", "/index.html"
    if not (saved.startswith(head) and saved.endswith(tail)):
        return None
    record_id = saved[len(head) : -len(tail)]
    return record_id if record_id and "/" not in record_id else None


SPECIAL_PAGES = {
    "home": "",
    "timeline": "timeline/",
    "search": "search/",
    "corrections": "corrections/",  # every change to quoted words (history.py)
}


# The open data, by format: every published statement in one file (exports/).
DATA_FILES = {
    "json": "data/statements.json",
    "csv": "data/statements.csv",
    "sqlite": "data/onrecord.db",
}


def data_file(kind: str) -> str:
    """The open data file of a format (`json`, `csv`, `sqlite`)."""
    return DATA_FILES[kind]


def listing(kind: str) -> str:
    """The list page of a kind (`statements/`, …), or a special page (`home`, `timeline`)."""
    return SPECIAL_PAGES[kind] if kind in SPECIAL_PAGES else f"{PAGE_KINDS[kind]}/"


def page(base: str, number: int) -> str:
    """Page `number` of a paginated list at `base`.

    `<base>page/<n>/` keeps page numbers in their own path segment, so `x1` page 12 and
    `x12` page 1 can never be the same file (Pelican's default `{name}{number}` can).
    """
    return base if number == 1 else f"{base}page/{number}/"


def save_as(url: str) -> str:
    """The file a page URL is written to."""
    return f"{url}index.html" if url.endswith("/") or not url else url


def source_text(source_id: str) -> str:
    """`sources/<id>/text/`: the source's own text, its quoted passages marked."""
    return f"{record('source', source_id)}text/"


def search_table() -> str:
    """`search/spellings.json`: the static search page's spellings, other names and words."""
    return f"{SPECIAL_PAGES['search']}spellings.json"


def statement_json(statement_id: str) -> str:
    return f"statements/{statement_id}.json"


CITATION_FILES = ("cite.bib", "cite.ris", "cite.json")  # beside each statement's page


def citation_file(statement_id: str, name: str) -> str:
    """`statements/<id>/cite.bib` (or `.ris`, `.json`): a statement's citation download."""
    return f"{record('statement', statement_id)}{name}"


def feed(kind: str | None = None, record_id: str | None = None) -> str:
    """`feeds/all.atom.xml`, a record's feed, or `feeds/corrections.atom.xml` (no id)."""
    if kind is None:
        return "feeds/all.atom.xml"
    if kind == "corrections":
        return "feeds/corrections.atom.xml"
    return f"feeds/{PAGE_KINDS[kind]}/{record_id}.atom.xml"


def absolute(site_url: str, path: str) -> str:
    return f"{site_url.rstrip('/')}/{path}"


def text_fragment_term(text: str) -> str:
    """One term of a text directive, percent-encoded.

    The URL Fragment Text Directives spec gives `-`, `&` and `,` a meaning in the directive,
    so they are encoded too (`quote` would keep `-`); so is every other character that is
    not unreserved. Surrounding whitespace is dropped: browsers match across it anyway.
    """
    return quote(text.strip(), safe="").replace("-", "%2D")


def text_fragment(exact: str, prefix: str | None = None, suffix: str | None = None) -> str:
    """`:~:text=[prefix-,]exact[,-suffix]`, the text directive that highlights `exact`.

    Put after `#p<n>` (`#p3:~:text=...`): a browser that cannot find the words still lands
    on the paragraph, since it drops the directive and goes to `#p3`.
    """
    parts = [text_fragment_term(exact)]
    if prefix and prefix.strip():
        parts.insert(0, text_fragment_term(prefix) + "-")
    if suffix and suffix.strip():
        parts.append("-" + text_fragment_term(suffix))
    return ":~:text=" + ",".join(parts)


def text_fragment_range(start: str, end: str) -> str:
    """`:~:text=start,end`: the text directive that highlights from `start` through `end`."""
    return f":~:text={text_fragment_term(start)},{text_fragment_term(end)}"
