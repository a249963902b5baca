"""The devserver's warm builder: imports the build once, then forks a fresh child per build.

`python -m onrecord.builder` reads one request a line on stdin, `{"settings": PATH,
"pagefind": BOOL}`, and answers each with one line on stdout, `{"ok": BOOL, "printed":
TEXT}`: what the build printed, its stdout then its stderr, as `onrecord build` prints them.

Each build runs in a child forked from this process as it stood after the imports, so it
starts from a clean Pelican and clean module state whatever the last build did, and a build
that crashes or is killed takes only itself down. Between builds this process reads the
records cache ahead (`records.cache.read_ahead`), at the path the last build's child names
(the settings, which are code, run only in the children): the next build inherits it
instead of reading it, a third of its load at 100,000 statements.
The child ends with os._exit once its output is flushed: nothing is left to write, and
tearing down the build's object graph costs 0.3 s at 10,000 statements. This process runs
no threads (forking it is safe) and never builds itself; it ends when its requests do.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import signal
import sys
import tempfile
import traceback
from pathlib import Path
from typing import IO, NoReturn

# The modules a build imports that are slow to import; the rest it imports in its child.
PRELOAD = ("onrecord.build", "onrecord.generator")


def build_in_child(settings_file: str, pagefind: bool, replies: IO) -> tuple[bool, str, str]:
    """Build in a forked child and wait for it; (succeeded, what it printed, the path of the
    records cache it loaded, or "").

    The child closes `replies`, the pipe to the devserver: if this process dies during a
    build, the devserver sees that pipe end at once, not when the orphaned build ends.
    """
    # Files, not pipes: a broken archive prints thousands of lines while this one waits.
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryFile() as ahead,
    ):
        pid = os.fork()
        if pid == 0:
            _child(settings_file, pagefind, out, err, replies, ahead)
        _, status = os.waitpid(pid, 0)
        printed = _read(out) + _read(err)
        cache_file = _read(ahead)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        printed += f"\nthe build was killed by {signal.Signals(-code).name}"
    return code == 0, printed.strip(), cache_file if code == 0 else ""


def _child(
    settings_file: str, pagefind: bool, out: IO, err: IO, replies: IO, ahead: IO
) -> NoReturn:
    code = 1
    try:
        replies.close()
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        from .build import main

        figures: dict = {}
        code = main(settings_file, pagefind=pagefind, first_pages=True, report=figures)
        if code == 0 and figures.get("records_cache"):
            ahead.write(figures["records_cache"].encode())
            ahead.flush()
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _read_ahead(cache_file: Path) -> None:
    """While the editor reads the page, read the records cache the next build will load."""
    from .records import cache, collector_paused

    with contextlib.suppress(Exception):  # only a head start: the next build reads anyway
        with collector_paused():
            cache.read_ahead(cache_file)
        gc.freeze()  # out of the collector's sight: the forked builds leave its pages shared


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
        for line in requests:
            request = json.loads(line)
            ok, printed, cache_file = build_in_child(
                request["settings"], request["pagefind"], replies
            )
            replies.write(json.dumps({"ok": ok, "printed": printed}) + "\n")
            replies.flush()
            if cache_file:  # after the reply: the devserver says "rebuilt" without waiting
                _read_ahead(Path(cache_file))
    except KeyboardInterrupt:
        return 130  # Ctrl-C: the devserver and the build it reached are stopping too
    except BrokenPipeError:
        return 0  # the devserver has gone
    return 0


if __name__ == "__main__":
    sys.exit(main())
