"""The devserver's warm builder: keeps the archive loaded, forks a fresh child per build.

`python -m onrecord.builder` reads one request a line on stdin, `{"settings": PATH,
"pagefind": BOOL, "root": PATH, "cache": PATH}`, and answers each with one line on stdout,
`{"ok": BOOL, "printed": TEXT}`: what the build printed, its stdout then its stderr, as
`onrecord build` prints them. `root` and `cache` are the archive's folder and the build's
cache folder as the settings give them (the devserver reads them): this process loads the
archive there before each build and keeps it (resident.py), so a build after an edit loads
only what changed; `"changed": [PATH, ...]`, if given, are the files changed since the last
request, as the devserver's watcher saw them (without it, every file is looked at). The
settings, which are code, run only in the children; a child whose settings name another root
or cache folder loads the archive itself.

Each build runs in a child forked from this process, so it starts from a clean Pelican and
clean module state whatever the last build did, and a build that crashes or is killed takes
only itself down. The child ends with os._exit once its output is flushed: nothing is left
to write, and tearing down the build's object graph costs 0.3 s at 10,000 statements. This
process runs no threads (forking it is safe) and never builds itself; it ends when its
requests do.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import tempfile
import traceback
from pathlib import Path
from typing import IO, NoReturn

from .resident import Loaded, ResidentArchive

# The modules a build imports that are slow to import; the rest it imports in its child.
PRELOAD = ("onrecord.build", "onrecord.generator")


def build_in_child(
    settings_file: str, pagefind: bool, replies: IO, loaded: Loaded | None = None
) -> tuple[bool, str]:
    """Build in a forked child (from `loaded`, if given) and wait for it; (succeeded, what
    it printed).

    The child closes `replies`, the pipe to the devserver: if this process dies during a
    build, the devserver sees that pipe end at once, not when the orphaned build ends.
    """
    # Files, not pipes: a broken archive prints thousands of lines while this one waits.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:
            _child(settings_file, pagefind, out, err, replies, loaded)
        _, status = os.waitpid(pid, 0)
        printed = _read(out) + _read(err)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        printed += f"\nthe build was killed by {signal.Signals(-code).name}"
    return code == 0, printed.strip()


def _child(
    settings_file: str, pagefind: bool, out: IO, err: IO, replies: IO, loaded: Loaded | None
) -> NoReturn:
    code = 1
    try:
        replies.close()
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        from .build import main

        code = main(settings_file, pagefind=pagefind, first_pages=True, loaded=loaded)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


class Archives:
    """The archive each request's root and cache folder name, kept loaded (resident.py)."""

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], ResidentArchive] = {}

    def load(self, request: dict) -> Loaded | None:
        """The archive for `request` now, or None when the request does not say where."""
        if not request.get("root") or not request.get("cache"):
            return None
        key = (request["root"], request["cache"])
        if key not in self.kept:
            self.kept.clear()  # one archive at a time: the devserver serves one
            self.kept[key] = ResidentArchive(Path(key[0]), Path(key[1]))
        try:
            return self.kept[key].load(changed=request.get("changed"))
        except Exception:  # a mistake of ours: said, then the child loads the archive itself
            print("devserver: the kept archive could not be loaded again:", file=sys.stderr)
            traceback.print_exc()
            del self.kept[key]
            return None


def _read(file: IO[bytes]) -> str:
    file.seek(0)
    return file.read().decode("utf-8", "replace")


def main() -> int:
    # Requests and replies move off fds 0 and 1, which become /dev/null: no stray print can
    # garble a reply, and Pelican's console, which picks its colours when imported, sees no
    # terminal (the builds print into files, as `onrecord build` printed into pipes).
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    try:
        for name in PRELOAD:
            importlib.import_module(name)
        archives = Archives()
        for line in requests:
            request = json.loads(line)
            loaded = archives.load(request)
            ok, printed = build_in_child(request["settings"], request["pagefind"], replies, loaded)
            replies.write(json.dumps({"ok": ok, "printed": printed}) + "\n")
            replies.flush()
    except KeyboardInterrupt:
        return 130  # Ctrl-C: the devserver and the build it reached are stopping too
    except BrokenPipeError:
        return 0  # the devserver has gone
    return 0


if __name__ == "__main__":
    sys.exit(main())
