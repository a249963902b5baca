"""`onrecord devserver`: a real server that rebuilds when a YAML record changes."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, copy_records

from onrecord.devserver import Builder

STATEMENT = Path("content/statements/2017/salami-martyrs-conference.yaml")
WORDS = "the influence of the Islamic Revolution has expanded"
PAGE = "/statements/salami-martyrs-conference/"


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


def write_settings(root: Path) -> Path:
    """Settings for an archive at `root`, with two hooks that run in every build child.

    It notes its pid and its parent's in builds.txt, and it is killed when kill-the-build
    exists (the devserver reads the settings once, before any test makes that file).
    """
    settings = root / "devconf.py"
    settings.write_text(
        f"import os, signal, sys\nsys.path.insert(0, {str(REPO)!r})\n"
        "from pelicanconf import *  # noqa\n"
        f"ONRECORD_ROOT = {str(root)!r}\nOUTPUT_PATH = {str(root / 'output')!r}\n"
        f"ONRECORD_INDEX_DIR = {str(root / 'var' / 'index')!r}\n"
        f"with open({str(root / 'builds.txt')!r}, 'a') as noted:\n"
        "    noted.write(f'{os.getpid()} {os.getppid()}\\n')\n"
        f"if os.path.exists({str(root / 'kill-the-build')!r}):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n",
        encoding="utf-8",
    )
    return settings


@dataclass
class DevServer:
    root: Path
    base: str
    pid: int
    log: Path

    def printed(self) -> str:
        """What the devserver has printed so far (stdout and stderr)."""
        return self.log.read_text(encoding="utf-8")

    def builder(self) -> int | None:
        """The pid of the devserver's builder process, if one is running."""
        for pid in child_pids(self.pid):
            if "onrecord.builder" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                return pid
        return None


def child_pids(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # not a process, or one that has just ended
        # "pid (name) state ppid ...": the name may hold spaces, so split after it.
        if entry.name.isdigit() and int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.append(int(entry.name))
    return found


def builds(root: Path) -> list[tuple[int, int]]:
    """(pid, parent pid) of every process that read the settings, in order."""
    noted = (root / "builds.txt").read_text(encoding="utf-8").split("\n")
    return [tuple(int(n) for n in line.split()) for line in noted if line]


@pytest.fixture(scope="module")
def devserver(tmp_path_factory):
    root = copy_records(tmp_path_factory.mktemp("dev"))
    settings = write_settings(root)
    port = free_port()
    log = root / "devserver.log"
    with log.open("w", encoding="utf-8") as out:
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
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    assert wait_for(lambda: fetch(base + "/")[0] == 200), "devserver did not start"
    yield DevServer(root, base, process.pid, log)
    process.terminate()
    process.wait(timeout=10)


def edit(root: Path, old: str, new: str) -> None:
    path = root / STATEMENT
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def say(root: Path, words: str) -> None:
    """Put `words` at the start of the statement's first paragraph."""
    edit(root, 'text:\n- "', f'text:\n- "{words} ')


def shows(server: DevServer, words: str) -> bool:
    status, body = fetch(server.base + PAGE)
    return status == 200 and words in body


def test_an_edited_statement_shows_on_its_page(devserver):
    assert WORDS in fetch(devserver.base + PAGE)[1]
    edit(devserver.root, WORDS, "the influence of the Islamic Revolution has grown")
    assert wait_for(lambda: shows(devserver, "has grown"))


def test_a_second_rebuild_reuses_the_warm_builder(devserver):
    builder = devserver.builder()
    assert builder is not None
    say(devserver.root, "Reused")
    assert wait_for(lambda: shows(devserver, "Reused"))
    assert devserver.builder() == builder


def test_each_build_runs_in_a_fresh_child_of_the_builder(devserver):
    builder, earlier = devserver.builder(), builds(devserver.root)
    say(devserver.root, "Forked")
    assert wait_for(lambda: shows(devserver, "Forked"))
    new = builds(devserver.root)[len(earlier) :]
    assert new and all(parent == builder for _, parent in new)
    assert not {pid for pid, _ in new} & ({pid for pid, _ in earlier} | {builder})


def test_a_broken_record_shows_its_problems_and_keeps_the_last_good_site(devserver):
    page = devserver.base + PAGE
    edit(devserver.root, "speaker: ", "speeker: ")
    assert wait_for(lambda: fetch(page)[0] == 500)
    status, body = fetch(page)
    assert "salami-martyrs-conference.yaml:" in body and "speeker" in body
    status, body = fetch(page + "?last-good")
    assert status == 200 and "Hossein Salami" in body


def test_fixing_the_record_recovers(devserver):
    edit(devserver.root, "speeker: ", "speaker: ")
    assert wait_for(lambda: fetch(devserver.base + PAGE)[0] == 200)


def test_a_broken_records_messages_reach_the_terminal(devserver):
    message = re.compile(r"salami-martyrs-conference\.yaml:\d+:\d+: unknown field 'rool'")
    edit(devserver.root, "role: ", "rool: ")
    try:
        assert wait_for(lambda: message.search(devserver.printed()))
    finally:
        edit(devserver.root, "rool: ", "role: ")
        assert wait_for(lambda: fetch(devserver.base + PAGE)[0] == 200)


def test_a_killed_build_keeps_the_site_served_and_the_next_edit_rebuilds(devserver):
    page, builder = devserver.base + PAGE, devserver.builder()
    (devserver.root / "kill-the-build").touch()
    say(devserver.root, "Doomed")
    assert wait_for(lambda: "killed by SIGKILL" in fetch(page)[1])
    status, body = fetch(page + "?last-good")
    assert status == 200 and "Doomed" not in body
    assert devserver.builder() == builder
    (devserver.root / "kill-the-build").unlink()
    say(devserver.root, "Survived")
    assert wait_for(lambda: shows(devserver, "Survived"))


def test_a_dead_builder_is_replaced_at_the_next_rebuild(devserver):
    builder = devserver.builder()
    os.kill(builder, signal.SIGKILL)
    say(devserver.root, "Replaced")
    assert wait_for(lambda: shows(devserver, "Replaced"))
    assert devserver.builder() not in (None, builder)
    assert "starting a new builder" in devserver.printed()


def copy_of(root: Path, new_id: str, day: str) -> str:
    """The statement's record under a new id and date."""
    text = (root / STATEMENT).read_text(encoding="utf-8")
    text = text.replace('id: "salami-martyrs-conference"', f'id: "{new_id}"')
    return re.sub(r'^date: ".*"$', f'date: "{day}"', text, count=1, flags=re.M)


def test_a_statement_added_gets_its_page_and_removed_loses_it(devserver):
    """A record file that comes or goes: the builder looks at every file again."""
    path = devserver.root / STATEMENT.with_name("salami-second-copy.yaml")
    path.write_text(copy_of(devserver.root, "salami-second-copy", "2017-11-23"), encoding="utf-8")
    page = devserver.base + "/statements/salami-second-copy/"
    assert wait_for(lambda: fetch(page)[0] == 200)
    path.unlink()
    assert wait_for(lambda: fetch(page)[0] == 404)


def test_a_folder_of_statements_moved_in_is_read(devserver, tmp_path):
    """The watcher tells of the folder alone, not of the files in it."""
    folder = tmp_path / "2016"
    folder.mkdir()
    (folder / "salami-moved-in.yaml").write_text(
        copy_of(devserver.root, "salami-moved-in", "2016-05-01"), encoding="utf-8"
    )
    os.rename(folder, devserver.root / "content" / "statements" / "2016")
    assert wait_for(lambda: fetch(devserver.base + "/statements/salami-moved-in/")[0] == 200)


def test_a_change_to_onrecords_code_starts_a_new_builder(tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "module.py").write_text("A = 1\n", encoding="utf-8")
    settings = write_settings(copy_records(tmp_path))
    builder = Builder(code)
    try:
        assert builder.build(settings)[0]
        first = builder.process.pid
        assert builder.build(settings)[0] and builder.process.pid == first
        (code / "module.py").write_text("A = 2  # changed\n", encoding="utf-8")
        assert builder.build(settings)[0] and builder.process.pid != first
    finally:
        builder.close()
