"""Rules across records, which no single file's schema can express.

References resolve (to current ids: a former id only keeps an old URL alive), ids are
unique and match file names, footnotes exist in their source, dates are not in the
future, and a quote points at a paragraph that exists. A claim's every appearance is
found in its statement's text: the exact words, once, in the paragraph it names.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from .model import Appearance, Claim, Source, Statement, occurrences
from .problems import Problem

NEEDS_NOTE = frozenset({"disputed", "misattributed", "withdrawn"})


def _hint(wanted: str, known: dict[str, object] | set[str]) -> str:
    close = difflib.get_close_matches(wanted, list(known), n=1, cutoff=0.5)
    return (
        f"did you mean {close[0]!r}?" if close else "no record has that id: add one or fix the id"
    )


class Located(Protocol):
    """A record's file, as the rules need it (a `yamlfile.Document` is one)."""

    path: str

    def problem(
        self, path: tuple, message: str, hint: str = "", *, at_key: bool = False
    ) -> Problem | None: ...


StatementEntry = tuple[Statement, Located, tuple]  # a statement, its file, its path in that file


@dataclass(frozen=True)
class Context:
    """What the rules of each record look up: every id and former id by kind, the sources
    and their footnotes, and the day. It changes only when an id, a former id or a source
    does (or the day): until then a changed statement is checked against the same one."""

    ids: dict[str, dict[str, Located | None]]  # ids and former ids (None: a failed record)
    former: dict[str, dict[str, str]]  # former id → current id, when not also an id
    sources: dict[str, Source]
    footnotes: dict[str, set[int]]  # by source id, the numbers it lists
    today: date


def check(
    records: dict[str, list[tuple[object, Located]]],
    statements: list[StatementEntry],
    today: date,
    failed: dict[str, set[str]] | None = None,
) -> list[Problem]:
    """Every cross-record problem in `records` (kind → [(model object, its document)]).

    `statements` lists every statement, nested ones included, with where it sits.
    `failed` holds, by kind, the ids of records already reported as broken: references
    to them are not reported a second time.
    """
    return context(records, statements, today, failed)[1]


def context(
    records: dict[str, list[tuple[object, Located]]],
    statements: list[StatementEntry],
    today: date,
    failed: dict[str, set[str]] | None = None,
) -> tuple[Context, list[Problem]]:
    """`check`'s problems, and the context it checked every record against."""
    problems: list[Problem] = []
    ids: dict[str, dict[str, Located | None]] = {}
    former: dict[str, dict[str, str]] = {}
    for kind, entries in records.items():
        everything: list[StatementEntry] = (
            statements
            if kind == "statement"
            else [(record, document, ()) for record, document in entries]
        )
        known, repeated = _names(kind, everything)
        problems.extend(repeated)
        current = {record.id for record, _, _ in everything}
        former[kind] = {
            alias: record.id
            for record, _, _ in everything
            for alias in record.aliases
            if alias not in current
        }
        problems.extend(file_name_problems(kind, everything))
        ids[kind] = {**dict.fromkeys((failed or {}).get(kind, ())), **known}

    sources: dict[str, Source] = {s.id: s for s, _ in records["source"]}
    footnotes = {key: {f.number for f in source.footnotes} for key, source in sources.items()}
    found = Context(ids, former, sources, footnotes, today)
    problems.extend(statement_problems(found, statements))
    by_id = {statement.id: statement for statement, _, _ in statements}
    problems.extend(claim_problems(found, records.get("claim", ()), by_id))
    for source, document in records["source"]:
        problems.extend(_source_rules(source, document, today))
    return found, problems


def file_name_problems(kind: str, entries: list[StatementEntry]) -> Iterator[Problem]:
    """Each file whose name does not match its record's id (or, for a statement, whose
    folder is not its year)."""
    for record, document, base in entries:
        if not base:
            yield from _file_name(kind, record, document)


def statement_problems(found: Context, statements: list[StatementEntry]) -> Iterator[Problem]:
    """The rules of each statement in `statements`, a nested one's parent among them."""
    # A nested record sits at `quotes[i].nested` of its parent: found by that path in its file.
    by_place = {(d.path, base): statement for statement, d, base in statements if statement.quotes}
    for statement, document, base in statements:
        parent = by_place[(document.path, base[:-3])] if statement.quoted_in is not None else None
        yield from _statement_rules(statement, document, base, found, parent)


def claim_problems(
    found: Context, claims: Iterable[tuple[Claim, Located]], statements: Mapping[str, Statement]
) -> Iterator[Problem]:
    """The rules of each claim, against `statements` (by id: those its appearances name)."""
    for claim, document in claims:
        yield from _claim_rules(claim, document, statements, found.ids, found.former, found.today)


def _names(kind: str, everything: list[StatementEntry]) -> tuple[dict[str, Located], list[Problem]]:
    """Where each id and former id is first given, and a problem for each one given again."""
    known: dict[str, Located] = {}
    repeated: list[Problem] = []
    # Ids first, former ids after: a former id that repeats a current one is the mistake.
    names = [(record.id, document, base, ("id",)) for record, document, base in everything]
    names += [
        (alias, document, base, ("aliases", index))
        for record, document, base in everything
        for index, alias in enumerate(record.aliases)
    ]
    for name, document, base, field in names:
        if name in known:
            repeated.append(_duplicate(kind, name, document, (*base, *field), known[name]))
        else:
            known[name] = document
    return known, repeated


def _source_rules(source: Source, document: Located, today: date) -> Iterator[Problem]:
    if source.published and source.published.first_day > today:
        yield document.problem(("published",), "`published` is in the future", "")
    listed: set[int] = set()
    for index, footnote in enumerate(source.footnotes):
        if footnote.number in listed:
            yield document.problem(
                ("footnotes", index, "number"), f"footnote {footnote.number} is listed twice", ""
            )
        listed.add(footnote.number)


def _duplicate(kind: str, name: str, document: Located, at: tuple, first: Located) -> Problem:
    return document.problem(
        at,
        f"duplicate {kind} id {name!r}",
        f"also used in {first.path}: ids (and former ids) must be unique",
    )


def _file_name(kind: str, record, document: Located) -> Iterator[Problem]:
    stem, _ = os.path.splitext(os.path.basename(document.path))
    if stem != record.id:
        yield document.problem(
            ("id",),
            f"file name {stem!r} does not match id {record.id!r}",
            f"rename the file to {record.id}.yaml (ids never change: "
            "to rename a record, give it a new id and list the old one in `aliases`)",
        )
    if kind == "statement":
        folder = os.path.basename(os.path.dirname(document.path))
        expected = str(record.date.year) if record.date else "undated"
        if folder != expected:
            yield document.problem(
                ("date",) if record.date else ("id",),
                f"statement is in folder {folder!r} but belongs in {expected!r}"
                + ("" if record.date else " (its `date` is empty)"),
                f"move it to content/statements/{expected}/",
            )


def _statement_rules(
    statement: Statement,
    document: Located,
    base: tuple,
    found: Context,
    parent: Statement | None,  # for a nested record, the statement it sits in
) -> Iterator[Problem]:
    ids, former, today = found.ids, found.former, found.today

    def at(*path: object) -> tuple:
        return (*base, *path)

    for kind, wanted, field in _references(statement):
        # A former id only keeps an old URL alive: the pages look records up by current id.
        if wanted in former[kind]:
            current = former[kind][wanted]
            yield document.problem(
                at(*field), f"{kind} {wanted!r} is a former id of {current!r}", f"use {current!r}"
            )
        elif wanted not in ids[kind]:
            current_ids = ids[kind].keys() - former[kind].keys()
            yield document.problem(
                at(*field), f"unknown {kind} {wanted!r}", _hint(wanted, current_ids)
            )

    source = found.sources.get(statement.source_id)
    listed = found.footnotes.get(statement.source_id, set())
    if source and statement.footnote is not None and statement.footnote not in listed:
        yield document.problem(
            at("footnote"),
            f"footnote {statement.footnote} is not listed in source {source.id!r}",
            f"add it to {source.path} or fix the number",
        )
    for name, value in (
        ("date", statement.date and statement.date.first_day),
        ("withdrawn_on", statement.withdrawn_on),
    ):
        if value and value > today:
            yield document.problem(
                at(name), f"`{name}` {value.isoformat()} is in the future", "check the year"
            )
    if statement.attribution in NEEDS_NOTE and not statement.attribution_note:
        yield document.problem(
            at("attribution"),
            f"attribution {statement.attribution!r} needs an `attribution_note`",
            "say briefly why",
        )
    if statement.withdrawn_on and not statement.withdrawn:
        yield document.problem(
            at("withdrawn_on"),
            f"`withdrawn_on` is given but the attribution is {statement.attribution!r}",
            "set `attribution: withdrawn` or empty `withdrawn_on`",
        )
    if statement.withdrawn and not statement.withdrawn_on:
        yield document.problem(
            at("attribution"),
            "a withdrawn statement needs `withdrawn_on`",
            "the date it was withdrawn, YYYY-MM-DD",
        )
    for index, quote in enumerate(statement.quotes):
        if quote.paragraph > len(statement.paragraphs):
            yield document.problem(
                at("quotes", index, "paragraph"),
                f"paragraph {quote.paragraph} does not exist "
                f"(the text has {len(statement.paragraphs)})",
                "",
            )
        if quote.statement_id == statement.id:
            yield document.problem(at("quotes", index), "a statement cannot quote itself", "")
    if parent is not None:
        yield from _nested_is_verbatim(statement, document, base, parent)


def _references(statement: Statement) -> list[tuple[str, str, tuple]]:
    """Each id the statement refers to: the kind of record, the id, the field giving it."""
    found = [("speaker", statement.speaker_id, ("speaker",))]
    found.append(("source", statement.source_id, ("source",)))
    if statement.outlet_id:
        found.append(("outlet", statement.outlet_id, ("outlet",)))
    found += [("theme", theme, ("themes", i)) for i, theme in enumerate(statement.theme_ids)]
    found += [
        ("statement", quote.statement_id, ("quotes", i, "statement"))
        for i, quote in enumerate(statement.quotes)
        if not quote.nested
    ]
    return found


def _nested_is_verbatim(
    statement: Statement, document: Located, base: tuple, parent: Statement
) -> Iterator[Problem]:
    """A nested record's words must appear in the paragraph of its parent that quotes it."""
    number = parent.quotes[base[-2]].paragraph
    if number > len(parent.paragraphs):
        return
    holder = parent.paragraphs[number - 1]
    for index, paragraph in enumerate(statement.paragraphs):
        if paragraph not in holder:
            yield document.problem(
                (*base, "text", index),
                f"nested text is not found verbatim in paragraph {number} "
                "of the statement that quotes it",
                "copy the words exactly",
            )


# -- claims ------------------------------------------------------------------------------------


def _claim_rules(
    claim: Claim,
    document: Located,
    statements: Mapping[str, Statement],
    ids: dict[str, dict],
    former: dict[str, dict[str, str]],
    today: date,
) -> Iterator[Problem]:
    if not claim.appearances:
        yield document.problem(
            ("appearances",),
            "a claim needs at least one appearance",
            "add the `statement`, `paragraph` and `exact` words where it is made",
        )
    placed: dict[tuple[str, int, int], int] = {}  # (statement, paragraph, offset) → appearance
    for index, appearance in enumerate(claim.appearances):
        at = ("appearances", index)
        wanted = appearance.statement_id
        statement = statements.get(wanted)
        if wanted in former["statement"]:
            current = former["statement"][wanted]
            yield document.problem(
                (*at, "statement"),
                f"statement {wanted!r} is a former id of {current!r}",
                f"use {current!r}",
            )
            continue
        if statement is None:
            if wanted not in ids["statement"]:  # else: a broken record, reported already
                known = ids["statement"].keys() - former["statement"].keys()
                yield document.problem(
                    (*at, "statement"), f"unknown statement {wanted!r}", _hint(wanted, known)
                )
            continue
        if statement.withdrawn:
            yield document.problem(
                (*at, "statement"),
                f"statement {wanted!r} is withdrawn",
                "claims appear only in published statements: remove this appearance",
            )
            continue
        count = len(statement.paragraphs)
        if appearance.paragraph > count:
            yield document.problem(
                (*at, "paragraph"),
                f"paragraph {appearance.paragraph} does not exist in {wanted!r} "
                f"(its text has {count})",
                "",
            )
            continue
        places = appearance.places(statement.paragraphs[appearance.paragraph - 1])
        if len(places) != 1:
            yield _span_problem(appearance, statement, places, document, at)
            continue
        key = (wanted, appearance.paragraph, places[0])
        if key in placed:
            yield document.problem(
                at, f"appearance {index + 1} repeats appearance {placed[key] + 1}", "remove one"
            )
        placed.setdefault(key, index)
    for index, review in enumerate(claim.reviews):
        if review.date > today:
            yield document.problem(
                ("reviews", index, "date"),
                f"`date` {review.date.isoformat()} is in the future",
                "check the year",
            )


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


def _span_problem(
    appearance: Appearance,
    statement: Statement,
    places: list[int],
    document: Located,
    at: tuple,
) -> Problem:
    """Why an appearance's words are not found exactly once in its paragraph."""
    number = appearance.paragraph
    text = statement.paragraphs[number - 1]
    exact, prefix, suffix = appearance.exact, appearance.prefix, appearance.suffix
    if len(places) > 1:
        if prefix is None and suffix is None:
            return document.problem(
                (*at, "exact"),
                f"`exact` occurs {len(places)} times in paragraph {number}: "
                "add `prefix` or `suffix`",
                "the text right before or after the words you mean, to single them out",
            )
        return document.problem(
            (*at, "exact"),
            f"`exact` occurs {len(places)} times in paragraph {number} "
            "even with its `prefix` and `suffix`",
            "lengthen `prefix` or `suffix`",
        )
    if not occurrences(text, exact):
        others = [
            n
            for n, paragraph in enumerate(statement.paragraphs, start=1)
            if n != number and exact in paragraph
        ]
        if others:
            hint = f"the words are in paragraph {others[0]}"
        elif _normalised(exact) in _normalised(text):
            hint = "the paragraph has these words with other capitals or spacing: copy them exactly"
        else:
            hint = "copy the words exactly from the statement's text"
        return document.problem(
            (*at, "exact"), f"`exact` not found in paragraph {number} of {statement.id!r}", hint
        )
    if prefix is not None and not occurrences(text, exact, prefix=prefix):
        return document.problem(
            (*at, "prefix"),
            f"`prefix` is not the text right before `exact` in paragraph {number}",
            "copy the words just before, exactly, spaces included",
        )
    if suffix is not None and not occurrences(text, exact, suffix=suffix):
        return document.problem(
            (*at, "suffix"),
            f"`suffix` is not the text right after `exact` in paragraph {number}",
            "copy the words just after, exactly, spaces included",
        )
    return document.problem(
        (*at, "exact"),
        f"`prefix` and `suffix` fit different places of `exact` in paragraph {number}",
        "give the text around one place",
    )
