"""When each record file last changed: from git history when there is one, else the file."""

from __future__ import annotations

import dataclasses
import operator
import os
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

from .model import Archive, Statement
from .records import collector_paused


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def last_changed(root: Path, paths: set[str]) -> dict[str, date]:
    """Date of the last change of each path (relative to `root`).

    One `git log` walk gives every committed file's last commit date; a file that is new
    or edited since (or any file, outside a git checkout) takes its modification time.
    """
    dates: dict[str, date] = {}
    prefix = (_git(root, "rev-parse", "--show-prefix") or "").strip()
    log = _git(root, "log", "--format=%x00%cs", "--name-only", "--", ".")
    dirty = _git(root, "status", "--porcelain", "--untracked-files=all", "--", ".")
    if log is not None and dirty is not None:
        current = None
        for line in log.splitlines():
            if line.startswith("\0"):
                current = date.fromisoformat(line[1:])
            elif line and current is not None:
                name = line[len(prefix) :] if line.startswith(prefix) else line
                dates.setdefault(name, current)
        for line in dirty.splitlines():
            name = line[3:].strip().strip('"')
            dates.pop(name[len(prefix) :] if name.startswith(prefix) else name, None)
    for path in paths - dates.keys():
        try:
            stamp = os.stat(os.path.join(root, path)).st_mtime
        except OSError:
            continue
        dates[path] = datetime.fromtimestamp(stamp, tz=UTC).date()
    return {path: dates[path] for path in paths if path in dates}


def with_history(archive: Archive, root: Path) -> Archive:
    """The archive with each statement's `last_changed` filled in."""
    dates = last_changed(root, {s.path for s in archive.statements.values()})
    with collector_paused():  # a copy of every statement, and the lookups again
        statements = {key: _dated(s, dates.get(s.path)) for key, s in archive.statements.items()}
        return Archive.of(
            archive.speakers,
            archive.outlets,
            archive.themes,
            archive.sources,
            statements,
            archive.claims,
            archive.texts,
        )


_FIELDS = tuple(field.name for field in dataclasses.fields(Statement))
_VALUES = operator.attrgetter(*_FIELDS)
_LAST_CHANGED = _FIELDS.index("last_changed")


def _dated(statement: Statement, day: date | None) -> Statement:
    # What dataclasses.replace does, a few times faster: it runs for every statement of every
    # build (its fields are all given to the constructor, in order).
    values = list(_VALUES(statement))
    values[_LAST_CHANGED] = day
    return Statement(*values)
