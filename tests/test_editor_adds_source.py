"""An editor adds a second source by the README's steps, and the content checks still pass.

The committed records are copied as they are today (whatever they hold), then a source is
added the way the README tells an editor to: `onrecord new` for a source, a new speaker and
two undated statements without headline or footnote, a YAML edit giving an existing speaker
another spelling, `onrecord permalinks --update`. Every check `make test` runs on the
committed records must pass on the result.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NamedTuple

import pytest
from bs4 import BeautifulSoup
from conftest import REPO
from content_checks import build_site, onrecord, record_problems, site_problems


def new_record(root: Path, kind: str, *flags: str) -> Path:
    result = onrecord(root, "new", kind, *flags)
    assert result.returncode == 0, result.stdout + result.stderr
    return root / result.stdout.strip().splitlines()[-1]


def add_spelling(speaker_file: Path, spelling: str) -> None:
    """What an editor does by hand: one more line under the speaker's `other_names`."""
    text = speaker_file.read_text(encoding="utf-8")
    entry = f'- "{spelling}"'
    if "\nother_names: []\n" in text:
        text = text.replace("\nother_names: []\n", f"\nother_names:\n{entry}\n")
    else:
        text = text.replace("\nother_names:\n", f"\nother_names:\n{entry}\n", 1)
    speaker_file.write_text(text, encoding="utf-8")


class Grown(NamedTuple):
    root: Path
    source: str  # the new source's id
    statements: tuple[str, ...]  # the new statements' ids


@pytest.fixture(scope="module")
def grown(tmp_path_factory) -> Grown:
    """The committed records plus a second source added by the README's steps."""
    root = tmp_path_factory.mktemp("grown")
    for folder in ("content", "speakers"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "permalinks.txt", root / "permalinks.txt")

    # Names no record holds yet, whatever the committed records hold; ids are handed out.
    taken = " ".join(p.read_text(encoding="utf-8") for p in (root / "speakers").glob("*.yaml"))
    name = next(f"Speaker {n} Of The Review" for n in range(1000) if f"Speaker {n} " not in taken)
    existing = sorted((root / "speakers").glob("*.yaml"))[0]
    source = new_record(root, "source", "--title", "Daily Press Review").stem
    speaker = new_record(root, "speaker", "--name", name, "--kind", "person").stem
    add_spelling(existing, f"{name}, another spelling")
    statements = []
    for who, words in ((speaker, "First words."), (existing.stem, "Second words.")):
        path = new_record(root, "statement", "--speaker", who, "--source", source, "--text", words)
        assert path.parent.name == "undated"
        statements.append(path.stem)
    result = onrecord(root, "permalinks", "--update")
    assert result.returncode == 0, result.stderr
    return Grown(root, source, tuple(statements))


def test_records_added_by_the_readme_steps_pass_check_fmt_and_permalinks(grown: Grown):
    assert record_problems(grown.root) == []


@pytest.fixture(scope="module")
def grown_site(grown: Grown, tmp_path_factory) -> Path:
    return build_site(grown.root, tmp_path_factory.mktemp("grown-site"))


def test_the_grown_archive_builds_and_its_site_passes_every_content_check(
    grown: Grown, grown_site: Path
):
    for statement in grown.statements:
        assert (grown_site / "statements" / statement / "index.html").is_file()
    assert (grown_site / "sources" / grown.source / "index.html").is_file()
    assert site_problems(grown.root, grown_site) == []


def test_a_source_without_footnotes_lists_its_statements_and_says_nothing_of_footnotes(
    grown: Grown, grown_site: Path
):
    page = BeautifulSoup(
        (grown_site / "sources" / grown.source / "index.html").read_bytes(), "html.parser"
    )
    headings = [h.get_text() for h in page.find_all(["h2", "h3"])]
    assert "Footnotes" not in headings and "Statements it quotes" in headings
    listed = {a["href"].split("/")[-2] for a in page.select("main li a[href*='statements/']")}
    assert set(grown.statements) <= listed
    for statement in grown.statements:
        text = (grown_site / "statements" / statement / "index.html").read_text("utf-8")
        assert "footnote" not in BeautifulSoup(text, "html.parser").select_one("dl").get_text()
