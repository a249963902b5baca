"""Permalinks never die: every URL the archive published keeps answering.

`permalinks.txt` lists every record page ever published. A renamed record (new id, old one
in `aliases`) leaves a redirect at its old URL; a removed one stops the build unless it is
redirected or withdrawn; a withdrawn statement keeps a tombstone page at its URL and
leaves every list. Each statement page carries a fingerprint of its words and the date
its record last changed. Every site here is built for real from a copy of the seed.
"""

from __future__ import annotations

import csv
import http.client
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from wsgiref.util import setup_testing_defaults

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import REPO, SEED, copy_records, serving
from test_build_atomic import run_build, settings_file, tree_digest

from onrecord import cli
from onrecord.build import build, settings_for
from onrecord.history import with_history
from onrecord.records import load_archive
from onrecord.search.query import search
from onrecord.serve import create_app

PERMALINKS = SEED / "permalinks.txt"
STATEMENTS = Path("content/statements/2017")
RECORD_FOLDERS = {
    "speakers": Path("speakers"),
    "outlets": Path("content/outlets"),
    "themes": Path("content/themes"),
    "sources": Path("content/sources"),
    "claims": Path("content/claims"),
}


def archive_copy(target: Path) -> Path:
    """A copy of the seed records and of permalinks.txt: what the repository publishes."""
    copy_records(target)
    shutil.copy(PERMALINKS, target / PERMALINKS.name)
    return target


def build_site(root: Path, base: Path) -> tuple[Path, Path]:
    """Build the records under `root` into `base`/output and `base`/var/index."""
    output, index_dir = base / "output", base / "var" / "index"
    build(REPO / "pelicanconf.py", output=output, index_dir=index_dir, ONRECORD_ROOT=str(root))
    return output, index_dir


def listed(root: Path) -> list[str]:
    return (root / PERMALINKS.name).read_text(encoding="utf-8").splitlines()


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def resolve(page_path: str, href: str) -> str:
    """The site path `href` points to from the page at site path `page_path`."""
    return urljoin(f"http://site/{page_path}", href).removeprefix("http://site")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def drop_appearances(root: Path, statement_id: str) -> None:
    """Remove each claim's appearances in `statement_id`, as the check asks when it goes."""
    for path in (root / "content" / "claims").glob("*.yaml"):
        kept, dropping = [], False
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("  "):
                dropping = line == f'- statement: "{statement_id}"'
            if not dropping:
                kept.append(line)
        path.write_text("\n".join(kept) + "\n", encoding="utf-8")


def withdraw(root: Path, statement_id: str, why: str, when: str) -> None:
    record = root / STATEMENTS / f"{statement_id}.yaml"
    edit(record, 'attribution: "secondary"', 'attribution: "withdrawn"')
    edit(record, "attribution_note: null", f'attribution_note: "{why}"\nwithdrawn_on: "{when}"')
    drop_appearances(root, statement_id)


def delete(root: Path, statement_id: str) -> None:
    (root / STATEMENTS / f"{statement_id}.yaml").unlink()
    drop_appearances(root, statement_id)


# -- permalinks.txt --------------------------------------------------------------------------


def seed_urls() -> set[str]:
    """Every record page of the seed, read from the record files themselves."""
    urls = set()

    def statement_ids(record: dict) -> Iterator[str]:
        yield record["id"]
        for quote in record.get("quotes") or ():
            if quote.get("nested"):
                yield from statement_ids(quote["nested"])

    for path in (SEED / STATEMENTS.parent).rglob("*.yaml"):
        record = yaml.safe_load(path.read_text(encoding="utf-8"))
        urls |= {f"/statements/{i}/" for i in statement_ids(record)}
    for kind, folder in RECORD_FOLDERS.items():
        urls |= {f"/{kind}/{path.stem}/" for path in (SEED / folder).glob("*.yaml")}
    return urls


def test_permalinks_file_is_current():
    done = subprocess.run(
        [sys.executable, "-m", "onrecord.cli", "--root", str(SEED), "permalinks"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: ")


def test_permalinks_file_is_sorted():
    lines = listed(SEED)
    assert lines == sorted(lines)
    assert len(lines) == len(set(lines))


def test_permalinks_file_lists_every_record_page_of_the_seed():
    urls = seed_urls()
    assert len([u for u in urls if u.startswith("/statements/")]) == 9
    assert urls <= set(listed(SEED))


def permalinks_cli(root: Path, capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--root", str(root), "permalinks", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def new_statement(root: Path, capsys) -> str:
    """`onrecord new statement` in `root`; the new statement's URL."""
    code = cli.main(
        [
            "--root",
            str(root),
            "new",
            "statement",
            "--speaker",
            "hossein-salami",
            "--date",
            "2017-11-24",
            "--source",
            "sochi-triumph-report",
            "--text",
            "A paragraph added after the seed.",
        ]
    )
    path = Path(capsys.readouterr().out.strip())
    assert code == 0
    return f"/statements/{path.stem}/"


def test_update_adds_the_url_of_a_new_record(tmp_path, capsys):
    root = archive_copy(tmp_path)
    before = listed(root)
    url = new_statement(root, capsys)
    assert permalinks_cli(root, capsys)[0] == 1  # not listed yet: the check says so

    code, out, _ = permalinks_cli(root, capsys, "--update")

    after = listed(root)
    assert code == 0
    assert "1 new URL added" in out
    assert url not in before and url in after
    assert set(before) <= set(after)
    assert after == sorted(after)
    assert permalinks_cli(root, capsys)[0] == 0


def test_update_never_removes_the_url_of_a_deleted_record(tmp_path, capsys):
    root = archive_copy(tmp_path)
    delete(root, "mohammadi-javan-article")
    new_statement(root, capsys)  # something to add, so the file is rewritten

    code, _, err = permalinks_cli(root, capsys, "--update")

    assert "/statements/mohammadi-javan-article/" in listed(root)
    assert code == 1  # the lost URL is reported, and stays listed
    assert "/statements/mohammadi-javan-article/ was published" in err


# -- renaming with an alias ------------------------------------------------------------------

OLD_ID, NEW_ID = "salami-martyrs-conference", "salami-martyrs-conference-2017"
OLD_PATH, NEW_PATH = f"/statements/{OLD_ID}/", f"/statements/{NEW_ID}/"


@pytest.fixture(scope="module")
def renamed(tmp_path_factory) -> tuple[Path, Path]:
    """The seed with `salami-martyrs-conference` renamed, built: (output, index_dir)."""
    base = tmp_path_factory.mktemp("renamed")
    root = archive_copy(base / "archive")
    old_file = root / STATEMENTS / f"{OLD_ID}.yaml"
    edit(old_file, f'id: "{OLD_ID}"\n', f'id: "{NEW_ID}"\naliases:\n- "{OLD_ID}"\n')
    old_file.rename(old_file.with_name(f"{NEW_ID}.yaml"))
    for record in (root / "content").rglob("*.yaml"):  # references follow, as the check asks
        record.write_text(
            record.read_text(encoding="utf-8").replace(f': "{OLD_ID}"', f': "{NEW_ID}"'),
            encoding="utf-8",
        )
    return build_site(root, base)


def redirect_page(output: Path) -> BeautifulSoup:
    return soup_of(output / OLD_PATH.strip("/") / "index.html")


def test_renamed_statement_has_its_page_at_the_new_url(renamed):
    output, _ = renamed
    page = soup_of(output / NEW_PATH.strip("/") / "index.html")
    assert page.find("link", rel="canonical")["href"].endswith(NEW_PATH)
    assert "Influence Of The Islamic Revolution" in page.find("h1").get_text()


def test_old_url_of_a_renamed_statement_is_canonical_to_the_new_one(renamed):
    output, _ = renamed
    canonical = redirect_page(output).find("link", rel="canonical")["href"]
    assert canonical == f"{settings_for(REPO / 'pelicanconf.py')['SITEURL']}{NEW_PATH}"


def test_old_url_of_a_renamed_statement_refreshes_to_the_new_one(renamed):
    output, _ = renamed
    refresh = redirect_page(output).find("meta", attrs={"http-equiv": "refresh"})["content"]
    delay, _, target = refresh.partition(";")
    assert delay.strip() == "0"
    target = resolve(OLD_PATH, target.strip().removeprefix("url="))
    assert target in (NEW_PATH, NEW_PATH + "index.html")
    assert (output / NEW_PATH.strip("/") / "index.html").is_file()


def test_old_url_of_a_renamed_statement_links_to_the_new_one(renamed):
    output, _ = renamed
    link = redirect_page(output).find("a", id="moved-to")
    assert resolve(OLD_PATH, link["href"]) in (NEW_PATH, NEW_PATH + "index.html")


def test_redirects_file_lists_the_old_url_as_a_permanent_move(renamed):
    output, _ = renamed
    lines = (output / "_redirects").read_text(encoding="utf-8").splitlines()
    assert f"{OLD_PATH} {NEW_PATH} 301" in lines


def test_redirect_page_runs_only_the_sites_own_redirect_script(renamed):
    output, _ = renamed
    scripts = redirect_page(output).find_all("script")
    assert len(scripts) == 1
    assert scripts[0].get_text() == ""  # external, nothing inline
    src = resolve(OLD_PATH, scripts[0]["src"])
    assert src == "/theme/js/redirect.js"
    assert (output / src.lstrip("/")).is_file()


@pytest.mark.browser
def test_old_paragraph_link_lands_on_the_same_paragraph_of_the_new_url(renamed, browser):
    output, index_dir = renamed
    with serving(output, index_dir) as base:
        page = browser.new_page()
        page.goto(f"{base}{OLD_PATH}#p2")
        page.wait_for_url(re.compile(rf"{re.escape(NEW_PATH)}(index\.html)?#p2$"), timeout=10_000)
        assert page.evaluate("document.querySelector(':target').id") == "p2"
        page.close()


# -- removing without an alias ---------------------------------------------------------------


def test_removing_a_published_statement_stops_the_build_and_keeps_output(tmp_path):
    root = archive_copy(tmp_path / "archive")
    output, index_dir = build_site(root, tmp_path)
    before = (tree_digest(output), tree_digest(index_dir))
    delete(root, "mohammadi-javan-article")

    code, _, err = run_build(settings_file(tmp_path, root, output, index_dir))

    assert code == 1
    assert "/statements/mohammadi-javan-article/" in err
    assert "`aliases`" in err and "withdrawn" in err
    assert (tree_digest(output), tree_digest(index_dir)) == before


# -- withdrawing -----------------------------------------------------------------------------

WITHDRAWN = "mohammadi-javan-article"
WITHDRAWN_PATH = f"statements/{WITHDRAWN}/"
WHY = "The commentator's words could not be found in Javan's archive."
ONLY_IN_WITHDRAWN = "warmongering"  # a word of its text that no other statement uses


@pytest.fixture(scope="module")
def withdrawn(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("withdrawn")
    root = archive_copy(base / "archive")
    withdraw(root, WITHDRAWN, WHY, "2024-01-02")
    return build_site(root, base)


def test_withdrawn_statement_keeps_a_tombstone_page_saying_why_and_when(withdrawn):
    output, _ = withdrawn
    page = soup_of(output / WITHDRAWN_PATH / "index.html")
    assert "withdrawn" in page.find("h1").get_text()
    notice = page.find(class_="notice")
    assert WHY in notice.get_text()
    assert notice.find("time")["datetime"] == "2024-01-02"
    assert "2 January 2024" in notice.get_text()


def test_withdrawn_statements_page_does_not_show_its_text(withdrawn):
    output, _ = withdrawn
    text = soup_of(output / WITHDRAWN_PATH / "index.html").get_text()
    for paragraph in load_archive(SEED).statements[WITHDRAWN].paragraphs:
        assert paragraph[:40] not in text


def test_withdrawn_statements_url_answers_200_not_404(withdrawn):
    output, index_dir = withdrawn
    settings = settings_for(REPO / "pelicanconf.py")
    app = create_app(output, index_dir, Path(settings["THEME"]) / "templates", settings)
    environ = {"PATH_INFO": f"/{WITHDRAWN_PATH}"}
    setup_testing_defaults(environ)
    statuses = []
    body = b"".join(app(environ, lambda status, headers, exc=None: statuses.append(status)))
    assert statuses == ["200 OK"]
    assert b"This statement was withdrawn" in body


def pages_linking_to(output: Path, target: str) -> list[str]:
    found = []
    for file in output.rglob("*.html"):
        page_path = str(file.relative_to(output).parent) + "/"
        if page_path == target:
            continue
        for a in soup_of(file).find_all("a", href=True):
            if resolve(page_path, a["href"]).split("#")[0] in (
                f"/{target}",
                f"/{target}index.html",
            ):
                found.append(page_path)
                break
    return found


def test_withdrawn_statement_is_in_no_list_but_its_speakers_and_sources_withdrawn_section(
    withdrawn,
):
    output, _ = withdrawn
    # Not on the statements list, home, outlet or theme pages, timeline; only its speaker's
    # and its source's pages link the tombstone, under "1 statement withdrawn".
    linking = pages_linking_to(output, WITHDRAWN_PATH)
    statement = load_archive(SEED).statements[WITHDRAWN]
    assert sorted(linking) == sorted(
        [f"speakers/{statement.speaker_id}/", f"sources/{statement.source_id}/"]
    )
    if not load_archive(SEED).by_speaker.get(statement.speaker_id):
        speaker_page = soup_of(output / f"speakers/{statement.speaker_id}/index.html")
        assert "No statements yet." not in speaker_page.get_text()
    for page in linking:
        soup = soup_of(output / page / "index.html")
        section = soup.select_one("section.withdrawn")
        assert section.find("h2").get_text() == "1 statement withdrawn"
        assert section.find("a", href=re.compile(WITHDRAWN))


def test_the_speakers_list_counts_the_withdrawn_statement_apart(withdrawn):
    output, _ = withdrawn
    statement = load_archive(SEED).statements[WITHDRAWN]
    soup = soup_of(output / "speakers" / "index.html")
    item = soup.find("a", href=re.compile(f"{statement.speaker_id}/")).find_parent("li")
    assert item.select_one(".count").get_text().endswith(", 1 withdrawn")


def test_a_published_statement_is_linked_from_its_lists(withdrawn):
    # The same check finds a statement that is still listed (it can fail).
    output, _ = withdrawn
    linking = set(pages_linking_to(output, "statements/salami-martyrs-conference/"))
    assert {"./", "statements/", "speakers/hossein-salami/"} <= linking


def test_withdrawn_statement_is_in_no_feed(withdrawn):
    output, _ = withdrawn
    feeds = list((output / "feeds").rglob("*.atom.xml"))
    assert feeds
    for feed in feeds:
        ET.parse(feed)
        assert WITHDRAWN not in feed.read_text(encoding="utf-8"), feed


def test_withdrawn_statement_is_in_no_export_list(withdrawn):
    output, _ = withdrawn
    items = json.loads((output / "data/statements.json").read_text(encoding="utf-8"))
    with (output / "data/statements.csv").open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    with sqlite3.connect(output / "data/onrecord.db") as db:
        in_db = db.execute("select count(*) from statements where id = ?", (WITHDRAWN,))
        assert in_db.fetchone() == (0,)
    assert len(items) == len(rows) == 8
    assert WITHDRAWN not in {item["id"] for item in items} | {row["id"] for row in rows}


def test_seed_index_finds_the_word_only_the_withdrawn_statement_has(index_dir):
    answer = search(index_dir, ONLY_IN_WITHDRAWN)
    assert [hit["id"] for hit in answer["hits"]] == [WITHDRAWN]


def test_withdrawn_statement_is_not_found_by_search(withdrawn):
    _, index_dir = withdrawn
    answer = search(index_dir, ONLY_IN_WITHDRAWN)
    assert (answer["total"], answer["hits"]) == (0, [])


# -- fingerprint and last change ---------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_history():
    return with_history(load_archive(SEED), SEED)


def test_statement_page_shows_its_content_hash_and_last_change(output, seed_history):
    for statement in seed_history.statements.values():
        version = soup_of(output / "statements" / statement.id / "index.html").find(
            class_="version"
        )
        assert version.find("code").get_text() == statement.content_hash
        assert re.fullmatch(r"[0-9a-f]{12}", statement.content_hash)
        assert version.find("time")["datetime"] == statement.last_changed.isoformat()


def test_json_export_carries_content_hash_and_last_change(output, seed_history):
    items = json.loads((output / "data/statements.json").read_text(encoding="utf-8"))
    assert len(items) == 9
    for item in items:
        statement = seed_history.statements[item["id"]]
        assert item["content_hash"] == statement.content_hash
        assert item["last_changed"] == statement.last_changed.isoformat()


def content_hash_after(tmp_path: Path, old: str, new: str) -> tuple[str, str]:
    """The salami statement's content hash before and after replacing `old` by `new`."""
    root = copy_records(tmp_path)
    before = load_archive(root).statements[OLD_ID].content_hash
    edit(root / STATEMENTS / f"{OLD_ID}.yaml", old, new)
    return before, load_archive(root).statements[OLD_ID].content_hash


def test_editing_a_paragraph_changes_the_content_hash(tmp_path):
    before, after = content_hash_after(tmp_path, 'defensive might."', 'defensive might. [sic]"')
    assert before != after


def test_editing_only_a_note_keeps_the_content_hash(tmp_path):
    before, after = content_hash_after(tmp_path, "notes: null", 'notes: "Checked again."')
    assert before == after


def test_the_service_answers_a_former_url_with_a_permanent_redirect(renamed):
    output, index_dir = renamed
    answers = []
    with serving(output, index_dir) as base:
        for asked in (OLD_PATH, OLD_PATH + "index.html", OLD_PATH.rstrip("/")):
            connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=10)
            connection.request("GET", f"{asked}?from=citation")
            response = connection.getresponse()
            response.read()
            connection.close()
            answers.append(
                (
                    response.status,
                    response.getheader("Location"),
                    bool(response.getheader("Content-Security-Policy")),  # the site's headers
                )
            )
    assert answers == [(301, f"{NEW_PATH}?from=citation", True)] * 3
