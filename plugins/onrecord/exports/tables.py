"""The registry's SQLite-only tables: the records statements point to, and their parts.

Each is a `columns.Table` like `columns.STATEMENTS`; `TABLES` lists every table of
`data/onrecord.db` in the order they are created.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import urls
from ..model import Claim, ClaimSpan
from .columns import STATEMENTS, Field, SqlColumn, Table, attribute, field, item, same
from .references import References, iso, joined


def sql_only(
    name: str,
    doc: str,
    read: Callable[[Any, References], Any],
    kind: type = str,
    *,
    not_null: bool = False,
    references: str | None = None,
    make: Callable[[Any], object] = same,
) -> Field:
    column = SqlColumn(name, kind, make, not_null, references)
    return Field(name, doc, read, json=False, sql=(column,))


def _page(kind: str) -> Field:
    return sql_only(
        "url", "its page here", lambda record, r: r.page(kind, record.id), not_null=True
    )


def _record_id(what: str) -> Field:
    return sql_only("id", f"the {what}'s id", attribute("id"))


SPEAKERS = Table(
    "speakers",
    "every speaker, by id",
    (
        _record_id("speaker"),
        sql_only("name", "the name pages show", attribute("name"), not_null=True),
        sql_only("kind", "person | organisation | publication", attribute("kind"), not_null=True),
        sql_only(
            "other_names",
            'other names, joined with "; "',
            attribute("other_names"),
            make=lambda v: joined(v) or None,
        ),
        sql_only("description", "who they are", attribute("description")),
        sql_only("notes", "editors' notes", attribute("notes")),
        _page("speaker"),
    ),
    pk="id",
)

OUTLETS = Table(
    "outlets",
    "every outlet, by id",
    (
        _record_id("outlet"),
        sql_only("name", "the outlet's name", attribute("name"), not_null=True),
        sql_only("kind", "what kind of outlet it is", attribute("kind")),
        sql_only(
            "described_as",
            'how sources describe it, joined with "; "',
            attribute("described_as"),
            make=lambda v: joined(v) or None,
        ),
        sql_only("notes", "editors' notes", attribute("notes")),
        _page("outlet"),
    ),
    pk="id",
)

THEMES = Table(
    "themes",
    "every theme, by id",
    (
        _record_id("theme"),
        sql_only("name", "the theme's name", attribute("name"), not_null=True),
        sql_only("description", "what it gathers", attribute("description"), not_null=True),
        _page("theme"),
    ),
    pk="id",
)

SOURCES = Table(
    "sources",
    "every source (the reports statements are quoted from), by id",
    (
        _record_id("source"),
        sql_only("title", "the report's title", attribute("title"), not_null=True),
        sql_only("publisher", "who published it", attribute("publisher")),
        sql_only("source_url", "the report's own URL", attribute("url")),
        sql_only("archived_url", "a web archive's copy of that page", attribute("archived_url")),
        sql_only("archived_on", "`YYYY-MM-DD` the copy was made", lambda s, _: iso(s.archived_on)),
        sql_only("published", "`YYYY-MM-DD` it was published", lambda s, _: iso(s.published)),
        sql_only("summary", "what it is about", attribute("summary")),
        sql_only("notes", "editors' notes", attribute("notes")),
        _page("source"),
    ),
    pk="id",
)

# Rows of the tables below are tuples: (source, footnote), (statement data, number, text)…
FOOTNOTES = Table(
    "footnotes",
    "every footnote of every source",
    (
        sql_only("source_id", "the source", item(0, "id"), not_null=True, references="sources"),
        sql_only("number", "its number", item(1, "number"), int, not_null=True),
        sql_only("text", "its text", item(1, "text")),
    ),
    pk=("source_id", "number"),
)

PARAGRAPHS = Table(
    "paragraphs",
    "every paragraph of every published statement",
    (
        sql_only(
            "statement_id", "the statement", item(0, "id"), not_null=True, references="statements"
        ),
        sql_only("number", "1-based", item(1), int, not_null=True),
        sql_only("text", "the paragraph, verbatim", item(2), not_null=True),
    ),
    pk=("statement_id", "number"),
)

STATEMENT_THEMES = Table(
    "statement_themes",
    "each theme of each published statement",
    (
        sql_only(
            "statement_id", "the statement", item(0, "id"), not_null=True, references="statements"
        ),
        sql_only("theme_id", "the theme", item(1, "id"), not_null=True, references="themes"),
    ),
    pk=("statement_id", "theme_id"),
    indexes=(("theme_id",),),
)

QUOTES = Table(
    "quotes",
    "each statement quoted inside a published statement",
    (
        sql_only(
            "statement_id",
            "the quoting statement",
            item(0, "id"),
            not_null=True,
            references="statements",
        ),
        sql_only(
            "paragraph",
            "1-based paragraph of the quoting statement",
            item(1, "paragraph"),
            int,
            not_null=True,
        ),
        sql_only(
            "quoted_statement_id",
            "the quoted statement",
            item(1, "statement"),
            not_null=True,
            references="statements",
        ),
        sql_only(
            "nested",
            "1 when the quoted statement is known only through this one",
            item(1, "nested"),
            int,
            not_null=True,
            make=int,
        ),
    ),
    pk=("statement_id", "paragraph", "quoted_statement_id"),
    indexes=(("quoted_statement_id",),),
)


def _appearances(claim: Claim, references: References) -> list[dict]:
    spans = references.archive.claim_spans.get(claim.id, ())
    return [_appearance(span, references) for span in spans]


def _appearance(span: ClaimSpan, references: References) -> dict:
    statement, appearance = span.statement, span.appearance
    url = f"{references.page('statement', statement.id)}#p{span.paragraph}"
    return {
        "statement": statement.id,
        "paragraph": span.paragraph,
        "exact": appearance.exact,
        "prefix": appearance.prefix,
        "suffix": appearance.suffix,
        "start": span.start,
        "speaker": references.to("speaker", statement.speaker_id),
        "role": statement.role,
        "date": iso(statement.date),
        "venue": statement.venue,
        "url": url,
        "text_fragment_url": url
        + urls.text_fragment(appearance.exact, appearance.prefix, appearance.suffix),
    }


def _first_appearance(claim: Claim, references: References) -> dict | None:
    spans = references.archive.claim_spans.get(claim.id)
    return {"statement": spans[0].statement.id, "paragraph": spans[0].paragraph} if spans else None


# A claim's JSON (`data.claim_data`) is made from these fields; its SQLite row from that JSON.
CLAIMS = Table(
    "claims",
    "every claim, by id",
    (
        field("id", "the claim's id; ids never change", attribute("id"), csv=False, sql=str),
        field(
            "url",
            "its page: `<site_url>/claims/<id>/`",
            lambda c, r: r.page("claim", c.id),
            csv=False,
            sql=str,
            not_null=True,
            sql_after="notes",
        ),
        field(
            "summary",
            "what is asserted, in the editor's neutral words (not whether it is true)",
            attribute("summary"),
            csv=False,
            sql=str,
            not_null=True,
        ),
        field(
            "kind",
            "factual | quantitative | threat | prediction | accusation | self-description",
            attribute("kind"),
            csv=False,
            sql=str,
            not_null=True,
        ),
        field(
            "appearances",
            "[{statement, paragraph, exact, prefix, suffix, start, speaker, role, date, venue, "
            "url, text_fragment_url}] in published statements, dated first "
            "(SQLite: `claim_appearances`)",
            _appearances,
            csv=False,
        ),
        field(
            "first_appearance",
            "{statement, paragraph} of the first appearance; or null",
            _first_appearance,
            csv=False,
        ),
        field(
            "reviews",
            "[{by, date, url, verdict}]: published fact-checks, as given (SQLite: `claim_reviews`)",
            lambda c, _: [
                {"by": r.by, "date": iso(r.date), "url": r.url, "verdict": r.verdict}
                for r in c.reviews
            ],
            csv=False,
        ),
        field("notes", "editors' notes", attribute("notes"), csv=False, sql=str),
    ),
    pk="id",
)

CLAIM_APPEARANCES = Table(
    "claim_appearances",
    "each appearance of a claim in a published statement",
    (
        sql_only("claim_id", "the claim", item(0, "id"), not_null=True, references="claims"),
        sql_only("position", "1 is the first appearance", item(1), int, not_null=True),
        sql_only(
            "statement_id",
            "the statement",
            item(2, "statement"),
            not_null=True,
            references="statements",
        ),
        sql_only("paragraph", "1-based paragraph", item(2, "paragraph"), int, not_null=True),
        sql_only("exact", "the words, verbatim", item(2, "exact"), not_null=True),
        sql_only("prefix", "the text right before, as the record gives it", item(2, "prefix")),
        sql_only("suffix", "the text right after, as the record gives it", item(2, "suffix")),
        sql_only("start", "0-based offset in code points", item(2, "start"), int, not_null=True),
        sql_only("url", "the statement's page at the paragraph", item(2, "url"), not_null=True),
    ),
    pk=("claim_id", "position"),
    indexes=(("statement_id", "paragraph"),),
    compound_keys=((("statement_id", "paragraph"), "paragraphs", ("statement_id", "number")),),
)

CLAIM_REVIEWS = Table(
    "claim_reviews",
    "each published fact-check of a claim",
    (
        sql_only("claim_id", "the claim", item(0, "id"), not_null=True, references="claims"),
        sql_only("position", "1-based, as given", item(1), int, not_null=True),
        sql_only("reviewer", "who reviewed it (`by`)", item(2, "by"), not_null=True),
        sql_only("date", "`YYYY-MM-DD`", item(2, "date"), not_null=True),
        sql_only("url", "the review", item(2, "url"), not_null=True),
        sql_only("verdict", "its verdict, as given", item(2, "verdict"), not_null=True),
    ),
    pk=("claim_id", "position"),
)

# In the order they are created: a table comes after those it points to.
TABLES = (
    SPEAKERS,
    OUTLETS,
    THEMES,
    SOURCES,
    FOOTNOTES,
    STATEMENTS,
    PARAGRAPHS,
    STATEMENT_THEMES,
    QUOTES,
    CLAIMS,
    CLAIM_APPEARANCES,
    CLAIM_REVIEWS,
)
