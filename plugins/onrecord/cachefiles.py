"""Files under `var/cache/`: pickles written whole or not at all, and read as far as they can be.

Each is written to a temporary file beside its place and renamed over it, so a build that
reads it (or one killed while writing it) finds the old file or the new, never part of one.
A file that does not read back as its writer left it is one of `UNREADABLE`'s errors: its
reader treats it as missing, and the build works out again what it held.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from . import replacing

# What reading and unpacking a missing, truncated or foreign pickle raises.
UNREADABLE = (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError)


def write_pickle(path: Path, value: object) -> None:
    """Pickle `value` into `path` atomically (its folder made if need be)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        with open(temporary, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        replacing.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
