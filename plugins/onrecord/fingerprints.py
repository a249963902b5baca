"""Fingerprints: the digest of a job's view, keyed by everything every page depends on.

A job (pages.py) runs only when its fingerprint is not the one the previous build recorded.
Its view is pickled straight into a keyed hash (the key: `site_digest`, the templates, the
code and the settings); each model record in it stands in by its own digest, made once a
build however many views hold the record, and the statements met on the way are noted
(`held`): the jobs an edit of a statement's words reaches (reach.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import operator
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path


class _Reductions(dict):
    """A pickler's dispatch table: a record (a dataclass) reduces to its digest, a string.

    The thousands of list pages share the same statements: each is pickled only once. The
    pickler looks a type up here in C; only records cost a Python call. (Strings, numbers,
    lists, dicts and tuples never get this far.)
    """

    def __init__(self, fingerprints: Fingerprints) -> None:
        super().__init__()
        self.fingerprints = fingerprints

    def __missing__(self, kind: type) -> Callable:
        if getattr(kind, "FINGERPRINT_INLINE", False):  # a view, a small value: in place
            reduce = self[kind] = self.fingerprints.inline
        elif dataclasses.is_dataclass(kind):
            reduce = self[kind] = self.fingerprints.reduce
        else:  # what the pickler does for a type it has no entry for
            reduce = self[kind] = operator.methodcaller("__reduce_ex__", PROTOCOL)
        return reduce


PROTOCOL = 5
DIGEST_SIZE = 16  # a record's digest, in bytes
# Records' ids and their digests end to end: at 100,000 statements, 2.4 MB where a dict of
# them is some 10 MB, held while the pages render (and in every worker forked then).
Digests = tuple[list[str], bytes]


class Fingerprints:
    """Digests of jobs' views: plain data and the model's records (frozen dataclasses)."""

    def __init__(self, salt: bytes) -> None:
        self.salt = salt
        self.reductions = _Reductions(self)
        # By id(), with the record kept alive, so that no other object can take its id: the
        # record's reduction, the record, and the ids of the held records in it (`held`).
        self.records: dict[int, tuple[tuple, object, str | tuple[str, ...]]] = {}
        self.readers: dict[type, Callable[[object], tuple]] = {}  # a class's fields, in C
        self.held: set[str] = set()  # the held records' ids met since `of` began

    def of(self, view: object) -> bytes:
        # Pickled straight into the hash, a frame (64 KB) at a time: the pickles of the
        # data files' views (each holding the archive) are never held whole.
        self.held = set()
        digest = hashlib.blake2b(key=self.salt, digest_size=16)
        self._pickle(view, digest)
        return digest.digest()

    def reduce(self, record: object) -> tuple:
        """`(str, (digest,))`: how a record stands in the pickle of a job's view.

        The ids of the records marked FINGERPRINT_HELD (statements) met on the way, in the
        record itself or in records it holds (a claim's spans hold statements), go to
        `held`: the records a view holds, which is how an edit reaches its job (reach.py).
        """
        known = self.records.get(id(record))
        if known is None:
            outer, self.held = self.held, set()
            try:
                # The record's own fields, its records among them standing in by digest.
                digest = hashlib.blake2b(digest_size=DIGEST_SIZE)
                self._pickle((type(record).__qualname__, _uncached(self._fields(record))), digest)
            finally:
                inner, self.held = self.held, outer
            if getattr(record, "FINGERPRINT_HELD", False):
                inner.add(record.id)
            # One id as itself: a tuple or set each would be megabytes at 100,000 statements.
            ids = next(iter(inner)) if len(inner) == 1 else tuple(inner)
            known = self.records[id(record)] = ((str, (digest.hexdigest(),)), record, ids)
        ids = known[2]
        if type(ids) is str:
            self.held.add(ids)
        elif ids:
            self.held.update(ids)
        return known[0]

    def seed(self, known: Iterable[tuple[object, bytes]]) -> None:
        """Take each held record's digest as given, `(record, digest)`: a record the last
        build digested (`held_digests`) that is the same value now (reach.py tells)."""
        for record, digest in known:
            self.records[id(record)] = ((str, (digest.hex(),)), record, record.id)

    def held_digests(self) -> Digests:
        """The digest of each held record made so far (a statement), for the next build to
        `seed`: their ids, and their digests one after the other. One holding others
        besides itself is left out."""
        ids, digests = [], bytearray()
        for reduction, record, held in self.records.values():
            if held == getattr(record, "id", None) and getattr(record, "FINGERPRINT_HELD", False):
                ids.append(held)
                digests += bytes.fromhex(reduction[1][0])
        return ids, bytes(digests)

    def inline(self, view: object) -> tuple:
        """How a view (views.py) stands in the pickle: its class's name and fields, in place.

        A view is fingerprinted once, by the job that holds it: a digest of its own, kept
        by id() as a record's is, would only cost a second pickling and the memory. So are
        the small values a record holds (a date, a change, a quote: the model marks them),
        reached only through the record's own digest: at 100,000 statements they were
        200,000 digests of their own, some 75 MB kept.
        """
        return (tuple, ((type(view).__qualname__, *_uncached(self._fields(view))),))

    def _fields(self, record: object) -> tuple:
        """The values of a dataclass's fields, in order. A class naming its FINGERPRINTED
        fields (the Archive: its lookups are made from its records) gives those."""
        read = self.readers.get(type(record))
        if read is None:
            names = getattr(record, "FINGERPRINTED", None) or [
                f.name for f in dataclasses.fields(record)
            ]
            if len(names) == 1:  # attrgetter of one name gives the value, not a tuple
                name = names[0]
                read = self.readers[type(record)] = lambda r: (getattr(r, name),)
            else:
                read = self.readers[type(record)] = operator.attrgetter(*names)
        return read(record)

    def _pickle(self, value: object, digest) -> None:
        """`value` pickled into `digest` (a hashlib object: pickle calls its `write`)."""
        pickler = pickle.Pickler(_Writing(digest.update), protocol=PROTOCOL)
        pickler.dispatch_table = self.reductions
        try:
            pickler.dump(value)
        except (pickle.PicklingError, AttributeError, TypeError) as error:  # a function, say
            raise TypeError(f"a job's view must be plain data and records: {error}") from None


def _uncached(fields: tuple) -> tuple:
    """`fields` with their non-ASCII text (and tuples of text: paragraphs) as UTF-8 bytes.

    Pickling a string that is not ASCII leaves its UTF-8 form cached inside the string for
    as long as it lives (CPython's PyUnicode_AsUTF8AndSize); `str.encode` makes a copy that
    goes. At 100,000 statements those caches were 198 MB of the build's memory, kept to the
    end and in every forked worker. No record holds bytes: the digests stay one-to-one.
    """
    return tuple(map(_uncached_value, fields))


def _uncached_value(value: object) -> object:
    if type(value) is str:
        return _uncached_text(value)
    if type(value) is tuple and value and type(value[0]) is str:
        return tuple(_uncached_text(v) if type(v) is str else v for v in value)
    return value


def _uncached_text(text: str) -> str | bytes:
    return text if text.isascii() else text.encode()


class _Writing:
    """A file that pickle can write to: what it writes goes to `write`."""

    __slots__ = ("write",)

    def __init__(self, write: Callable[[bytes], object]) -> None:
        self.write = write


def site_digest(settings: dict, folders: Iterable[Path], volatile: Iterable[str]) -> bytes:
    """A digest of what every page depends on: the files in `folders` and the settings.

    Settings that are not plain data (the loaded archive, this build's plan) or that change
    every build without changing a page (the staging folder's name) are left out.
    """
    digest = hashlib.blake2b(digest_size=16)
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(folder)).encode() + b"\0")
                digest.update(path.read_bytes())
    skip = set(volatile)
    plain = {k: v for k, v in settings.items() if k.isupper() and k not in skip and _plain(v)}
    digest.update(json.dumps(plain, sort_keys=True, default=str).encode())
    return digest.digest()


def _plain(value: object) -> bool:
    if isinstance(value, str | int | float | bool | type(None)):
        return True
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False
