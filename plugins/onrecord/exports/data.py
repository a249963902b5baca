"""The JSON shape of statements and claims, from the model: what every export is made of."""

from __future__ import annotations

from .. import urls
from ..model import Archive, Claim, ClaimSpan, Statement

PARAGRAPH_BREAK = "\n\n"
LIST_SEPARATOR = "; "


# -- one statement -------------------------------------------------------------------------


def statement_data(statement: Statement, archive: Archive, site_url: str) -> dict:
    """The JSON shape of one statement (keys documented in the module docstring)."""
    return shape_statement(statement, archive, References(archive, site_url))


class References:
    """The `{id, name, url}` of each record a statement points to, built once per export.

    Every statement by one speaker shares the same dict, which keeps 100,000 statements'
    data small; the dicts are only ever read.
    """

    def __init__(self, archive: Archive, site_url: str) -> None:
        self.site_url = site_url
        # Looked up lazily, so one statement's data costs no pass over the whole archive.
        self.records: dict[str, dict] = {
            "speaker": archive.speakers,
            "outlet": archive.outlets,
            "theme": archive.themes,
            "source": archive.sources,
        }
        self.made: dict[tuple[str, str], dict] = {}

    def to(self, kind: str, record_id: str) -> dict:
        key = (kind, record_id)
        if key not in self.made:
            record = self.records[kind][record_id]
            self.made[key] = (
                {"id": record_id, "title": record.title}
                if kind == "source"
                else {"id": record_id, "name": record.name}
            )
            self.made[key]["url"] = page_url(self.site_url, kind, record_id)
        return self.made[key]


def shape_statement(statement: Statement, archive: Archive, references: References) -> dict:
    original = statement.original
    return {
        "id": statement.id,
        "url": page_url(references.site_url, "statement", statement.id),
        "speaker": references.to("speaker", statement.speaker_id),
        "role": statement.role,
        "date": statement.date.isoformat() if statement.date else None,
        "venue": statement.venue,
        "outlet": references.to("outlet", statement.outlet_id) if statement.outlet_id else None,
        "source": references.to("source", statement.source_id),
        "footnote": statement.footnote,
        "headline": statement.headline,
        "language": statement.language,
        "paragraphs": list(statement.paragraphs),
        "original": (
            {"language": original.language, "paragraphs": list(original.paragraphs)}
            if original
            else None
        ),
        "themes": [references.to("theme", theme_id) for theme_id in statement.theme_ids],
        "quotes": [
            {"paragraph": quote.paragraph, "statement": quote.statement_id, "nested": quote.nested}
            for quote in statement.quotes
            if _listed(archive, quote.statement_id)
        ],
        "quoted_in": statement.quoted_in if _listed(archive, statement.quoted_in) else None,
        # A statement quoting this one in two paragraphs quotes it once, as far as ids go.
        "quoted_by": list(dict.fromkeys(s.id for s in archive.quoted_by.get(statement.id, ()))),
        "attribution": statement.attribution,
        "attribution_note": statement.attribution_note,
        "withdrawn_on": statement.withdrawn_on.isoformat() if statement.withdrawn_on else None,
        "notes": statement.notes,
        "content_hash": statement.content_hash,
        "last_changed": statement.last_changed.isoformat() if statement.last_changed else None,
    }


def page_url(site_url: str, kind: str, record_id: str) -> str:
    return urls.absolute(site_url, urls.record(kind, record_id))


def _listed(archive: Archive, statement_id: str | None) -> bool:
    """Whether the lists hold this statement (it exists and is not withdrawn)."""
    statement = archive.statements.get(statement_id) if statement_id else None
    return statement is not None and not statement.withdrawn


def published_data(archive: Archive, references: References) -> list[dict]:
    """The data of every published statement, in list order, each built once."""
    return [shape_statement(s, archive, references) for s in archive.chronological]


# -- one claim -----------------------------------------------------------------------------


def claim_data(claim: Claim, archive: Archive, site_url: str) -> dict:
    """The JSON shape of one claim (keys documented in the module docstring)."""
    return shape_claim(claim, archive, References(archive, site_url))


def _appearance_data(span: ClaimSpan, references: References) -> dict:
    statement, appearance = span.statement, span.appearance
    url = f"{page_url(references.site_url, 'statement', statement.id)}#p{span.paragraph}"
    return {
        "statement": statement.id,
        "paragraph": span.paragraph,
        "exact": appearance.exact,
        "prefix": appearance.prefix,
        "suffix": appearance.suffix,
        "start": span.start,
        "speaker": references.to("speaker", statement.speaker_id),
        "role": statement.role,
        "date": statement.date.isoformat() if statement.date else None,
        "venue": statement.venue,
        "url": url,
        "text_fragment_url": url
        + urls.text_fragment(appearance.exact, appearance.prefix, appearance.suffix),
    }


def shape_claim(claim: Claim, archive: Archive, references: References) -> dict:
    appearances = [
        _appearance_data(span, references) for span in archive.claim_spans.get(claim.id, ())
    ]
    first = appearances[0] if appearances else None
    return {
        "id": claim.id,
        "url": page_url(references.site_url, "claim", claim.id),
        "summary": claim.summary,
        "kind": claim.kind,
        "appearances": appearances,
        "first_appearance": (
            {"statement": first["statement"], "paragraph": first["paragraph"]} if first else None
        ),
        "reviews": [
            {"by": r.by, "date": r.date.isoformat(), "url": r.url, "verdict": r.verdict}
            for r in claim.reviews
        ],
        "notes": claim.notes,
    }


def claims_data(archive: Archive, references: References) -> list[dict]:
    """Every claim's data, by id."""
    return [shape_claim(archive.claims[key], archive, references) for key in sorted(archive.claims)]
