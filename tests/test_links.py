"""`onrecord links --check` against real pages on a local http.server (never the internet).

The server answers `/ok` with the seed report as a web page (paragraphs in `<p>`, curly
quotation marks, markup inside sentences, a script), `/gone` with 404, `/changed` with the
report missing one statement's words, and `/slow` too late.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import SEED, copy_records

from onrecord import cli, links
from onrecord.records import load_archive

TEXT = (SEED.parent / "seed-report.txt").read_text(encoding="utf-8")
SOURCE = "sochi-triumph-report"
ARCHIVED = "https://web.archive.org/web/20171201000000/https://reports.example/sochi"
DROPPED = "salami-martyrs-conference"


def as_web_page(text: str) -> str:
    """The text as a publisher's page would set it."""
    paragraphs = []
    for block in text.split("\n\n"):
        words = html.escape(block.strip(), quote=False)
        words = re.sub(r'"([^"]*)"', r"“\1”", words)  # curly where the text is straight
        words = words.replace(" the ", " <em>the</em>\n ", 3)  # markup and breaks inside
        paragraphs.append(f"<p>{words}</p>")
    return (
        "<!doctype html><html><head><title>Report</title><style>p{margin:0}</style>"
        "<script>var quote = 'not the words';</script></head><body><main>"
        + "\n".join(paragraphs)
        + "</main></body></html>"
    )


def without(statement_id: str) -> str:
    archive = load_archive(SEED)
    text = TEXT
    paragraph = archive.statements[statement_id].paragraphs[0]
    words = paragraph.strip('"')
    assert words in text
    return text.replace(words, "[removed by the publisher]")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[str]]]:
    pages = {"/ok": as_web_page(TEXT), "/changed": as_web_page(without(DROPPED))}
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            asked.append(self.path)
            if self.path == "/slow":
                time.sleep(2)  # the client has given up by now: nothing to answer
                return
            body = pages.get(self.path)
            if body is None:
                self.send_error(404, "Not Found")
                return
            data = body.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # quiet
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="links-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", asked
    finally:
        httpd.shutdown()
        httpd.server_close()


def archive_at(tmp_path: Path, url: str, archived: bool = True) -> Path:
    root = copy_records(tmp_path / "archive")
    record = root / "content" / "sources" / f"{SOURCE}.yaml"
    extra = f'\narchived_url: "{ARCHIVED}"\narchived_on: "2017-12-01"' if archived else ""
    data = record.read_text(encoding="utf-8")
    record.write_text(data.replace("url: null", f"url: {json.dumps(url)}{extra}"), "utf-8")
    return root


def run(root: Path, capsys, *more: str) -> tuple[int, str, str]:
    code = cli.main(["--root", str(root), "links", "--check", "--timeout", "1", *more])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_page_that_still_holds_every_quote_is_ok(tmp_path, server, capsys):
    base, _ = server
    code, out, err = run(archive_at(tmp_path, f"{base}/ok"), capsys)
    assert (code, err) == (0, "")
    assert f"ok: {SOURCE}: {base}/ok" in out
    assert "ok: 1 source with a live address, all answering" in out


def test_a_page_that_answers_404_is_broken_and_the_archived_copy_is_named(tmp_path, server, capsys):
    base, _ = server
    code, out, err = run(archive_at(tmp_path, f"{base}/gone"), capsys)
    assert code == 1
    assert f"{SOURCE}: {base}/gone answers 404 Not Found" in err
    assert f"the archived copy of 2017-12-01 is at {ARCHIVED}" in err
    assert "1 of 1 source with a live address is broken" in err


def test_a_page_missing_a_quote_names_the_statement(tmp_path, server, capsys):
    base, _ = server
    code, _, err = run(archive_at(tmp_path, f"{base}/changed"), capsys)
    assert code == 1
    assert f"no longer holds the words of 1 statement ({DROPPED})" in err
    assert ARCHIVED in err


def test_without_an_archived_copy_it_says_where_to_record_one(tmp_path, server, capsys):
    base, _ = server
    code, _, err = run(archive_at(tmp_path, f"{base}/gone", archived=False), capsys)
    assert code == 1
    assert "no archived copy is recorded (add `archived_url` to content/sources/" in err


def test_a_page_that_does_not_answer_in_time_is_broken(tmp_path, server, capsys):
    base, _ = server
    started = time.monotonic()
    code, _, err = run(archive_at(tmp_path, f"{base}/slow"), capsys, "--timeout", "0.3")
    assert code == 1
    assert "does not answer" in err and "timed out" in err
    assert time.monotonic() - started < 2


def test_a_refused_connection_is_broken(tmp_path, capsys):
    import socket

    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    code, _, err = run(archive_at(tmp_path, f"http://127.0.0.1:{port}/"), capsys)
    assert code == 1
    assert "does not answer" in err


def test_page_text_strips_tags_scripts_and_entities():
    page = "<p>A&amp;B <em>said</em><br>this</p><script>no</script><style>x</style><p>end</p>"
    assert links.page_text(page).split() == ["A&B", "said", "this", "end"]


def test_without_check_it_lists_the_addresses_offline(tmp_path, server, capsys):
    base, asked = server
    before = len(asked)
    root = archive_at(tmp_path, f"{base}/ok")
    assert cli.main(["--root", str(root), "links"]) == 0
    out = capsys.readouterr().out
    assert f"{SOURCE}: {base}/ok; archived copy of 2017-12-01: {ARCHIVED}" in out
    # Neither listing nor `onrecord check` goes online.
    assert cli.main(["--root", str(root), "check"]) == 0
    assert len(asked) == before
