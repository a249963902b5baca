"""The JSON shape of statements and claims, from the model: what every export is made of.

A statement's JSON is its fields in the registry (`columns.STATEMENTS`); a claim's is below.
"""

from __future__ import annotations

from .. import urls
from ..model import Archive, Claim, ClaimSpan, Statement
from .columns import STATEMENTS
from .references import References, page_url

# -- one statement -------------------------------------------------------------------------

_JSON_FIELDS = tuple((f.name, f.read) for f in STATEMENTS.json_fields())


def statement_data(statement: Statement, archive: Archive, site_url: str) -> dict:
    """The JSON shape of one statement (its fields: `columns.STATEMENTS`)."""
    return shape_statement(statement, References(archive, site_url))


def shape_statement(statement: Statement, references: References) -> dict:
    """The JSON shape of one statement, with an export's shared `references`."""
    return {name: read(statement, references) for name, read in _JSON_FIELDS}


def published_data(references: References) -> list[dict]:
    """The data of every published statement, in list order, each built once."""
    return [shape_statement(s, references) for s in references.archive.chronological]


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
