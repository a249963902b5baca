"""The Pelican generator: Archive → pages, feeds, citations, exports and the sitemap.

Statements are not modelled as Pelican articles: Pelican's per-term pages filter the whole
article list once per term (quadratic). Every list here comes from the Archive's lookups.
"""

from __future__ import annotations

import gc
import logging
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from itertools import compress
from pathlib import Path

import jinja2
from pelican.generators import Generator

from . import (
    feeds,
    fingerprints,
    handoff,
    history,
    jsonld,
    pages,
    paging,
    permalinks,
    sitemaps,
    sourcetext,
    templating,
    urls,
    views,
    writers,
)
from .feeds import FEED_ENTRIES, feed_updated
from .model import Archive, ClaimSpan, Footnote, Source, Speaker, Statement
from .reach import kept_digests
from .records import claim_kinds, collector_paused, load_archive

log = logging.getLogger(__name__)


def neighbours(statements: list[Statement]) -> dict[str, tuple[Statement | None, Statement | None]]:
    """Previous and next statement for each in a chronological list, in one pass."""
    result = {}
    for index, statement in enumerate(statements):
        before = statements[index - 1] if index > 0 else None
        after = statements[index + 1] if index + 1 < len(statements) else None
        result[statement.id] = (before, after)
    return result


@dataclass(frozen=True, slots=True)
class Marked:
    """A stretch of a source paragraph and the statements quoting it (none: the source's own
    words). Templates link a quoted stretch to `statement`, the narrowest quote holding it
    (a nested one inside its quoting statement's); the text is escaped like any other."""

    text: str
    statement: Statement | None = None
    statements: tuple[Statement, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceParagraph:
    number: int  # from 1: its anchor is `#s<number>`
    segments: tuple[Marked, ...]

    @property
    def quoted(self) -> bool:
        return any(segment.statement for segment in self.segments)


def source_paragraphs(text: str, passages: Sequence[sourcetext.Passage], statements: dict):
    """The source's text as numbered paragraphs, each cut where quoted words begin and end."""
    found = []
    for number, (start, end) in enumerate(sourcetext.paragraphs(text), start=1):
        spans = [
            (max(a, start), min(b, end), passage)
            for passage in passages
            for a, b in passage.spans
            if a < end and start < b
        ]
        cuts = sorted({start, end, *(a for a, _, _ in spans), *(b for _, b, _ in spans)})
        segments = []
        for a, b in zip(cuts, cuts[1:], strict=False):
            covering = sorted(
                {p for x, y, p in spans if x <= a and b <= y},
                key=lambda p: (p.end - p.start, p.statement_id),
            )
            quoting = tuple(statements[p.statement_id] for p in covering)
            segments.append(Marked(text[a:b], quoting[0] if quoting else None, quoting))
        found.append(SourceParagraph(number, tuple(segments)))
    return found


def other_speakers(spans: Sequence[ClaimSpan], speakers: dict[str, Speaker], but: str) -> list:
    """The speakers of `spans` other than `but`, each once, in the spans' order."""
    ids = dict.fromkeys(s.statement.speaker_id for s in spans if s.statement.speaker_id != but)
    return [speakers[speaker_id] for speaker_id in ids]


@dataclass(frozen=True, slots=True)
class Named:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Directory:
    """Names by id: all that list pages and feeds look up beyond their own view.

    A page that shows other records' names depends on this, not on the whole archive, so a
    speaker's new biography does not re-render every list, while a new name does.
    """

    speakers: dict[str, Named]
    outlets: dict[str, Named]
    themes: dict[str, Named]

    @classmethod
    def of(cls, archive: Archive) -> Directory:
        def names(records: dict) -> dict[str, Named]:
            return {key: Named(key, record.name) for key, record in records.items()}

        return cls(names(archive.speakers), names(archive.outlets), names(archive.themes))


# Settings that differ between builds without changing a page.
VOLATILE_SETTINGS = (
    "OUTPUT_PATH",
    "ONRECORD_CACHE_DIR",
    "ONRECORD_PROCS",
    "ONRECORD_PAGEFIND",
)


class ArchiveGenerator(Generator):
    """Lists the site's pages as jobs (pages.py): each a key, a writer (WRITERS) and a view made
    from the archive (views.py); runs the ones whose views changed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        link_index = self.settings.get("ONRECORD_LINK_INDEX_HTML", self.settings["RELATIVE_URLS"])
        templating.install(self.env, link_index=link_index)
        cache_dir = self.settings.get("ONRECORD_CACHE_DIR")
        if cache_dir:
            # The templates compiled once, not by every build and every worker: at 100,000
            # statements, compiling the statement page's templates was a quarter of the
            # devserver's time from an edit to its page (0.24 of 0.85 s in the build).
            folder = Path(cache_dir, "templates")
            folder.mkdir(parents=True, exist_ok=True)
            self.env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))

    def generate_context(self) -> None:
        # `onrecord build` has loaded and checked the archive (handoff.py); a bare
        # `pelican` run loads it here.
        root = self.settings["ONRECORD_ROOT"]
        archive = handoff.archive(root)
        self.archive: Archive = archive if archive is not None else load_archive(root)

    # -- output ----------------------------------------------------------------------------

    def generate_output(self, writer) -> None:
        archive = self.archive
        self.site_url = self.settings["SITEURL"].rstrip("/")
        self.per_page = int(self.settings.get("ONRECORD_PER_PAGE", 50))
        # Pages of one-line entries: the timeline, a source's footnotes.
        self.entries_per_page = int(self.settings.get("ONRECORD_ENTRIES_PER_PAGE", 500))
        self.directory = Directory.of(archive)
        self.statement_pages: dict[str, str] = {}  # job key → statement id
        self.footnote_pages: dict[str, dict[int, int]] = {}  # source id → footnote → page
        self.sitemap: list[tuple[str, date | None]] = []
        plan = handoff.plan(self.settings["ONRECORD_ROOT"]) or pages.Plan(pages.Manifest())
        self.first_pages(plan)
        pages.read_jobs(plan)
        # Each job is fingerprinted as it is listed (pages.Listing).
        self.listing = pages.Listing(plan, fingerprints.Fingerprints(self.site_digest()))
        kept = kept_digests(self.listing.reach, self.archive.statements)
        self.listing.fingerprints.seed(kept)  # an edit beyond the words: see reach.py
        # The views kept, like the archive (build.py), live to the end of the build and hold
        # no cycles: the collector is paused while they are made (its passes over the
        # growing heap took 1 to 2 s of a 100,000-statement edit build), then they are moved
        # out of its sight, so that its passes while rendering skip them (and leave the
        # forked workers' copies of them shared).
        procs = int(self.settings.get("ONRECORD_PROCS") or pages.default_procs())
        renderer = writers.Renderer(self.env, self.context, self.settings)
        ahead = None
        try:
            with collector_paused():
                self._exports()  # the longest jobs: first, so that they start at once
                ahead = self._data_files_ahead(plan, procs, renderer)
                self._home()
                self._statements()
                self._people_and_places()
                self._sources()
                self._claims()
                self._timeline()
                self._feeds()
                self._corrections()
                self._redirects()
                self._misc()
                self._sitemap()
            self.listing.finish()
            gc.freeze()
            todo = pages.stale(self.listing)
            # A statement's list entries are made from a subset of its page's view: the
            # ones whose page is remade are the ones to remake in the lists (exports.update_*).
            changed = frozenset(
                self.statement_pages[j.key] for j in todo if j.key in self.statement_pages
            )
            hint = writers.ExportHint(
                "" if plan.full else plan.previous.output, changed, _spans_folder(plan)
            )  # not fingerprinted: the same bytes either way
            todo = [replace(j, hint=hint) if j.writer == "export" else j for j in todo]
            pages.run(self.listing, todo, Path(self.output_path), procs, renderer, ahead)
        except BaseException:
            if ahead is not None:
                ahead.close()  # before the build removes the folder it writes into
            raise
        log.info("onrecord: %d of %d jobs ran", len(todo), len(self.listing.jobs))

    def _data_files_ahead(
        self, plan: pages.Plan, procs: int, renderer: writers.Renderer
    ) -> pages.Ahead | None:
        """The data files of a build of one reach (reach.py), started as soon as they are
        listed (`pages.Ahead`): the statements whose entries they remake are the reach's
        (those in the edited files, and any whose page the edit may change), which it knows
        before any other job is listed."""
        reach = self.listing.reach
        if reach is None or plan.full or not plan.previous.output or not pages.forkable(procs):
            return None
        hint = writers.ExportHint(plan.previous.output, reach.statements, _spans_folder(plan))
        jobs = [replace(j, hint=hint) for j in self.listing.stale if j.writer == "export"]
        if not jobs:
            return None
        return pages.Ahead(jobs, Path(self.output_path), renderer, self.listing.remakes)

    def first_pages(self, plan: pages.Plan) -> None:
        """The files of `plan.first`'s statements, rendered from their views and moved into
        the previous build's output folder at once (the same bytes the build then makes and
        leaves alone). At 100,000 statements listing, viewing and fingerprinting every job
        takes most of an edit build (about 20 of 38 s); these few views take milliseconds.
        """
        if plan.full or not plan.first or not plan.previous.output:
            return
        archive = self.archive
        statements = [archive.statements[i] for i in sorted(plan.first) if i in archive.statements]
        if not statements:
            return
        renderer = writers.Renderer(self.env, self.context, self.settings)
        output = Path(plan.previous.output)
        folder = Path(tempfile.mkdtemp(prefix=f".{output.name}.first-", dir=output.parent))
        try:
            for statement in statements:
                around = neighbours(archive.by_speaker.get(statement.speaker_id, []))
                view = self._statement_view(statement, around.get(statement.id, (None, None)))
                job = pages.Job(urls.save_as(view.page.path), "statement", view)
                renderer.write(job, folder)
            pages.commit(folder, output, ())
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        plan.put_first = len(statements)
        log.info("onrecord: %d changed statement(s) put in place first", len(statements))

    def site_digest(self) -> bytes:
        code = Path(__file__).parent
        folders = [code, Path(self.settings["THEME"], "templates")]
        return fingerprints.site_digest(self.settings, folders, VOLATILE_SETTINGS)

    def _page(
        self,
        path: str,
        template: str,
        *,
        relative: bool = True,
        reach: str = pages.HELD,
        **variables,
    ) -> None:
        """A job writing the page at `path` from `variables` (the names among them); `reach`:
        how an edit reaches it (pages.Listing.add)."""
        variables.setdefault("canonical", urls.absolute(self.site_url, path))
        variables.setdefault("names", self.directory)  # names by id: lists, feeds
        variables.setdefault("page_path", path)
        relative = relative and self.settings["RELATIVE_URLS"]
        view = views.PageView(path, template, relative, variables)
        self.listing.add(pages.Job(urls.save_as(path), "page", view), reach=reach)

    def _listed_page(self, path: str, template: str, **variables) -> None:
        """A page that sitemap.xml lists (redirects, tombstones, search and 404 are not)."""
        self._page(path, template, **variables)
        self.sitemap.append((path, None))

    def _kept_pages(self, base: str, items: Sequence) -> bool:
        """Whether no page of `_paginated(base, …, items)` is reached by this build's edits
        (pages.Listing.reaches); if none is, they are kept as they are, unmade."""
        paths = [urls.page(base, number) for number, _, _ in paging.pages_of(items, self.per_page)]
        if any(self.listing.reaches(urls.save_as(path)) for path in paths):
            return False
        for path in paths:
            self.listing.keep(urls.save_as(path))
            self.sitemap.append((path, None))
        return True

    def _paginated(self, base: str, template: str, items: Sequence, **variables) -> None:
        for number, count, chunk in paging.pages_of(items, self.per_page):
            self._listed_page(
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
        self._listed_page(
            "",
            "index",
            latest=archive.chronological[-10:][::-1],
            counts={
                "statements": len(archive.chronological),
                "speakers": len(archive.speakers),
                "sources": len(archive.sources),
            },
            speakers=self._rows(archive.speakers, archive.by_speaker),
            themes=self._rows(archive.themes, archive.by_theme),
            outlets=self._rows(archive.outlets, archive.by_outlet),
        )

    def _rows(self, records: dict, lookup: dict, withdrawn: dict | None = None) -> list[tuple]:
        """(record, statements, withdrawn statements) for a list page, by name."""
        withdrawn = withdrawn or {}
        return sorted(
            (
                (r, len(lookup.get(r.id, ())), len(withdrawn.get(r.id, ())))
                for r in records.values()
            ),
            key=lambda row: (row[0].name.casefold(), row[0].id),
        )

    def _statements(self) -> None:
        archive = self.archive
        self._paginated(urls.listing("statement"), "statements", archive.chronological[::-1])
        statements = list(archive.statements.values())
        paths = [urls.record("statement", s.id) for s in statements]
        keys = list(map(urls.save_as, paths))
        listing = self.listing
        listed = list(map(listing.reaches, keys))
        # Each statement's neighbours by its speaker, for those listed anew only: an edit
        # lists a few of 100,000, the rest keep their files without a view (in runs,
        # `Listing.keep_all`).
        around = {}
        for speaker_id in {s.speaker_id for s in compress(statements, listed)}:
            around.update(neighbours(archive.by_speaker.get(speaker_id, [])))
        kept: list[str] = []  # the run of jobs kept since the last one listed, kept in order
        for statement, key, anew in zip(statements, keys, listed, strict=True):
            if not anew:
                kept.append(key)
                continue
            if kept:
                listing.keep_all(kept)
                kept = []
            beside = around.get(statement.id, (None, None))
            view = self._statement_view(statement, beside)
            remake = partial(self._statement_view, statement, beside)
            listing.add(pages.Job(key, "statement", view), remake)
        if kept:
            listing.keep_all(kept)
        self.statement_pages.update(zip(keys, archive.statements, strict=True))
        published = zip(statements, paths, strict=True)
        self.sitemap.extend((path, s.last_changed) for s, path in published if not s.withdrawn)

    def _statement_view(self, statement: Statement, around: tuple) -> views.StatementView:
        return views.statement_view(
            self.archive,
            statement,
            around,
            self.site_url,
            self.settings["RELATIVE_URLS"],
            self._footnote_page(self.archive.sources[statement.source_id], statement.footnote),
        )

    def _people_and_places(self) -> None:
        archive = self.archive
        rows = self._rows(archive.speakers, archive.by_speaker, archive.withdrawn_by_speaker)
        self._listed_page(urls.listing("speaker"), "speakers", rows=rows)
        for speaker in archive.speakers.values():
            statements = archive.by_speaker.get(speaker.id, [])
            path = urls.record("speaker", speaker.id)
            if self._kept_pages(path, statements):
                continue  # its counts and roles are not made again either
            self._paginated(
                path,
                "speaker",
                statements,
                speaker=speaker,
                withdrawn=archive.withdrawn_by_speaker.get(speaker.id, []),
                printed_roles=as_printed(statements, "role", archive.sources),
                printed_names=as_printed(statements, "speaker_as", archive.sources),
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
            self._listed_page(urls.listing(kind), f"{kind}s", rows=self._rows(records, lookup))
            for record in records.values():
                statements = lookup.get(record.id, [])
                if self._kept_pages(urls.record(kind, record.id), statements):
                    continue
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
        rows = [
            (
                s,
                len(archive.by_source.get(s.id, ())),
                len(archive.withdrawn_by_source.get(s.id, ())),
            )
            for s in archive.sources.values()
        ]
        self._listed_page(
            urls.listing("source"), "sources", rows=sorted(rows, key=lambda r: r[0].title)
        )
        for source in archive.sources.values():
            footnotes = self._footnotes(source)
            unnumbered = in_source_order(
                [s for s in archive.by_source.get(source.id, []) if s.footnote is None]
            )
            base = urls.record("source", source.id)
            listed = paging.source_pages(footnotes, unnumbered, self.entries_per_page)
            for number, count, page in listed:
                self._listed_page(
                    urls.page(base, number),
                    "source",
                    source=source,
                    footnotes=page.footnotes,
                    unnumbered=page.unnumbered,
                    withdrawn=archive.withdrawn_by_source.get(source.id, [])
                    if number == count
                    else [],
                    page_number=number,
                    page_count=count,
                    page_base=base,
                    has_text=source.id in archive.texts,
                )
            if source.id in archive.texts:
                self._source_text(source)

    def _source_text(self, source: Source) -> None:
        """`/sources/<id>/text/`: the source's text, every quoted passage marked and linked."""
        archive = self.archive
        passages = [
            archive.passages[s.id]
            for s in archive.by_source.get(source.id, ())
            if s.id in archive.passages
        ]
        passages.sort(key=lambda p: (p.start, p.statement_id))
        quoted = [(archive.statements[p.statement_id], p.anchor) for p in passages]
        self._listed_page(
            urls.source_text(source.id),
            "source_text",
            # Which statements it marks follows from their words (an edit may place one).
            reach=pages.ANY_EDIT,
            source=source,
            paragraphs=source_paragraphs(archive.texts[source.id], passages, archive.statements),
            quoted=quoted,
        )

    def _footnote_page(self, source: Source, number: int | None) -> int:
        """The page of `source`'s pages that holds footnote `number`'s text (`_sources`)."""
        pages = self.footnote_pages.get(source.id)
        if pages is None:  # once a source, not once a statement
            pages = paging.footnote_pages(self._footnotes(source), self.entries_per_page)
            self.footnote_pages[source.id] = pages
        return pages.get(number, 1)

    def _footnotes(self, source: Source) -> list[tuple[Footnote, list[Statement]]]:
        """Each of `source`'s footnotes and the statements citing it, in the source's order."""
        by_footnote = self.archive.by_footnote
        return [
            (f, in_source_order(by_footnote.get((source.id, f.number), [])))
            for f in source.footnotes
        ]

    def _claims(self) -> None:
        archive = self.archive
        claims = sorted(archive.claims.values(), key=lambda c: (c.summary.casefold(), c.id))
        counts = {c.id: len(archive.claim_spans.get(c.id, ())) for c in claims}
        by_kind = [(kind, [c for c in claims if c.kind == kind]) for kind in claim_kinds()]
        self._listed_page(
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
            self._listed_page(
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
        """Newest year first, each year's months in order, then the undated statements.

        A long timeline runs over several pages (`ONRECORD_ENTRIES_PER_PAGE` entries each),
        with every year linked from every page: one page holding 100,000 entries would be
        megabytes to load, and remade whenever any statement changed.
        """
        by_year: dict[int, list[Statement]] = {}
        undated = []
        for statement in self.archive.chronological:
            if statement.date:
                by_year.setdefault(statement.date.year, []).append(statement)
            else:
                undated.append(statement)
        entries = [s for year in sorted(by_year, reverse=True) for s in by_year[year]]
        entries += undated
        per_page = self.entries_per_page
        year_pages: dict[int | None, int] = {}
        for position, statement in enumerate(entries):
            year = statement.date.year if statement.date else None
            year_pages.setdefault(year, position // per_page + 1)
        base = urls.listing("timeline")
        for number, count, chunk in paging.pages_of(entries, per_page):
            years: dict[int, dict[int, list[Statement]]] = {}
            for statement in chunk:
                if statement.date:
                    # 13: "month not stated", after December, as the month sorts (PartialDate).
                    year, month = statement.date.year, statement.date.month or 13
                    years.setdefault(year, {}).setdefault(month, []).append(statement)
            self._listed_page(
                urls.page(base, number),
                "timeline",
                years=list(years.items()),
                undated=[s for s in chunk if not s.date],
                year_pages=list(year_pages.items()),
                page_number=number,
                page_count=count,
                page_base=base,
            )

    def _feeds(self) -> None:
        archive = self.archive
        listed = [(ALL, urls.feed(), self.settings["SITENAME"], "")]
        sizes = {ALL: len(archive.chronological)}
        for kind, records, lookup in (
            ("speaker", archive.speakers, archive.by_speaker),
            ("theme", archive.themes, archive.by_theme),
        ):
            for r in records.values():
                page = urls.record(kind, r.id)
                listed.append(((kind, r.id), urls.feed(kind, r.id), r.name, page))
                sizes[(kind, r.id)] = len(lookup.get(r.id, ()))
        # An archive with no statement still has a last change: its newest record's.
        newest = max(filter(None, map(feed_updated, archive.statements.values())), default=None)
        # What changed last comes first, dated or not: a feed says what is new.
        latest_of = feeds.newest(archive.chronological, _feeds_of, sizes)
        moved = self._feeds_moved()
        for feed, path, title, page in listed:
            latest = latest_of[feed]
            dated = latest and all(map(feed_updated, latest))  # else it takes `newest`
            key = urls.save_as(path)
            if moved is not None and feed not in moved and dated and not self.listing.reaches(key):
                self.listing.keep(key)
                continue
            self._page(
                path,
                "feed.xml",
                relative=False,  # feed readers need absolute links
                reach=pages.ANY_EDIT,  # dated by the newest change of any statement
                SITEURL=self.site_url,
                feed_path=path,
                title=title,
                page_path=page,
                entries=[(s, feed_updated(s) or newest) for s in latest],
                # An undated newest entry without a known change (a bare `pelican` run knows
                # no record's last change) takes the archive's newest.
                updated=(feed_updated(latest[0]) if latest else None) or newest or date.today(),
            )

    def _feeds_moved(self) -> set | None:
        """The feeds an edit may move, in a build of one reach; None: any may move.

        When the edit was of the words alone (reach.py), it moved only the changed files'
        statements, which kept their speakers and themes: a feed none of them is in keeps
        its entries, their dates and its own date. Only a feed with an undated entry, or
        none, takes the archive's newest change (which the edit moves). At 100,000
        statements (241 feeds) the feeds' listing took 0.55-0.83 s of an edit with every
        feed fingerprinted, 0.13-0.24 s with those kept (three edit builds each,
        alternated). After an edit beyond the words, every feed is listed anew.
        """
        reach = self.listing.reach
        if reach is None or not reach.words_only:
            return None
        statements = self.archive.statements
        return {
            feed
            for statement_id in reach.statements
            if statement_id in statements
            for feed in _feeds_of(statements[statement_id])
        }

    def _corrections(self) -> None:
        """/corrections/ and its feed: every change to quoted words, newest first.

        Made from the statements' histories (history.py); an archive read without git
        history says so on the page, and its feed has no entries.
        """
        statements = self.archive.statements.values()
        available = not statements or any(s.history is not None for s in statements)
        entries = history.corrections(statements)
        path = urls.listing("corrections")
        for number, count, chunk in paging.pages_of(entries, self.entries_per_page):
            self._listed_page(
                urls.page(path, number),
                "corrections",
                reach=pages.ANY_EDIT,  # the statements' histories
                entries=chunk,
                available=available,
                total=len(entries),
                page_number=number,
                page_count=count,
                page_base=path,
            )
        newest = entries[0][0].date if entries else None
        feed = urls.feed("corrections")
        self._page(
            feed,
            "corrections.xml",
            relative=False,  # feed readers need absolute links
            reach=pages.ANY_EDIT,  # the statements' histories, and the newest change
            SITEURL=self.site_url,
            feed_path=feed,
            title="Corrections",
            page_path=path,
            entries=entries[:FEED_ENTRIES],
            updated=newest or self._newest_change(),
        )

    def _newest_change(self) -> date:
        found = filter(None, map(feed_updated, self.archive.statements.values()))
        return max(found, default=None) or date.today()

    def _redirects(self) -> None:
        """A page at each former URL, and `_redirects` for hosts that read it (Netlify et al.)."""
        moved = permalinks.redirects(self.archive)
        for old, new in sorted(moved.items()):
            self._page(
                old.lstrip("/"),
                "redirect",
                target=new.lstrip("/"),
                canonical=urls.absolute(self.site_url, new.lstrip("/")),
            )
        lines = "".join(f"{old} {new} 301\n" for old, new in sorted(moved.items()))
        self._text("_redirects", lines)

    def _text(self, save_as: str, text: str, reach: str = pages.HELD) -> None:
        """A job writing a plain file (its text is its view)."""
        self.listing.add(pages.Job(save_as, "text", views.TextView(save_as, text)), reach=reach)

    def _misc(self) -> None:
        self._page(urls.listing("search"), "search", results=None, query="")
        # Served in place of any missing path, at any depth: links from the site root.
        self._page("404.html", "404", relative=False, canonical="", SITEURL="")
        sitemap = urls.absolute(self.site_url, sitemaps.NAME)
        self._text("robots.txt", f"User-agent: *\nAllow: /\nSitemap: {sitemap}\n")

    def _exports(self) -> None:
        """The whole-archive data files, which any change to a record makes again.

        One job a file, so that two workers share the longest jobs of an incremental build.
        """
        for name in (*writers.EXPORTS, writers.CLAIM_EXPORTS):
            view = views.ExportView(name, self.site_url, self.archive)
            self.listing.add(pages.Job(name, "export", view), reach=pages.WHOLE)

    def _sitemap(self) -> None:
        """The sitemap (sitemaps.py): every listed page (not redirects, tombstones, search or
        404)."""
        content_pages = [
            (page.url, None) for page in self.context.get("pages", ()) if getattr(page, "url", "")
        ]
        entries = [
            (urls.absolute(self.site_url, path), lastmod)
            for path, lastmod in [*self.sitemap, *content_pages]
        ]
        most = int(self.settings.get("ONRECORD_SITEMAP_URLS", sitemaps.MOST_URLS))
        # Its dates are the statements' last changes, which it holds as dates alone.
        for name, text in sitemaps.sitemap_files(entries, self.site_url, most):
            self._text(name, text, reach=pages.ANY_EDIT)


def in_source_order(statements: list[Statement]) -> list[Statement]:
    """The source's order where it is given (`position`), date order for the rest, after."""
    return sorted(statements, key=lambda s: (s.position is None, s.position or 0))


def as_printed(statements: Sequence[Statement], field: str, sources: dict) -> list[tuple]:
    """Each value of `field` the statements give (a role, a spelling), with the sources
    that print it, in the order first met: what each source says, not one merged list."""
    found: dict[str, dict[str, Source]] = {}
    for statement in statements:
        value = getattr(statement, field)
        if value:
            found.setdefault(value, {})[statement.source_id] = sources[statement.source_id]
    return [(value, list(by_source.values())) for value, by_source in found.items()]


# The feeds (feeds.newest) a published statement is listed in: the archive's, its speaker's
# and its themes' (the lookups `Archive.by_speaker` and `by_theme`).
ALL = "all"


def _feeds_of(statement: Statement) -> list:
    return [ALL, ("speaker", statement.speaker_id), *(("theme", t) for t in statement.theme_ids)]


def _spans_folder(plan: pages.Plan) -> str:
    """Where the lists' spans are kept: beside the build's manifest, in its cache folder."""
    return str(plan.manifest_file.parent / "spans") if plan.manifest_file else ""


def get_generators(pelican) -> type[Generator]:
    return ArchiveGenerator
