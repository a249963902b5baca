"""The devserver's warm builder: imports the build once, then forks a fresh child per build.

`python -m onrecord.builder` reads one request a line on stdin, `{"settings": PATH,
"pagefind": BOOL}`, and answers each with one line on stdout, `{"ok": BOOL, "printed":
TEXT}`: what the build printed, its stdout then its stderr, as `onrecord build` prints them.

Each build runs in a child forked from this process as it stood after the imports, so it
starts from a clean Pelican and clean module state whatever the last build did, and a build
that crashes or is killed takes only itself down. Between builds this process reads the
records cache ahead (`build.read_ahead`): the next build inherits it instead of reading it.
The child ends with os._exit once its output is flushed: nothing is left to write, and
tearing down the build's object graph costs 0.3 s at 10,000 statements. This process runs
no threads (forking it is safe) and never builds itself; it ends when its requests do.
"""

from __future__ import annotations

import contextlib
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


def build_in_child(settings_file: str, pagefind: bool, replies: IO) -> tuple[bool, str]:
    """Build in a forked child and wait for it; (succeeded, what it printed).

    The child closes `replies`, the pipe to the devserver: if this process dies during a
    build, the devserver sees that pipe end at once, not when the orphaned build ends.
    """
    # Files, not pipes: a broken archive prints thousands of lines while this one waits.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:
            _child(settings_file, pagefind, out, err, replies)
        _, status = os.waitpid(pid, 0)
        printed = _read(out) + _read(err)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        printed += f"\nthe build was killed by {signal.Signals(-code).name}"
    return code == 0, printed.strip()


def _child(settings_file: str, pagefind: bool, out: IO, err: IO, replies: IO) -> NoReturn:
    code = 1
    try:
        replies.close()
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        from .build import main

        code = main(settings_file, pagefind=pagefind, first_pages=True)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _read_ahead(settings_file: str) -> None:
    """While the editor reads the page, read the records cache the next build will load."""
    from .build import read_ahead

    with contextlib.suppress(Exception):  # only a head start: the next build reads anyway
        read_ahead(Path(settings_file))


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
            ok, printed = build_in_child(request["settings"], request["pagefind"], replies)
            replies.write(json.dumps({"ok": ok, "printed": printed}) + "\n")
            replies.flush()
            _read_ahead(request["settings"])
    except KeyboardInterrupt:
        return 130  # Ctrl-C: the devserver and the build it reached are stopping too
    except BrokenPipeError:
        return 0  # the devserver has gone
    return 0


if __name__ == "__main__":
    sys.exit(main())
