"""A new file put in an old one's place in one step, without ext4's forced write-out.

`os.replace(new, old)` over an existing file makes ext4 (with its default `auto_da_alloc`)
allocate the new file's blocks and start writing them out there and then, so that a crash
cannot leave the name on an empty file. On this machine's disk that took 0.19-0.26 s for
a 300 MB file, and 0.76 s of an edit build at 100,000 statements for its three data files
(1.28 GB: `onrecord.db` 0.40 s, `statements.csv` 0.15 s, `statements.json` 0.13 s).
Linux's `renameat2` with `RENAME_EXCHANGE` swaps the two names in one step just as
atomically, and ext4 forces nothing for it: 0.000 s for the same 300 MB. Readers see the
old file or the new one, never neither, as with a rename; the old file, now under the new
one's name, is then unlinked (`pages.commit` first links a large one into its attic, so
its blocks are freed in the background).

What is given up: a power cut in the seconds before the kernel writes the new file out can
leave it empty, where the rename would have written it first. The files replaced this way
are the build's output and caches; `make clean html` makes them again.

Elsewhere (another system, a file system without the exchange, no old file to swap
with), it is `os.replace`. tests/test_replacing.py holds it to `os.replace`'s results.
"""

from __future__ import annotations

import ctypes
import os
import stat
import sys

_AT_FDCWD = -100  # paths relative to the working folder, as os.replace takes them
_RENAME_EXCHANGE = 1 << 1  # linux/fs.h


def _renameat2():
    if sys.platform != "linux":
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2  # glibc 2.28 and later
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    function.argtypes += [ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2 = _renameat2()


def replace(new: str | os.PathLike, old: str | os.PathLike) -> None:
    """As `os.replace(new, old)` for a file: afterwards `old` names the new file and `new`
    nothing."""
    if _RENAMEAT2 is not None and _is_file(old):
        swapped = _RENAMEAT2(
            _AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(old), _RENAME_EXCHANGE
        )
        if swapped == 0:
            os.unlink(new)  # the old file, under the new one's name now
            return
    # No old file, no exchange here, or a real error, which os.replace raises as it would.
    os.replace(new, old)


def _is_file(path: str | os.PathLike) -> bool:
    # The exchange would swap a file with a folder where os.replace refuses.
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False
