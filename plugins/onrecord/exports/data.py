"""The JSON shape of statements and claims, from the model: what every export is made of.

A statement's JSON is its fields in the registry (`columns.STATEMENTS`), a claim's those of
`tables.CLAIMS`, each key read once from the model.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Archive, Claim, Statement
from .columns import STATEMENTS
from .references import References
from .tables import CLAIMS

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
    return list(each_published(references))


def each_published(references: References) -> Iterator[dict]:
    """`published_data` made as it is read: a file written from it holds one at a time (at
    100,000 statements they are some 300 MB together)."""
    return (shape_statement(s, references) for s in references.archive.chronological)


# -- one claim -----------------------------------------------------------------------------


_CLAIM_FIELDS = tuple((f.name, f.read) for f in CLAIMS.json_fields())


def claim_data(claim: Claim, archive: Archive, site_url: str) -> dict:
    """The JSON shape of one claim (its fields: `tables.CLAIMS`)."""
    return shape_claim(claim, References(archive, site_url))


def shape_claim(claim: Claim, references: References) -> dict:
    """The JSON shape of one claim, with an export's shared `references`."""
    return {name: read(claim, references) for name, read in _CLAIM_FIELDS}


def claims_data(references: References) -> list[dict]:
    """Every claim's data, by id."""
    claims = references.archive.claims
    return [shape_claim(claims[key], references) for key in sorted(claims)]
