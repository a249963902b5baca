"""What the last build was made from, so a build with nothing to do stops before it starts.

A no-op `make html` used to load and check every record, fingerprint every job and compare
(19 s at 100,000 statements, 1.8 s at 10,000). Everything a build reads is one of: the
files under the archive's `content/` and `speakers/` and its `permalinks.txt`, the code and
the templates, the settings, and git's history (the records' last-changed dates). The
*inputs key* below is their stat signatures (path, size, mtime, inode), the code's and
templates' digest, the settings, and git's HEAD; when it equals the key the last build
wrote, and that build's output and index are still the ones on disk, there is nothing to
do. Stat-ing costs about 3 µs a file (0.3 s at 100,000 statements).

Any doubt means a full check: a missing, unreadable or foreign state file is ignored, and
the state is written only after a build has swapped its output in.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

VERSION = 1
FILE_NAME = "inputs.json"
WATCHED = ("content", "speakers")  # under the archive's root, every file, records or not
WATCHED_PREFIXES = tuple(os.path.join(folder, "") for folder in WATCHED)
ROOT_FILES = ("permalinks.txt",)


def files_key(root: Path, files: dict[str, bytes] | None = None) -> str:
    """A digest of every input file's path and stat signature under `root`; `files` are
    the signatures under its watched folders if taken already (`signatures`)."""
    digest = hashlib.blake2b(digest_size=16)
    for name in ROOT_FILES:
        digest.update(signature(os.path.join(root, name), name))
    files = signatures(root) if files is None else files
    digest.update(b"".join(files[shown] for shown in sorted(files)))
    return digest.hexdigest()


def signatures(root: Path, stats: dict[str, os.stat_result] | None = None) -> dict[str, bytes]:
    """Each file under the watched folders of `root`, by its path from there: its signature.

    `stats`, if given, gets each file's status too: the load reads it from there rather than
    stat every record file again (0.5 s at 100,000 statements).
    """
    found: dict[str, bytes] = {}
    for folder in WATCHED:
        try:
            handle = os.open(os.path.join(root, folder), _FOLDER)
        except OSError:  # no such folder: no files
            continue
        try:
            _signed(handle, f"{folder}/", found, stats)
        finally:
            os.close(handle)
    return found


_FOLDER = os.O_RDONLY | os.O_DIRECTORY


def _signed(
    folder: int, shown: str, found: dict[str, bytes], stats: dict[str, os.stat_result] | None
) -> None:
    """The signatures of the files in the open `folder` (shown as `shown`) and below, in
    `os.walk`'s order, its symbolic links to folders left out as it leaves them.

    Each file is stat-ed relative to its open folder and named by string concatenation:
    at 100,000 statements (95,510 files) this took 0.53-0.72 s (median 0.61) where `os.walk`,
    `os.path.join` and `os.stat` of each whole path took 0.64-0.92 s (median 0.71), eight
    runs each, alternated in one process.
    """
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:  # unreadable: as `os.walk`, which leaves it out
        return
    below = []
    for entry in entries:
        name = shown + entry.name
        try:
            if entry.is_dir(follow_symlinks=False):
                below.append(entry.name)
                continue
            status = entry.stat()  # a link's target's, as `os.stat`
        except OSError:  # gone, or a broken link
            found[name] = _missing(name)
            continue
        if entry.is_symlink() and stat.S_ISDIR(status.st_mode):
            continue  # os.walk lists a link to a folder with the folders, and does not go in
        found[name] = _signature(status, name)
        if stats is not None:
            stats[name] = status
    for name in below:
        try:
            handle = os.open(name, _FOLDER, dir_fd=folder)
        except OSError:
            continue
        try:
            _signed(handle, f"{shown}{name}/", found, stats)
        finally:
            os.close(handle)


def with_root_files(root: Path, files: dict[str, bytes]) -> dict[str, bytes]:
    """`files` (`signatures`) and the signatures of the root's own input files."""
    return {**files, **{name: signature(os.path.join(root, name), name) for name in ROOT_FILES}}


def signature(path: str, shown: str) -> bytes:
    """The path of a file as shown, and its size, time and inode (or that it is missing)."""
    try:
        status = os.stat(path)
    except OSError:
        return _missing(shown)
    return _signature(status, shown)


def _signature(status: os.stat_result, shown: str) -> bytes:
    return f"{shown}\0{status.st_size}\0{status.st_mtime_ns}\0{status.st_ino}\n".encode()


def _missing(shown: str) -> bytes:
    return f"{shown}\0-\n".encode()


def git_head(root: Path) -> str | None:
    """The commit checked out at `root` (history dates change with it), or None."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def records_key(root: Path, files: dict[str, bytes] | None = None) -> str:
    """The key of the archive's files and git's HEAD: what a build reads of `root`
    (`files`: the signatures under its watched folders, if taken already)."""
    return f"{files_key(root, files)}\n{git_head(root) or ''}"


def inputs_key(root: Path, site_digest: bytes, extra: dict, records: str | None = None) -> str:
    """The key of everything a build of the archive at `root` reads.

    `site_digest` covers code, templates and settings (`fingerprints.site_digest`); `extra` holds
    what it leaves out but changes the output (the output and index folders, Pagefind).
    `records` is `records_key(root)` if taken already (before the archive was loaded).
    """
    parts = [records or records_key(root), site_digest.hex(), json.dumps(extra)]
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


def read(cache_dir: Path) -> dict:
    """The last build's state, or {} when there is none to trust (said in one line)."""
    path = cache_dir / FILE_NAME
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        log.warning("onrecord: %s is unreadable (%s): checking everything", path, error)
        return {}
    if not isinstance(state, dict) or state.get("version") != VERSION:
        log.warning("onrecord: %s is from another version: checking everything", path)
        return {}
    return state


def write(
    cache_dir: Path, key: str, output_id: tuple, index_build: str | None, figures: dict
) -> None:
    """Record what this build was made from and what it left, atomically."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    state = {
        "version": VERSION,
        "inputs": key,
        "output_id": list(output_id),
        "index_build": index_build,
        "figures": figures,
    }
    temporary = cache_dir / f".{FILE_NAME}.{os.getpid()}"
    temporary.write_text(json.dumps(state), encoding="utf-8")
    os.replace(temporary, cache_dir / FILE_NAME)


def unchanged(state: dict, key: str, output_id: tuple, index_build: str | None) -> bool:
    """Whether the last build was made from `key` and left the output and index there now."""
    return bool(
        state
        and output_id
        and state.get("inputs") == key
        and state.get("output_id") == list(output_id)
        and index_build is not None
        and state.get("index_build") == index_build
    )
