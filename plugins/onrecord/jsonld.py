"""schema.org descriptions of statements, speakers and claims, as plain dicts.

Pages embed them in `<script type="application/ld+json">` through `script_json`, which
makes the JSON safe to sit inside that element. Only fields the record has appear: an
empty record field is left out, never filled in.
"""

from __future__ import annotations

import json

from markupsafe import Markup

from . import urls
from .model import Archive, Claim, ClaimSpan, Source, Speaker, Statement
from .selectors import statement_selectors

SCHEMA_ORG = "https://schema.org"
# The W3C Web Annotation terms a statement's `selector` uses (its words' place in the
# source's text, see selectors.py), defined inline so that no processor needs to fetch
# http://www.w3.org/ns/anno.jsonld; added to the context only where a selector is given.
OA = "http://www.w3.org/ns/oa#"
ANNOTATION_TERMS = {
    "oa": OA,
    "selector": {"@id": "oa:hasSelector"},
    "type": "@type",
    "TextQuoteSelector": "oa:TextQuoteSelector",
    "TextPositionSelector": "oa:TextPositionSelector",
    "exact": "oa:exact",
    "prefix": "oa:prefix",
    "suffix": "oa:suffix",
    "start": {"@id": "oa:start", "@type": "http://www.w3.org/2001/XMLSchema#nonNegativeInteger"},
    "end": {"@id": "oa:end", "@type": "http://www.w3.org/2001/XMLSchema#nonNegativeInteger"},
}


def page_url(site_url: str, kind: str, record_id: str) -> str:
    """`<site_url>/<kind>s/<id>/`; root-relative (`/speakers/x/`) when `site_url` is empty."""
    return urls.absolute(site_url, urls.record(kind, record_id))


def _schema_type(speaker: Speaker) -> str:
    return "Person" if speaker.kind == "person" else "Organization"


def _creator(statement: Statement, archive: Archive, site_url: str) -> dict:
    """Who made a statement, with the role they had then."""
    speaker = archive.speakers[statement.speaker_id]
    creator: dict = {"@type": _schema_type(speaker), "name": speaker.name}
    if statement.role and speaker.kind == "person":  # schema.org gives only a Person a jobTitle
        creator["jobTitle"] = statement.role
    creator["url"] = page_url(site_url, "speaker", speaker.id)
    return creator


def statement_jsonld(statement: Statement, archive: Archive, url: str, site_url: str) -> dict:
    """The statement as a schema.org `Quotation`; `url` is its permalink."""
    creator = _creator(statement, archive, site_url)
    data: dict = {
        "@context": SCHEMA_ORG,
        "@type": "Quotation",
        "identifier": statement.id,
        "url": url,
        "text": "\n\n".join(statement.paragraphs),
        "inLanguage": statement.language,
        "creator": creator,
    }
    if statement.date:
        data["dateCreated"] = statement.date.isoformat()
    source = archive.sources[statement.source_id]
    data["isBasedOn"] = source_work(source)
    data["citation"] = footnote_citation(statement, source)
    selectors = statement_selectors(statement, archive)
    if selectors:
        # Where its words stand in the source's text (`isBasedOn`): W3C Web Annotation.
        data["@context"] = [SCHEMA_ORG, ANNOTATION_TERMS]
        data["selector"] = selectors
    if statement.theme_ids:
        data["about"] = [
            {
                "@type": "DefinedTerm",
                "name": archive.themes[theme_id].name,
                "url": page_url(site_url, "theme", theme_id),
            }
            for theme_id in statement.theme_ids
        ]
    return data


def source_work(source: Source) -> dict:
    """The report a statement is known from, with only the facts its record gives."""
    work: dict = {"@type": "CreativeWork", "name": source.title}
    if source.url:
        work["url"] = source.url
    if source.archived_url:
        work["archivedAt"] = source.archived_url
    if source.publisher:
        work["publisher"] = {"@type": "Organization", "name": source.publisher}
    if source.published:
        work["datePublished"] = source.published.isoformat()
    return work


def footnote_citation(statement: Statement, source: Source) -> str:
    """Where in the source the statement is: "<title>, footnote N", and the note's text if any."""
    if statement.footnote is None:
        return source.title
    citation = f"{source.title}, footnote {statement.footnote}"
    note = next((f.text for f in source.footnotes if f.number == statement.footnote), None)
    return f"{citation}: {note}" if note else citation


def _appearance(span: ClaimSpan, archive: Archive, site_url: str) -> dict:
    """One appearance of a claim: the words, as a `Quotation` at their paragraph."""
    statement = span.statement
    quotation: dict = {
        "@type": "Quotation",
        "url": f"{page_url(site_url, 'statement', statement.id)}#p{span.paragraph}",
        "text": span.exact,
        "creator": _creator(statement, archive, site_url),
    }
    if statement.date:
        quotation["dateCreated"] = statement.date.isoformat()
    return quotation


def claim_jsonld(claim: Claim, archive: Archive, url: str, site_url: str) -> dict:
    """The claim as a schema.org `Claim`; `url` is its page.

    `name` is the editor's summary (what is asserted); the speakers' own words are in each
    `appearance`, the first of which is also the `firstAppearance`, whose speaker is the
    claim's `author` and whose date its `datePublished`. Reviews are `ClaimReview`s.
    """
    spans = archive.claim_spans.get(claim.id, [])
    data: dict = {
        "@context": SCHEMA_ORG,
        "@type": "Claim",
        "identifier": claim.id,
        "url": url,
        "name": claim.summary,
        "genre": claim.kind,
    }
    if spans:
        first = spans[0].statement
        data["author"] = _creator(first, archive, site_url)
        if first.date:
            data["datePublished"] = first.date.isoformat()
        appearances = [_appearance(span, archive, site_url) for span in spans]
        data["firstAppearance"] = appearances[0]
        data["appearance"] = appearances
    if claim.reviews:
        data["review"] = [
            {
                "@type": "ClaimReview",
                "author": {"@type": "Organization", "name": review.by},
                "datePublished": review.date.isoformat(),
                "url": review.url,
                "claimReviewed": claim.summary,
                "reviewRating": {"@type": "Rating", "alternateName": review.verdict},
            }
            for review in claim.reviews
        ]
    return data


def speaker_jsonld(speaker: Speaker, url: str) -> dict:
    """The speaker as a schema.org `Person` or `Organization`; `url` is their page."""
    data: dict = {
        "@context": SCHEMA_ORG,
        "@type": _schema_type(speaker),
        "identifier": speaker.id,
        "url": url,
        "name": speaker.name,
    }
    other_names = list(speaker.other_names)
    if speaker.name_original:
        other_names.extend(speaker.name_original.paragraphs)
    if other_names:
        data["alternateName"] = other_names
    if speaker.roles and speaker.kind == "person":
        data["jobTitle"] = list(speaker.roles)
    if speaker.description:
        data["description"] = speaker.description
    return data


# Characters that could end the <script> element or start an HTML comment inside it, and
# the two line separators older JavaScript parsers take for line ends.
SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(data: dict) -> Markup:
    """`data` as JSON safe to embed in `<script type="application/ld+json">` as is.

    The escapes are inside JSON strings (the only place these characters can be), where
    `\\u003c` means the same as `<` to a JSON parser but cannot close the element.
    """
    text = json.dumps(data, ensure_ascii=False)
    # A scan in C per character, where str.translate looks each character of the text up
    # in a table: that was 4% of a cold build's render workers (947 of 22,152 samples).
    for character, escaped in SCRIPT_ESCAPES.items():
        if character in text:
            text = text.replace(character, escaped)
    return Markup(text)
