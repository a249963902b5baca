"""`make devserver`: build, serve site and search, and rebuild whenever a record, the theme
or the settings change.

Pelican's own autoreload watches neither `speakers/` nor YAML, so this polls the files
itself. Each rebuild is an `onrecord build` in a fresh process (so a rebuild starts from
a clean Pelican, and a crash cannot take the server down); a build that fails leaves the
last good site served, and every page shows the build's messages until it is fixed.
"""

from __future__ import annotations

import html
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

WATCHED_SUFFIXES = (".yaml", ".yml", ".html", ".xml", ".css", ".js", ".py", ".json", ".rst", ".md")


def snapshot(paths: Iterable[Path]) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every watched file under `paths`; any difference means rebuild."""
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


def rebuild(settings_file: Path) -> tuple[bool, str]:
    """Run `onrecord build`; (succeeded, what it printed)."""
    done = subprocess.run(
        # The search service answers /search/ here: Pagefind's index (a full rebuild of it
        # on every edit) waits for `make html`.
        [
            sys.executable,
            "-m",
            "onrecord.cli",
            "build",
            "--no-pagefind",
            "--settings",
            str(settings_file),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0, (done.stdout + done.stderr).strip()


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


def run(settings_file: Path, host: str, port: int, interval: float = 0.5) -> int:
    from pelican.settings import read_settings
    from waitress import create_server

    from .serve import create_app

    settings = read_settings(str(settings_file))
    root = Path(settings["ONRECORD_ROOT"])
    watched = [
        root / "content",
        root / "speakers",
        Path(settings["THEME"]),
        settings_file.resolve(),
    ]
    state: dict = {}
    ok, printed = rebuild(settings_file)
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
    before = snapshot(watched)
    try:
        while True:
            time.sleep(interval)
            now = snapshot(watched)
            if now == before:
                continue
            before = now
            started = time.perf_counter()
            ok, printed = rebuild(settings_file)
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
