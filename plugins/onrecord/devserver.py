"""`make devserver`: build, serve site and search, and rebuild whenever a record, the theme
or the settings change.

Pelican's own autoreload watches neither `speakers/` nor YAML, so this watches the files
itself, with the watcher Pelican uses (watchfiles: the kernel's change events, not a poll).
Builds run in a warm builder process (onrecord.builder) that keeps the archive loaded and
forks a fresh child for each build: every build still starts from a clean Pelican and clean
module state, and a crash takes only its child down, but a rebuild pays neither Python's
start-up and imports nor the loading of records that did not change. When the builder
itself has died, or onrecord's code has changed under it, the next build starts a new one.
This process is never forked: it runs the web server's threads.

A build that fails leaves the last good site served, and every page shows the build's
messages until it is fixed.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from pathlib import Path

# `.txt`: a source's own text (content/sources/<id>.txt), which its passage page shows.
WATCHED_SUFFIXES = (".yaml", ".yml", ".txt", ".html", ".xml", ".css", ".js", ".py", ".json")
WATCHED_SUFFIXES += (".rst", ".md")
# The builder holds this package's code as it was when the builder started.
PACKAGE = Path(__file__).resolve().parent


def snapshot(paths: Iterable[Path]) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every watched file under `paths` (onrecord's code, for the builder)."""
    seen: dict[str, tuple[int, int]] = {}
    for top in paths:
        if top.is_file():
            stat = top.stat()
            seen[str(top)] = (stat.st_mtime_ns, stat.st_size)
            continue
        for folder, _, names in os.walk(top):
            for name in names:
                if name.endswith(WATCHED_SUFFIXES):
                    path = os.path.join(folder, name)
                    try:
                        stat = os.stat(path)
                    except OSError:
                        continue  # removed between listing and stat: the next scan sees it
                    seen[path] = (stat.st_mtime_ns, stat.st_size)
    return seen


class Builder:
    """The warm builder process, started at the first build and replaced when it has died
    or `code` (onrecord's source) has changed since it started."""

    def __init__(self, code: Path = PACKAGE) -> None:
        self.code = code
        self.process: subprocess.Popen | None = None
        self.started_with: dict[str, tuple[int, int]] = {}

    def build(
        self, settings_file: Path, where: dict | None = None, changed: set[str] | None = None
    ) -> tuple[bool, str]:
        """Run `onrecord build --no-pagefind` in a fresh child; (succeeded, what it printed).

        `where` gives the archive's `root` and the build's `cache` folder, as the settings
        say: the builder keeps that archive loaded between builds (builder.py), and reads
        again only the `changed` files (all of them when not given, or when the builder is
        new: it has not seen the changes before it started).
        """
        process, new = self._running()
        # The search service answers /search/ here: Pagefind's index (a full rebuild of it
        # on every edit) waits for `make html`.
        request = {"settings": str(settings_file), "pagefind": False, **(where or {})}
        if changed is not None and not new:
            request["changed"] = sorted(changed)
        try:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            reply = process.stdout.readline()
        except BrokenPipeError:
            reply = ""
        if not reply:
            return False, (
                f"devserver: the builder stopped during the build (exit {process.wait()}); "
                "the next change starts a new one"
            )
        answer = json.loads(reply)
        return answer["ok"], answer["printed"]

    def close(self) -> None:
        """End the builder (after the build it is running, if any)."""
        if self.process is None:
            return
        with suppress(BrokenPipeError):  # a dead builder's pipe may hold a request unread
            self.process.stdin.close()  # the builder ends when its requests do
        self.process.wait()
        self.process = None

    def _running(self) -> tuple[subprocess.Popen, bool]:
        """The builder, and whether it was started for this build."""
        why = self._why_replace()
        if why:
            print(f"devserver: {why}; starting a new builder", file=sys.stderr, flush=True)
            self.close()
        new = self.process is None
        if new:
            self.started_with = snapshot([self.code])
            self.process = subprocess.Popen(
                [sys.executable, "-m", "onrecord.builder"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        return self.process, new

    def _why_replace(self) -> str | None:
        if self.process is None:
            return None
        if self.process.poll() is not None:
            return f"the builder had stopped (exit {self.process.returncode})"
        if snapshot([self.code]) != self.started_with:
            return "onrecord's code changed"
        return None


def error_page(messages: str) -> bytes:
    items = "".join(f"<li><code>{html.escape(line)}</code></li>" for line in messages.splitlines())
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Build failed</title>'
        '<link rel="stylesheet" href="/theme/css/site.css"></head><body><main class="wrap">'
        "<h1>The last change broke the build</h1>"
        "<p>Fix the records below; the page reloads with the new build when you save. "
        '<a href="?last-good">Show the last good version of this page</a>.</p>'
        f'<ul class="build-errors">{items}</ul></main></body></html>'
    ).encode()


def with_build_errors(app: Callable, state: dict) -> Callable:
    """Show the failed build's messages in place of pages, until a build succeeds."""

    def wrapped(environ, start_response):
        path = environ.get("PATH_INFO", "/")
        is_page = path.endswith(("/", ".html"))
        if state.get("errors") and is_page and "last-good" not in environ.get("QUERY_STRING", ""):
            body = error_page(state["errors"])
            start_response(
                "500 Build Failed",
                [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                    ("Cache-Control", "no-store"),
                ],
            )
            return [body]
        return app(environ, start_response)

    return wrapped


def changes(paths: list[Path]) -> Iterator[set[str]]:
    """The watched files (by suffix) under `paths` that changed: a set for each burst of saves.

    Changes made while a build runs are kept and given at once when it ends. Polling every
    file's time twice a second, as this did, cost a whole scan of the archive each time (at
    100,000 statements, 0.6 s of CPU per scan: most of a core, on a 2-core machine, taken
    from the builds).
    """
    import watchfiles

    def watched(change: watchfiles.Change, path: str) -> bool:
        # A folder's events stand for the files in it (one moved in, or away).
        return path.endswith(WATCHED_SUFFIXES) or not os.path.isfile(path)

    # A burst (an editor's save: a temporary file, a rename) ends after 50 ms of quiet.
    for found in watchfiles.watch(*paths, watch_filter=watched, step=50, debounce=1600):
        yield {path for _, path in found}


def run(settings_file: Path, host: str, port: int) -> int:
    builder = Builder()
    try:
        return _serve(builder, settings_file, host, port)
    finally:
        builder.close()


def _serve(builder: Builder, settings_file: Path, host: str, port: int) -> int:
    from pelican.settings import read_settings
    from waitress import create_server

    from .build import cache_dir_of
    from .serve import create_app

    settings = read_settings(str(settings_file))
    # Resolved: the watcher reports paths under these, and the builder compares them to root.
    root = Path(settings["ONRECORD_ROOT"]).resolve()
    index_dir = Path(settings["ONRECORD_INDEX_DIR"]).resolve()
    where = {"root": str(root), "cache": str(cache_dir_of(settings, index_dir))}
    watched = [
        root / "content",
        root / "speakers",
        Path(settings["THEME"]).resolve(),
        settings_file.resolve(),
    ]
    state: dict = {}
    ok, printed = builder.build(settings_file, where)
    print(printed)
    if not ok and not (Path(settings["OUTPUT_PATH"]) / "index.html").exists():
        print(
            "devserver: the first build failed and there is no earlier site to serve",
            file=sys.stderr,
        )
        return 1
    state["errors"] = None if ok else printed
    app = create_app(
        Path(settings["OUTPUT_PATH"]),
        Path(settings["ONRECORD_INDEX_DIR"]),
        Path(settings["THEME"]) / "templates",
        settings,
    )
    server = create_server(with_build_errors(app, state), host=host, port=port, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    print(f"Serving on http://{host}:{port}/ and rebuilding on changes (Ctrl-C stops)")
    try:
        for changed in changes(watched):
            started = time.perf_counter()
            ok, printed = builder.build(settings_file, where, changed)
            state["errors"] = None if ok else printed
            took = time.perf_counter() - started
            print(
                f"rebuilt in {took:.1f} s" if ok else f"build failed ({took:.1f} s):\n{printed}",
                file=sys.stdout if ok else sys.stderr,
                flush=True,
            )
    except KeyboardInterrupt:
        server.close()
    return 0
