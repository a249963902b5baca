"""`onrecord devserver`: a real server that rebuilds when a YAML record changes."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO, copy_records

STATEMENT = Path("content/statements/2017/salami-martyrs-conference.yaml")
WORDS = "the influence of the Islamic Revolution has expanded"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for(check, seconds: float = 90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


@pytest.fixture(scope="module")
def devserver(tmp_path_factory):
    root = copy_records(tmp_path_factory.mktemp("dev"))
    settings = root / "devconf.py"
    settings.write_text(
        f"import sys\nsys.path.insert(0, {str(REPO)!r})\nfrom pelicanconf import *  # noqa\n"
        f"ONRECORD_ROOT = {str(root)!r}\nOUTPUT_PATH = {str(root / 'output')!r}\n"
        f"ONRECORD_INDEX_DIR = {str(root / 'var' / 'index')!r}\n",
        encoding="utf-8",
    )
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "onrecord.cli",
            "devserver",
            "--settings",
            str(settings),
            "--port",
            str(port),
        ],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    assert wait_for(lambda: fetch(base + "/")[0] == 200), "devserver did not start"
    yield root, base
    process.terminate()
    process.wait(timeout=10)


def edit(root: Path, old: str, new: str) -> None:
    path = root / STATEMENT
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_an_edited_statement_shows_on_its_page(devserver):
    root, base = devserver
    page = base + "/statements/salami-martyrs-conference/"
    assert WORDS in fetch(page)[1]
    edit(root, WORDS, "the influence of the Islamic Revolution has grown")
    assert wait_for(lambda: "has grown" in fetch(page)[1])


def test_a_broken_record_shows_its_problems_and_keeps_the_last_good_site(devserver):
    root, base = devserver
    page = base + "/statements/salami-martyrs-conference/"
    edit(root, "speaker: ", "speeker: ")
    assert wait_for(lambda: fetch(page)[0] == 500)
    status, body = fetch(page)
    assert "salami-martyrs-conference.yaml:" in body and "speeker" in body
    status, body = fetch(page + "?last-good")
    assert status == 200 and "Hossein Salami" in body


def test_fixing_the_record_recovers(devserver):
    root, base = devserver
    page = base + "/statements/salami-martyrs-conference/"
    edit(root, "speeker: ", "speaker: ")
    assert wait_for(lambda: fetch(page)[0] == 200)
