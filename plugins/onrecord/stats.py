"""`onrecord stats`: what the archive holds, and the editor's to-do list of empty fields.

Counts are over every statement record, nested and withdrawn ones included (an editor's
inventory, not the published site's lists, which leave withdrawn statements out).
An empty field is not always a mistake: a source may not state a date or an outlet.
The to-do list says where to look, not what is wrong.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from . import sourcetext
from .model import Archive, Speaker, Statement
from .problems import RecordError
from .records import Layout, load_archive

UNDATED = "undated"


def _statement_gaps(statement: Statement, archive: Archive) -> list[str]:
    source = archive.sources.get(statement.source_id)
    checks = {
        "outlet": statement.outlet_id,
        "themes": statement.theme_ids,
        # A source that numbers no footnotes owes none.
        "footnote": statement.footnote if source is None or source.footnotes else 0,
        "date": statement.date,
        "role": statement.role,
    }
    return [name for name, value in checks.items() if value in (None, ())]


def _speaker_gaps(speaker: Speaker) -> list[str]:
    return [
        name
        for name, value in (("roles", speaker.roles), ("description", speaker.description))
        if not value
    ]


def incomplete(archive: Archive) -> list[dict]:
    """Records with empty fields worth filling in, statements first, each in id order.

    A withdrawn statement is done with: it is never on the list.
    """
    found = []
    for statement in sorted(archive.statements.values(), key=lambda s: s.id):
        if statement.withdrawn:
            continue
        gaps = _statement_gaps(statement, archive)
        if gaps:
            found.append(
                {
                    "kind": "statement",
                    "id": statement.id,
                    "path": statement.path,
                    "quoted_in": statement.quoted_in,  # a nested record sits in that one's file
                    "empty": gaps,
                }
            )
    for speaker in sorted(archive.speakers.values(), key=lambda s: s.id):
        gaps = _speaker_gaps(speaker)
        if gaps:
            found.append({"kind": "speaker", "id": speaker.id, "path": speaker.path, "empty": gaps})
    return found


def _by_count(counter: Counter) -> dict[str, int]:
    # Most first, then by name: the same archive always gives the same table.
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def unverified(archive: Archive, root: Path) -> dict[str, int]:
    """By source without a text (`content/sources/<id>.txt`): its statements, not verified."""
    counts = Counter(s.source_id for s in archive.statements.values() if not s.withdrawn)
    return _by_count(
        Counter(
            {
                source_id: n
                for source_id, n in counts.items()
                if not sourcetext.text_file(root, source_id).is_file()
            }
        )
    )


def summary(archive: Archive, root: Path | None = None) -> dict:
    """Everything `onrecord stats` reports, as plain JSON-ready values."""
    statements = list(archive.statements.values())
    years = Counter(str(s.year) if s.year else UNDATED for s in statements)
    withdrawn = sum(1 for s in statements if s.withdrawn)
    return {
        "counts": archive.counts(),
        "statements_by_status": {"published": len(statements) - withdrawn, "withdrawn": withdrawn},
        "statements_per_year": dict(sorted(years.items())),
        "statements_per_speaker": _by_count(Counter(s.speaker_id for s in statements)),
        "statements_per_theme": _by_count(Counter(t for s in statements for t in s.theme_ids)),
        "statements_per_outlet": _by_count(Counter(s.outlet_id or "(none)" for s in statements)),
        "statements_per_attribution": _by_count(Counter(s.attribution for s in statements)),
        "claims_per_kind": _by_count(Counter(c.kind for c in archive.claims.values())),
        "incomplete": incomplete(archive),
        # Statements whose words no source text vouches for, by source (check verifies the rest).
        "not_verified_against_a_source_text": unverified(archive, root) if root else {},
    }


def _table(title: str, rows: dict[str, int]) -> list[str]:
    if not rows:
        return [title, "  (none)"]
    width = max(len(name) for name in rows)
    return [title, *(f"  {name:<{width}}  {count:>5}" for name, count in rows.items())]


def _named(record: dict) -> str:
    nested = f" (nested in {record['quoted_in']})" if record.get("quoted_in") else ""
    return f"{record['kind']} {record['id']}{nested}"


def as_text(report: dict) -> str:
    """The report as plain text tables, one section after another."""
    sections = [
        _table("Records", report["counts"]),
        _table("Statements, published and withdrawn", report["statements_by_status"]),
        _table("Statements per year", report["statements_per_year"]),
        _table("Statements per speaker", report["statements_per_speaker"]),
        _table("Statements per theme", report["statements_per_theme"]),
        _table("Statements per outlet", report["statements_per_outlet"]),
        _table("Statements per attribution", report["statements_per_attribution"]),
        _table("Claims per kind", report["claims_per_kind"]),
    ]
    sections.append(
        _table(
            "Statements not verified against a source text (by source: add content/sources/"
            "<id>.txt)",
            report["not_verified_against_a_source_text"],
        )
    )
    todo = report["incomplete"]
    lines = [f"Incomplete records ({len(todo)}): empty fields to fill in where the source says"]
    lines += [f"  {r['path']}: {_named(r)}: no {', '.join(r['empty'])}" for r in todo]
    sections.append(lines if todo else [*lines[:1], "  (none)"])
    return "\n\n".join("\n".join(section) for section in sections)


def run(root: Path, *, as_json: bool = False) -> int:
    """`onrecord stats`: print the report; exit 1 (with the problems) when records fail to load."""
    if not any(Layout(root).files()):
        print(f"onrecord stats: no records under {str(root)!r}", file=sys.stderr)
        return 1
    try:
        archive = load_archive(root)
    except RecordError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print("onrecord stats: fix these first (onrecord check lists them too)", file=sys.stderr)
        return 1
    report = summary(archive, root)
    print(json.dumps(report, ensure_ascii=False, indent=2) if as_json else as_text(report))
    return 0
