"""A statement's History and the /corrections/ log, from a small archive's git history.

The archive (the `good` fixture) is committed into a fresh repository with fixed dates, then
changed by one commit each: (1) the words of a paragraph, (2) an `onrecord fmt` rewrite,
(3) the role, (4) a rename (new id, the old one kept as an alias, the file moved), and
(5) the words of another statement. The built pages list exactly the real changes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import feedparser
import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import REPO, build_records, copy_records

from onrecord import fmt, history
from onrecord.records import load_archive

GOOD = REPO / "tests" / "fixtures" / "good"
EDITORIAL = "content/statements/2017/kayhan-sochi-editorial.yaml"
RENAMED = "content/statements/2017/kayhan-sochi-editorial-2017.yaml"
SPEECH = "content/statements/2017/khamenei-ahl-al-bayt-speech.yaml"
UNAVAILABLE = "History is not available for this copy of the archive"


def git(root: Path, *args: str, day: str = "2024-01-01") -> None:
    stamp = f"{day}T12:00:00+00:00"
    env = dict(
        os.environ,
        GIT_AUTHOR_DATE=stamp,
        GIT_COMMITTER_DATE=stamp,
        GIT_AUTHOR_NAME="Editor",
        GIT_AUTHOR_EMAIL="editor@example.org",
        GIT_COMMITTER_NAME="Editor",
        GIT_COMMITTER_EMAIL="editor@example.org",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
    )
    subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)


def untidy(data: dict) -> str:
    """The record as an editor might type it: PyYAML's layout, not `onrecord fmt`'s."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=60)


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(untidy(data), encoding="utf-8")


def canonical_edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = copy_records(tmp_path_factory.mktemp("repo"), GOOD)
    editorial = root / EDITORIAL
    edit(editorial, lambda data: None)  # an untidy layout from the start
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the archive")

    def words(data: dict) -> None:
        data["text"][1] = data["text"][1].replace("Saudi", "Saudi-led", 1)

    edit(editorial, words)
    git(root, "commit", "-qam", "(1) words of paragraph 2", day="2024-02-01")
    before = editorial.read_bytes()
    assert fmt.run(root, [str(editorial)]) == 0
    assert editorial.read_bytes() != before  # the layout changed, the record did not
    git(root, "commit", "-qam", "(2) onrecord fmt", day="2024-03-01")
    canonical_edit(editorial, "role: null", 'role: "editorial board"')
    git(root, "commit", "-qam", "(3) role", day="2024-04-01")
    renamed = 'id: "kayhan-sochi-editorial-2017"\naliases:\n- "kayhan-sochi-editorial"'
    canonical_edit(editorial, 'id: "kayhan-sochi-editorial"', renamed)
    git(root, "mv", EDITORIAL, RENAMED)
    git(root, "commit", "-qam", "(4) rename", day="2024-05-01")
    speech = (root / SPEECH).read_text(encoding="utf-8")
    first = speech.index('\n- "') + 4
    (root / SPEECH).write_text(speech[:first] + "Indeed, " + speech[first:], encoding="utf-8")
    git(root, "commit", "-qam", "(5) words of the speech", day="2024-06-01")
    return root


@pytest.fixture(scope="module")
def output(repo, tmp_path_factory) -> Path:
    return build_records(repo, tmp_path_factory.mktemp("built")) / "output"


@pytest.fixture(scope="module")
def exported(repo, tmp_path_factory) -> Path:
    """The same archive as an exported tree: the files without `.git`."""
    root = copy_records(tmp_path_factory.mktemp("exported"), repo)
    return build_records(root, tmp_path_factory.mktemp("exported-built")) / "output"


def page(output: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((output / path / "index.html").read_text(encoding="utf-8"), "html.parser")


def history_items(soup: BeautifulSoup) -> list[tuple[str, str]]:
    section = soup.find("section", class_="history")
    return [
        (item.time["datetime"], item.get_text(" ", strip=True).split(": ", 1)[1])
        for item in section.find_all("li")
    ]


def test_the_history_lists_each_real_change_in_words_and_leaves_out_the_fmt_rewrite(repo):
    archive = history.with_history(load_archive(repo), repo)
    editorial = archive.statements["kayhan-sochi-editorial-2017"]
    changes = [(c.date, c.words) for c in editorial.history]
    assert changes == [
        (date(2024, 1, 1), "added"),
        (date(2024, 2, 1), "text of paragraph 2 corrected"),
        (date(2024, 4, 1), "role changed"),
        (date(2024, 5, 1), "renamed from kayhan-sochi-editorial"),
    ]
    corrected = editorial.history[1]
    assert corrected.old_fingerprint != corrected.new_fingerprint
    assert corrected.new_fingerprint == editorial.content_hash  # the words have not changed since
    assert [c.corrects_words for c in editorial.history] == [False, True, False, False]
    # The statement nested in it was there from the start and never changed.
    nested = archive.statements["ramadan-al-arabiya-interview"]
    assert [(c.date, c.words) for c in nested.history] == [(date(2024, 1, 1), "added")]


def test_the_statement_page_shows_its_history_dated(output):
    soup = page(output, "statements/kayhan-sochi-editorial-2017")
    items = [(day, text.split(" (text fingerprint")[0]) for day, text in history_items(soup)]
    assert items == [
        ("2024-01-01", "added"),
        ("2024-02-01", "text of paragraph 2 corrected"),
        ("2024-04-01", "role changed"),
        ("2024-05-01", "renamed from kayhan-sochi-editorial"),
    ]
    corrected = soup.find("section", class_="history").find_all("li")[1]
    old, new = (code.text for code in corrected.find_all("code"))
    assert old != new and new == soup.find("p", class_="version").code.text
    assert UNAVAILABLE not in soup.get_text()


def test_the_statement_json_carries_the_history(output):
    data = json.loads((output / "statements" / "kayhan-sochi-editorial-2017.json").read_text())
    corrected = data["history"][1]
    assert data["history"] == [
        {"date": "2024-01-01", "change": "added"},
        {"date": "2024-02-01", "change": "text of paragraph 2 corrected"} | corrected,
        {"date": "2024-04-01", "change": "role changed"},
        {"date": "2024-05-01", "change": "renamed from kayhan-sochi-editorial"},
    ]
    # A correction of the words says which text it replaced: the fingerprints before and after.
    assert set(corrected) == {"date", "change", "old_hash", "new_hash"}
    assert corrected["new_hash"] == data["content_hash"] != corrected["old_hash"]


def statement_linked(href: str) -> str:
    """The id of the statement a (relative) link leads to."""
    parts = href.split("/")
    return parts[parts.index("statements") + 1]


def corrections_expected(repo: Path) -> list[tuple[str, str, str, str]]:
    archive = history.with_history(load_archive(repo), repo)
    return [
        (change.date.isoformat(), statement.id, change.old_fingerprint, change.new_fingerprint)
        for change, statement in history.corrections(archive.statements.values())
    ]


def test_corrections_lists_the_changes_of_words_newest_first(repo, output):
    expected = corrections_expected(repo)
    assert [(day, key) for day, key, _, _ in expected] == [
        ("2024-06-01", "khamenei-ahl-al-bayt-speech"),
        ("2024-02-01", "kayhan-sochi-editorial-2017"),
    ]
    soup = page(output, "corrections")
    items = soup.find("ol", class_="corrections").find_all("li")
    shown = [
        (
            item.time["datetime"],
            statement_linked(item.a["href"]),
            item.find("code", class_="old-fingerprint").text,
            item.find("code", class_="new-fingerprint").text,
        )
        for item in items
    ]
    assert shown == expected


def test_the_corrections_feed_parses_and_lists_them_newest_first(repo, output):
    expected = corrections_expected(repo)
    feed = feedparser.parse((output / "feeds" / "corrections.atom.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert [entry.updated[:10] for entry in feed.entries] == [e[0] for e in expected]
    for entry, (_, key, old, new) in zip(feed.entries, expected, strict=True):
        assert entry.link.endswith(f"/statements/{key}/")
        assert old in entry.summary and new in entry.summary


def test_the_footer_links_the_corrections(output):
    footer = page(output, "").find("footer")
    assert "corrections" in [a["href"].split("/")[-2] for a in footer.find_all("a")]


def test_without_git_the_pages_say_history_is_unavailable(exported):
    statement = page(exported, "statements/kayhan-sochi-editorial-2017")
    assert UNAVAILABLE in statement.find("section", class_="history").get_text()
    assert UNAVAILABLE in page(exported, "corrections").get_text()
    data = json.loads((exported / "statements" / "kayhan-sochi-editorial-2017.json").read_text())
    assert data["history"] is None
    feed = feedparser.parse((exported / "feeds" / "corrections.atom.xml").read_bytes())
    assert not feed.bozo and feed.entries == []


def test_a_new_commit_remakes_the_statement_page(repo, tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(repo, root)
    base = build_records(root, tmp_path / "built")
    page_file = base / "output" / "statements" / "khamenei-ahl-al-bayt-speech" / "index.html"
    before = page_file.read_text(encoding="utf-8")
    canonical_edit(root / SPEECH, 'role: "Iranian Supreme Leader"', 'role: "Supreme Leader"')
    git(root, "commit", "-qam", "role", day="2024-07-01")
    build_records(root, tmp_path / "built")
    after = page_file.read_text(encoding="utf-8")
    assert after != before
    items = history_items(BeautifulSoup(after, "html.parser"))
    assert items[-1] == ("2024-07-01", "role changed")


def test_the_walk_kept_in_the_cache_follows_new_and_rewritten_commits(repo, tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(repo, root)
    cache = tmp_path / "cache"
    archive = load_archive(root)

    def speech_changes() -> list[tuple[date, str]]:
        found = history.with_history(archive, root, cache).statements
        return [(c.date, c.words) for c in found["khamenei-ahl-al-bayt-speech"].history]

    walked = speech_changes()
    assert walked[-1] == (date(2024, 6, 1), "text of paragraph 1 corrected")
    assert speech_changes() == walked  # from the cache alone
    canonical_edit(root / SPEECH, 'date: "2017-11-23"', 'date: "2017-11"')
    git(root, "commit", "-qam", "date", day="2024-07-01")
    archive = load_archive(root)
    assert speech_changes() == [*walked, (date(2024, 7, 1), "date changed")]
    git(root, "commit", "-q", "--amend", "-m", "date, amended", day="2024-07-02")
    assert speech_changes() == [*walked, (date(2024, 7, 2), "date changed")]


def test_changes_in_words():
    archive = load_archive(GOOD)
    speech = archive.statements["khamenei-ahl-al-bayt-speech"]
    withdrawn = dataclasses.replace(
        speech,
        attribution="withdrawn",
        attribution_note="misquoted",
        withdrawn_on=date(2024, 1, 1),
        theme_ids=(),
    )
    assert history.describe(speech, withdrawn) == ["withdrawn", "themes changed"]
    assert history.describe(withdrawn, speech) == ["reinstated", "themes changed"]
    longer = dataclasses.replace(speech, paragraphs=(*speech.paragraphs, "More."))
    assert history.describe(speech, longer) == [f"paragraph {len(longer.paragraphs)} added"]
    assert history.describe(speech, dataclasses.replace(speech, path="elsewhere.yaml")) == []


def test_a_commit_that_does_not_read_is_skipped_and_the_next_compared_with_the_last_good(
    repo, tmp_path
):
    root = tmp_path / "repo"
    shutil.copytree(repo, root)
    good = (root / SPEECH).read_text(encoding="utf-8")
    (root / SPEECH).write_text(good.replace('role: "', 'role: ["', 1), encoding="utf-8")
    git(root, "commit", "-qam", "broken", day="2024-07-01")
    (root / SPEECH).write_text(good.replace("Indeed, ", "In truth, ", 1), encoding="utf-8")
    git(root, "commit", "-qam", "fixed, with other words", day="2024-07-02")
    archive = history.with_history(load_archive(root), root)
    changes = archive.statements["khamenei-ahl-al-bayt-speech"].history
    assert [(c.date, c.words) for c in changes[-2:]] == [
        (date(2024, 6, 1), "text of paragraph 1 corrected"),
        (date(2024, 7, 2), "text of paragraph 1 corrected"),
    ]
    assert changes[-1].old_fingerprint == changes[-2].new_fingerprint


def test_changes_kept_at_a_commit_are_the_changes_worked_out_afresh(repo, tmp_path, monkeypatch):
    """At the commit they were kept at, the changes come from the cache, even across
    uncommitted edits; a statement found in another file is worked out again."""
    monkeypatch.setattr(history, "KEPT_FROM", 1)  # the fixture's few statements are kept
    root = tmp_path / "repo"
    shutil.copytree(repo, root)
    versions = tmp_path / "cache" / history.CACHE_FILE
    log = history.read_log(root)

    def changes(statements, cache_file: Path | None) -> dict[str, tuple]:
        return history.histories(root, statements, log, cache_file)

    statements = list(load_archive(root).statements.values())
    first = changes(statements, versions)
    kept = versions.with_name(history.CHANGES_FILE)
    written = kept.stat().st_mtime_ns
    canonical_edit(root / SPEECH, 'role: "Iranian Supreme Leader"', 'role: "Supreme Leader"')
    statements = list(load_archive(root).statements.values())
    assert changes(statements, versions) == first == changes(statements, None)
    assert kept.stat().st_mtime_ns == written  # nothing new to work out
    # The speech as if it were the file the editorial was renamed from.
    moved = [dataclasses.replace(s, path=EDITORIAL) if s.path == SPEECH else s for s in statements]
    assert changes(moved, versions) == changes(moved, None) != first
    assert kept.stat().st_mtime_ns != written


def test_a_few_statements_are_worked_out_without_the_kept_changes(repo, tmp_path):
    """The devserver's edited statements: reading every kept change would cost more."""
    versions = tmp_path / "cache" / history.CACHE_FILE
    log = history.read_log(repo)
    statements = list(load_archive(repo).statements.values())
    assert len(statements) < history.KEPT_FROM
    found = history.histories(repo, statements, log, versions)
    assert found == history.histories(repo, statements, log, None)
    assert not versions.with_name(history.CHANGES_FILE).exists()
