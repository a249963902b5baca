"""What every template may call, for the Pelican build and the search service alike."""

from __future__ import annotations

from datetime import date

import jinja2

from . import urls
from .model import MONTHS, PartialDate, opening_words, statement_title
from .staticindex import listing_key


def human_date(value: date | PartialDate | None) -> str:
    """`23 November 2017`, `November 2017` or `2017`, as precise as the value; "" for None
    (templates say "not stated in the source")."""
    if not value:
        return ""
    if isinstance(value, PartialDate) and not value.day:
        return f"{MONTHS[value.month - 1]} {value.year}" if value.month else str(value.year)
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def excerpt(text: str, words: int = 40) -> str:
    return opening_words(text, words)


def install(env: jinja2.Environment, *, link_index: bool) -> None:
    """Add the URL helpers and filters to `env`.

    `link_index` makes links end in `index.html`: browsing output/ from disk needs the
    file name, since file:// shows a folder as a listing.
    """

    def finish(path: str) -> str:
        return urls.save_as(path) if link_index else path or "./"

    def url(kind: str, record_id: str | None = None, number: int = 1) -> str:
        path = urls.record(kind, record_id) if record_id else urls.listing(kind)
        return finish(urls.page(path, number))

    def paged(base: str, number: int) -> str:
        return finish(urls.page(base, number))

    def source_text(source_id: str) -> str:
        return finish(urls.source_text(source_id))

    env.globals.update(
        url=url,
        paged=paged,
        source_text=source_text,
        human_date=human_date,
        excerpt=excerpt,
        months=MONTHS,
        statement_title=statement_title,
        listing_key=listing_key,  # the static search's listing order (staticindex.py)
        # Paths as published, whatever `link_index` says: feeds and identifiers use these.
        record_path=urls.record,
        feed_path=urls.feed,
        citation_file=urls.citation_file,
        search_table=urls.search_table,
        data_file=urls.data_file,
    )
