"""Where the records are: each kind's folder under an archive's root, and the files in it."""

from __future__ import annotations

import operator
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    """Where each kind of record lives under an archive's root folder."""

    root: Path

    def folders(self) -> dict[str, Path]:
        return {
            "statement": self.root / "content" / "statements",
            "speaker": self.root / "speakers",
            "outlet": self.root / "content" / "outlets",
            "theme": self.root / "content" / "themes",
            "source": self.root / "content" / "sources",
            "claim": self.root / "content" / "claims",
        }

    def files(self) -> Iterator[tuple[str, Path]]:
        """Every record file, with its kind, in a stable order."""
        for kind, shown, _ in self.entries():
            yield kind, self.root / shown

    def entries(self) -> Iterator[tuple[str, str, os.DirEntry]]:
        """Every record file: its kind, its path relative to `root`, its directory entry.

        The same files, in the same order, as `sorted(folder.glob(...))` would give (statements
        in any subfolder not reached through a link), found with one `scandir` per folder.
        """
        for kind, folder in self.folders().items():
            if not folder.is_dir():
                continue
            relative = str(folder.relative_to(self.root))
            for parts, entry in _listing(folder, recursive=kind == "statement"):
                if _is_record_name(entry.name) and _is_file(entry):
                    yield kind, os.sep.join((relative, *parts)), entry


def _listing(folder: Path, *, recursive: bool) -> list[tuple[tuple[str, ...], os.DirEntry]]:
    """Entries under `folder`, each with its path's parts below it, sorted by those parts."""
    found: list[tuple[tuple[str, ...], os.DirEntry]] = []
    pending: list[tuple[tuple[str, ...], str]] = [((), str(folder))]
    while pending:
        parts, directory = pending.pop()
        try:
            with os.scandir(directory) as scanned:
                entries = list(scanned)
        except PermissionError:  # as glob: an unreadable folder holds nothing
            continue
        for entry in entries:
            here = (*parts, entry.name)
            found.append((here, entry))
            if recursive and entry.is_dir(follow_symlinks=False):
                pending.append((here, entry.path))
    found.sort(key=operator.itemgetter(0))
    return found


def _is_record_name(name: str) -> bool:
    # Path.suffix: `.yaml` alone is a hidden file's whole name, not a suffix.
    stem, _, suffix = name.rpartition(".")
    return bool(stem) and suffix in ("yaml", "yml")


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def holds_any(folder: str, paths: Iterable[str]) -> bool:
    """Whether any of `paths` lies under `folder` (paths as shown, from the archive's root):
    a watcher tells of a folder that went, not of the files that were in it."""
    inside = os.path.join(folder, "")
    return any(path.startswith(inside) for path in paths)
