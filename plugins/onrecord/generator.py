"""The Pelican generator: Archive → pages, feeds, citations and exports, through Pelican's writer.

Statements are not modelled as Pelican articles: Pelican's per-term pages filter the whole
article list once per term (quadratic). Every list here comes from the Archive's lookups.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from markupsafe import Markup
from pelican.generators import Generator

from . import cite, export, jsonld, permalinks, templating, urls
from .load import claim_kinds, load_archive
from .model import Archive, Claim, ClaimSpan, Speaker, Statement

log = logging.getLogger(__name__)


def pages_of(items: Sequence, per_page: int) -> Iterator[tuple[int, int, Sequence]]:
    """(page number, page count, items on that page) for a list; one empty page for none."""
    count = max(1, -(-len(items) // per_page))
    for number in range(1, count + 1):
        yield number, count, items[(number - 1) * per_page : number * per_page]


def neighbours(statements: list[Statement]) -> dict[str, tuple[Statement | None, Statement | None]]:
    """Previous and next statement for each in a chronological list, in one pass."""
    result = {}
    for index, statement in enumerate(statements):
        before = statements[index - 1] if index > 0 else None
        after = statements[index + 1] if index + 1 < len(statements) else None
        result[statement.id] = (before, after)
    return result


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of a paragraph's text and, when it is a claim's words, the claim to link to.

    Templates render `text` escaped, like any record text, and wrap a claim's words in a
    `<mark>` linking to `claim`; no HTML is ever built here.
    """

    text: str
    claim: Claim | None = None  # the narrowest claim whose words include these
    claims: tuple[Claim, ...] = ()  # every claim whose words include these


def paragraph_segments(text: str, spans: Sequence[ClaimSpan]) -> list[Segment]:
    """`text` cut where claims' words begin and end, in order; the pieces join back to `text`.

    Claims' words may overlap (two claims made in one sentence): each piece then belongs
    to every claim covering it and links to the narrowest of them.
    """
    cuts = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    segments = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        covering = sorted(
            (s for s in spans if s.start <= start and end <= s.end),
            key=lambda s: (s.end - s.start, s.start, s.claim.id),
        )
        claims = tuple(dict.fromkeys(s.claim for s in covering))
        segments.append(Segment(text[start:end], claims[0] if claims else None, claims))
    return segments


def other_speakers(spans: Sequence[ClaimSpan], speakers: dict[str, Speaker], but: str) -> list:
    """The speakers of `spans` other than `but`, each once, in the spans' order."""
    ids = dict.fromkeys(s.statement.speaker_id for s in spans if s.statement.speaker_id != but)
    return [speakers[speaker_id] for speaker_id in ids]


class ArchiveGenerator(Generator):
    """Loads the records (or takes the ones `onrecord build` already checked) and writes them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        link_index = self.settings.get("ONRECORD_LINK_INDEX_HTML", self.settings["RELATIVE_URLS"])
        templating.install(self.env, link_index=link_index)

    def generate_context(self) -> None:
        archive = self.settings.get("ONRECORD_ARCHIVE")
        if archive is None:
            archive = load_archive(self.settings["ONRECORD_ROOT"])
        self.archive: Archive = archive
        self.context["archive"] = archive

    # -- output ----------------------------------------------------------------------------

    def generate_output(self, writer) -> None:
        archive = self.archive
        self.site_url = self.settings["SITEURL"].rstrip("/")
        self.per_page = int(self.settings.get("ONRECORD_PER_PAGE", 50))
        self.writer = writer
        self._home()
        self._statements()
        self._people_and_places()
        self._sources()
        self._claims()
        self._timeline()
        self._feeds()
        self._redirects()
        self._misc()
        written = export.write_exports(archive, Path(self.output_path), self.site_url)
        written += export.write_claim_exports(archive, Path(self.output_path), self.site_url)
        log.info("onrecord: wrote %d export files", len(written))

    def _write(self, path: str, template: str, **variables) -> None:
        variables.setdefault("canonical", urls.absolute(self.site_url, path))
        self.writer.write_file(
            urls.save_as(path),
            self.get_template(template),
            self.context,
            relative_urls=self.settings["RELATIVE_URLS"],
            override_output=True,
            page_path=path,
            **variables,
        )

    def _paginated(self, base: str, template: str, items: Sequence, **variables) -> None:
        for number, count, chunk in pages_of(items, self.per_page):
            self._write(
                urls.page(base, number),
                template,
                items=chunk,
                page_number=number,
                page_count=count,
                page_base=base,
                **variables,
            )

    def _home(self) -> None:
        archive = self.archive
        latest = archive.chronological[-10:][::-1]
        self._write(
            "",
            "index",
            latest=latest,
            speakers=self._speaker_rows(),
            themes=self._rows(archive.themes, archive.by_theme),
            outlets=self._rows(archive.outlets, archive.by_outlet),
        )

    def _rows(self, records: dict, lookup: dict) -> list[tuple]:
        return sorted(
            ((r, len(lookup.get(r.id, ()))) for r in records.values()),
            key=lambda row: (row[0].name.casefold(), row[0].id),
        )

    def _speaker_rows(self) -> list[tuple]:
        return self._rows(self.archive.speakers, self.archive.by_speaker)

    def _statements(self) -> None:
        archive = self.archive
        newest_first = archive.chronological[::-1]
        self._paginated(urls.listing("statement"), "statements", newest_first)
        around = {}
        for statements in archive.by_speaker.values():
            around.update(neighbours(statements))
        items = {
            statement.id: cite.csl_item(
                statement,
                archive,
                urls.absolute(self.site_url, urls.record("statement", statement.id)),
            )
            for statement in archive.statements.values()
        }
        cache_dir = self.settings.get("ONRECORD_CACHE_DIR")
        rendered = cite.render_citations(
            list(items.values()),
            Path(cache_dir, "citations.sqlite") if cache_dir else None,
            procs=int(self.settings.get("ONRECORD_PROCS") or cite.default_procs()),
        )
        for statement in archive.statements.values():
            self._statement(
                statement,
                around.get(statement.id, (None, None)),
                items[statement.id],
                rendered[statement.id],
            )

    def _statement(self, statement: Statement, around: tuple, item: dict, rendered: dict) -> None:
        archive = self.archive
        path = urls.record("statement", statement.id)
        permalink = item["URL"]
        # citeproc escapes the record's text itself; its output is markup to keep as is.
        citations = {style: Markup(html) for style, (html, _) in rendered.items()}
        plain = {style: text for style, (_, text) in rendered.items()}
        folder = Path(self.output_path, path)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "cite.bib").write_text(cite.bibtex(item), encoding="utf-8")
        (folder / "cite.ris").write_text(cite.ris(item), encoding="utf-8")
        (folder / "cite.json").write_text(cite.csl_json(item), encoding="utf-8")
        quotes_at: dict[int, list] = {}
        for quote in statement.quotes:
            quotes_at.setdefault(quote.paragraph, []).append(
                (quote, archive.statements[quote.statement_id])
            )
        quoted_by = [
            (parent, [q.paragraph for q in parent.quotes if q.statement_id == statement.id])
            for parent in archive.quoted_by.get(statement.id, ())
        ]
        spans_at: dict[int, list[ClaimSpan]] = {}
        for span in archive.claims_by_statement.get(statement.id, ()):
            spans_at.setdefault(span.paragraph, []).append(span)
        claim_paragraphs: dict[Claim, list[int]] = {}
        for span in archive.claims_by_statement.get(statement.id, ()):
            claim_paragraphs.setdefault(span.claim, [])
            if span.paragraph not in claim_paragraphs[span.claim]:
                claim_paragraphs[span.claim].append(span.paragraph)
        parent = archive.statements.get(statement.quoted_in) if statement.quoted_in else None
        if parent and parent not in (p for p, _ in quoted_by):
            quoted_by.insert(
                0, (parent, [q.paragraph for q in parent.quotes if q.statement_id == statement.id])
            )
        self._write(
            path,
            "withdrawn" if statement.withdrawn else "statement",
            statement=statement,
            speaker=archive.speakers[statement.speaker_id],
            outlet=archive.outlets.get(statement.outlet_id or ""),
            source=archive.sources[statement.source_id],
            themes=[archive.themes[t] for t in statement.theme_ids],
            quotes_at=quotes_at,
            quoted_by=quoted_by,
            previous=around[0],
            next=around[1],
            permalink=permalink,
            citations=citations,
            citations_plain=plain,
            jsonld=jsonld.script_json(
                jsonld.statement_jsonld(statement, archive, permalink, self.site_url)
            ),
            statement_json=urls.statement_json(statement.id),
            claim_segments={
                n: paragraph_segments(statement.paragraphs[n - 1], spans)
                for n, spans in spans_at.items()
            },
            statement_claims=list(claim_paragraphs.items()),
        )

    def _people_and_places(self) -> None:
        archive = self.archive
        self._write(urls.listing("speaker"), "speakers", rows=self._speaker_rows())
        for speaker in archive.speakers.values():
            statements = archive.by_speaker.get(speaker.id, [])
            path = urls.record("speaker", speaker.id)
            self._paginated(
                path,
                "speaker",
                statements,
                speaker=speaker,
                theme_counts=self._counted(
                    archive.themes, (t for s in statements for t in s.theme_ids)
                ),
                outlet_counts=self._counted(
                    archive.outlets, (s.outlet_id for s in statements if s.outlet_id)
                ),
                feed=urls.feed("speaker", speaker.id),
                speaker_claims=[
                    (
                        claim,
                        other_speakers(archive.claim_spans[claim.id], archive.speakers, speaker.id),
                    )
                    for claim in archive.claims_by_speaker.get(speaker.id, ())
                ],
                jsonld=jsonld.script_json(
                    jsonld.speaker_jsonld(speaker, urls.absolute(self.site_url, path))
                ),
            )
        for kind, records, lookup in (
            ("outlet", archive.outlets, archive.by_outlet),
            ("theme", archive.themes, archive.by_theme),
        ):
            self._write(urls.listing(kind), f"{kind}s", rows=self._rows(records, lookup))
            for record in records.values():
                statements = lookup.get(record.id, [])
                self._paginated(
                    urls.record(kind, record.id),
                    "collection",  # outlets and themes: one page layout, their own "about"
                    statements,
                    kind=kind,
                    record=record,
                    speaker_counts=self._counted(
                        archive.speakers, (s.speaker_id for s in statements)
                    ),
                    feed=urls.feed(kind, record.id) if kind == "theme" else None,
                )

    def _counted(self, records: dict, ids) -> list[tuple]:
        counts = Counter(ids)
        return [(records[i], n) for i, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    def _sources(self) -> None:
        archive = self.archive
        rows = [(s, len(archive.by_source.get(s.id, ()))) for s in archive.sources.values()]
        self._write(urls.listing("source"), "sources", rows=sorted(rows, key=lambda r: r[0].title))
        for source in archive.sources.values():
            footnotes = [
                (f, archive.by_footnote.get((source.id, f.number), [])) for f in source.footnotes
            ]
            unnumbered = [s for s in archive.by_source.get(source.id, []) if s.footnote is None]
            self._write(
                urls.record("source", source.id),
                "source",
                source=source,
                footnotes=footnotes,
                unnumbered=unnumbered,
            )

    def _claims(self) -> None:
        archive = self.archive
        claims = sorted(archive.claims.values(), key=lambda c: (c.summary.casefold(), c.id))
        counts = {c.id: len(archive.claim_spans.get(c.id, ())) for c in claims}
        by_kind = [(kind, [c for c in claims if c.kind == kind]) for kind in claim_kinds()]
        self._write(
            urls.listing("claim"),
            "claims",
            by_kind=[(kind, listed) for kind, listed in by_kind if listed],
            most=sorted(((c, counts[c.id]) for c in claims), key=lambda row: -row[1]),
            counts=counts,
        )
        for claim in claims:
            path = urls.record("claim", claim.id)
            spans = archive.claim_spans.get(claim.id, [])
            appearances = [
                (span, archive.speakers[span.statement.speaker_id], self._deep_link(span))
                for span in spans
            ]
            self._write(
                path,
                "claim",
                claim=claim,
                appearances=appearances,
                first=appearances[0] if appearances else None,
                jsonld=jsonld.script_json(
                    jsonld.claim_jsonld(
                        claim, archive, urls.absolute(self.site_url, path), self.site_url
                    )
                ),
            )

    def _deep_link(self, span: ClaimSpan) -> str:
        """The statement's paragraph, with a text directive that highlights the claim's words."""
        page = urls.absolute(self.site_url, urls.record("statement", span.statement.id))
        appearance = span.appearance
        directive = urls.text_fragment(appearance.exact, appearance.prefix, appearance.suffix)
        return f"{page}#p{span.paragraph}{directive}"

    def _timeline(self) -> None:
        years: dict[int, dict[int, list[Statement]]] = {}
        undated = []
        for statement in self.archive.chronological:
            if statement.date:
                years.setdefault(statement.date.year, {}).setdefault(
                    statement.date.month, []
                ).append(statement)
            else:
                undated.append(statement)
        self._write(
            "timeline/",
            "timeline",
            years=sorted(years.items(), reverse=True),
            undated=undated,
        )

    def _feeds(self) -> None:
        archive = self.archive
        template = self.env.get_template("feed.xml")
        feeds = [(urls.feed(), self.settings["SITENAME"], "", archive.chronological)]
        for kind, records, lookup in (
            ("speaker", archive.speakers, archive.by_speaker),
            ("theme", archive.themes, archive.by_theme),
        ):
            feeds += [
                (urls.feed(kind, r.id), r.name, urls.record(kind, r.id), lookup.get(r.id, []))
                for r in records.values()
            ]
        for path, title, page, statements in feeds:
            latest = [s for s in statements if s.date][-50:][::-1]
            text = template.render(
                SITENAME=self.settings["SITENAME"],
                SITEURL=self.site_url,
                feed_path=path,
                title=title,
                page_path=page,
                entries=latest,
                archive=archive,
                updated=latest[0].date if latest else date(1970, 1, 1),
            )
            target = Path(self.output_path, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")

    def _redirects(self) -> None:
        """A page at each former URL, and `_redirects` for hosts that read it (Netlify et al.)."""
        moved = permalinks.redirects(self.archive)
        for old, new in sorted(moved.items()):
            self._write(
                old.lstrip("/"),
                "redirect",
                target=new.lstrip("/"),
                canonical=urls.absolute(self.site_url, new.lstrip("/")),
            )
        lines = [f"{old} {new} 301" for old, new in sorted(moved.items())]
        Path(self.output_path, "_redirects").write_text(
            "".join(line + "\n" for line in lines), encoding="utf-8"
        )

    def _misc(self) -> None:
        self._write("search/", "search", results=None, query="")
        self.writer.write_file(
            "404.html",
            self.get_template("404"),
            self.context,
            relative_urls=False,
            override_output=True,
            page_path="404.html",
            canonical="",
            # Served in place of any missing path, at any depth: links from the site root.
            SITEURL="",
        )
        sitemap = urls.absolute(self.site_url, "sitemap.xml")
        Path(self.output_path, "robots.txt").write_text(
            f"User-agent: *\nAllow: /\nSitemap: {sitemap}\n", encoding="utf-8"
        )


def get_generators(pelican) -> type[Generator]:
    return ArchiveGenerator
