"""The archive's records as plain frozen dataclasses, and the lookups pages need.

Knows nothing of YAML, Pelican, Whoosh or HTTP: loading builds it, everything else reads it.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field, is_dataclass, replace
from datetime import date
from typing import ClassVar

from .pickling import by_fields
from .sourcetext import Passage, locate

RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "ku", "ckb", "yi", "dv", "syr"})

ATTRIBUTION_WORDS = {
    "primary": "Checked against the speaker's own outlet",
    "secondary": "Known through a report that quotes it",
    "disputed": "Attribution disputed",
    "misattributed": "Misattributed",
    "withdrawn": "Withdrawn from the archive",
}


def text_direction(language: str) -> str:
    """`rtl` for languages written right to left, else `ltr` (for HTML `dir`)."""
    return "rtl" if language.split("-")[0].lower() in RTL_LANGUAGES else "ltr"


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date as precise as the source gives it: a year, a month of a year, or a day.

    Written as ISO 8601 at reduced precision (`2017`, `2017-11`, `2017-11-23`) and shown
    as written ("2017", "November 2017", "23 November 2017"). In date order a month comes
    after every day of it and a year after every month of it: "November 2017" is known to
    be no earlier than its last day, so it is placed there, after the dated ones.
    """

    FINGERPRINT_INLINE: ClassVar = True  # a small value: fingerprints.Fingerprints.inline

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """From `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; ValueError for anything else or no such day."""
        parts = text.split("-")
        if not 1 <= len(parts) <= 3 or not all(p.isascii() and p.isdigit() for p in parts):
            raise ValueError(f"not a date: {text!r}")
        if len(parts[0]) != 4 or any(len(p) != 2 for p in parts[1:]):
            raise ValueError(f"not a date: {text!r}")
        numbers = [int(p) for p in parts]
        full = numbers + [1] * (3 - len(numbers))
        date(*full)  # ValueError for month 13 or 30 February
        return cls(*numbers)  # type: ignore[arg-type]

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    def isoformat(self) -> str:
        return "-".join(
            [f"{self.year:04d}"] + [f"{n:02d}" for n in (self.month, self.day) if n is not None]
        )

    def parts(self) -> list[int]:
        """CSL's `date-parts` row: as many numbers as the source gives."""
        return [n for n in (self.year, self.month, self.day) if n is not None]

    @property
    def first_day(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def sort_key(self) -> tuple[int, int, int, int]:
        return (self.year, self.month or 13, self.day or 32, 0)

    def __str__(self) -> str:
        return self.isoformat()


MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

UNDATED_KEY = (0, 0, 0, 0)  # before every date (sorted oldest first, undated come first)


def date_key(value: PartialDate | None) -> tuple[int, int, int, int]:
    return value.sort_key if value else UNDATED_KEY


@dataclass(frozen=True, slots=True)
class LocalizedText:
    """Text in a named language, e.g. a name in its own script or an original-language quote."""

    FINGERPRINT_INLINE: ClassVar = True  # a small value: fingerprints.Fingerprints.inline

    language: str
    paragraphs: tuple[str, ...]

    @property
    def direction(self) -> str:
        return text_direction(self.language)


@dataclass(frozen=True, slots=True)
class Speaker:
    id: str
    name: str
    kind: str  # person | organisation | publication
    other_names: tuple[str, ...] = ()
    name_original: LocalizedText | None = None
    roles: tuple[str, ...] = ()
    honorific: str | None = None
    description: str | None = None
    notes: str | None = None
    aliases: tuple[str, ...] = ()
    path: str = ""


@dataclass(frozen=True, slots=True)
class Outlet:
    id: str
    name: str
    kind: str | None = None
    described_as: tuple[str, ...] = ()
    notes: str | None = None
    aliases: tuple[str, ...] = ()
    path: str = ""
    other_names: tuple[str, ...] = ()  # synonyms the editors keep; search uses them


@dataclass(frozen=True, slots=True)
class Theme:
    id: str
    name: str
    description: str
    aliases: tuple[str, ...] = ()
    path: str = ""
    other_names: tuple[str, ...] = ()  # synonyms the editors keep; search uses them


@dataclass(frozen=True, slots=True)
class Footnote:
    FINGERPRINT_INLINE: ClassVar = True  # a small value: fingerprints.Fingerprints.inline

    number: int
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    footnotes: tuple[Footnote, ...] = ()
    publisher: str | None = None
    url: str | None = None
    published: date | None = None
    summary: str | None = None
    notes: str | None = None
    aliases: tuple[str, ...] = ()
    path: str = ""
    archived_url: str | None = None  # a copy of `url` in a web archive
    archived_on: date | None = None  # the day that copy was made


@dataclass(frozen=True, slots=True)
class Quote:
    """A statement quoted inside another, in the given paragraph (1-based) of the quoting one."""

    FINGERPRINT_INLINE: ClassVar = True  # a small value: fingerprints.Fingerprints.inline

    paragraph: int
    statement_id: str
    nested: bool  # True when the quoted statement is known only through the quoting one


@dataclass(frozen=True, slots=True)
class Change:
    """One commit's change to a statement's record, in words (history.py reads them from git).

    `old_fingerprint` and `new_fingerprint` are the quoted words' fingerprints (a
    statement's `content_hash`) before and after, given only when the commit changed them:
    those changes are the archive's corrections. `order` places the commit among the
    archive's commits, oldest first (it orders changes made on one day).
    """

    FINGERPRINT_INLINE: ClassVar = True  # a small value: fingerprints.Fingerprints.inline

    date: date
    words: str  # "text of paragraph 3 corrected; role changed", "added", "withdrawn", …
    old_fingerprint: str | None = None
    new_fingerprint: str | None = None
    order: int = 0

    @property
    def corrects_words(self) -> bool:
        return bool(self.old_fingerprint and self.new_fingerprint)


@dataclass(frozen=True, slots=True)
class Statement:
    # The jobs whose views hold a statement are the ones an edit of its words reaches
    # (fingerprints.Fingerprints.reduce, reach.py).
    FINGERPRINT_HELD: ClassVar = True

    id: str
    speaker_id: str
    source_id: str
    paragraphs: tuple[str, ...]
    attribution: str
    role: str | None = None
    date: PartialDate | None = None
    venue: str | None = None
    outlet_id: str | None = None
    footnote: int | None = None
    headline: str | None = None
    language: str = "en"
    original: LocalizedText | None = None
    theme_ids: tuple[str, ...] = ()
    quotes: tuple[Quote, ...] = ()
    attribution_note: str | None = None
    withdrawn_on: date | None = None
    notes: str | None = None
    aliases: tuple[str, ...] = ()
    path: str = ""
    quoted_in: str | None = None  # the statement a nested record sits inside
    last_changed: date | None = None  # when its file last changed (git, or the file's time)
    speaker_as: str | None = None  # the name as this statement's source prints it
    section: str | None = None  # the heading it stands under in the source
    position: int | None = None  # its place in the source, from 1
    form: str = "quotation"  # or "paraphrase": printed without quotation marks
    truncated: bool = False  # the source cuts it off
    # Each change to its record, oldest first (git); None where this copy has no history.
    history: tuple[Change, ...] | None = None

    @property
    def content_hash(self) -> str:
        """A short fingerprint of the quoted words: a reader can tell if they changed."""
        text = "\n\n".join(self.paragraphs)
        if self.original:
            text += "\n\n" + "\n\n".join(self.original.paragraphs)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def withdrawn(self) -> bool:
        return self.attribution == "withdrawn"

    @property
    def attribution_words(self) -> str:
        return ATTRIBUTION_WORDS[self.attribution]

    @property
    def direction(self) -> str:
        return text_direction(self.language)

    @property
    def year(self) -> int | None:
        return self.date.year if self.date else None


# A statement the source prints without a headline is named by its opening words: enough of
# them to tell two statements of one speaker apart, few enough for a title.
TITLE_WORDS = 10


def opening_words(text: str, words: int) -> str:
    """The first `words` words of `text`, with " …" where it was cut."""
    parts = text.split(maxsplit=words)  # not every word of a long paragraph
    return text if len(parts) <= words else " ".join(parts[:words]) + " …"


def untitled_name(statement: Statement) -> str:
    """`“Opening words …”`: what names a statement the source gives no headline."""
    return f"“{opening_words(statement.paragraphs[0], TITLE_WORDS)}”"


def statement_title(statement: Statement, speaker: Speaker) -> str:
    """The statement's title wherever it is named (page, lists, feeds, search hits).

    The source's headline when it prints one; otherwise the speaker and the opening words,
    which tell apart two undated statements of one speaker in one source, where the
    speaker's name, venue or date alone would not.
    """
    return statement.headline or f"{speaker.name}: {untitled_name(statement)}"


def name_key(name: str) -> str:
    """A name as two spellings of it compare: case, accents and spacing set aside."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def speaker_names(speaker: Speaker) -> list[str]:
    """The speaker's name and every other spelling the records give."""
    return [speaker.name, *speaker.other_names]


def shared_names(archive: Archive) -> list[tuple[str, list[Speaker]]]:
    """Each name or spelling (as `name_key` compares them) that two or more speakers share."""
    holders: dict[str, dict[str, Speaker]] = defaultdict(dict)
    for speaker in archive.speakers.values():
        for name in speaker_names(speaker):
            holders[name_key(name)][speaker.id] = speaker
    return [(key, list(found.values())) for key, found in sorted(holders.items()) if len(found) > 1]


def _chronological(statement: Statement) -> tuple:
    return (date_key(statement.date), statement.id)


def occurrences(
    text: str, exact: str, prefix: str | None = None, suffix: str | None = None
) -> list[int]:
    """Where `exact` starts in `text` (overlapping places too), with `prefix` right before it
    and `suffix` right after it when they are given."""
    found = []
    start = text.find(exact) if exact else -1
    while start != -1:
        end = start + len(exact)
        if (prefix is None or text.endswith(prefix, 0, start)) and (
            suffix is None or text.startswith(suffix, end)
        ):
            found.append(start)
        start = text.find(exact, start + 1)
    return found


@dataclass(frozen=True, slots=True)
class Appearance:
    """A claim made in so many words: `exact` in paragraph `paragraph` (1-based) of a statement.

    `prefix` and `suffix` (the text right before and after) single out one place when the
    words occur more than once in the paragraph.
    """

    statement_id: str
    paragraph: int
    exact: str
    prefix: str | None = None
    suffix: str | None = None

    def places(self, text: str) -> list[int]:
        """Every offset in the paragraph `text` where this appearance's selector matches."""
        return occurrences(text, self.exact, self.prefix, self.suffix)


@dataclass(frozen=True, slots=True)
class Review:
    """A published fact-check of a claim, as its author gives it."""

    by: str
    date: date
    url: str
    verdict: str


@dataclass(frozen=True, slots=True)
class Claim:
    """A checkable assertion and every place a statement makes it.

    `summary` is the editor's neutral wording of what is asserted, not of whether it is true.
    """

    id: str
    summary: str
    kind: str  # one of the schema's kinds (schema/claim.schema.json)
    appearances: tuple[Appearance, ...] = ()
    reviews: tuple[Review, ...] = ()
    notes: str | None = None
    aliases: tuple[str, ...] = ()
    path: str = ""


@dataclass(frozen=True, slots=True)
class ClaimSpan:
    """One appearance of a claim, placed: its statement and the words' offsets in the paragraph."""

    claim: Claim
    appearance: Appearance
    statement: Statement
    start: int

    @property
    def paragraph(self) -> int:
        return self.appearance.paragraph

    @property
    def end(self) -> int:
        return self.start + len(self.appearance.exact)

    @property
    def text(self) -> str:
        """The whole paragraph the words are in."""
        return self.statement.paragraphs[self.appearance.paragraph - 1]

    @property
    def before(self) -> str:
        return self.text[: self.start]

    @property
    def exact(self) -> str:
        return self.appearance.exact

    @property
    def after(self) -> str:
        return self.text[self.end :]


def _by_date(span: ClaimSpan) -> tuple:
    # Undated appearances cannot be placed in time: they come after the dated ones.
    statement = span.statement
    return (
        statement.date is None,
        date_key(statement.date),
        statement.id,
        span.paragraph,
        span.start,
    )


@dataclass(frozen=True)
class Archive:
    """Every record, by id, and the lookups the pages, feeds, exports and index need.

    Build it with `Archive.of(...)`: the lookups are computed once, in linear time
    (plus sorting), so nothing downstream scans the whole list per term.
    """

    # What a job's fingerprint reads of an archive in its view (fingerprints.Fingerprints): the
    # records; every lookup below is made from them (`of`).
    FINGERPRINTED: ClassVar = (
        "speakers",
        "outlets",
        "themes",
        "sources",
        "statements",
        "claims",
        "texts",
    )

    speakers: dict[str, Speaker]
    outlets: dict[str, Outlet]
    themes: dict[str, Theme]
    sources: dict[str, Source]
    statements: dict[str, Statement]  # nested records included
    claims: dict[str, Claim] = field(default_factory=dict)
    # Lookups (derived); lists are in chronological order, oldest first.
    chronological: list[Statement] = field(default_factory=list)  # published (not withdrawn)
    by_speaker: dict[str, list[Statement]] = field(default_factory=dict)
    by_outlet: dict[str, list[Statement]] = field(default_factory=dict)
    by_theme: dict[str, list[Statement]] = field(default_factory=dict)
    by_source: dict[str, list[Statement]] = field(default_factory=dict)
    # Withdrawn statements (their pages are tombstones), by speaker and by source, by id.
    withdrawn_by_speaker: dict[str, list[Statement]] = field(default_factory=dict)
    withdrawn_by_source: dict[str, list[Statement]] = field(default_factory=dict)
    by_footnote: dict[tuple[str, int], list[Statement]] = field(default_factory=dict)
    by_year: dict[int, list[Statement]] = field(default_factory=dict)
    quoted_by: dict[str, list[Statement]] = field(default_factory=dict)
    # Claims: only appearances in published statements are placed.
    claim_spans: dict[str, list[ClaimSpan]] = field(default_factory=dict)  # by claim, dated first
    claims_by_statement: dict[str, list[ClaimSpan]] = field(default_factory=dict)  # text order
    claims_by_speaker: dict[str, list[Claim]] = field(default_factory=dict)  # by first appearance
    # Sources' own texts (`content/sources/<id>.txt`, as written), by source id, and where
    # each statement stands in its source's text, by statement id (sourcetext.locate).
    texts: dict[str, str] = field(default_factory=dict)
    passages: dict[str, Passage] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        speakers: dict[str, Speaker],
        outlets: dict[str, Outlet],
        themes: dict[str, Theme],
        sources: dict[str, Source],
        statements: dict[str, Statement],
        claims: dict[str, Claim] | None = None,
        texts: dict[str, str] | None = None,
    ) -> Archive:
        published = sorted((s for s in statements.values() if not s.withdrawn), key=_chronological)
        by_speaker: dict[str, list[Statement]] = defaultdict(list)
        by_outlet: dict[str, list[Statement]] = defaultdict(list)
        by_theme: dict[str, list[Statement]] = defaultdict(list)
        by_source: dict[str, list[Statement]] = defaultdict(list)
        by_footnote: dict[tuple[str, int], list[Statement]] = defaultdict(list)
        by_year: dict[int, list[Statement]] = defaultdict(list)
        quoted_by: dict[str, list[Statement]] = defaultdict(list)
        for statement in published:
            by_speaker[statement.speaker_id].append(statement)
            if statement.outlet_id:
                by_outlet[statement.outlet_id].append(statement)
            for theme_id in statement.theme_ids:
                by_theme[theme_id].append(statement)
            by_source[statement.source_id].append(statement)
            if statement.footnote is not None:
                by_footnote[(statement.source_id, statement.footnote)].append(statement)
            if statement.date:
                by_year[statement.date.year].append(statement)
            for quote in statement.quotes:
                quoted_by[quote.statement_id].append(statement)
        withdrawn_by_speaker: dict[str, list[Statement]] = defaultdict(list)
        withdrawn_by_source: dict[str, list[Statement]] = defaultdict(list)
        for statement in sorted(statements.values(), key=lambda s: s.id):
            if statement.withdrawn:
                withdrawn_by_speaker[statement.speaker_id].append(statement)
                withdrawn_by_source[statement.source_id].append(statement)
        claims = claims or {}
        claim_spans = {claim_id: _placed(claim, statements) for claim_id, claim in claims.items()}
        return cls(
            speakers=speakers,
            outlets=outlets,
            themes=themes,
            sources=sources,
            statements=statements,
            claims=claims,
            chronological=published,
            by_speaker=dict(by_speaker),
            by_outlet=dict(by_outlet),
            by_theme=dict(by_theme),
            by_source=dict(by_source),
            withdrawn_by_speaker=dict(withdrawn_by_speaker),
            withdrawn_by_source=dict(withdrawn_by_source),
            by_footnote=dict(by_footnote),
            by_year=dict(by_year),
            quoted_by=dict(quoted_by),
            claim_spans=claim_spans,
            **_claim_lookups(claim_spans),
            texts=dict(texts or {}),
            passages=locate(statements.values(), texts or {}),
        )

    def patched(self, changed: dict[str, Statement]) -> Archive | None:
        """This archive with the `changed` statements (by id) in place of its own: what `of`
        would make of its records with them, at the cost of the lookups they are in.

        None when a change would move a statement in or between the lookups (a new speaker,
        theme or date, withdrawn, quoting others): `of` makes those.
        """
        swap: dict[int, Statement] = {}
        for key, new in changed.items():
            old = self.statements.get(key)
            if old is None or _placement(old) != _placement(new):
                return None
            swap[id(old)] = new

        def swapped(found: list[Statement]) -> list[Statement]:
            return [swap.get(id(statement), statement) for statement in found]

        lookups: dict[str, dict] = {}
        for name, keys in (
            ("by_speaker", lambda s: [s.speaker_id]),
            ("by_outlet", lambda s: [s.outlet_id]),
            ("by_theme", lambda s: s.theme_ids),
            ("by_source", lambda s: [s.source_id]),
            ("withdrawn_by_speaker", lambda s: [s.speaker_id]),
            ("withdrawn_by_source", lambda s: [s.source_id]),
            ("by_footnote", lambda s: [(s.source_id, s.footnote)]),
            ("by_year", lambda s: [s.date.year] if s.date else []),
            ("quoted_by", lambda s: [q.statement_id for q in s.quotes]),
        ):
            lookup = lookups[name] = dict(getattr(self, name))
            for statement in changed.values():
                for key in keys(statement):
                    if key in lookup:
                        lookup[key] = swapped(lookup[key])
        statements = {**self.statements, **changed}
        claim_spans = dict(self.claim_spans)
        for claim in self.claims.values():
            if any(a.statement_id in changed for a in claim.appearances):
                claim_spans[claim.id] = _placed(claim, statements)
        passages = {k: v for k, v in self.passages.items() if k not in changed}
        passages.update(locate(changed.values(), self.texts))
        return replace(
            self,
            statements=statements,
            chronological=swapped(self.chronological),
            claim_spans=claim_spans,
            passages=passages,
            **lookups,
            **_claim_lookups(claim_spans),
        )

    def counts(self) -> dict[str, int]:
        return {
            "statements": len(self.statements),
            "speakers": len(self.speakers),
            "outlets": len(self.outlets),
            "themes": len(self.themes),
            "sources": len(self.sources),
            "claims": len(self.claims),
        }


def _placement(statement: Statement) -> tuple:
    """What puts a statement in the archive's lookups, and where in them."""
    return (
        statement.speaker_id,
        statement.source_id,
        statement.outlet_id,
        statement.theme_ids,
        statement.footnote,
        statement.date,
        statement.withdrawn,
        statement.quoted_in,
        tuple(quote.statement_id for quote in statement.quotes),
    )


def _claim_lookups(claim_spans: dict[str, list[ClaimSpan]]) -> dict[str, dict]:
    """`claims_by_statement` and `claims_by_speaker`, from every claim's spans."""
    claims_by_statement: dict[str, list[ClaimSpan]] = defaultdict(list)
    claims_by_speaker: dict[str, dict[str, Claim]] = defaultdict(dict)
    for spans in sorted(
        claim_spans.values(), key=lambda spans: _by_date(spans[0]) if spans else ()
    ):
        for span in spans:
            claims_by_statement[span.statement.id].append(span)
            claims_by_speaker[span.statement.speaker_id].setdefault(span.claim.id, span.claim)
    for spans in claims_by_statement.values():
        spans.sort(key=lambda span: (span.paragraph, span.start, span.claim.id))
    return {
        "claims_by_statement": dict(claims_by_statement),
        "claims_by_speaker": {
            key: list(found.values()) for key, found in claims_by_speaker.items()
        },
    }


def _placed(claim: Claim, statements: dict[str, Statement]) -> list[ClaimSpan]:
    """A claim's appearances in published statements, located, in date order."""
    spans = []
    for appearance in claim.appearances:
        statement = statements.get(appearance.statement_id)
        if statement is None or statement.withdrawn:
            continue
        if not 0 < appearance.paragraph <= len(statement.paragraphs):
            continue
        places = appearance.places(statement.paragraphs[appearance.paragraph - 1])
        if len(places) == 1:  # loading refuses any other count; a derived archive may not
            spans.append(ClaimSpan(claim, appearance, statement, places[0]))
    return sorted(spans, key=_by_date)


# Every record pickles as a call of its class (pickling.py).
for _kind in [v for v in list(globals().values()) if isinstance(v, type)]:
    if _kind.__module__ == __name__ and is_dataclass(_kind) and "__slots__" in vars(_kind):
        by_fields(_kind)
