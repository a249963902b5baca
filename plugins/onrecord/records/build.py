"""Model records from checked ones: a record that passed its schema, as `model` objects."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from ..model import (
    Appearance,
    Claim,
    Footnote,
    LocalizedText,
    Outlet,
    PartialDate,
    Quote,
    Review,
    Source,
    Speaker,
    Statement,
    Theme,
)
from ..yamlfile import Document


def _ids(values: list[str] | None) -> tuple[str, ...]:
    return tuple(values or ())


def _localized(value: dict | None, key: str = "text") -> LocalizedText | None:
    if not value:
        return None
    text = value[key]
    return LocalizedText(value["language"], tuple(text) if isinstance(text, list) else (text,))


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _partial_date(value: str | None) -> PartialDate | None:
    return PartialDate.parse(value) if value else None


def build_record(kind: str, document: Document) -> object:
    data = document.data
    assert isinstance(data, dict)
    if kind == "statement":
        return _statement(data, document.path, None)
    if kind == "speaker":
        return Speaker(
            id=data["id"],
            name=data["name"],
            kind=data["kind"],
            other_names=_ids(data.get("other_names")),
            name_original=_localized(data.get("name_original")),
            roles=_ids(data.get("roles")),
            honorific=data.get("honorific"),
            description=data.get("description"),
            notes=data.get("notes"),
            aliases=_ids(data.get("aliases")),
            path=document.path,
        )
    if kind == "outlet":
        return Outlet(
            id=data["id"],
            name=data["name"],
            kind=data.get("kind"),
            described_as=_ids(data.get("described_as")),
            notes=data.get("notes"),
            aliases=_ids(data.get("aliases")),
            path=document.path,
            other_names=_ids(data.get("other_names")),
        )
    if kind == "theme":
        return Theme(
            id=data["id"],
            name=data["name"],
            description=data["description"],
            aliases=_ids(data.get("aliases")),
            path=document.path,
            other_names=_ids(data.get("other_names")),
        )
    if kind == "claim":
        return _claim(data, document.path)
    return Source(
        id=data["id"],
        title=data["title"],
        footnotes=tuple(Footnote(f["number"], f.get("text")) for f in data.get("footnotes") or ()),
        publisher=data.get("publisher"),
        url=data.get("url"),
        published=_partial_date(data.get("published")),
        summary=data.get("summary"),
        notes=data.get("notes"),
        aliases=_ids(data.get("aliases")),
        path=document.path,
        archived_url=data.get("archived_url"),
        archived_on=_date(data.get("archived_on")),
    )


def _claim(data: dict, path: str) -> Claim:
    return Claim(
        id=data["id"],
        summary=data["summary"],
        kind=data["kind"],
        appearances=tuple(
            Appearance(
                statement_id=a["statement"],
                paragraph=a["paragraph"],
                exact=a["exact"],
                prefix=a.get("prefix"),
                suffix=a.get("suffix"),
            )
            for a in data["appearances"]
        ),
        reviews=tuple(
            Review(r["by"], date.fromisoformat(r["date"]), r["url"], r["verdict"])
            for r in data.get("reviews") or ()
        ),
        notes=data.get("notes"),
        aliases=_ids(data.get("aliases")),
        path=path,
    )


def _statement(data: dict, path: str, quoted_in: str | None) -> Statement:
    return Statement(
        id=data["id"],
        speaker_id=data["speaker"],
        source_id=data["source"],
        paragraphs=tuple(data["text"]),
        attribution=data["attribution"],
        role=data.get("role"),
        date=_partial_date(data.get("date")),
        venue=data.get("venue"),
        outlet_id=data.get("outlet"),
        footnote=data.get("footnote"),
        headline=data.get("headline"),
        language=data.get("language") or "en",
        original=_localized(data.get("original")),
        theme_ids=_ids(data.get("themes")),
        quotes=tuple(
            Quote(
                q["paragraph"],
                q["statement"] if "statement" in q else q["nested"]["id"],
                nested="nested" in q,
            )
            for q in data.get("quotes") or ()
        ),
        attribution_note=data.get("attribution_note"),
        withdrawn_on=_date(data.get("withdrawn_on")),
        notes=data.get("notes"),
        aliases=_ids(data.get("aliases")),
        path=path,
        quoted_in=quoted_in,
        speaker_as=data.get("speaker_as"),
        section=data.get("section"),
        position=data.get("position"),
        form=data.get("form") or "quotation",
        truncated=bool(data.get("truncated")),
    )


def nested_statements(data: dict, path: str) -> Iterator[tuple[Statement, tuple]]:
    """Nested records inside a statement mapping, depth first, with their path in the file."""
    for index, quote in enumerate(data.get("quotes") or ()):
        if "nested" in quote:
            nested_path = ("quotes", index, "nested")
            yield _statement(quote["nested"], path, data["id"]), nested_path
            for inner, inner_path in nested_statements(quote["nested"], path):
                yield inner, (*nested_path, *inner_path)
