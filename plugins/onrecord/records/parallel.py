"""Many files checked at once: for a large archive read for the first time, shared between
this process and forked ones."""

from __future__ import annotations

import os
import pickle
import tempfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from ..problems import Problem
from .cache import digest_of, may_fork
from .check import Checked, check_file

File = tuple[str, str, str]  # kind, path shown in problems, path to read


# Checking a file takes about a tenth of a millisecond: a process of its own pays off for a
# thousand files or more (forking and sending the records back cost some tens of ms).
_SHARE = 1000
_MOST_PROCESSES = 4


def check_all(files: list[File]) -> list[tuple[Checked, bytes]]:
    """Each file's own checks and the digest of its bytes, in order: for a large archive
    read for the first time, shared between processes (this one and forked ones)."""
    processes = _processes(len(files))
    if processes == 1:
        return [_check_path(*file) for file in files]
    # This process checks its share, the others take theirs in parts, each written to a file:
    # through a pipe, the parts would wait for this busy process to read them.
    mine = -(-len(files) // processes)
    parts = [files[start : start + _SHARE] for start in range(mine, len(files), _SHARE)]
    try:
        with (
            tempfile.TemporaryDirectory(prefix="onrecord-load-") as spool,
            ProcessPoolExecutor(processes - 1, mp_context=get_context("fork")) as pool,
        ):
            futures = [
                pool.submit(_check_part, part, os.path.join(spool, f"{number}.pickle"))
                for number, part in enumerate(parts)
            ]
            done = [_check_path(*file) for file in files[:mine]]
            for future in futures:
                with open(future.result(), "rb") as handle:
                    done.extend(pickle.load(handle))
    except (OSError, BrokenProcessPool):  # no process to be had: check them all here
        return [_check_path(*file) for file in files]
    return done


def _processes(files: int) -> int:
    # Forking is fast and shares everything loaded so far.
    if not may_fork():
        return 1
    return max(1, min(files // _SHARE, len(os.sched_getaffinity(0)), _MOST_PROCESSES))


def _check_part(files: list[File], spool: str) -> str:
    """In a forked process: the outcomes, pickled into `spool` (as calls of their classes:
    pickling.py)."""
    with open(spool, "wb") as handle:
        pickle.dump([_check_path(*file) for file in files], handle, pickle.HIGHEST_PROTOCOL)
    return spool


def _check_path(kind: str, shown: str, path: str) -> tuple[Checked, bytes]:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        problem = Problem(shown, 1, 1, f"cannot read the file: {error.strerror}", "")
        return Checked(problems=(problem,)), b""
    return check_file(kind, shown, raw), digest_of(raw)
