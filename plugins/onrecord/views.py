"""What each job writes its files from: a view, a frozen value made from the archive.

A job (pages.py) is a key, the name of a writer (`writers.WRITERS`) and a view. The view
holds everything its writer may read: the writer is handed the view and the site's
renderer (the templates and settings, which the site digest covers), never the archive.
A job's fingerprint is the digest of its view itself, so no job can read something its
fingerprint does not cover; views are plain data and records, so they pickle, and the
workers that run jobs receive them pickled.

The functions here that make views are pure functions of the archive (and the settings
they are passed): the generator calls them once per page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from . import selectors, urls
from .model import Archive, Claim, Statement


@dataclass(frozen=True, slots=True)
class Slice:
    """The records one page's writer reads, shaped like the Archive's lookups it uses.

    Citations (`cite.csl_item`), the statement's JSON (`exports.statement_json`) and its
    JSON-LD read an archive's `speakers`, `outlets`, `sources`, `themes`, `statements`,
    `quoted_by`, `passages` and `texts`: a slice holds only the entries they look up for
    one statement, so it can stand in for the archive there.
    """

    FINGERPRINT_INLINE: ClassVar = True  # fingerprints.Fingerprints.inline

    statements: dict
    speakers: dict
    outlets: dict
    sources: dict
    themes: dict
    quoted_by: dict
    passages: dict
    texts: dict


def statement_slice(archive: Archive, statement: Statement) -> Slice:
    """What a statement's citations, JSON and JSON-LD read of the archive."""
    statements = {statement.id: statement}
    speakers = {statement.speaker_id: archive.speakers[statement.speaker_id]}
    parent = archive.statements.get(statement.quoted_in or "")
    if parent is not None:  # the citation's "Quoted by", the JSON's `quoted_in`
        statements[parent.id] = parent
        speakers[parent.speaker_id] = archive.speakers[parent.speaker_id]
    for quote in statement.quotes:  # the JSON lists the quotes of listed statements
        quoted = archive.statements.get(quote.statement_id)
        if quoted is not None:
            statements[quoted.id] = quoted
    outlets = {}
    if statement.outlet_id and statement.outlet_id in archive.outlets:
        outlets[statement.outlet_id] = archive.outlets[statement.outlet_id]
    quoting = archive.quoted_by.get(statement.id)
    passage = archive.passages.get(statement.id)
    return Slice(
        statements=statements,
        speakers=speakers,
        outlets=outlets,
        sources={statement.source_id: archive.sources[statement.source_id]},
        themes={t: archive.themes[t] for t in statement.theme_ids},
        quoted_by={statement.id: quoting} if quoting else {},
        passages={statement.id: passage} if passage else {},
        texts={passage.source_id: archive.texts[passage.source_id]} if passage else {},
    )


@dataclass(frozen=True, slots=True)
class PageView:
    """A page rendered from one template with `variables` (and the site's settings)."""

    FINGERPRINT_INLINE: ClassVar = True  # fingerprints.Fingerprints.inline

    path: str
    template: str
    relative: bool
    variables: dict


@dataclass(frozen=True, slots=True)
class StatementView:
    """A statement's page, citation files and JSON: `page` plus what they are made from."""

    FINGERPRINT_INLINE: ClassVar = True  # fingerprints.Fingerprints.inline

    statement: Statement
    page: PageView
    permalink: str
    slice: Slice


@dataclass(frozen=True, slots=True)
class TextView:
    """A plain file: its text."""

    FINGERPRINT_INLINE: ClassVar = True  # fingerprints.Fingerprints.inline

    save_as: str
    text: str


@dataclass(frozen=True, slots=True)
class ExportView:
    """A whole-archive data file (or the claims' files): the archive is what it is made from.

    Its fingerprint reads only the archive's records (`Archive.FINGERPRINTED`): the lookups
    are made from them (`Archive.of`).
    """

    FINGERPRINT_INLINE: ClassVar = True  # fingerprints.Fingerprints.inline

    name: str
    site_url: str
    archive: Archive


def statement_view(
    archive: Archive,
    statement: Statement,
    around: tuple,
    site_url: str,
    relative: bool,
    footnote_page: int,
) -> StatementView:
    """The view of a statement's page: every record and value its files are made from."""
    path = urls.record("statement", statement.id)
    permalink = urls.absolute(site_url, path)
    speakers = archive.speakers
    quotes_at: dict[int, list] = {}
    for quote in statement.quotes:
        quoted = archive.statements[quote.statement_id]
        quotes_at.setdefault(quote.paragraph, []).append(
            (quote, quoted, speakers[quoted.speaker_id])
        )
    quoted_by = [
        (parent, [q.paragraph for q in parent.quotes if q.statement_id == statement.id])
        for parent in archive.quoted_by.get(statement.id, ())
    ]
    parent = archive.statements.get(statement.quoted_in) if statement.quoted_in else None
    if parent and parent not in (p for p, _ in quoted_by):
        quoted_by.insert(
            0, (parent, [q.paragraph for q in parent.quotes if q.statement_id == statement.id])
        )
    spans = archive.claims_by_statement.get(statement.id, ())
    claim_paragraphs: dict[Claim, list[int]] = {}
    for span in spans:
        claim_paragraphs.setdefault(span.claim, [])
        if span.paragraph not in claim_paragraphs[span.claim]:
            claim_paragraphs[span.claim].append(span.paragraph)
    variables = {
        "statement": statement,
        "speaker": speakers[statement.speaker_id],
        "outlet": archive.outlets.get(statement.outlet_id or ""),
        "source": archive.sources[statement.source_id],
        "footnote_page": footnote_page,
        "themes": [archive.themes[t] for t in statement.theme_ids],
        "quotes_at": quotes_at,
        "quoted_by": [(p, speakers[p.speaker_id], paragraphs) for p, paragraphs in quoted_by],
        "previous": around[0],
        "next": around[1],
        "permalink": permalink,
        "spans": spans,
        "statement_claims": [
            (claim, paragraphs, len(archive.claim_spans.get(claim.id, ())))
            for claim, paragraphs in claim_paragraphs.items()
        ],
        "canonical": permalink,
        "page_path": path,
        # Where its words stand in the source's text, and the links that go there.
        "passage": archive.passages.get(statement.id),
        "selectors": selectors.statement_selectors(statement, archive),
        "live_href": live_href(archive, statement),
    }
    template = "withdrawn" if statement.withdrawn else "statement"
    page = PageView(path, template, relative, variables)
    return StatementView(statement, page, permalink, statement_slice(archive, statement))


def live_href(archive: Archive, statement: Statement) -> str | None:
    """The source's live page; with a text directive to the words when the text has them."""
    source = archive.sources[statement.source_id]
    if not source.url:
        return None
    fragment = selectors.text_fragment(statement, archive)
    return f"{source.url.partition('#')[0]}#{fragment}" if fragment else source.url
