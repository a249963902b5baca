"""Property: any sequence of record edits, built incrementally, gives the cold build's output.

Hypothesis draws a few edits of every kind an editor makes (text, a venue, a speaker's
name, dates at every precision, themes, roles, the speaker, the outlet, the attribution,
the footnote, a quote of another statement, a withdrawal, a rename with an alias), applies
them one at a time to a copy of the seed fixture, rebuilds after each in the same output
folder, as the devserver does or as `onrecord build` does (the build state and the reach
read from disk, the page manifest, the data files' updates and the devserver's resident
archive all in play), and compares every file with a build of the same records into an
empty folder. Bounded: a dozen examples of at most three edits, under a minute.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from itertools import chain
from pathlib import Path

from conftest import SEED
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_incremental import Archive, files, full_build_of

from onrecord.records import load_archive
from onrecord.resident import ResidentArchive

FIXTURE = load_archive(SEED)
STATEMENTS = sorted((s for s in FIXTURE.statements.values() if not s.quoted_in), key=lambda s: s.id)
QUOTED = {q.statement_id for s in FIXTURE.statements.values() for q in s.quotes}


def withdrawable(statement) -> bool:
    """Quoted by none, quoting none, and each of its claims made elsewhere too."""
    claims = {span.claim.id for span in FIXTURE.claims_by_statement.get(statement.id, ())}
    return (
        statement.id not in QUOTED
        and not statement.quotes
        and all(
            any(span.statement.id != statement.id for span in FIXTURE.claim_spans[claim])
            for claim in claims
        )
    )


WITHDRAWABLE = [s for s in STATEMENTS if withdrawable(s)]
# Statements another may quote: none that a step may withdraw (a quoted one is kept).
QUOTABLE = [s for s in STATEMENTS if s not in WITHDRAWABLE]
SPEAKERS = sorted(FIXTURE.speakers)
THEMES = sorted(FIXTURE.themes)
OUTLETS = sorted(FIXTURE.outlets)
FOOTNOTES = {
    source.id: [footnote.number for footnote in source.footnotes]
    for source in FIXTURE.sources.values()
}


def replace_line(path: Path, field: str, line: str) -> None:
    text = path.read_text(encoding="utf-8")
    changed, count = re.subn(rf"^{field}:.*(\n- .*)*$", line, text, count=1, flags=re.M)
    assert count == 1, (path, field)
    path.write_text(changed, encoding="utf-8")


def statement_file(root: Path, statement) -> Path:
    """Where the statement's record is now: renamed by an earlier step, under its new id."""
    path = root / statement.path
    if path.exists():
        return path
    return next(path.parent.glob(f"{statement.id}-*.yaml"))


def edit_text(root: Path, n: int) -> None:
    statement = STATEMENTS[n % len(STATEMENTS)]
    path = statement_file(root, statement)
    text = path.read_text(encoding="utf-8")
    # Words added after the last paragraph's end keep every claim's words where they were.
    last = text.rindex('"\n', 0, text.index("\noriginal:") if "\noriginal:" in text else None)
    path.write_text(text[:last] + f" Edit {n}." + text[last:], encoding="utf-8")


def edit_speaker_name(root: Path, n: int) -> None:
    speaker = FIXTURE.speakers[SPEAKERS[n % len(SPEAKERS)]]
    replace_line(root / speaker.path, "name", f'name: "{speaker.name} {n}"')


def edit_date(root: Path, n: int) -> None:
    statement = STATEMENTS[n % len(STATEMENTS)]
    # Same year (the folder stays right); a day, a month alone, or the year alone.
    value = [f"2017-11-0{1 + n % 9}", f"2017-0{1 + n % 9}", "2017"][n % 3]
    replace_line(statement_file(root, statement), "date", f'date: "{value}"')


def edit_themes(root: Path, n: int) -> None:
    statement = STATEMENTS[n % len(STATEMENTS)]
    themes = [THEMES[n % len(THEMES)], THEMES[(n * 7 + 3) % len(THEMES)]]
    lines = "themes:\n" + "\n".join(f'- "{t}"' for t in dict.fromkeys(themes))
    replace_line(statement_file(root, statement), "themes", lines)


def edit_role(root: Path, n: int) -> None:
    statement = STATEMENTS[n % len(STATEMENTS)]
    replace_line(statement_file(root, statement), "role", f'role: "Role {n}"')


def edit_venue(root: Path, n: int) -> None:
    statement = STATEMENTS[n % len(STATEMENTS)]
    replace_line(statement_file(root, statement), "venue", f'venue: "venue {n}"')


def edit_speaker(root: Path, n: int) -> None:
    statement = STATEMENTS[n % len(STATEMENTS)]
    speaker = SPEAKERS[(n * 3 + 1) % len(SPEAKERS)]
    replace_line(statement_file(root, statement), "speaker", f'speaker: "{speaker}"')


def edit_outlet(root: Path, n: int) -> None:
    statement = STATEMENTS[n % len(STATEMENTS)]
    choices = [None, *OUTLETS]
    outlet = choices[(n * 5 + 2) % len(choices)]
    value = "null" if outlet is None else f'"{outlet}"'
    replace_line(statement_file(root, statement), "outlet", f"outlet: {value}")


def edit_attribution(root: Path, n: int) -> None:
    """Another attribution that keeps the statement published (a withdrawn one stays so)."""
    path = statement_file(root, STATEMENTS[n % len(STATEMENTS)])
    text = path.read_text(encoding="utf-8")
    if 'attribution: "withdrawn"' in text:
        return
    attribution = ["primary", "secondary", "disputed"][n % 3]
    replace_line(path, "attribution", f'attribution: "{attribution}"')
    note = '"Test."' if attribution == "disputed" else "null"
    replace_line(path, "attribution_note", f"attribution_note: {note}")


def edit_footnote(root: Path, n: int) -> None:
    """Another of its source's footnotes, or none: the statement moves among its pages."""
    statement = STATEMENTS[n % len(STATEMENTS)]
    choices = [None, *FOOTNOTES[statement.source_id]]
    number = choices[(n * 7 + 1) % len(choices)]
    replace_line(statement_file(root, statement), "footnote", f"footnote: {number or 'null'}")


def quote(root: Path, n: int) -> None:
    """A paragraph of another statement quoted (the quoted one's page lists who quotes it)."""
    statement = STATEMENTS[n % len(STATEMENTS)]
    quoted = QUOTABLE[(n * 3 + 1) % len(QUOTABLE)]
    path = statement_file(root, statement)
    quoted_text = statement_file(root, quoted).read_text(encoding="utf-8")
    quoted_now = re.search(r'^id: "(.*)"$', quoted_text, re.M)  # renamed by an earlier step?
    text = path.read_text(encoding="utf-8")
    none_yet = re.compile(r"^quotes: \[\]$", re.M)  # the statement's own, not a nested one's
    # Never a ring: the quoted statement quotes nothing back.
    if quoted.id == statement.id or not none_yet.search(text) or statement.id in quoted_text:
        return
    line = f'quotes:\n- paragraph: 1\n  statement: "{quoted_now.group(1)}"'
    path.write_text(none_yet.sub(line, text, count=1), encoding="utf-8")


def withdraw(root: Path, n: int) -> None:
    statement = WITHDRAWABLE[n % len(WITHDRAWABLE)]
    path = statement_file(root, statement)
    text = path.read_text(encoding="utf-8")
    if 'attribution: "withdrawn"' in text:
        return
    # The fields written below replace any the record already gives (`null`, as `fmt` writes).
    text = re.sub(r"^(attribution_note|withdrawn_on):.*\n", "", text, flags=re.M)
    path.write_text(text, encoding="utf-8")
    replace_line(
        path,
        "attribution",
        'attribution: "withdrawn"\nattribution_note: "Test."\nwithdrawn_on: "2018-01-01"',
    )
    block = re.compile(rf'- statement: "{statement.id}"\n(  .*\n)+')
    for claim in (root / "content" / "claims").glob("*.yaml"):
        claim.write_text(block.sub("", claim.read_text(encoding="utf-8")), encoding="utf-8")


def rename(root: Path, n: int) -> None:
    statement = STATEMENTS[n % len(STATEMENTS)]
    path = root / statement.path
    if not path.exists():
        return  # renamed by an earlier step
    new_id = f"{statement.id}-{n}"
    text = path.read_text(encoding="utf-8")
    text = text.replace(f'id: "{statement.id}"', f'id: "{new_id}"\naliases:\n- "{statement.id}"', 1)
    text = text.replace("aliases: []\n", "", 1)
    path.with_name(f"{new_id}.yaml").write_text(text, encoding="utf-8")
    path.unlink()
    for record in (root / "content").rglob("*.yaml"):  # references follow the new id
        record.write_text(
            record.read_text(encoding="utf-8").replace(f': "{statement.id}"', f': "{new_id}"'),
            encoding="utf-8",
        )


# The kinds of edit a build reaches from the statements it changed (reach.py), where the
# others (a speaker's record, an id, a footnote, a withdrawal) list every job.
REACHED = {"text", "venue", "date", "themes", "role", "speaker", "outlet", "attribution", "quote"}

EDITS: dict[str, Callable[[Path, int], None]] = {
    "text": edit_text,
    "speaker name": edit_speaker_name,
    "date": edit_date,
    "themes": edit_themes,
    "role": edit_role,
    "withdrawal": withdraw,
    "rename": rename,
    "venue": edit_venue,
    "speaker": edit_speaker,
    "outlet": edit_outlet,
    "attribution": edit_attribution,
    "footnote": edit_footnote,
    "quote": quote,
}


def records(root: Path) -> dict[Path, bytes]:
    """The records' files (not the output beside them, nor a retired one being removed)."""
    found = chain((root / "content").rglob("*.yaml"), (root / "speakers").rglob("*.yaml"))
    return {path: path.read_bytes() for path in found}


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,  # the same examples every run: CI never meets a new one
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(EDITS)),
            st.integers(min_value=0, max_value=1000),
            st.booleans(),
        ),
        min_size=1,
        max_size=3,
    )
)
# The kinds the derandomized draws leave out (a quote, a withdrawal, a speaker's name),
# each built both ways.
@example([("quote", 0, False), ("withdrawal", 1, True), ("speaker name", 2, False)])
@example([("quote", 1, True), ("speaker name", 3, True), ("withdrawal", 0, False)])
def test_any_edits_built_incrementally_give_the_cold_build(steps):
    with tempfile.TemporaryDirectory(prefix="onrecord-property-") as scratch:
        base = Path(scratch)
        archive = Archive(base / "archive")
        # As the devserver's builder keeps it: loaded before each build, at the cost of what
        # changed (resident.py), the build's cache folder beside its index.
        resident = ResidentArchive(archive.root, archive.index.parent / "cache")
        archive.build(loaded=resident.load())
        for number, (kind, n, devserver) in enumerate(steps):
            before = records(archive.root)
            EDITS[kind](archive.root, n)
            if devserver:  # changed pages first, from the archive it keeps
                figures = archive.build(first_pages=True, loaded=resident.load())
            else:  # as `onrecord build`: loaded afresh, the last build's state read from disk
                figures = archive.build()
            if kind in REACHED and records(archive.root) != before:
                assert figures["reached"] is not None, (steps[: number + 1], "listed every job")
            cold = full_build_of(archive, base / f"cold-{number}")
            assert files(archive.output) == cold, (steps[: number + 1], kind)
            shutil.rmtree(base / f"cold-{number}")
