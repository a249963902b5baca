"""What `onrecord build` hands the generator it starts through Pelican: the loaded archive
and the build's plan, by the archive's root (the settings' ONRECORD_ROOT).

Pelican gives a generator only its settings. The archive used to ride in them, which
made it a setting that every digest of the settings had to leave out by name, and a value
that went wherever the settings went. Here it is held for the length of one render, under
the root the generator reads from its settings: a `pelican` run that `onrecord build` did
not start finds nothing and loads the archive itself. Pages never see it: the generator
makes each page's view from it (views.py), and the jobs read only their views.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_HANDED: dict[str, tuple[object, object]] = {}


def _key(root: str | Path) -> str:
    return str(Path(root).resolve())


@contextmanager
def handing(root: str | Path, archive, plan) -> Iterator[None]:
    """`archive` and `plan` for the generator that renders the archive at `root`."""
    key = _key(root)
    _HANDED[key] = (archive, plan)
    try:
        yield
    finally:
        _HANDED.pop(key, None)


def archive(root: str | Path):
    """The archive `onrecord build` loaded for `root`, or None (the generator loads it)."""
    return _HANDED.get(_key(root), (None, None))[0]


def plan(root: str | Path):
    """This build's plan (pages.Plan) for `root`, or None (a full build, no manifest)."""
    return _HANDED.get(_key(root), (None, None))[1]
