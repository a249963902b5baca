"""The records cache: each file that passed its own checks, remembered by its bytes (and its
size, times and inode) between loads, so that an unchanged file is not parsed again."""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import threading
import time
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

from .. import replacing
from .check import Records
from .schemas import KINDS, SCHEMA_DIR

FILE_NAME = "records.pickle"  # in a build's cache folder
_CACHE_VERSION = 4
# A file changed within this long before a load may change again within the same tick of the
# file system's clock without its times changing (as git's "racily clean" entries): its
# size and times are not trusted, and it is read and compared by its bytes at the next load.
_RACY_NS = 3_000_000_000

_RESAVE_SHARE = 100  # written again when out of date by one entry in this many (see `save`)
Signature = tuple[int, int, int, int]  # size, modification and change times, inode
_Entry = tuple[Signature | None, bytes, Records]  # signature, digest of the bytes, records


class Cache:
    """Records of the files that passed their own checks, by path, kept between loads."""

    def __init__(self, file: Path | None, entries: dict[str, _Entry] | None = None):
        """The cache in `file`; or, given `entries` (what a resident archive kept from its last
        load, `kept`), those, the file being only where to save them."""
        self.file = file
        self.started = time.time_ns()
        if entries is not None:
            self.entries = entries
        else:
            self.entries = _read_cache(file) if file is not None else {}
        self.kept: dict[str, _Entry] = {}
        self.changes = 0  # entries added or updated

    def signature(self, entry: os.DirEntry | Any) -> Signature | None:
        if self.file is None:
            return None
        try:
            stat = entry.stat()
        except OSError:
            return None
        if max(stat.st_mtime_ns, stat.st_ctime_ns) >= self.started - _RACY_NS:
            return None
        return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino

    def unchanged(self, shown: str, signature: Signature | None) -> Records | None:
        """The records of a file whose size, times and inode are those it was cached with."""
        cached = self.entries.get(shown)
        if signature is None or cached is None or cached[0] != signature:
            return None
        self.kept[shown] = cached
        return cached[2]

    def same_bytes(self, shown: str, signature: Signature | None, path: str) -> Records | None:
        """The records of a file whose bytes are those it was cached with."""
        cached = self.entries.get(shown)
        if cached is None:
            return None
        try:
            with open(path, "rb") as handle:
                digest = digest_of(handle.read())
        except OSError:  # told when the file is checked
            return None
        if cached[1] != digest:
            return None
        self.remember(shown, signature, digest, cached[2])
        return cached[2]

    def remember(self, shown: str, signature: Signature | None, digest: bytes, records: Records):
        if self.file is not None:
            self.kept[shown] = (signature, digest, records)
            self.changes += 1

    def save(self) -> None:
        """Write the cache again when it is out of date by one entry in a hundred or more.

        Below that, the few files it is out of date for are cheaper to check again at each
        load (a tenth of a millisecond each) than the cache is to write (all the records):
        editing one statement and building does not write them all again.
        """
        if self.file is None:
            return
        differing = self.changes + len(self.entries.keys() - self.kept.keys())
        if differing and differing * _RESAVE_SHARE >= len(self.kept):
            _write_cache(self.file, self.kept)


def digest_of(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def _read_cache(cache_file: Path) -> dict[str, _Entry]:
    # The cache is ours, written beside the index outside output/: never a downloaded file.
    # Its version and the code's fingerprint come first, a pickle of their own: a cache that
    # another version of the code wrote is turned down before its records are read (at
    # 100,000 statements, 700 MiB of them, kept by the allocator for the rest of the load).
    try:
        with open(cache_file, "rb") as handle:
            version, fingerprint, parts = pickle.load(handle)
            if (version, fingerprint) != (_CACHE_VERSION, _fingerprint()):
                return {}
            entries: dict[str, _Entry] = {}
            for _ in range(parts):
                entries.update(pickle.load(handle))
            return entries
    except Exception:  # a cache that cannot be read is no cache: every file is read again
        return {}


# Files whose records one process pickles (`_write_cache`).
PART = 20_000


def _write_cache(cache_file: Path, entries: dict[str, _Entry]) -> None:
    """The cache written in parts, each by a forked process where one can be had.

    Pickling a string that is not ASCII leaves its UTF-8 form cached inside it for as long as
    it lives (CPython): written here, the cache of 100,000 statements left 300 MiB of such
    copies in the loaded archive (a first load: 1,009 MiB against 698 MiB unsaved). Written
    whole by one forked process, they were that process's (768 → 1,042 MiB at 100,000, with
    the pickler's memo): a part at a time, each process holds a part's.
    """
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    items = iter(entries.items())
    temporary = cache_file.with_name(f".{cache_file.name}.{os.getpid()}")
    try:
        with open(temporary, "wb") as handle:
            pickle.dump((_CACHE_VERSION, _fingerprint(), -(-len(entries) // PART)), handle)
        while part := dict(islice(items, PART)):
            _append(temporary, part)
        replacing.replace(temporary, cache_file)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _append(path: Path, part: dict[str, _Entry]) -> None:
    """`part` pickled at the end of the file at `path`, by a forked process if one can be had
    (else, or if it fails, by this one: a failure is then said as it happens)."""
    size = path.stat().st_size
    if may_fork():
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                _write_part(path, part)
                code = 0
            finally:
                os._exit(code)
        if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0:
            return
        os.truncate(path, size)  # what the failed process may have written
    _write_part(path, part)


def _write_part(path: Path, part: dict[str, _Entry]) -> None:
    with open(path, "ab") as handle:  # records pickle as calls of their classes (pickling.py)
        pickle.dump(part, handle, protocol=pickle.HIGHEST_PROTOCOL)


def may_fork() -> bool:
    """Whether forking this process is safe: on Linux, with no other thread running (one
    could hold a lock the child would then wait for forever)."""
    return sys.platform == "linux" and threading.active_count() == 1


@cache
def _fingerprint() -> str:
    # A changed schema, model or reader invalidates every cached record.
    parts = [(SCHEMA_DIR / f"{kind}.schema.json").read_bytes() for kind in KINDS]
    here = Path(__file__).parent
    parts += [
        (here.parent / name).read_bytes()
        for name in ("model.py", "yamlfile.py", "pickling.py", "problems.py")
    ]
    parts += [path.read_bytes() for path in sorted(here.glob("*.py"))]
    return hashlib.blake2b(b"".join(parts), digest_size=16).hexdigest()
